"""What every way into Lodestar checks of an interaction, defined once: the profile's form (customers/forms.py),
the API (customers/api/serializers.py) and the import (customers/importing/records.py) all ask these, so they
cannot drift apart. Dates outside 1900-2100 are crm/dates.py's rule, for every dated record."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

CLOCK_SKEW = dt.timedelta(minutes=5)  # a clock a little ahead of the server's is not "the future"
IN_THE_FUTURE = "An interaction cannot be in the future."
NO_CONTENT = "Write a subject or a few words about it."


def is_in_the_future(when: dt.datetime) -> bool:
    """Whether an interaction dated `when` has not happened yet (beyond a few minutes of clock skew)."""
    return when > timezone.now() + CLOCK_SKEW


def has_content(subject: str | None, body: str | None) -> bool:
    """Whether an interaction says anything: a subject or a body that is not blank."""
    return bool((subject or "").strip() or (body or "").strip())


def validate_not_in_the_future(when: dt.datetime | None) -> None:
    """A field validator (forms and serializers alike): refuse an interaction dated in the future."""
    if when is not None and is_in_the_future(when):
        raise ValidationError(IN_THE_FUTURE, code="in_the_future")


def validate_content(subject: str | None, body: str | None) -> None:
    """Refuse an interaction with neither a subject nor a body."""
    if not has_content(subject, body):
        raise ValidationError(NO_CONTENT, code="no_content")
