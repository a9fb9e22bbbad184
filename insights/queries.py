"""What several pages read from the insights app: the customers on a user's worklist today (the worklist page,
insights/worklist.py, and the recommendations app's cross-sell section, recommendations/panels.py, draw from it),
and those on none of the worklist's lists (`unlisted`: the cross-sell section's, so a customer is on one list).
Read-only."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from insights.worklist import WORKLIST_SIZE, scope, unlisted

__all__ = ["WORKLIST_SIZE", "book", "unlisted"]


def book(user, today: dt.date) -> QuerySet:
    """The customers on the user's worklist today: their own (a manager: the team's), less those done or snoozed
    until after today."""
    return scope(user, today)
