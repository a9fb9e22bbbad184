"""Scoring demand forecasts: WAPE, MAPE and bias; the naive baselines a model must beat; a backtest from one origin.
Pure numpy/pandas.

Metrics, over every (product, week) cell scored, with A the actual units and F the forecast:
    wape      sum |F - A| / sum A: the error in units, as a share of the units sold. Big sellers weigh most, as
              they do in stock. It rewards forecasting low when demand is rising or lumpy (see bias).
    mape      mean of |F - A| / A over the cells with A > 0. Cells with no sale are left out, since the ratio is
              infinite there (their error still counts in wape); each sold product-week weighs the same, so slow
              sellers dominate it, and it too favours low forecasts (an under-forecast costs at most 100 %).
    bias_pct  100 * (sum F - sum A) / sum A: the total forecast against the total sold. Negative is too low.
A manager buying stock needs bias near zero as much as a low WAPE: a forecast that wins on WAPE by being a third
too low leaves the shelves empty in the busiest weeks.

Baselines at origin t (the first forecast week), the same forecast for every week ahead unless said:
    last_week       the units of week t-1
    mean_4          the mean of the last 4 weeks
    median_8        the median of the last 8 weeks
    seasonal_naive  the units of the same week a year (52 weeks) earlier, only when the history before the origin
                    spans 52 weeks; a product younger than that falls back to its mean_4
Weeks before a product's first sale are skipped by the means and the median.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from recommendations.models_ml.demand import DemandForecaster
from recommendations.models_ml.demand_interval import total_range
from recommendations.models_ml.demand_weeks import YEAR, WeeklyDemand

METRIC_NAMES = ("wape", "mape", "bias_pct")


def demand_metrics(actual, forecast) -> dict:
    """wape, mape and bias_pct (module docstring) of forecasts against actuals, any shape, as plain floats (None
    where undefined: nothing sold)."""
    a = np.asarray(actual, dtype=float).ravel()
    f = np.asarray(forecast, dtype=float).ravel()
    total = a.sum()
    sold = a > 0
    return {
        "wape": float(np.abs(f - a).sum() / total) if total > 0 else None,
        "mape": float(np.mean(np.abs(f[sold] - a[sold]) / a[sold])) if sold.any() else None,
        "bias_pct": float(100 * (f.sum() - total) / total) if total > 0 else None,
    }


def naive_forecasts(units: np.ndarray, t: int, horizon: int) -> dict[str, np.ndarray]:
    """Each baseline's forecasts (products x horizon) from origin t of a products x weeks array (NaN before a
    product's first sale). Seasonal-naive only when t >= 52."""
    history = units[:, :t]
    with warnings.catch_warnings():
        # A product with no known week in a window has no mean: it is forecast 0 (it has never sold).
        warnings.simplefilter("ignore", RuntimeWarning)
        last = np.nan_to_num(history[:, -1:] if t else np.full((len(units), 1), np.nan))
        mean_4 = np.nan_to_num(np.nanmean(history[:, -4:], axis=1, keepdims=True))
        median_8 = np.nan_to_num(np.nanmedian(history[:, -8:], axis=1, keepdims=True))
    out = {
        "last_week": np.repeat(last, horizon, axis=1),
        "mean_4": np.repeat(mean_4, horizon, axis=1),
        "median_8": np.repeat(median_8, horizon, axis=1),
    }
    if t >= YEAR:
        year_ago = units[:, t - YEAR : t - YEAR + horizon]
        # The weeks a year before the horizon all lie before the origin when horizon <= 52.
        out["seasonal_naive"] = np.where(np.isnan(year_ago), out["mean_4"], year_ago)
    return out


def active_products(demand: WeeklyDemand, min_active_weeks: int) -> pd.Index:
    """Products with a sale in at least `min_active_weeks` of the weeks of `demand`."""
    return demand.units.columns[(demand.units > 0).sum().to_numpy() >= min_active_weeks]


def backtest(
    demand: WeeklyDemand,
    origin,
    horizon: int = 8,
    min_active_weeks: int = 26,
    forecaster: DemandForecaster | None = None,
    point: str = "mean",
) -> dict:
    """Fit on the weeks before `origin`, forecast the `horizon` weeks from it, and score the model and every naive
    baseline on the products sold in at least `min_active_weeks` of the training weeks (the model learns from every
    product; only the scoring is restricted).

    `point` names the model forecast scored as "metrics": "mean" (the expected units, the default: right in total) or
    "median" (lower WAPE, low in total on skewed demand). Both are also returned under their names.

    Returns {"metrics": the model's `point` forecast, "baseline": {"name", "metrics"} of the best baseline by WAPE,
    "baselines": every baseline, "unbiased_baseline": the best by WAPE of those within 10 % of the actual total
    (None if none is), "mean" and "median": the model's two forecasts, "totals": the metrics of each product's units
    over the whole horizon (what stock for the period is bought on) for the model's two forecasts and each baseline,
    "interval": coverage and mean width of the model's interval, "per_week": the model and best baseline per week,
    "products", "training_weeks", "training_rows", "clipped_share", "origin", "horizon", "seconds"}.
    """
    if point not in ("mean", "median"):
        raise ValueError(f"point must be 'mean' or 'median', not {point!r}")
    started = time.perf_counter()
    origin = pd.Timestamp(origin)
    train = demand.before(origin)
    t = len(train.units)
    test_weeks = demand.units.index[(demand.units.index >= origin)][:horizon]
    if len(test_weeks) < horizon:
        raise ValueError(f"only {len(test_weeks)} weeks after {origin:%Y-%m-%d}, {horizon} needed")
    products = active_products(train, min_active_weeks)
    if not len(products):
        raise ValueError(f"no product sold in {min_active_weeks} of the {t} training weeks")
    actual = demand.units.loc[test_weeks, products].fillna(0).to_numpy().T

    # A copy with the backtest's horizon: the caller's forecaster is left as it was.
    forecaster = replace(forecaster, horizon=horizon) if forecaster else DemandForecaster(horizon=horizon)
    forecaster.fit(train)
    predicted = forecaster.predict(train, products=products)
    grid = predicted.pivot(index="product", columns="horizon").reindex(products)
    point_forecast, median = grid["forecast"].to_numpy(), grid["median"].to_numpy()
    lower, upper = grid["lower"].to_numpy(), grid["upper"].to_numpy()

    history = train.units[products].to_numpy().T
    naive = naive_forecasts(history, t, horizon)
    baselines = {name: demand_metrics(actual, f) for name, f in naive.items()}
    best = _best(baselines)
    best_forecast = naive[best]
    model = {"mean": point_forecast, "median": median}
    totals = {name: demand_metrics(actual.sum(axis=1), f.sum(axis=1)) for name, f in {**model, **naive}.items()}
    # Like with like: WAPE favours low forecasts, so the best baseline by WAPE is often a third too low in total; the
    # best among those within 10 % of the true total is the fair rival of a forecast meant to get the total right.
    unbiased = _best({k: m for k, m in baselines.items() if m["bias_pct"] is not None and abs(m["bias_pct"]) <= 10})
    inside = (actual >= lower) & (actual <= upper)
    # Each product's total over the horizon against the range of its total (demand_interval.total_range).
    total_low, total_high = total_range(point_forecast, lower, upper, forecaster.total_rho)
    total_inside = (actual.sum(axis=1) >= total_low) & (actual.sum(axis=1) <= total_high)
    cells = {"products": products, "actual": actual, "model": model, "naive": naive, "inside": inside}
    cells["width"], cells["total_inside"] = upper - lower, total_inside
    return {
        "cells": cells,
        "metrics": demand_metrics(actual, model[point]),
        "point": point,
        "baseline": {"name": best, "metrics": baselines[best]},
        "baselines": baselines,
        "unbiased_baseline": {"name": unbiased, "metrics": baselines[unbiased]} if unbiased else None,
        "mean": demand_metrics(actual, point_forecast),
        "median": demand_metrics(actual, median),
        "totals": totals,
        "interval": {
            "quantiles": list(forecaster.quantiles),
            "method": "each product's own ratios of actual to expected units, each end calibrated on later weeks",
            "lower_scale": forecaster.lower_scale,
            "upper_scale": forecaster.upper_scale,
            "total_rho": forecaster.total_rho,
            "coverage": float(inside.mean()),
            "total_coverage": float(total_inside.mean()),
            "mean_width": float((upper - lower).mean()),
        },
        "per_week": [
            {
                "week": f"{week:%Y-%m-%d}",
                "actual": float(actual[:, h].sum()),
                "model": demand_metrics(actual[:, h], model[point][:, h]),
                best: demand_metrics(actual[:, h], best_forecast[:, h]),
            }
            for h, week in enumerate(test_weeks)
        ],
        "products": int(len(products)),
        "training_weeks": t,
        "training_rows": forecaster.training_rows,
        "clipped_share": round(forecaster.clipped_share, 4),
        "origin": f"{origin:%Y-%m-%d}",
        "horizon": horizon,
        "seconds": {**forecaster.seconds, "total": round(time.perf_counter() - started, 3)},
    }


def rolling_origins(weeks: pd.DatetimeIndex, first, horizon: int, count: int, step: int) -> list[pd.Timestamp]:
    """Up to `count` forecast origins `step` weeks apart from the week `first` on, each with a whole `horizon` of
    `weeks` after it (the first always, when it has). With `first` None they run back from the latest origin that
    has a whole horizon: the run's backtest, on the most recent weeks."""
    if len(weeks) < horizon:
        return []
    last = len(weeks) - horizon
    if first is None:
        positions = [last - k * step for k in range(count)]
        return sorted(weeks[p] for p in positions if p >= 1)
    start = int(weeks.searchsorted(pd.Timestamp(first)))
    return [weeks[p] for p in range(start, last + 1, step)][:count]


def rolling_backtest(
    demand: WeeklyDemand,
    origins,
    horizon: int = 8,
    min_active_weeks: int = 26,
    forecaster: DemandForecaster | None = None,
    point: str = "mean",
) -> dict:
    """`backtest` from each of `origins` (rolling origin: fit on the weeks before each, forecast the `horizon` after
    it), pooled: every metric is computed over the (product, week) cells of all origins together, so one friendly
    window does not decide. The shape is `backtest`'s, with "origin" the first origin, "origins" each origin's own
    figures (model and best baseline, per-product totals, interval coverage) and "seconds" summed."""
    origins = [pd.Timestamp(o) for o in origins]
    if not origins:
        raise ValueError(f"no forecast origin has {horizon} whole weeks after it")
    started = time.perf_counter()
    results = []
    for origin in origins:
        training_weeks = int((demand.units.index < origin).sum())
        needed = max(1, min(min_active_weeks, training_weeks * 3 // 5))
        results.append(backtest(demand, origin, horizon, needed, forecaster, point))

    def pooled(get) -> np.ndarray:
        return np.concatenate([get(r["cells"]) for r in results], axis=0)

    actual = pooled(lambda c: c["actual"])
    model = {name: pooled(lambda c, n=name: c["model"][n]) for name in ("mean", "median")}
    names = [n for n in results[0]["cells"]["naive"] if all(n in r["cells"]["naive"] for r in results)]
    naive = {name: pooled(lambda c, n=name: c["naive"][n]) for name in names}
    baselines = {name: demand_metrics(actual, f) for name, f in naive.items()}
    best = _best(baselines)
    unbiased = _best({k: m for k, m in baselines.items() if m["bias_pct"] is not None and abs(m["bias_pct"]) <= 10})
    totals = {name: demand_metrics(actual.sum(axis=1), f.sum(axis=1)) for name, f in {**model, **naive}.items()}
    rival = unbiased or best
    return {
        "metrics": demand_metrics(actual, model[point]),
        "point": point,
        "baseline": {"name": best, "metrics": baselines[best]},
        "baselines": baselines,
        "unbiased_baseline": {"name": unbiased, "metrics": baselines[unbiased]} if unbiased else None,
        "mean": demand_metrics(actual, model["mean"]),
        "median": demand_metrics(actual, model["median"]),
        "totals": totals,
        "interval": {
            "quantiles": results[0]["interval"]["quantiles"],
            "method": results[0]["interval"]["method"],
            "coverage": float(pooled(lambda c: c["inside"]).mean()),
            "total_coverage": float(pooled(lambda c: c["total_inside"]).mean()),
            "mean_width": float(pooled(lambda c: c["width"]).mean()),
        },
        "per_week": results[-1]["per_week"],
        "origins": [
            {
                "origin": r["origin"],
                "products": r["products"],
                "wape": r["metrics"]["wape"],
                "best_baseline_wape": r["baseline"]["metrics"]["wape"],
                "total_wape": r["totals"]["mean"]["wape"],
                "rival_total_wape": r["totals"].get(rival, {}).get("wape"),
                "interval_coverage_80": r["interval"]["coverage"],
                "interval_upper_scale": r["interval"]["upper_scale"],
            }
            for r in results
        ],
        "products": results[-1]["products"],
        "training_weeks": results[-1]["training_weeks"],
        "training_rows": results[-1]["training_rows"],
        "clipped_share": results[-1]["clipped_share"],
        "origin": results[0]["origin"],
        "horizon": horizon,
        "seconds": {"total": round(time.perf_counter() - started, 3)},
    }


def _best(baselines: dict) -> str | None:
    """The name of the baseline with the lowest WAPE (None when there is none)."""
    scored = {name: m["wape"] for name, m in baselines.items() if m["wape"] is not None}
    return min(scored, key=scored.get) if scored else None


@dataclass
class NaiveForecaster:
    """A naive baseline (`naive_forecasts`' `name`) as a forecaster with DemandForecaster's output, published when
    the model does not beat it. Its interval is the 10th to 90th percentile of the product's last `window` weeks
    (widened to hold the forecast), its median their median: the product's own recent variability."""

    name: str
    horizon: int
    window: int = 13

    def predict(self, demand: WeeklyDemand, products=None) -> pd.DataFrame:
        """Forecasts from the end of `demand` for the next `horizon` weeks (the columns of DemandForecaster.predict);
        products that have never sold are left out."""
        units = demand.units if products is None else demand.units.loc[:, demand.units.columns.isin(products)]
        history = units.to_numpy(dtype=float).T
        t = history.shape[1]
        sold = ~np.isnan(history).all(axis=1) if t else np.zeros(len(history), dtype=bool)
        history = history[sold]
        naive = naive_forecasts(history, t, self.horizon)
        forecast = naive.get(self.name, naive["mean_4"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a product with no week in the window: no spread
            recent = history[:, -self.window :]
            low, mid, high = (np.nan_to_num(np.nanquantile(recent, q, axis=1)) for q in (0.1, 0.5, 0.9))
        frames = [
            pd.DataFrame(
                {
                    "product": units.columns[sold],
                    "week": units.index[-1] + pd.Timedelta(weeks=h) if t else pd.NaT,
                    "horizon": h,
                    "forecast": forecast[:, h - 1],
                    "median": mid,
                    "lower": np.minimum(low, forecast[:, h - 1]),
                    "upper": np.maximum(high, forecast[:, h - 1]),
                }
            )
            for h in range(1, self.horizon + 1)
        ]
        return pd.concat(frames, ignore_index=True).sort_values(["product", "horizon"], ignore_index=True)
