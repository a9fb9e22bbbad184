"""Recommendations pages, mounted at the site root: /rules/ and /what-will-sell/."""

from django.urls import path

from recommendations import views

app_name = "recommendations"

urlpatterns = [
    path("rules/", views.rule_list, name="rules"),
    path("what-will-sell/", views.what_will_sell, name="what_will_sell"),
]
