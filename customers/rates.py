"""Importing exchange rates (customers/models/rates.py) from a CSV file with the header `currency,day,rate`: one
rate per line, the day in ISO 8601 (2026-03-31), the rate as units of the base currency for one unit of the
currency. The whole file is checked before anything is stored, and stored in one transaction: a file with a bad
line changes nothing, and the error names the line and the column. A rate already on file for that currency and
day is replaced, so importing a file twice changes nothing. `manage.py import_rates` and the admin's upload
(customers/admin/rates.py) both read the file through `import_rates_file`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.conf import settings
from django.db import transaction

from customers.models import ExchangeRate
from customers.signals import rates_imported

COLUMNS = ("currency", "day", "rate")
# As the model stores them (ExchangeRate.rate: 18 digits, 8 decimals): checked here, so the database never refuses
# a line halfway through the file.
RATE_DECIMALS = 8
RATE_WHOLE_DIGITS = 10


class RatesError(ValueError):
    """A rates file that cannot be imported; the message names the line and the column."""


@dataclass
class RatesImported:
    created: int
    updated: int
    currencies: tuple[str, ...] = ()

    def __str__(self) -> str:
        """What the admin and the command say once a file is in: the counts, and when the scores follow (the churn
        risk and value of the customers with orders in those currencies are re-scored after commit, as after an
        import of orders; segments are not re-scored between retrains)."""
        rates = "rate" if self.created == 1 else "rates"
        said = f"{self.created} {rates} added, {self.updated} replaced (into {settings.DEFAULT_CURRENCY})."
        if not self.currencies:
            return said
        return (
            f"{said} Amounts on the pages use them now; the churn risk and value of the customers with orders in "
            f"{', '.join(self.currencies)} are being re-scored, their segments follow at the models' next retrain."
        )


def _parse(number: int, row: dict) -> tuple[str, dt.date, Decimal]:
    currency = (row.get("currency") or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise RatesError(f"Line {number}, currency: “{row.get('currency')}” is not a three-letter code such as EUR.")
    if currency == settings.DEFAULT_CURRENCY:
        raise RatesError(f"Line {number}, currency: {currency} is the base currency; its rate is always 1.")
    try:
        day = dt.date.fromisoformat((row.get("day") or "").strip())
    except ValueError:
        raise RatesError(f"Line {number}, day: “{row.get('day')}” is not a date such as 2026-03-31.") from None
    try:
        rate = Decimal((row.get("rate") or "").strip())
    except InvalidOperation:
        raise RatesError(f"Line {number}, rate: “{row.get('rate')}” is not a number.") from None
    if not rate.is_finite() or rate <= 0:
        raise RatesError(f"Line {number}, rate: {rate} must be a number above 0.")
    if rate >= 10**RATE_WHOLE_DIGITS or -rate.as_tuple().exponent > RATE_DECIMALS:
        raise RatesError(
            f"Line {number}, rate: {rate} has more than {RATE_WHOLE_DIGITS} digits before the point or "
            f"{RATE_DECIMALS} after it."
        )
    return currency, day, rate


def import_rates_file(binary: BinaryIO) -> RatesImported:
    """Check and store the rates of a CSV file opened in binary mode: UTF-8, with or without a byte-order mark."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    try:
        return import_rates(text)
    except UnicodeDecodeError:
        raise RatesError("The file is not UTF-8 text; save it as CSV (UTF-8) and try again.") from None
    finally:
        text.detach()  # the caller closes the file it opened


def import_rates(lines: Iterable[str]) -> RatesImported:
    """Check and store the rates of a CSV file's lines (see the module doc)."""
    reader = csv.DictReader(lines)
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise RatesError(f"Line 1: the header needs the columns {', '.join(COLUMNS)}; missing {', '.join(missing)}.")
    rates: dict[tuple[str, dt.date], Decimal] = {}
    for number, row in enumerate(reader, start=2):
        currency, day, rate = _parse(number, row)
        rates[(currency, day)] = rate
    created = updated = 0
    with transaction.atomic():
        for (currency, day), rate in rates.items():
            _, made = ExchangeRate.objects.update_or_create(currency=currency, day=day, defaults={"rate": rate})
            created, updated = created + made, updated + (not made)
        currencies = tuple(sorted({currency for currency, _ in rates}))
        if currencies:
            rates_imported.send(sender=ExchangeRate, currencies=currencies)
    return RatesImported(created, updated, currencies)
