"""One customer's row on the worklist (insights/worklist.py): the figures behind it, their buying rhythm in words and
the churn factor that says why.

*Days since the last order* (`days_since`) counts whole days from the day of the last purchase to today, both in
the site's time zone; the rhythm, the reasons, the messages and the worklist's gone rule all use this count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from customers.models import Customer
from insights.models import ChurnScore
from insights.scores import factor_text, raising_factors


@dataclass
class Entry:
    """One customer on a list: the score row (with the customer and owner), the figures behind it, and why."""

    customer: Customer
    probability: float | None = None
    band: str = ""
    value: float | None = None
    p_alive: float | None = None
    at_risk: float | None = None
    spent: float | None = None
    orders: int = 0
    last_order: dt.datetime | None = None
    usual_gap_days: float | None = None
    days_since: int | None = None
    why: str = ""
    suggestion: object = None  # the next best action (insights/next_actions.py), set by the worklist page

    @property
    def times_usual(self) -> float | None:
        """How many of their usual gaps have passed since the last order."""
        if not self.usual_gap_days or self.days_since is None:
            return None
        return self.days_since / self.usual_gap_days


def days_since(moment: dt.datetime, today: dt.date) -> int:
    """Whole days from the day of `moment` to `today`, both in the site's time zone: the one count of "days since
    the last order" every list, reason and message uses."""
    return (today - timezone.localdate(moment)).days


def set_rhythm(entry: Entry, first: dt.datetime | None, today: dt.date) -> None:
    """Fill in the entry's days since the last order and, from two purchases on, its usual gap between them."""
    if entry.last_order is None:
        return
    entry.days_since = days_since(entry.last_order, today)
    if entry.orders >= 2 and first is not None:
        entry.usual_gap_days = (entry.last_order - first).total_seconds() / 86400 / (entry.orders - 1)


def rhythm_words(entry: Entry) -> str:
    """The customer's buying rhythm in words: '13 orders, about every 30 days, last 34 days ago'."""
    if entry.days_since is None:
        return "no purchase on record"
    if entry.orders <= 1:
        return f"one order, {entry.days_since:,} days ago"
    gap = max(1, round(entry.usual_gap_days or 0))
    return f"{entry.orders:,} orders, about every {gap:,} days, last {entry.days_since:,} days ago"


# The churn factors the rhythm words already say, in the worklist's own count of days: left out of a row's reason.
RHYTHM_FEATURES = frozenset({"recency_days", "cadence_days", "frequency"})


def from_score(score: ChurnScore, today: dt.date, currency: str) -> Entry:
    """The row of an annotated churn score (insights/worklist.py `_scored`), with its first raising factor the
    rhythm words do not already say."""
    entry = Entry(
        customer=score.customer,
        probability=score.probability,
        band=score.band,
        value=score.value,
        p_alive=score.p_alive,
        at_risk=score.at_risk,
        spent=getattr(score, "spent", None),
        orders=score.orders,
        last_order=score.last_order,
    )
    set_rhythm(entry, score.first_order, today)
    factors = [f for f in raising_factors(score.factors) if f.get("feature") not in RHYTHM_FEATURES]
    entry.factors = [factor_text(f, currency) for f in factors][:1]
    return entry
