"""Customer pages, mounted under /customers/."""

from django.urls import path

from customers import views, views_export, views_interactions, views_profile, views_saved_filters, views_timeline

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/interactions/", views_interactions.log_interaction, name="log_interaction"),
    path("<int:pk>/history/", views_timeline.customer_timeline, name="timeline"),
    path("<int:pk>/tags/", views_profile.add_tag, name="add_tag"),
    path("<int:pk>/tags/<int:tag_pk>/remove/", views_profile.remove_tag, name="remove_tag"),
    path("<int:pk>/owner/", views_profile.change_owner, name="change_owner"),
    path("<int:pk>/consent/", views_profile.change_consent, name="change_consent"),
    path("saved-filters/", views_saved_filters.save_filter, name="save_filter"),
    path("saved-filters/<int:pk>/", views_saved_filters.open_filter, name="open_filter"),
    path("saved-filters/<int:pk>/delete/", views_saved_filters.delete_filter, name="delete_filter"),
    path("export.csv", views_export.export_customers, name="export"),
    path("orders/export.csv", views_export.export_orders, name="export_orders"),
]
