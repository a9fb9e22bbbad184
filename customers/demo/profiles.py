"""The planted behavioural groups of demo customers and the calendar their orders follow.

Each group has its own recency, frequency and spend: the segmentation models should find them, the value
models should rank them, and the tests check the planted direction on the generated data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HISTORY_DAYS = 3 * 365

# Acquisition channels, in the order of Customer.Channel.
CHANNELS = ("web", "store", "phone", "referral", "marketplace", "trade_show", "other")


@dataclass(frozen=True)
class Profile:
    """How one group of customers behaves. Days are counted back from the end of the history."""

    name: str
    share: float  # of all customers
    first_order: tuple[int, int]  # first order between this many days before the end (older, newer)
    gap_days: float  # median of the customers' mean days between orders
    gap_spread: float  # log-sd of that mean across customers
    gap_shape: float  # gamma shape of the gaps: higher is more regular
    lines: float  # mean goods lines per order
    quantity: float  # mean units per line
    one_time: bool = False  # exactly one order
    wholesale: bool = False  # large quantities at a trade discount
    bargain: bool = False  # cheap products, often discounted
    bundle_rate: float = 0.3  # share of orders that include a planted bundle
    interactions_per_year: float = 1.0
    company_share: float = 0.12
    marketing_share: float = 0.6
    channel_weights: tuple[float, ...] = (45, 15, 8, 10, 12, 5, 5)
    can_churn: bool = False  # eligible for the churner cohort


PROFILES = (
    Profile(
        "champions", 0.08, (1095, 420), 30, 0.25, 4.0, 3.0, 1.7,
        bundle_rate=0.4, interactions_per_year=4.0, company_share=0.3, marketing_share=0.8, can_churn=True,
    ),
    Profile(
        "loyal", 0.20, (1095, 300), 60, 0.3, 3.0, 2.2, 1.4,
        interactions_per_year=2.0, company_share=0.2, marketing_share=0.7, can_churn=True,
    ),
    Profile(
        "wholesale", 0.06, (1095, 300), 90, 0.3, 2.5, 6.0, 12.0, wholesale=True,
        bundle_rate=0.5, interactions_per_year=5.0, company_share=0.92, marketing_share=0.55,
        channel_weights=(15, 3, 30, 15, 2, 30, 5), can_churn=True,
    ),
    Profile(
        "bargain", 0.26, (1095, 120), 160, 0.35, 1.5, 1.5, 1.1, bargain=True,
        bundle_rate=0.15, interactions_per_year=0.8, marketing_share=0.65, channel_weights=(50, 8, 3, 6, 28, 1, 4),
    ),
    Profile(
        "new", 0.10, (100, 3), 35, 0.3, 2.0, 2.2, 1.3,
        interactions_per_year=3.5, marketing_share=0.7, channel_weights=(55, 10, 5, 15, 10, 2, 3),
    ),
    Profile(
        "one_time", 0.30, (1095, 366), 1, 0.0, 1.0, 1.8, 1.2, one_time=True,
        bundle_rate=0.2, interactions_per_year=0.6, marketing_share=0.45,
    ),
)  # fmt: skip
GROUP_NAMES = tuple(p.name for p in PROFILES)


def profile_array(attribute: str) -> np.ndarray:
    """One attribute of every profile as an array indexed by group code."""
    return np.array([getattr(p, attribute) for p in PROFILES])


# Relative order intensity by month (Jan..Dec) and weekday (Mon..Sun): a Christmas peak and quiet Sundays.
MONTH_FACTORS = np.array([0.85, 0.8, 0.92, 0.95, 1.0, 0.95, 0.9, 0.9, 1.0, 1.05, 1.55, 1.6])
WEEKDAY_FACTORS = np.array([1.05, 1.05, 1.05, 1.0, 1.05, 0.95, 0.8])


@dataclass(frozen=True)
class Calendar:
    """The history's days and their order intensity.

    Customers' gamma inter-purchase gaps run in "busy days": cumulative intensity, normalised to one per
    day on average. Mapping busy days back to calendar days puts more orders in busy months while each
    customer keeps their own cadence.
    """

    start: np.datetime64  # first day of the history
    days: int
    busy: np.ndarray  # cumulative intensity at each day boundary, length days + 1

    @classmethod
    def ending(cls, end: np.datetime64, days: int = HISTORY_DAYS) -> Calendar:
        """The `days` days before `end` (exclusive)."""
        start = end - np.timedelta64(days, "D")
        dates = start + np.arange(days).astype("timedelta64[D]")
        month = dates.astype("datetime64[M]").astype(np.int64) % 12
        weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        weight = MONTH_FACTORS[month] * WEEKDAY_FACTORS[weekday]
        busy = np.concatenate([[0.0], np.cumsum(weight / weight.mean())])
        return cls(start=start, days=days, busy=busy)

    def to_busy(self, day: np.ndarray) -> np.ndarray:
        """Busy time at the start of each (integer) calendar day."""
        return self.busy[day]

    def to_day(self, busy_time: np.ndarray) -> np.ndarray:
        """Calendar day (integer) in which each busy time falls."""
        day = np.interp(busy_time, self.busy, np.arange(self.days + 1))
        return np.minimum(day.astype(np.int64), self.days - 1)

    def timestamps(self, day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """datetime64[s] values (UTC) for day indexes and seconds after midnight."""
        return (self.start.astype("datetime64[s]") + day * 86400 + seconds).astype("datetime64[s]")
