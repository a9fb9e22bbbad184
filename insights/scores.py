"""How a published score is put in words on the pages: the churn factors with their amounts in the base currency,
and which factors are shown at all.

The churn model's factors carry their feature, value and effect; the text the model wrote knows no currency, so the
money factors are worded again here. High spend can raise a churn score (big buyers of the past who went quiet),
but "spent GBP 5,000 in total" read as a reason for risk confuses a rep rather than helping: a money factor is
listed among those raising the risk only when it is a fall in spending."""

from __future__ import annotations

import datetime as dt
import math
import re

from crm.templatetags.lodestar import money
from insights.models_ml.risk_signs import SILENCE_FEATURES, reads_as_reassurance, reads_as_risk, silence_words

MONEY_FEATURES = {
    "monetary_total": "{amount} spent in total",
    "monetary_avg": "{amount} per order on average",
    "spend_90d": "{amount} spent in the last 90 days",
    "spend_365d": "{amount} spent in the last year",
}


def factor_text(factor: dict, currency: str, as_of: dt.date | None = None, today: dt.date | None = None) -> str:
    """A churn factor in words; money factors with the currency they are in. Given the day the score is `as_of`
    and `today`, the days since the last order are counted to today as the worklist counts them
    (insights/worklist_rows.py `days_since`), not as of the score: in the recency factor and in the cadence factor,
    which says the silence beside the usual gap (insights/models_ml/churn_explain.py)."""
    feature, value = factor.get("feature", ""), factor.get("value")
    template = MONEY_FEATURES.get(feature)
    if template and value is not None:
        return template.format(amount=money(value, currency))
    text = factor.get("text", "")
    recency = value if feature == "recency_days" else factor.get("recency_days")
    if feature in SILENCE_FEATURES and recency is not None and as_of is not None and today is not None:
        cadence = value if feature == "cadence_days" else _cadence(text, recency)
        return recency_words(days_to_today(recency, as_of, today), cadence, capital=text[:1].isupper())
    return text


_GAP = re.compile(r"usual ([\d,]+)-day gap|usual gap of ([\d,]+) days")
_RATIO = re.compile(r"([\d.]+)\s*[x×] their usual gap")


def _cadence(text: str, recency_days: float) -> float | None:
    """Their usual gap in days, as the model's recency words gave it (in days, or, in runs published before the
    words gave the gap, as a ratio of the recency)."""
    if found := _GAP.search(text):
        return float((found.group(1) or found.group(2)).replace(",", ""))
    if (found := _RATIO.search(text)) and float(found.group(1)) > 0:
        return recency_days / float(found.group(1))
    return None


def recency_words(days: int, cadence: float | None, capital: bool = False) -> str:
    """The recency factor in words, as the churn model words it (`risk_signs.silence_words`), for `days` since the
    last order: no order since the score, or they would have been scored again, so the gap is the same."""
    words = silence_words(days, cadence)
    return words[:1].upper() + words[1:] if capital else words


def days_to_today(recency_days: float, as_of: dt.date, today: dt.date) -> int:
    """Whole days from the last order's day to `today`, from the model's recency: the time from the last order to
    the end of the `as_of` day (insights/data.py `as_of_datetime`), so the whole days to `as_of` are one less than
    it rounded up, and the days from `as_of` to today come on top."""
    return max(0, math.ceil(recency_days) - 1) + (today - as_of).days


def raising_factors(factors: list[dict]) -> list[dict]:
    """The factors raising the risk that a rep can act on, strongest first (money totals left out, see above; and a
    silence within the usual gap, whose words reassure: a run published before `churn_explain` left it out may
    still hold it)."""
    return [
        f
        for f in factors
        if f.get("effect", 0) > 0 and f.get("feature") not in MONEY_FEATURES and not reads_as_reassurance(f)
    ]


def lowering_factors(factors: list[dict]) -> list[dict]:
    """The factors lowering the risk, strongest first, without those whose words describe a risk sign (a run
    published before `churn_explain` left them out may still hold them)."""
    return [f for f in factors if f.get("effect", 0) < 0 and not reads_as_risk(f)]


RUN_FACTS_SECONDS = 24 * 3600


def run_facts(run_ids) -> dict[int, dict]:
    """{run id: {"as_of": date, "started_at", "horizon_days": int or None}} of published runs, for saying what a
    score is as of and over which window: read in one query for the runs not yet cached (a run's date and card do
    not change once it has run), never the whole model card."""
    from django.core.cache import cache

    from insights.models import ModelRun

    ids = [int(pk) for pk in run_ids if pk]
    # The key names the facts' shape: facts cached before started_at was one of them are not read as lacking it.
    keys = {pk: f"insights:run-facts:2:{pk}" for pk in ids}
    found = cache.get_many(list(keys.values()))
    facts = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [pk for pk in ids if pk not in facts]
    if missing:
        rows = ModelRun.objects.filter(pk__in=missing).values("pk", "as_of", "started_at", "model_card__horizon_days")
        read = {
            row["pk"]: {
                "as_of": row["as_of"],
                "started_at": row["started_at"],  # when it read its data: orders recorded later are not in it
                "horizon_days": row["model_card__horizon_days"],
            }
            for row in rows
        }
        cache.set_many({keys[pk]: fact for pk, fact in read.items()}, RUN_FACTS_SECONDS)
        facts.update(read)
    return facts
