"""Classification metrics, calibration error and the per-group check, on hand-made examples with known answers."""

import math

import numpy as np
import pandas as pd
import pytest

from insights.models_ml.metrics import (
    METRIC_NAMES,
    auc_standard_error,
    best_threshold,
    classification_metrics,
    expected_calibration_error,
    group_metrics,
)


def test_ece_by_hand():
    # Bin [0, 0.1): two customers, one positive, mean probability 0.05 -> share 0.5 * |0.5 - 0.05| = 0.225
    # Bin [0.1, 0.2): one negative at 0.15 -> 0.25 * 0.15 = 0.0375; bin [0.9, 1]: a positive at 0.95 -> 0.0125
    ece = expected_calibration_error([0, 1, 0, 1], [0.05, 0.05, 0.15, 0.95])
    assert ece == pytest.approx(0.275)


def test_ece_puts_edges_in_the_upper_bin_and_one_in_the_last():
    # 0.1 opens the second bin (with 0.15), 1.0 closes the last: each bin is then perfectly calibrated or not
    assert expected_calibration_error([1], [1.0]) == pytest.approx(0.0)
    assert expected_calibration_error([0, 1], [0.1, 0.1]) == pytest.approx(0.4)


def test_ece_is_zero_when_each_bin_matches_its_rate():
    y = [1, 0, 0, 0, 1, 1, 1, 0]
    p = [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75]
    assert expected_calibration_error(y, p) == pytest.approx(0.0)


def test_metrics_by_hand():
    metrics = classification_metrics([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1], threshold=0.5)
    assert list(metrics) == list(METRIC_NAMES)
    assert metrics["roc_auc"] == pytest.approx(0.75)  # 3 of the 4 (positive, negative) pairs are ordered right
    assert metrics["precision"] == metrics["recall"] == metrics["f1"] == metrics["accuracy"] == pytest.approx(0.5)
    assert metrics["brier"] == pytest.approx((0.01 + 0.36 + 0.36 + 0.01) / 4)


def test_metrics_stay_in_range_on_random_predictions():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 500), rng.random(500)
    metrics = classification_metrics(y, p, best_threshold(y, p))
    assert all(0.0 <= value <= 1.0 for value in metrics.values())


def test_ranking_metrics_are_none_with_one_class():
    metrics = classification_metrics([0, 0, 0], [0.2, 0.3, 0.4])
    assert metrics["roc_auc"] is None and metrics["pr_auc"] is None
    assert metrics["accuracy"] == pytest.approx(1.0)


def test_best_threshold_maximises_f1():
    assert best_threshold([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.3)


def test_best_threshold_without_positives_is_one_half():
    assert best_threshold([0, 0], [0.1, 0.9]) == 0.5


def test_auc_standard_error():
    assert auc_standard_error(100, 100) == pytest.approx(math.sqrt(201 / 120_000))
    assert auc_standard_error(0, 10) == math.inf


def _planted_groups(seed: int = 0):
    """Three groups of 400: in "a" and "b" the scores separate the classes; in "bad" they are coin flips."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 1200)
    p = np.clip(0.5 + np.where(y == 1, 0.25, -0.25) + rng.normal(0, 0.15, 1200), 0, 1)
    groups = np.repeat(["a", "b", "bad"], 400)
    p[groups == "bad"] = rng.random(400)
    return y, p, pd.Series(groups)


def test_group_check_warns_about_the_planted_bad_group_only():
    y, p, groups = _planted_groups()
    overall = classification_metrics(y, p)["roc_auc"]
    report, warnings = group_metrics(y, p, groups, 0.5, overall, grouping="country")
    assert report["bad"]["metrics"]["roc_auc"] < 0.6 < report["a"]["metrics"]["roc_auc"]
    assert len(warnings) == 1 and warnings[0].startswith("country bad:")


def test_group_check_leaves_small_groups_unscored():
    y, p, groups = _planted_groups()
    groups = groups.copy()
    groups.iloc[:30] = "tiny"  # about 15 of each class: too few to judge
    report, warnings = group_metrics(y, p, groups, 0.5, 0.9)
    assert report["tiny"]["metrics"] is None and report["tiny"]["n"] == 30
    assert not any("tiny" in warning for warning in warnings)


def test_group_check_names_missing_groups_unknown():
    y, p, groups = _planted_groups()
    groups = groups.where(groups != "a", None)
    report, _ = group_metrics(y, p, groups, 0.5, None)
    assert set(report) == {"unknown", "b", "bad"}
