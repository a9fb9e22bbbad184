"""Backtest of the value models: fit on purchases before a cutoff, predict the holdout that follows, score the
predictions beside a naive baseline. Pure pandas/numpy; `evaluate` and the retrain task call it with purchases
read from the database.

Purchases: one row per completed order, columns customer, placed_at (tz-aware datetime), amount.

Scored customers: those with a purchase before `cutoff`. What is predicted: repeat purchase DAYS in
[cutoff, holdout_end) (several orders on one day are one purchase, as in features.rfm_for_value) and spend there.

Baseline "past_rate": each customer keeps the rate of repeat purchase days they showed in calibration, x / T per
day (T counted from their first purchase day to the cutoff, so a customer without a repeat purchase predicts 0),
times the holdout length; their spend is that times their mean spend per purchase day (monetary_value).

Seasonality: BG/NBD is stationary, so a holdout that holds a seasonal peak (Online Retail's run-up to Christmas)
is under-predicted. With `seasonal=True` the shop's calendar, estimated from the calibration data alone
(clv_calendar: each week's purchase rate within customers, used when it is not flat), corrects it: BG/NBD is fitted
in the calendar's operational time, so a customer who bought only in a busy season is not taken for a heavy
buyer, and the holdout's days count as busy as the same days 52 weeks earlier where the history holds them (1,
the history's average, where it does not). The holdout is never used to choose it. Online Retail as of
2011-09-09 (history from 2010-12-01) has the calendar of early December 2010 only for its holdout: the months
before it are forecast at the history's average rate.
An earlier version took the window's season from a year-earlier backtest (how far the same model, fitted a year
earlier, missed the same window then) when the history reached a year and a quarter back. The calendar replaced
it by the backtest: on the quick start's demo data (10,000 customers, six cutoffs 60 days apart) its holdout error
was smaller at every cutoff and its RMSE at five of six.
Whatever is applied, `diagnostics` also reports, after the fact, how much busier the holdout was than the stretch
of the same length just before the cutoff (`holdout_activity_ratio`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insights.models_ml import clv_calendar
from insights.models_ml.clv import BgNbd, GammaGamma, fit_purchase_model, fit_spend_model
from insights.models_ml.features import purchases_between, rfm_for_value

DAY = pd.Timedelta(days=1)


def fit_in_calendar(purchases: pd.DataFrame, cutoff, seasonal: bool = True, rfm=None):
    """BG/NBD on the purchases before `cutoff`, in the shop's calendar when it is not flat.

    Returns (model, rfm in days, rfm in the model's time, calendar); `rfm`, rfm_for_value's frame as of cutoff,
    is computed when not given. The calendar's presence weights come from a plain fit first (each repeat
    customer's chance of still being a customer after their last purchase); when the calendar is flat (or
    `seasonal` is False) that plain fit is the model."""
    rfm = rfm_for_value(purchases, cutoff) if rfm is None else rfm
    plain = fit_purchase_model(rfm["x"], rfm["t_x"], rfm["T"])
    if not seasonal:
        return plain, rfm, rfm, clv_calendar.Calendar(reason="switched off")
    alive = pd.Series(plain.p_alive(rfm["x"], rfm["t_x"], rfm["T"]), index=rfm.index)
    calendar = clv_calendar.estimate(purchases, cutoff, alive=alive)
    if not calendar.applied:
        return plain, rfm, rfm, calendar
    timed = calendar.operational(rfm, cutoff)
    return fit_purchase_model(timed["x"], timed["t_x"], timed["T"]), rfm, timed, calendar


def errors(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """holdout_error_pct ((sum predicted - sum actual) / sum actual x 100), mae and rmse per customer."""
    predicted, actual = np.asarray(predicted, dtype=float), np.asarray(actual, dtype=float)
    total = actual.sum()
    return {
        "holdout_error_pct": float((predicted.sum() - total) / total * 100) if total else float("nan"),
        "mae": float(np.mean(np.abs(predicted - actual))),
        "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))),
    }


def past_rate(rfm: pd.DataFrame, horizon: float) -> np.ndarray:
    """The baseline's holdout purchase days: each customer's calibration rate x / T per day, times the horizon.

    x counts repeat purchase days and T runs from the first purchase day to the cutoff, so a one-time buyer
    predicts 0 and the first purchase (which every customer has by definition) is not counted as a rate."""
    x, T = rfm["x"].to_numpy(dtype=float), rfm["T"].to_numpy(dtype=float)
    return np.divide(x, T, out=np.zeros_like(x), where=T > 0) * horizon


@dataclass
class PastRate:
    """The past-rate baseline as a scorer with the value model's columns, published when BG/NBD does not beat it.

    Expected purchases are exactly the backtest's baseline (x / T per day times the horizon). Its chance of being
    active is the chance of a silence as long as the customer's under their own rate (the shop's pooled rate for
    one-time buyers, counting one repeat purchase more than the data holds, so that a shop where nobody has repeated
    yet still reads a long silence as a sign of leaving): exp(-rate x days since the last purchase), so a customer
    long past their rhythm reads as gone. Spend per purchase is the customer's own mean over every purchase, or the
    customers' mean for one without positive spend."""

    pooled_rate: float
    pooled_spend: float

    @classmethod
    def fit(cls, rfm: pd.DataFrame) -> PastRate:
        """The pooled rate and spend of the customers in `rfm` (rfm_for_value's frame)."""
        exposure = float(rfm["T"].sum())
        spent = rfm["monetary_value"] > 0
        spend = float(rfm.loc[spent, "monetary_value"].mean()) if spent.any() else 0.0
        return cls(pooled_rate=(float(rfm["x"].sum()) + 1) / exposure if exposure > 0 else 0.0, pooled_spend=spend)

    def customer_value(self, rfm: pd.DataFrame, months: int = 12, as_of=None) -> pd.DataFrame:
        """Per customer (rfm's index) the columns of `clv.customer_value` (as_of is the value model's argument;
        the past rate needs no date)."""
        x, t_x, T = (rfm[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
        rate = past_rate(rfm, 1.0)
        silence_rate = np.where(x > 0, rate, self.pooled_rate)
        own = rfm["monetary_value"].to_numpy(dtype=float)
        spend = np.where(own > 0, own, self.pooled_spend)
        year = rate * 365.0
        return pd.DataFrame(
            {
                "p_alive": np.exp(-silence_rate * np.clip(T - t_x, 0, None)),
                "expected_purchases_90d": rate * 90.0,
                "expected_purchases_365d": year,
                "expected_value": spend,
                "clv": year * months / 12 * spend,
            },
            index=rfm.index,
        )


def _scores(model: BgNbd, spend: GammaGamma, rfm: pd.DataFrame, horizon: float):
    """Predicted holdout purchase days and spend per customer (rfm and horizon in the model's time)."""
    x, t_x, T = (rfm[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
    purchases = model.expected_purchases(horizon, x, t_x, T)
    return purchases, purchases * spend.expected_average_value(x, rfm["monetary_value"].to_numpy(dtype=float))


def _with_spend(purchase_errors: dict, predicted_spend, actual_spend) -> dict:
    """Purchase metrics plus spend_mae and spend_error_pct."""
    spend = errors(predicted_spend, actual_spend)
    return {**purchase_errors, "spend_mae": spend["mae"], "spend_error_pct": spend["holdout_error_pct"]}


def backtest(
    purchases: pd.DataFrame,
    cutoff,
    holdout_end,
    seasonal: bool = True,
) -> dict:
    """Fit BG/NBD and Gamma-Gamma on purchases before `cutoff`, score [cutoff, holdout_end) against past_rate.

    Returns {"metrics": {...}, "baseline": {"name": "past_rate", "metrics": {...}}, "diagnostics": {...}}: the
    metrics of both are holdout_error_pct, mae, rmse (repeat purchase days per customer), spend_mae and
    spend_error_pct. diagnostics holds the fits (parameters, convergence, degeneracy and fallback), the
    seasonal factor and its reason, the measured holdout activity ratio, `beats_baseline`, the metrics the
    plain maximum-likelihood fit would have scored when a fallback replaced it, and timings."""
    cutoff, holdout_end = pd.Timestamp(cutoff), pd.Timestamp(holdout_end)
    if holdout_end <= cutoff:
        raise ValueError("holdout_end must be after cutoff")
    started = time.perf_counter()
    rfm = rfm_for_value(purchases, cutoff)
    if rfm.empty:
        raise ValueError("no purchases before the cutoff")
    actual = purchases_between(purchases, cutoff, holdout_end).reindex(rfm.index, fill_value=0.0)
    horizon = (holdout_end - cutoff) / DAY
    features_seconds = time.perf_counter() - started

    started = time.perf_counter()
    past = past_rate(rfm, horizon)
    actual_days, actual_spend = actual["purchase_days"].to_numpy(), actual["spend"].to_numpy()
    baseline = _with_spend(errors(past, actual_days), past * rfm["monetary_value"].to_numpy(), actual_spend)
    try:
        model, _, timed, calendar = fit_in_calendar(purchases, cutoff, seasonal=seasonal, rfm=rfm)
        spend = fit_spend_model(rfm["x"], rfm["monetary_value"])
    except ValueError as exc:  # too little repeat buying to fit at all: only the baseline can be scored
        return {
            "metrics": dict.fromkeys(baseline),
            "baseline": {"name": "past_rate", "metrics": baseline},
            "diagnostics": {
                "customers": len(rfm),
                "horizon_days": horizon,
                "model_error": str(exc),
                "actual_total": float(actual_days.sum()),
                "baseline_total": float(past.sum()),
                "beats_baseline": False,
            },
        }
    fit_seconds = time.perf_counter() - started
    horizon_time = float(calendar.ahead(cutoff, [horizon])[0]) if calendar.applied else horizon

    predicted, predicted_spend = _scores(model, spend, timed, horizon_time)
    metrics = _with_spend(errors(predicted, actual_days), predicted_spend, actual_spend)

    diagnostics = {
        "customers": len(rfm),
        "horizon_days": horizon,
        "predicted_total": float(predicted.sum()),
        "actual_total": float(actual_days.sum()),
        "baseline_total": float(past.sum()),
        "bgnbd": _describe(model.fit, model.fallback, model.publishable),
        "gamma_gamma": {**_describe(spend.fit, "", spend.publishable), **spend.diagnostics},
        # How much busier than the history's average the calendar expects the holdout, and why.
        "seasonal_factor": horizon_time / horizon,
        "seasonal_reason": calendar.reason,
        "calendar": calendar.describe(cutoff, round(horizon)),
        "holdout_activity_ratio": _activity_ratio(purchases, cutoff, holdout_end),
        "beats_baseline": metrics["rmse"] < baseline["rmse"]
        and abs(metrics["holdout_error_pct"]) < abs(baseline["holdout_error_pct"]),
        "features_seconds": features_seconds,
        "fit_seconds": fit_seconds,
    }
    if model.mle is not None:
        mle = BgNbd(**model.mle.params)
        mle_predicted, mle_spend = _scores(mle, spend, timed, horizon_time)
        diagnostics["bgnbd_mle"] = _describe(model.mle, "", False)
        diagnostics["mle_metrics"] = _with_spend(errors(mle_predicted, actual_days), mle_spend, actual_spend)
    return {"metrics": metrics, "baseline": {"name": "past_rate", "metrics": baseline}, "diagnostics": diagnostics}


def _describe(fit, fallback: str, publishable: bool) -> dict:
    """A fit as plain values for a report or a ModelRun's JSON."""
    return {
        "params": fit.params,
        "log_likelihood": fit.log_likelihood,
        "converged": fit.converged,
        "message": fit.message,
        "penalizer": fit.penalizer,
        "degenerate": fit.degenerate,
        "reason": fit.reason,
        "fallback": fallback,
        "publishable": publishable,
    }


def _purchase_day_rate(purchases: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Customer purchase days per calendar day in [start, end), every customer counted."""
    window = purchases[(purchases["placed_at"] >= start) & (purchases["placed_at"] < end)]
    days = window.assign(day=window["placed_at"].dt.floor("D"))[["customer", "day"]].drop_duplicates()
    return len(days) / ((end - start) / DAY)


def _activity_ratio(purchases: pd.DataFrame, cutoff: pd.Timestamp, holdout_end: pd.Timestamp) -> float:
    """Measured after the fact, never used to predict: purchase days per day in the holdout, by customers seen
    before the cutoff, over the same customers' rate in the equally long stretch just before the cutoff."""
    known = purchases.loc[purchases["placed_at"] < cutoff, "customer"].unique()
    mine = purchases[purchases["customer"].isin(known)]
    before = _purchase_day_rate(mine, cutoff - (holdout_end - cutoff), cutoff)
    return _purchase_day_rate(mine, cutoff, holdout_end) / before if before else float("nan")
