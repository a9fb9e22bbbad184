"""Every import format: its file columns, how a row is parsed, how it is staged, cleaned and merged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models

from customers.importing import orders, records
from customers.importing.formats import ORDER_LINE_COLUMNS, lodestar_orders_parser, online_retail_parser
from customers.importing.staging import ORDER_LINE_TYPES
from customers.models import Customer, Interaction, Order, OrderItem, Product, ProductName, Tag

Parser = Callable[[int, dict], tuple]


@dataclass(frozen=True)
class Format:
    """What a file of this format looks like, and the functions that take it into the database."""

    name: str
    columns: tuple[str, ...]  # the file's columns
    required: tuple[str, ...]  # of those, the ones a file must have
    make_parser: Callable[[dict], Parser]  # options -> function(line, row) -> staging tuple
    staging_columns: tuple[str, ...]
    staging_types: dict[str, str]
    indexes: tuple[str, ...]
    clean: Callable[[str], dict[str, int]]
    merge: Callable[..., dict[str, int]]
    fills: tuple[type[models.Model], ...]  # the tables `merge` writes, analysed after it
    # Other names the format's columns go by (another layout of the same export): file column -> column.
    aliases: dict[str, str] = field(default_factory=dict)


def _classified(make_parser: Callable[[dict], Parser]) -> Callable[[dict], Parser]:
    """Order-line parsers plus the one-line cleaning rules (product kind, dropped lines) as they stream in."""

    def make(options: dict) -> Parser:
        parse, classify = make_parser(options), orders.line_classifier()

        def parse_and_classify(line: int, row: dict) -> tuple:
            values = parse(line, row)
            return (*values, *classify(values[2], values[3], values[5], values[6]))

        return parse_and_classify

    return make


RETAIL_COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
# The current UCI export of the same data ("Online Retail II"): Invoice, StockCode, Description, Quantity,
# InvoiceDate, Price, Customer ID, Country.
RETAIL_ALIASES = {"Invoice": "InvoiceNo", "Price": "UnitPrice", "Customer ID": "CustomerID"}
LODESTAR_ORDER_COLUMNS = (
    "order_number",
    "placed_at",
    "customer_id",
    "country",
    "status",
    "channel",
    "currency",
    "sku",
    "product_name",
    "quantity",
    "unit_price",
    "cancels",
)
_ORDER_STAGING = {
    "staging_columns": ORDER_LINE_COLUMNS,
    "staging_types": ORDER_LINE_TYPES,
    "indexes": ("invoice", "sku", "line"),
    "clean": orders.clean,
    "merge": orders.merge,
    "fills": (Customer, Product, ProductName, Order, OrderItem),
}

FORMATS: dict[str, Format] = {
    "online-retail": Format(
        "online-retail",
        RETAIL_COLUMNS,
        RETAIL_COLUMNS,
        _classified(online_retail_parser),
        **_ORDER_STAGING,
        aliases=RETAIL_ALIASES,
    ),
    "lodestar-orders": Format(
        "lodestar-orders",
        LODESTAR_ORDER_COLUMNS,
        ("order_number", "placed_at", "sku", "quantity", "unit_price"),
        _classified(lodestar_orders_parser),
        **_ORDER_STAGING,
    ),
    "lodestar-customers": Format(
        "lodestar-customers",
        records.CUSTOMER_FILE_COLUMNS,
        ("external_id", "name"),
        records.customer_parser,
        records.CUSTOMER_STAGING,
        records.STAGING_TYPES,
        ("external_id",),
        records.clean_customers,
        records.merge_customers,
        (Customer, Tag, Customer.tags.through),
    ),
    "lodestar-products": Format(
        "lodestar-products",
        records.PRODUCT_FILE_COLUMNS,
        ("sku", "name"),
        records.product_parser,
        records.PRODUCT_STAGING,
        records.STAGING_TYPES,
        ("sku",),
        records.clean_products,
        records.merge_products,
        (Product,),
    ),
    "lodestar-interactions": Format(
        "lodestar-interactions",
        records.INTERACTION_FILE_COLUMNS,
        ("customer_id", "occurred_at", "kind"),
        records.interaction_parser,
        records.INTERACTION_STAGING,
        records.STAGING_TYPES,
        ("customer_ext", "external_id"),
        records.clean_interactions,
        records.merge_interactions,
        (Interaction,),
    ),
}
