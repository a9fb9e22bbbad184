"""The dates Lodestar accepts from people and files: 1900 to 2100, one rule for every form, filter and import.

Outside that range a date is a typing mistake, and near the ends of Python's and PostgreSQL's ranges it breaks
things: a call dated 0001-01-01T00:30:00+01:00 is stored before year 1 and every page showing it fails, and
9999-12-31 plus one day overflows. Comparisons here never convert a value between time zones, so they cannot
overflow themselves.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

FIRST_YEAR, LAST_YEAR = 1900, 2100
_START = dt.datetime(FIRST_YEAR, 1, 1, tzinfo=dt.UTC)
_END = dt.datetime(LAST_YEAR + 1, 1, 1, tzinfo=dt.UTC)
OUT_OF_RANGE = f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}."


def in_range(value: dt.date | dt.datetime) -> bool:
    """Whether `value` (a date, a naive datetime, or an aware one in any zone) falls in 1900-2100. An aware
    datetime is compared as the instant it is, so 1900-01-01T00:30+01:00 (still 1899 in UTC) is out."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return FIRST_YEAR <= value.year <= LAST_YEAR
        return _START <= value < _END
    return FIRST_YEAR <= value.year <= LAST_YEAR


def validate_in_range(value: dt.date | dt.datetime | None) -> None:
    """A field validator: refuse a date outside 1900-2100 with a message saying which dates are accepted."""
    if value is not None and not in_range(value):
        raise ValidationError(OUT_OF_RANGE, code="date_out_of_range")
