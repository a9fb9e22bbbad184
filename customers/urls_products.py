"""Product pages, mounted under /products/ with their own namespace ("products:list", "products:detail"): the
root URLconf includes this module by name, beside customers/urls.py under /customers/."""

from django.urls import path

from customers import views

app_name = "products"

urlpatterns = [
    path("", views.product_list, name="list"),
    path("<int:pk>/", views.product_detail, name="detail"),
]
