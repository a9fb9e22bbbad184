"""Association rules ("bought together"): frequent itemsets of products of any length over the baskets (orders),
with support, confidence and lift (recommendations/models_ml/rules.py). The thresholds are run parameters:
`min_support` (by default adapting to the data's size: at least 20 baskets and 0.1 % of them; a given share is used
as it is), `min_confidence`, `min_lift`, `min_gain` (how much sharper a longer rule must be than the shorter ones
it extends; 0 keeps every rule, as R's arules and mlxtend do), `max_length` (products in a rule; 0: no limit) and
`per_antecedent` (rules kept per left-hand side, the most confident first; 0: all).

The defaults publish rules a person can read and a page can use: pairs only, lift 2 or more, and per product the
six most confident rules, as many as its page shows (recommendations/panels.py BOUGHT_TOGETHER). On Online Retail as
of 2011-09-09 the previous defaults (any length, lift 1.5, no cap) mined 430 thousand rules and found the hidden
product in 20.6 % of the later baskets; these mine 5,485 and find it in 24.35 % (popularity: 3.9 %; three per product:
3,185 rules, 23.9 %). Longer rules are a parameter away (`max_length=0`).

A run backtests first: rules mined before the last 90 days, then one product of each later basket hidden and looked
for among the rules' ten suggestions (filled up with popular products, as a page shows them), beside the ten most
popular products. The verdict decides what the suggestions use (the product page's and the profile's "bought
together"): the mined rules when they find the hidden product more often, otherwise the baseline, as rules: each
product's most popular companions (bestsellers its buyers did buy with it). Whatever the verdict, the run writes the
rules it mined with its thresholds: the rules page lists them, since a user who set thresholds asked for those
rules, and says when the suggestions do not use them and why. Each row is marked with its kind
(AssociationRule.Kind); a run whose rules win writes no popular companions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from insights.families.base import MODEL, Evaluation, Family, Parameter, window_words
from recommendations.models import AssociationRule

if TYPE_CHECKING:  # numpy and pandas are imported by the workers that mine, not by every web process
    from recommendations.models_ml.rules import RuleSet

HOLDOUT_DAYS = 90
PER_ANTECEDENT = 6  # the most confident rules kept per left-hand side: as many as a product page shows
LINE_COLUMNS = ["order", "product", "placed_at"]


def _share(value) -> float | None:
    """A share of the baskets in (0, 1], or None for "auto"."""
    if value in (None, "auto"):
        return None
    share = float(value)
    if not 0 < share <= 1:
        raise ValueError("a share of the baskets above 0 and at most 1, or auto")
    return share


def _at_least_zero(value) -> float:
    number = float(value)
    if not number >= 0:
        raise ValueError("0 or more")
    return number


def _length(value) -> int:
    length = int(value)
    if length != 0 and length < 2:
        raise ValueError("2 or more products, or 0 for no limit")
    return length


def _count(value) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("0 or more")
    return number


@dataclass
class RulesFit:
    """What a rules run fits on all its data: the rules mined with its thresholds, always, and each product's most
    popular companions when the baseline won the backtest (None when the mined rules won)."""

    mined: RuleSet
    popular: RuleSet | None = None


def baskets(lines):
    """(basket, product) pairs, one per product per order."""
    return lines[["order", "product"]].drop_duplicates().rename(columns={"order": "basket"})


def _split(lines, cutoff):
    before = lines["placed_at"] < cutoff
    return baskets(lines[before]), baskets(lines[~before])


def rule_rows(rules, per_antecedent: int | None = None):
    """The rules as AssociationRule columns: all of them, or the first `per_antecedent` of each antecedent (in the
    order given). A run publishes every rule it mined (`per_antecedent` 0 asks for all): the miner has already kept
    the most confident per left-hand side, and the baseline its ten most popular companions."""
    import numpy as np
    import pandas as pd

    antecedent = rules["antecedent"]
    first = np.fromiter((a[0] for a in antecedent), dtype=np.int64, count=len(rules))
    second = pd.array([a[1] if len(a) > 1 else None for a in antecedent], dtype="Int64")
    frame = pd.DataFrame(
        {
            "antecedent_id": first,
            "antecedent_2_id": second,
            "antecedent_more": [[int(i) for i in a[2:]] for a in antecedent],
            "size": rules["size"].astype(np.int64).to_numpy() if "size" in rules else [len(a) + 1 for a in antecedent],
            "consequent_id": rules["consequent"].astype(np.int64).to_numpy(),
            "support": rules["support"].to_numpy(dtype=float),
            "confidence": rules["confidence"].to_numpy(dtype=float),
            "lift": rules["lift"].to_numpy(dtype=float),
            "count": rules["count"].astype(np.int64).to_numpy(),
        }
    )
    if not per_antecedent:
        return frame
    # Rules ranked per whole antecedent (the further products as text: lists cannot be grouped on).
    more = frame["antecedent_more"].map(lambda ids: ",".join(map(str, ids)))
    rank = frame.assign(_more=more).groupby(["antecedent_id", "antecedent_2_id", "_more"], dropna=False).cumcount()
    return frame[rank.to_numpy() < per_antecedent].reset_index(drop=True)


class RulesFamily(Family):
    """Rules "customers who buy X also buy Y", per product."""

    name = "rules"
    reads = "lines"
    label = "Association rules"
    result_model = AssociationRule
    deciding_metric = "hit_rate_at_10"
    higher_is_better = True
    per_customer = False
    parameters = {
        "min_support": Parameter(None, _share, "share of baskets a rule's products must all be in (auto: 20 baskets "
                                 "and 0.1 %)"),
        "min_confidence": Parameter(0.05, _at_least_zero, "share of the left-hand side's baskets that hold the "
                                    "right-hand product"),
        "min_lift": Parameter(2.0, _at_least_zero, "how many times likelier the right-hand product must be"),
        "min_gain": Parameter(1.1, _at_least_zero, "how much more confident a longer rule must be than each rule one "
                              "product shorter (0: keep every rule)"),
        "max_length": Parameter(2, _length, "products in a rule at most (0: no limit)"),
        "per_antecedent": Parameter(PER_ANTECEDENT, _count, "rules kept per left-hand side, the most confident "
                                    "first (0: all)"),
    }  # fmt: skip
    BASELINE_WORDS = "each product's most popular companions"

    def mining(self) -> dict:
        """The miner's options from the run's parameters (recommendations.models_ml.rules.mine_rules)."""
        from recommendations.models_ml.rules import MIN_COUNT, MIN_SUPPORT

        support = self.params["min_support"]
        return {
            # A share the user gives is used as it is; by default, the floor of 20 baskets and 0.1 % of them.
            "min_count": MIN_COUNT if support is None else 1,
            "min_support": MIN_SUPPORT if support is None else support,
            "min_confidence": self.params["min_confidence"],
            "min_lift": self.params["min_lift"],
            "min_gain": self.params["min_gain"],
            "max_length": self.params["max_length"] or None,
            "max_per_antecedent": self.params["per_antecedent"] or None,
        }

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
        return self._evaluation(rules_eval.backtest(*_split(data, cutoff), **self.mining()), cutoff, end)

    def fit(self, data, winner: str) -> RulesFit:
        """The rules mined with the run's thresholds, and, when the baseline won, the popular companions the
        suggestions will use instead."""
        from recommendations.models_ml.rules import basket_matrix, mine_rules
        from recommendations.models_ml.rules_baseline import popular_pairs

        matrix = basket_matrix(baskets(data))  # built once for both
        mined = mine_rules(matrix, **self.mining())
        return RulesFit(mined=mined, popular=None if winner == MODEL else popular_pairs(matrix))

    def card(self, fitted: RulesFit, evaluation: Evaluation, data) -> dict:
        return {
            "holdout_days": HOLDOUT_DAYS,
            "parameters": self.params,
            "backtest": evaluation.details,
            "rules": fitted.mined.summary(),  # the mined rules, written whatever the verdict
            "popular": fitted.popular.summary() if fitted.popular is not None else None,
        }

    def rows(self, fitted: RulesFit, data, customers=None):
        import pandas as pd

        frames = [rule_rows(fitted.mined.rules).assign(kind=AssociationRule.Kind.MINED.value)]
        if fitted.popular is not None:
            frames.append(rule_rows(fitted.popular.rules).assign(kind=AssociationRule.Kind.POPULAR.value))
        frames = [frame for frame in frames if len(frame)] or frames[:1]
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def evaluate(self, snapshot, as_of):
        import pandas as pd

        from insights.snapshot import training_moment
        from recommendations.models_ml import rules_eval

        lines = self.load(snapshot)
        cutoff = training_moment(as_of)
        if lines["placed_at"].max() < cutoff:
            raise ValueError(f"No orders after {as_of} to evaluate against.")
        end = lines["placed_at"].max().floor("D") + pd.Timedelta(days=1)
        return self._evaluation(rules_eval.backtest(*_split(lines, cutoff), **self.mining()), cutoff, end)
