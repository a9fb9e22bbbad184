"""URL map: sign-in/out, the home page, the apps' pages, the API (/api/v1/, each app's own api/urls.py, with
its schema and docs), the admin, the health check and /favicon.ico."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crm import views
from crm.api.views import ObtainToken
from customers.views.home import home

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", include("customers.urls")),
    path("products/", include("customers.urls_products")),
    path("", include("insights.urls")),
    path("", include("recommendations.urls")),
    path("api/v1/auth/token/", ObtainToken.as_view(), name="api-token"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("api/v1/", include("customers.api.urls")),
    path("api/v1/", include("insights.api.urls")),
    path("api/v1/", include("recommendations.api.urls")),
    path("admin/", admin.site.urls),
]
