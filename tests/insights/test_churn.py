"""Churn on data with a known answer: simulated customers whose churn we planted (insights/models_ml/churn_simulate.py).

Pure pandas/scikit-learn, no database. The expensive backtests run once per module.
"""

import math
import pickle

import numpy as np
import pandas as pd
import pytest

from insights.models_ml import churn, churn_labels
from insights.models_ml.churn_models import CANDIDATES
from insights.models_ml.churn_simulate import simulate
from insights.models_ml.features import FEATURE_COLUMNS, snapshot
from insights.models_ml.metrics import METRIC_NAMES, expected_calibration_error

AS_OF = pd.Timestamp("2023-09-01", tz="UTC")
QUICK = ("logistic_regression", "gradient_boosting")  # where the test is not about model choice


def _purchases(*rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer", "placed_at"])
    return frame.assign(placed_at=pd.to_datetime(frame["placed_at"], utc=True), amount=10.0)


@pytest.fixture(scope="module")
def planted():
    return simulate(3000, seed=1)


@pytest.fixture(scope="module")
def planted_result(planted):
    return churn.backtest(planted["purchases"], AS_OF, interactions=planted["interactions"])


@pytest.fixture(scope="module")
def planted_model(planted):
    return churn.fit(planted["purchases"], AS_OF, 90, interactions=planted["interactions"], candidates=QUICK)


def test_labels_on_a_hand_made_example():
    purchases = _purchases(
        (1, "2023-01-01"), (1, "2023-02-10"),  # comes back inside the window
        (2, "2023-01-05"),  # never comes back
        (3, "2023-02-20"),  # first buys after as_of: not labelled
        (4, "2023-01-02"), (4, "2023-03-03"),  # comes back exactly at as_of + 30 days: outside the window
        (5, "2023-01-03"), (5, "2023-02-01"),  # comes back exactly at as_of: inside
    )  # fmt: skip
    labels = churn_labels.labels(purchases, "2023-02-01", 30)
    assert labels.to_dict() == {1: 0, 2: 1, 4: 1, 5: 0}


def test_default_horizon_follows_the_cadence():
    every_60_days = _purchases(
        *[(c, day) for c in range(1, 20) for day in pd.date_range("2022-01-01", periods=6, freq="60D")]
    )
    assert churn_labels.default_horizon(every_60_days, "2023-06-01") == 60
    daily = _purchases(*[(1, day) for day in pd.date_range("2023-01-01", periods=30)])
    assert churn_labels.default_horizon(daily, "2023-06-01") == churn_labels.MIN_HORIZON
    once = _purchases((1, "2023-01-01"), (2, "2023-01-02"))
    assert churn_labels.default_horizon(once, "2023-06-01") == churn_labels.DEFAULT_HORIZON
    rarely = _purchases((1, "2020-01-01"), (1, "2021-06-01"), (1, "2022-12-01"))
    assert churn_labels.default_horizon(rarely, "2023-06-01") == churn_labels.MAX_HORIZON


def test_planted_signal_is_found_and_beats_recency_alone(planted_result):
    auc, baseline = planted_result["metrics"]["roc_auc"], planted_result["baseline"]["metrics"]["roc_auc"]
    assert auc > 0.85
    # Complaints and recency relative to cadence carry what recency alone misses.
    assert auc > baseline + 0.015
    assert churn.publishable(planted_result)[0]


def test_backtest_reports_every_metric_in_range(planted_result):
    for metrics in (planted_result["metrics"], planted_result["baseline"]["metrics"]):
        assert list(metrics) == list(METRIC_NAMES)
        assert all(0.0 <= value <= 1.0 for value in metrics.values())
    assert planted_result["baseline"]["name"] == "recency only"
    assert tuple(planted_result["candidates"]) == CANDIDATES
    assert planted_result["chosen"] in planted_result["candidates"]
    assert planted_result["metrics"]["ece"] < 0.05  # calibrated: no drift is planted between windows


def test_backtest_uses_nothing_after_as_of(planted):
    purchases = planted["purchases"]
    changed = purchases.copy()
    later = changed["placed_at"] >= AS_OF
    changed.loc[later, "amount"] *= 100  # the future looks different, the past the same
    kept = churn.fit(purchases, AS_OF, 90, candidates=("gradient_boosting",))
    moved = churn.fit(changed, AS_OF, 90, candidates=("gradient_boosting",))
    features = snapshot(purchases[~later], AS_OF)
    assert np.allclose(kept.predict_proba(features), moved.predict_proba(features))


def test_pure_noise_is_not_publishable():
    noise = simulate(3000, seed=1, erratic_share=1.0)  # memoryless buyers: the past says nothing
    result = churn.backtest(noise["purchases"], AS_OF, 90, interactions=noise["interactions"], candidates=QUICK)
    assert result["metrics"]["roc_auc"] < 0.56
    ok, reason = churn.publishable(result)
    assert not ok and reason
    assert any(warning.startswith("not publishable") for warning in result["warnings"])


def test_publishable_refuses_a_model_below_its_baseline():
    result = {
        "metrics": {"roc_auc": 0.70},
        "baseline": {"name": "recency only", "metrics": {"roc_auc": 0.72}},
        "counts": {"test": 5000, "test_churned": 2000},
    }
    ok, reason = churn.publishable(result)
    assert not ok and "does not beat recency only" in reason
    result["metrics"]["roc_auc"] = 0.75
    assert churn.publishable(result)[0]


def _typical(model, **values) -> pd.DataFrame:
    """One made-up customer with every feature at the model's reference value except `values`."""
    row = {**model.reference, **values}
    return pd.DataFrame([row], index=pd.Index([99], name="customer"))[FEATURE_COLUMNS]


def test_explanations_name_the_planted_complaints(planted_model):
    cadence = planted_model.reference["cadence_days"]
    complainer = _typical(planted_model, recency_days=cadence / 2, complaints_90d=3.0, interactions_90d=5.0)
    factors = planted_model.explain(complainer)[99]
    assert factors[0]["feature"] == "complaints_90d" and factors[0]["effect"] > 0
    assert factors[0]["text"] == "3 complaints in the last 90 days"


def test_explanations_name_a_long_silence(planted_model):
    cadence = planted_model.reference["cadence_days"]
    silent = _typical(planted_model, recency_days=5 * cadence)
    factors = planted_model.explain(silent)[99]
    assert factors[0]["feature"] == "recency_days" and factors[0]["effect"] > 0
    assert factors[0]["text"] == f"no order for {5 * cadence:,.0f} days, 5.0× their usual gap of {cadence:,.0f} days"


def test_explanations_for_everyone_are_json_and_ordered(planted, planted_model):
    features = snapshot(planted["purchases"], AS_OF, interactions=planted["interactions"]).head(300)
    explained = planted_model.explain(features)
    assert set(explained) == set(features.index)
    for factors in explained.values():
        for factor in factors:
            silence = {"recency_days"} if factor["feature"] == "cadence_days" and factor["value"] is not None else set()
            assert set(factor) == {"feature", "value", "effect", "text"} | silence
        effects = [abs(factor["effect"]) for factor in factors]
        assert effects == sorted(effects, reverse=True)
        assert sum(factor["effect"] > 0 for factor in factors) <= 3
    assert pickle.loads(pickle.dumps(explained)) == explained


def test_explanations_are_the_same_given_the_probabilities_and_one_customer_at_a_time(planted, planted_model):
    features = snapshot(planted["purchases"], AS_OF, interactions=planted["interactions"]).head(300)
    explained = planted_model.explain(features)
    given = planted_model.explain(features, probability=planted_model.predict_proba(features).to_numpy())
    assert given == explained
    assert any(explained.values()) and not all(explained.values())  # customers with factors and without
    for customer in features.index[:40]:
        assert planted_model.explain(features.loc[[customer]]) == {customer: explained[customer]}


def test_every_customer_gets_a_probability_even_without_a_cadence(planted, planted_model):
    features = snapshot(planted["purchases"], AS_OF, interactions=planted["interactions"])
    assert features["cadence_days"].isna().any()
    proba = planted_model.predict_proba(features)
    assert proba.between(0, 1).all() and proba.index.equals(features.index)


def test_model_survives_pickling(planted, planted_model):
    features = snapshot(planted["purchases"], AS_OF).head(50)
    restored = pickle.loads(pickle.dumps(planted_model))
    assert np.allclose(restored.predict_proba(features), planted_model.predict_proba(features))


def test_bias_check_warns_about_a_group_the_model_cannot_read():
    mixed = simulate(3000, seed=2, erratic_share=0.25)
    kind = mixed["truth"]["erratic"].map({True: "erratic", False: "steady"}).rename("kind")
    result = churn.backtest(
        mixed["purchases"], AS_OF, 90, interactions=mixed["interactions"], groups=kind, candidates=QUICK
    )
    groups = result["groups"]["kind"]
    assert groups["erratic"]["metrics"]["roc_auc"] < result["metrics"]["roc_auc"] - 0.1
    about_kind = [warning for warning in result["warnings"] if warning.startswith("kind ")]
    assert len(about_kind) == 1 and about_kind[0].startswith("kind erratic:")


def test_opted_out_customers_are_neither_trained_on_nor_scored(planted):
    opted_out = set(range(1, 3001, 10))
    purchases, _, interactions = churn_labels.without_opted_out(
        opted_out, planted["purchases"], None, planted["interactions"]
    )
    model = churn.fit(purchases, AS_OF, 90, interactions=interactions, candidates=("logistic_regression",))
    consenting_at_validation = purchases.loc[purchases["placed_at"] < AS_OF - pd.Timedelta(days=90), "customer"]
    assert model.counts["validation"] == consenting_at_validation.nunique()
    scored = model.predict_proba(snapshot(purchases, AS_OF, interactions=interactions))
    assert not set(scored.index) & opted_out and len(scored)


def test_too_little_history_is_refused_with_a_reason():
    purchases = _purchases((1, "2023-01-01"), (2, "2023-05-01"), (2, "2023-08-01"))
    with pytest.raises(ValueError, match="too few customers"):
        churn.fit(purchases, AS_OF, 90)


@pytest.fixture(scope="module")
def quiet_summers():
    """Three years of planted customers in a shop that is quiet every June to August: six purchases in ten made
    then are dropped, so the churn rate over a summer is far above that over the spring before it."""
    planted = simulate(3000, seed=7, days=3 * 365)
    purchases = planted["purchases"]
    rng = np.random.default_rng(7)
    summer = purchases["placed_at"].dt.month.isin([6, 7, 8]).to_numpy()
    return {**planted, "purchases": purchases[~(summer & (rng.random(len(purchases)) < 0.6))]}


def test_a_seasonal_move_of_the_churn_rate_seen_a_year_earlier_recalibrates(quiet_summers):
    as_of = pd.Timestamp("2023-06-01", tz="UTC")
    options = {"horizon": 90, "interactions": quiet_summers["interactions"], "candidates": ("logistic_regression",)}
    plain = churn.backtest(quiet_summers["purchases"], as_of, seasonal=False, **options)
    shifted = churn.backtest(quiet_summers["purchases"], as_of, **options)
    season = shifted["seasonal_shift"]
    assert season["shift"] > 0 and season["reason"].startswith("applied") and season["rates"][1] > season["rates"][0]
    # The same ranking, better calibrated: the planted summer raised the churn rate the model was calibrated on.
    assert shifted["metrics"]["roc_auc"] == pytest.approx(plain["metrics"]["roc_auc"])
    # ECE 0.105 unshifted, 0.034 shifted (the intercept moved +1.33 +- 0.12 log-odds a year earlier for customers
    # like them; the plain churn rate moved from 52 % to 70 %, which shifted by +0.76 only and left ECE 0.055).
    assert shifted["metrics"]["ece"] < 0.045 and shifted["metrics"]["ece"] < plain["metrics"]["ece"] / 2.5


def test_without_a_year_earlier_the_shops_calendar_brings_a_quiet_window_back_to_an_average_one(quiet_summers):
    """Twenty months of the quiet-summers shop: no year before the earlier window, so no seasonal shift; the model is
    calibrated on June to August, when churn ran high. The shop's calendar (clv_calendar, within customers) finds that
    window 0.57 times as busy as an average one and the window ahead, seen a year earlier, 1.23 times: each
    probability is raised to the power 2.15 (a Poisson buyer's chance of no purchase in a window that much busier).
    ECE 0.165 -> 0.081, the ranking unchanged."""
    start = pd.Timestamp("2022-01-01", tz="UTC")
    purchases = quiet_summers["purchases"][quiet_summers["purchases"]["placed_at"] >= start]
    interactions = quiet_summers["interactions"][quiet_summers["interactions"]["occurred_at"] >= start]
    as_of = pd.Timestamp("2023-09-01", tz="UTC")
    options = {"horizon": 90, "interactions": interactions, "candidates": ("logistic_regression",)}
    plain = churn.backtest(purchases, as_of, seasonal=False, **options)
    adjusted = churn.backtest(purchases, as_of, **options)
    season = adjusted["seasonal_shift"]
    assert season["shift"] == 0.0 and season["reason"].startswith("not estimable")
    calendar = season["calendar"]
    assert calendar["behind"] < 0.8 < 1.0 < calendar["ahead"] and calendar["power"] > 1.5
    assert adjusted["metrics"]["roc_auc"] == pytest.approx(plain["metrics"]["roc_auc"])
    assert adjusted["metrics"]["f1"] == pytest.approx(plain["metrics"]["f1"])  # the threshold moved with them
    assert adjusted["metrics"]["ece"] < min(0.1, plain["metrics"]["ece"] / 1.8)


def test_a_flat_calendar_leaves_the_probabilities_alone(planted_model):
    """The planted shop buys the same all year: its calendar is flat, the power 1."""
    calendar = planted_model.season["calendar"]
    assert calendar["power"] == 1.0 and calendar["reason"].startswith("calendar not applied")


def test_without_a_year_of_history_the_calibration_is_not_shifted(planted):
    season = churn_labels.seasonal_shift(planted["purchases"], pd.Timestamp("2022-06-01", tz="UTC"), 90)
    assert season["shift"] == 0.0 and season["reason"].startswith("not estimable")


def test_the_backtest_says_which_period_the_calibration_was_fitted_on(planted_result):
    """The latest labelled period before the held-out one: the window just before AS_OF, whose outcomes are known."""
    window = planted_result["calibration_window"]
    assert pd.Timestamp(window["start"]) == AS_OF - pd.Timedelta(days=planted_result["horizon_days"])
    assert pd.Timestamp(window["end"]) == AS_OF
    counts = planted_result["counts"]
    assert window["customers"] == counts["validation"]
    assert window["churn_rate"] == pytest.approx(counts["validation_churned"] / counts["validation"])


def test_a_young_shops_year_earlier_is_not_read_as_a_season(planted, planted_model):
    """Two years of a stationary shop: a year before AS_OF the shop was eight months old, its customers' yearly
    features cut short by the data's start, and its churn rate rose as it aged (+0.35 log-odds for customers like
    them, 2.6 standard errors): not a season. It needs a year of history before the earlier window."""
    season = planted_model.season
    assert season["shift"] == 0.0 and season["estimate"] is None
    assert season["reason"].startswith("not estimable: it needs a year of history before 2022-06-03")
    features, y = churn_labels.labelled_snapshot(planted["purchases"], AS_OF, 90, None, planted["interactions"])
    assert expected_calibration_error(y, planted_model.predict_proba(features)) < 0.03  # 0.041 when it was shifted


def test_a_stationary_year_earlier_leaves_the_calibration_alone():
    """Three years of a stationary shop: its plain churn rate still rose by 4 points between the year-earlier
    windows (it was younger and smaller then), but for customers like them nothing moved, so nothing is shifted."""
    stationary = simulate(3000, seed=7, days=3 * 365)
    model = churn.fit(
        stationary["purchases"],
        pd.Timestamp("2023-06-01", tz="UTC"),
        90,
        interactions=stationary["interactions"],
        candidates=("logistic_regression",),
    )
    season = model.season
    assert season["rates"][1] > season["rates"][0] + 0.03
    assert season["shift"] == 0.0 and season["reason"].startswith("not applied")
    assert abs(season["estimate"]) < season["standard_error"]


def test_calibration_on_the_latest_labelled_period_keeps_up_with_a_drifting_churn_rate():
    """Customers leave quietly at a rate that rises with the calendar (e^1 times a year): 72 %, 79 % and 85 % churn in
    the three last 90-day windows. The model is calibrated on the latest labelled window, [AS_OF - 90 days, AS_OF),
    not on the one it was trained on before it; on the held-out window after AS_OF its mean probability is within a
    point or two of the churn that happened, where the same model calibrated a window earlier is two to three
    points short (seed 1: 83.5 % and 81.7 % predicted, 84.7 % happened; ECE 0.020 and 0.030)."""
    from insights.models_ml.churn_models import Platt, design

    drifting = simulate(3000, seed=1, drift=1.0)
    purchases, interactions = drifting["purchases"], drifting["interactions"]
    window = pd.Timedelta(days=90)
    rates = [churn_labels.labels(purchases, AS_OF - k * window, 90).mean() for k in (2, 1, 0)]
    assert rates[0] + 0.05 < rates[1] < rates[2] - 0.03  # the planted drift
    model = churn.fit(purchases, AS_OF, 90, interactions=interactions, candidates=("logistic_regression",))
    assert model.counts["validation_churned"] / model.counts["validation"] == pytest.approx(rates[1])
    features, y = churn_labels.labelled_snapshot(purchases, AS_OF, 90, None, interactions)
    latest = model.predict_proba(features).to_numpy()
    earlier_features, earlier_y = churn_labels.labelled_snapshot(purchases, AS_OF - 2 * window, 90, None, interactions)
    earlier = Platt.fit(model.estimator.score(design(earlier_features)), earlier_y)
    one_window_late = earlier(model.estimator.score(design(features)))
    assert abs(latest.mean() - y.mean()) < 0.02
    assert y.mean() - one_window_late.mean() > abs(latest.mean() - y.mean()) + 0.01
    assert expected_calibration_error(y, latest) < min(0.025, expected_calibration_error(y, one_window_late))


def test_a_large_snapshot_is_calibrated_on_a_held_out_quarter_and_stays_calibrated(planted, monkeypatch):
    """Above LARGE customers the chosen model is fitted once on three quarters of the latest snapshot and its sigmoid
    on the rest (instead of three cross-fits and a refit): the planted churn is still found and calibrated."""
    from insights.models_ml import churn_models

    fits = []
    real_fit = churn_models.fit_candidate
    monkeypatch.setattr(
        churn_models, "fit_candidate", lambda name, x, y, seed=0: fits.append(len(y)) or real_fit(name, x, y, seed)
    )
    monkeypatch.setattr(churn_models, "LARGE", 500)
    result = churn.backtest(
        planted["purchases"], AS_OF, interactions=planted["interactions"], candidates=("gradient_boosting",)
    )
    validation = result["counts"]["validation"]
    assert validation > 500
    # The backtest's one candidate is not fitted to be chosen; its final fit sees three quarters of the snapshot.
    assert fits == [validation - math.ceil(validation * churn_models.CALIBRATION_SHARE)]
    assert result["metrics"]["roc_auc"] > result["baseline"]["metrics"]["roc_auc"] + 0.015
    assert result["metrics"]["ece"] < 0.05


def test_gradient_boosting_keeps_the_directions_a_rep_expects(planted):
    """More recent spend and orders never raise the boosted model's risk, and complaints never lower it, whatever
    else the customer looks like: so an explanation never says a year without spend lowered the risk."""
    from insights.models_ml import churn_models
    from insights.models_ml.churn_labels import labelled_snapshot

    at = AS_OF - pd.Timedelta(days=90)
    features, y = labelled_snapshot(planted["purchases"], at, 90, None, planted["interactions"])
    matrix = churn_models.design(features)
    fitted = churn_models.fit_candidate("gradient_boosting", matrix, y)
    base = fitted.score(matrix)
    for column, direction in churn_models.MONOTONIC.items():
        j = churn_models.MODEL_COLUMNS.index(column)
        if not fitted.columns[j]:
            continue
        known = ~np.isnan(matrix[:, j])  # a missing value has a branch of its own, unconstrained
        raised = matrix.copy()
        raised[:, j] += np.nanstd(matrix[:, j]) + 1
        change = (fitted.score(raised) - base)[known]
        assert known.any() and (change * direction >= -1e-9).all(), column
