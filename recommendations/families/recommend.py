"""Recommendations: the hybrid recommender (buy-again, item-item, ALS, content, popularity) gives every customer two
lists, "likely to reorder" and "try next", each item with its reason.

A run backtests first: the hybrid is fitted on everything before the last 30 days (its blend weights chosen on the
30 days before that, never on the test) and scored on what customers bought in those 30 days, beside popularity.
The published model is then fitted on everything with the backtest's weights (a second weight search would
cost another fit for little: the weights move slowly). It is published when the blend's precision@10 beats
popularity's. Scoring runs in customer chunks like the other families; a customer without history gets what is
popular now.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd

from insights import artifacts, publishing, scoring
from insights import data as insights_data
from insights.families import common
from insights.models import ModelRun
from recommendations import data
from recommendations.models import Recommendation

HOLDOUT_DAYS = 30
SCORE_BATCH = 2000  # customers per recommend() call: its try-next blend is batch x catalogue floats
RESULT_MODEL = Recommendation
HEADLINE = "precision_at_10"
LINE_COLUMNS = ("customer", "product", "placed_at")  # the recommenders count purchase days, not units


@dataclass
class Fitted:
    """The fitted model handed to the scorer when scoring happens in the training process (no reload)."""

    model: object


def _verdict(result: dict) -> tuple[bool, str]:
    model, base = result["metrics"], result["baseline"]["metrics"] or {}
    if not result["customers"]["all"]:
        return False, f"Held back: nobody bought in the last {HOLDOUT_DAYS} days, so there is nothing to test on."
    summary = (
        f"precision@10 {model[HEADLINE]:.3f} vs {base.get(HEADLINE, 0):.3f} (popularity), "
        f"try-next precision@10 {model['precision_at_10_new']:.3f} vs {base.get('precision_at_10_new', 0):.3f}, "
        f"over {result['customers']['all']} customers"
    )
    if model[HEADLINE] <= base.get(HEADLINE, 0):
        return False, f"Held back: it does not beat popularity: {summary}."
    return True, f"Published: {summary}."


def _model_card(result: dict, model) -> dict:
    """What the run's page shows: each component beside the blend, the weights and where they came from."""
    return {
        "holdout_days": HOLDOUT_DAYS,
        "customers_tested": result["customers"],
        "components": result["components"],
        "weights": model.weights,
        "validation": result.get("validation"),
        "timings": result["timings"],
    }


def train(run: ModelRun, progress) -> bool:
    """Backtest on the last 30 days, fit on everything, then score every profiled customer in chunks."""
    progress("loading data", 0.05)
    until = common.training_moment(run.as_of)
    lines = data.order_lines(until, profiled_only=True, columns=LINE_COLUMNS)
    products = data.products()
    run.data_counts = {
        "lines": len(lines),
        "customers": int(lines["customer"].nunique()),
        "products": int(lines["product"].nunique()),
    }
    if lines.empty:
        raise ValueError(f"No purchases before {run.as_of}: nothing to learn from.")
    from recommendations.models_ml import backtest, tuning

    progress("backtesting", 0.15)
    result = backtest.evaluate(lines, products, until - pd.Timedelta(days=HOLDOUT_DAYS), until)
    progress("fitting", 0.5)
    model = tuning.fit_recommender(lines, products, until, weights=result["weights"])
    run.model_card = _model_card(result, model)
    artifacts.save(run, model)
    common.record(run, result)
    customers = insights_data.profiled_customers().order_by("pk").values_list("pk", flat=True)
    return scoring.score_all(run, progress, list(customers), _verdict(result), Fitted(model))


def recommendation_rows(run_id: int, frame: pd.DataFrame) -> pd.DataFrame:
    """`Recommender.recommend`'s frame as Recommendation columns (reason parameters as JSON text)."""
    return pd.DataFrame(
        {
            "run_id": run_id,
            "customer_id": frame["customer"].to_numpy(),
            "list": frame["list"].astype(str).to_numpy(),
            "rank": frame["rank"].to_numpy(),
            "product_id": frame["product"].to_numpy(),
            "score": frame["score"].astype(float).round(6).to_numpy(),
            "component": frame["component"].astype(str).to_numpy(),
            "reason_code": frame["reason_code"].astype(str).to_numpy(),
            "reason_params": json_texts(frame["reason_params"]),
        }
    )


def json_texts(params) -> list[str]:
    """Each reason's parameters as JSON text, from one call of the C encoder over the whole list (a call per row
    cost more than the COPY that writes them). Reason parameters are flat (numbers, null and lists of numbers,
    recommendations/models_ml/reasons.py), so the objects of the encoded list are split apart at "},{"."""
    if not len(params):
        return []
    text = json.dumps([p or {} for p in params], separators=(",", ":"))
    parts = text[2:-2].split("},{")
    return ["{" + part + "}" for part in parts]


def write_range(run: ModelRun, first: int, last: int, fitted: Fitted | None = None) -> int:
    """Recommend for the profiled customers with ids in [first, last] and write both lists (the scoring hook of
    insights/scoring.py); the model comes from the training process or, on a worker, from the run's artifact."""
    model = fitted.model if isinstance(fitted, Fitted) else artifacts.load(run.pk)
    ids = list(
        insights_data.profiled_customers().filter(pk__range=(first, last)).order_by("pk").values_list("pk", flat=True)
    )
    written = 0
    for start in range(0, len(ids), SCORE_BATCH):
        frame = model.recommend(ids[start : start + SCORE_BATCH])
        written += publishing.write_frame(Recommendation, recommendation_rows(run.pk, frame))
    return written


def evaluate(as_of: dt.date, parameters: dict) -> dict:
    """Fit on everything up to `as_of`, test on the rest of the data: each component and the blend beside
    popularity (the keys precision_at_10, recall_at_10, ndcg_at_10, coverage and precision_at_10_new)."""
    from recommendations.models_ml import backtest

    cutoff = common.training_moment(as_of)
    lines = data.order_lines(profiled_only=True, columns=LINE_COLUMNS)
    if lines.empty or lines["placed_at"].max() < cutoff:
        raise ValueError(f"No purchases after {as_of} to evaluate against.")
    result = backtest.evaluate(lines, data.products(), cutoff)
    return {
        "metrics": result["metrics"],
        "baseline": result["baseline"],
        "components": result["components"],
        "customers": result["customers"],
        "weights": result["weights"],
    }
