"""The itemset miner against brute force: on random basket sets every frequent itemset of any length, and every
rule with its support, confidence and lift, is what enumerating all subsets finds; the work budget stops it and says
so. Pure: no database."""

from collections import Counter
from itertools import combinations

import numpy as np
import pytest
from scipy import sparse

from recommendations.models_ml.itemsets import frequent_itemsets, rules_from_itemsets


def random_baskets(seed: int, baskets: int = 300, items: int = 12):
    """Baskets with correlated items (a few planted groups bought together), so that long itemsets are frequent."""
    rng = np.random.default_rng(seed)
    groups = [rng.choice(items, size=rng.integers(3, 6), replace=False) for _ in range(3)]
    out = []
    for _ in range(baskets):
        basket = set(np.flatnonzero(rng.random(items) < 0.15).tolist())
        for group in groups:
            if rng.random() < 0.3:
                basket |= {int(i) for i in group if rng.random() < 0.85}
        out.append(sorted(basket))
    return out


def matrix(baskets, items: int = 12):
    rows = [b for b, basket in enumerate(baskets) for _ in basket]
    cols = [i for basket in baskets for i in basket]
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(baskets), items))


def brute_force(baskets, threshold):
    """Every itemset held by at least `threshold` baskets, by counting every subset of every basket."""
    counts = Counter()
    for basket in baskets:
        for size in range(1, len(basket) + 1):
            counts.update(combinations(basket, size))
    return {itemset: n for itemset, n in counts.items() if n >= threshold}


@pytest.mark.parametrize("seed", range(6))
def test_every_frequent_itemset_of_any_length_is_found_with_its_count(seed):
    baskets = random_baskets(seed)
    threshold = 8 + seed
    expected = brute_force(baskets, threshold)
    found = frequent_itemsets(matrix(baskets), threshold)
    mined = {
        tuple(row): int(n) for k in found.sets for row, n in zip(found.sets[k].tolist(), found.counts[k], strict=True)
    }
    assert mined == expected
    assert found.complete and found.longest == max(len(s) for s in expected) >= 4


@pytest.mark.parametrize("seed", range(4))
def test_every_rule_has_the_brute_force_support_confidence_and_lift(seed):
    baskets = random_baskets(seed)
    n, threshold = len(baskets), 10
    frequent = brute_force(baskets, threshold)
    expected = {}
    for itemset, count in frequent.items():
        for consequent in itemset if len(itemset) > 1 else ():
            antecedent = tuple(i for i in itemset if i != consequent)
            confidence = count / frequent[antecedent]
            lift = confidence / (frequent[(consequent,)] / n)
            if confidence >= 0.6 and lift >= 1.2:
                expected[(antecedent, consequent)] = (count / n, confidence, lift)
    rules = rules_from_itemsets(frequent_itemsets(matrix(baskets), threshold), min_confidence=0.6, min_lift=1.2)
    mined = {(tuple(r.antecedent), int(r.consequent)): (r.support, r.confidence, r.lift) for r in rules.itertuples()}
    assert mined.keys() == expected.keys() and len(mined) > 20
    assert max(len(a) for a, _ in mined) >= 3
    for key, values in expected.items():
        assert mined[key] == pytest.approx(values)


def test_productive_rules_beat_every_rule_one_item_shorter():
    baskets = random_baskets(1)
    found = frequent_itemsets(matrix(baskets), 8)
    every = rules_from_itemsets(found)
    productive = rules_from_itemsets(found, min_gain=1.1)
    conf = {(tuple(r.antecedent), int(r.consequent)): r.confidence for r in every.itertuples()}
    kept = {(tuple(r.antecedent), int(r.consequent)) for r in productive.itertuples()}
    for antecedent, consequent in conf:
        if len(antecedent) < 2:
            assert (antecedent, consequent) in kept
            continue
        shorter = [conf[(tuple(i for i in antecedent if i != d), consequent)] for d in antecedent]
        productive_rule = conf[(antecedent, consequent)] >= 1.1 * max(shorter)
        assert ((antecedent, consequent) in kept) == productive_rule
    assert 0 < len(kept) < len(conf)


def test_max_length_and_the_work_budget_stop_the_levels_and_say_so():
    baskets = random_baskets(2)
    assert frequent_itemsets(matrix(baskets), 8, max_length=2).longest == 2
    stopped = frequent_itemsets(matrix(baskets), 8, budget=1)
    assert not stopped.complete and stopped.stopped_at == 3 and stopped.longest == 2


def test_no_basket_and_no_frequent_item_give_nothing():
    assert frequent_itemsets(matrix([[0, 1]]), 2).longest == 0
    assert rules_from_itemsets(frequent_itemsets(matrix([]), 1)).empty
