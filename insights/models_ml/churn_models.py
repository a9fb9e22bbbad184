"""The churn candidates, their calibration and the recency-only baseline (used by churn.py).

Pure numpy/pandas; scikit-learn is imported inside the functions, so importing this module stays cheap.

Inputs are the snapshot's FEATURE_COLUMNS plus one derived column, recency_ratio = recency_days / cadence_days
("how many of their usual gaps since the last order"): a tree needs many splits to approximate a ratio and a
linear model cannot, yet it is the churn signal a person reads first. It is computed inside `design`, so
explanations that change recency_days or cadence_days see the ratio move with them.

Missing values (cadence with one purchase day, days_since_contact without interactions): gradient boosting and
the random forest handle NaN natively; the scaled models impute the median and add a "was missing" indicator,
so "no known cadence" stays visible to them.

Candidates (all with fixed seeds, so a run is reproducible):
    logistic_regression  signed log1p -> impute -> scale -> LogisticRegression
    random_forest        100 trees, leaves of at least 25, each tree on half the rows up to FOREST_MAX_SAMPLES
    gradient_boosting    HistGradientBoosting, at most 100 shallow trees at a learning rate of 0.15 (prediction
                         time grows with trees, and explanations predict 16 times; 150 at 0.1 scored the same
                         holdout ROC-AUC on the 100k demo, .8671 against .8650, and predicted a third slower),
                         early stopping on 15 % of the training rows
    svm                  RBF SVC on at most SVM_SAMPLE rows: its fit grows with the square of the rows and its
                         predictions with the support vectors, so 100k customers would take minutes (not tried
                         above LARGE training customers, nor is the MLP)
    mlp                  MLP (32, 16) on at most MLP_SAMPLE rows, early stopping
SVC gives no probabilities of its own (probability=True would run a hidden 5-fold Platt fit): like every
candidate its scores are mapped to probabilities by the Platt calibration below.

Calibration: Platt scaling (a one-feature logistic regression on the model's log-odds score), cross-fitted on
small data: `calibrated_fit` fits the model on 2/3 of the rows three times to score the left-out third, fits the
sigmoid on those out-of-fold scores, then refits the model on all rows (above LARGE rows it holds out a quarter
instead: one fit rather than four) (scikit-learn's CalibratedClassifierCV with
ensemble=False does the same; doing it here also yields the out-of-fold probabilities the F1 threshold is chosen
on). Sigmoid rather than isotonic because it is strictly increasing, so it never changes the ranking (ROC-AUC is
the model's own), it needs few rows (isotonic overfits below a few thousand, and a small shop has fewer), and the
usual miscalibration here (over-confident forests and boosting, SVM margins) is itself sigmoid-shaped.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insights.models_ml.features import FEATURE_COLUMNS

CANDIDATES = ("logistic_regression", "random_forest", "gradient_boosting", "svm", "mlp")
MODEL_COLUMNS = [*FEATURE_COLUMNS, "recency_ratio"]
SVM_SAMPLE = 4_000
MLP_SAMPLE = 20_000
CALIBRATION_FOLDS = 3
CALIBRATION_SHARE = 0.25  # of a large snapshot's rows held out to calibrate on (see calibrated_fit)
# Above this many training customers the two sampled candidates are not tried: fitted on a few thousand rows of
# plenty, they lose to the tree models, which learn from all of them (100k demo customers: validation ROC-AUC
# svm 0.864, mlp 0.873, random forest and gradient boosting 0.888), and the SVM's scoring is the slowest step of a
# run (8 s for 100k customers).
LARGE = 30_000
SKIPPED_WHEN_LARGE = ("svm", "mlp")
# Rows each random-forest tree is grown from (a bootstrap sample): half the rows up to this many. With 80k customers
# the trees of 40k rows took 12 s a fit and 1 s a prediction for no gain in validation ROC-AUC.
FOREST_MAX_SAMPLES = 20_000
# The directions gradient boosting must keep (1: a higher value never lowers the risk, -1: never raises it): more
# recent orders and spend, and silence past the usual gap, complaints and unhappy contacts. Without them the trees
# found pockets where a year without spend lowered the risk, and the profile said so.
MONOTONIC = {
    "orders_90d": -1,
    "orders_365d": -1,
    "spend_90d": -1,
    "spend_365d": -1,
    "recency_ratio": 1,
    "complaints_90d": 1,
    "negative_90d": 1,
}
SCORE_LIMIT = 30.0  # log-odds beyond +-30 are numerically 0 or 1; clipping keeps the sigmoid finite


def design(features: pd.DataFrame) -> np.ndarray:
    """The model input matrix: FEATURE_COLUMNS in order, then recency_ratio (NaN where cadence is unknown)."""
    matrix = features.reindex(columns=FEATURE_COLUMNS).to_numpy(dtype=float, copy=True)
    recency = matrix[:, FEATURE_COLUMNS.index("recency_days")]
    cadence = matrix[:, FEATURE_COLUMNS.index("cadence_days")]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cadence > 0, recency / cadence, np.nan)
    return np.column_stack([matrix, ratio])


def with_value(matrix: np.ndarray, column: str, value: float) -> np.ndarray:
    """A copy of a `design` matrix with one feature set to `value` for every row, recency_ratio following."""
    changed = matrix.copy()
    changed[:, FEATURE_COLUMNS.index(column)] = value
    if column in ("recency_days", "cadence_days"):
        recency = changed[:, FEATURE_COLUMNS.index("recency_days")]
        cadence = changed[:, FEATURE_COLUMNS.index("cadence_days")]
        with np.errstate(divide="ignore", invalid="ignore"):
            changed[:, -1] = np.where(cadence > 0, recency / cadence, np.nan)
    return changed


def signed_log1p(matrix: np.ndarray) -> np.ndarray:
    """log1p of the magnitude with the sign kept: tames heavy-tailed spend and counts for the scaled models."""
    return np.sign(matrix) * np.log1p(np.abs(matrix))


def _scaled(estimator):
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    return make_pipeline(
        FunctionTransformer(signed_log1p),
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
        estimator,
    )


def make_candidate(name: str, seed: int = 0):
    """An unfitted estimator for the candidate `name` (one of CANDIDATES)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    if name == "logistic_regression":
        return _scaled(LogisticRegression(C=1.0, max_iter=1000))
    if name == "random_forest":
        return RandomForestClassifier(
            # One job: in a Celery worker's forked process joblib cannot start its own and warns at every call.
            n_estimators=100,
            min_samples_leaf=25,
            max_samples=0.5,
            n_jobs=1,
            random_state=seed,
        )
    if name == "gradient_boosting":
        return HistGradientBoostingClassifier(
            learning_rate=0.15,
            max_iter=100,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=True,
            validation_fraction=0.15,
            n_iter_no_change=20,
            random_state=seed,
        )
    if name == "svm":
        return _scaled(SVC(C=1.0, kernel="rbf", gamma="scale", cache_size=500))
    if name == "mlp":
        return _scaled(
            MLPClassifier(hidden_layer_sizes=(32, 16), alpha=1e-3, early_stopping=True, max_iter=200, random_state=seed)
        )
    raise ValueError(f"unknown churn candidate {name!r}; choose from {', '.join(CANDIDATES)}")


def _sample(y: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Row positions of a random sample of at most `size` rows with both classes in it."""
    if len(y) <= size:
        return np.arange(len(y))
    from sklearn.model_selection import train_test_split

    chosen, _ = train_test_split(np.arange(len(y)), train_size=size, stratify=y, random_state=seed)
    return np.sort(chosen)


@dataclass
class Fitted:
    """A fitted candidate and the design columns it was given: columns with no value at all in the training rows
    (days_since_contact when there is no interaction data) are left out, as some estimators reject them."""

    estimator: object
    columns: np.ndarray  # boolean mask over MODEL_COLUMNS

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """A score on the log-odds scale: decision_function where the model has one, else logit of its probability."""
        rows = matrix[:, self.columns]
        if hasattr(self.estimator, "decision_function"):
            score = self.estimator.decision_function(rows)
        else:
            # Forests say 0 or 1 for pure leaves; clipping keeps their logit finite and ordered.
            proba = np.clip(self.estimator.predict_proba(rows)[:, 1], 1e-4, 1 - 1e-4)
            score = np.log(proba / (1 - proba))
        return np.clip(np.asarray(score, dtype=float), -SCORE_LIMIT, SCORE_LIMIT)


def fit_candidate(name: str, matrix: np.ndarray, y: np.ndarray, seed: int = 0) -> Fitted:
    """The candidate fitted on (matrix, y); SVM and MLP on a stratified random sample of SVM_SAMPLE/MLP_SAMPLE rows."""
    from sklearn.exceptions import ConvergenceWarning

    rows = {"svm": SVM_SAMPLE, "mlp": MLP_SAMPLE}.get(name)
    if rows is not None:
        keep = _sample(y, rows, seed)
        matrix, y = matrix[keep], y[keep]
    columns = ~np.isnan(matrix).all(axis=0)
    estimator = make_candidate(name, seed)
    if name == "random_forest":
        estimator.set_params(max_samples=max(1, min(len(y) // 2, FOREST_MAX_SAMPLES)))
    if name == "gradient_boosting":
        estimator.set_params(monotonic_cst=[MONOTONIC.get(c, 0) for c in np.asarray(MODEL_COLUMNS)[columns]])
    with warnings.catch_warnings():
        # An MLP stopped by max_iter is still a usable candidate; the validation metrics judge it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(matrix[:, columns], y)
    return Fitted(estimator, columns)


def sigmoid(score: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-score)), numerically safe."""
    return 1.0 / (1.0 + np.exp(-np.clip(score, -SCORE_LIMIT, SCORE_LIMIT)))


@dataclass
class Platt:
    """Platt scaling: probability = sigmoid(slope * score + intercept), fitted by logistic regression; raised to
    `power` when the coming window is expected to be busier or quieter than the one it was fitted on (see
    churn_labels.calendar_power; 1 otherwise, and for models saved before it)."""

    slope: float = 1.0
    intercept: float = 0.0
    power: float = 1.0

    @classmethod
    def fit(cls, score: np.ndarray, y: np.ndarray) -> Platt:
        """The sigmoid that best maps `score` to the labels `y` (nearly unpenalised)."""
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1e4, max_iter=1000).fit(np.asarray(score).reshape(-1, 1), y)
        return cls(slope=float(model.coef_[0, 0]), intercept=float(model.intercept_[0]))

    def __call__(self, score: np.ndarray) -> np.ndarray:
        probability = sigmoid(self.slope * np.asarray(score, dtype=float) + self.intercept)
        return probability if self.power == 1.0 else probability**self.power


def calibrated_fit(name: str, matrix: np.ndarray, y: np.ndarray, seed: int = 0, folds: int = CALIBRATION_FOLDS):
    """(the fitted estimator, Platt fitted on scores of rows it did not learn from, those rows' calibrated
    probabilities, their labels).

    Up to LARGE rows: cross-fitted (the model on 2/3 of the rows three times, each scoring the left-out third), then
    refitted on all rows. Above LARGE: fitted once on 1 - CALIBRATION_SHARE of the rows and calibrated on the rest
    (a stratified sample of at least 7,500 customers, plenty for the sigmoid's two parameters): one fit of the chosen
    model instead of four, for no loss that shows on the 100k-customer demo (holdout ROC-AUC and ECE in
    docs/benchmarks)."""
    from sklearn.model_selection import StratifiedKFold, train_test_split

    if len(y) > LARGE:
        fit_rows, held_out = train_test_split(
            np.arange(len(y)), test_size=CALIBRATION_SHARE, stratify=y, random_state=seed
        )
        fitted = fit_candidate(name, matrix[fit_rows], y[fit_rows], seed)
        held_scores = fitted.score(matrix[held_out])
        calibrator = Platt.fit(held_scores, y[held_out])
        return fitted, calibrator, calibrator(held_scores), y[held_out]
    out_of_fold = np.empty(len(y))
    for train, held_out in StratifiedKFold(folds, shuffle=True, random_state=seed).split(matrix, y):
        out_of_fold[held_out] = fit_candidate(name, matrix[train], y[train], seed).score(matrix[held_out])
    calibrator = Platt.fit(out_of_fold, y)
    return fit_candidate(name, matrix, y, seed), calibrator, calibrator(out_of_fold), y


@dataclass
class RecencyBaseline:
    """The naive model to beat: a logistic regression on log(1 + recency_days) alone.

    Its ranking is exactly the ranking of recency (longer since the last order = more likely gone), and the
    logistic link gives it calibrated probabilities, so every metric compares like with like.
    """

    slope: float = 0.0
    intercept: float = 0.0

    @staticmethod
    def _x(features: pd.DataFrame) -> np.ndarray:
        return np.log1p(features["recency_days"].to_numpy(dtype=float).clip(min=0)).reshape(-1, 1)

    @classmethod
    def fit(cls, features: pd.DataFrame, y: np.ndarray) -> RecencyBaseline:
        """Fitted on the same labelled snapshot as the model."""
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1e4, max_iter=1000).fit(cls._x(features), y)
        return cls(slope=float(model.coef_[0, 0]), intercept=float(model.intercept_[0]))

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Churn probability from recency alone."""
        return sigmoid(self.slope * self._x(features)[:, 0] + self.intercept)
