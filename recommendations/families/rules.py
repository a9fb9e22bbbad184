"""Association rules ("bought together"): frequent pairs and triples of products over the baskets (orders), with
support, confidence and lift, thresholds adapting to the data's size (recommendations/models_ml/rules.py).

A run backtests first: rules mined before the last 90 days, then one product of each later basket hidden and looked
for among the rules' ten suggestions (filled up with popular products, as a page shows them), beside the ten most
popular products. The rules are published when they find the hidden product more often; otherwise the baseline is,
as rules: each product's most popular companions (bestsellers its buyers did buy with it).
"""

from __future__ import annotations

from insights.families.base import MODEL, Evaluation, Family, window_words
from recommendations.models import AssociationRule

HOLDOUT_DAYS = 90
RULES_PER_ANTECEDENT = 20  # a product page shows ten; the rest serve baskets where the first ones are present
LINE_COLUMNS = ["order", "product", "placed_at"]


def baskets(lines):
    """(basket, product) pairs, one per product per order."""
    return lines[["order", "product"]].drop_duplicates().rename(columns={"order": "basket"})


def _split(lines, cutoff):
    before = lines["placed_at"] < cutoff
    return baskets(lines[before]), baskets(lines[~before])


def rule_rows(rules, per_antecedent: int = RULES_PER_ANTECEDENT):
    """The strongest `per_antecedent` rules of each antecedent (in the order given) as AssociationRule columns."""
    import numpy as np
    import pandas as pd

    antecedent = rules["antecedent"]
    first = np.fromiter((a[0] for a in antecedent), dtype=np.int64, count=len(rules))
    second = pd.array([a[1] if len(a) > 1 else None for a in antecedent], dtype="Int64")
    frame = pd.DataFrame(
        {
            "antecedent_id": first,
            "antecedent_2_id": second,
            "consequent_id": rules["consequent"].astype(np.int64).to_numpy(),
            "support": rules["support"].to_numpy(dtype=float),
            "confidence": rules["confidence"].to_numpy(dtype=float),
            "lift": rules["lift"].to_numpy(dtype=float),
            "count": rules["count"].astype(np.int64).to_numpy(),
        }
    )
    rank = frame.groupby(["antecedent_id", "antecedent_2_id"], dropna=False).cumcount()
    return frame[rank.to_numpy() < per_antecedent].reset_index(drop=True)


class RulesFamily(Family):
    """Rules "customers who buy X also buy Y", per product."""

    name = "rules"
    label = "Association rules"
    result_model = AssociationRule
    deciding_metric = "hit_rate_at_10"
    higher_is_better = True
    per_customer = False
    BASELINE_WORDS = "each product's most popular companions"

    def load(self, snapshot):
        lines = snapshot.lines()[LINE_COLUMNS]
        if lines.empty:
            raise ValueError("No orders before this date: nothing to learn from.")
        return lines

    def counts(self, data) -> dict[str, int]:
        return {"lines": len(data), "baskets": int(data["order"].nunique())}

    def _evaluation(self, result: dict, cutoff, end) -> Evaluation:
        model = result["metrics"]
        problem = ""
        if not result["baskets"]:
            problem = "no later basket holds two products it knows, so there is nothing to test on"
        elif not model["rule_count"]:
            problem = "no rule is frequent enough in these baskets"
        return Evaluation(
            model="rule mining",
            baseline=self.BASELINE_WORDS,
            baseline_key=result["baseline"]["name"],
            metric=self.deciding_metric,
            higher_is_better=True,
            metrics=model,
            baseline_metrics=result["baseline"]["metrics"],
            window=window_words(cutoff, end),
            problem=problem,
            details={"baskets": result["baskets"], "summary": result["summary"]},
        )

    def backtest(self, data) -> Evaluation:
        import pandas as pd

        from recommendations.models_ml import rules_eval

        end = data["placed_at"].max().floor("D") + pd.Timedelta(days=1)
        cutoff = end - pd.Timedelta(days=HOLDOUT_DAYS)
        return self._evaluation(rules_eval.backtest(*_split(data, cutoff)), cutoff, end)

    def fit(self, data, winner: str):
        from recommendations.models_ml.rules import mine_rules
        from recommendations.models_ml.rules_baseline import popular_pairs

        return mine_rules(baskets(data)) if winner == MODEL else popular_pairs(baskets(data))

    def card(self, fitted, evaluation: Evaluation, data) -> dict:
        return {"holdout_days": HOLDOUT_DAYS, "backtest": evaluation.details, "rules": fitted.summary()}

    def rows(self, fitted, data, customers=None):
        return rule_rows(fitted.rules)

    def evaluate(self, snapshot, as_of):
        import pandas as pd

        from insights.snapshot import training_moment
        from recommendations.models_ml import rules_eval

        lines = self.load(snapshot)
        cutoff = training_moment(as_of)
        if lines["placed_at"].max() < cutoff:
            raise ValueError(f"No orders after {as_of} to evaluate against.")
        end = lines["placed_at"].max().floor("D") + pd.Timedelta(days=1)
        return self._evaluation(rules_eval.backtest(*_split(lines, cutoff)), cutoff, end)
