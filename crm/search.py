"""Search that ignores case, accents and quotes, the same on PostgreSQL and SQLite.

"Zoë" finds "Zoe", "Muller" finds "Müller", and "O'Brien" finds "O’Brien": both the searched column and the
words typed are folded (lower case, accents taken off, quote marks removed) before the comparison. `Fold` is a
database function, so nothing is stored twice and nothing has to be kept in step by the importers:

- PostgreSQL: `translate(lower(x), from, to)`, a built-in (the `unaccent` extension would need a superuser to
  install it, which a managed database may not grant);
- SQLite (the quick start, and `make test`'s second pass): a Python function registered on each new connection
  (crm/signals.py), which applies `fold` itself.

Folding costs a little per row in the scans `icontains` does anyway; an id or SKU is matched by prefix, on its own.
"""

from __future__ import annotations

import unicodedata

from django.db.models import BooleanField, Case, CharField, Func, Value, When

QUOTES = "'\"‘’‚‛“”„‟`´«»"
# Letters that do not decompose into a base letter and an accent.
SPECIAL = {"ø": "o", "đ": "d", "ħ": "h", "ł": "l", "ŧ": "t", "ı": "i"}


def _table() -> tuple[str, str]:
    """(from, to) for translate(): each accented Latin letter, either case, and its lower-case base letter. Upper
    case is in the table too: PostgreSQL's lower() leaves accented capitals alone in a database whose character
    type is C."""
    source, target = [], []
    for code in range(0xC0, 0x250):
        char = chr(code)
        lower = char.lower()
        if len(lower) != 1:
            continue
        base = SPECIAL.get(lower) or unicodedata.normalize("NFKD", lower)[0]
        if base != char and base.isascii() and base.isalpha():
            source.append(char)
            target.append(base)
    return "".join(source), "".join(target)


FROM, TO = _table()
# translate() deletes the characters of `from` that have no counterpart in `to`: the quote marks.
FROM_WITH_QUOTES = FROM + QUOTES
_TRANSLATION = str.maketrans(FROM, TO, QUOTES)


def fold(text: str | None) -> str:
    """`text` in lower case, without accents or quote marks (what `Fold` computes in the database)."""
    if text is None:
        return ""
    return text.lower().translate(_TRANSLATION)


# Text made only of these characters (printable ASCII without the quote marks ' " `) folds to its lower case: no
# accented letter to take off and no quote mark to remove.
PLAIN = "[^ !#-&(-_a-~]"  # a PostgreSQL regular expression matching any character outside them


class Fold(Func):
    """The database's `fold` of a text column or expression.

    On PostgreSQL, `translate()` compares each character with each of the table's 285, about 30 us per name
    (3 s to fold 100k names; a search's count rechecks every candidate row its trigram indexes find, and its
    first page filters rows in name order until 50 match): only text with a character outside PLAIN is
    translated, the rest (most names, companies and SKUs) is only lower-cased, the same result for a tenth of the
    time. The indexes of customers/migrations/0018 are on this expression, character for character."""

    function = "lodestar_fold"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        text = self.source_expressions[0]
        lower = Func(text, function="LOWER", output_field=CharField())
        translated = Func(lower, Value(FROM_WITH_QUOTES), Value(TO), function="TRANSLATE", output_field=CharField())
        unusual = Func(text, Value(PLAIN), function="", arg_joiner=" ~ ", output_field=BooleanField())
        expression = Case(When(unusual, then=translated), default=lower, output_field=CharField())
        return expression.as_sql(compiler, connection, **extra_context)


def register_sqlite_fold(sender, connection, **kwargs) -> None:
    """connection_created receiver: give a new SQLite connection the lodestar_fold() function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("lodestar_fold", 1, fold, deterministic=True)
