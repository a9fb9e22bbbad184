"""What every app's API (customers/api/, insights/api/, recommendations/api/) shares: who may call what
(permissions.py), how lists are paged (pagination.py) and ordered (ordering.py). The apps' viewsets start from
their model's `visible_to(user)`, so what a page would answer 404 the API answers 404 too."""
