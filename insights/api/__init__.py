"""The insights app's API under /api/v1/: each customer's segment, value and churn from the active runs (scores),
and the model runs, which admins may ask to retrain (serializers.py, views.py, urls.py)."""
