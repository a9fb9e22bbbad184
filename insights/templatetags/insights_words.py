"""Template filters that keep technical names off the page: a model run's verdict reads in plain words, and the
metric's technical name (RMSE, ROC-AUC, ...) goes into the paragraph's tooltip (the title attribute)."""

from __future__ import annotations

import re

from django import template

register = template.Library()

# " (RMSE)", " (WAPE of totals)", " (precision@10)": a parenthesised name that is not plain words.
TECHNICAL = re.compile(r" \((RMSE|ROC-AUC|silhouette|precision@10|hit rate@10|WAPE[^)]*|macro-F1)\)")


@register.filter
def plain_words(note: str) -> str:
    """The verdict without its technical names."""
    return TECHNICAL.sub("", note or "")


@register.filter
def technical_terms(note: str) -> str:
    """The technical names the verdict used, for its tooltip ("" when none)."""
    found = TECHNICAL.findall(note or "")
    return f"Measured by {', '.join(found)}" if found else ""
