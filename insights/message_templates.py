"""The next best action's message templates (insights.models.MessageTemplate), filled with a customer's data by
Django's template engine, safely: an engine of its own with no template loader (so no include or extends) and no
tag library to load, an allow-list of tags and filters checked when an admin saves a template and again before
each rendering, a context of plain strings and lists (never a model instance, so a template cannot reach a method
or a relation), no HTML escaping (the text is a message, and the page escapes it when it shows it), and a cap on
the length of what comes out.

What a template may use (the admin's help text lists it too):

    {{ customer.name }} {{ customer.first_name }} {{ customer.company }} {{ customer.city }}
    {{ rep.name }}                      the member of staff reading the worklist
    {{ products }} {{ products_text }}  the products of the suggestion, as a list (the defaults put one a line:
                                        a name may hold a comma) and as "A; B; C"
    {{ topic }}                         what the customer complained about or praised
    {{ last_order }} {{ days_since }} {{ usual_gap_days }}  the date as the pages write it (7 Dec 2026), days
                                        since it to today, and their usual gap in days
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError

ALLOWED_TAGS = frozenset(
    {"if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith", "firstof", "comment", "endcomment"}
)
ALLOWED_FILTERS = frozenset(
    {
        "default", "default_if_none", "join", "first", "last", "length", "pluralize", "capfirst", "title", "lower",
        "upper", "date", "truncatewords", "truncatechars", "yesno", "linebreaksbr",
    }
)  # fmt: skip
VARIABLES = ("customer", "rep", "products", "products_text", "topic", "last_order", "days_since", "usual_gap_days")
MAX_MESSAGE_CHARS = 5_000  # a message longer than this is cut: a template cannot blow a page up

_ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=False, string_if_invalid="")
_TAG = re.compile(r"{%-?\s*(\w+)")
_FILTER = re.compile(r"\|\s*(\w+)")
_BLOCK = re.compile(r"{{.*?}}|{%.*?%}", re.DOTALL)


def problems(source: str) -> list[str]:
    """What is wrong with a template's source: tags or filters outside the allow-lists, or a syntax error."""
    found = []
    tags = sorted({tag for tag in _TAG.findall(source) if tag not in ALLOWED_TAGS})
    if tags:
        found.append(f"These tags are not allowed: {', '.join(tags)}.")
    used = {name for block in _BLOCK.findall(source) for name in _FILTER.findall(block)}
    filters = sorted(used - ALLOWED_FILTERS)
    if filters:
        found.append(f"These filters are not allowed: {', '.join(filters)}.")
    if not found:
        try:
            _ENGINE.from_string(source)
        except TemplateSyntaxError as error:
            found.append(f"Template error: {error}")
    return found


def check(source: str, field: str = "body") -> None:
    """Raise ValidationError (on `field`) if the template is not one the engine may fill."""
    found = problems(source)
    if found:
        raise ValidationError({field: found})


def fill(source: str, data: dict) -> str:
    """The template filled with `data` (plain values only); a template that is not allowed, or fails, gives a
    short notice instead of the message, so one bad template never takes the worklist down."""
    if problems(source):
        return "(This message template needs fixing in admin: it uses something that is not allowed.)"
    try:
        text = _ENGINE.from_string(source).render(Context(data, autoescape=False))
    except Exception:  # a template error must not break the page; admin's form says what is wrong
        return "(This message template could not be filled; check it in admin.)"
    return text.strip()[:MAX_MESSAGE_CHARS]
