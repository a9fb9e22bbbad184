"""Churn risk: the chance a customer makes no purchase in the coming window (90 days or the data's own cadence),
with the factors raising and lowering it. Published when its holdout ROC-AUC beats the recency-only baseline
(and chance); otherwise held back with the reason."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from insights import artifacts, data, scoring
from insights.families import common
from insights.models import ChurnScore, ModelRun
from insights.models_ml import churn
from insights.models_ml.features import snapshot

# Probability bands as reps read them; the probabilities are calibrated, so the bands mean what they say.
BANDS = ((0.6, "high"), (0.3, "medium"), (0.0, "low"))
EVALUATION_HORIZON_DAYS = 90
RESULT_MODEL = ChurnScore


def band(probability: float) -> str:
    """low below 30 %, medium from 30 %, high from 60 %."""
    return next(name for floor, name in BANDS if probability >= floor)


def _groups(dataset: common.Dataset) -> dict[str, pd.Series]:
    attributes = data.customer_attributes(dataset.purchases["customer"].unique())
    return {"country": attributes["country"], "channel": attributes["acquisition_channel"]}


def train(run: ModelRun, progress) -> bool:
    """Backtest on the last window before the run's date, then fit on all of it and score every customer."""
    progress("loading data", 0.05)
    until = common.training_moment(run.as_of)
    dataset = common.load(until)
    run.data_counts = dataset.counts()
    if dataset.purchases.empty:
        raise ValueError(f"No purchases before {run.as_of}: nothing to learn from.")
    horizon = int(run.parameters.get("horizon_days") or churn.default_horizon(dataset.purchases, until))
    progress("backtesting", 0.15)
    window = until - pd.Timedelta(days=horizon)
    result = churn.backtest(
        dataset.purchases, window, horizon, dataset.returns, dataset.interactions, groups=_groups(dataset)
    )
    publishable, reason = churn.publishable(result)
    progress("fitting", 0.45)
    # The backtest already chose among the candidates on an earlier window: the final fit refits that one
    # only, instead of training all five again.
    model = churn.fit(
        dataset.purchases, until, horizon, dataset.returns, dataset.interactions, candidates=[result["chosen"]]
    )
    artifacts.save(run, model)
    run.model_card = {
        "horizon_days": horizon,
        "chosen": model.chosen,
        "candidates": result.get("candidates", {}),
        "groups": result.get("groups", {}),
        "warnings": result.get("warnings", []),
        "counts": result.get("counts", {}),
        "threshold": model.threshold,
        # Predicted against observed churn on the backtest's held-out customers: the dashboards' calibration plot.
        "calibration": result.get("calibration", []),
        "bands": {name: floor for floor, name in BANDS},
    }
    common.record(run, {"metrics": result["metrics"], "baseline": result["baseline"]})
    verdict = f"Published: {reason}." if publishable else f"Held back: {reason}."
    customers = dataset.purchases["customer"].unique()
    return scoring.score_all(run, progress, customers, (publishable, verdict), dataset)


def score_frame(model, dataset: common.Dataset) -> pd.DataFrame:
    """The ChurnScore columns (probability, band, factors) for every customer of `dataset`."""
    features = snapshot(dataset.purchases, dataset.until, dataset.returns, dataset.interactions)
    probability = model.predict_proba(features).astype(float)
    factors = model.explain(features)
    return pd.DataFrame(
        {
            "probability": probability,
            "band": [band(p) for p in probability],
            "factors": [factors.get(int(customer), []) for customer in features.index],
        },
        index=features.index,
    )


def evaluate(as_of: dt.date, parameters: dict) -> dict:
    """Fit on data before `as_of`, predict who buys nothing in the following 90 days, beside recency alone."""
    everything = common.load_all()
    horizon = int(parameters.get("horizon_days") or EVALUATION_HORIZON_DAYS)
    result = churn.backtest(
        everything.purchases,
        common.training_moment(as_of),
        horizon,
        everything.returns,
        everything.interactions,
        groups=_groups(everything),
    )
    return {"metrics": result["metrics"], "baseline": result["baseline"]}


def rescore(run_id: int, customer_id: int, dataset: common.Dataset) -> dict | None:
    """One customer's churn risk and factors with the active run's model, as of now (after a new order or
    interaction)."""
    frame = score_frame(artifacts.load(run_id), dataset)
    return frame.loc[customer_id].to_dict() if customer_id in frame.index else None
