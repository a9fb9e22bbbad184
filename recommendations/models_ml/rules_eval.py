"""Backtest of the association rules: mine on the baskets before a cutoff, then hide one product of each later
basket and ask the rules, given the rest of the basket, for ten suggestions. Pure numpy/pandas.

    hit_rate_at_10          share of test baskets whose hidden product is among the rules' ten suggestions, the
                            list filled up with the most popular products when the rules offer fewer than ten
                            (as a page would show them)
    rules_hit_rate_at_10    the same without the popular fill-in: what the rules alone find
    coverage                share of test baskets for which the rules suggest anything
    rule_count              rules mined
Baseline "popularity": the ten products in most training baskets that are not already in the basket.

Test baskets are those with at least two products the training baskets know (one to hide, one to ask with), at
most `max_baskets` of them drawn with a seed, and the hidden product is drawn with the same seed, so two runs on
the same data score the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommendations.models_ml.rules import RuleSet, bought_together, mine_rules

K = 10


def _test_cases(test: pd.DataFrame, known: set, max_baskets: int, seed: int) -> list[tuple[set, object]]:
    """(rest of the basket, hidden product) for a seeded sample of the test baskets."""
    rng = np.random.default_rng(seed)
    # Sorted, so the sample and the hidden products depend on the data, never on the order rows were read in.
    test = test[test["product"].isin(known)].drop_duplicates().sort_values(["basket", "product"], kind="stable")
    sizes = test.groupby("basket")["product"].transform("size")
    grouped = test[sizes >= 2].groupby("basket")["product"].apply(list)
    if len(grouped) > max_baskets:
        grouped = grouped.iloc[np.sort(rng.choice(len(grouped), max_baskets, replace=False))]
    cases = []
    for items in grouped:
        hidden = items[int(rng.integers(len(items)))]
        cases.append(({i for i in items if i != hidden}, hidden))
    return cases


def backtest(train: pd.DataFrame, test: pd.DataFrame, max_baskets: int = 2000, seed: int = 0, **mine_options) -> dict:
    """Rules mined from `train` (basket, product pairs) scored on `test`'s baskets beside popularity.

    Returns {"metrics": {...}, "baseline": {"name": "popularity", "metrics": {...}}, "baskets": n, "summary": the
    rule set's summary, "rules": the RuleSet}."""
    rules: RuleSet = mine_rules(train, **mine_options)
    counts = train.drop_duplicates()["product"].value_counts()
    popular = counts.rename_axis("product").reset_index(name="n").sort_values(["n", "product"], ascending=[False, True])
    popular = popular["product"].tolist()
    cases = _test_cases(test, set(popular), max_baskets, seed)
    hits = rule_hits = covered = popular_hits = 0
    for basket, hidden in cases:
        suggested = bought_together(rules, basket, top=K)["product"].tolist()
        covered += bool(suggested)
        rule_hits += hidden in suggested
        fill = [p for p in popular[: K + len(basket) + len(suggested)] if p not in basket]
        filled = (suggested + [p for p in fill if p not in suggested])[:K]
        hits += hidden in filled
        popular_hits += hidden in fill[:K]
    n = max(len(cases), 1)
    summary = rules.summary()
    return {
        "metrics": {
            "hit_rate_at_10": hits / n,
            "rules_hit_rate_at_10": rule_hits / n,
            "coverage": covered / n,
            "rule_count": summary["rule_count"],
        },
        "baseline": {"name": "popularity", "metrics": {"hit_rate_at_10": popular_hits / n}},
        "baskets": len(cases),
        "summary": summary,
        "rules": rules,
    }
