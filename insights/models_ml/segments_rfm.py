"""RFM scores and the usual named RFM segments. Pure numpy/pandas, vectorised.

Input: the per-customer feature table of `insights.models_ml.features.snapshot` (recency_days, frequency,
monetary_total). `segments.py` re-exports these functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# The standard RFM segment map on the R and F scores (rows R1..R5, columns F1..F5). M is reported beside the
# segment but does not change it, as in the usual map. "Lost" is the R1-F1 corner of "Hibernating".
#
#   R \ F   1                2                    3                    4          5
#   1       Lost             Hibernating          At risk              At risk    Can't lose them
#   2       Hibernating      Hibernating          At risk              At risk    Can't lose them
#   3       About to sleep   About to sleep       Need attention       Loyal      Loyal
#   4       Promising        Potential loyalists  Potential loyalists  Loyal      Loyal
#   5       New customers    Potential loyalists  Potential loyalists  Champions  Champions
_RF_MAP = np.array(
    [
        ["Lost", "Hibernating", "At risk", "At risk", "Can't lose them"],
        ["Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"],
        ["About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"],
        ["Promising", "Potential loyalists", "Potential loyalists", "Loyal", "Loyal"],
        ["New customers", "Potential loyalists", "Potential loyalists", "Champions", "Champions"],
    ],
    dtype=object,
)
RFM_SEGMENTS = list(dict.fromkeys(_RF_MAP.ravel()))


def quintile_scores(values, higher_is_better: bool = True, bins: int = 5) -> np.ndarray:
    """Scores 1..bins by rank-based quantiles, where equal values always get equal scores.

    Each customer is placed by the rank of the first member of its tie group (`rank(method="min")`): with n
    customers, rank i (1-based) scores floor((i - 1) * bins / n) + 1. Without ties these are exact quintiles
    (20 % per score). With heavy ties a tie group is never split (pd.qcut would fail on duplicate edges, and
    ranking with method="first" would give identical customers different scores) and takes the score of the
    quintile it starts in, so the smallest value always scores 1: with 60 % one-order customers they all get
    F = 1, and two orders (ahead of 60 % of the base) get F = 4; scores 2 and 3 are then simply unused.
    NaN counts as the worst value.
    """
    series = pd.Series(np.asarray(values, dtype=float))
    if not len(series):
        return np.zeros(0, dtype=np.int8)
    oriented = series if higher_is_better else -series
    start = oriented.fillna(-np.inf).rank(method="min").to_numpy()
    return (np.floor((start - 1) * bins / len(series)).astype(int) + 1).clip(1, bins).astype(np.int8)


def rfm_segment(r, f, m=None):
    """The named RFM segment for R and F scores (1..5), vectorised; the map is in this module's `_RF_MAP`.

    Accepts scalars, arrays or Series (a Series keeps its index). `m` is accepted for symmetry and ignored: the
    standard map is on R and F only.
    """
    r_arr, f_arr = np.asarray(r, dtype=int), np.asarray(f, dtype=int)
    if ((r_arr < 1) | (r_arr > 5) | (f_arr < 1) | (f_arr > 5)).any():
        raise ValueError("RFM scores must be between 1 and 5")
    names = _RF_MAP[r_arr - 1, f_arr - 1]
    if isinstance(r, pd.Series):
        return pd.Series(names, index=r.index, name="segment", dtype=object)
    return names


def rfm_scores(features: pd.DataFrame) -> pd.DataFrame:
    """R, F and M quintile scores (1..5, 5 is best) and the named segment, per customer (same index).

    R ranks recency_days (fewer days since the last order is better), F frequency (orders), M monetary_total
    (spend over the customer's life). Ties: see `quintile_scores`.
    """
    out = pd.DataFrame(
        {
            "r": quintile_scores(features["recency_days"], higher_is_better=False),
            "f": quintile_scores(features["frequency"]),
            "m": quintile_scores(features["monetary_total"]),
        },
        index=features.index,
    )
    out["segment"] = rfm_segment(out["r"], out["f"])
    return out
