"""Customer pages, mounted under /customers/."""

from django.urls import path

from customers import views, views_export, views_interactions

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/interactions/", views_interactions.log_interaction, name="log_interaction"),
    path("export.csv", views_export.export_customers, name="export"),
    path("orders/export.csv", views_export.export_orders, name="export_orders"),
]
