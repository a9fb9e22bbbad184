"""The `day` and `iso` filters give what Django's `date:"j M Y"` and `date:"c"` give, in the current time zone."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import engines
from django.utils import timezone, translation

CASES = [
    dt.datetime(2026, 3, 4, 23, 59, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 31, 23, 30, 15, 123456, tzinfo=dt.UTC),
    dt.date(2026, 2, 1),
    None,
]


def render(source: str, value) -> str:
    return engines["django"].from_string(source).render({"value": value})


@pytest.mark.parametrize("value", CASES)
@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/New_York"])
def test_the_filters_match_djangos_date_formats(value, zone):
    with timezone.override(zone):
        assert render("{{ value|day }}", value) == render('{{ value|date:"j M Y" }}', value)
        assert render("{{ value|iso }}", value) == render('{{ value|date:"c" }}', value)


def test_a_late_evening_in_utc_is_the_next_day_in_tokyo():
    with timezone.override("Asia/Tokyo"):
        assert render("{{ value|day }}", CASES[0]) == "5 Mar 2026"


def test_month_names_follow_the_active_language():
    with translation.override("de"):
        assert render("{{ value|day }}", dt.date(2026, 3, 1)) == render('{{ value|date:"j M Y" }}', dt.date(2026, 3, 1))
        assert render("{{ value|day }}", dt.date(2026, 3, 1)) == "1 Mär 2026"


def test_anything_else_gives_nothing():
    assert render("{{ value|day }}{{ value|iso }}", "not a date") == ""


MONEY_CASES = [
    *(0, 1, -1, 0.5, 2.5, -2.5, 0.005, 2.345, -0.001, 1234.5, -9876543.215, 10**12),
    *(Decimal("2.345"), Decimal("-0.005"), Decimal("1E+3"), "12.5", "not a number", None, ""),
]


@pytest.mark.parametrize("value", MONEY_CASES)
def test_money_and_whole_match_floatformat(value):
    assert render("{{ value|money }}", value) == render('{{ value|floatformat:"2g" }}', value)
    assert render("{{ value|whole }}", value) == render("{% load humanize %}{{ value|floatformat:0|intcomma }}", value)


def test_money_rounds_half_away_from_zero_and_groups_thousands():
    assert render("{{ value|money }}", Decimal("-1234.565")) == "-1,234.57"
    assert render("{{ value|whole }}", 2.5) == "3"
