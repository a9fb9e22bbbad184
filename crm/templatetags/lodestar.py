"""How every page writes a share, an amount and a ratio: one style, through Django's own localised `floatformat`
(the language's decimal and thousands separators), so a figure reads the same on the list, the profile, the
worklist and the dashboards.

- `percent`: a share from 0 to 1 as a whole percentage, "72%" (`digits` decimals if asked: `percent:1`);
- `money`: an amount with its currency code and two decimals, "GBP 1,234.50" (no-break space, so it never wraps);
- `times`: a ratio with one decimal and the multiplication sign, "1.5×".

Load with `{% load lodestar %}`. Python code that builds cells (customer list columns) calls the same functions.
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.core.signals import setting_changed
from django.template.defaultfilters import floatformat
from django.utils import formats, numberformat
from django.utils.translation import get_language

register = template.Library()
NO_BREAK = "\u00a0"


def _number(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@functools.cache
def _separators(language: str | None) -> tuple:
    """The decimal separator, grouping and thousands separator of `language`, as `formats.number_format` reads
    them at every call (three `get_format` lookups, each finding the language again): read once per language."""
    return tuple(
        formats.get_format(name, language) for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR")
    )


def _forget_separators(**kwargs) -> None:
    _separators.cache_clear()  # as Django clears its own format cache when a test changes the settings


setting_changed.connect(_forget_separators, dispatch_uid="lodestar-number-separators")


def write_number(value, places: int | None = None) -> str:
    """`formats.number_format(value, places, force_grouping=True)` (Django's number formatting, in the current
    language), with the language's separators read once rather than at every figure."""
    decimal, grouping, thousands = _separators(get_language())
    return numberformat.format(value, decimal, places, grouping, thousands, force_grouping=True, use_l10n=True)


def grouped(number: Decimal, places: int) -> str:
    """`number` as `floatformat:"<places>g"` writes it (rounded half up to `places` decimals, in the language's
    separators with the thousands grouped): rounded here, then written by Django's number formatting
    (`write_number`), which floatformat ends with too; floatformat first parses its input again and rebuilds the
    digits, twice the time (the list writes 150 figures a page). A rounded negative zero is written "0", as
    floatformat does."""
    try:
        rounded = number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context holds: floatformat copes
        rounded = None
    if rounded is None or not rounded.is_finite():
        return floatformat(number, f"{places}g")
    return write_number(rounded if rounded else abs(rounded), places)


@register.filter
def percent(value, digits: int = 0) -> str:
    """A share (0.72) as "72%"; "" for none."""
    number = _number(value)
    if number is None:
        return ""
    return f"{grouped(number * 100, int(digits))}%"


@register.filter
def money(value, currency: str = "") -> str:
    """An amount as "GBP 1,234.50" (with `currency`), or "1,234.50"; "" for none."""
    number = _number(value)
    if number is None:
        return ""
    amount = grouped(number, 2)
    return f"{currency}{NO_BREAK}{amount}" if currency else amount


@register.filter
def times(value) -> str:
    """A ratio (1.46) as "1.5×"; "" for none."""
    number = _number(value)
    if number is None:
        return ""
    return f"{grouped(number, 1)}×"
