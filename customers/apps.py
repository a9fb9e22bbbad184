from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """Customers, products, orders, interactions: the records everything else learns from."""

    name = "customers"
    verbose_name = "Customers and sales"
