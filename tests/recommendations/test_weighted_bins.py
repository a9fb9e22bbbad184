"""Weighted binning in front of the demand model's booster (recommendations/models_ml/weighted_bins.py): the
thresholds are the weighted quantiles, the booster fitted on bin numbers predicts as one fitted on the values, and
above the booster's own subsample it is left to bin as it does."""

import numpy as np
import pytest

from recommendations.models_ml import weighted_bins
from recommendations.models_ml.weighted_bins import Binned, thresholds


def test_thresholds_are_the_weighted_quantiles_or_the_midpoints_of_few_values():
    values = np.arange(1.0, 11.0)
    weights = np.ones(10)
    weights[-1] = 10.0  # 10 weighs as much as all the others: half the weight sits on it
    edges = thresholds(values, weights, max_bins=4)
    # Weighted quantiles at 1/4, 2/4, 3/4 of 19: the values where the cumulative weight reaches 4.75, 9.5, 14.25.
    assert edges.tolist() == [5.0, 10.0]  # 9.5 and 14.25 both fall on 10: one threshold
    assert thresholds(np.array([1.0, 1.0, 3.0, np.nan]), np.ones(4), max_bins=4).tolist() == [2.0]
    assert thresholds(np.array([2.0, np.nan]), np.ones(2), max_bins=4).tolist() == []


def test_a_booster_on_bin_numbers_predicts_as_one_on_the_values():
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(0)
    x = rng.normal(size=(5000, 3))
    x[rng.random(5000) < 0.05, 1] = np.nan
    y = rng.poisson(np.exp(0.5 * x[:, 0] - 0.3 * np.nan_to_num(x[:, 1])))
    w = rng.uniform(0.5, 2.0, 5000)

    def booster():
        return HistGradientBoostingRegressor(loss="poisson", max_iter=30, early_stopping=False, random_state=0)

    binned = Binned(booster()).fit(x, y, sample_weight=w)
    plain = booster().fit(x, y, sample_weight=w)
    assert binned.edges is not None and all(len(edges) <= 254 for edges in binned.edges)
    test = rng.normal(size=(1000, 3))
    assert np.corrcoef(binned.predict(test), plain.predict(test))[0, 1] > 0.99


def test_above_the_boosters_subsample_the_features_go_in_as_they_are(monkeypatch):
    from sklearn.ensemble import HistGradientBoostingRegressor

    monkeypatch.setattr(weighted_bins, "SUBSAMPLE", 100)
    x, y = np.arange(400.0).reshape(200, 2), np.arange(200.0)
    model = Binned(HistGradientBoostingRegressor(max_iter=5)).fit(x, y, sample_weight=np.ones(200))
    assert model.edges is None and model.transform(x) is x
    assert model.predict(x) == pytest.approx(model.model.predict(x))
