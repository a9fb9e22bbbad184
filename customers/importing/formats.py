"""Parsing import rows: typed values from text, and the order-line formats (Online Retail, Lodestar orders).

A parser returns the staging tuple or raises RowError naming the column, the value and the reason; it never
touches the database. Order-line formats share one staging layout (ORDER_LINE_COLUMNS) and one merge; the
registry of all formats is customers/importing/registry.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings

from crm import dates


class RowError(Exception):
    """One row cannot be imported: which column, which value, and why."""

    def __init__(self, column: str, value: str, reason: str):
        super().__init__(f"{column}={value!r}: {reason}")
        self.column, self.value, self.reason = column, value, reason


# The staging layout of an order line: what every order-line format produces.
ORDER_LINE_COLUMNS = (
    "line",
    "invoice",
    "is_cancel",
    "sku",
    "description",
    "quantity",
    "unit_price",
    "placed_at",
    "customer_ext",
    "country",
    "status",
    "channel",
    "currency",
    "cancels",
    "kind",
    "drop_reason",
)

_INT = re.compile(r"^[+-]?\d+$")
_PRICE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_CURRENCY = re.compile(r"[A-Z]{3}")
MAX_PRICE_DECIMALS = 4
# Order files repeat the same few thousand prices and quantities on every line: parsed once each.
_QUANTITIES: dict[str, int] = {}
_PRICES: dict[str, tuple[Decimal, bool]] = {}  # text -> (amount, whether it was rounded)
_PRICE_STEP = Decimal(1).scaleb(-MAX_PRICE_DECIMALS)
_MEMO_LIMIT = 100_000


def parse_quantity(column: str, value: str) -> int:
    """A whole number of units."""
    known = _QUANTITIES.get(value)
    if known is not None:
        return known
    text = value.strip()
    if not _INT.match(text):
        raise RowError(column, value, "is not a whole number")
    number = int(text)
    if abs(number) > 2_000_000_000:
        raise RowError(column, value, "is too large")
    if len(_QUANTITIES) < _MEMO_LIMIT:
        _QUANTITIES[value] = number
    return number


def parse_price(column: str, value: str, notes: Counter | None = None) -> Decimal:
    """A decimal amount such as 2.55. More than four decimals (a unit price worked out as amount / quantity:
    0.354167) are rounded half up to four, and counted in `notes["prices_rounded"]`."""
    known = _PRICES.get(value)
    if known is None:
        text = value.strip().replace(",", "")
        if not _PRICE.match(text):
            raise RowError(column, value, "is not a number")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise RowError(column, value, "is not a number") from None
        rounded = -amount.as_tuple().exponent > MAX_PRICE_DECIMALS
        if rounded:
            amount = amount.quantize(_PRICE_STEP, rounding=ROUND_HALF_UP)
        if abs(amount) >= 10**8:
            raise RowError(column, value, "is too large")
        known = (amount, rounded)
        if len(_PRICES) < _MEMO_LIMIT:
            _PRICES[value] = known
    if known[1] and notes is not None:
        notes["prices_rounded"] += 1
    return known[0]


def clean_text(value: str, limit: int) -> str:
    """Trim, fold runs of white space to one space, and cut to the column's length."""
    return " ".join(value.split())[:limit]


class DateParser:
    """Parses the date formats seen in order exports, as local time of `zone`, into UTC.

    Order files repeat the same timestamp on every line of an invoice, so results are memoised."""

    # ISO 8601 (2011-12-09 12:50, with or without seconds or offset) is tried first; then the US style of
    # the original UCI spreadsheet.
    FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S")

    def __init__(self, zone: str):
        self.zone = ZoneInfo(zone)
        self._seen: dict[str, dt.datetime] = {}

    def __call__(self, column: str, value: str) -> dt.datetime:
        hit = self._seen.get(value)
        if hit is not None:
            return hit
        text = value.strip()
        parsed = None
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            for fmt in self.FORMATS:
                try:
                    parsed = dt.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            raise RowError(column, value, "is not a date and time such as 2011-12-09 12:50")
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.zone)
        # Checked before converting to UTC: an offset can push a date such as 0001-01-01T00:30+01:00 before
        # year 1, where the conversion itself fails (OverflowError) and would abort the whole file.
        if not dates.in_range(parsed):
            raise RowError(column, value, f"is outside the years {dates.FIRST_YEAR}-{dates.LAST_YEAR}")
        parsed = parsed.astimezone(dt.UTC)
        if len(self._seen) < 200_000:
            self._seen[value] = parsed
        return parsed


def _customer_id(value: str) -> str:
    text = value.strip()
    # Spreadsheets turn 17850 into 17850.0; it is the same customer.
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text[:64]


def online_retail_parser(options: dict) -> Callable[[int, dict], tuple]:
    """The UCI Online Retail invoice lines: InvoiceNo, StockCode, Description, Quantity, InvoiceDate,
    UnitPrice, CustomerID, Country (the current UCI export names three of them Invoice, Price and Customer ID:
    registry.py maps those). An invoice number starting with C is a cancellation."""
    parse_date = DateParser(options.get("time_zone") or "Europe/London")
    currency = options.get("currency") or settings.DEFAULT_CURRENCY
    notes = options.get("notes")

    def parse(line: int, row: dict) -> tuple:
        invoice = row["InvoiceNo"].strip()
        if not invoice:
            raise RowError("InvoiceNo", row["InvoiceNo"], "is empty")
        # Stock codes differ in case only by mistake (84997d and 84997D are one product): fold them.
        sku = row["StockCode"].strip().upper()
        if not sku:
            raise RowError("StockCode", row["StockCode"], "is empty")
        quantity = parse_quantity("Quantity", row["Quantity"])
        if quantity == 0:
            raise RowError("Quantity", row["Quantity"], "is zero")
        return (
            line,
            invoice[:64],
            1 if invoice[:1] in "cC" else 0,
            sku[:64],
            clean_text(row["Description"], 255),
            quantity,
            parse_price("UnitPrice", row["UnitPrice"], notes),
            parse_date("InvoiceDate", row["InvoiceDate"]),
            _customer_id(row["CustomerID"]),
            clean_text(row["Country"], 64),
            "",
            "web",
            currency,
            "",
        )

    return parse


LODESTAR_STATUSES = {"completed", "cancelled", "returned"}


def lodestar_orders_parser(options: dict) -> Callable[[int, dict], tuple]:
    """Lodestar order lines (docs/import-formats.md): one row per line, positive quantities; the status
    says whether the order was completed, cancelled or returned."""
    parse_date = DateParser(options.get("time_zone") or "UTC")
    default_currency = options.get("currency") or settings.DEFAULT_CURRENCY
    notes = options.get("notes")

    def parse(line: int, row: dict) -> tuple:
        number = row["order_number"].strip()
        if not number:
            raise RowError("order_number", row["order_number"], "is empty")
        sku = row["sku"].strip()
        if not sku:
            raise RowError("sku", row["sku"], "is empty")
        quantity = parse_quantity("quantity", row["quantity"])
        if quantity <= 0:
            raise RowError("quantity", row["quantity"], "must be above zero (use status for cancellations)")
        price = parse_price("unit_price", row["unit_price"], notes)
        if price < 0:
            raise RowError("unit_price", row["unit_price"], "must not be negative")
        status = (row.get("status") or "completed").strip().lower() or "completed"
        if status not in LODESTAR_STATUSES:
            raise RowError("status", row["status"], "must be completed, cancelled or returned")
        currency = (row.get("currency") or default_currency).strip().upper() or default_currency
        if not _CURRENCY.fullmatch(currency):
            raise RowError("currency", row.get("currency", ""), "is not a three-letter currency code")
        return (
            line,
            number[:64],
            0 if status == "completed" else 1,
            sku[:64],
            clean_text(row.get("product_name", ""), 255),
            quantity,
            price,
            parse_date("placed_at", row["placed_at"]),
            _customer_id(row.get("customer_id", "")),
            clean_text(row.get("country", ""), 64),
            status,
            clean_text(row.get("channel", "") or "web", 20).lower(),
            currency,
            (row.get("cancels") or "").strip()[:64],
        )

    return parse
