"""Segments: RFM scores and named RFM segments, behavioural clusters with plain-language profiles and readable
rules, the migration from the previous run. The clusters are published when they separate customers better than
the named RFM segments do (silhouette), otherwise the named RFM segments are, with the same profiles and rules."""

from __future__ import annotations

from dataclasses import dataclass

from insights.families.base import MODEL, Evaluation, Family, Parameter
from insights.models import CustomerSegment

METHODS = ("kmeans", "ward", "dbscan")


@dataclass
class Segmentation:
    """Who is in which segment: the labels (0 is the largest group), their names and profiles."""

    method: str
    labels: object  # pd.Series of ints by customer
    names: object  # pd.Series of names by customer
    profiles: dict
    summary: dict


class SegmentsFamily(Family):
    """A segment per customer with the RFM scores."""

    name = "segments"
    label = "Segments"
    result_model = CustomerSegment
    deciding_metric = "silhouette"
    higher_is_better = True
    parameters = {"method": Parameter("kmeans", str, "clustering method", choices=METHODS)}
    BASELINE_WORDS = "the named RFM segments"

    def load(self, snapshot):
        from insights.models_ml import features

        def table():
            dataset = snapshot.dataset()
            return features.snapshot(dataset.purchases, dataset.until, dataset.returns, dataset.interactions)

        return snapshot.keep("features", table)

    def counts(self, data) -> dict[str, int]:
        return {"customers": len(data)}

    def backtest(self, data) -> Evaluation:
        from insights.models_ml import segments

        if len(data) < 10:
            raise ValueError(f"Only {len(data)} customers have purchases before this date: too few to segment.")
        result = segments.evaluate(data, method=self.params["method"])
        self.clustering = result.pop("clustering")  # the model fit() publishes: clustered once, not twice
        details = result["details"]
        return Evaluation(
            model=f"{details['k']} behavioural clusters ({self.params['method']})",
            baseline=self.BASELINE_WORDS,
            baseline_key=result["baseline"]["name"],
            metric=self.deciding_metric,
            higher_is_better=True,
            metrics=result["metrics"],
            baseline_metrics=result["baseline"]["metrics"],
            window=f"{details['customers']:,} customers",
            problem=details["finding"] if result["metrics"]["k"] < 2 else "",
            details=details,
        )

    def fit(self, data, winner: str) -> Segmentation:
        import pandas as pd

        from insights.models_ml import segments
        from insights.models_ml import segments_describe as describe

        if winner == MODEL:
            clustering = self.clustering
            profiles = describe.profile_clusters(data, clustering.labels, money=_money)
            names = clustering.labels.map(lambda label: profiles[int(label)]["name"])
            return Segmentation(self.params["method"], clustering.labels, names, profiles, clustering.summary())
        named = pd.Series(segments.rfm_scores(data)["segment"].to_numpy(), index=data.index)
        order = named.value_counts().index  # 0 is the largest group, as for clusters
        labels = named.map({name: number for number, name in enumerate(order)}).astype(int)
        profiles = describe.profile_clusters(data, labels, names=dict(enumerate(order)), money=_money)
        return Segmentation("rfm", labels, named, profiles, {"method": "rfm", "k": len(order)})

    def card(self, fitted: Segmentation, evaluation: Evaluation, data) -> dict:
        from insights.models_ml import segments_describe as describe

        return {
            "method": fitted.method,
            "profiles": {str(label): profile for label, profile in fitted.profiles.items()},
            "rules": describe.describe_with_tree(data, fitted.names, money=_money),
            "migration": describe.migration_matrix(_segments_of(self.previous_run), fitted.names),
            "details": evaluation.details,
        }

    def customers(self, data):
        return data.index.to_numpy()

    def rows(self, fitted: Segmentation, data, customers=None):
        import pandas as pd

        from insights.models_ml import segments

        rfm = segments.rfm_scores(data)
        frame = pd.DataFrame(
            {
                "customer_id": data.index.astype(int),
                "cluster": fitted.labels.reindex(data.index).astype(int).to_numpy(),
                "segment": fitted.names.reindex(data.index).to_numpy(),
                "rfm_r": rfm["r"].astype(int).to_numpy(),
                "rfm_f": rfm["f"].astype(int).to_numpy(),
                "rfm_m": rfm["m"].astype(int).to_numpy(),
                "rfm_segment": rfm["segment"].to_numpy(),
            }
        )
        return frame if customers is None else frame[frame["customer_id"].isin(customers)]

    def evaluate(self, snapshot, as_of):
        from insights.snapshot import Snapshot

        return self.backtest(self.load(Snapshot.as_of(as_of)))


def _segments_of(run_id: int | None):
    """The segment per customer of a segments run (for the migration matrix), empty for None."""
    import pandas as pd

    if run_id is None:
        return pd.Series(dtype=object)
    rows = CustomerSegment.objects.filter(run_id=run_id).values_list("customer_id", "segment")
    return pd.Series(dict(rows.iterator(chunk_size=20_000)), dtype=object)


def _money(amount: float) -> str:
    """Amounts in the segment texts as the pages write them, with the base currency ("GBP 1,234.50")."""
    from crm.templatetags.lodestar import money
    from customers.figures import base_currency

    return money(amount, base_currency())
