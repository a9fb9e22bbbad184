"""Customer segments: RFM scores with the usual named RFM segments, behavioural clusters on scaled log features,
and the evaluation of a clustering beside a naive baseline. Pure numpy/pandas; scikit-learn and scipy are imported
inside the functions that use them, so importing this module stays cheap for web processes.

Input: the per-customer feature table of `insights.models_ml.features.snapshot` (one row per customer, indexed by
customer). The RFM scores and segments live in `segments_rfm.py` (and are importable from here); describing the
clusters in words (profiles, decision-tree rules) and the migration matrix between runs in `segments_describe.py`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# RFM lives in segments_rfm.py; importable from here too, as part of the segments API.
from insights.models_ml.segments_rfm import RFM_SEGMENTS, quintile_scores, rfm_scores, rfm_segment  # noqa: F401

# The behavioural features the clusters are made from. Money and counts are heavy-tailed, so they are log1p'd
# and then standardised: without the log a handful of wholesale customers would each become a cluster.
CLUSTER_COLUMNS = ["recency_days", "frequency", "monetary_total", "monetary_avg", "tenure_days"]
METHODS = ("kmeans", "ward", "dbscan")
UNUSUAL = -1  # DBSCAN's noise: customers far from every dense group, published as their own "unusual" segment


def scaled_log_features(features: pd.DataFrame, columns=CLUSTER_COLUMNS):
    """log1p of the columns (negatives clipped to 0, e.g. an order of only refunded lines), standardised.

    Returns (matrix, scaler); `to_original_units` inverts it.
    """
    from sklearn.preprocessing import StandardScaler

    logged = np.log1p(features[list(columns)].to_numpy(dtype=float).clip(min=0))
    scaler = StandardScaler().fit(logged)
    return scaler.transform(logged), scaler


def to_original_units(points: np.ndarray, scaler) -> np.ndarray:
    """Points of the scaled log space back in days, orders and money (a centroid becomes a geometric-mean-like
    typical customer)."""
    return np.expm1(scaler.inverse_transform(np.atleast_2d(points)))


def sample_index(n: int, size: int, random_state: int = 0) -> np.ndarray:
    """A fixed random subset of row positions (all rows when n <= size), the same for the same n and seed, so
    every silhouette of one evaluation (each k, the baseline) is computed on the same customers."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, size=size, replace=False))


def sample_distances(points: np.ndarray) -> np.ndarray:
    """The pairwise Euclidean distances of a silhouette sample's points, as `silhouette_score` computes them."""
    from sklearn.metrics import pairwise_distances

    return pairwise_distances(points)


def silhouette_on(
    matrix: np.ndarray, labels: np.ndarray, index: np.ndarray, distances: np.ndarray | None = None
) -> float | None:
    """Silhouette of `labels` on the rows `index` (None when it is undefined: one group, or one row per group).

    `distances`: `sample_distances(matrix[index])`, when several labellings of the same sample are judged (each k,
    the published clusters, the baselines): the distances are the costly part of a silhouette, and they do not
    depend on the labels."""
    from sklearn.metrics import silhouette_score

    sub = np.asarray(labels)[index]
    groups = len(np.unique(sub))
    if groups < 2 or groups >= len(sub):
        return None
    if distances is None:
        return float(silhouette_score(matrix[index], sub))
    return float(silhouette_score(distances, sub, metric="precomputed"))


@dataclass
class Clustering:
    """A behavioural clustering: labels per customer and what is needed to judge and describe it.

    Labels are 0..k-1 numbered by decreasing size (0 is the largest), and -1 (`UNUSUAL`) for DBSCAN's noise.
    `silhouette` is on a fixed sample of customers, noise included as its own group: it judges the segmentation
    as published. `silhouettes` holds the silhouette of each k tried. `centroids` are the mean points of each
    cluster in the scaled log space, turned back into original units.
    """

    method: str
    labels: pd.Series
    k: int
    silhouette: float | None
    silhouettes: dict[int, float | None]
    centroids: pd.DataFrame
    sizes: pd.Series
    params: dict = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict:
        """JSON-able figures of the run (everything but the labels)."""
        return {
            "method": self.method,
            "k": self.k,
            "silhouette": _round(self.silhouette),
            "silhouettes": {str(k): _round(s) for k, s in self.silhouettes.items()},
            "sizes": {str(label): int(n) for label, n in self.sizes.items()},
            "centroids": {str(label): row.round(2).to_dict() for label, row in self.centroids.iterrows()},
            "params": self.params,
            "seconds": round(self.seconds, 3),
        }


def cluster(
    features: pd.DataFrame,
    method: str = "kmeans",
    k: int | None = None,
    k_range: tuple[int, int] = (3, 8),
    random_state: int = 0,
    sample: int = 5000,
    columns=CLUSTER_COLUMNS,
    eps: float | None = None,
    min_samples: int | None = None,
    threads: int | None = 1,
    distances: np.ndarray | None = None,
) -> Clustering:
    """Cluster customers on their scaled log features.

    method="kmeans": KMeans for every k in k_range (inclusive) unless `k` is given, fitted on up to 5 x `sample`
        customers with n_init=3 (k-means++ starts; three are enough on a few well-scaled dimensions), k chosen
        by the best silhouette on `sample` of them (silhouette is O(n^2)), then refitted on everyone from the
        chosen candidate's centres. 100k customers take about 2 s.
    method="ward": Ward's hierarchical clustering of `sample` customers (O(n^2) time and memory: 5000 need
        about 100 MB), the tree cut at each k and judged by silhouette on that sample; the other customers join
        the nearest cluster centroid.
    method="dbscan": DBSCAN on a sample, with `min_samples` (default twice the number of features) and `eps`
        (default: the knee of the sample's k-distance curve, see `k_distance_eps`); the other customers join
        the cluster of the nearest core sample when it is within eps, otherwise they are noise. Noise is
        labelled -1, the "unusual" segment; k counts the clusters without it.

    `threads` caps BLAS/OpenMP threads (None: the library default). One by default: with five features each
    step is small, so thread start-up and contention cost more than they give, and a worker host runs several
    processes anyway; on a busy 2-core box one thread was twice as fast.

    Every silhouette is on the same sample of customers, so their distances are computed once (`distances`, when
    the caller has them already: `evaluate` judges its baselines on them too).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    with limited_threads(threads):
        return _cluster(features, method, k, k_range, random_state, sample, columns, eps, min_samples, distances)


def limited_threads(threads: int | None):
    """A context capping BLAS and OpenMP threads. threadpoolctl only caps libraries already loaded, so the
    scikit-learn and scipy modules used here are imported first (their OpenMP runtime and BLAS come with them)."""
    import scipy.cluster.hierarchy  # noqa: F401
    import sklearn.cluster  # noqa: F401
    import sklearn.metrics  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)


def _cluster(features, method, k, k_range, random_state, sample, columns, eps, min_samples, distances) -> Clustering:
    started = time.perf_counter()
    matrix, scaler = scaled_log_features(features, columns)
    n = len(matrix)
    if n < 3:
        raise ValueError("clustering needs at least 3 customers")
    index = sample_index(n, sample, random_state)
    ks = [k] if k else list(range(k_range[0], k_range[1] + 1))
    ks = [c for c in ks if 2 <= c < min(n, len(index))] or [2]
    if distances is None:
        distances = sample_distances(matrix[index])
    if method == "kmeans":
        labels, silhouettes, params = _kmeans(matrix, ks, index, random_state, distances)
    elif method == "ward":
        labels, silhouettes, params = _ward(matrix, ks, index, distances)
    else:
        labels, silhouettes, params = _dbscan(matrix, index, eps, min_samples, distances)
    labels = _number_by_size(labels)
    found = sorted(set(np.unique(labels)) - {UNUSUAL})
    groups = sorted(np.unique(labels))
    centres = np.vstack([matrix[labels == g].mean(axis=0) for g in groups])
    centroids = pd.DataFrame(to_original_units(centres, scaler), index=groups, columns=list(columns))
    centroids.index.name = "cluster"
    sizes = pd.Series(labels).value_counts().sort_index().rename_axis("cluster").rename("customers")
    params.update(sample=int(len(index)), random_state=random_state, columns=list(columns))
    return Clustering(
        method=method,
        labels=pd.Series(labels, index=features.index, name="cluster"),
        k=len(found),
        silhouette=silhouette_on(matrix, labels, index, distances),
        silhouettes=silhouettes,
        centroids=centroids,
        sizes=sizes,
        params=params,
        seconds=time.perf_counter() - started,
    )


def _number_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0..k-1 by decreasing size (ties by old label) so a run reads the same way each time;
    noise stays -1."""
    labels = np.asarray(labels, dtype=int)
    olds, counts = np.unique(labels[labels != UNUSUAL], return_counts=True)
    renumbered = np.full(len(labels), UNUSUAL)
    for new, old in enumerate(olds[np.lexsort((olds, -counts))]):
        renumbered[labels == old] = new
    return renumbered


def _kmeans(matrix, ks, index, random_state, distances):
    """Candidates are fitted on a larger sample that contains the silhouette sample (a k-means fit is cheap,
    but several on 100k customers are not); the chosen k is refitted on everyone from the candidate's centres."""
    from sklearn.cluster import KMeans

    fit_index = _widen(index, len(matrix), 5 * len(index), random_state)
    fitted = matrix[fit_index]
    position = np.searchsorted(fit_index, index)  # where the silhouette sample sits inside the fit sample
    silhouettes, models = {}, {}
    for k in ks:
        models[k] = KMeans(n_clusters=k, n_init=3, random_state=random_state).fit(fitted)
        silhouettes[k] = silhouette_on(fitted, models[k].labels_, position, distances)
    best = _best_k(silhouettes)
    final = KMeans(n_clusters=best, init=models[best].cluster_centers_, n_init=1).fit(matrix)
    return final.labels_, silhouettes, {"n_init": 3, "fit_sample": int(len(fit_index))}


def _widen(index: np.ndarray, n: int, size: int, random_state: int) -> np.ndarray:
    """A sorted sample of `size` rows (all when n <= size) that contains `index`."""
    if n <= size:
        return np.arange(n)
    rest = np.setdiff1d(np.arange(n), index)
    extra = np.random.default_rng(random_state + 1).choice(rest, size=size - len(index), replace=False)
    return np.sort(np.concatenate([index, extra]))


def _best_k(silhouettes: dict) -> int:
    """The k with the highest silhouette (the smallest such k on a tie; the first k when none is defined)."""
    scored = [(s, -k) for k, s in silhouettes.items() if s is not None]
    return -max(scored)[1] if scored else next(iter(silhouettes))


def _ward(matrix, ks, index, distances):
    from scipy.cluster.hierarchy import fcluster, linkage

    sampled = matrix[index]
    tree = linkage(sampled, method="ward")
    silhouettes, cuts = {}, {}
    everyone = np.arange(len(sampled))
    for k in ks:
        cuts[k] = fcluster(tree, k, criterion="maxclust") - 1
        silhouettes[k] = silhouette_on(sampled, cuts[k], everyone, distances)
    best = _best_k(silhouettes)
    cut = cuts[best]
    centres = np.vstack([sampled[cut == g].mean(axis=0) for g in np.unique(cut)])
    labels = _nearest(centres, matrix)
    labels[index] = cut  # the sample keeps the tree's own labels
    return labels, silhouettes, {}


def _nearest(centres: np.ndarray, points: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Index of the nearest centre for each point, in chunks to bound memory."""
    out = np.empty(len(points), dtype=int)
    for start in range(0, len(points), chunk):
        block = points[start : start + chunk]
        out[start : start + chunk] = ((block[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    return out


def k_distance_eps(points: np.ndarray, min_samples: int, floor_quantile: float = 0.95) -> float:
    """DBSCAN's eps from the k-distance heuristic.

    Every point's distance to its min_samples-th neighbour (itself included, as DBSCAN counts it) is sorted, and
    the knee is the point of that curve furthest below the chord from its first to its last point: where a few
    scattered customers sit far from everyone, the curve turns up sharply there. eps is the knee, but at least
    the `floor_quantile` of the distances: on a curve without a sharp turn the knee falls mid-way and would call
    5-10 % of an ordinary base "unusual"; the floor keeps at most ~5 % of the sample from being core-less.
    """
    from sklearn.neighbors import NearestNeighbors

    k = min(min_samples, len(points))
    curve = np.sort(NearestNeighbors(n_neighbors=k).fit(points).kneighbors(points)[0][:, -1])
    floor = float(np.quantile(curve, floor_quantile))
    if len(curve) < 3 or curve[-1] <= curve[0]:
        return max(floor, 1e-6)
    x = np.linspace(0.0, 1.0, len(curve))
    y = (curve - curve[0]) / (curve[-1] - curve[0])
    return max(float(curve[np.argmax(x - y)]), floor)


def _dbscan(matrix, index, eps, min_samples, distances):
    from sklearn.cluster import DBSCAN
    from sklearn.neighbors import NearestNeighbors

    sampled = matrix[index]
    min_samples = min_samples or 2 * matrix.shape[1]
    eps = eps or k_distance_eps(sampled, min_samples)
    model = DBSCAN(eps=eps, min_samples=min_samples).fit(sampled)
    labels = np.full(len(matrix), UNUSUAL, dtype=int)
    core = model.core_sample_indices_
    if len(core):
        distance, nearest = NearestNeighbors(n_neighbors=1).fit(sampled[core]).kneighbors(matrix)
        joined = model.labels_[core][nearest[:, 0]]
        labels = np.where(distance[:, 0] <= eps, joined, UNUSUAL)
    labels[index] = model.labels_  # the sample keeps DBSCAN's own labels (border points included)
    clusters = len(set(model.labels_) - {UNUSUAL})
    params = {"eps": round(float(eps), 4), "min_samples": int(min_samples)}
    return labels, {clusters: silhouette_on(matrix, labels, index, distances)}, params


def evaluate(features: pd.DataFrame, method: str = "kmeans", random_state: int = 0, sample: int = 5000, **options):
    """The segmentation's quality beside a naive baseline, in the shape `manage.py evaluate` prints.

    Metric: the silhouette of the behavioural clusters (see `Clustering`). Baseline: the silhouette of the named
    RFM segments (the rule-based grouping a shop would use without any model) on the same scaled log features
    and the same customers; monetary quintiles are given beside it. `beats_baseline` needs a silhouette above the
    baseline's and at least two clusters (one dense group plus noise is not a segmentation, whatever its
    silhouette); when it fails, `finding` says why, to be reported rather than hidden. `clustering` is the
    Clustering itself (not JSON), so a caller that publishes it need not cluster again.
    """
    with limited_threads(options.get("threads", 1)):
        # The clusters and both baselines are judged on the same customers: their distances are computed once.
        matrix, _ = scaled_log_features(features, options.get("columns", CLUSTER_COLUMNS))
        index = sample_index(len(matrix), sample, random_state)
        distances = sample_distances(matrix[index])
    run = cluster(features, method=method, random_state=random_state, sample=sample, distances=distances, **options)
    with limited_threads(options.get("threads", 1)):
        baseline = silhouette_on(matrix, rfm_scores(features)["segment"].to_numpy(), index, distances)
        quintiles = silhouette_on(matrix, quintile_scores(features["monetary_total"]), index, distances)
    findings = []
    if run.silhouette is None or (baseline is not None and run.silhouette <= baseline):
        findings.append(f"silhouette {_round(run.silhouette)} is not above the baseline's {_round(baseline)}")
    if run.k < 2:
        unusual = int(run.sizes.get(UNUSUAL, 0))
        findings.append(f"{method} found {run.k} cluster(s) and {unusual} unusual customers: nothing to segment by")
    return {
        "metrics": {"silhouette": _round(run.silhouette), "k": run.k},
        "baseline": {"name": "rfm_named_segments", "metrics": {"silhouette": _round(baseline)}},
        "details": {
            **run.summary(),
            "baseline_description": "silhouette of the named RFM segments on the same scaled log features",
            "other_baselines": {"monetary_total_quintiles": _round(quintiles)},
            "beats_baseline": not findings,
            "finding": "; ".join(findings) or None,
            "customers": len(features),
        },
        "clustering": run,
    }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)
