"""Backtest of the value models: fit on purchases before a cutoff, predict the holdout that follows, score the
predictions beside a naive baseline. Pure pandas/numpy; `evaluate` and the retrain task call it with purchases
read from the database.

Purchases: one row per completed order, columns customer, placed_at (tz-aware datetime), amount.

Scored customers: those with a purchase before `cutoff`. What is predicted: repeat purchase DAYS in
[cutoff, holdout_end) (several orders on one day are one purchase, as in features.rfm_for_value) and spend there.

Baseline "past_rate": each customer keeps the rate of repeat purchase days they showed in calibration, x / T per
day (T counted from their first purchase day to the cutoff, so a customer without a repeat purchase predicts 0),
times the holdout length; their spend is that times their mean spend per repeat purchase day (monetary_value).

Seasonality: BG/NBD is stationary, so a holdout that holds a seasonal peak (Online Retail's run-up to Christmas)
is under-predicted. With `seasonal=True` two things estimated from the calibration data alone correct it, and the
holdout is never used to choose either:
- the shop's calendar (clv_calendar: each week's purchase rate within customers, used when it is not flat). BG/NBD
  is fitted in its operational time, so a customer who bought only in a busy season is not taken for a heavy
  buyer, and the holdout's days count as busy as the same days 52 weeks earlier where the history holds them (1,
  the history's average, where it does not);
- when the history reaches a year and a quarter back, the window's season comes instead from a year-earlier
  backtest (`seasonal_index`): how far the same model, fitted a year earlier, missed the same window then (the
  calendar then stays flat ahead, so that the season is not counted twice).
Online Retail as of 2011-09-09 (history from 2010-12-01) has no year-earlier backtest and, for its holdout, the
calendar of early December 2010 only: the months before it are forecast at the history's average rate.
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
YEAR = pd.Timedelta(days=365)
SEASONAL_NOISE = 3.0  # standard errors a year-earlier miss must exceed before it is applied (see seasonal_index)


def fit_in_calendar(purchases: pd.DataFrame, cutoff, seasonal: bool = True, year_ago: bool = True, rfm=None):
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
    calendar = clv_calendar.estimate(purchases, cutoff, alive=alive, year_ago=year_ago)
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


def _purchase_day_rate(purchases: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Customer purchase days per calendar day in [start, end), every customer counted."""
    window = purchases[(purchases["placed_at"] >= start) & (purchases["placed_at"] < end)]
    days = window.assign(day=window["placed_at"].dt.floor("D"))[["customer", "day"]].drop_duplicates()
    return len(days) / ((end - start) / DAY)


def seasonal_index(purchases: pd.DataFrame, cutoff, holdout_end, min_history_days: float = 90.0) -> dict:
    """How far the stationary model missed the same calendar window a year earlier: actual / predicted.

    The same backtest is run a year back (fit on purchases before cutoff - 365 days, predict to holdout_end -
    365 days, all inside the calibration data), and the ratio of actual to predicted repeat purchase days there is
    the estimate. Unlike a ratio of raw activity, it is not fooled by a growing or shrinking customer base, since
    the model accounts for who was there and who left; it also carries last year's model bias of any other kind.
    It is applied only when it differs from 1 by more than SEASONAL_NOISE standard errors, so sampling noise in a
    small year-earlier base is not multiplied into every prediction. The standard error comes from the per-customer
    misses and leaves out the year-earlier fit's own parameter uncertainty, hence three rather than two: on
    simulated stationary businesses of 3,000 customers the estimate strays up to about 2.5 of them from 1.

    Returns {"factor": applied, "estimate", "standard_error", "reason"}; factor 1.0 with the reason when the data
    does not reach back min_history_days before that earlier cutoff, or the miss is within the noise."""
    cutoff, holdout_end = pd.Timestamp(cutoff), pd.Timestamp(holdout_end)
    earlier_cutoff, earlier_end = cutoff - YEAR, holdout_end - YEAR
    calibration = purchases[purchases["placed_at"] < cutoff]
    first = calibration["placed_at"].min()
    none = {"factor": 1.0, "estimate": None, "standard_error": None}
    if earlier_end > cutoff:
        return {**none, "reason": "holdout longer than a year: no seasonal index"}
    if pd.isna(first) or first > earlier_cutoff - pd.Timedelta(days=min_history_days):
        return {
            **none,
            "reason": f"not estimable: a year-earlier backtest ({earlier_cutoff:%Y-%m-%d} to {earlier_end:%Y-%m-%d}) "
            f"needs purchases from {earlier_cutoff - pd.Timedelta(days=min_history_days):%Y-%m-%d}, "
            f"the data starts {first:%Y-%m-%d}",
        }
    model, rfm, timed, _ = fit_in_calendar(calibration, earlier_cutoff, year_ago=False)
    horizon = (earlier_end - earlier_cutoff) / DAY  # the calendar is flat ahead: a day is a day
    predicted = model.expected_purchases(horizon, timed["x"], timed["t_x"], timed["T"])
    actual = purchases_between(calibration, earlier_cutoff, earlier_end)["purchase_days"]
    actual = actual.reindex(rfm.index, fill_value=0.0).to_numpy()
    if not model.publishable or predicted.sum() <= 0:
        return {**none, "reason": "not estimable: the year-earlier fit is not sound"}
    estimate = float(actual.sum() / predicted.sum())
    standard_error = float(np.sqrt(np.sum((actual - predicted) ** 2)) / predicted.sum())
    window = f"repeat purchase days from {earlier_cutoff:%Y-%m-%d} to {earlier_end:%Y-%m-%d}"
    if abs(estimate - 1) <= SEASONAL_NOISE * standard_error:
        reason = f"not applied: actual / predicted {window} is {estimate:.3f} +- {standard_error:.3f}, within noise"
        return {"factor": 1.0, "estimate": estimate, "standard_error": standard_error, "reason": reason}
    reason = f"actual / predicted {window}, by the same model fitted a year earlier"
    return {"factor": estimate, "estimate": estimate, "standard_error": standard_error, "reason": reason}


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
    long past their rhythm reads as gone. Spend per purchase is the customer's mean repeat spend, or the repeat
    customers' mean for a one-time buyer."""

    pooled_rate: float
    pooled_spend: float

    @classmethod
    def fit(cls, rfm: pd.DataFrame) -> PastRate:
        """The pooled rate and spend of the customers in `rfm` (rfm_for_value's frame)."""
        exposure = float(rfm["T"].sum())
        repeaters = rfm["x"] > 0
        spend = float(rfm.loc[repeaters, "monetary_value"].mean()) if repeaters.any() else 0.0
        return cls(pooled_rate=(float(rfm["x"].sum()) + 1) / exposure if exposure > 0 else 0.0, pooled_spend=spend)

    def customer_value(self, rfm: pd.DataFrame, months: int = 12, as_of=None) -> pd.DataFrame:
        """Per customer (rfm's index) the columns of `clv.customer_value` (as_of is the value model's argument;
        the past rate needs no date)."""
        x, t_x, T = (rfm[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
        rate = past_rate(rfm, 1.0)
        silence_rate = np.where(x > 0, rate, self.pooled_rate)
        spend = np.where(x > 0, rfm["monetary_value"].to_numpy(dtype=float), self.pooled_spend)
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


def _scores(model: BgNbd, spend: GammaGamma, rfm: pd.DataFrame, horizon: float, factor: float):
    """Predicted holdout purchase days and spend per customer (rfm and horizon in the model's time)."""
    x, t_x, T = (rfm[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
    purchases = model.expected_purchases(horizon, x, t_x, T) * factor
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

    # The window's season from a year-earlier backtest when the history allows one; else from the calendar ahead.
    season = seasonal_index(purchases, cutoff, holdout_end) if seasonal else {"factor": 1.0, "reason": "switched off"}
    factor = season["factor"]

    started = time.perf_counter()
    past = past_rate(rfm, horizon)
    actual_days, actual_spend = actual["purchase_days"].to_numpy(), actual["spend"].to_numpy()
    baseline = _with_spend(errors(past, actual_days), past * rfm["monetary_value"].to_numpy(), actual_spend)
    try:
        model, _, timed, calendar = fit_in_calendar(
            purchases, cutoff, seasonal=seasonal, year_ago=season.get("estimate") is None, rfm=rfm
        )
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

    predicted, predicted_spend = _scores(model, spend, timed, horizon_time, factor)
    metrics = _with_spend(errors(predicted, actual_days), predicted_spend, actual_spend)

    diagnostics = {
        "customers": len(rfm),
        "horizon_days": horizon,
        "predicted_total": float(predicted.sum()),
        "actual_total": float(actual_days.sum()),
        "baseline_total": float(past.sum()),
        "bgnbd": _describe(model.fit, model.fallback, model.publishable),
        "gamma_gamma": {**_describe(spend.fit, "", spend.publishable), **spend.diagnostics},
        "seasonal_factor": factor,
        "seasonal_estimate": season.get("estimate"),
        "seasonal_standard_error": season.get("standard_error"),
        "seasonal_reason": season["reason"],
        "calendar": calendar.describe(cutoff, round(horizon)),
        "holdout_activity_ratio": _activity_ratio(purchases, cutoff, holdout_end),
        "beats_baseline": metrics["rmse"] < baseline["rmse"]
        and abs(metrics["holdout_error_pct"]) < abs(baseline["holdout_error_pct"]),
        "features_seconds": features_seconds,
        "fit_seconds": fit_seconds,
    }
    if model.mle is not None:
        mle = BgNbd(**model.mle.params)
        mle_predicted, mle_spend = _scores(mle, spend, timed, horizon_time, factor)
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


def _activity_ratio(purchases: pd.DataFrame, cutoff: pd.Timestamp, holdout_end: pd.Timestamp) -> float:
    """Measured after the fact, never used to predict: purchase days per day in the holdout, by customers seen
    before the cutoff, over the same customers' rate in the equally long stretch just before the cutoff."""
    known = purchases.loc[purchases["placed_at"] < cutoff, "customer"].unique()
    mine = purchases[purchases["customer"].isin(known)]
    before = _purchase_day_rate(mine, cutoff - (holdout_end - cutoff), cutoff)
    return _purchase_day_rate(mine, cutoff, holdout_end) / before if before else float("nan")
