"""Segments: RFM scores and named RFM segments, behavioural clusters with plain-language profiles and readable
rules, the migration from the previous run; published when the clusters separate customers better than the
named RFM segments do (silhouette)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from insights import publishing
from insights.families import common
from insights.models import CustomerSegment, ModelRun
from insights.models_ml import features as feature_table
from insights.models_ml import segments as seg
from insights.models_ml import segments_describe as describe

COLUMNS = ["run_id", "customer_id", "cluster", "segment", "rfm_r", "rfm_f", "rfm_m", "rfm_segment"]
RESULT_MODEL = CustomerSegment


def _features(dataset: common.Dataset) -> pd.DataFrame:
    return feature_table.snapshot(dataset.purchases, dataset.until, dataset.returns, dataset.interactions)


def _previous_segments() -> pd.Series:
    run_id = publishing.active_run_id("segments")
    if run_id is None:
        return pd.Series(dtype=object)
    rows = CustomerSegment.objects.filter(run_id=run_id).values_list("customer_id", "segment")
    return pd.Series(dict(rows.iterator(chunk_size=20_000)), dtype=object)


def train(run: ModelRun, progress) -> None:
    """Segment every profiled customer with a purchase before the run's date, and publish if it beats RFM."""
    method = run.parameters.get("method", "kmeans")
    progress("loading data", 0.05)
    dataset = common.load(common.training_moment(run.as_of))
    run.data_counts = dataset.counts()
    progress("computing features", 0.2)
    features = _features(dataset)
    if len(features) < 10:
        raise ValueError(f"Only {len(features)} customers have purchases before {run.as_of}: too few to segment.")
    progress("clustering", 0.35)
    result = seg.evaluate(features, method=method)
    clustering = seg.cluster(features, method=method)
    progress("describing segments", 0.7)
    profiles = describe.profile_clusters(features, clustering.labels)
    names = clustering.labels.map(lambda label: profiles[int(label)]["name"])
    rfm = seg.rfm_scores(features)
    run.model_card = {
        "method": method,
        "profiles": {str(label): profile for label, profile in profiles.items()},
        "rules": describe.describe_with_tree(features, names),
        "migration": describe.migration_matrix(_previous_segments(), names),
        "details": result["details"],
    }
    progress("writing results", 0.85)
    rows = zip(
        [run.pk] * len(features),
        features.index.astype(int),
        clustering.labels.astype(int),
        names,
        rfm["r"].astype(int),
        rfm["f"].astype(int),
        rfm["m"].astype(int),
        rfm["segment"],
        strict=True,
    )
    publishing.write_rows(CustomerSegment, COLUMNS, (tuple(map(_plain, row)) for row in rows))
    details = result["details"]
    if details["beats_baseline"]:
        reason = (
            f"Published: {clustering.k} segments with silhouette {result['metrics']['silhouette']}, above the named "
            f"RFM segments' {result['baseline']['metrics']['silhouette']}."
        )
    else:
        reason = f"Held back: {details['finding']}."
    common.finish(run, result, details["beats_baseline"], reason)


def _plain(value):
    """numpy scalars as Python values, for COPY and bulk_create."""
    return value.item() if hasattr(value, "item") else value


def evaluate(as_of: dt.date, parameters: dict) -> dict:
    """The segmentation as of `as_of` beside its baseline (nothing written)."""
    dataset = common.load(common.training_moment(as_of))
    result = seg.evaluate(_features(dataset), method=parameters.get("method", "kmeans"))
    return {"metrics": result["metrics"], "baseline": result["baseline"]}
