"""Segments in words: a plain-language profile of each cluster, readable rules from a shallow decision tree, and
the migration matrix of customers between two runs. Pure numpy/pandas; scikit-learn is imported where used.

Inputs are the feature table of `insights.models_ml.features.snapshot` and labels per customer (a Series on the
same index), e.g. `segments.cluster(...).labels`. Amounts in the texts are written by `money`, a function of one
amount: the caller passes the pages' own formatter with the currency ("GBP 1,234.50"); without one they read as
plain numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

UNUSUAL = -1  # as in segments.py: DBSCAN's noise
NEW, GONE = "(new)", "(gone)"
DESCRIBED_COLUMNS = ["frequency", "recency_days", "monetary_avg", "monetary_total", "tenure_days"]
READABLE = {
    "frequency": "number of orders",
    "recency_days": "days since the last order",
    "monetary_avg": "average order",
    "monetary_total": "total spend",
    "tenure_days": "days since the first order",
}

# Cluster names, from (frequency band, activity); see `name_cluster`.
_NAMES = {
    ("frequent", "recent"): "Frequent regulars",
    ("frequent", "cooling"): "Frequent buyers going quiet",
    ("frequent", "lapsed"): "Lapsed regulars",
    ("repeat", "recent"): "Active repeat buyers",
    ("repeat", "cooling"): "Occasional buyers",
    ("repeat", "lapsed"): "Lapsed repeat buyers",
    ("one-off", "recent"): "New customers",
    ("one-off", "cooling"): "One-time buyers going quiet",
    ("one-off", "lapsed"): "Lapsed one-time buyers",
    ("occasional", "recent"): "Recent occasional buyers",
    ("occasional", "cooling"): "Occasional buyers going quiet",
    ("occasional", "lapsed"): "Lapsed occasional buyers",
}
# A segment is called "one-time buyers" only when nearly all its members have one order: the name is read as a
# statement about each customer in it, and a median of one order still allows 49 % with three, four or five.
NEARLY_ALL = 0.9


def percentile_in(population: pd.Series, value: float) -> float:
    """Where `value` sits in `population`, 0..1, by mid-rank: customers below plus half of those equal, so a
    median of 1 order among 60 % one-order customers sits at 0.3, not 0.6."""
    ordered = np.sort(population.to_numpy(dtype=float))
    below = np.searchsorted(ordered, value, side="left")
    up_to = np.searchsorted(ordered, value, side="right")
    return float((below + up_to) / 2 / len(ordered))


def name_cluster(median_frequency: float, percentiles: dict[str, float], one_order_share: float = 1.0) -> str:
    """A short name from rules on the cluster's medians (percentiles are positions in the whole base, 0..1).

    Frequency band: "one-off" when nearly all members (`NEARLY_ALL`; `one_order_share` is the share with a single
    order) have one order; "occasional" when the median member has one order but more than a few have several;
    "frequent" when the median order count is in the top 25 %; otherwise "repeat". Activity from days since the
    last order: "recent" in the most recent 40 %, "lapsed" in the 35 % longest gone, otherwise "cooling". These
    give the base name (table `_NAMES`, e.g. frequent + recent = "Frequent regulars"); a median average order in
    the top 25 % adds "with big orders", in the bottom 25 % "with small orders"; frequent, not lapsed and big is
    "Frequent big spenders".
    """
    if median_frequency <= 1:
        band = "one-off" if one_order_share >= NEARLY_ALL else "occasional"
    elif percentiles["frequency"] >= 0.75:
        band = "frequent"
    else:
        band = "repeat"
    recency = percentiles["recency_days"]
    activity = "recent" if recency <= 0.4 else "lapsed" if recency >= 0.65 else "cooling"
    spend = percentiles["monetary_avg"]
    if band == "frequent" and activity != "lapsed" and spend >= 0.75:
        return "Frequent big spenders"
    suffix = " with big orders" if spend >= 0.75 else " with small orders" if spend <= 0.25 else ""
    return _NAMES[(band, activity)] + suffix


def profile_clusters(
    features: pd.DataFrame, labels: pd.Series, names: dict | None = None, money: Callable[[float], str] | None = None
) -> dict:
    """A plain-language profile of each cluster, keyed by label, comparing its medians with everyone's.

    `names` ({label: name}) names the groups instead (the named RFM segments of the baseline).

    Each profile holds the name (`name_cluster`; -1 is "Unusual customers"; names that two clusters share get
    "(higher spend)"/"(lower spend)", or "#1", "#2"... by median total spend), a sentence, the size and share,
    the medians, their percentiles in the whole base, and `distinguishing`, the feature whose median is furthest
    from the middle of the base. Everything depends on the medians only, so the same data gives the same names.
    """
    labels = labels.reindex(features.index)
    everyone = features[DESCRIBED_COLUMNS]
    overall = everyone.median()
    profiles = {}
    for label in sorted(labels.dropna().unique()):
        members = everyone[labels == label]
        medians = members.median()
        pcts = {c: percentile_in(everyone[c], medians[c]) for c in DESCRIBED_COLUMNS}
        one_order = float((members["frequency"] <= 1).mean())
        if names is not None:
            name = names[label]
        else:
            name = "Unusual customers" if label == UNUSUAL else name_cluster(medians["frequency"], pcts, one_order)
        profiles[_plain(label)] = {
            "cluster": _plain(label),
            "name": name,
            "customers": len(members),
            "share": round(len(members) / len(features), 4),
            "medians": {c: round(float(medians[c]), 2) for c in DESCRIBED_COLUMNS},
            "percentiles": {c: round(p, 3) for c, p in pcts.items()},
            "one_order_share": round(one_order, 4),
            "most_orders": _plain(members["frequency"].max()),
            "distinguishing": max(DESCRIBED_COLUMNS, key=lambda c: (abs(pcts[c] - 0.5), -DESCRIBED_COLUMNS.index(c))),
        }
    _disambiguate(profiles)
    for profile in profiles.values():
        profile["text"] = _sentence(profile, overall, money or plain_amount)
    return profiles


def _disambiguate(profiles: dict) -> None:
    by_name: dict[str, list] = {}
    for label, profile in profiles.items():
        by_name.setdefault(profile["name"], []).append(label)
    for name, same in by_name.items():
        if len(same) < 2:
            continue
        same.sort(key=lambda label: (-profiles[label]["medians"]["monetary_total"], label))
        tags = ["(higher spend)", "(lower spend)"] if len(same) == 2 else [f"#{i}" for i in range(1, len(same) + 1)]
        for label, tag in zip(same, tags, strict=True):
            profiles[label]["name"] = f"{name} {tag}"


def _sentence(profile: dict, overall: pd.Series, money: Callable[[float], str]) -> str:
    med, pct = profile["medians"], profile["percentiles"]
    orders = _count(med["frequency"])
    parts = [
        f"typically {orders} order{'s' if orders != '1' else ''}"
        + _compared(pct["frequency"], _count(overall["frequency"]))
        + _more_than_one(profile),
        f"last one {med['recency_days']:,.0f} days ago"
        + _compared(pct["recency_days"], f"{overall['recency_days']:,.0f}", recency=True),
        f"average order {money(med['monetary_avg'])}" + _compared(pct["monetary_avg"], money(overall["monetary_avg"])),
        f"{money(med['monetary_total'])} spent in all"
        + _compared(pct["monetary_total"], money(overall["monetary_total"])),
        f"customer for {med['tenure_days']:,.0f} days"
        + _compared(pct["tenure_days"], f"{overall['tenure_days']:,.0f}"),
    ]
    head = f"{profile['name']}: {profile['customers']:,} customers ({profile['share']:.0%}), "
    return head + ", ".join(parts) + f". Stands out by: {READABLE[profile['distinguishing']]}."


def _more_than_one(profile: dict) -> str:
    """ ", though 40% ordered 2 to 5 times": said when the median member has one order but not nearly all do, so
    "typically 1 order" is not read as "each has one"."""
    several = 1 - profile["one_order_share"]
    if profile["medians"]["frequency"] > 1 or several <= 1 - NEARLY_ALL:
        return ""
    share = max(1, round(several * 100))
    return f", though {share}% ordered 2 to {_count(profile['most_orders'])} times"


def _compared(percentile: float, everyone: str, recency: bool = False) -> str:
    """ " (top 10%; everyone: 4)": the rank only for a median in the top or bottom quarter of the base, rounded
    up to a 5 % step; for recency few days are "most recent"."""
    if 0.25 < percentile < 0.75:
        return f" (everyone: {everyone})"
    high = percentile >= 0.75
    share = math.ceil((1 - percentile if high else percentile) * 20) * 5
    if recency:
        rank = f"among the {share}% longest gone" if high else f"among the most recent {share}%"
    else:
        rank = f"top {share}%" if high else f"bottom {share}%"
    return f" ({rank}; everyone: {everyone})"


def _count(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or float(value).is_integer() else f"{value:.1f}"


def plain_amount(value: float) -> str:
    """An amount without a currency, for callers that pass no `money`."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _plain(value):
    """numpy scalars as Python ones, so results go through json.dumps."""
    return value.item() if isinstance(value, np.generic) else value


def describe_with_tree(
    features: pd.DataFrame,
    labels: pd.Series,
    max_depth: int = 3,
    columns=DESCRIBED_COLUMNS,
    min_leaf_share: float = 0.005,
    random_state: int = 0,
    money: Callable[[float], str] | None = None,
) -> dict:
    """Readable rules for each segment from a shallow decision tree on unscaled features.

    The tree (depth <= max_depth, leaves of at least `min_leaf_share` of the customers so no rule speaks for a
    handful) learns the labels from days, orders and money as they are; each leaf's path becomes a rule such as
    "last order more than 120 days ago and fewer than 3 orders", and each segment gets the rules of the leaves
    that predict it, biggest first. `accuracy` is the share of customers the rules put in their own segment on
    this same data: it measures how faithful the description is, not a prediction. Per segment, `recall` is the
    share of its customers its rules cover and each rule's `precision` the share of that leaf in the segment. A
    segment no leaf predicts has no rules (too small or too mixed to describe in a few conditions).
    """
    from sklearn.tree import DecisionTreeClassifier

    labels = labels.reindex(features.index).dropna()  # customers without a segment say nothing about one
    matrix = features.loc[labels.index, list(columns)].to_numpy(dtype=float)
    truth = labels.to_numpy()
    tree = DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=max(1, int(min_leaf_share * len(matrix))), random_state=random_state
    ).fit(matrix, truth)
    predicted = tree.predict(matrix)
    leaves = tree.apply(matrix)
    segments = {}
    for label in sorted(pd.unique(truth)):
        mine = truth == label
        segments[_plain(label)] = {
            "customers": int(mine.sum()),
            "recall": _share(predicted[mine] == label),
            "rules": [],
        }
    for leaf, conditions in _leaf_paths(tree.tree_, list(columns)).items():
        inside = leaves == leaf
        label = _plain(predicted[inside][0]) if inside.any() else None
        if label is None:
            continue
        segments[label]["rules"].append(
            {
                "text": _rule_text(conditions, money or plain_amount),
                "customers": int(inside.sum()),
                "precision": _share(truth[inside] == predicted[inside]),
            }
        )
    for segment in segments.values():
        segment["rules"].sort(key=lambda rule: (-rule["customers"], rule["text"]))
        segment["text"] = "; or ".join(rule["text"] for rule in segment["rules"]) or "no simple rule"
    return {
        "accuracy": _share(predicted == truth),
        "max_depth": int(tree.get_depth()),
        "columns": list(columns),
        "segments": segments,
    }


def _share(mask: np.ndarray) -> float:
    return round(float(np.mean(mask)), 4) if len(mask) else 0.0


def _leaf_paths(tree, columns: list[str]) -> dict[int, dict[str, list]]:
    """Each leaf's conditions, folded per feature into its tightest bounds: {column: [lower, upper]}, where the
    rule is lower < value <= upper (None for an open side), as sklearn splits on value <= threshold."""
    paths = {}
    stack = [(0, {})]
    while stack:
        node, bounds = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == right:  # a leaf
            paths[node] = bounds
            continue
        column, threshold = columns[tree.feature[node]], float(tree.threshold[node])
        lower, upper = bounds.get(column, [None, None])
        stack.append((right, {**bounds, column: [threshold if lower is None else max(lower, threshold), upper]}))
        stack.append((left, {**bounds, column: [lower, threshold if upper is None else min(upper, threshold)]}))
    return paths


def _rule_text(conditions: dict[str, list], money: Callable[[float], str]) -> str:
    # Recency first: "last order more than 120 days ago and fewer than 3 orders" is how people say it.
    order = ["recency_days", "frequency", "monetary_avg", "monetary_total", "tenure_days"]
    ordered = [c for c in order if c in conditions] + sorted(set(conditions) - set(order))
    return " and ".join(_condition_text(c, *conditions[c], money) for c in ordered) or "everyone"


def _condition_text(column: str, lower: float | None, upper: float | None, money: Callable[[float], str]) -> str:
    """One feature's bounds in words; counts are whole numbers, so orders <= 2.5 reads "fewer than 3 orders"."""
    if column == "frequency":
        low = None if lower is None else math.floor(lower) + 1
        high = None if upper is None else math.floor(upper)
        if low is None:
            return "a single order" if high <= 1 else f"fewer than {high + 1} orders"
        if high is None:
            return f"{low} or more orders"
        return f"exactly {low} order{'s' if low != 1 else ''}" if low == high else f"{low} to {high} orders"
    if column in ("recency_days", "tenure_days"):
        which = "last" if column == "recency_days" else "first"
        if lower is None:
            return f"{which} order within the last {upper:,.0f} days"
        if upper is None:
            return f"{which} order more than {lower:,.0f} days ago"
        return f"{which} order {lower:,.0f} to {upper:,.0f} days ago"
    what = READABLE.get(column, column)
    if lower is None:
        return f"{what} at most {money(upper)}"
    if upper is None:
        return f"{what} above {money(lower)}"
    return f"{what} between {money(lower)} and {money(upper)}"


def migration_matrix(previous: pd.Series, current: pd.Series) -> dict:
    """Customers moving between the segments of two runs, JSON-able.

    `previous` and `current` map customer -> segment (missing or NaN: not segmented in that run). Rows are the
    previous segments plus "(new)" for customers only in the current run; columns are the current segments plus
    "(gone)" for customers only in the previous one. `counts[i][j]` is the number of customers from row i to
    column j and `shares[i][j]` that count over the row's total (each row sums to 1; an empty row is all 0).
    """
    previous, current = previous.dropna(), current.dropna()
    customers = previous.index.union(current.index)
    before = previous.reindex(customers).astype(object).where(lambda s: s.notna(), NEW)
    after = current.reindex(customers).astype(object).where(lambda s: s.notna(), GONE)
    rows = _ordered(previous.unique()) + [NEW]
    columns = _ordered(current.unique()) + [GONE]
    table = pd.crosstab(before, after).reindex(index=rows, columns=columns, fill_value=0)
    totals = table.sum(axis=1).replace(0, 1)
    shares = table.div(totals, axis=0).round(4)
    stayed = int(sum(table.at[s, s] for s in rows if s in table.columns and s not in (NEW, GONE)))
    return {
        "rows": [_plain(r) for r in rows],
        "columns": [_plain(c) for c in columns],
        "counts": table.to_numpy().astype(int).tolist(),
        "shares": shares.to_numpy().tolist(),
        "stayed": stayed,
        "moved": int(len(previous.index.intersection(current.index)) - stayed),
        "new": int(len(current.index.difference(previous.index))),
        "gone": int(len(previous.index.difference(current.index))),
    }


def _ordered(values) -> list:
    """Segments in a stable order: numbers ascending, then names alphabetically."""
    plain = [_plain(v) for v in values]
    return sorted(plain, key=lambda v: (1, 0, v) if isinstance(v, str) else (0, v, ""))
