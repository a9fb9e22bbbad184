"""The backtest's sentiment check: the model's ROC-AUC as it is beside the same model told no customer had an
unhappy contact, predicting again only the customers whose count changes. A hand-made model counts the rows."""

import numpy as np
import pandas as pd

from insights.models_ml import churn
from insights.models_ml.metrics import classification_metrics


class CountingModel:
    """A hand-made model whose risk rises with recency and unhappy contacts (NaN reads as two); it counts the rows
    it is asked to predict."""

    threshold = 0.5

    def __init__(self):
        self.rows = 0

    def predict_proba(self, features: pd.DataFrame) -> pd.Series:
        self.rows += len(features)
        unhappy = np.nan_to_num(features["negative_90d"].to_numpy(dtype=float), nan=2.0)
        score = features["recency_days"].to_numpy(dtype=float) / 50 + unhappy - 2
        return pd.Series(1 / (1 + np.exp(-score)), index=features.index)


def test_the_sentiment_check_predicts_again_only_the_unhappy_and_gets_everyones_answer():
    rng = np.random.default_rng(3)
    n = 400
    features = pd.DataFrame(
        {"recency_days": rng.uniform(0, 200, n), "negative_90d": np.resize([0.0, 0.0, 1.0, np.nan, 3.0], n)},
        index=pd.Index(range(1000, 1000 + n), name="customer"),
    )
    y = (rng.uniform(size=n) < 0.5).astype(int)
    model = CountingModel()
    proba = model.predict_proba(features).to_numpy()
    auc = classification_metrics(y, proba, model.threshold)["roc_auc"]
    everyone = model.predict_proba(features.assign(negative_90d=0.0)).to_numpy()
    expected = classification_metrics(y, everyone, model.threshold)["roc_auc"]
    model.rows = 0
    check = churn.sentiment_check(model, features, y, auc, proba)
    assert check["roc_auc_without"] == expected != auc
    assert model.rows == 3 * n // 5  # the customers with an unhappy contact or no record of any
    assert check == churn.sentiment_check(model, features, y, auc)
    assert check["customers_with_negative"] == 2 * n // 5
