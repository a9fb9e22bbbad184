"""How a churn customer's factors are worded: a factor whose words read as a risk sign is never given as lowering
the risk, nor one whose words reassure as raising it, and a usual gap is always said with the silence it is a gap
against. Hand-made models (no fitting), so each case is planted exactly."""

import numpy as np
import pandas as pd
import pytest

from insights.models_ml.features import FEATURE_COLUMNS


class LinearModel:
    """A hand-made churn model: probability = 0.5 + weights . (value - reference), clipped to 0..1. Here a longer
    silence and less spend *lower* the risk against a typical customer, as a fitted model can find for customers
    whose risk is high anyway; more contact lowers it too."""

    reference = dict.fromkeys(FEATURE_COLUMNS, 0.0) | {"recency_days": 40.0, "cadence_days": 40.0, "spend_365d": 500.0}
    weights = {"recency_days": -0.001, "spend_365d": 0.0001, "interactions_90d": -0.01}

    def proba_matrix(self, matrix):
        score = 0.5 + sum(
            w * (matrix[:, FEATURE_COLUMNS.index(c)] - self.reference[c]) for c, w in self.weights.items()
        )
        return np.clip(score, 0, 1)


def test_a_factor_that_reads_as_a_risk_sign_is_never_given_as_lowering_the_risk():
    from insights.models_ml import churn_explain

    row = LinearModel.reference | {"recency_days": 124.0, "spend_365d": 0.0, "interactions_90d": 5.0}
    features = pd.DataFrame([row], index=pd.Index([7], name="customer"))[FEATURE_COLUMNS]
    effects = dict(zip(FEATURE_COLUMNS, churn_explain.effects(LinearModel(), features)[0], strict=True))
    assert effects["recency_days"] < 0 and effects["spend_365d"] < 0  # the model says both lower the risk...
    factors = churn_explain.explain(LinearModel(), features)[7]
    # ...but "no order for 124 days, 3.1× their usual gap of 40 days" and "0 spent in the last year" read as risks.
    assert [f["text"] for f in factors] == ["5 interactions in the last 90 days"]
    assert factors[0]["effect"] == pytest.approx(-0.05)


class CadenceModel(LinearModel):
    """A short usual gap raises the risk more than the silence itself does."""

    weights = {"cadence_days": -0.01, "recency_days": 0.001}


def test_a_silence_within_the_usual_gap_is_never_given_as_raising_the_risk():
    # Found in review: "last order 3 days ago, within their usual 7-day gap" under "Raising the risk".
    from insights.models_ml import churn_explain

    row = LinearModel.reference | {"recency_days": 3.0, "cadence_days": 7.0, "interactions_90d": 5.0}
    features = pd.DataFrame([row], index=pd.Index([7], name="customer"))[FEATURE_COLUMNS]
    effects = dict(zip(FEATURE_COLUMNS, churn_explain.effects(CadenceModel(), features)[0], strict=True))
    assert effects["cadence_days"] > 0  # the model says the short gap raises the risk...
    factors = churn_explain.explain(CadenceModel(), features)[7]
    # ...but its words say the customer is on time: not a reason a rep can give for the risk.
    assert not [f for f in factors if "within their usual" in f["text"] and f["effect"] > 0]


def test_a_usual_gap_is_never_given_without_the_silence_it_is_a_gap_against():
    # Seen: "usually orders every 47 days" raising a risk, the 231 days without an order not beside it.
    from insights.models_ml import churn_explain

    row = LinearModel.reference | {"recency_days": 120.0, "cadence_days": 20.0}
    features = pd.DataFrame([row], index=pd.Index([7], name="customer"))[FEATURE_COLUMNS]
    text = "no order for 120 days, 6.0× their usual gap of 20 days"
    assert churn_explain.describe("cadence_days", row) == churn_explain.describe("recency_days", row) == text
    factors = churn_explain.explain(CadenceModel(), features)[7]
    assert [(f["feature"], f["text"]) for f in factors] == [("cadence_days", text)]  # said once, at its strongest
    assert factors[0]["recency_days"] == 120.0  # so the pages count the silence on to today


def test_a_stored_silence_within_the_usual_gap_is_not_listed_as_raising_the_risk():
    from insights.scores import raising_factors

    on_time = {"feature": "cadence_days", "value": 7, "effect": 0.2, "text": "last order 3 days ago, within their "
               "usual 7-day gap", "recency_days": 3}  # fmt: skip
    complaint = {"feature": "complaints_90d", "value": 1, "effect": 0.1, "text": "1 complaint in the last 90 days"}
    assert raising_factors([on_time, complaint]) == [complaint]


@pytest.mark.parametrize(
    ("feature", "value", "text"),
    [
        ("cadence_cv", 0.3, "orders at regular intervals"),
        ("cadence_cv", 0.7, "orders at fairly regular intervals"),
        ("spend_trend", 1.4, "spend in the last 90 days is up 40% on their yearly pace"),
        ("returns", 0.0, "no cancelled or returned orders"),
        ("complaints_90d", 0.0, "no complaints in the last 90 days"),
    ],
)
def test_words_that_reassure_are_never_given_as_raising_the_risk(feature, value, text):
    # Seen on the quick start's worklist: "8 orders, about every 88 days, last 137 days ago; orders at regular
    # intervals; 37% chance of no order", regular ordering given as why the customer is at risk.
    from insights.scores import raising_factors

    factor = {"feature": feature, "value": value, "effect": 0.05, "text": text}
    assert raising_factors([factor]) == []


@pytest.mark.parametrize(
    ("feature", "value", "text"),
    [
        ("cadence_cv", 1.4, "orders at irregular intervals"),
        ("spend_trend", 0.5, "spend in the last 90 days is down 50% on their yearly pace"),
        ("returns", 2.0, "2 cancelled or returned orders"),
        ("tenure_days", 700.0, "a customer for 23 months"),
    ],
)
def test_words_that_do_not_reassure_may_raise_the_risk(feature, value, text):
    from insights.scores import raising_factors

    factor = {"feature": feature, "value": value, "effect": 0.05, "text": text}
    assert raising_factors([factor]) == [factor]


def test_a_true_reason_is_not_hidden_behind_three_reassuring_words(monkeypatch):
    """Found in review: the three strongest raising effects were on words that reassure (left out since 1976c81),
    the fourth, the customer's silence at twice their usual gap, was cut before it could take their place."""
    from insights.models_ml import churn_explain

    row = dict.fromkeys(FEATURE_COLUMNS, 1.0) | {
        "recency_days": 60.0,
        "cadence_days": 30.0,
        "cadence_cv": 0.3,
        "complaints_90d": 0.0,
        "returns": 0.0,
        "negative_90d": 0.0,
        "spend_365d": 100.0,
        "spend_trend": 1.0,
        "days_since_contact": 5.0,
    }
    features = pd.DataFrame([row], index=[7], columns=FEATURE_COLUMNS)
    effect = np.zeros((1, len(FEATURE_COLUMNS)))
    for column, value in {"cadence_cv": 0.30, "complaints_90d": 0.20, "returns": 0.10, "recency_days": 0.08}.items():
        effect[0, FEATURE_COLUMNS.index(column)] = value
    monkeypatch.setattr(churn_explain, "effects", lambda *args, **kwargs: effect)
    factors = churn_explain.explain(None, features)[7]
    assert [f["feature"] for f in factors if f["effect"] > 0] == ["recency_days"]
