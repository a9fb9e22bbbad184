"""URL map: sign-in/out, the home page, the apps' pages, the admin, the health check and /favicon.ico."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from crm import views
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
    path("admin/", admin.site.urls),
]
