"""Segments in words: profiles that name what sets a cluster apart, decision-tree rules that read as English and
describe the planted groups faithfully, and the migration matrix on a hand-made example. Pure: no database."""

import json

import numpy as np
import pandas as pd

from insights.models_ml.segments_describe import GONE, NEW, describe_with_tree, migration_matrix, profile_clusters
from tests.insights.test_segments import simulate, with_outliers


def planted():
    """Planted features with the planted groups as labels (0 big regulars, 1 new, 2 lapsed, 3 small regulars)."""
    features, truth = simulate()
    codes = {"big regulars": 0, "new": 1, "lapsed one-timers": 2, "small regulars": 3}
    return features, truth.map(codes)


# Profiles


def test_profiles_name_each_group_by_what_sets_it_apart():
    features, labels = planted()
    profiles = profile_clusters(features, labels)
    assert profiles[0]["name"] == "Frequent big spenders"
    assert profiles[1]["name"] == "New customers"
    assert profiles[2]["name"] == "Lapsed one-time buyers"
    assert profiles[3]["name"] == "Occasional buyers with small orders"
    assert profiles[2]["distinguishing"] == "recency_days"
    assert "longest gone" in profiles[2]["text"]
    assert profiles[3]["distinguishing"] == "monetary_avg"
    assert "Stands out by: average order" in profiles[3]["text"]


def test_a_profile_compares_the_cluster_with_everyone():
    features, labels = planted()
    text = profile_clusters(features, labels)[0]["text"]
    assert text.startswith("Frequent big spenders: ")
    assert "orders (top " in text and "everyone: " in text
    assert "average order " in text and "last one " in text


def test_every_amount_in_a_profile_and_a_rule_is_written_with_the_callers_currency():
    features, labels = planted()
    money = lambda amount: f"EUR {amount:.2f}"  # noqa: E731 - the pages pass their `money` filter with the currency
    text = profile_clusters(features, labels, money=money)[0]["text"]
    spent = text[text.index("average order ") :]
    assert spent.startswith("average order EUR ") and "(top " in spent
    assert ", EUR " in spent and " spent in all" in spent and "everyone: EUR " in spent
    rules = describe_with_tree(features, labels, columns=["monetary_avg"], money=money)["segments"]
    assert all("EUR " in rule["text"] for segment in rules.values() for rule in segment["rules"])


def test_profiles_hold_sizes_and_go_through_json():
    features, labels = planted()
    profiles = json.loads(json.dumps(profile_clusters(features, labels)))
    assert sum(p["customers"] for p in profiles.values()) == len(features)
    assert abs(sum(p["share"] for p in profiles.values()) - 1) < 0.01
    assert all(len(p["name"]) <= 60 for p in profiles.values())  # CustomerSegment.segment's length


def test_the_same_data_gives_the_same_profiles():
    features, labels = planted()
    assert profile_clusters(features, labels) == profile_clusters(features, labels)


def test_two_clusters_with_one_name_are_told_apart_by_spend():
    features, labels = planted()
    big = labels[labels == 0].index
    split = labels.copy()
    split[big[features.loc[big, "monetary_total"] < features.loc[big, "monetary_total"].median()]] = 4
    names = {label: p["name"] for label, p in profile_clusters(features, split).items()}
    assert names[0] == "Frequent big spenders (higher spend)"
    assert names[4] == "Frequent big spenders (lower spend)"


def test_noise_is_profiled_as_unusual():
    features, truth = with_outliers(*simulate(n=600))
    labels = pd.Series(np.where(truth == "outlier", -1, 0), index=features.index)
    assert profile_clusters(features, labels)[-1]["name"] == "Unusual customers"


# Decision-tree rules


def test_tree_rules_read_as_english_and_describe_the_planted_groups_faithfully():
    features, labels = planted()
    described = describe_with_tree(features, labels)
    assert described["accuracy"] > 0.95
    assert described["max_depth"] <= 3
    for segment in described["segments"].values():
        assert segment["rules"] and segment["recall"] > 0.9
        for rule in segment["rules"]:
            assert isinstance(rule["text"], str)
            assert "<" not in rule["text"] and "_" not in rule["text"]
    json.dumps(described)


def test_a_rule_on_days_and_orders_reads_as_a_sentence():
    recency = np.array([10, 100, 140, 300] * 50, dtype=float)
    frequency = np.repeat([1, 2, 3, 4], 50).astype(float)
    features = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            # Money that says nothing about the segment, so the tree can only split on days and orders.
            "monetary_avg": np.random.default_rng(0).lognormal(4, 0.5, 200),
            "monetary_total": np.random.default_rng(1).lognormal(5, 0.5, 200),
            "tenure_days": recency + np.random.default_rng(2).uniform(0, 400, 200),
        }
    )
    lapsed = pd.Series(np.where((recency > 120) & (frequency < 3), "lapsed", "other"), index=features.index)
    described = describe_with_tree(features, lapsed)
    assert described["accuracy"] == 1.0
    assert described["segments"]["lapsed"]["text"] == "last order more than 120 days ago and fewer than 3 orders"


# Migration between runs


def test_the_migration_matrix_counts_moves_new_and_gone_customers():
    previous = pd.Series({1: "A", 2: "A", 3: "B", 4: "B"})
    current = pd.Series({1: "A", 2: "B", 3: "B", 5: "A"})
    matrix = json.loads(json.dumps(migration_matrix(previous, current)))
    assert matrix["rows"] == ["A", "B", NEW]
    assert matrix["columns"] == ["A", "B", GONE]
    assert matrix["counts"] == [[1, 1, 0], [0, 1, 1], [1, 0, 0]]
    assert matrix["shares"] == [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]
    assert (matrix["stayed"], matrix["moved"], matrix["new"], matrix["gone"]) == (2, 1, 1, 1)


def test_the_migration_matrix_takes_numbered_clusters():
    previous = pd.Series(np.array([0, 1, 1], dtype=np.int64), index=[1, 2, 3])
    current = pd.Series(np.array([1, 1, 0], dtype=np.int64), index=[1, 2, 3])
    matrix = json.loads(json.dumps(migration_matrix(previous, current)))
    assert matrix["rows"] == [0, 1, NEW] and matrix["columns"] == [0, 1, GONE]
    assert matrix["counts"] == [[0, 1, 0], [1, 1, 0], [0, 0, 0]]
    assert matrix["shares"][2] == [0.0, 0.0, 0.0]


def lapsed_members(orders: list[int], others: int = 300) -> tuple[pd.DataFrame, pd.Series]:
    """Made-up customers: a lapsed group (label 1, 400 to 600 days gone) with the given order counts, beside
    `others` recent regulars (label 0, 5 orders, 10 to 40 days gone)."""
    n = len(orders)
    recency = np.concatenate([np.linspace(400, 600, n), np.linspace(10, 40, others)])
    frequency = np.array(orders + [5] * others, dtype=float)
    features = pd.DataFrame(
        {"recency_days": recency, "frequency": frequency, "monetary_avg": 50.0, "tenure_days": recency + 300},
        index=pd.RangeIndex(n + others, name="customer"),
    )
    features["monetary_total"] = features["frequency"] * features["monetary_avg"]
    return features, pd.Series([1] * n + [0] * others, index=features.index)


def test_a_lapsed_group_where_all_have_one_order_is_called_one_time_buyers():
    features, labels = lapsed_members([1] * 100)
    profile = profile_clusters(features, labels)[1]
    assert profile["name"] == "Lapsed one-time buyers"
    assert profile["one_order_share"] == 1.0
    assert "though" not in profile["text"]


def test_a_lapsed_group_with_some_repeat_buyers_is_not_called_one_time_buyers():
    # 60 one-order customers and 40 with 3, 4 or 5: the median is 1 order, yet 40% are not one-time buyers.
    features, labels = lapsed_members([1] * 60 + [3, 4, 5, 3] * 10)
    profile = profile_clusters(features, labels)[1]
    assert profile["name"] == "Lapsed occasional buyers"
    assert profile["one_order_share"] == 0.6
    assert "typically 1 order" in profile["text"]
    assert ", though 40% ordered 2 to 5 times" in profile["text"]


def test_a_few_repeat_buyers_in_a_one_time_group_leave_its_name():
    features, labels = lapsed_members([1] * 95 + [2] * 5)
    assert profile_clusters(features, labels)[1]["name"] == "Lapsed one-time buyers"
