"""The recommendations app's API, mounted under /api/v1/ by the root URLconf (namespace "recommendations-api")."""

from rest_framework.routers import SimpleRouter

from recommendations.api import views

app_name = "recommendations-api"

router = SimpleRouter()
router.register("recommendations", views.RecommendationViewSet, basename="recommendation")
router.register("rules", views.AssociationRuleViewSet, basename="rule")
router.register("forecasts", views.ProductForecastViewSet, basename="forecast")

urlpatterns = router.urls
