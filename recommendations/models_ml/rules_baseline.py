"""The association rules' baseline as rules: what a shop without rule mining would suggest beside a product (its
bestsellers), where that product's baskets did hold them. Published when mined rules do not beat it."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from recommendations.models_ml.rules import (
    MAX_BASKET_ITEMS,
    RULE_COLUMNS,
    Baskets,
    RuleSet,
    _labelled,
    _rule_frame,
    basket_matrix,
)


def popular_pairs(pairs, per_antecedent: int = 10, max_basket_items: int | None = MAX_BASKET_ITEMS) -> RuleSet:
    """The baseline as rules: for each product, the `per_antecedent` most popular other products (in most baskets)
    that were bought with it at least once, with the support, confidence and lift their baskets give. What a shop
    without rules would suggest: its bestsellers, where a customer of the product did buy them too."""
    started = time.perf_counter()
    baskets = pairs if isinstance(pairs, Baskets) else basket_matrix(pairs)
    matrix = baskets.matrix
    sizes = np.diff(matrix.indptr)
    left_out = int((sizes > max_basket_items).sum()) if max_basket_items is not None else 0
    if max_basket_items is not None:
        matrix = matrix[sizes <= max_basket_items]
    n = matrix.shape[0]
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    # The most popular products, ties broken by id so the same data gives the same list.
    order = np.lexsort((baskets.item_ids, -counts))
    top = order[: per_antecedent + 1][counts[order[: per_antecedent + 1]] > 0]
    x = matrix.tocsc().astype(np.int32)
    both = (x.T @ x[:, top]).toarray()  # products x top: baskets holding both
    ante, col = np.nonzero(both)
    cons = top[col]
    keep = ante != cons
    ante, cons, together = ante[keep], cons[keep], both[ante[keep], col[keep]]
    frame = None
    if len(ante):
        antes = [(i,) for i in ante.tolist()]
        frame = _rule_frame(antes, cons, together.astype(float), counts[ante].astype(float), counts[cons], n, 2)
    if frame is None:
        frame = pd.DataFrame({c: [] for c in RULE_COLUMNS})
    else:
        frame = _labelled(frame, baskets.item_ids)
        # Per antecedent, the most popular consequent first (its rank in `top`), as the rules' order is by lift.
        rank = pd.Series(np.arange(len(top)), index=baskets.item_ids[top])
        frame = (
            frame.assign(_rank=frame["consequent"].map(rank).to_numpy(), _first=[a[0] for a in frame["antecedent"]])
            .sort_values(["_first", "_rank"], kind="stable")
            .drop(columns=["_rank", "_first"])
            .reset_index(drop=True)
        )
        frame = frame.groupby(frame["antecedent"].map(lambda a: a[0]), sort=False).head(per_antecedent)
    return RuleSet(
        rules=frame.reset_index(drop=True),
        n_baskets=int(n),
        n_items=int((counts > 0).sum()),
        baskets_left_out=left_out,
        min_count=1,
        min_confidence=0.0,
        min_lift=0.0,
        frequent_items=int(len(top)),
        frequent_pairs=int(len(frame)),
        frequent_triples=0,
        min_gain=0.0,
        seconds={"total": round(time.perf_counter() - started, 3)},
    )
