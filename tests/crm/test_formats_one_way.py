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
