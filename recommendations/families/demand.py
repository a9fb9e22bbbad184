"""Product demand: units per product per week for the next weeks (12 by default, `horizon` 4 to 12), from a pooled
gradient-boosting model on lags, seasonality and price, with an interval from each product's own variability,
calibrated on weeks held out of a second fit (recommendations/models_ml/demand.py, demand_interval.py).

A run backtests first, from several origins (rolling origin: `origins`, 2 by default, a whole horizon apart, the
last `horizon` weeks before the last whole week: the windows tile the latest origins x horizon weeks, each week
scored once), beside the naive baselines (last week, mean of 4 weeks, median of
8, seasonal naive with a year of history), scored on the products sold in at least 60 % of each origin's training
weeks (26 at most); the cells of every origin are pooled, so one friendly window does not decide. The decision
compares like with like, on what stock for the period is bought on: each product's total over the horizon (WAPE of
totals). WAPE rewards forecasting low, and the best baseline by weekly WAPE is often a third too low in total, so
the rival is the best baseline whose total is within 10 % of what sold (the best by WAPE when none is that close).
The rival is published, with an interval from each product's own recent weeks, when the model does not beat it.
"""

from __future__ import annotations

from insights.families.base import MODEL, Evaluation, Family, Parameter, window_words
from recommendations.models import ProductForecast

HORIZON = 12  # "what will sell" offers 4, 8 and 12 weeks
ORIGINS = 2
MIN_ACTIVE_WEEKS = 26
LINE_COLUMNS = ["product", "placed_at", "quantity", "unit_price"]
BASELINE_WORDS = {
    "last_week": "last week's sales",
    "mean_4": "the mean of the last 4 weeks",
    "median_8": "the median of the last 8 weeks",
    "seasonal_naive": "the same weeks a year earlier",
}


def _origins(value) -> int:
    origins = int(value)
    if not 1 <= origins <= 6:
        raise ValueError("1 to 6 origins")
    return origins


def _horizon(value) -> int:
    horizon = int(value)
    if not 4 <= horizon <= 12:
        raise ValueError("4 to 12 weeks")
    return horizon


class DemandFamily(Family):
    """Forecast units per product and week ahead, with an interval."""

    name = "demand"
    reads = "lines"
    label = "Product demand"
    result_model = ProductForecast
    deciding_metric = "total_wape"
    higher_is_better = False
    per_customer = False
    parameters = {
        "horizon": Parameter(HORIZON, _horizon, "weeks ahead to forecast (4 to 12)"),
        "origins": Parameter(ORIGINS, _origins, "forecast origins the backtest pools (1 to 6)"),
    }

    def __init__(self, parameters: dict | None = None):
        super().__init__(parameters)
        self.fits: dict = {}  # the run's fits, which its calibrations repeat (DemandForecaster.memo)

    def load(self, snapshot):
        from recommendations.models_ml.demand_weeks import weekly_demand

        def weekly():
            lines = snapshot.lines()[LINE_COLUMNS]
            if lines.empty:
                return None
            end = snapshot.until.tz_convert("UTC").tz_localize(None) if snapshot.until is not None else None
            return weekly_demand(lines, end=end)

        demand = snapshot.keep("weekly_demand", weekly)
        horizon = self.params["horizon"]
        if demand is None or len(demand.units) < horizon + 4:
            raise ValueError(f"Demand needs at least {horizon + 4} whole weeks of sales; there are "
                             f"{0 if demand is None else len(demand.units)}.")  # fmt: skip
        return demand

    def counts(self, data) -> dict[str, int]:
        return {"weeks": len(data.units), "products": int(data.units.shape[1])}

    def _backtest(self, demand, first=None):
        """The rolling-origin backtest: from `first` onwards (evaluate), or over the latest weeks (a run)."""
        from recommendations.models_ml import demand_eval
        from recommendations.models_ml.demand import DemandForecaster

        horizon = self.params["horizon"]
        # A whole horizon apart, so each origin's calibration fit (the weeks before it less a horizon) is the previous
        # origin's fit and the final fit's is the last origin's: with the memo, origins + 2 fits in all.
        origins = demand_eval.rolling_origins(demand.units.index, first, horizon, self.params["origins"], horizon)
        forecaster = DemandForecaster(horizon=horizon, memo=self.fits)
        result = demand_eval.rolling_backtest(
            demand, origins, horizon=horizon, min_active_weeks=MIN_ACTIVE_WEEKS, forecaster=forecaster
        )
        return self._evaluation(result)

    def _evaluation(self, result: dict) -> Evaluation:
        import pandas as pd

        rival = result["unbiased_baseline"] or result["baseline"]
        totals = result["totals"]
        self.result, self.rival = result, rival["name"]
        origin = pd.Timestamp(result["origin"])
        last = pd.Timestamp(result.get("origins", [{}])[-1].get("origin", result["origin"]))
        return Evaluation(
            model="the demand model (gradient boosting)",
            baseline=BASELINE_WORDS.get(rival["name"], rival["name"]),
            baseline_key=rival["name"],
            metric=self.deciding_metric,
            higher_is_better=False,
            metrics={
                **result["metrics"],
                "total_wape": totals["mean"]["wape"],
                "interval_coverage_80": result["interval"]["coverage"],
                "total_interval_coverage_80": result["interval"]["total_coverage"],
            },
            baseline_metrics={**rival["metrics"], "total_wape": totals[rival["name"]]["wape"]},
            window=window_words(origin, last + pd.Timedelta(weeks=result["horizon"]), in_weeks=True),
            details={
                k: result.get(k)
                for k in ("baselines", "unbiased_baseline", "mean", "median", "totals", "products", "origins")
            },
        )

    def backtest(self, data) -> Evaluation:
        return self._backtest(data)

    def fit(self, data, winner: str):
        from recommendations.models_ml.demand import DemandForecaster
        from recommendations.models_ml.demand_eval import NaiveForecaster

        horizon = self.params["horizon"]
        if winner == MODEL:
            return DemandForecaster(horizon=horizon, memo=self.fits).fit(data)
        return NaiveForecaster(self.rival, horizon)

    def card(self, fitted, evaluation: Evaluation, data) -> dict:
        from recommendations.models_ml.demand_weeks import bursty_products

        result = self.result
        return {
            "horizon": self.params["horizon"],
            "backtest": evaluation.details,
            "interval": result["interval"],
            "per_week": result["per_week"],
            "origin": result["origin"],
            "products_scored": result["products"],
            "forecaster": type(fitted).__name__,
            "clipped_share": getattr(fitted, "clipped_share", None),
            # How the weeks' ranges add up into a total's (recommendations.queries.forecast_totals); 1 for a
            # naive baseline: its ends are summed.
            "total_rho": getattr(fitted, "total_rho", 1.0),
            # Products whose busiest weeks brought half their units: "what will sell" says they sell in bursts.
            "bursty": [int(product) for product in bursty_products(data.units)],
        }

    def rows(self, fitted, data, customers=None):
        import pandas as pd

        forecasts = fitted.predict(data)
        return pd.DataFrame(
            {
                "product_id": forecasts["product"].astype("int64"),
                "week": forecasts["week"].dt.date,
                "horizon": forecasts["horizon"],
                **{c: forecasts[c].astype(float).round(3) for c in ("forecast", "median", "lower", "upper")},
            }
        )

    def evaluate(self, snapshot, as_of):
        """Forecast the `horizon` weeks from the first Monday after `as_of` with the weeks before it, and from each
        later origin (up to `origins`, half a horizon apart) that has a whole horizon of data after it."""
        import pandas as pd

        demand = self.load(snapshot)
        origin = pd.Timestamp(as_of) + pd.Timedelta(days=7 - pd.Timestamp(as_of).day_of_week)
        available = demand.units.index[demand.units.index >= origin]
        if len(available) < self.params["horizon"]:
            last = demand.units.index[-self.params["horizon"]] - pd.Timedelta(days=1)
            raise ValueError(
                f"Demand is tested on the {self.params['horizon']} whole weeks after the as-of date; the data has "
                f"{len(available)} after {as_of}. Choose an as-of date up to {last:%Y-%m-%d}."
            )
        return self._backtest(demand, origin)
