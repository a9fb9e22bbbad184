"""Product demand: units per product per week for the next weeks (8 by default, `horizon` 4 to 12), from a pooled
gradient-boosting model on lags, seasonality and price, with an interval (recommendations/models_ml/demand.py).

A run backtests first, from one origin `horizon` weeks before the last whole week, beside the naive baselines
(last week, mean of 4 weeks, median of 8, seasonal naive with a year of history), scored on the products sold in at
least 60 % of the training weeks (26 at most: 26 of 44 on Online Retail). The gate compares like with like, on
what stock for the period is bought on: each product's total over the horizon. WAPE rewards forecasting low, and
the best baseline by WAPE is often a third too low in total, so the model's expected units must beat the best
baseline whose total is within 10 % of what sold (the "unbiased" one; the best by WAPE when none is that close).
Weekly WAPE, MAPE and bias are the run's metrics, beside the best baseline by WAPE, as `evaluate` reports them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from insights import publishing
from insights.families import common
from insights.models import ModelRun
from recommendations import data
from recommendations.models import ProductForecast

HORIZON = 8
MIN_ACTIVE_WEEKS = 26
RESULT_MODEL = ProductForecast
LINE_COLUMNS = ("product", "placed_at", "quantity", "unit_price")


def _horizon(parameters: dict) -> int:
    horizon = int(parameters.get("horizon", HORIZON))
    if not 4 <= horizon <= 12:
        raise ValueError(f"horizon must be 4 to 12 weeks, not {horizon}.")
    return horizon


def _weekly(lines: pd.DataFrame, until: pd.Timestamp | None = None):
    from recommendations.models_ml.demand import weekly_demand

    end = until.tz_convert("UTC").tz_localize(None) if until is not None else None
    return weekly_demand(lines, end=end)


def _backtest(demand, origin, horizon: int) -> dict:
    from recommendations.models_ml import demand_eval

    training_weeks = int((demand.units.index < origin).sum())
    min_weeks = max(1, min(MIN_ACTIVE_WEEKS, training_weeks * 3 // 5))
    return demand_eval.backtest(demand, origin, horizon=horizon, min_active_weeks=min_weeks)


def _verdict(result: dict) -> tuple[bool, str]:
    """Publish when the expected units beat the fair rival on each product's total over the horizon (what stock
    for the period is bought on): the best baseline within 10 % of the total sold, else the best by WAPE."""
    model, best = result["metrics"], result["baseline"]
    rival = result["unbiased_baseline"] or best
    totals = result["totals"]
    summary = (
        f"per-product totals WAPE {totals['mean']['wape']:.3f} vs {totals[rival['name']]['wape']:.3f} for "
        f"{rival['name']}{' (within 10 % of the total sold)' if result['unbiased_baseline'] else ''}; weekly WAPE "
        f"{model['wape']:.3f} (bias {model['bias_pct']:+.0f} %) vs {best['metrics']['wape']:.3f} "
        f"(bias {best['metrics']['bias_pct']:+.0f} %) for {best['name']}, the best baseline by WAPE, over "
        f"{result['products']} products and {result['horizon']} weeks"
    )
    if totals["mean"]["wape"] < totals[rival["name"]]["wape"]:
        return True, f"Published: {summary}."
    return False, f"Held back: {summary}."


def train(run: ModelRun, progress) -> bool:
    """Backtest from `horizon` weeks before the last whole week, fit on every week, write the forecasts."""
    from recommendations.models_ml.demand import DemandForecaster

    horizon = _horizon(run.parameters)
    progress("loading data", 0.05)
    until = common.training_moment(run.as_of)
    lines = data.order_lines(until, columns=LINE_COLUMNS)
    demand = _weekly(lines, until) if not lines.empty else None
    if demand is None or len(demand.units) < horizon + 4:
        raise ValueError(f"Demand needs at least {horizon + 4} whole weeks of sales before {run.as_of}.")
    run.data_counts = {"lines": len(lines), "weeks": len(demand.units), "products": demand.units.shape[1]}
    progress("backtesting", 0.2)
    result = _backtest(demand, demand.units.index[-horizon], horizon)
    progress("fitting", 0.5)
    forecaster = DemandForecaster(horizon=horizon).fit(demand)
    forecasts = forecaster.predict(demand)
    run.model_card = {
        "horizon": horizon,
        "backtest": {k: result[k] for k in ("baselines", "unbiased_baseline", "mean", "median", "totals")},
        "interval": result["interval"],
        "per_week": result["per_week"],
        "origin": result["origin"],
        "products_scored": result["products"],
        "clipped_share": forecaster.clipped_share,
        "seconds": forecaster.seconds,
    }
    progress("writing", 0.8)
    rows = pd.DataFrame(
        {
            "run_id": run.pk,
            "product_id": forecasts["product"].astype("int64"),
            "week": forecasts["week"].dt.date,
            "horizon": forecasts["horizon"],
            **{c: forecasts[c].astype(float).round(3) for c in ("forecast", "median", "lower", "upper")},
        }
    )
    run.model_card["forecasts_published"] = publishing.write_frame(ProductForecast, rows)
    common.finish(run, result, *_verdict(result))
    return True


def evaluate(as_of: dt.date, parameters: dict) -> dict:
    """Forecast the `horizon` weeks from the first Monday after `as_of` with the weeks before it, beside the
    naive baselines: wape, mape and bias_pct of the model's expected units and of the best baseline by WAPE."""
    horizon = _horizon(parameters)
    lines = data.order_lines(columns=LINE_COLUMNS)
    if lines.empty:
        raise ValueError("No orders to evaluate against.")
    demand = _weekly(lines)
    origin = pd.Timestamp(as_of) + pd.Timedelta(days=7 - pd.Timestamp(as_of).day_of_week)
    result = _backtest(demand, origin, horizon)
    return {
        "metrics": result["metrics"],
        "baseline": result["baseline"],
        "unbiased_baseline": result["unbiased_baseline"],
        "median": result["median"],
        "totals": result["totals"],
        "products": result["products"],
        "origin": result["origin"],
    }
