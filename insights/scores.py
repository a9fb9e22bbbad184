"""How a published score is put in words on the pages: the churn factors with their amounts in the base currency,
and which factors are shown at all.

The churn model's factors carry their feature, value and effect; the text the model wrote knows no currency, so the
money factors are worded again here. High spend can raise a churn score (big buyers of the past who went quiet),
but "spent GBP 5,000 in total" read as a reason for risk confuses a rep rather than helping: a money factor is
listed among those raising the risk only when it is a fall in spending."""

from __future__ import annotations

from django.utils.formats import number_format

MONEY_FEATURES = {
    "monetary_total": "{amount} spent in total",
    "monetary_avg": "{amount} per order on average",
    "spend_90d": "{amount} spent in the last 90 days",
    "spend_365d": "{amount} spent in the last year",
}


def money(amount: float, currency: str) -> str:
    """An amount with its currency, in whole units with the locale's grouping: "GBP 1,234"."""
    return f"{currency} {number_format(round(amount), 0, force_grouping=True)}"


def factor_text(factor: dict, currency: str) -> str:
    """A churn factor in words; money factors with the currency they are in."""
    template = MONEY_FEATURES.get(factor.get("feature", ""))
    if template and factor.get("value") is not None:
        return template.format(amount=money(factor["value"], currency))
    return factor.get("text", "")


def raising_factors(factors: list[dict]) -> list[dict]:
    """The factors raising the risk that a rep can act on, strongest first (money totals left out, see above)."""
    return [f for f in factors if f.get("effect", 0) > 0 and f.get("feature") not in MONEY_FEATURES]


def lowering_factors(factors: list[dict]) -> list[dict]:
    """The factors lowering the risk, strongest first."""
    return [f for f in factors if f.get("effect", 0) < 0]
