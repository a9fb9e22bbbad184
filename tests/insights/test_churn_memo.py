"""A churn run's backtest and final fit share their labelled windows (churn_labels.labelled_snapshot's memo): the
shared answers must be the ones each call would have computed on its own."""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.models_ml import churn, churn_labels
from insights.models_ml.churn_simulate import simulate

AS_OF = pd.Timestamp("2023-09-01", tz="UTC")
FINAL = ["gradient_boosting"]


def test_the_final_fit_reuses_the_backtests_windows_and_matches_a_fit_without_them(monkeypatch):
    planted = simulate(2500, seed=3)
    purchases, interactions = planted["purchases"], planted["interactions"]
    cutoff = AS_OF - pd.Timedelta(days=90)
    computed = []
    real = churn_labels.snapshot
    monkeypatch.setattr(churn_labels, "snapshot", lambda *a, **k: computed.append(a[1]) or real(*a, **k))

    memo: dict = {}
    churn.backtest(purchases, cutoff, 90, interactions=interactions, candidates=FINAL, memo=memo)
    before = len(computed)
    shared = churn.fit(purchases, AS_OF, 90, interactions=interactions, candidates=FINAL, memo=memo)
    with_memo = len(computed) - before
    before = len(computed)
    alone = churn.fit(purchases, AS_OF, 90, interactions=interactions, candidates=FINAL)
    without = len(computed) - before

    # The final fit's training window [T - 180 d, T - 90 d) was the backtest's validation window, and its
    # validation window [T - 90 d, T) the backtest's holdout: neither is computed again.
    assert (cutoff, 90) in memo and (cutoff - pd.Timedelta(days=90), 90) in memo
    assert with_memo <= without - 2
    features = churn_labels.labelled_snapshot(purchases, cutoff, 90, None, interactions)[0]
    np.testing.assert_array_equal(shared.predict_proba(features), alone.predict_proba(features))
    assert (shared.threshold, shared.calibration_window, shared.season) == (
        alone.threshold,
        alone.calibration_window,
        alone.season,
    )
