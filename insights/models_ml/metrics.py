"""Quality metrics for binary classifiers that output probabilities (churn first; any family with a yes/no label).

Pure numpy, with scikit-learn imported inside the functions that use it. Every function takes the true labels
(0/1) and the predicted probabilities of the positive class, and returns plain floats (or None where a metric is
undefined, e.g. ROC-AUC when only one class is present), so results go straight into JSON.

The metric names are those of `manage.py evaluate --format json`:
    roc_auc    area under the ROC curve (ranking quality, 0.5 = chance)
    pr_auc     average precision: the step-wise area under the precision-recall curve, which is what
               `sklearn.metrics.average_precision_score` computes (no optimistic linear interpolation)
    f1, recall, precision, accuracy
               at a decision threshold that the caller chose on data other than the data scored here (see
               `best_threshold`); a customer is predicted positive when probability >= threshold
    brier      mean squared error of the probabilities (0 is perfect, 0.25 is a constant 0.5)
    ece        expected calibration error: see `expected_calibration_error`

`calibration_bins` gives the points of a calibration plot (mean predicted against observed rate per bin).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

METRIC_NAMES = ("roc_auc", "pr_auc", "f1", "recall", "precision", "accuracy", "brier", "ece")
ECE_BINS = 10

# The per-group check (`group_metrics`): a group is scored only with at least this many customers of each class.
# Below that the group's ROC-AUC has a standard error around 0.1 or more, the very size of the gap it looks for.
MIN_GROUP_CLASS = 20
# A group is flagged when its ROC-AUC is this far below the overall one, and also more than two standard errors
# below (so that a small group's noise does not raise an alarm).
GROUP_GAP = 0.1


def expected_calibration_error(y_true, proba, bins: int = ECE_BINS) -> float:
    """Expected calibration error over `bins` equal-width bins of the predicted probability.

    Bins are [0, 0.1), [0.1, 0.2), ... [0.9, 1.0] (the last one closed, so a probability of exactly 1 counts).
    ECE = sum over non-empty bins of (share of customers in the bin) * |observed positive rate - mean
    probability|, which equals sum over bins of |positives - sum of probabilities| / total customers.
    """
    y = np.asarray(y_true, dtype=float)
    p = np.clip(np.asarray(proba, dtype=float), 0.0, 1.0)
    if len(y) == 0:
        return 0.0
    index = np.minimum((p * bins).astype(int), bins - 1)
    positives = np.bincount(index, weights=y, minlength=bins)
    expected = np.bincount(index, weights=p, minlength=bins)
    return float(np.abs(positives - expected).sum() / len(y))


def calibration_bins(y_true, proba, bins: int = ECE_BINS) -> list[dict]:
    """Predicted against observed, per bin of the predicted probability (the bins of
    `expected_calibration_error`), for a calibration plot.

    One entry per bin, in order: {"lower", "upper", "count", "mean_predicted", "observed_rate"}; the mean and
    the rate are None in an empty bin. A well calibrated model has observed_rate close to mean_predicted.
    """
    y = np.asarray(y_true, dtype=float)
    p = np.clip(np.asarray(proba, dtype=float), 0.0, 1.0)
    index = np.minimum((p * bins).astype(int), bins - 1)
    counts = np.bincount(index, minlength=bins)
    positives = np.bincount(index, weights=y, minlength=bins)
    predicted = np.bincount(index, weights=p, minlength=bins)
    return [
        {
            "lower": round(b / bins, 6),
            "upper": round((b + 1) / bins, 6),
            "count": int(counts[b]),
            "mean_predicted": float(predicted[b] / counts[b]) if counts[b] else None,
            "observed_rate": float(positives[b] / counts[b]) if counts[b] else None,
        }
        for b in range(bins)
    ]


def best_threshold(y_true, proba) -> float:
    """The probability threshold that maximises F1 on these labels.

    Call it on training or validation predictions and apply the result to the test set: choosing it on the test
    set itself would flatter F1, precision and recall. Falls back to 0.5 when there is no positive.
    """
    from sklearn.metrics import precision_recall_curve

    y = np.asarray(y_true, dtype=int)
    if y.sum() == 0 or y.sum() == len(y):
        return 0.5
    precision, recall, thresholds = precision_recall_curve(y, np.asarray(proba, dtype=float))
    # The last (precision, recall) pair has no threshold: it is the "predict nothing" end of the curve.
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)[:-1]
    return float(thresholds[int(np.argmax(f1))])


def _none_if_nan(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def classification_metrics(y_true, proba, threshold: float = 0.5) -> dict[str, float | None]:
    """All of METRIC_NAMES for one set of predictions, thresholded at `threshold` for f1/recall/precision/accuracy.

    roc_auc and pr_auc are None when only one class is present (they are undefined there).
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = np.asarray(y_true, dtype=int)
    p = np.asarray(proba, dtype=float)
    predicted = p >= threshold
    true_positives = float(np.sum(predicted & (y == 1)))
    both_classes = 0 < y.sum() < len(y)
    precision = true_positives / predicted.sum() if predicted.sum() else 0.0
    recall = true_positives / y.sum() if y.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both_classes else None,
        "pr_auc": float(average_precision_score(y, p)) if both_classes else None,
        "f1": float(f1),
        "recall": float(recall),
        "precision": float(precision),
        "accuracy": float(np.mean(predicted == (y == 1))) if len(y) else 0.0,
        "brier": float(np.mean((p - y) ** 2)) if len(y) else 0.0,
        "ece": expected_calibration_error(y, p),
    }


def auc_standard_error(positives: int, negatives: int) -> float:
    """Standard error of ROC-AUC for a model with no skill (AUC 0.5), from the Mann-Whitney U variance.

    sqrt((n+ + n- + 1) / (12 n+ n-)): how far from 0.5 (or from another model's AUC, roughly) a sample of this
    size can wander by chance alone. Infinite when a class is empty.
    """
    if positives <= 0 or negatives <= 0:
        return math.inf
    return math.sqrt((positives + negatives + 1) / (12.0 * positives * negatives))


def group_metrics(
    y_true,
    proba,
    groups: pd.Series,
    threshold: float,
    overall_roc_auc: float | None,
    grouping: str = "group",
    min_class: int = MIN_GROUP_CLASS,
    gap: float = GROUP_GAP,
) -> tuple[dict[str, dict], list[str]]:
    """The same metrics within each group (e.g. per country), and a warning for each group that does much worse.

    `y_true`, `proba` and `groups` are aligned (same length, same order); missing group values count as
    "unknown". Every group is listed with its size and positives; its metrics are None when it has fewer than
    `min_class` customers of either class. A warning names each scored group whose ROC-AUC is more than
    max(`gap`, 2 standard errors) below `overall_roc_auc`.
    """
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(proba, dtype=float)
    keys = pd.Series(groups).astype(object)
    keys = keys.where(keys.notna(), "unknown").astype(str).to_numpy()
    report: dict[str, dict] = {}
    warnings: list[str] = []
    for key in sorted(set(keys)):
        inside = keys == key
        positives, size = int(y[inside].sum()), int(inside.sum())
        negatives = size - positives
        entry: dict = {"n": size, "positives": positives, "metrics": None}
        if min(positives, negatives) >= min_class:
            entry["metrics"] = classification_metrics(y[inside], p[inside], threshold)
            auc = entry["metrics"]["roc_auc"]
            allowed = max(gap, 2 * auc_standard_error(positives, negatives))
            if overall_roc_auc is not None and auc is not None and auc < overall_roc_auc - allowed:
                warnings.append(
                    f"{grouping} {key}: ROC-AUC {auc:.3f} is {overall_roc_auc - auc:.3f} below the overall "
                    f"{overall_roc_auc:.3f} ({size} customers); the model serves this group much worse"
                )
        report[key] = entry
    return report, warnings
