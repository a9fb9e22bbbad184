"""Customer value: BG/NBD (repeat purchases, chance of still being active) and Gamma-Gamma (spend per purchase)
give each customer's expected purchases and 12-month value. Published when the backtest on the latest holdout
window beats the past-rate baseline and neither fit is degenerate."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from insights import artifacts, scoring
from insights.families import common
from insights.models import CustomerValue, ModelRun
from insights.models_ml import clv, clv_backtest
from insights.models_ml.features import rfm_for_value

COLUMNS = [
    "run_id",
    "customer_id",
    "p_alive",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "expected_order_value",
    "clv_12m",
]
HOLDOUT_DAYS = 90
RESULT_MODEL = CustomerValue


def _verdict(result: dict, purchases: clv.BgNbd, spend: clv.GammaGamma) -> tuple[bool, str]:
    diagnostics = result["diagnostics"]
    model, base = result["metrics"], result["baseline"]["metrics"]
    summary = (
        f"holdout error {model['holdout_error_pct']:.1f} % vs {base['holdout_error_pct']:.1f} %, "
        f"RMSE {model['rmse']:.3f} vs {base['rmse']:.3f} (past rate)"
    )
    if not purchases.publishable:
        return False, f"Held back: the purchase model is not sound on this data ({purchases.fit.reason}); {summary}."
    if not spend.publishable:
        return False, f"Held back: the spend model is not sound on this data ({spend.fit.reason}); {summary}."
    if not diagnostics.get("beats_baseline"):
        return False, f"Held back: it does not beat the past-rate baseline: {summary}."
    return True, f"Published: {summary}."


def train(run: ModelRun, progress) -> bool:
    """Backtest on the last 90 days before the run's date, then fit on all of it and score every customer."""
    progress("loading data", 0.05)
    until = common.training_moment(run.as_of)
    dataset = common.load(until)
    run.data_counts = dataset.counts()
    if dataset.purchases.empty:
        raise ValueError(f"No purchases before {run.as_of}: nothing to learn from.")
    progress("backtesting", 0.2)
    result = clv_backtest.backtest(dataset.purchases, until - pd.Timedelta(days=HOLDOUT_DAYS), until)
    progress("fitting", 0.5)
    rfm = rfm_for_value(dataset.purchases, until)
    purchases = clv.fit_purchase_model(rfm["x"], rfm["t_x"], rfm["T"])
    spend = clv.fit_spend_model(rfm["x"], rfm["monetary_value"])
    run.model_card = {
        "holdout_days": HOLDOUT_DAYS,
        "backtest": result["diagnostics"],
        "purchase_model": {
            "params": purchases.fit.params,
            "degenerate": purchases.fit.degenerate,
            "reason": purchases.fit.reason,
        },
        "spend_model": {"params": spend.fit.params, "diagnostics": spend.diagnostics},
    }
    artifacts.save(run, {"purchases": purchases, "spend": spend})
    common.record(run, result)
    verdict = _verdict(result, purchases, spend)
    return scoring.score_all(run, progress, rfm.index, verdict, dataset)


def score_frame(models: dict, dataset: common.Dataset) -> pd.DataFrame:
    """The CustomerValue columns for every customer of `dataset`, with the run's fitted models."""
    rfm = rfm_for_value(dataset.purchases, dataset.until)
    scores = clv.customer_value(rfm, models["purchases"], models["spend"]).fillna(0.0).astype(float)
    return scores.rename(columns={"expected_value": "expected_order_value", "clv": "clv_12m"})[COLUMNS[2:]]


def evaluate(as_of: dt.date, parameters: dict) -> dict:
    """Fit on everything up to `as_of`, score the rest of the data as the holdout, beside the past-rate baseline."""
    cutoff = common.training_moment(as_of)
    dataset = common.load_all()
    if dataset.purchases.empty or dataset.purchases["placed_at"].max() < cutoff:
        raise ValueError(f"No purchases after {as_of} to evaluate against.")
    holdout_end = dataset.purchases["placed_at"].max().floor("D") + pd.Timedelta(days=1)
    result = clv_backtest.backtest(dataset.purchases, cutoff, holdout_end)
    return {"metrics": result["metrics"], "baseline": result["baseline"]}


def rescore(run_id: int, customer_id: int, dataset: common.Dataset) -> dict | None:
    """One customer's value with the active run's models, as of now (used after a new order)."""
    frame = score_frame(artifacts.load(run_id), dataset)
    return frame.loc[customer_id].to_dict() if customer_id in frame.index else None
