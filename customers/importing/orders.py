"""Cleaning and merging staged order lines: set-based SQL that runs the same on PostgreSQL and SQLite.

`clean` marks each staged line with the rule that drops it (if any) and the kind of its product, and counts
what every rule touched. `merge` then writes customers, products, name variants, orders and lines in one
pass each, skipping invoices the database already has: importing the same file twice changes nothing, and
an overlapping file adds only what is new. The caller runs `merge` inside one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext
from decimal import Decimal

from django.conf import settings
from django.db import connection

from customers.bulk import indexes_and_keys_built_after
from customers.importing.sql import execute, row, scalar
from customers.models import Customer, Order, OrderItem, Product, ProductName

# Stock codes that are not goods, by kind: Online Retail's own codes.
NON_PRODUCT_SKUS = {
    "shipping": ["POST", "DOT", "C2"],
    "fee": ["BANK CHARGES", "AMAZONFEE", "CRUK"],
    "adjustment": ["M", "m", "D", "S", "B", "ADJUST", "ADJUST2"],
}
VOUCHER_PREFIX = "gift_"  # gift vouchers sold or redeemed: money, not goods
KEPT = "drop_reason IS NULL"
# The order in which a report lists its counts: what was read, what each rule did, what was created.
REPORT_ORDER = [
    "rows_read",
    "rows_rejected",
    "lines_staged",
    "duplicate_lines",
    "stock_adjustment_lines",
    "zero_price_lines",
    "negative_price_lines",
    "lines_kept",
    "non_product_lines",
    "cancellation_lines",
    "missing_customer_lines",
    "invoices",
    "cancellation_invoices",
    "anonymous_invoices",
    "invoices_with_several_times",
    "invoices_with_several_customers",
    "customers_in_file",
    "customers_with_several_countries",
    "skus_in_file",
    "skus_with_several_names",
    "invoices_already_present",
    "lines_already_present",
    "customers_created",
    "products_created",
    "orders_created",
    "order_items_created",
    "cancellations_linked",
    "outlier_orders_flagged",
]


def ordered_counts(counts: dict[str, int]) -> list[tuple[str, int]]:
    """A report's counts in reading order (the database may store JSON keys in any order)."""
    known = [(key, counts[key]) for key in REPORT_ORDER if key in counts]
    return known + sorted((key, value) for key, value in counts.items() if key not in REPORT_ORDER)


RAPID_CANCEL_HOURS = 24


def non_product_kinds() -> dict[str, str]:
    """Stock code -> kind for the codes that are not goods (settings.IMPORT_NON_PRODUCT_SKUS adds more)."""
    kinds = {code: kind for kind, codes in NON_PRODUCT_SKUS.items() for code in codes}
    for kind, codes in getattr(settings, "IMPORT_NON_PRODUCT_SKUS", {}).items():
        kinds.update(dict.fromkeys(codes, kind))
    return kinds


def line_classifier() -> Callable[[int, str, int, Decimal], tuple[str, str | None]]:
    """A function giving a staged line's product kind and the rule that drops it, if any.

    These rules look at one line alone, so they run while the file streams in, instead of as UPDATEs that
    would rewrite every staged row; only duplicates need the whole file (see `clean`)."""
    kinds = non_product_kinds()

    def classify(is_cancel: int, sku: str, quantity: int, price: Decimal) -> tuple[str, str | None]:
        kind = kinds.get(sku) or ("adjustment" if sku.lower().startswith(VOUCHER_PREFIX) else "product")
        if not is_cancel and quantity < 0:
            # A negative quantity outside a cancellation is a stock write-off ("damaged", "lost"), not a sale.
            return kind, "stock_adjustment"
        if price < 0:
            return kind, "negative_price"
        if price == 0 and not is_cancel:
            return kind, "zero_price"
        return kind, None

    return classify


def clean(stage: str) -> dict[str, int]:
    """Drop exact duplicate lines, then count what every cleaning rule touched, in a few passes."""
    # Exact duplicates: the same line twice in the file. The first one stays.
    execute(
        f"""UPDATE {stage} SET drop_reason = 'duplicate_line' WHERE line IN (
              SELECT line FROM (
                SELECT line, ROW_NUMBER() OVER (
                  PARTITION BY invoice, sku, description, quantity, unit_price, placed_at, customer_ext, country,
                               status, channel, currency, cancels
                  ORDER BY line) AS copy_no
                FROM {stage}) copies
              WHERE copy_no > 1)"""
    )
    counts: dict[str, int] = {}
    (
        counts["lines_staged"],
        counts["duplicate_lines"],
        counts["stock_adjustment_lines"],
        counts["negative_price_lines"],
        counts["zero_price_lines"],
        counts["lines_kept"],
        counts["non_product_lines"],
        counts["cancellation_lines"],
        counts["missing_customer_lines"],
    ) = row(
        f"""SELECT COUNT(*),
              SUM(CASE WHEN drop_reason = 'duplicate_line' THEN 1 ELSE 0 END),
              SUM(CASE WHEN drop_reason = 'stock_adjustment' THEN 1 ELSE 0 END),
              SUM(CASE WHEN drop_reason = 'negative_price' THEN 1 ELSE 0 END),
              SUM(CASE WHEN drop_reason = 'zero_price' THEN 1 ELSE 0 END),
              SUM(CASE WHEN {KEPT} THEN 1 ELSE 0 END),
              SUM(CASE WHEN {KEPT} AND kind <> 'product' THEN 1 ELSE 0 END),
              SUM(CASE WHEN {KEPT} AND is_cancel = 1 THEN 1 ELSE 0 END),
              SUM(CASE WHEN {KEPT} AND customer_ext = '' THEN 1 ELSE 0 END)
            FROM {stage}"""
    )
    (
        counts["invoices"],
        counts["cancellation_invoices"],
        counts["anonymous_invoices"],
        counts["invoices_with_several_times"],
        counts["invoices_with_several_customers"],
    ) = row(
        f"""SELECT COUNT(*), SUM(cancel), SUM(anonymous), SUM(spread), SUM(mixed) FROM (
              SELECT MAX(is_cancel) AS cancel,
                     CASE WHEN MAX(customer_ext) = '' THEN 1 ELSE 0 END AS anonymous,
                     CASE WHEN MIN(placed_at) <> MAX(placed_at) THEN 1 ELSE 0 END AS spread,
                     CASE WHEN MIN(customer_ext) <> MAX(customer_ext) THEN 1 ELSE 0 END AS mixed
              FROM {stage} WHERE {KEPT} GROUP BY invoice) invoices"""
    )
    counts["customers_in_file"], counts["customers_with_several_countries"] = row(
        f"""SELECT COUNT(*), SUM(CASE WHEN first_country <> last_country THEN 1 ELSE 0 END) FROM (
              SELECT MIN(country) AS first_country, MAX(country) AS last_country
              FROM {stage} WHERE {KEPT} AND customer_ext <> '' GROUP BY customer_ext) customers"""
    )
    counts["skus_in_file"], counts["skus_with_several_names"] = row(
        f"""SELECT COUNT(*), SUM(CASE WHEN first_name <> last_name THEN 1 ELSE 0 END) FROM (
              SELECT MIN(description) AS first_name, MAX(description) AS last_name
              FROM {stage} WHERE {KEPT} GROUP BY sku) skus"""
    )
    return counts


def merge(stage: str, now: dt.datetime) -> dict[str, int]:
    """Write what is new in the staged lines into the real tables; returns what was created."""
    customer, product, name = Customer._meta.db_table, Product._meta.db_table, ProductName._meta.db_table
    order, item = Order._meta.db_table, OrderItem._meta.db_table
    counts: dict[str, int] = {}
    present = f"invoice IN (SELECT external_number FROM {order})"
    counts["invoices_already_present"], counts["lines_already_present"] = row(
        f"SELECT COUNT(DISTINCT invoice), COUNT(*) FROM {stage} WHERE {KEPT} AND {present}"
    )
    # Invoices the database has are left alone: their lines leave the staging table (cheaper than marking them).
    execute(f"DELETE FROM {stage} WHERE {present}")
    new = KEPT

    # Customers: one per id, in the country most of their lines give (ties: alphabetical). The conflict target
    # repeats the partial index's condition word for word: SQLite matches it textually.
    counts["customers_created"] = execute(
        f"""INSERT INTO {customer} (external_id, name, email, phone, company, country, city, acquisition_channel,
                                    marketing_consent, profiling_consent, created_at, updated_at)
            SELECT customer_ext, 'Customer ' || customer_ext, '', '', '', country, '', 'web', %s, %s, %s, %s
            FROM (SELECT customer_ext, country,
                         ROW_NUMBER() OVER (PARTITION BY customer_ext ORDER BY COUNT(*) DESC, country) AS choice
                  FROM {stage} WHERE {new} AND customer_ext <> '' GROUP BY customer_ext, country) ranked
            WHERE choice = 1
            ON CONFLICT (external_id) WHERE NOT (external_id = '') DO NOTHING""",
        [False, True, now, now],
    )
    # Products: named by their most used description; priced at their latest sale price.
    counts["products_created"] = execute(
        f"""INSERT INTO {product} (sku, name, description, category, price, is_active, kind, created_at, updated_at)
            SELECT named.sku, COALESCE(NULLIF(named.description, ''), named.sku), '', '', priced.unit_price, %s,
                   named.kind, %s, %s
            FROM (SELECT sku, description, kind,
                         ROW_NUMBER() OVER (PARTITION BY sku ORDER BY COUNT(*) DESC, description) AS choice
                  FROM {stage} WHERE {new} GROUP BY sku, description, kind) named
            JOIN (SELECT sku, unit_price,
                         ROW_NUMBER() OVER (PARTITION BY sku ORDER BY is_cancel, placed_at DESC, line DESC) AS latest
                  FROM {stage} WHERE {new}) priced ON priced.sku = named.sku AND priced.latest = 1
            WHERE named.choice = 1
            ON CONFLICT (sku) DO NOTHING""",
        [True, now, now],
    )
    execute(
        f"""INSERT INTO {name} (product_id, name, line_count)
            SELECT p.id, s.description, COUNT(*) FROM {stage} s JOIN {product} p ON p.sku = s.sku
            WHERE s.{new} AND s.description <> '' GROUP BY p.id, s.description
            ON CONFLICT (product_id, name) DO UPDATE SET line_count = {name}.line_count + excluded.line_count"""
    )
    # Into empty order tables (a first import) the lines go in with indexes and keys built after them: several
    # times faster, and nobody is working with tables that hold nothing yet.
    initial_load = not Order.objects.exists()
    with (
        indexes_and_keys_built_after([Order, OrderItem], [Customer, Product, Order]) if initial_load else nullcontext()
    ):
        # Orders: an invoice's time is its earliest line's; a status other than completed makes it a cancellation.
        counts["orders_created"] = execute(
            f"""INSERT INTO {order} (external_number, customer_id, placed_at, status, channel, currency, is_outlier,
                                     created_at)
                SELECT i.invoice, c.id, i.placed_at, i.status, i.channel, i.currency, %s, %s
                FROM (SELECT invoice, MAX(customer_ext) AS customer_ext, MIN(placed_at) AS placed_at,
                             CASE WHEN MAX(is_cancel) = 0 THEN 'completed'
                                  WHEN MAX(status) = 'returned' THEN 'returned' ELSE 'cancelled' END AS status,
                             MAX(channel) AS channel, MAX(currency) AS currency
                      FROM {stage} WHERE {new} GROUP BY invoice) i
                LEFT JOIN {customer} c ON c.external_id = i.customer_ext AND i.customer_ext <> ''
                WHERE true
                ON CONFLICT (external_number) DO NOTHING""",
            [False, now],
        )
        counts["order_items_created"] = execute(
            f"""INSERT INTO {item} (order_id, line_number, product_id, quantity, unit_price)
                SELECT o.id, ROW_NUMBER() OVER (PARTITION BY s.invoice ORDER BY s.line), p.id,
                       ABS(s.quantity), s.unit_price
                FROM {stage} s JOIN {order} o ON o.external_number = s.invoice JOIN {product} p ON p.sku = s.sku
                WHERE s.{new}"""
        )
    counts.update(_link_cancellations(stage, order, item, new))
    return counts


def _link_cancellations(stage: str, order: str, item: str, new: str) -> dict[str, int]:
    """Point each new cancellation at the order it reverses and flag rapid reversals as outliers."""
    # Named in the file (Lodestar format's `cancels` column).
    execute(
        f"""UPDATE {order} SET cancels_id = (SELECT o.id FROM {order} o WHERE o.external_number = (
                SELECT MAX(s.cancels) FROM {stage} s WHERE s.invoice = {order}.external_number))
            WHERE status <> 'completed' AND cancels_id IS NULL AND external_number IN (
                SELECT invoice FROM {stage} WHERE {new} AND cancels <> '')"""
    )
    # Otherwise inferred: the latest earlier completed order of the same customer with the first cancelled
    # product on it in at least the cancelled quantity. One set-based pass, not a lookup per cancellation.
    execute(
        f"""UPDATE {order} SET cancels_id = matches.original_id FROM (
              SELECT cancel_id, original_id FROM (
                SELECT c.id AS cancel_id, o.id AS original_id,
                       ROW_NUMBER() OVER (PARTITION BY c.id ORDER BY o.placed_at DESC, o.id DESC) AS pick
                FROM {order} c
                JOIN {item} ci ON ci.order_id = c.id AND ci.line_number = 1
                JOIN {item} i ON i.product_id = ci.product_id AND i.quantity >= ci.quantity
                JOIN {order} o ON o.id = i.order_id AND o.customer_id = c.customer_id
                              AND o.status = 'completed' AND o.placed_at <= c.placed_at
                WHERE c.status <> 'completed' AND c.cancels_id IS NULL AND c.customer_id IS NOT NULL
                  AND c.external_number IN (SELECT invoice FROM {stage} WHERE {new} AND is_cancel = 1)
              ) ranked WHERE pick = 1) matches
            WHERE {order}.id = matches.cancel_id"""
    )
    linked = scalar(
        f"""SELECT COUNT(*) FROM {order} WHERE cancels_id IS NOT NULL
            AND external_number IN (SELECT invoice FROM {stage} WHERE {new} AND is_cancel = 1)"""
    )
    # An order undone (90 % of its units or more) within a day is noise, not behaviour (Online Retail's
    # 80,995 paper birdies): both orders stay, flagged, so models can leave them out.
    window = dt.timedelta(hours=RAPID_CANCEL_HOURS)
    reversed_orders = f"""SELECT c.cancels_id FROM {order} c JOIN {order} o ON o.id = c.cancels_id
            WHERE c.placed_at - o.placed_at <= %s
              AND (SELECT SUM(quantity) FROM {item} WHERE order_id = c.id) * 10
                  >= (SELECT SUM(quantity) FROM {item} WHERE order_id = o.id) * 9
              AND c.external_number IN (SELECT invoice FROM {stage} WHERE {new} AND is_cancel = 1)"""
    if connection.vendor != "postgresql":
        reversed_orders = reversed_orders.replace(
            "c.placed_at - o.placed_at <= %s", "julianday(c.placed_at) - julianday(o.placed_at) <= %s"
        )
        window = window.total_seconds() / 86400
    flagged = execute(
        f"""UPDATE {order} SET is_outlier = %s WHERE id IN ({reversed_orders})
            OR (cancels_id IN ({reversed_orders}))""",
        [True, window, window],
    )
    return {"cancellations_linked": linked, "outlier_orders_flagged": flagged}
