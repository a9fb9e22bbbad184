"""Customer value: BG/NBD (repeat purchases, chance of still being active) with Gamma-Gamma (spend per purchase)
gives each customer's expected purchases and 12-month value, in the shop's calendar when its weeks are not flat
(models_ml/clv_calendar.py); the simple past-rate forecast is its baseline. The backtest holds out the last 90
days; the one with the lower RMSE of purchases per customer is published (the model only when both its fits are
sound)."""

from __future__ import annotations

from insights.families.base import MODEL, Evaluation, Parameter, PurchasesFamily, data_end, window_words
from insights.models import CustomerValue


class ValueFamily(PurchasesFamily):
    """Expected purchases, chance of being active and 12-month value per customer."""

    name = "value"
    label = "Customer value"
    result_model = CustomerValue
    deciding_metric = "rmse"
    higher_is_better = False
    score_history = True  # the health card's history (insights/panels.py HISTORY_RUNS)
    parameters = {"holdout_days": Parameter(90, int, "days held out at the end of the data to test on")}
    MODEL_WORDS = "BG/NBD with Gamma-Gamma"
    BASELINE_WORDS = "the simple past-rate forecast"

    def _evaluation(self, result: dict, cutoff, end) -> Evaluation:
        diagnostics = result["diagnostics"]
        problems = [diagnostics["model_error"]] if "model_error" in diagnostics else []
        problems += [
            f"{what}: {diagnostics[key]['reason']}"
            for key, what in (("bgnbd", "purchases"), ("gamma_gamma", "spend"))
            if key in diagnostics and not diagnostics[key]["publishable"]
        ]
        return Evaluation(
            model=self.MODEL_WORDS,
            baseline=self.BASELINE_WORDS,
            baseline_key=result["baseline"]["name"],
            metric=self.deciding_metric,
            higher_is_better=self.higher_is_better,
            metrics=result["metrics"],
            baseline_metrics=result["baseline"]["metrics"],
            window=window_words(cutoff, end),
            problem="; ".join(problems),
            details=diagnostics,
        )

    def backtest(self, data) -> Evaluation:
        import pandas as pd

        from insights.models_ml import clv_backtest

        if data.purchases.empty:
            raise ValueError(f"No purchases before {data.until:%Y-%m-%d}: nothing to learn from.")
        end = data_end(data.until, data.purchases["placed_at"])
        cutoff = end - pd.Timedelta(days=self.params["holdout_days"])
        if data.purchases["placed_at"].min() >= cutoff:
            raise ValueError(
                f"Every purchase falls in the last {self.params['holdout_days']} days of the data: there is nothing "
                "before them to learn from. Choose a later as-of date or a shorter holdout_days."
            )
        return self._evaluation(clv_backtest.backtest(data.purchases, cutoff, end), cutoff, end)

    def fit(self, data, winner: str):
        from insights.models_ml import clv, clv_backtest
        from insights.models_ml.features import rfm_for_value

        rfm = rfm_for_value(data.purchases, data.until)
        if winner != MODEL:
            return clv_backtest.PastRate.fit(rfm)
        purchases, _, _, calendar = clv_backtest.fit_in_calendar(data.purchases, data.until, rfm=rfm)
        return clv.ValueModel(purchases, clv.fit_spend_model(rfm["x"], rfm["monetary_value"]), calendar=calendar)

    def card(self, fitted, evaluation: Evaluation, data) -> dict:
        from dataclasses import asdict

        card = {
            "holdout_days": self.params["holdout_days"],
            "backtest": evaluation.details,
            # How seasonality is estimated from the history the shop has, in the card's own words.
            "seasonality": {
                "method": "From the shop's own history: its calendar, each week's purchase rate of the customers "
                "present, within customers (each at their own rate, so a growing customer base or a history that "
                "starts mid-way through the customers' lives is not a season; after their last purchase a "
                "customer counts with their chance of still being one, so leavers are not quiet weeks), each "
                "week pooled with an average one as far as the data's own spread says, used only when the weeks "
                "differ beyond chance. BG/NBD is fitted in that calendar's time (a busy week counts for more), "
                "and days ahead count as busy as the same days 52 weeks earlier where the history holds them, as "
                "the history's average where it does not: a season never seen is not guessed and no trend is "
                "extrapolated. The backtest applies it to its holdout, the published model to its 90-day and "
                "12-month figures.",
                "backtest": evaluation.details.get("calendar"),
                "published": fitted.calendar.describe(data.until, 90) if getattr(fitted, "calendar", None) else None,
            },
        }
        if hasattr(fitted, "purchases"):
            card["purchase_model"] = {
                "params": fitted.purchases.fit.params,
                "degenerate": fitted.purchases.fit.degenerate,
                "reason": fitted.purchases.fit.reason,
            }
            card["spend_model"] = {"params": fitted.spend.fit.params, "diagnostics": fitted.spend.diagnostics}
        else:
            card["past_rate"] = asdict(fitted)
        return card

    def rows(self, fitted, data, customers=None):
        from insights.models_ml.features import rfm_for_value

        rfm = rfm_for_value(data.purchases, data.until)
        if customers is not None:
            rfm = rfm[rfm.index.isin(customers)]
        scores = fitted.customer_value(rfm, as_of=data.until).astype(float)
        scores = scores.fillna({c: 0.0 for c in scores.columns if c != "p_alive"})  # p_alive: NULL, not 0
        scores = scores.rename(columns={"expected_value": "expected_order_value", "clv": "clv_12m"})
        return scores.rename_axis("customer_id").reset_index()

    def evaluate(self, snapshot, as_of):
        import pandas as pd

        from insights.models_ml import clv_backtest
        from insights.snapshot import training_moment

        cutoff = training_moment(as_of)
        purchases = snapshot.dataset().purchases
        if purchases.empty or purchases["placed_at"].max() < cutoff:
            raise ValueError(f"No purchases after {as_of} to evaluate against.")
        if purchases["placed_at"].min() >= cutoff:
            raise ValueError(f"No purchases up to {as_of} to learn from.")
        end = purchases["placed_at"].max().floor("D") + pd.Timedelta(days=1)
        return self._evaluation(clv_backtest.backtest(purchases, cutoff, end), cutoff, end)
