"""Per-customer features as of a date: the contract between the snapshot (SQL, insights/snapshot.py) and the
models. This module is the reference implementation in pandas, importable without Django: the SQL snapshot is
tested against it, and the model modules' tests and experiments build their inputs with it.

Input: one row per completed purchase (order), columns
    customer (int), placed_at (datetime64, UTC), amount (float, order total), products (int, distinct products
    on the order; optional, default 1)
Optional inputs: returns (customer, placed_at) for cancelled/returned orders, and interactions (customer,
occurred_at, kind, and optionally negative: whether the customer was unhappy in it, from the sentiment model or
a staff label).

Output (`snapshot`): one row per customer with at least one purchase before `as_of`, indexed by customer:
    recency_days      days from the last purchase to as_of
    frequency         number of purchases (orders) before as_of
    tenure_days       days from the first purchase to as_of
    monetary_total    sum of order totals
    monetary_avg      mean order total
    orders_90d        purchases in the 90 days before as_of (likewise orders_365d)
    spend_90d         spend in the 90 days before as_of (likewise spend_365d)
    spend_trend       spend_90d / (spend_365d / 4), 1.0 when steady; 0 when spend_365d is 0
    cadence_days      mean days between purchases (NaN with fewer than 2 purchase days)
    cadence_cv        standard deviation / mean of those gaps (NaN with fewer than 3 purchase days)
    returns           cancelled or returned orders before as_of
    interactions_90d  interactions in the 90 days before as_of (0 without interaction data)
    complaints_90d    tickets and feedback in the 90 days before as_of
    negative_90d      interactions read as negative in the 90 days before as_of (0 without sentiment data)
    days_since_contact days from the last interaction to as_of (NaN if none)
BG/NBD inputs (`rfm_for_value`), in days, from purchase days (several orders on one day are one purchase):
    x  repeat purchase days (distinct purchase days - 1)
    t_x  days from the first to the last purchase day
    T  days from the first purchase day to as_of
    monetary_value  mean order total over every purchase day, the first included (Gamma-Gamma conditions on
                    all x + 1 of them: clv.GammaGamma)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURE_COLUMNS = [
    "recency_days",
    "frequency",
    "tenure_days",
    "monetary_total",
    "monetary_avg",
    "orders_90d",
    "orders_365d",
    "spend_90d",
    "spend_365d",
    "spend_trend",
    "cadence_days",
    "cadence_cv",
    "returns",
    "interactions_90d",
    "complaints_90d",
    "negative_90d",
    "days_since_contact",
]
DAY = pd.Timedelta(days=1)


def _days(delta: pd.Series) -> pd.Series:
    return delta / DAY


def snapshot(
    purchases: pd.DataFrame,
    as_of: pd.Timestamp,
    returns: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The feature table as of `as_of`, from events strictly before it."""
    as_of = pd.Timestamp(as_of)
    before = purchases[purchases["placed_at"] < as_of]
    grouped = before.groupby("customer")
    out = pd.DataFrame(
        {
            "recency_days": _days(as_of - grouped["placed_at"].max()),
            "frequency": grouped.size().astype(float),
            "tenure_days": _days(as_of - grouped["placed_at"].min()),
            "monetary_total": grouped["amount"].sum(),
            "monetary_avg": grouped["amount"].mean(),
        }
    )
    for days in (90, 365):
        recent = before[before["placed_at"] >= as_of - pd.Timedelta(days=days)].groupby("customer")
        out[f"orders_{days}d"] = recent.size().reindex(out.index, fill_value=0).astype(float)
        out[f"spend_{days}d"] = recent["amount"].sum().reindex(out.index, fill_value=0.0)
    quarterly = out["spend_365d"] / 4
    out["spend_trend"] = np.where(quarterly > 0, out["spend_90d"] / quarterly.where(quarterly > 0, 1), 0.0)
    days = before.assign(day=before["placed_at"].dt.floor("D"))[["customer", "day"]].drop_duplicates()
    days = days.sort_values(["customer", "day"])
    gaps = _days(days.groupby("customer")["day"].diff()).dropna()
    gap_stats = gaps.groupby(days.loc[gaps.index, "customer"]).agg(["mean", "std", "count"])
    out["cadence_days"] = gap_stats["mean"].reindex(out.index)
    cv = (gap_stats["std"] / gap_stats["mean"]).where(gap_stats["count"] >= 2)
    out["cadence_cv"] = cv.reindex(out.index)
    if returns is not None and len(returns):
        counted = returns[returns["placed_at"] < as_of].groupby("customer").size()
        out["returns"] = counted.reindex(out.index, fill_value=0).astype(float)
    else:
        out["returns"] = 0.0
    if interactions is not None and len(interactions):
        past = interactions[interactions["occurred_at"] < as_of]
        recent = past[past["occurred_at"] >= as_of - pd.Timedelta(days=90)]
        out["interactions_90d"] = recent.groupby("customer").size().reindex(out.index, fill_value=0).astype(float)
        complaints = recent[recent["kind"].isin(["ticket", "feedback"])].groupby("customer").size()
        out["complaints_90d"] = complaints.reindex(out.index, fill_value=0).astype(float)
        if "negative" in recent:
            negative = recent[recent["negative"].astype(bool)].groupby("customer").size()
            out["negative_90d"] = negative.reindex(out.index, fill_value=0).astype(float)
        else:
            out["negative_90d"] = 0.0
        out["days_since_contact"] = _days(as_of - past.groupby("customer")["occurred_at"].max()).reindex(out.index)
    else:
        out["interactions_90d"] = 0.0
        out["complaints_90d"] = 0.0
        out["negative_90d"] = 0.0
        out["days_since_contact"] = np.nan
    out.index.name = "customer"
    return out[FEATURE_COLUMNS].sort_index()


def rfm_for_value(purchases: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """BG/NBD and Gamma-Gamma inputs (x, t_x, T, monetary_value) in days, from purchases before `as_of`."""
    as_of = pd.Timestamp(as_of)
    before = purchases[purchases["placed_at"] < as_of].assign(day=lambda d: d["placed_at"].dt.floor("D"))
    daily = before.groupby(["customer", "day"], as_index=False)["amount"].sum().sort_values(["customer", "day"])
    grouped = daily.groupby("customer")
    out = pd.DataFrame(
        {
            "x": grouped.size().astype(float) - 1,
            "t_x": _days(grouped["day"].max() - grouped["day"].min()),
            "T": _days(as_of.floor("D") - grouped["day"].min()),
        }
    )
    out["monetary_value"] = grouped["amount"].mean()
    out.index.name = "customer"
    return out.sort_index()


def purchases_between(purchases: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per customer: purchase days and spend in [start, end), for labels and holdout checks."""
    window = purchases[(purchases["placed_at"] >= start) & (purchases["placed_at"] < end)]
    window = window.assign(day=window["placed_at"].dt.floor("D"))
    grouped = window.groupby("customer")
    return pd.DataFrame({"purchase_days": grouped["day"].nunique().astype(float), "spend": grouped["amount"].sum()})
