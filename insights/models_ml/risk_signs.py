"""Which churn factors read as a sign of risk whatever their effect, so they are never listed as lowering it, and
the one wording of a customer's silence against their usual gap (`silence_words`), which the model's factors and the
pages' recounts to today share.

A factor's effect compares the customer with a typical one (see `churn_explain`), so a model can find that "no order
for 120 days, 3.1× their usual gap of 39 days" lowers a risk that is already high for every customer like them. Under
"Lowering the risk" such a line reads backwards to a rep: its own words describe a reason to worry. Plain Python
(no numpy), so the web process can filter the factors a run stored without loading the ML stack.
"""

from __future__ import annotations

NONE_IS_A_RISK = {"orders_90d", "orders_365d", "spend_90d", "spend_365d"}  # no order or spend in the window
SILENCE_FEATURES = {"recency_days", "cadence_days"}  # worded by `silence_words` (cadence: once there is a gap)
ANY_IS_A_RISK = {"complaints_90d", "negative_90d", "returns"}  # complaints, unhappy contacts, returns


def silence_words(days: float, cadence: float | None) -> str:
    """The days since the last order in words, against the usual gap between orders when there is one: the evidence
    a rep needs in one line, "no order for 120 days, 3.1× their usual gap of 39 days" (both figures, not only the
    ratio or only the gap). `cadence` None, NaN or not positive: no usual gap yet (one purchase day)."""
    if cadence is None or not cadence > 0:
        return f"no order for {days:,.0f} days" if days > 30 else f"last order {days:,.0f} days ago"
    ratio = days / cadence
    if ratio >= 1.5:
        return f"no order for {days:,.0f} days, {ratio:.1f}× their usual gap of {cadence:,.0f} days"
    if ratio > 1:
        return f"last order {days:,.0f} days ago, a little past their usual {cadence:,.0f}-day gap"
    return f"last order {days:,.0f} days ago, within their usual {cadence:,.0f}-day gap"


def reads_as_risk(factor: dict) -> bool:
    """True when the factor's own words describe a risk sign: a silence past the usual gap (or a long one with no
    usual gap yet), no order or spend in the last 90 days or year, a complaint, an unhappy contact or a return."""
    feature, value, text = factor.get("feature"), factor.get("value"), factor.get("text", "")
    if feature in SILENCE_FEATURES:
        return text.startswith("no order for") or "past their usual" in text
    if feature == "spend_trend":
        return text == "no spend in the last year"
    if value is None:
        return False
    if feature in NONE_IS_A_RISK:
        return value <= 0
    if feature in ANY_IS_A_RISK:
        return value > 0
    return False


REGULAR = ("orders at regular intervals", "orders at fairly regular intervals")  # churn_explain's cadence_cv words


def reads_as_reassurance(factor: dict) -> bool:
    """True when the factor's words say the customer is on time ("last order 3 days ago, within their usual 7-day
    gap"), orders regularly, spends more than their yearly pace, or has no complaint, unhappy contact or return:
    under "Raising the risk" such a line reads backwards, as a risk sign reads under "Lowering the risk", so it is
    never listed as raising it."""
    feature, value, text = factor.get("feature"), factor.get("value"), factor.get("text", "")
    if feature in SILENCE_FEATURES:
        return "within their usual" in text
    if feature == "cadence_cv":
        return text.startswith(REGULAR)
    if feature == "spend_trend":
        return " is up " in text
    if feature in ANY_IS_A_RISK:
        return value is not None and value <= 0
    return False
