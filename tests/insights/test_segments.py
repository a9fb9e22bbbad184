"""Segments on data with a known answer: RFM scores on hand-made customers, planted behavioural groups found again
by each clustering method, and the evaluation beside its baseline. Pure: no database."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from insights.models_ml.segments import (
    RFM_SEGMENTS,
    UNUSUAL,
    cluster,
    evaluate,
    quintile_scores,
    rfm_scores,
    rfm_segment,
    sample_index,
    scaled_log_features,
)

# Planted groups: (days since the last order, orders, average order, extra days of tenure before the first
# order... i.e. tenure = recency + this). Each spreads by a log-normal of sigma 0.25 around its centre.
GROUPS = {
    "big regulars": (8, 25, 300, 700),
    "new": (12, 1, 40, 0),
    "lapsed one-timers": (320, 1, 35, 0),
    "small regulars": (45, 7, 18, 400),
    "big occasional": (150, 3, 2000, 200),
}


def simulate(n=2000, groups=("big regulars", "new", "lapsed one-timers", "small regulars"), seed=0):
    """Feature rows (as `snapshot` gives) for customers drawn evenly from the planted groups, and each one's group."""
    rng = np.random.default_rng(seed)
    group = np.array(groups)[rng.integers(0, len(groups), n)]
    centre = np.array([GROUPS[g] for g in group], dtype=float)
    spread = rng.lognormal(0, 0.25, (n, 4))
    frequency = np.where(centre[:, 1] > 1, np.maximum(1, np.round(centre[:, 1] * spread[:, 1])), 1.0)
    recency = centre[:, 0] * spread[:, 0]
    features = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary_avg": centre[:, 2] * spread[:, 2],
            "tenure_days": recency + centre[:, 3] * spread[:, 3],
        },
        index=pd.RangeIndex(1000, 1000 + n, name="customer"),
    )
    features["monetary_total"] = features["frequency"] * features["monetary_avg"]
    return features, pd.Series(group, index=features.index)


def with_outliers(features, truth, n=30, seed=1):
    """Add customers scattered far and wide (up to 300 orders, average orders of 5 to 50,000)."""
    rng = np.random.default_rng(seed)
    recency = rng.uniform(1, 700, n)
    odd = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": np.round(rng.uniform(1, 300, n)),
            "monetary_avg": np.exp(rng.uniform(np.log(5), np.log(50_000), n)),
            "tenure_days": recency + rng.uniform(0, 700, n),
        },
        index=pd.RangeIndex(9000, 9000 + n, name="customer"),
    )
    odd["monetary_total"] = odd["frequency"] * odd["monetary_avg"]
    return pd.concat([features, odd]), pd.concat([truth, pd.Series("outlier", index=odd.index)])


# RFM


def test_quintiles_without_ties_put_a_fifth_in_each_score():
    assert quintile_scores(np.arange(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_tied_values_share_a_score_and_the_smallest_value_scores_one():
    frequency = [1, 1, 1, 1, 1, 1, 2, 2, 3, 10]
    # Six one-order customers start in the first quintile; the 2-order pair starts at rank 7 of 10 (4th fifth).
    assert quintile_scores(frequency).tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]


def test_fewer_days_since_the_last_order_score_higher():
    features = pd.DataFrame(
        {
            "recency_days": [400, 5, 60, 200, 10],
            "frequency": [1, 8, 2, 1, 3],
            "monetary_total": [20.0, 900.0, 80.0, 30.0, 150.0],
        },
        index=[11, 12, 13, 14, 15],
    )
    scores = rfm_scores(features)
    assert scores["r"].tolist() == [1, 5, 3, 2, 4]
    assert scores["f"].tolist() == [1, 5, 3, 1, 4]
    assert scores["m"].tolist() == [1, 5, 3, 2, 4]
    assert scores.loc[12, "segment"] == "Champions"
    assert scores.loc[11, "segment"] == "Lost"
    assert list(scores.index) == [11, 12, 13, 14, 15]


@pytest.mark.parametrize(
    ("r", "f", "name"),
    [
        (5, 5, "Champions"),
        (5, 4, "Champions"),
        (3, 5, "Loyal"),
        (4, 4, "Loyal"),
        (5, 2, "Potential loyalists"),
        (4, 3, "Potential loyalists"),
        (5, 1, "New customers"),
        (4, 1, "Promising"),
        (3, 3, "Need attention"),
        (3, 1, "About to sleep"),
        (2, 3, "At risk"),
        (1, 4, "At risk"),
        (1, 5, "Can't lose them"),
        (2, 2, "Hibernating"),
        (1, 1, "Lost"),
    ],
)
def test_known_scores_get_the_standard_segment(r, f, name):
    assert rfm_segment(r, f) == name


def test_the_segment_map_covers_every_pair_with_the_eleven_names():
    r, f = np.meshgrid(np.arange(1, 6), np.arange(1, 6))
    assert set(rfm_segment(r.ravel(), f.ravel())) == set(RFM_SEGMENTS)
    assert len(RFM_SEGMENTS) == 11


def test_named_segments_are_vectorised_and_keep_the_index():
    named = rfm_segment(pd.Series([5, 1], index=[7, 9]), pd.Series([5, 1], index=[7, 9]))
    assert named.to_dict() == {7: "Champions", 9: "Lost"}


def test_scores_outside_one_to_five_are_refused():
    with pytest.raises(ValueError):
        rfm_segment([0, 3], [1, 6])


# Behavioural clusters


@pytest.mark.parametrize(
    "groups",
    [
        ("big regulars", "new", "lapsed one-timers", "small regulars"),
        ("big regulars", "new", "lapsed one-timers", "small regulars", "big occasional"),
    ],
)
def test_kmeans_finds_the_planted_groups_and_their_number(groups):
    features, truth = simulate(groups=groups)
    found = cluster(features)
    assert found.k == len(groups)
    assert found.silhouette == max(s for s in found.silhouettes.values())
    assert set(found.silhouettes) == set(range(3, 9))
    assert adjusted_rand_score(truth, found.labels) > 0.95


def test_clusters_are_numbered_by_size_and_sized():
    features, _ = simulate()
    found = cluster(features)
    assert found.sizes.index.tolist() == list(range(found.k))
    assert found.sizes.is_monotonic_decreasing
    assert found.sizes.sum() == len(features)
    assert found.labels.index.equals(features.index)


def test_centroids_are_in_days_orders_and_money():
    features, truth = simulate()
    found = cluster(features)
    big = found.labels[truth == "big regulars"].mode()[0]
    centre = found.centroids.loc[big]
    assert 200 < centre["monetary_avg"] < 450
    assert 18 < centre["frequency"] < 35
    assert centre["recency_days"] < 15


def test_a_given_k_is_used():
    features, _ = simulate(n=600)
    found = cluster(features, k=6)
    assert found.k == 6
    assert list(found.silhouettes) == [6]


def test_the_same_data_gives_the_same_clusters():
    features, _ = simulate(n=800)
    assert cluster(features).labels.equals(cluster(features).labels)


def test_ward_labels_everyone_from_a_sample_and_finds_the_groups():
    features, truth = simulate()
    found = cluster(features, method="ward", sample=500)
    assert found.params["sample"] == 500
    assert found.labels.notna().all() and len(found.labels) == len(features)
    assert found.k == 4
    assert adjusted_rand_score(truth, found.labels) > 0.95


def test_dbscan_labels_everyone_and_calls_scattered_customers_unusual():
    features, truth = with_outliers(*simulate())
    found = cluster(features, method="dbscan", sample=1500)
    outliers = truth == "outlier"
    assert len(found.labels) == len(features)
    assert (found.labels[outliers] == UNUSUAL).mean() >= 0.8
    assert (found.labels[~outliers] == UNUSUAL).mean() < 0.03
    assert found.k == 4
    assert adjusted_rand_score(truth[~outliers], found.labels[~outliers]) > 0.9
    assert {"eps", "min_samples"} <= set(found.params)


def test_an_unknown_method_is_refused():
    features, _ = simulate(n=100)
    with pytest.raises(ValueError, match="method"):
        cluster(features, method="spectral")


# Evaluation


def test_evaluation_puts_the_silhouette_beside_the_rfm_baseline():
    features, _ = simulate(n=1500)
    found = evaluate(features)
    clustering = found.pop("clustering")
    result = json.loads(json.dumps(found))
    assert result["metrics"]["k"] == 4 == clustering.k
    assert result["metrics"]["silhouette"] > 0.7
    assert result["baseline"]["name"] == "rfm_named_segments"
    assert result["baseline"]["metrics"]["silhouette"] < result["metrics"]["silhouette"]
    assert result["details"]["beats_baseline"] is True
    assert result["details"]["finding"] is None
    assert sum(result["details"]["sizes"].values()) == 1500


@pytest.mark.parametrize("method", ["kmeans", "ward", "dbscan"])
def test_every_silhouette_is_scikit_learns_on_the_same_sampled_customers(method):
    from sklearn.metrics import silhouette_score

    features, _ = simulate(n=1500)
    found = evaluate(features, method=method, sample=400)
    clustering = found.pop("clustering")
    matrix, _ = scaled_log_features(features)
    index = sample_index(len(matrix), 400)
    points = matrix[index]

    def silhouette(labels) -> float:
        return round(float(silhouette_score(points, np.asarray(labels)[index])), 4)

    assert found["metrics"]["silhouette"] == silhouette(clustering.labels)
    assert found["baseline"]["metrics"]["silhouette"] == silhouette(rfm_scores(features)["segment"])
    quintiles = found["details"]["other_baselines"]["monetary_total_quintiles"]
    assert quintiles == silhouette(quintile_scores(features["monetary_total"]))


def test_a_segmentation_no_better_than_its_baseline_is_reported():
    features, _ = simulate(n=600)
    # An eps this small leaves every customer as noise: one group, no silhouette at all.
    result = evaluate(features, method="dbscan", eps=1e-6)
    assert result["metrics"]["silhouette"] is None
    assert result["details"]["beats_baseline"] is False
    assert "is not above the baseline's" in result["details"]["finding"]


def test_one_dense_group_is_not_a_segmentation_whatever_its_silhouette():
    features, _ = simulate(n=800, groups=("small regulars",))
    result = evaluate(features, method="dbscan")
    assert result["metrics"]["k"] == 1
    assert result["details"]["beats_baseline"] is False
    assert "nothing to segment by" in result["details"]["finding"]
