"""Template filters that keep technical names off the page: a model run's verdict reads in plain words, with its
dates as the pages write them (7 Dec 2026), and the metric's technical name (RMSE, ROC-AUC, ...) goes into the
paragraph's tooltip (the title attribute)."""

from __future__ import annotations

import datetime as dt
import re

from django import template
from django.utils.dateformat import format as date_format

register = template.Library()

# " (RMSE)", " (WAPE of totals)", " (precision@10)": a parenthesised name that is not plain words.
TECHNICAL = re.compile(r" \((RMSE|ROC-AUC|silhouette|precision@10|hit rate@10|WAPE[^)]*|macro-F1)\)")
# An ISO day in a verdict recorded by an earlier run ("the 90 days to 2025-06-30").
ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
DATE_FORMAT = "j M Y"  # the pages' date format


def _day(match: re.Match) -> str:
    try:
        return date_format(dt.date(*map(int, match.groups())), DATE_FORMAT)
    except ValueError:
        return match.group(0)


@register.filter
def plain_words(note: str) -> str:
    """The verdict without its technical names, its days written as the pages write them."""
    return ISO_DAY.sub(_day, TECHNICAL.sub("", note or ""))


@register.filter
def technical_terms(note: str) -> str:
    """The technical names the verdict used, for its tooltip ("" when none)."""
    found = TECHNICAL.findall(note or "")
    return f"Measured by {', '.join(found)}" if found else ""
