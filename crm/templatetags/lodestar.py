"""How every page writes a share, an amount and a ratio: one style, through Django's own localised `floatformat`
(the language's decimal and thousands separators), so a figure reads the same on the list, the profile, the
worklist and the dashboards.

- `percent`: a share from 0 to 1 as a whole percentage, "72%" (`digits` decimals if asked: `percent:1`);
- `chance`: a model's probability for one customer as `percent` writes it, but never as a certainty: "over 99%"
  and "under 1%" where a whole percentage would say 100% or 0%;
- `money`: an amount with its currency code and two decimals, "GBP 1,234.50" (no-break space, so it never wraps);
- `times`: a ratio with one decimal and the multiplication sign, "1.5×".

Load with `{% load lodestar %}`. Python code that builds cells (customer list columns) calls the same functions.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.template.defaultfilters import floatformat
from django.utils import formats

register = template.Library()
NO_BREAK = "\u00a0"


def _number(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def write_number(value, places: int | None = None) -> str:
    """`value` in the current language's separators with the thousands grouped (Django's number formatting, which
    caches each language's formats itself)."""
    return formats.number_format(value, places, force_grouping=True)


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


# A probability that a whole percentage would write as 100% or 0%. A model's 0.997 for one customer is a strong sign
# (on the demo, 3% of the customers in its top tenth of risk still ordered), not a certainty a rep may act on as one.
ALMOST_CERTAIN = Decimal("0.995")
ALMOST_NEVER = Decimal("0.005")


@register.filter
def chance(value) -> str:
    """A probability (0.72) as "72%", "over 99%" instead of "100%" and "under 1%" instead of "0%"; "" for none.
    Shares of a group (the share of customers who bought) are exact counts: they take `percent`."""
    number = _number(value)
    if number is None:
        return ""
    if number >= ALMOST_CERTAIN:
        return f"over {percent(Decimal('0.99'))}"
    if number < ALMOST_NEVER:
        return f"under {percent(Decimal('0.01'))}"
    return percent(number)


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
