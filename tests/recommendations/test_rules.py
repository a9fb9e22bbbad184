"""Association rules on baskets with a known answer: the textbook five-basket example with its exact support,
confidence and lift; counts checked against brute force; planted affinities found; thresholds that follow the data's
size; the 'bought together' look-ups. Pure: no database."""

import itertools

import numpy as np
import pandas as pd
import pytest

from recommendations.models_ml.rules import (
    RULE_COLUMNS,
    basket_matrix,
    bought_together,
    min_basket_count,
    mine_rules,
    per_product,
)

# Tan, Steinbach & Kumar, "Introduction to Data Mining", table 6.1: the market-basket example.
TEXTBOOK = [
    {"Bread", "Milk"},
    {"Bread", "Diapers", "Beer", "Eggs"},
    {"Milk", "Diapers", "Beer", "Cola"},
    {"Bread", "Milk", "Diapers", "Beer"},
    {"Bread", "Milk", "Diapers", "Cola"},
]
EVERYTHING = {"min_count": 2, "min_support": 0, "min_confidence": 0, "min_lift": 0, "min_gain": 0}


def pairs_of(baskets):
    """(basket id, item) pairs of a list of item sets."""
    return [(i, item) for i, basket in enumerate(baskets) for item in sorted(basket)]


def rule(rules, antecedent, consequent):
    """The one row of `rules` for antecedent -> consequent."""
    hit = rules[(rules["antecedent"] == tuple(sorted(antecedent))) & (rules["consequent"] == consequent)]
    assert len(hit) == 1, f"{antecedent} -> {consequent} not found once"
    return hit.iloc[0]


def test_textbook_rules_have_textbook_support_confidence_and_lift():
    rules = mine_rules(pairs_of(TEXTBOOK), **EVERYTHING).rules
    expected = {
        # (antecedent, consequent): (support, confidence, lift)
        (("Diapers",), "Beer"): (3 / 5, 3 / 4, (3 / 4) / (3 / 5)),
        (("Beer",), "Diapers"): (3 / 5, 1.0, 1 / (4 / 5)),
        (("Bread",), "Milk"): (3 / 5, 3 / 4, (3 / 4) / (4 / 5)),
        (("Milk", "Diapers"), "Beer"): (2 / 5, 2 / 3, (2 / 3) / (3 / 5)),
        (("Milk", "Beer"), "Diapers"): (2 / 5, 1.0, 1 / (4 / 5)),
        (("Diapers", "Beer"), "Milk"): (2 / 5, 2 / 3, (2 / 3) / (4 / 5)),
    }
    for (antecedent, consequent), (support, confidence, lift) in expected.items():
        row = rule(rules, antecedent, consequent)
        assert row["support"] == pytest.approx(support)
        assert row["confidence"] == pytest.approx(confidence)
        assert row["lift"] == pytest.approx(lift)
    assert rule(rules, ["Milk", "Diapers"], "Beer")["lift"] == pytest.approx(10 / 9)


def test_textbook_counts_frequent_itemsets_at_support_0_4():
    found = mine_rules(pairs_of(TEXTBOOK), **EVERYTHING)
    # Items in >= 2 baskets: bread, milk, diapers, beer, cola (eggs once). Pairs: 8 of the 10. Triples: 4.
    assert (found.frequent_items, found.frequent_pairs, found.frequent_triples) == (5, 8, 4)
    assert len(found.rules) == 8 * 2 + 4 * 3
    assert list(found.rules.columns) == RULE_COLUMNS
    row = rule(found.rules, ["Beer"], "Diapers")
    assert (row["count"], row["antecedent_count"], row["consequent_count"], row["size"]) == (3, 3, 4, 2)


def test_rules_are_sorted_by_lift_then_confidence():
    rules = mine_rules(pairs_of(TEXTBOOK), **EVERYTHING).rules
    keys = list(zip(-rules["lift"], -rules["confidence"], strict=True))
    assert keys == sorted(keys)


def test_confidence_and_lift_filters_apply():
    rules = mine_rules(pairs_of(TEXTBOOK), **{**EVERYTHING, "min_confidence": 0.75, "min_lift": 1.2}).rules
    assert (rules["confidence"] >= 0.75).all() and (rules["lift"] >= 1.2).all()
    assert len(rules) > 0


def test_triple_rules_that_a_single_item_explains_are_dropped():
    rules = mine_rules(pairs_of(TEXTBOOK), **{**EVERYTHING, "min_gain": 1.1}).rules
    # {Milk, Diapers} -> Beer (2/3) is less sure than Diapers -> Beer (3/4): not productive.
    assert rules[(rules["size"] == 3) & (rules["consequent"] == "Beer")].empty
    # {Milk, Beer} -> Diapers (1.0) beats Milk -> Diapers (3/4) and Beer -> Diapers (1.0)? Not by 10 %: dropped too.
    assert rules[(rules["antecedent"] == ("Beer", "Milk")) & (rules["consequent"] == "Diapers")].empty
    # {Diapers, Milk} -> Cola (2/3) beats Diapers -> Cola (1/2) and Milk -> Cola (1/2): kept.
    rule(rules, ["Diapers", "Milk"], "Cola")


def test_a_product_twice_in_one_basket_counts_once():
    baskets = basket_matrix([(1, "a"), (1, "a"), (1, "b"), (2, "a")])
    assert baskets.matrix.toarray().tolist() == [[1, 1], [1, 0]]


def random_baskets(n=400, items=30, seed=0):
    """Baskets of 1-8 items drawn with popularity falling with the item number."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, items + 1)
    weights /= weights.sum()
    return [set(rng.choice(items, size=rng.integers(1, 9), replace=False, p=weights).tolist()) for _ in range(n)]


def test_counts_match_brute_force():
    baskets = random_baskets()
    found = mine_rules(pairs_of(baskets), **{**EVERYTHING, "min_count": 15})
    count = {}
    for basket in baskets:
        for size in range(1, len(basket) + 1):
            for itemset in itertools.combinations(sorted(basket), size):
                count[itemset] = count.get(itemset, 0) + 1
    n = len(baskets)
    for size in (2, 3):
        frequent = [s for s, c in count.items() if len(s) == size and c >= 15]
        assert len(frequent) == (found.frequent_pairs if size == 2 else found.frequent_triples)
    for row in found.rules.itertuples():
        whole = tuple(sorted((*row.antecedent, row.consequent)))
        assert row.count == count[whole]
        assert row.confidence == pytest.approx(count[whole] / count[row.antecedent])
        assert row.lift == pytest.approx(count[whole] * n / (count[row.antecedent] * count[(row.consequent,)]))


def test_longer_itemsets_over_the_work_budget_are_skipped_and_said_so():
    found = mine_rules(pairs_of(TEXTBOOK), **EVERYTHING, budget=1)
    assert not found.complete and found.stopped_at == 3
    assert found.frequent_triples == 0 and (found.rules["size"] == 2).all()
    assert not found.summary()["complete"]


PLANTED = [(10, 40), (25, 60), (50, 90)]


def planted_baskets(n=6000, items=120, seed=1):
    """Baskets of independent items (popularity falling with the number), plus planted affinities: a basket with the
    first item of a planted pair gets the second too, six times in ten; one with both 30 and 31 gets 32."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, items + 1) ** 0.7
    weights /= weights.sum()
    baskets = []
    for _ in range(n):
        basket = set(rng.choice(items, size=rng.integers(1, 7), replace=False, p=weights).tolist())
        for a, b in PLANTED:
            if a in basket and rng.random() < 0.6:
                basket.add(b)
        if rng.random() < 0.03:
            basket |= {30, 31}
        if {30, 31} <= basket and rng.random() < 0.7:
            basket.add(32)
        baskets.append(basket)
    return baskets


def test_planted_affinities_are_recovered():
    found = mine_rules(pairs_of(planted_baskets()))
    rules = found.rules
    for a, b in PLANTED:
        forward = rule(rules, [a], b)
        assert forward["lift"] > 5 and forward["confidence"] > 0.4
    strong_pairs = rules[(rules["size"] == 2) & (rules["lift"] >= 3)]
    planted = {frozenset(p) for p in PLANTED} | {frozenset(p) for p in itertools.combinations((30, 31, 32), 2)}
    assert {frozenset((*r.antecedent, r.consequent)) for r in strong_pairs.itertuples()} <= planted
    assert rule(rules, [30, 31], 32)["confidence"] > 0.6
    # The twenty strongest rules all rest on a planted affinity that includes their consequent (a triple rule may
    # carry a chance companion in its antecedent).
    affinities = [set(p) for p in PLANTED] + [{30, 31, 32}]
    for r in rules.head(20).itertuples():
        items = {*r.antecedent, r.consequent}
        assert any(len(a & items) >= 2 and r.consequent in a for a in affinities), r


def test_a_planted_rule_of_three_products_on_the_left_is_found():
    # Baskets holding 1, 2 and 3 together get 4 nine times in ten; those with only two of them (as often) rarely do.
    rng = np.random.default_rng(3)
    baskets = []
    for _ in range(3000):
        basket = set(rng.choice(40, size=rng.integers(1, 5), replace=False).tolist())
        if rng.random() < 0.05:
            basket |= {1, 2, 3}
        elif rng.random() < 0.15:
            basket |= [{1, 2}, {1, 3}, {2, 3}][int(rng.integers(3))] - {4}
            basket.discard(4)
        if {1, 2, 3} <= basket and rng.random() < 0.9:
            basket.add(4)
        baskets.append(basket)
    found = mine_rules(pairs_of(baskets))
    long = found.rules[found.rules["antecedent"] == (1, 2, 3)]
    assert 4 in set(long["consequent"]) and found.complete
    row = rule(found.rules, [1, 2, 3], 4)
    assert row["confidence"] > 0.8 and row["size"] == 4
    assert found.summary()["rules_by_antecedent_length"][3] >= 1


def test_minimum_count_follows_the_data_size():
    assert min_basket_count(50) == 20
    assert min_basket_count(20_000) == 20
    assert min_basket_count(100_000) == 100
    assert min_basket_count(1_000_000) == 1000
    assert min_basket_count(10, min_count=2, min_support=0) == 2


@pytest.mark.parametrize(
    ("n_baskets", "share", "count"), [(100, 0.07, 7), (300, 0.07, 21), (1200, 0.07, 84), (9835, 0.001, 10)]
)
def test_a_support_share_is_met_by_count_over_baskets_not_by_a_rounded_product(n_baskets, share, count):
    # 0.07 * 100 is 7.000000000000001 in floating point: a ceiling of it asked for 8 baskets, while 7 of 100 have a
    # support of exactly 0.07, which mlxtend's apriori keeps too.
    assert min_basket_count(n_baskets, min_count=1, min_support=share) == count
    assert count / n_baskets >= share > (count - 1) / n_baskets
    baskets = [{"tea", "cups"}] * count + [{"jam"}] * (n_baskets - count)
    found = mine_rules(pairs_of(baskets), **{**EVERYTHING, "min_count": 1, "min_support": share})
    assert rule(found.rules, ["tea"], "cups")["support"] == count / n_baskets


def test_a_small_shop_needs_an_affinity_in_twenty_baskets():
    baskets = [{"tea", "cups"}] * 15 + [{"tea"}] * 20 + [{"cups"}] * 5 + [{"jam"}] * 30
    assert mine_rules(pairs_of(baskets)).rules.empty
    assert not mine_rules(pairs_of(baskets * 2)).rules.empty


def test_a_large_shop_needs_a_support_share():
    # 25 baskets clear the absolute minimum of 20 among 10,000, but not 0.1 % of 100,000 (100 baskets).
    def shop(n):
        return [{"tea", "cups"}] * 25 + [{"tea"}] * 25 + [{"cups"}] * 25 + [{"jam"}] * (n - 75)

    assert not mine_rules(pairs_of(shop(10_000))).rules.empty
    found = mine_rules(pairs_of(shop(100_000)))
    assert found.min_count == 100 and found.rules.empty


def test_giant_baskets_are_left_out():
    baskets = [{"tea", "cups"}] * 25 + [{"tea"}] * 25 + [{"jam"}] * 50 + [{f"item {i}" for i in range(150)}] * 25
    found = mine_rules(pairs_of(baskets))
    assert found.baskets_left_out == 25 and found.n_baskets == 100
    assert set(found.rules["consequent"]) == {"tea", "cups"} and found.n_items == 3
    assert not mine_rules(pairs_of(baskets), max_basket_items=None, max_length=2).rules.empty


def test_no_baskets_give_no_rules():
    found = mine_rules([])
    assert found.rules.empty and found.summary()["rule_count"] == 0


def test_bought_together_with_a_basket_uses_pair_and_triple_rules():
    found = mine_rules(pairs_of(TEXTBOOK), **EVERYTHING)
    together = bought_together(found, ["Milk", "Diapers"], top=3)
    assert list(together.columns) == ["product", "lift", "confidence", "support", "count", "because"]
    # {Diapers, Milk} -> Cola has the highest lift (5/3); Milk and Diapers themselves are never suggested.
    assert together.iloc[0]["product"] == "Cola" and together.iloc[0]["because"] == ("Diapers", "Milk")
    assert together.iloc[0]["lift"] == pytest.approx(5 / 3)
    assert not {"Milk", "Diapers"} & set(together["product"])
    assert len(together) == 3 and together["product"].is_unique


def test_bought_together_with_a_frame_gives_the_same_answer():
    found = mine_rules(pairs_of(TEXTBOOK), **EVERYTHING)
    pd.testing.assert_frame_equal(bought_together(found, ["Beer"]), bought_together(found.rules, ["Beer"]))


def test_bought_together_with_an_unknown_product_is_empty():
    found = mine_rules(pairs_of(TEXTBOOK), **EVERYTHING)
    assert bought_together(found, ["Caviar"]).empty
    assert bought_together(found, []).empty


def test_per_product_lists_each_products_strongest_partners():
    found = mine_rules(pairs_of(TEXTBOOK), **EVERYTHING)
    lists = per_product(found, top=2)
    beer = lists[lists["product"] == "Beer"]
    assert beer["rank"].tolist() == [1, 2]
    assert beer.iloc[0]["suggestion"] == "Diapers" and beer.iloc[0]["lift"] == pytest.approx(1.25)
    assert (lists.groupby("product").size() <= 2).all()


def test_summary_gives_rule_count_and_lift_distribution():
    found = mine_rules(pairs_of(planted_baskets()))
    summary = found.summary()
    assert summary["rule_count"] == len(found.rules) == summary["pair_rule_count"] + summary["triple_rule_count"]
    lift = summary["lift"]
    assert lift["p10"] <= lift["p50"] <= lift["p90"] <= lift["max"]
    assert summary["min_count"] == 20 and summary["n_baskets"] == 6000


def test_the_baseline_pairs_each_product_with_the_bestsellers_its_baskets_held():
    from recommendations.models_ml.rules_baseline import popular_pairs

    # Product 10 is in 3 baskets, 11 and 12 in 2 each, 13 in 1.
    pairs = pd.DataFrame({"basket": [1, 1, 2, 2, 2, 3, 3, 4], "product": [10, 11, 10, 12, 11, 10, 13, 12]})
    rules = popular_pairs(pairs, per_antecedent=2).rules
    of_13 = rules[rules["antecedent"] == (13,)]
    assert of_13["consequent"].tolist() == [10]  # 11 and 12 are popular too, but never bought with 13
    of_10 = rules[rules["antecedent"] == (10,)].set_index("consequent")
    assert of_10.index.tolist() == [11, 12]  # most popular first (ties by id)
    assert of_10.loc[11, "count"] == 2 and of_10.loc[11, "confidence"] == pytest.approx(2 / 3)
    assert of_10.loc[11, "lift"] == pytest.approx((2 / 3) / (2 / 4))


def test_a_cap_per_antecedent_keeps_its_most_confident_rules_in_lift_order():
    found = mine_rules(pairs_of(TEXTBOOK), **EVERYTHING, max_length=2)
    capped = mine_rules(pairs_of(TEXTBOOK), **EVERYTHING, max_length=2, max_per_antecedent=1)
    assert capped.summary()["rule_count"] == found.rules["antecedent"].nunique()
    for antecedent, rules in found.rules.groupby("antecedent"):
        kept = capped.rules[capped.rules["antecedent"] == antecedent].iloc[0]
        assert kept["confidence"] == rules["confidence"].max()
    # The kept rules stay in the frame's order (lift, then confidence), which the look-ups rely on.
    order = list(zip(-capped.rules["lift"], -capped.rules["confidence"], strict=True))
    assert order == sorted(order)
