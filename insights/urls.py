"""Insights pages, mounted at the site root: /worklist/ and /dashboards/."""

from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("worklist/", views.worklist, name="worklist"),
    path("worklist/<int:pk>/", views.worklist_action, name="worklist_action"),
    path("dashboards/", views.dashboards, name="dashboards"),
    path("interactions/<int:pk>/label/", views.label, name="label_interaction"),
]
