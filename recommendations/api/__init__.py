"""The recommendations app's API under /api/v1/: recommendations, association rules and demand forecasts of the
active runs (serializers.py, views.py, urls.py)."""
