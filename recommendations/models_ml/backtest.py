"""Backtest of the recommenders: fit before a cutoff, score the lists against what customers bought next.

`evaluate(lines, products, cutoff, end)`:
- train on the lines before `cutoff` (the blend's weights are chosen inside that period, see tuning.py), test on
  the lines in [cutoff, end);
- the catalogue is the products sold before the cutoff (the data says nothing of when a product was created, and a
  product first sold in the test period could not have been recommended then);
- all-items metrics (precision_at_10, recall_at_10, ndcg_at_10, coverage) over the customers with a purchase
  before the cutoff whose test purchases include an item the training data knows, with those known items as
  the relevant set;
- precision_at_10_new: the try_next list against the known items the customer bought in the test period and had
  never bought before the cutoff, over the customers with at least one such item;
- every component ranked on its own (its normalised score, same business rules, no popularity fill-in) beside the
  blend, and popularity as the baseline;
- at most `max_customers` customers per list are scored (a seeded sample, the same one for every component, so the
  comparison is paired): beyond a few thousand the means move less than their interval, and scoring every
  customer's list against a large catalogue for each component was most of a large run. Coverage is of the
  sample's lists, so it reads the same whatever the shop's size. Each metric of the blend and of the baseline gets
  its 95 % interval, and so does the blend's lead over the baseline on precision@10 (paired by customer).

Returns {"metrics": {...}, "baseline": {"name": "popularity", "metrics": {...}}, "components": {name: {...}},
"customers": {"all": n, "new": n} (scored), "eligible": {"all": n, "new": n}, "intervals": {"model": {metric:
[low, high]}, "baseline": {...}, "lead_precision_at_10": [low, high]}, "weights": {...}, "validation": {...},
"timings": {...}}.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from recommendations.models_ml.hybrid import block_rows
from recommendations.models_ml.interactions import lines_before, lines_between
from recommendations.models_ml.ranking_metrics import interval, per_customer, ranking_metrics
from recommendations.models_ml.topk import limited_threads
from recommendations.models_ml.tuning import fit_recommender, new_items_only, relevance, scored_rows

MAX_CUSTOMERS = 5000  # customers scored per list (a seeded sample beyond): interval of precision@10 about +-0.004


def _lists(model, rows, rankings: list[tuple[dict, bool]], new_only: bool) -> list[np.ndarray]:
    """Top-k item indices of `rows` for each (weights, fill) of `rankings`, block by block: a block's signals are
    computed once for every ranking (the blend and each component alone rank the same customers)."""
    step = block_rows(model.data.n_items)  # customers per block, to bound memory
    parts: list[list] = [[] for _ in rankings]
    with limited_threads(model.threads):
        for start in range(0, len(rows), step):
            block = rows[start : start + step]
            signals = model.signals(block)
            for part, (weights, fill) in zip(parts, rankings, strict=True):
                part.append(model.ranked(block, weights, new_only=new_only, fill=fill, signals=signals)[0])
    return [np.concatenate(part) if part else np.zeros((0, model.k), int) for part in parts]


def list_metrics(
    model, rankings: list[tuple[dict, dict, bool]], relevant_all, relevant_new, rows=None
) -> list[tuple[dict, dict]]:
    """For each (weights_all, weights_new, fill) of `rankings` (a single component is {name: 1} for both): the
    all-items metrics of the `weights_all` blend and precision_at_10_new of the `weights_new` blend, over `rows`
    ({"all": rows, "new": rows}; every customer with a relevant item when None), and the per-customer values they
    average."""
    n_recommendable = int(model.data.recommendable.sum())
    k = model.k
    rows = rows or {"all": scored_rows(relevant_all), "new": scored_rows(relevant_new)}
    tops_all = _lists(model, rows["all"], [(weights, fill) for weights, _, fill in rankings], False)
    tops_new = _lists(model, rows["new"], [(weights, fill) for _, weights, fill in rankings], True)
    out = []
    for top_all, top_new in zip(tops_all, tops_new, strict=True):
        metrics = ranking_metrics(top_all, relevant_all[rows["all"]], n_recommendable, k)
        values = per_customer(top_all, relevant_all[rows["all"]], k)
        new = per_customer(top_new, relevant_new[rows["new"]], k)[f"precision_at_{k}"]
        metrics[f"precision_at_{k}_new"] = float(new.mean()) if len(new) else 0.0
        out.append((metrics, {**values, f"precision_at_{k}_new": new}))
    return out


def sample_rows(relevant, max_customers: int, seed: int = 0) -> np.ndarray:
    """The rows with a relevant item, or a seeded sample of `max_customers` of them, in row order."""
    rows = scored_rows(relevant)
    if len(rows) <= max_customers:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, max_customers, replace=False))


def evaluate(
    lines: pd.DataFrame, products: pd.DataFrame, cutoff, end=None, max_customers: int = MAX_CUSTOMERS, **fit_options
) -> dict:
    """Each component and the blend beside popularity, trained before `cutoff`, tested on [cutoff, end), on at most
    `max_customers` customers per list (the module doc)."""
    cutoff = pd.Timestamp(cutoff)
    cutoff = cutoff.tz_localize("UTC") if cutoff.tzinfo is None else cutoff
    end = pd.Timestamp(end) if end is not None else pd.Timestamp.max.tz_localize("UTC")
    train = lines_before(lines, cutoff)
    catalogue = products[products["product"].isin(train["product"].unique())]
    started = time.perf_counter()
    model = fit_recommender(train, catalogue, cutoff, **fit_options)
    fitted = time.perf_counter()
    relevant_all = relevance(model.data, lines_between(lines, cutoff, end))
    relevant_new = new_items_only(model.data, relevant_all)
    rows = {"all": sample_rows(relevant_all, max_customers), "new": sample_rows(relevant_new, max_customers)}
    rankings = [({name: 1.0}, {name: 1.0}, False) for name in model.components]
    rankings.append((model.weights["all"], model.weights["new"], True))
    *alone, (blend, values) = list_metrics(model, rankings, relevant_all, relevant_new, rows)
    scored = dict(zip(model.components, alone, strict=True))
    components = {name: metrics for name, (metrics, _) in scored.items()}
    baseline = scored.get("popularity", (None, {}))[1]
    key = f"precision_at_{model.k}"
    return {
        "metrics": blend,
        "baseline": {"name": "popularity", "metrics": components.get("popularity")},
        "components": components,
        "customers": {"all": int(len(rows["all"])), "new": int(len(rows["new"]))},
        "eligible": {"all": int(len(scored_rows(relevant_all))), "new": int(len(scored_rows(relevant_new)))},
        "intervals": {
            "model": {name: interval(v) for name, v in values.items()},
            "baseline": {name: interval(v) for name, v in baseline.items()},
            f"lead_{key}": interval(values[key] - baseline[key]) if key in baseline else None,
        },
        "weights": model.weights,
        "validation": model.tuning.get("validation"),
        "timings": {
            "fit_seconds": round(fitted - started, 2),
            "score_seconds": round(time.perf_counter() - fitted, 2),
            "components": {k: round(v, 2) for k, v in model.timings.items()},
        },
    }
