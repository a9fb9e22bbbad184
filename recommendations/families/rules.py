"""Association rules ("bought together"): frequent pairs and triples of products over the baskets (orders), with
support, confidence and lift, thresholds adapting to the data's size (recommendations/models_ml/rules.py).

A run backtests first (rules mined before the last 90 days, then one product of each later basket hidden and
looked for among the rules' ten suggestions, beside the ten most popular products), then mines every basket and
publishes the strongest rules of each antecedent. Published when the rules, filled up with popular products as a
page shows them, find the hidden product at least as often as popularity alone: otherwise they add nothing.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from insights import publishing
from insights.families import common
from insights.models import ModelRun
from recommendations import data
from recommendations.models import AssociationRule

HOLDOUT_DAYS = 90
RULES_PER_ANTECEDENT = 20  # a product page shows ten; the rest serve baskets where the first ones are present
RESULT_MODEL = AssociationRule
LINE_COLUMNS = ("order", "product", "placed_at")


def baskets(lines: pd.DataFrame) -> pd.DataFrame:
    """(basket, product) pairs, one per product per order."""
    return lines[["order", "product"]].drop_duplicates().rename(columns={"order": "basket"})


def _split(lines: pd.DataFrame, cutoff: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    before = lines["placed_at"] < cutoff
    return baskets(lines[before]), baskets(lines[~before])


def rule_rows(run_id: int, rules: pd.DataFrame, per_antecedent: int = RULES_PER_ANTECEDENT) -> pd.DataFrame:
    """The strongest `per_antecedent` rules of each antecedent (rules come sorted by lift, then confidence) as
    AssociationRule columns."""
    antecedent = rules["antecedent"]
    first = np.fromiter((a[0] for a in antecedent), dtype=np.int64, count=len(rules))
    second = pd.array([a[1] if len(a) > 1 else None for a in antecedent], dtype="Int64")
    frame = pd.DataFrame(
        {
            "run_id": run_id,
            "antecedent_id": first,
            "antecedent_2_id": second,
            "consequent_id": rules["consequent"].astype(np.int64).to_numpy(),
            "support": rules["support"].to_numpy(),
            "confidence": rules["confidence"].to_numpy(),
            "lift": rules["lift"].to_numpy(),
            "count": rules["count"].astype(np.int64).to_numpy(),
        }
    )
    rank = frame.groupby(["antecedent_id", "antecedent_2_id"], dropna=False).cumcount()
    return frame[rank.to_numpy() < per_antecedent].reset_index(drop=True)


def _verdict(result: dict) -> tuple[bool, str]:
    model, base = result["metrics"], result["baseline"]["metrics"]
    if not result["baskets"]:
        return False, f"Held back: no basket in the last {HOLDOUT_DAYS} days with two known products to test on."
    if not model["rule_count"]:
        return False, "Held back: no rule is frequent enough in these baskets."
    summary = (
        f"hidden product found in {model['hit_rate_at_10']:.1%} of {result['baskets']} test baskets vs "
        f"{base['hit_rate_at_10']:.1%} (popularity); the rules alone {model['rules_hit_rate_at_10']:.1%}, "
        f"suggesting something for {model['coverage']:.0%} of them"
    )
    if model["hit_rate_at_10"] < base["hit_rate_at_10"]:
        return False, f"Held back: it does worse than popularity: {summary}."
    return True, f"Published: {summary}."


def train(run: ModelRun, progress) -> bool:
    """Backtest on the last 90 days, mine every basket, write the rules and publish (or hold back)."""
    from recommendations.models_ml import rules_eval
    from recommendations.models_ml.rules import mine_rules

    progress("loading data", 0.05)
    until = common.training_moment(run.as_of)
    lines = data.order_lines(until, columns=LINE_COLUMNS)
    if lines.empty:
        raise ValueError(f"No orders before {run.as_of}: nothing to learn from.")
    run.data_counts = {"lines": len(lines), "baskets": int(lines["order"].nunique())}
    progress("backtesting", 0.2)
    train_pairs, test_pairs = _split(lines, until - pd.Timedelta(days=HOLDOUT_DAYS))
    result = rules_eval.backtest(train_pairs, test_pairs)
    progress("mining", 0.5)
    rules = mine_rules(baskets(lines))
    run.model_card = {
        "holdout_days": HOLDOUT_DAYS,
        "backtest": {"baskets": result["baskets"], "summary": result["summary"]},
        "rules": rules.summary(),
    }
    result["metrics"]["rule_count"] = int(len(rules.rules))
    progress("writing", 0.8)
    rows = rule_rows(run.pk, rules.rules)
    run.model_card["rules_published"] = publishing.write_frame(AssociationRule, rows)
    common.finish(run, result, *_verdict(result))
    return True


def evaluate(as_of: dt.date, parameters: dict) -> dict:
    """Mine the baskets up to `as_of` and score the rules on the baskets after it, beside popularity."""
    from recommendations.models_ml import rules_eval

    cutoff = common.training_moment(as_of)
    lines = data.order_lines(columns=LINE_COLUMNS)
    if lines.empty or lines["placed_at"].max() < cutoff:
        raise ValueError(f"No orders after {as_of} to evaluate against.")
    result = rules_eval.backtest(*_split(lines, cutoff))
    return {"metrics": result["metrics"], "baseline": result["baseline"], "baskets": result["baskets"]}
