"""Admin of the customers app, one module per part of its models (customers/models/): the CRM's records, and the
imports and exports that bring data in and take it out. Django's admin autodiscovery imports this package."""

from customers.admin import labels, rates, records, transfers

__all__ = ["labels", "rates", "records", "transfers"]
