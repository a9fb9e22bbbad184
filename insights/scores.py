"""How a published score is put in words on the pages: the churn factors with their amounts in the base currency,
and which factors are shown at all.

The churn model's factors carry their feature, value and effect; the text the model wrote knows no currency, so the
money factors are worded again here. High spend can raise a churn score (big buyers of the past who went quiet),
but "spent GBP 5,000 in total" read as a reason for risk confuses a rep rather than helping: a money factor is
listed among those raising the risk only when it is a fall in spending."""

from __future__ import annotations

from crm.templatetags.lodestar import money
from insights.models_ml.risk_signs import reads_as_risk

MONEY_FEATURES = {
    "monetary_total": "{amount} spent in total",
    "monetary_avg": "{amount} per order on average",
    "spend_90d": "{amount} spent in the last 90 days",
    "spend_365d": "{amount} spent in the last year",
}


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
    """The factors lowering the risk, strongest first, without those whose words describe a risk sign (a run
    published before `churn_explain` left them out may still hold them)."""
    return [f for f in factors if f.get("effect", 0) < 0 and not reads_as_risk(f)]


RUN_FACTS_SECONDS = 24 * 3600


def run_facts(run_ids) -> dict[int, dict]:
    """{run id: {"as_of": date, "horizon_days": int or None}} of published runs, for saying what a score is as of
    and over which window: read in one query for the runs not yet cached (a run's date and card do not change once
    it has run), never the whole model card."""
    from django.core.cache import cache

    from insights.models import ModelRun

    ids = [int(pk) for pk in run_ids if pk]
    keys = {pk: f"insights:run-facts:{pk}" for pk in ids}
    found = cache.get_many(list(keys.values()))
    facts = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [pk for pk in ids if pk not in facts]
    if missing:
        rows = ModelRun.objects.filter(pk__in=missing).values("pk", "as_of", "model_card__horizon_days")
        read = {row["pk"]: {"as_of": row["as_of"], "horizon_days": row["model_card__horizon_days"]} for row in rows}
        cache.set_many({keys[pk]: fact for pk, fact in read.items()}, RUN_FACTS_SECONDS)
        facts.update(read)
    return facts
