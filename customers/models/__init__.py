"""The customers app's models: the CRM's records, and the runs that bring data in and take it out."""

from customers.models.labels import InteractionLabel, Sentiment, Topic
from customers.models.rates import ExchangeRate
from customers.models.records import (
    Customer,
    CustomerQuerySet,
    CustomerRecordQuerySet,
    Interaction,
    Order,
    OrderItem,
    Product,
    ProductName,
    Tag,
    sees_all_customers,
    visibility_scope,
)
from customers.models.saved_filters import SavedFilter
from customers.models.transfers import ExportRecord, ImportRun

__all__ = [
    "Customer",
    "CustomerQuerySet",
    "CustomerRecordQuerySet",
    "ExchangeRate",
    "ExportRecord",
    "ImportRun",
    "Interaction",
    "InteractionLabel",
    "Order",
    "OrderItem",
    "Product",
    "ProductName",
    "SavedFilter",
    "Sentiment",
    "Tag",
    "Topic",
    "sees_all_customers",
    "visibility_scope",
]
