"""Safe, streamed CSV exports of what a user may see, each one recorded for the audit trail.

Rows are read from the database in chunks and written out as they come, so 100k customers cost the same
memory as 100. Text that a spreadsheet would run as a formula is neutralised (OWASP "CSV injection").
Values are written one way whatever the column: yes/no for booleans, ISO 8601 for dates and times (in the
current time zone, to the second), amounts with two decimals; the customer export carries the columns the list
shows (segment, churn risk, value: registered through customers/list_extensions.py).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import CharField, Count, DecimalField, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import timezone

from customers.models import ExportRecord

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Characters a spreadsheet may skip before it looks for a formula: spaces and other white space (tab, CR, LF,
# vertical tab, form feed, no-break and ideographic spaces), a zero-width space and a byte-order mark. A cell
# that starts with any run of them followed by =, +, - or @, or that starts with a tab, CR or LF, is disarmed.
SKIPPED_BEFORE_FORMULA = " \t\r\n\x0b\x0c\xa0\u3000\u200b\ufeff"
CHUNK_ROWS = 2000


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would treat as a formula with an apostrophe; other values pass.

    Leading white space, zero-width spaces and byte-order marks do not disarm a formula in every spreadsheet,
    so they are looked through (OWASP "CSV injection")."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_STARTS) or value.lstrip(SKIPPED_BEFORE_FORMULA).startswith(FORMULA_STARTS)
    ):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write returns the line, for csv.writer inside a streaming response."""

    def write(self, value: str) -> str:
        return value


def stream_csv(header: list[str], rows: Iterable[tuple], record: ExportRecord) -> Iterator[str]:
    """Yield the CSV text of `rows`, neutralised; when done, store how many rows went out on `record`."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    count = 0
    buffer: list[str] = []
    for row in rows:
        buffer.append(writer.writerow([neutralise(value) for value in row]))
        count += 1
        if len(buffer) >= 500:
            yield "".join(buffer)
            buffer.clear()
    if buffer:
        yield "".join(buffer)
    ExportRecord.objects.filter(pk=record.pk).update(row_count=count, finished_at=timezone.now())


CUSTOMER_COLUMNS = [
    ("external_id", "external_id"),
    ("name", "name"),
    ("email", "email"),
    ("phone", "phone"),
    ("company", "company"),
    ("country", "country"),
    ("city", "city"),
    ("acquisition_channel", "acquisition_channel"),
    ("owner", "owner__username"),  # the username, which import_customers reads back
    ("owner_name", "owner_name"),  # the name the pages show (get_full_name, else the username)
    ("marketing_consent", "marketing_consent"),
    ("profiling_consent", "profiling_consent"),
    ("created_at", "created_at"),
    ("orders", "order_count"),
    ("last_order_at", "last_order_at"),
]


BOM = "\ufeff"  # the byte-order mark that makes spreadsheet programs read a CSV file as UTF-8
CENT = Decimal("0.01")


def plain(value: Any) -> Any:
    """A value as the export writes it: yes/no, ISO 8601 (local time, seconds), blank for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return (
            timezone.localtime(value).isoformat(timespec="seconds") if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def money(value: Any) -> str:
    """An amount with two decimals, rounded half up; blank for none."""
    if value is None:
        return ""
    return str(Decimal(value).quantize(CENT, ROUND_HALF_UP))


def customer_rows(
    customers: QuerySet, extra: list[tuple[str, Callable[[dict], Any]]] = (), annotations: list[str] = ()
) -> tuple[list[str], Iterator[tuple]]:
    """Header and rows of a customer export; `customers` is already restricted and filtered. `extra` adds the
    columns other apps register (header, value of one row), which read `annotations` from the row."""
    fields = [field for _, field in CUSTOMER_COLUMNS]
    reads = list(dict.fromkeys([*fields, "profiling_consent", *annotations]))
    full_name = Trim(Concat("owner__first_name", Value(" "), "owner__last_name", output_field=CharField()))
    customers = customers.annotate(owner_name=Coalesce(NullIf(full_name, Value("")), "owner__username"))
    records = customers.values(*reads).iterator(chunk_size=CHUNK_ROWS)
    header = [name for name, _ in CUSTOMER_COLUMNS] + [name for name, _ in extra]
    rows = (
        tuple(plain(row[field]) for field in fields) + tuple(plain(get(row)) for _, get in extra) for row in records
    )
    return header, rows


ORDER_COLUMNS = [
    "order_number",
    "placed_at",
    "status",
    "customer_id",
    "customer",
    "channel",
    "currency",
    "lines",
    "total",
]


def order_rows(orders: QuerySet) -> tuple[list[str], Iterator[tuple]]:
    """Header and rows of an order export, with line counts and totals summed by the database (two decimals)."""
    line_total = F("items__quantity") * F("items__unit_price")
    records = (
        orders.order_by("placed_at", "pk")
        .annotate(
            lines=Count("items"), total=Sum(line_total, output_field=DecimalField(max_digits=20, decimal_places=4))
        )
        .values_list(
            "external_number",
            "placed_at",
            "status",
            "customer__external_id",
            "customer__name",
            "channel",
            "currency",
            "lines",
            "total",
        )
        .iterator(chunk_size=CHUNK_ROWS)
    )
    rows = (tuple(plain(value) for value in row[:-1]) + (money(row[-1] or 0),) for row in records)
    return ORDER_COLUMNS, rows
