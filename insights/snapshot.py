"""The data of one moment, read once and handed to every family trained on it.

A nightly retrain trains six families on the same as-of date. Each used to read its own copy (segments, value and
churn the same orders three times, the product families the same lines three times); a `Snapshot` reads each kind
of data at most once and keeps it for the families that follow. With `shared=True` (a family of the same retrain
reads the order lines) the lines are read once and the per-order purchases are summed from them in pandas, instead
of a second query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from insights import data


@dataclass
class Dataset:
    """Purchases, returns and interactions of profiled customers before a moment (exclusive)."""

    until: pd.Timestamp
    purchases: pd.DataFrame
    returns: pd.DataFrame
    interactions: pd.DataFrame

    @property
    def customers(self) -> int:
        return int(self.purchases["customer"].nunique())

    def counts(self) -> dict[str, int]:
        """What a run learned from, for its record."""
        return {
            "customers": self.customers,
            "purchases": len(self.purchases),
            "returns": len(self.returns),
            "interactions": len(self.interactions),
        }


def training_moment(day: dt.date) -> pd.Timestamp:
    """A run "as of" a date uses that whole date: the moment is the start of the next day (UTC)."""
    return data.as_of_datetime(day)


class Snapshot:
    """Everything before `until` (None: everything in the database), optionally of an inclusive (first, last) range
    or a list of customer ids only; each kind of data is read on first use and kept."""

    def __init__(self, until: pd.Timestamp | None, customers=None, shared: bool = False):
        self.until = until
        self.customers = customers
        self.shared = shared and customers is None
        self._kept: dict[str, Any] = {}

    @classmethod
    def as_of(cls, day: dt.date, customers=None, shared: bool = False) -> Snapshot:
        """The data a run as of `day` learns from (that whole day included)."""
        return cls(training_moment(day), customers, shared)

    @property
    def moment(self) -> pd.Timestamp:
        """`until`, or for everything the day after the last purchase (what "now" is for that data)."""
        if self.until is not None:
            return self.until
        last = self.dataset().purchases["placed_at"].max()
        return pd.Timestamp.now(tz="UTC").floor("D") if pd.isna(last) else last.floor("D") + pd.Timedelta(days=1)

    def _keep(self, key: str, read):
        if key not in self._kept:
            self._kept[key] = read()
        return self._kept[key]

    def _until(self):
        return None if self.until is None else self.until.to_pydatetime()

    def lines(self) -> pd.DataFrame:
        """Every goods line (see `data.order_lines`): order, customer, product, placed_at, quantity, unit_price,
        profiled. Families take the columns and rows they need from it."""
        return self._keep("lines", lambda: data.order_lines(self._until(), customers=self._range()))

    def _range(self):
        return self.customers if isinstance(self.customers, tuple) else None

    def dataset(self) -> Dataset:
        """Purchases, returns and interactions of profiled customers."""

        def read() -> Dataset:
            until, ids = self._until(), self.customers
            # From the lines when they are read anyway (a family of the same retrain reads them), else in SQL.
            from_lines = self.shared or "lines" in self._kept
            purchases = data.purchases_from_lines(self.lines()) if from_lines else data.purchases(until, ids)
            moment = self.until if self.until is not None else pd.Timestamp.max.tz_localize("UTC").floor("D")
            return Dataset(moment, purchases, data.returns(until, ids), data.interactions(until, ids))

        return self._keep("dataset", read)

    def keep(self, key: str, read):
        """A family's own derived data (say, weekly demand), computed once per snapshot."""
        return self._keep(f"family:{key}", read)
