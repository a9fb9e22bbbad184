"""The insights app's API, mounted under /api/v1/ by the root URLconf (namespace "insights-api")."""

from rest_framework.routers import SimpleRouter

from insights.api import views

app_name = "insights-api"

router = SimpleRouter()
router.register("scores", views.ScoreViewSet, basename="score")
router.register("model-runs", views.ModelRunViewSet, basename="modelrun")

urlpatterns = router.urls
