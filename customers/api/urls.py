"""The customers app's API, mounted under /api/v1/ by the root URLconf (namespace "customers-api")."""

from rest_framework.routers import SimpleRouter

from customers.api import views

app_name = "customers-api"

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("products", views.ProductViewSet, basename="product")
router.register("orders", views.OrderViewSet, basename="order")
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("import-runs", views.ImportRunViewSet, basename="importrun")

urlpatterns = router.urls
