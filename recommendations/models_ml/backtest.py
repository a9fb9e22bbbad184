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
  blend, and popularity as the baseline.

Returns {"metrics": {...}, "baseline": {"name": "popularity", "metrics": {...}}, "components": {name: {...}},
"customers": {"all": n, "new": n}, "weights": {...}, "validation": {...}, "timings": {...}}.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from recommendations.models_ml.interactions import lines_before, lines_between
from recommendations.models_ml.ranking_metrics import ranking_metrics
from recommendations.models_ml.topk import limited_threads
from recommendations.models_ml.tuning import fit_recommender, new_items_only, relevance, scored_rows

EVAL_CHUNK = 2000  # customers per chunk while scoring, to bound memory on large catalogues


def _lists(model, rows, weights, new_only, fill):
    """Top-k item indices of `rows` by `weights`, scored in chunks."""
    with limited_threads(model.threads):
        parts = [
            model.ranked(rows[s : s + EVAL_CHUNK], weights, new_only=new_only, fill=fill)[0]
            for s in range(0, len(rows), EVAL_CHUNK)
        ]
    return np.concatenate(parts) if parts else np.zeros((0, model.k), int)


def list_metrics(model, weights_all: dict, weights_new: dict, relevant_all, relevant_new, fill: bool = True) -> dict:
    """All-items metrics of the `weights_all` blend and precision_at_10_new of the `weights_new` blend (a single
    component is {name: 1} for both)."""
    n_recommendable = int(model.data.recommendable.sum())
    k = model.k
    rows = scored_rows(relevant_all)
    metrics = ranking_metrics(_lists(model, rows, weights_all, False, fill), relevant_all[rows], n_recommendable, k)
    rows = scored_rows(relevant_new)
    new = ranking_metrics(_lists(model, rows, weights_new, True, fill), relevant_new[rows], n_recommendable, k)
    metrics[f"precision_at_{k}_new"] = new[f"precision_at_{k}"]
    return metrics


def evaluate(lines: pd.DataFrame, products: pd.DataFrame, cutoff, end=None, **fit_options) -> dict:
    """Each component and the blend beside popularity, trained before `cutoff`, tested on [cutoff, end)."""
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
    components = {
        name: list_metrics(model, {name: 1.0}, {name: 1.0}, relevant_all, relevant_new, fill=False)
        for name in model.components
    }
    blend = list_metrics(model, model.weights["all"], model.weights["new"], relevant_all, relevant_new)
    return {
        "metrics": blend,
        "baseline": {"name": "popularity", "metrics": components.get("popularity")},
        "components": components,
        "customers": {"all": int(len(scored_rows(relevant_all))), "new": int(len(scored_rows(relevant_new)))},
        "weights": model.weights,
        "validation": model.tuning.get("validation"),
        "timings": {
            "fit_seconds": round(fitted - started, 2),
            "score_seconds": round(time.perf_counter() - fitted, 2),
            "components": {k: round(v, 2) for k, v in model.timings.items()},
        },
    }
