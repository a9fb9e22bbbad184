"""The hybrid recommender: business rules on both lists, cold start, reasons that match the evidence, their
sentences, blend weights chosen on validation and never on the test period, and the evaluation's shape. Pure: no
database."""

import numpy as np
import pandas as pd
import pytest

from recommendations.models_ml import backtest, hybrid
from recommendations.models_ml.backtest import evaluate
from recommendations.models_ml.hybrid import Recommender
from recommendations.models_ml.interactions import build_dataset, lines_before, lines_between
from recommendations.models_ml.reasons import reason_text
from recommendations.models_ml.simulate_baskets import simulate_lines, simulate_products
from recommendations.models_ml.tuning import choose_weights, fit_recommender, new_items_only, relevance
from tests.recommendations.test_recommend_components import co_purchases  # noqa: F401 (a fixture)
from tests.recommendations.test_recommend_data import AS_OF, catalogue, purchase_lines

COLUMNS = ["customer", "list", "rank", "product", "score", "component", "reason_code", "reason_params"]
END = pd.Timestamp("2024-06-01", tz="UTC")
CUTOFF = END - pd.Timedelta(days=30)


@pytest.fixture(scope="module")
def shop():
    """300 simulated customers with staples and home themes over 120 items, a year up to END, and the catalogue
    with item 5 inactive and item 6 a shipping charge."""
    lines = simulate_lines(300, 120, n_groups=6, orders=10, basket=3, seed=11, end=END)
    products = simulate_products(120, 6)
    products.loc[products["product"] == 5, "is_active"] = False
    products.loc[products["product"] == 6, "kind"] = "shipping"
    return lines, products


@pytest.fixture(scope="module")
def fitted(shop):
    """The hybrid fitted (weights searched on validation) on the shop's lines before CUTOFF."""
    lines, products = shop
    return fit_recommender(lines_before(lines, CUTOFF), products, CUTOFF)


def test_it_gives_both_lists_ranked_with_a_reason(fitted):
    customers = fitted.data.customers[:20]
    frame = fitted.recommend(customers)

    assert list(frame.columns) == COLUMNS
    assert set(frame["list"]) == {"reorder", "try_next"}
    per_list = frame.groupby(["customer", "list"], observed=True)["rank"].agg(list)
    assert all(ranks == list(range(1, len(ranks) + 1)) for ranks in per_list)
    assert (frame.groupby(["customer", "list"], observed=True).size() <= 10).all()
    assert frame["reason_code"].notna().all()


def test_customers_ranked_in_blocks_get_the_lists_they_get_all_at_once(fitted, shop, monkeypatch):
    lines, products = shop
    customers = np.r_[fitted.data.customers[:45], [10**9]]  # and one the data does not know
    whole = fitted.recommend(customers)
    everyone = evaluate(lines, products, CUTOFF, END)
    monkeypatch.setattr(hybrid, "BLOCK_CELLS", 7 * fitted.data.n_items)  # blocks of 7 customers, backtest too

    pd.testing.assert_frame_equal(fitted.recommend(customers), whole)
    assert evaluate(lines, products, CUTOFF, END)["metrics"] == everyone["metrics"]


def test_rankings_scored_together_equal_each_scored_alone(fitted, shop):
    lines, _ = shop
    relevant_all = relevance(fitted.data, lines_between(lines, CUTOFF, END))
    relevant_new = new_items_only(fitted.data, relevant_all)
    rankings = [({"als": 1.0}, {"als": 1.0}, False), (fitted.weights["all"], fitted.weights["new"], True)]
    together = backtest.list_metrics(fitted, rankings, relevant_all, relevant_new)
    alone = [backtest.list_metrics(fitted, [r], relevant_all, relevant_new)[0] for r in rankings]

    assert [metrics for metrics, _ in together] == [metrics for metrics, _ in alone]
    assert together[0][0] != together[1][0]


def test_inactive_and_non_goods_items_are_never_recommended(fitted, shop):
    lines, _ = shop
    buyers = lines.loc[lines["product"].isin([5, 6]), "customer"].unique()
    assert len(buyers) > 10  # both were bought, so every component has evidence for them
    frame = fitted.recommend(np.r_[buyers, fitted.data.customers])

    assert not frame["product"].isin([5, 6]).any()


def test_try_next_never_holds_a_bought_item_and_reorder_only_bought_ones(fitted, shop):
    lines, _ = shop
    frame = fitted.recommend(fitted.data.customers)
    bought = set(zip(lines_before(lines, CUTOFF)["customer"], lines_before(lines, CUTOFF)["product"], strict=True))
    pairs = list(zip(frame["customer"], frame["product"], strict=True))
    was_bought = np.array([pair in bought for pair in pairs])

    assert not was_bought[(frame["list"] == "try_next").to_numpy()].any()
    assert was_bought[(frame["list"] == "reorder").to_numpy()].all()


def test_an_item_just_bought_once_is_not_offered_for_reorder_but_a_repeat_item_is():
    lines = purchase_lines((1, 1, 2), (1, 2, 3), (1, 2, 40), (1, 3, 90), (2, 1, 50), (2, 2, 60), (2, 3, 70))
    data = build_dataset(lines, catalogue([1, 2, 3]), AS_OF)
    model = Recommender(weights={"all": {"buy_again": 1.0}, "new": {"recent_popularity": 1.0}}).fit(data)
    reorder = model.recommend([1]).query("list == 'reorder'")

    assert set(reorder["product"]) == {2, 3}  # 1 was bought once, two days ago; 2 is a repeat item


def test_a_customer_without_history_gets_popular_items():
    lines = purchase_lines(*[(c, 1, 3) for c in range(1, 6)], *[(c, 2, 4) for c in range(1, 4)], (9, 3, 200))
    data = build_dataset(lines, catalogue([1, 2, 3]), AS_OF)
    frame = Recommender().fit(data).recommend([12345])

    assert frame["list"].tolist() == ["try_next"] * 3
    assert frame["product"].tolist()[:2] == [1, 2]
    assert set(frame["reason_code"]) == {"popular_now"}
    assert reason_text("popular_now", frame["reason_params"].iloc[0]) == "popular this month"


def test_the_item_item_reason_names_the_co_bought_item(co_purchases):  # noqa: F811 (the fixture)
    data = co_purchases
    model = Recommender(weights={"all": {"buy_again": 1.0}, "new": {"item_item": 1.0}}).fit(data)
    top = model.recommend([999]).query("list == 'try_next'").iloc[0]

    assert top["product"] == 2
    assert top["reason_code"] == "bought_with"
    assert top["reason_params"]["items"][0] == 1
    assert reason_text(top["reason_code"], top["reason_params"], {1: "RED MUG", 7: "TEA TOWEL"}).startswith(
        "often bought with RED MUG"
    )


def test_the_buy_again_reason_gives_the_cadence(fitted):
    frame = fitted.recommend(fitted.data.customers[:50]).query("reason_code == 'buy_again'")
    params = frame["reason_params"].iloc[0]

    assert {"last", "times", "every"} <= set(params)
    assert reason_text("buy_again", params).startswith("bought ")


def test_every_reorder_item_gives_the_customers_own_rhythm_as_its_reason(fitted):
    frame = fitted.recommend(fitted.data.customers[:50])
    reorder = frame[frame["list"] == "reorder"]
    assert len(reorder) and set(reorder["reason_code"]) == {"buy_again"}
    assert all(params["times"] >= 1 for params in reorder["reason_params"])


@pytest.mark.parametrize(
    ("code", "params", "sentence"),
    [
        ("buy_again", {"every": 30, "last": 34, "times": 13}, "bought 13 times, about every 30 days, last 34 days ago"),
        ("buy_again", {"every": None, "last": 1, "times": 1}, "bought once, 1 day ago"),
        ("buy_again", {"every": None, "last": 1026, "times": 1}, "bought once, 1,026 days ago"),  # as pages group
        ("buy_again", {"every": None, "last": 3}, "bought before, last 3 days ago"),
        ("bought_with", {"items": [7, 8]}, "often bought with Mug and Tea towel"),
        ("bought_with", {"items": [9, 7, 8]}, "often bought with Chutney, 1 kg; Mug and Tea towel"),  # comma in a name
        ("similar_baskets", {}, "customers with similar baskets buy it"),
        ("similar_to", {"items": [7]}, "similar to Mug"),
        ("popular_now", {"buyers": 40, "days": 30}, "popular this month"),
        ("popular_now", {"buyers": 40, "days": 7}, "popular in the last 7 days"),
        ("popular", {"buyers": 120}, "a best seller (120 customers)"),
        ("popular", {"buyers": 1200}, "a best seller (1,200 customers)"),
    ],
)
def test_reason_sentences(code, params, sentence):
    assert reason_text(code, params, {7: "Mug", 8: "Tea towel", 9: "Chutney, 1 kg"}) == sentence


def test_fitting_refuses_lines_from_the_period_it_will_be_judged_on(shop):
    lines, products = shop
    with pytest.raises(ValueError, match="split the data"):
        fit_recommender(lines, products, CUTOFF)


def test_weights_come_from_the_validation_month_and_ignore_the_test_period(shop):
    lines, products = shop
    # The same history before the cutoff, two different test periods: one as simulated, one with its lines
    # reassigned to other products. The evaluation's weights must not move.
    scrambled = lines.copy()
    after = scrambled["placed_at"] >= CUTOFF
    scrambled.loc[after, "product"] = np.random.default_rng(0).permutation(scrambled.loc[after, "product"])
    first, second = evaluate(lines, products, CUTOFF, END), evaluate(scrambled, products, CUTOFF, END)

    assert first["weights"] == second["weights"]
    assert first["validation"]["end"] == str(CUTOFF)
    assert first["metrics"] != second["metrics"]
    assert choose_weights(lines_before(lines, CUTOFF), products, CUTOFF)["weights"] == first["weights"]


def test_evaluation_reports_every_component_and_the_blend_beside_popularity(shop):
    lines, products = shop
    result = evaluate(lines, products, CUTOFF, END)
    names = {"precision_at_10", "recall_at_10", "ndcg_at_10", "coverage", "precision_at_10_new"}

    assert set(result["metrics"]) == names
    assert result["baseline"]["name"] == "popularity"
    assert set(result["baseline"]["metrics"]) == names
    assert set(result["components"]) == {"buy_again", "item_item", "als", "content", "popularity", "recent_popularity"}
    # Planted staples and themes: the blend must do far better than the baseline.
    assert result["metrics"]["precision_at_10"] > 2 * result["baseline"]["metrics"]["precision_at_10"]
    assert result["metrics"]["precision_at_10_new"] > result["baseline"]["metrics"]["precision_at_10_new"]


def test_evaluation_counts_the_customers_the_definition_names():
    # Before the cutoff: 1 buys A; 2 buys A; 3 buys B. After: 1 buys A again (known, not new), 2 buys B (known,
    # new to them), 3 buys only C (unknown to training), 4 is new. Counted: 1 and 2; for "new" only 2.
    cutoff = AS_OF - pd.Timedelta(days=30)
    lines = purchase_lines((1, 1, 60), (2, 1, 70), (3, 2, 80), (1, 1, 10), (2, 2, 10), (3, 3, 10), (4, 1, 10))
    result = evaluate(lines, catalogue([1, 2, 3]), cutoff, AS_OF)

    assert result["customers"] == {"all": 2, "new": 1}


def test_the_backtest_scores_a_seeded_sample_and_gives_each_metric_its_interval(shop):
    lines, products = shop
    everyone = evaluate(lines, products, CUTOFF, END)
    eligible = everyone["eligible"]["all"]
    assert everyone["customers"] == everyone["eligible"]  # below the cap: every customer is scored
    half = eligible // 2
    sampled = evaluate(lines, products, CUTOFF, END, max_customers=half)
    again = evaluate(lines, products, CUTOFF, END, max_customers=half)

    assert sampled["customers"]["all"] == half and sampled["eligible"] == everyone["eligible"]
    assert sampled["metrics"] == again["metrics"]  # seeded: the same sample every time
    for name in ("precision_at_10", "recall_at_10", "ndcg_at_10", "precision_at_10_new"):
        low, high = sampled["intervals"]["model"][name]
        assert low < sampled["metrics"][name] < high  # the mean sits inside its interval
        full_low, full_high = everyone["intervals"]["model"][name]
        assert high - low > full_high - full_low  # half the customers: a wider interval
        assert low <= everyone["metrics"][name] <= high  # and it holds the figure on every customer
    lead_low, lead_high = sampled["intervals"]["lead_precision_at_10"]
    lead = sampled["metrics"]["precision_at_10"] - sampled["baseline"]["metrics"]["precision_at_10"]
    assert 0 < lead_low < lead < lead_high  # the planted structure: the blend leads popularity beyond doubt
