"""Why a customer's churn risk is what it is, in plain words.

Method (model-agnostic, one question per feature): "how would this customer's risk change if this one value were
typical?" For each feature, every customer's value is replaced by the reference (the median over the customers
the model was last fitted on) and the calibrated probability is computed again; effect = probability now -
probability with the typical value. A positive effect raises the risk (e.g. +0.18: their long silence adds 18
points of churn probability over a typical one), a negative one lowers it. recency_ratio is derived, so it moves
with recency_days and cadence_days and is never explained on its own.

It costs one batched prediction per feature over all customers (16 for 100k customers, no per-customer model
call), and only rows whose value differs from the reference are predicted again. Caveats, as for any
one-at-a-time method: correlated features (spend_90d and spend_trend, say) each get part of a shared story, and
effects need not add up to the difference from the average risk.

Each factor is a JSON-able dict {"feature", "value", "effect", "text"} (a cadence factor, whose words give the
silence too, also carries "recency_days"); per customer, up to `top` raising and `top` lowering factors with
|effect| >= MIN_EFFECT, strongest first (the shape of ChurnScore.factors). Effects are relative to a typical
customer, so a long silence can "lower" the risk of someone whose risk is high anyway; a factor whose words describe
a risk sign (`risk_signs.reads_as_risk`) is never given as lowering it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from insights.models_ml import churn_models as models
from insights.models_ml.features import FEATURE_COLUMNS
from insights.models_ml.risk_signs import reads_as_reassurance, reads_as_risk, silence_words

MIN_EFFECT = 0.01  # below one point of probability a factor explains nothing worth reading


def effects(model, features: pd.DataFrame, probability: np.ndarray | None = None) -> np.ndarray:
    """(customers x FEATURE_COLUMNS) change in churn probability due to each value versus the reference value.
    `probability`: the model's probabilities of `features` when the caller has them already (one prediction less)."""
    matrix = models.design(features)
    base = model.proba_matrix(matrix) if probability is None else np.asarray(probability, dtype=float)
    out = np.zeros((len(features), len(FEATURE_COLUMNS)))
    for j, column in enumerate(FEATURE_COLUMNS):
        reference = model.reference.get(column)
        if reference is None or math.isnan(reference):
            continue  # nobody has a value (e.g. no interaction data at all): nothing to compare with
        differs = ~(matrix[:, j] == reference)  # NaN differs from any reference
        if differs.any():
            changed = models.with_value(matrix[differs], column, reference)
            out[differs, j] = base[differs] - model.proba_matrix(changed)
    return out


def _count(value: float, word: str, plural: str | None = None) -> str:
    return f"{value:,.0f} {word if round(value) == 1 else (plural or word + 's')}"


def _recency(row: dict) -> str:
    return silence_words(row["recency_days"], row["cadence_days"])


def _trend(row: dict) -> str:
    trend = row["spend_trend"]
    if row["spend_365d"] <= 0:
        return "no spend in the last year"
    change = (trend - 1) * 100
    if change <= -10:
        return f"spend in the last 90 days is down {-change:.0f}% on their yearly pace"
    if change >= 10:
        return f"spend in the last 90 days is up {change:.0f}% on their yearly pace"
    return "spend in the last 90 days is in line with their yearly pace"


def _tenure(row: dict) -> str:
    days = row["tenure_days"]
    return f"first order {days:,.0f} days ago" if days < 60 else f"a customer for {days / 30.44:.0f} months"


def _cadence(row: dict) -> str:
    # The usual gap alone ("usually orders every 40 days") says nothing a rep can weigh without the silence it is a
    # gap against, so once there is a gap the factor says both, in the recency's words: when both are picked they
    # read as one story and are said once (and a silence past the gap is never listed as lowering the risk).
    if math.isnan(row["cadence_days"]):
        return "only one purchase day so far, no usual gap yet"
    return _recency(row)


def _regularity(row: dict) -> str:
    cv = row["cadence_cv"]
    if math.isnan(row["cadence_days"]):
        return _cadence(row)  # the same story as cadence_days, so the two read (and are shown) as one
    if math.isnan(cv):
        return "too few orders yet to tell how regular they are"
    if cv >= 1:
        return "orders at irregular intervals"
    return "orders at regular intervals" if cv < 0.5 else "orders at fairly regular intervals"


def _last_contact(row: dict) -> str:
    days = row["days_since_contact"]
    return "no contact on record" if math.isnan(days) else f"last contact {days:,.0f} days ago"


TEXTS = {
    "recency_days": _recency,
    "frequency": lambda row: _count(row["frequency"], "order") + " in total",
    "tenure_days": _tenure,
    "monetary_total": lambda row: f"{row['monetary_total']:,.0f} spent in total",
    "monetary_avg": lambda row: f"{row['monetary_avg']:,.0f} per order on average",
    "orders_90d": lambda row: _count(row["orders_90d"], "order") + " in the last 90 days",
    "orders_365d": lambda row: _count(row["orders_365d"], "order") + " in the last year",
    "spend_90d": lambda row: f"{row['spend_90d']:,.0f} spent in the last 90 days",
    "spend_365d": lambda row: f"{row['spend_365d']:,.0f} spent in the last year",
    "spend_trend": _trend,
    "cadence_days": _cadence,
    "cadence_cv": _regularity,
    "returns": lambda row: (
        "no cancelled or returned orders"
        if row["returns"] == 0
        else _count(row["returns"], "cancelled or returned order")
    ),
    "interactions_90d": lambda row: (
        "no contact in the last 90 days"
        if row["interactions_90d"] == 0
        else _count(row["interactions_90d"], "interaction") + " in the last 90 days"
    ),
    "complaints_90d": lambda row: (
        "no complaints in the last 90 days"
        if row["complaints_90d"] == 0
        else _count(row["complaints_90d"], "complaint") + " in the last 90 days"
    ),
    "negative_90d": lambda row: (
        "no unhappy contact in the last 90 days"
        if row["negative_90d"] == 0
        else _count(row["negative_90d"], "unhappy contact") + " in the last 90 days"
    ),
    "days_since_contact": _last_contact,
}


def describe(feature: str, row: dict) -> str:
    """The plain-words reading of one feature of one customer (`row` maps every FEATURE_COLUMN to its value)."""
    return TEXTS[feature](row)


def explain(
    model, features: pd.DataFrame, top: int = 3, min_effect: float = MIN_EFFECT, probability=None
) -> dict[int, list[dict]]:
    """{customer: [factor, ...]} for every customer of `features`, strongest factor first (see the module doc).
    `probability`: the model's probabilities of `features`, when the caller has them (see `effects`)."""
    if not len(features):
        return {}
    table = effects(model, features, probability)
    top = min(top, table.shape[1])
    # Top-k per row without a Python loop over the model: sort each row's effects once in each direction. Both keep
    # every candidate: a raising factor whose words reassure and a lowering one that reads as a risk sign are
    # skipped, and the next ones take their place (cutting to the top 3 first hid a true reason behind three
    # reassuring words).
    raising = np.argsort(-table, axis=1)
    lowering = np.argsort(table, axis=1)
    values = features.reindex(columns=FEATURE_COLUMNS).to_numpy(dtype=float)
    # Only customers with a factor strong enough are read one by one, as Python lists (indexing numpy arrays an
    # element at a time cost more than the rest of the loop).
    strong = np.flatnonzero((np.abs(table) >= min_effect).any(axis=1))
    out: dict[int, list[dict]] = {int(customer): [] for customer in features.index}
    customers = features.index.to_numpy()[strong].tolist()
    # The silence beside a usual gap, so the pages count it on to today (numpy's rounding, as it has always had).
    silences = np.round(values[strong, FEATURE_COLUMNS.index("recency_days")], 4).tolist()
    for customer, silence, effect, value_row, up, down in zip(
        customers,
        silences,
        table[strong].tolist(),
        values[strong].tolist(),
        raising[strong].tolist(),
        lowering[strong].tolist(),
        strict=True,
    ):
        picked = [j for j in up if effect[j] >= min_effect]
        picked += [j for j in down if effect[j] <= -min_effect]
        picked.sort(key=lambda j: -abs(effect[j]))
        row = dict(zip(FEATURE_COLUMNS, value_row, strict=True))
        factors, said, lowered, raised = [], set(), 0, 0
        for j in picked:
            if (lowered if effect[j] < 0 else raised) >= top:
                continue  # no room for another factor this way: not worded only to be left out
            text = describe(FEATURE_COLUMNS[j], row)
            if text in said:
                continue  # two features telling one story (no cadence yet): say it once, at its strongest
            value = None if math.isnan(value_row[j]) else round(value_row[j], 4)
            factor = {
                "feature": FEATURE_COLUMNS[j],
                "value": value,
                "effect": round(effect[j], 4),
                "text": text,
            }
            if factor["feature"] == "cadence_days" and value is not None:
                factor["recency_days"] = silence
            if factor["effect"] < 0 and (lowered >= top or reads_as_risk(factor)):
                continue
            if factor["effect"] > 0 and reads_as_reassurance(factor):
                continue
            said.add(text)
            lowered += factor["effect"] < 0
            raised += factor["effect"] > 0
            factors.append(factor)
        out[int(customer)] = factors
    return out
