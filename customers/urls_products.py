"""Product pages, mounted under /products/."""

from django.urls import path

from customers import views_products

app_name = "products"

urlpatterns = [
    path("", views_products.product_list, name="list"),
    path("<int:pk>/", views_products.product_detail, name="detail"),
]
