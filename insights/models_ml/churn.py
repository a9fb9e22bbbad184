"""Churn: who is likely to stop buying, how sure we are, and why.

Pure numpy/pandas/scikit-learn (imported inside functions), no Django. Inputs are the frames of
insights/models_ml/features.py: purchases (customer, placed_at, amount), optional returns and interactions.

Labels, the horizon, the seasonal shift and consent are insights/models_ml/churn_labels.py.

Training without peeking (`fit`, as of T, using only events before T):
    T1 = T - 2 * horizon: features at T1, labels from [T1, T1 + horizon)  -> train every candidate
    T2 = T - horizon:     features at T2, labels from [T2, T)             -> validate; the best ROC-AUC is chosen
Both label windows end by T, so they are fully observed. Each candidate's validation metrics are those of its
uncalibrated scores, with f1/precision/recall at the threshold best on that same validation data: they compare
candidates with one another, nothing more. The chosen candidate is then refitted on the latest
fully labelled snapshot (T2) with cross-fitted Platt calibration (see churn_models.py), the F1 threshold is
chosen on its out-of-fold probabilities, and it scores the customers at T.

The calibration's intercept is shifted by its own move between the same windows a year earlier (`seasonal_shift`);
without that history, the probabilities are raised to the power of how much busier the shop's calendar expects the
window ahead to be than the one calibrated on (`calendar_power`).
The recency-only baseline is fitted on the same T2 snapshot.

Evaluation (`backtest`, as of T with the data running past T + horizon): `fit` as of T, then score the
snapshot at T against what happened in [T, T + horizon), beside the baseline, per group, with warnings.
`publishable` says whether a run may go live: a model that does not beat recency alone does not.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insights.models_ml import churn_models as models
from insights.models_ml.churn_labels import (
    as_moment,
    calendar_power,
    check_classes,
    default_horizon,
    events_before,
    labelled_snapshot,
    seasonal_shift,
)
from insights.models_ml.features import FEATURE_COLUMNS
from insights.models_ml.metrics import (
    auc_standard_error,
    best_threshold,
    calibration_bins,
    classification_metrics,
    group_metrics,
)

BASELINE_NAME = "recency only"
CHANCE_MARGIN = 3  # standard errors above 0.5 that a publishable ROC-AUC must clear


@dataclass
class ChurnModel:
    """A fitted churn model: the chosen candidate, its calibration and threshold, the baseline beside it, and
    the reference values that explanations compare each customer with. Picklable (stored with its run)."""

    chosen: str
    estimator: models.Fitted
    calibrator: models.Platt
    threshold: float
    baseline: models.RecencyBaseline
    baseline_threshold: float
    reference: dict[str, float]
    horizon_days: int
    as_of: pd.Timestamp
    candidates: dict[str, dict] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # candidates not tried, with the reason
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    season: dict = field(default_factory=dict)  # `seasonal_shift`'s answer, applied to the calibrator
    # The latest labelled period the calibration was fitted on: {"start", "end" (ISO moments), "customers",
    # "churn_rate"}; a churn rate that moves between periods shows as the gap between this and what happens next.
    calibration_window: dict = field(default_factory=dict)

    def proba_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated churn probabilities for rows already passed through `churn_models.design`."""
        return self.calibrator(self.estimator.score(matrix))

    def predict_proba(self, features: pd.DataFrame) -> pd.Series:
        """Calibrated churn probability per customer of a snapshot (indexed like `features`)."""
        return pd.Series(self.proba_matrix(models.design(features)), index=features.index, name="churn")

    def baseline_proba(self, features: pd.DataFrame) -> pd.Series:
        """The recency-only baseline's probability per customer."""
        return pd.Series(self.baseline.predict_proba(features), index=features.index, name="baseline")

    def explain(self, features: pd.DataFrame, top: int = 3, probability=None) -> dict[int, list[dict]]:
        """Per customer: up to `top` factors raising and `top` lowering the risk (see churn_explain.py);
        `probability`: `predict_proba(features)` when the caller has it (one prediction less)."""
        from insights.models_ml.churn_explain import explain

        return explain(self, features, top=top, probability=probability)

    def baseline_scorer(self) -> RecencyScorer:
        """The recency-only baseline as a scorer of its own, with the same interface (published when the model
        does not beat it)."""
        return RecencyScorer(self.baseline, self.baseline_threshold, {"recency_days": self.reference["recency_days"]})


@dataclass
class RecencyScorer:
    """The recency-only baseline with ChurnModel's scoring interface: probability from recency alone, explained by
    recency alone (against the typical customer's recency)."""

    baseline: models.RecencyBaseline
    threshold: float
    reference: dict[str, float]
    chosen: str = BASELINE_NAME

    def proba_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Probabilities for rows of a `churn_models.design` matrix (only the recency column is read)."""
        recency = matrix[:, FEATURE_COLUMNS.index("recency_days")]
        return self.baseline.predict_proba(pd.DataFrame({"recency_days": recency}))

    def predict_proba(self, features: pd.DataFrame) -> pd.Series:
        """Churn probability per customer of a snapshot (indexed like `features`)."""
        return pd.Series(self.proba_matrix(models.design(features)), index=features.index, name="churn")

    def explain(self, features: pd.DataFrame, top: int = 3, probability=None) -> dict[int, list[dict]]:
        """Per customer: the recency factor, when it moves the risk by a point or more."""
        from insights.models_ml.churn_explain import explain

        return explain(self, features, top=top, probability=probability)


def fit(
    purchases: pd.DataFrame,
    as_of,
    horizon_days: int | None = None,
    returns: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    candidates: Iterable[str] = models.CANDIDATES,
    seed: int = 0,
    seasonal: bool = True,
    memo: dict | None = None,
) -> ChurnModel:
    """Choose, calibrate and fit a churn model as of `as_of` from events strictly before it (see the module doc).

    Raises ValueError when either labelled snapshot has fewer than MIN_CLASS customers of a class. `memo` shares
    labelled snapshots with other calls on the same data (`churn_labels.labelled_snapshot`).
    """
    as_of = as_moment(as_of, purchases["placed_at"])
    purchases = events_before(purchases, "placed_at", as_of)
    returns, interactions = (
        events_before(returns, "placed_at", as_of),
        events_before(interactions, "occurred_at", as_of),
    )
    horizon = int(horizon_days or default_horizon(purchases, as_of))
    step = pd.Timedelta(days=horizon)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    train_features, y_train = labelled_snapshot(purchases, as_of - 2 * step, horizon, returns, interactions, memo)
    valid_features, y_valid = labelled_snapshot(purchases, as_of - step, horizon, returns, interactions, memo)
    timings["snapshots"] = time.perf_counter() - started
    check_classes(y_train, "training")
    check_classes(y_valid, "validation")
    x_train, x_valid = models.design(train_features), models.design(valid_features)

    scores: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    candidates = list(candidates)
    for name in candidates if len(candidates) > 1 else ():  # one candidate (the final fit) needs no choosing
        if len(y_train) > models.LARGE and name in models.SKIPPED_WHEN_LARGE and len(candidates) > 1:
            skipped[name] = (
                f"not tried on {len(y_train):,} training customers (over {models.LARGE:,}): fitted on a sample, it "
                "loses to the tree models on data this large"
            )
            continue
        started = time.perf_counter()
        # Uncalibrated: sigmoid of the log-odds score. Selection uses ROC-AUC, which calibration cannot change.
        proba = models.sigmoid(models.fit_candidate(name, x_train, y_train, seed).score(x_valid))
        scores[name] = classification_metrics(y_valid, proba, best_threshold(y_valid, proba))
        timings[name] = time.perf_counter() - started
    # Highest validation ROC-AUC; on a tie the earlier (simpler) candidate in CANDIDATES order wins.
    chosen = max(scores, key=lambda name: scores[name]["roc_auc"] or 0.0) if scores else candidates[0]

    started = time.perf_counter()
    estimator, calibrator, calibrated, y_calibrated = models.calibrated_fit(chosen, x_valid, y_valid, seed)
    season = (
        seasonal_shift(
            purchases,
            as_of,
            horizon,
            lambda features: estimator.score(models.design(features)),
            calibrator.slope,
            returns,
            interactions,
            memo,
        )
        if seasonal
        else {"shift": 0.0, "reason": "switched off"}
    )
    if seasonal and season["estimate"] is None:
        # No year earlier to measure the season's move: the shop's calendar tells at least how busy the window
        # calibrated on was against an average one (and the days ahead seen a year earlier).
        calendar = calendar_power(purchases, as_of, horizon)
        season = {**season, "calendar": calendar, "reason": f"{season['reason']}; {calendar['reason']}"}
    power = season.get("calendar", {}).get("power", 1.0)
    # A shift of the log-odds is a shift of Platt's intercept, the power a monotone map: the ranking (ROC-AUC) is
    # unchanged, and the F1 threshold moves with the probabilities so that the same customers are flagged.
    calibrator = models.Platt(calibrator.slope, calibrator.intercept + season["shift"], power)
    calibrated = calibrated**power
    baseline = models.RecencyBaseline.fit(valid_features, y_valid)
    timings["calibrated_refit"] = time.perf_counter() - started
    medians = valid_features[FEATURE_COLUMNS].median()
    return ChurnModel(
        chosen=chosen,
        estimator=estimator,
        calibrator=calibrator,
        threshold=best_threshold(y_calibrated, calibrated),
        season=season,
        calibration_window={
            "start": (as_of - step).isoformat(),
            "end": as_of.isoformat(),
            "customers": len(y_valid),
            "churn_rate": float(y_valid.mean()),
        },
        baseline=baseline,
        baseline_threshold=best_threshold(y_valid, baseline.predict_proba(valid_features)),
        reference={column: float(value) for column, value in medians.items()},
        horizon_days=horizon,
        as_of=as_of,
        candidates=scores,
        skipped=skipped,
        counts={
            "train": len(y_train),
            "train_churned": int(y_train.sum()),
            "validation": len(y_valid),
            "validation_churned": int(y_valid.sum()),
        },
        timings=timings,
    )


def _groupings(groups, index: pd.Index) -> dict[str, pd.Series]:
    """`groups` (a Series, or a mapping of name -> Series, indexed by customer) aligned to `index`."""
    if groups is None:
        return {}
    if isinstance(groups, pd.Series):
        groups = {groups.name or "group": groups}
    return {str(name): pd.Series(series).reindex(index) for name, series in groups.items()}


def backtest(
    purchases: pd.DataFrame,
    as_of,
    horizon: int | None = None,
    returns: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    groups: pd.Series | Mapping[str, pd.Series] | None = None,
    candidates: Iterable[str] = models.CANDIDATES,
    seed: int = 0,
    seasonal: bool = True,
    memo: dict | None = None,
) -> dict:
    """Fit as of `as_of` on earlier events only, then predict who makes no purchase in [as_of, as_of + horizon).

    Returns a JSON-able dict: metrics and the recency-only baseline's metrics on that holdout, the chosen
    candidate and every candidate's validation metrics, per-group metrics ({grouping: {group: {n, positives,
    metrics}}}), warnings, the threshold, the holdout's calibration bins (`metrics.calibration_bins`), the period
    the calibration was fitted on (`ChurnModel.calibration_window`), counts and timings.
    """
    as_of = as_moment(as_of, purchases["placed_at"])
    horizon = int(horizon or default_horizon(purchases, as_of))
    model = fit(purchases, as_of, horizon, returns, interactions, candidates, seed, seasonal, memo)
    started = time.perf_counter()
    features, y = labelled_snapshot(purchases, as_of, horizon, returns, interactions, memo)
    proba = model.predict_proba(features).to_numpy()
    metrics = classification_metrics(y, proba, model.threshold)
    baseline = classification_metrics(y, model.baseline_proba(features).to_numpy(), model.baseline_threshold)

    warnings = []
    window_end = as_of + pd.Timedelta(days=horizon)
    if purchases["placed_at"].max() < window_end - pd.Timedelta(days=1):
        warnings.append(
            f"the data ends on {purchases['placed_at'].max():%Y-%m-%d}, before the holdout window ends on "
            f"{window_end:%Y-%m-%d}: customers who would have come back later count as churned"
        )
    report = {}
    for name, series in _groupings(groups, features.index).items():
        report[name], found = group_metrics(y, proba, series, model.threshold, metrics["roc_auc"], grouping=name)
        warnings.extend(found)
    result = {
        "metrics": metrics,
        "sentiment_check": sentiment_check(model, features, y, metrics["roc_auc"], proba),
        "baseline": {"name": BASELINE_NAME, "metrics": baseline},
        "chosen": model.chosen,
        "candidates": model.candidates,
        "skipped_candidates": model.skipped,
        "groups": report,
        "warnings": warnings,
        "as_of": as_of.isoformat(),
        "horizon_days": horizon,
        "threshold": model.threshold,
        "calibration": calibration_bins(y, proba),
        "seasonal_shift": model.season,
        "calibration_window": model.calibration_window,
        "counts": {**model.counts, "test": len(y), "test_churned": int(y.sum())},
        "timings": {**model.timings, "holdout": time.perf_counter() - started},
    }
    ok, reason = publishable(result)
    if not ok:
        warnings.append(f"not publishable: {reason}")
    return result


def sentiment_check(
    model: ChurnModel, features: pd.DataFrame, y: np.ndarray, roc_auc: float | None, proba: np.ndarray | None = None
) -> dict:
    """Whether recent negative sentiment helps on the holdout: the model's ROC-AUC as it is, beside the same model
    with every customer's negative_90d set to 0 (as if nobody had been unhappy), and how many customers had any.
    `proba`: the model's probabilities of `features`, when the caller has them: then only the customers whose
    negative_90d is not 0 already are predicted again."""
    if proba is None:
        proba = model.predict_proba(features).to_numpy()
    changed = ~(features["negative_90d"].to_numpy(dtype=float) == 0)  # NaN changes too
    without = np.array(proba, dtype=float)
    if changed.any():
        without[changed] = model.predict_proba(features[changed].assign(negative_90d=0.0)).to_numpy()
    auc_without = classification_metrics(y, without, model.threshold)["roc_auc"]
    helps = roc_auc is not None and auc_without is not None and roc_auc > auc_without
    return {
        "feature": "negative_90d",
        "customers_with_negative": int((features["negative_90d"] > 0).sum()),
        "roc_auc_with": roc_auc,
        "roc_auc_without": auc_without,
        "helps": bool(helps),
    }


def within_chance(result: dict) -> str:
    """Why the model's holdout ROC-AUC cannot be told from chance (see `publishable`), or "" when it can."""
    auc = result["metrics"].get("roc_auc")
    if auc is None:
        return "ROC-AUC is undefined: the holdout has customers of one class only"
    counts = result.get("counts", {})
    positives = counts.get("test_churned", 0)
    margin = CHANCE_MARGIN * auc_standard_error(positives, counts.get("test", 0) - positives)
    if auc <= 0.5 + margin:
        return f"ROC-AUC {auc:.3f} is within chance (0.5 + {margin:.3f}) for {counts.get('test', 0)} customers"
    return ""


def publishable(result: dict) -> tuple[bool, str]:
    """(may this run go live?, why): only if its holdout ROC-AUC beats the recency-only baseline's and chance.

    "Beats chance" means more than CHANCE_MARGIN standard errors (for the holdout's class sizes) above 0.5: a
    model that a coin could match is not worth showing, even when noise puts it a hair above the baseline. On
    simulated pure noise a 2-error margin still let about one run in twenty through; 3 lets about one in a
    thousand, and costs a real model little (0.53 on Online Retail's 3,360 holdout customers).
    """
    auc = result["metrics"].get("roc_auc")
    baseline = result["baseline"]["metrics"].get("roc_auc")
    if auc is None:
        return False, "ROC-AUC is undefined: the holdout has customers of one class only"
    if baseline is not None and auc <= baseline:
        return False, f"ROC-AUC {auc:.3f} does not beat {result['baseline']['name']} ({baseline:.3f})"
    counts = result.get("counts", {})
    positives = counts.get("test_churned", 0)
    margin = CHANCE_MARGIN * auc_standard_error(positives, counts.get("test", 0) - positives)
    if auc <= 0.5 + margin:
        return False, f"ROC-AUC {auc:.3f} is within chance (0.5 + {margin:.3f}) for {counts.get('test', 0)} customers"
    if baseline is None:
        return True, f"ROC-AUC {auc:.3f} beats chance; the baseline is undefined"
    return True, f"ROC-AUC {auc:.3f} beats {result['baseline']['name']} ({baseline:.3f}) by {auc - baseline:.3f}"
