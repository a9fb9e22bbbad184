"""Fitting the hybrid: blend weights chosen on a validation split carved from the training period itself.

`fit_recommender(lines, products, as_of)` receives only lines before `as_of` (anything later is refused), so no
caller can hand it the period it will be judged on:
1. validation: the components are fitted on lines before as_of - validation_days, and each list's weights are
   searched to maximise precision@10 on what the customers bought in the last validation_days;
2. final: the components are refitted on every line before as_of and keep those weights.

The search is coordinate ascent over a small grid: one anchor signal keeps weight 1 (a blend's ranking does not
change when every weight is scaled), every other signal tries each grid value in turn and keeps the best, for a
few rounds or until nothing improves. Ties keep the current weight, then NDCG@10 breaks them. Each try updates the
blend by one scaled addition, so a try costs one top-k over the validation customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommendations.models_ml.hybrid import DEFAULT_WEIGHTS, Recommender, default_components
from recommendations.models_ml.interactions import DAY, Dataset, build_dataset, lines_before, lines_between
from recommendations.models_ml.topk import limited_threads, top_k

GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
ANCHORS = {"all": ("buy_again", "als", "item_item"), "new": ("als", "item_item", "content")}
MIN_VALIDATION_CUSTOMERS = 30  # below this the search would chase noise: keep the default weights


def relevance(data: Dataset, target_lines: pd.DataFrame) -> sp.csr_matrix:
    """Binary customers x items matrix of what each customer bought in `target_lines`, restricted to customers
    and items `data` knows from its own lines (an item nobody bought before cannot be judged)."""
    rows = data.customer_index(target_lines["customer"].to_numpy())
    cols = data.item_index(target_lines["product"].to_numpy())
    sold = np.diff(data.days.tocsc().indptr) > 0
    ok = (rows >= 0) & (cols >= 0)
    ok[ok] &= sold[cols[ok]]
    matrix = sp.csr_matrix(
        (np.ones(int(ok.sum()), np.float32), (rows[ok], cols[ok])), shape=(data.n_customers, data.n_items)
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def new_items_only(data: Dataset, relevant: sp.csr_matrix) -> sp.csr_matrix:
    """The relevant items the customer had never bought before the cutoff."""
    bought = data.days.copy()
    bought.data[:] = 1.0
    new = (relevant - relevant.multiply(bought)).tocsr()
    new.eliminate_zeros()
    return new


def scored_rows(relevant: sp.csr_matrix) -> np.ndarray:
    """Rows with at least one relevant item: the customers an evaluation counts."""
    return np.flatnonzero(np.diff(relevant.indptr) > 0)


def _candidates(signals: dict, n_rows: int, n_items: int, depth: int) -> np.ndarray:
    """Per row, the union of every signal's `depth` best items, as column indices padded with -1 (rows x width)."""
    chosen = np.zeros((n_rows, n_items), bool)
    for value in signals.values():
        if value.ndim == 1:
            chosen[:, np.argpartition(value, -depth)[-depth:] if depth < n_items else slice(None)] = True
        elif depth < n_items:
            top, _ = top_k(value, depth)  # a sparse signal made dense is mostly ties at 0: see top_k
            rows, slots = np.nonzero(top >= 0)
            chosen[rows, top[rows, slots]] = True
        else:
            chosen[:] = True
    width = int(chosen.sum(axis=1).max())
    columns = np.argsort(~chosen, axis=1, kind="stable")[:, :width]
    return np.where(np.take_along_axis(chosen, columns, axis=1), columns, -1)


def _signal_columns(model: Recommender, rows: np.ndarray, depth: int):
    """Every signal of the rows as a dense (rows x candidates) array, and the candidate columns."""
    signals = model.signals(rows)
    dense = {n: v.toarray() if sp.issparse(v) else v for n, v in signals.items()}
    columns = _candidates(dense, len(rows), model.data.n_items, depth)
    safe = np.maximum(columns, 0)
    out = {}
    for name, value in dense.items():
        out[name] = value[safe] if value.ndim == 1 else np.take_along_axis(value, safe, axis=1)
    return out, columns


def search_weights(
    model: Recommender, rows: np.ndarray, relevant: sp.csr_matrix, new_only: bool, rounds: int = 3, depth: int = 100
):
    """Weights maximising precision@10 of one list for dataset `rows` against `relevant` (rows x items).

    Each try ranks only the union of every signal's `depth` best items per customer (with 9 signals, a few
    hundred of the thousands of items): a blend's top 10 rarely holds an item beyond 100th in every signal, and
    it makes a try several times cheaper. On Online Retail's validation month the weights came out the same as
    ranking every item (with depth 50 the "new" search took another path, 0.0002 lower). The lists themselves
    rank every item."""
    signals, columns = _signal_columns(model, rows, depth)
    names = list(signals)
    anchor = next(a for a in ANCHORS["new" if new_only else "all"] + tuple(names) if a in signals)
    # The fixed part of every blend: the business rules (-inf), the popularity whisper, -inf on the padding.
    rules = model.apply_rules(np.tile(model.rule_vector(), (len(rows), 1)), rows, new_only)
    mask = np.where(columns >= 0, np.take_along_axis(rules, np.maximum(columns, 0), axis=1), -np.inf)
    hits = np.take_along_axis(relevant.toarray() > 0, np.maximum(columns, 0), axis=1) & (columns >= 0)
    k = model.k
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.r_[0.0, np.cumsum(discount)][np.minimum(np.diff(relevant.indptr), k)]

    def quality(total):
        """(precision@k, NDCG@k) of a blend over the candidates."""
        ranked, values = top_k(total + mask, k)
        hit = np.take_along_axis(hits, np.maximum(ranked, 0), axis=1) & (ranked >= 0)
        ndcg = np.divide(hit @ discount, ideal, out=np.zeros(len(rows)), where=ideal > 0)
        return float(hit.sum() / (k * len(rows))), float(ndcg.mean())

    weights = dict.fromkeys(names, 0.0)
    weights[anchor] = 1.0
    total = signals[anchor].astype(np.float32, copy=True)
    best = quality(total)
    for _ in range(rounds):
        improved = False
        for name in names:
            if name == anchor:
                continue
            for value in GRID:
                if value == weights[name]:
                    continue
                trial = total + (value - weights[name]) * signals[name]
                score = quality(trial)
                if score > best:
                    best, total, weights[name], improved = score, trial, value, True
        if not improved:
            break
    return {n: w for n, w in weights.items() if w}, {"precision_at_10": best[0], "ndcg_at_10": best[1]}


def choose_weights(
    lines: pd.DataFrame,
    products: pd.DataFrame,
    as_of,
    validation_days: float = 30.0,
    max_customers: int = 1500,
    fit_customers: int = 20_000,
    components_factory=default_components,
    seed: int = 0,
    **recommender_options,
) -> dict:
    """Both lists' weights from the last `validation_days` before `as_of`, and what the search saw.

    The validation model is fitted on the lines of at most `fit_customers` customers (a seeded sample: weights
    need a representative model, not every basket, and this halves the cost of a large run), and the search
    scores at most `max_customers` validation customers per list."""
    as_of = pd.Timestamp(as_of)
    cut = as_of - validation_days * DAY
    rng = np.random.default_rng(seed)
    customers = lines["customer"].unique()
    if len(customers) > fit_customers:
        lines = lines[lines["customer"].isin(rng.choice(customers, fit_customers, replace=False))]
    fit_lines = lines_before(lines, cut)
    data = build_dataset(fit_lines, products, cut)
    relevant_all = relevance(data, lines_between(lines, cut, as_of))
    relevant_new = new_items_only(data, relevant_all)
    model = Recommender(components_factory(), **recommender_options).fit(data)
    result = {"weights": {}, "validation": {"start": str(cut), "end": str(as_of)}}
    for key, relevant in (("all", relevant_all), ("new", relevant_new)):
        rows = scored_rows(relevant)
        info = {"customers": int(len(rows))}
        if len(rows) < MIN_VALIDATION_CUSTOMERS:
            result["weights"][key] = dict(DEFAULT_WEIGHTS[key])
            info["note"] = "too few validation customers: default weights"
        else:
            if len(rows) > max_customers:
                rows = np.sort(rng.choice(rows, max_customers, replace=False))
                info["sampled"] = int(max_customers)
            with limited_threads(model.threads):
                weights, metrics = search_weights(model, rows, relevant[rows], new_only=key == "new")
            result["weights"][key] = weights
            info["metrics"] = metrics
        result["validation"][key] = info
    return result


def fit_recommender(
    lines: pd.DataFrame,
    products: pd.DataFrame,
    as_of=None,
    weights: dict | None = None,
    validation_days: float = 30.0,
    components_factory=default_components,
    **options,
) -> Recommender:
    """The hybrid fitted on `lines` (all before `as_of`), with weights from `choose_weights` unless given.

    The returned model carries `tuning` (the weights' provenance and validation metrics) and `timings`.
    """
    data = build_dataset(lines, products, as_of)  # refuses lines at or after as_of
    tuning = {"weights": weights, "validation": None}
    recommender_options = {k: options.pop(k) for k in ("k", "just_bought_days", "threads") if k in options}
    if weights is None:
        tuning = choose_weights(
            lines,
            products,
            data.as_of,
            validation_days,
            components_factory=components_factory,
            **recommender_options,
            **options,
        )
    model = Recommender(components_factory(), tuning["weights"], **recommender_options).fit(data)
    model.tuning = tuning
    return model
