"""Shares, amounts and ratios are written one way on every page (crm/templatetags/lodestar.py), localised by
Django's floatformat."""

from decimal import Decimal

from django.template import Context, Template

from crm.templatetags.lodestar import money, percent, times


def test_a_share_is_a_whole_percentage_without_a_space():
    assert percent(0.724) == "72%"
    assert percent(Decimal("0.0551"), 1) == "5.5%"
    assert percent(None) == ""


def test_an_amount_has_its_currency_two_decimals_and_grouped_thousands():
    assert money(Decimal("1234.5"), "GBP") == "GBP\u00a01,234.50"
    assert money(3) == "3.00"
    assert money(None, "GBP") == ""


def test_a_ratio_has_one_decimal_and_the_multiplication_sign():
    assert times(1.46) == "1.5×"


def test_the_filters_are_loaded_by_name_in_templates():
    template = Template("{% load lodestar %}{{ p|percent }} {{ a|money:'EUR' }} {{ r|times }}")
    assert template.render(Context({"p": 0.5, "a": 2, "r": 3})) == "50% EUR\u00a02.00 3.0×"


def test_no_template_writes_an_amount_beside_its_currency_by_hand():
    import re
    from pathlib import Path

    from django.conf import settings

    by_hand = re.compile(r"currency\s*}}\s*{{")  # "{{ currency }} {{ amount|floatformat }}" bypasses `money`
    root = Path(settings.BASE_DIR)
    templates = [*root.glob("templates/**/*.html"), *root.glob("*/templates/**/*.html")]
    assert len(templates) > 20
    assert [str(path) for path in templates if by_hand.search(path.read_text())] == []


def test_a_date_and_time_read_as_the_pages_write_them_wherever_django_formats_them(settings):
    import datetime as dt

    from django.utils import formats

    moment = dt.datetime(2026, 12, 7, 13, 0)
    # Django's en-GB default wrote '7 Dec 2026, 1 p.m.' in admin beside the pages' '7 Dec 2026 13:00'
    assert formats.date_format(moment, "DATETIME_FORMAT") == "7 Dec 2026 13:00"
    assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "7 Dec 2026 13:00"
    assert formats.date_format(moment.date()) == "7 Dec 2026"
    assert Template("{{ when }}").render(Context({"when": moment})) == "7 Dec 2026 13:00"
    assert "%d/%m/%Y" in formats.get_format("DATE_INPUT_FORMATS")  # what forms read is Django's still
