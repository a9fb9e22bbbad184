"""Recommendations: the hybrid recommender (buy-again, item-item, ALS, content, popularity) gives every customer two
lists, "likely to reorder" and "try next", each item with its reason.

A run backtests first: the hybrid is fitted on everything before the last 30 days (its blend weights chosen on the
30 days before that, never on the test) and scored on what customers bought in those 30 days, beside popularity
(on a seeded sample of 5,000 of them at most, each metric with its 95 % interval: models_ml/backtest.py).
The winner on precision@10 is then fitted on everything: the hybrid with the backtest's weights, or popularity
alone (the same two lists, ranked by how many customers buy each product). Scoring runs in customer chunks; a
customer without history gets what is popular now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from insights.families.base import MODEL, Evaluation, Family, data_end, window_words
from recommendations.models import Recommendation

HOLDOUT_DAYS = 30
LINE_COLUMNS = ["customer", "product", "placed_at"]  # the recommenders count purchase days, not units
POPULARITY_WEIGHTS = {"all": {"popularity": 1.0}, "new": {"popularity": 1.0}}


@dataclass
class Data:
    """Lines of profiled customers, the catalogue, and the moment they run to."""

    lines: object
    products: object
    until: object


def popularity_components() -> list:
    """Only what popularity needs (recent popularity serves customers without history)."""
    from recommendations.models_ml.popularity import Popularity, RecentPopularity

    return [Popularity(), RecentPopularity()]


class RecommendationsFamily(Family):
    """Two lists of products per customer, each with its reason."""

    name = "recommendations"
    reads = "lines"
    label = "Recommendations"
    result_model = Recommendation
    deciding_metric = "precision_at_10"
    higher_is_better = True
    chunked = True
    batch = 2000  # customers per recommend() call: its try-next blend is batch x catalogue floats

    def __init__(self, parameters: dict | None = None):
        super().__init__(parameters)
        self.fits: dict = {}  # what the run's fits share (the content similarity of a catalogue: Content.memo)

    def components(self):
        """The hybrid's components, sharing this run's memo."""
        from functools import partial

        from recommendations.models_ml.hybrid import default_components

        return partial(default_components, memo=self.fits)

    def load(self, snapshot):
        from recommendations import data

        lines = snapshot.lines()
        mine = lines.loc[lines["profiled"] & lines["customer"].notna(), LINE_COLUMNS].astype({"customer": "int64"})
        if mine.empty:
            raise ValueError("No purchases of profiled customers before this date: nothing to learn from.")
        return Data(mine.reset_index(drop=True), data.products(), snapshot.until)

    def counts(self, data) -> dict[str, int]:
        return {
            "lines": len(data.lines),
            "customers": int(data.lines["customer"].nunique()),
            "products": int(data.lines["product"].nunique()),
        }

    def _evaluation(self, result: dict, cutoff, end) -> Evaluation:
        self.result = result
        window = window_words(cutoff, end)
        scored, eligible = result["customers"]["all"], result["eligible"]["all"]
        if scored < eligible:
            window += f" ({scored:,} of its {eligible:,} buying customers, sampled)"
        return Evaluation(
            model="the blended recommender",
            baseline="popularity",
            baseline_key=result["baseline"]["name"],
            metric=self.deciding_metric,
            higher_is_better=True,
            metrics=result["metrics"],
            baseline_metrics=result["baseline"]["metrics"] or {},
            window=window,
            problem="" if result["customers"]["all"] else "nobody bought a known product in the test window",
            details={
                k: result[k]
                for k in ("customers", "eligible", "intervals", "components", "weights", "validation", "timings")
            },
        )

    def backtest(self, data) -> Evaluation:
        import pandas as pd

        from recommendations.models_ml import backtest

        end = data_end(data.until, data.lines["placed_at"])
        cutoff = end - pd.Timedelta(days=HOLDOUT_DAYS)
        result = backtest.evaluate(data.lines, data.products, cutoff, end, components_factory=self.components())
        return self._evaluation(result, cutoff, end)

    def fit(self, data, winner: str):
        from recommendations.models_ml import tuning

        if winner == MODEL:
            return tuning.fit_recommender(
                data.lines,
                data.products,
                data.until,
                weights=self.result["weights"],
                components_factory=self.components(),
            )
        return tuning.fit_recommender(
            data.lines, data.products, data.until, weights=POPULARITY_WEIGHTS, components_factory=popularity_components
        )

    def card(self, fitted, evaluation: Evaluation, data) -> dict:
        return {"holdout_days": HOLDOUT_DAYS, **evaluation.details, "weights": fitted.weights}

    def load_for_rows(self, snapshot):
        return None  # the fitted recommender holds what it scores from

    def customers(self, data):
        """Every profiled customer, those without purchases too (they get what is popular now)."""
        from insights.data import profiled_customers

        return list(profiled_customers().order_by("pk").values_list("pk", flat=True))

    def rows(self, fitted, data, customers=None):
        return recommendation_rows(fitted.recommend(list(customers)))

    def evaluate(self, snapshot, as_of):
        from insights.snapshot import training_moment
        from recommendations.models_ml import backtest

        data = self.load(snapshot)
        cutoff = training_moment(as_of)
        if data.lines["placed_at"].max() < cutoff:
            raise ValueError(f"No purchases after {as_of} to evaluate against.")
        end = data.lines["placed_at"].max().floor("D")
        result = backtest.evaluate(data.lines, data.products, cutoff, components_factory=self.components())
        return self._evaluation(result, cutoff, end)


def recommendation_rows(frame):
    """`Recommender.recommend`'s frame as Recommendation columns (reason parameters as JSON text)."""
    import pandas as pd

    return pd.DataFrame(
        {
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
