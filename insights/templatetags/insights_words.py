"""Template filters that keep technical names off the page: a model run's verdict reads in plain words, with its
dates as the pages write them (7 Dec 2026) and its two scores to the same decimals, and the technical names (the
metric's, RMSE, ROC-AUC, ...; the method's, random forest, BG/NBD, ...) go into the paragraph's tooltip (the title
attribute). The verdicts are recorded with each run (insights/families/base.py `Evaluation.verdict`), so runs
recorded before a wording changed read the same way."""

from __future__ import annotations

import datetime as dt
import re

from django import template
from django.utils.dateformat import format as date_format

register = template.Library()

# " (RMSE)", " (WAPE of totals)", " (precision@10)": a parenthesised name that is not plain words.
TECHNICAL = re.compile(r" \((RMSE|ROC-AUC|silhouette|precision@10|hit rate@10|WAPE[^)]*|macro-F1)\)")
# " (kmeans)", " (random forest)": the method a model family chose, in parentheses after its plain name.
METHODS = ("kmeans", "ward", "dbscan", "logistic regression", "random forest", "gradient boosting", "svm", "mlp")
METHOD = re.compile(r" \((" + "|".join([*METHODS, "TF-IDF with logistic regression"]) + r")\)")
# Technical names inside the sentence: each is said in plain words, the name goes to the tooltip.
NAMED = {
    "BG/NBD with Gamma-Gamma": ("the purchase-rhythm and spend model", "BG/NBD with Gamma-Gamma"),
    "the named RFM segments": ("segments named by recency, frequency and spend", "RFM"),
    "the VADER lexicon": ("a word list of feelings", "VADER"),
    "on a stratified ": ("on ", ""),
}
# The model's score beside the baseline's ("0.92 vs 0.884", "44.7% vs 77%"), each written to 3 figures when recorded.
SCORES = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(%?) vs (\d+(?:\.\d+)?)(%?)(?![\w.])")
# An ISO day in a verdict recorded by an earlier run ("the 90 days to 2025-06-30").
ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
DATE_FORMAT = "j M Y"  # the pages' date format


def _day(match: re.Match) -> str:
    try:
        return date_format(dt.date(*map(int, match.groups())), DATE_FORMAT)
    except ValueError:
        return match.group(0)


def _decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


def _scores(match: re.Match) -> str:
    """Both scores to the same decimals, so that '0.92 vs 0.884' does not read as if one were rounder: shares to
    one decimal ('44.7% vs 77.0%'), other scores to 2 or 3 ('0.920 vs 0.884', '1.00 vs 0.71')."""
    model, model_share, base, base_share = match.groups()
    if model_share and base_share:
        return f"{float(model):.1f}% vs {float(base):.1f}%"
    if model_share or base_share:
        return match.group(0)
    places = min(3, max(2, _decimals(model), _decimals(base)))
    return f"{float(model):.{places}f} vs {float(base):.{places}f}"


@register.filter
def plain_words(note: str) -> str:
    """The verdict without its technical names, its days written as the pages write them, its scores alike."""
    note = METHOD.sub("", TECHNICAL.sub("", note or ""))
    for technical, (plain, _) in NAMED.items():
        note = note.replace(technical, plain)
    return SCORES.sub(_scores, ISO_DAY.sub(_day, note))


@register.filter
def technical_terms(note: str) -> str:
    """The technical names the verdict used, for its tooltip ("" when none): 'Measured by ROC-AUC; technical
    names: random forest'."""
    note = note or ""
    metrics = TECHNICAL.findall(note)
    methods = [*METHOD.findall(note), *(name for technical, (_, name) in NAMED.items() if name and technical in note)]
    parts = [f"Measured by {', '.join(metrics)}"] if metrics else []
    if methods:
        parts.append(f"technical names: {', '.join(methods)}")
    return "; ".join(parts)
