"""The recommenders' inputs and yardsticks on hand-made data: the customer x item matrices, the ranking metrics
computed by hand, and top-k selection. Pure: no database."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recommendations.models_ml.interactions import build_dataset, lines_before, lines_between
from recommendations.models_ml.ranking_metrics import ranking_metrics
from recommendations.models_ml.topk import sparse_top_k, top_k

AS_OF = pd.Timestamp("2024-03-01", tz="UTC")


def purchase_lines(*rows):
    """Lines from (customer, product, days before AS_OF) tuples, each at noon."""
    frame = pd.DataFrame(rows, columns=["customer", "product", "days_ago"])
    frame["placed_at"] = AS_OF - pd.to_timedelta(frame.pop("days_ago"), unit="D") - pd.Timedelta(hours=12)
    return frame.assign(quantity=1, amount=1.0)


def catalogue(ids, inactive=(), kinds=None):
    """Products named "product <id>", active unless listed, of kind "product" unless `kinds` says otherwise."""
    kinds = kinds or {}
    return pd.DataFrame(
        {
            "product": list(ids),
            "name": [f"product {i}" for i in ids],
            "is_active": [i not in inactive for i in ids],
            "kind": [kinds.get(i, "product") for i in ids],
        }
    )


def test_it_counts_distinct_purchase_days_per_customer_and_item():
    lines = purchase_lines((1, 10, 5), (1, 10, 5), (1, 10, 40), (1, 11, 3), (2, 11, 100))
    data = build_dataset(lines, catalogue([10, 11, 12]), AS_OF)

    assert list(data.customers) == [1, 2]
    assert list(data.items) == [10, 11, 12]
    assert data.days.toarray().tolist() == [[2, 1, 0], [0, 1, 0]]
    # Aligned with the stored entries, in CSR order: (1, 10), (1, 11), (2, 11).
    assert data.last_age.tolist() == [5, 3, 100]
    assert data.first_age.tolist() == [40, 3, 100]
    assert data.customer_last_age.tolist() == [3, 100]
    assert data.customer_days.tolist() == [3, 1]


def test_it_refuses_lines_at_or_after_the_cutoff():
    lines = purchase_lines((1, 10, 5))
    with pytest.raises(ValueError, match="split the data"):
        build_dataset(lines, catalogue([10]), AS_OF - pd.Timedelta(days=10))


def test_it_marks_inactive_unlisted_and_non_goods_items_as_not_recommendable():
    lines = purchase_lines((1, 10, 5), (1, 11, 5), (1, 12, 5), (1, 13, 5))
    products = catalogue([10, 11, 12], inactive={11}, kinds={12: "shipping"})
    data = build_dataset(lines, products, AS_OF)

    assert dict(zip(data.items.tolist(), data.recommendable.tolist(), strict=True)) == {
        10: True,
        11: False,
        12: False,
        13: False,  # bought but not in the catalogue: nothing vouches for it
    }


def test_it_finds_pairs_customers_and_items_by_id():
    data = build_dataset(purchase_lines((1, 10, 5), (2, 11, 7)), catalogue([10, 11]), AS_OF)

    assert data.customer_index([2, 1, 99]).tolist() == [1, 0, -1]
    assert data.item_index([11, 5]).tolist() == [1, -1]
    assert data.pair_positions([0, 1, 0], [0, 1, 1]).tolist() == [0, 1, -1]


def test_recent_buyers_and_decayed_days_follow_the_purchase_ages():
    lines = purchase_lines((1, 10, 1), (2, 10, 40), (3, 11, 2), (3, 11, 12))
    data = build_dataset(lines, catalogue([10, 11]), AS_OF)

    assert data.buyers_since(30).tolist() == [1, 1]
    # Customer 3 bought item 11 on days 2 and 12 ago: 0.5 ** (2 / 10) + 0.5 ** (12 / 10).
    assert data.decayed_days(10.0)[-1] == pytest.approx(0.5**0.2 + 0.5**1.2, rel=1e-5)


def test_splitting_lines_by_date_keeps_each_line_once():
    lines = purchase_lines((1, 10, 40), (1, 11, 10), (2, 10, 1))
    cut = AS_OF - pd.Timedelta(days=20)
    before, after = lines_before(lines, cut), lines_between(lines, cut, AS_OF)

    assert len(before) == 1 and len(after) == 2


def test_metrics_match_a_hand_computed_example():
    # Two customers, k = 3, five items.
    top = np.array([[0, 1, 2], [3, -1, -1]])  # the second list holds a single item
    relevant = sp.csr_matrix(np.array([[1, 0, 1, 0, 1], [0, 0, 0, 0, 1]]))
    metrics = ranking_metrics(top, relevant, n_recommendable=5, k=3)

    # Customer 1: hits at ranks 1 and 3 of 3 relevant; customer 2: no hit of 1 relevant.
    assert metrics["precision_at_3"] == pytest.approx((2 / 3 + 0) / 2)
    assert metrics["recall_at_3"] == pytest.approx((2 / 3 + 0) / 2)
    dcg = 1 + 1 / math.log2(4)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert metrics["ndcg_at_3"] == pytest.approx((dcg / ideal + 0) / 2)
    assert metrics["coverage"] == pytest.approx(4 / 5)


def test_ndcg_is_one_for_a_perfect_list_shorter_than_k():
    metrics = ranking_metrics(np.array([[4, 2, 0]]), sp.csr_matrix(np.array([[0, 0, 1, 0, 1]])), 5, k=3)

    assert metrics["ndcg_at_3"] == pytest.approx(1.0)
    assert metrics["recall_at_3"] == pytest.approx(1.0)


def test_top_k_orders_the_best_and_pads_short_rows():
    scores = np.array([[0.1, 0.9, 0.5, 0.7], [-np.inf, 0.2, -np.inf, -np.inf]], np.float32)
    items, values = top_k(scores, 3)

    assert items.tolist() == [[1, 3, 2], [1, -1, -1]]
    assert values[0].tolist() == pytest.approx([0.9, 0.7, 0.5])


def test_top_k_takes_equal_scores_lowest_index_first():
    scores = np.zeros((2, 8), np.float32)
    scores[0, 5] = 0.5
    scores[1, [2, 6]] = -np.inf
    scores[1, 7] = -0.25
    items, values = top_k(scores, 4)

    assert items.tolist() == [[5, 0, 1, 2], [0, 1, 3, 4]]
    assert values.tolist() == [[0.5, 0, 0, 0], [0, 0, 0, 0]]


def test_top_k_ranks_negative_and_infinite_scores_in_order():
    scores = np.array([[-1.5, 3e38, -np.inf, 2.0, -0.5, 1e-30]], np.float32)
    items, values = top_k(scores, 6)

    assert items.tolist() == [[1, 3, 5, 4, 0, -1]]
    assert values[0, :5].tolist() == pytest.approx([3e38, 2.0, 1e-30, -0.5, -1.5])


def ranked_by_sorting(scores: np.ndarray, k: int) -> np.ndarray:
    """top_k's items the slow way: every row fully sorted, best value first, then the lowest column; a NaN ranks
    above every value and, like any score that is not finite, leaves its place empty (-1)."""
    out = np.full((len(scores), k), -1)
    for i, row in enumerate(scores):
        order = np.lexsort((np.arange(len(row)), -np.nan_to_num(row, nan=0.0), ~np.isnan(row)))[:k]
        out[i, : len(order)] = np.where(np.isfinite(row[order]), order, -1)
    return out


def test_top_k_on_a_wide_catalogue_matches_a_full_sort_row_by_row():
    """Wide rows take the narrowed path (candidates at or above a sample's k-th best); each kind of row that path
    must get right or hand back is planted: continuous blends, ties at the k-th value, NaN, -inf, +-0, rows with
    fewer than k finite scores."""
    rng = np.random.default_rng(7)
    scores = rng.random((40, 3000), dtype=np.float32)
    scores[:, rng.choice(3000, 400, replace=False)] = -np.inf
    scores[1, :] = 0.0
    scores[1, [5, 2900]] = [0.3, 0.2]  # a sparse signal's row: ties at 0 everywhere
    scores[2, :2990] = -np.inf  # fewer than k finite
    scores[3, [10, 700]] = np.nan
    scores[4, ::7] = 0.5  # ties at the top, beyond the sample's columns too
    scores[5, [0, 16]] = [-0.0, 0.0]
    scores[5, 32:] = -np.inf
    scores[6] = np.round(scores[6] * 20) / 20  # coarse values: many ties at the k-th
    items, values = top_k(scores, 10)

    assert items.tolist() == ranked_by_sorting(scores, 10).tolist()
    assert np.array_equal(values[items >= 0], np.take_along_axis(scores, np.maximum(items, 0), axis=1)[items >= 0])


@pytest.mark.parametrize(
    "rows",
    [
        np.zeros((1, 2000), np.float32),  # one row of ties (a neighbour block's last row, a cold start)
        np.where(np.arange(2000) % 20 == 0, 0.5, 0.0).astype(np.float32)[None, :],  # one sparse row
        np.full((3, 2000), np.nan, np.float32),  # no row narrows
    ],
    ids=["one-row-of-ties", "one-sparse-row", "every-row-nan"],
)
def test_top_k_on_a_wide_catalogue_when_no_row_narrows(rows):
    items, _ = top_k(rows, 10)
    assert items.tolist() == ranked_by_sorting(rows, 10).tolist()


def test_keep_top_on_a_catalogue_whose_last_block_is_one_row():
    from recommendations.models_ml.neighbours import keep_top

    similarity = sp.random(2049, 2049, density=0.005, format="csr", random_state=3, dtype=np.float32)
    kept = keep_top(similarity, 20)
    assert kept.shape == (2049, 2049) and (np.diff(kept.indptr) <= 20).all()
    last = similarity.getrow(2048).toarray()[0]
    assert sorted(kept.getrow(2048).indices) == sorted(np.argsort(-last, kind="stable")[: min(20, (last > 0).sum())])


def test_sparse_top_k_reads_only_stored_finite_entries():
    matrix = sp.csr_matrix(np.array([[0, 3, 1, 2], [0, 0, 0, 0]], np.float32))
    matrix.data[matrix.data == 2] = -np.inf
    items, _ = sparse_top_k(matrix, 3)

    assert items.tolist() == [[1, 2, -1], [-1, -1, -1]]
