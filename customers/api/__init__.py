"""The customers app's API under /api/v1/: customers, products, orders with their lines, interactions and import
runs (serializers.py, views.py, urls.py). Every list starts from the model's `visible_to(user)` and filters with
the FilterSet its page uses (customers/filters.py)."""
