"""What every family's training shares: the data as of the run's date, and the publish-or-hold decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from insights import data, publishing
from insights.models import ModelRun


@dataclass
class Dataset:
    """Purchases, returns and interactions up to a moment (exclusive), read once per run."""

    until: pd.Timestamp
    purchases: pd.DataFrame
    returns: pd.DataFrame
    interactions: pd.DataFrame

    @property
    def customers(self) -> int:
        return int(self.purchases["customer"].nunique())

    def counts(self) -> dict[str, int]:
        """What the run learned from, for its record."""
        return {
            "customers": self.customers,
            "purchases": len(self.purchases),
            "returns": len(self.returns),
            "interactions": len(self.interactions),
        }


def load(until: pd.Timestamp) -> Dataset:
    """Everything before `until` (a UTC timestamp)."""
    moment = until.to_pydatetime()
    return Dataset(until, data.purchases(moment), data.returns(moment), data.interactions(moment))


def load_all() -> Dataset:
    """Everything in the database, for backtests that score what happened after their cutoff."""
    return load(pd.Timestamp.max.tz_localize("UTC").floor("D"))


def training_moment(day: dt.date) -> pd.Timestamp:
    """A run "as of" a date uses that whole date: the moment is the start of the next day (UTC)."""
    return data.as_of_datetime(day)


def record(run: ModelRun, result: dict) -> None:
    """Store a run's evaluation (metrics beside the baseline's), its model card and data counts."""
    run.metrics = result.get("metrics", {})
    run.baseline = result.get("baseline", {})
    ModelRun.objects.filter(pk=run.pk).update(
        metrics=run.metrics, baseline=run.baseline, model_card=run.model_card, data_counts=run.data_counts
    )


def conclude(run: ModelRun, publishable: bool, reason: str) -> None:
    """Publish the run, or hold it back with the reason."""
    if publishable:
        publishing.publish(run, note=reason)
    else:
        ModelRun.objects.filter(pk=run.pk).update(status=ModelRun.Status.HELD, publish_note=reason)
        run.status, run.publish_note = ModelRun.Status.HELD, reason


def finish(run: ModelRun, result: dict, publishable: bool, reason: str) -> None:
    """Record a run's evaluation, then publish it or hold it back with the reason."""
    record(run, result)
    conclude(run, publishable, reason)
