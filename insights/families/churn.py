"""Churn risk: the chance a customer makes no purchase in the coming window (90 days or the data's own rhythm),
with the factors raising and lowering it; recency alone is the baseline. The backtest holds out the last window;
the one with the higher ROC-AUC is published (the model only when it is also clear of chance)."""

from __future__ import annotations

from insights.families.base import MODEL, Evaluation, Parameter, PurchasesFamily, data_end, window_words
from insights.models import ChurnScore

# Probability bands as reps read them; the probabilities are calibrated, so the bands mean what they say.
BANDS = ((0.6, "high"), (0.3, "medium"), (0.0, "low"))
EVALUATION_HORIZON_DAYS = 90


def band(probability: float) -> str:
    """low below 30 %, medium from 30 %, high from 60 %."""
    return next(name for floor, name in BANDS if probability >= floor)


def _groups(purchases) -> dict:
    from insights import data

    attributes = data.customer_attributes(purchases["customer"].unique())
    return {"country": attributes["country"], "channel": attributes["acquisition_channel"]}


class ChurnFamily(PurchasesFamily):
    """Churn probability per customer, calibrated, with the factors behind it."""

    name = "churn"
    label = "Churn risk"
    result_model = ChurnScore
    deciding_metric = "roc_auc"
    higher_is_better = True
    score_history = True  # the health card's history (insights/panels.py HISTORY_RUNS)
    parameters = {"horizon_days": Parameter(0, int, "days ahead a churner buys nothing (0: from the data's rhythm)")}
    BASELINE_WORDS = "recency alone"

    def _horizon(self, data) -> int:
        from insights.models_ml import churn_labels

        return int(self.params["horizon_days"] or churn_labels.default_horizon(data.purchases, data.until))

    def _evaluation(self, result: dict, cutoff, end) -> Evaluation:
        from insights.models_ml import churn

        self.result = result
        return Evaluation(
            model=f"the churn model ({result['chosen'].replace('_', ' ')})",
            baseline=self.BASELINE_WORDS,
            baseline_key=result["baseline"]["name"],
            metric=self.deciding_metric,
            higher_is_better=self.higher_is_better,
            metrics=result["metrics"],
            baseline_metrics=result["baseline"]["metrics"],
            window=window_words(cutoff, end),
            problem=churn.within_chance(result),
            details={
                k: result.get(k)
                for k in (
                    "chosen",
                    "candidates",
                    "skipped_candidates",
                    "groups",
                    "warnings",
                    "counts",
                    "threshold",
                    "seasonal_shift",
                    "calibration_window",
                    "sentiment_check",
                )
            },
        )

    def backtest(self, data) -> Evaluation:
        import pandas as pd

        from insights.models_ml import churn

        if data.purchases.empty:
            raise ValueError(f"No purchases before {data.until:%Y-%m-%d}: nothing to learn from.")
        horizon = self._horizon(data)
        end = data_end(data.until, data.purchases["placed_at"])
        cutoff = end - pd.Timedelta(days=horizon)
        # The final fit asks for some of the backtest's labelled windows again: they are computed once.
        self.memo = {}
        result = churn.backtest(
            data.purchases,
            cutoff,
            horizon,
            data.returns,
            data.interactions,
            groups=_groups(data.purchases),
            memo=self.memo,
        )
        return self._evaluation(result, cutoff, end)

    def fit(self, data, winner: str):
        from insights.models_ml import churn

        # The backtest already chose among the candidates on an earlier window: the final fit refits that one only.
        model = churn.fit(
            data.purchases,
            data.until,
            self._horizon(data),
            data.returns,
            data.interactions,
            candidates=[self.result["chosen"]],
            memo=getattr(self, "memo", None),
        )
        return model if winner == MODEL else model.baseline_scorer()

    def card(self, fitted, evaluation: Evaluation, data) -> dict:
        return {
            **evaluation.details,
            "horizon_days": self._horizon(data),
            "scorer": fitted.chosen,
            # How the published probabilities were shifted for the season (insights/models_ml/churn_labels.py).
            "seasonal_shift_applied": getattr(fitted, "season", {}),
            # Predicted against observed churn on the backtest's held-out customers: the dashboards' calibration plot.
            "calibration": self.result.get("calibration", []),
            "bands": {name: floor for floor, name in BANDS},
        }

    def rows(self, fitted, data, customers=None):
        import pandas as pd

        from insights.models_ml.features import snapshot

        features = snapshot(data.purchases, data.until, data.returns, data.interactions)
        if customers is not None:
            features = features[features.index.isin(customers)]
        probability = fitted.predict_proba(features).astype(float)
        factors = fitted.explain(features, probability=probability.to_numpy())
        return pd.DataFrame(
            {
                "customer_id": features.index.to_numpy(),
                "probability": probability.to_numpy(),
                "band": [band(p) for p in probability],
                "factors": [factors.get(int(customer), []) for customer in features.index],
            }
        )

    def evaluate(self, snapshot, as_of):
        import pandas as pd

        from insights.models_ml import churn
        from insights.snapshot import training_moment

        everything = snapshot.dataset()
        if everything.purchases.empty:
            raise ValueError("No purchases to evaluate against.")
        horizon = int(self.params["horizon_days"] or EVALUATION_HORIZON_DAYS)
        cutoff = training_moment(as_of)
        result = churn.backtest(
            everything.purchases,
            cutoff,
            horizon,
            everything.returns,
            everything.interactions,
            groups=_groups(everything.purchases),
        )
        return self._evaluation(result, cutoff, cutoff + pd.Timedelta(days=horizon))
