"""Customer pages, mounted under /customers/."""

from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/interactions/", views.log_interaction, name="log_interaction"),
    path("<int:pk>/history/", views.customer_timeline, name="timeline"),
    path("<int:pk>/tags/", views.add_tag, name="add_tag"),
    path("<int:pk>/tags/<int:tag_pk>/remove/", views.remove_tag, name="remove_tag"),
    path("<int:pk>/owner/", views.change_owner, name="change_owner"),
    path("<int:pk>/consent/", views.change_consent, name="change_consent"),
    path("<int:pk>/data.json", views.export_data, name="export_data"),
    path("<int:pk>/erase/", views.erase, name="erase"),
    path("saved-filters/", views.save_filter, name="save_filter"),
    path("saved-filters/<int:pk>/", views.open_filter, name="open_filter"),
    path("saved-filters/<int:pk>/delete/", views.delete_filter, name="delete_filter"),
    path("export.csv", views.export_customers, name="export"),
    path("orders/export.csv", views.export_orders, name="export_orders"),
]
