"""The shop's calendar as its own customers show it: how busy each week of the history was for the customers who
were there, and the operational time the value model is fitted and forecast in. Pure numpy/pandas, no Django.

Why: BG/NBD assumes each customer buys at one steady rate. A shop with a season breaks that twice: a customer
first seen in the Christmas rush is taken for a heavy buyer, and a forecast window that holds the next rush is
under-predicted (Online Retail's holdout from 2011-09-10 holds the pre-Christmas peak).

How the index is estimated (`estimate`): purchase rate per customer per week, within customers. Each customer
with repeat purchase days has their own rate; week w has a multiplier s_w shared by all; repeat purchase days are
Poisson with mean rate_i x s_w x (days customer i was there in week w, after their first purchase day; after
their last, times their chance of still being a customer).
Conditioning on each customer's own rate (a fixed effect, fitted by alternating the two updates) makes the index
blind to who joined when and how heavy they are, so a growing customer base, or a history that starts in the
middle of the customers' lives (every customer of an export "joins" on its first day), does not read as a season.
Each week's estimate is pooled with an average week's, worth as many purchase days as the weeks' spread beyond
Poisson noise says (empirical Bayes, `_prior_purchases`), so a thinly observed week (the history's first, when few
customers had bought yet) cannot swing far. The index is used only when the
weekly counts depart from a flat calendar by more than chance (a dispersion test at FLATNESS_P); otherwise it is
1 everywhere and the model is the plain one.

How it is used: a customer's times are measured in operational time, the index summed over the days between,
so a week twice as busy as usual counts as two weeks (a Poisson process with rate rate_i x s(t) is a steady one
in that clock, and BG/NBD's dropout, which happens only at a purchase, is unaffected). Forecast days take the
index of the same days 52 weeks earlier when the history holds them (the season seen once is expected again),
and 1, the history's average, when it does not: a season the history has not seen is not guessed, and no trend
is extrapolated. So as of 2011-09-09, with a history from 2010-12-01, the first nine days of December come with
December 2010's evidence and the months before them with none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import chi2

EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
BLOCK_DAYS = 7  # a week: long enough to hold every weekday once, so a shop shut on Saturdays is not a season
YEAR_AGO_DAYS = 364  # 52 weeks, so that a forecast day looks back at the same weekday
# Each week's estimate is pooled with this many purchase days of a flat week, set from the data within bounds
PRIOR_MIN, PRIOR_MAX = 2.0, 100.0
FLATNESS_P = 0.01  # below this p-value of the flat-calendar test, the index is applied
MAX_ITERATIONS = 200


def day_numbers(moments) -> np.ndarray:
    """Whole days since 1970-01-01 (UTC; naive moments are read as UTC) of timestamps or a datetime Series."""
    moments = pd.Series(moments) if not isinstance(moments, pd.Series) else moments
    if moments.dt.tz is None:
        moments = moments.dt.tz_localize("UTC")
    return ((moments.dt.floor("D") - EPOCH) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)


def day_number(moment) -> int:
    """Whole days since 1970-01-01 (UTC; a naive moment is read as UTC) of one timestamp."""
    moment = pd.Timestamp(moment)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    return int((moment.floor("D") - EPOCH) // pd.Timedelta(days=1))


@dataclass
class Calendar:
    """A daily index of how busy the shop's customers were, mean 1 over the history, and its clock."""

    first_day: int = 0  # day number of values[0]
    values: np.ndarray = field(default_factory=lambda: np.ones(0))
    applied: bool = False  # False: the index is 1 everywhere (flat data, or too little of it)
    reason: str = "no calendar"
    p_value: float | None = None

    @property
    def end_day(self) -> int:
        """The day after the history."""
        return self.first_day + len(self.values)

    def index(self, days) -> np.ndarray:
        """The index of each day (day numbers): the history's own, 52 weeks earlier's after it, else 1."""
        days = np.asarray(days, dtype=np.int64)
        out = np.ones(days.shape)
        if not self.applied or not len(self.values):
            return out
        seen = np.where(days >= self.end_day, days - YEAR_AGO_DAYS, days)  # forecast days: 52 weeks earlier
        inside = (seen >= self.first_day) & (seen < self.end_day)
        out[inside] = self.values[seen[inside] - self.first_day]
        return out

    def elapsed(self, start, end) -> np.ndarray:
        """Operational time from the start of day `start` to the start of day `end` (arrays of day numbers)."""
        start, end = np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64)
        if not self.applied or start.size == 0:
            return (end - start).astype(float)
        low, high = int(min(start.min(), end.min())), int(max(start.max(), end.max()))
        clock = np.concatenate([[0.0], np.cumsum(self.index(np.arange(low, high)))])
        return clock[end - low] - clock[start - low]

    def ahead(self, as_of, days) -> np.ndarray:
        """Operational time of each span of `days` (whole days) after as_of's day."""
        today = day_number(as_of)
        days = np.rint(np.asarray(days, dtype=float)).astype(np.int64)
        return self.elapsed(np.full(days.shape, today), today + days)

    def window_factor(self, as_of, days: int) -> float:
        """How much busier than the history's average the `days` after as_of are expected to be."""
        return float(self.ahead(as_of, [days])[0] / days) if days > 0 else 1.0

    def operational(self, rfm: pd.DataFrame, as_of) -> pd.DataFrame:
        """rfm_for_value's frame with t_x and T in operational time (x and monetary_value unchanged)."""
        if not self.applied:
            return rfm
        today = day_number(as_of)
        first = today - np.rint(rfm["T"].to_numpy(dtype=float)).astype(np.int64)
        last = first + np.rint(rfm["t_x"].to_numpy(dtype=float)).astype(np.int64)
        return rfm.assign(t_x=self.elapsed(first, last), T=self.elapsed(first, np.full(first.shape, today)))

    def describe(self, as_of=None, days: int = 0) -> dict:
        """Plain values for a report or a model card."""
        out = {"applied": self.applied, "reason": self.reason, "p_value": self.p_value, "weeks": _weeks(self.values)}
        if as_of is not None and days:
            today = day_number(as_of)
            ahead = np.arange(today, today + days) - YEAR_AGO_DAYS
            out["window_days"] = days
            out["window_factor"] = self.window_factor(as_of, days)
            out["window_days_seen_a_year_earlier"] = int(
                np.sum((ahead >= self.first_day) & (ahead < self.end_day)) if self.applied else 0
            )
        if self.applied and len(self.values):
            out["busiest_week"] = _week_words(self.first_day, self.values, np.argmax)
            out["quietest_week"] = _week_words(self.first_day, self.values, np.argmin)
        return out


def _weeks(values: np.ndarray) -> int:
    return int(np.ceil(len(values) / BLOCK_DAYS))


def _week_words(first_day: int, values: np.ndarray, pick) -> dict:
    """The week (its first day) and index that `pick` (argmax or argmin) chooses among the history's days."""
    at = int(pick(values))
    return {"from": f"{EPOCH + pd.Timedelta(days=first_day + at):%Y-%m-%d}", "index": float(values[at])}


def _prior_purchases(observed: np.ndarray, expected: np.ndarray) -> float:
    """How many purchase days of a flat week each week's estimate is pooled with, from the data (empirical Bayes).

    The weeks' ratios observed / expected vary by the season (variance tau^2) and by Poisson noise (1 / expected);
    their spread beyond the noise estimates tau^2, and a Gamma prior of that variance around 1 is worth 1 / tau^2
    purchase days. Bounded to [PRIOR_MIN, PRIOR_MAX]: a week's own evidence always counts, a thin week never
    swings alone."""
    ratio = observed / expected
    spread = float(np.average((ratio - 1) ** 2, weights=expected) - len(expected) / np.sum(expected))
    return float(np.clip(1 / spread, PRIOR_MIN, PRIOR_MAX)) if spread > 0 else PRIOR_MAX


def estimate(purchases: pd.DataFrame, cutoff, alive: pd.Series | None = None) -> Calendar:
    """The calendar of the purchases before `cutoff` (customer, placed_at), weeks counted back from the cutoff.

    Several orders of a customer on one day are one purchase day, as in features.rfm_for_value. `alive`: each
    customer's chance of still being one (from a plain BG/NBD fit; 1 for those it leaves out). See the module
    docstring for the model."""
    cutoff = pd.Timestamp(cutoff)
    before = purchases[purchases["placed_at"] < cutoff]
    if before.empty:
        return Calendar(reason="no purchases to learn the calendar from")
    days = pd.DataFrame({"customer": before["customer"].to_numpy(), "day": day_numbers(before["placed_at"])})
    days = days.drop_duplicates()
    first_of = days.groupby("customer")["day"].transform("min").to_numpy()
    today, start = day_number(cutoff), int(days["day"].min())
    n_days = today - start
    block = (n_days - 1 - np.arange(n_days)) // BLOCK_DAYS  # 0: the last week before the cutoff
    if n_days < 2 * BLOCK_DAYS:
        return Calendar(first_day=start, values=np.ones(n_days), reason="too little history for a calendar")

    # Each repeat customer is counted present from the day after their first purchase day to their last, when
    # they certainly still were a customer, and after it with their chance of still being one (`alive`: BG/NBD's
    # dropout comes only at a purchase, so that chance is the same on every day after the last purchase). A
    # customer who has left then does not read as a quiet week.
    spans = days.groupby("customer")["day"].agg(["min", "max", "size"])
    repeaters = spans[spans["size"] >= 2]
    if repeaters.empty:
        return Calendar(first_day=start, values=np.ones(n_days), reason="no repeat purchases to learn a calendar from")
    firsts, lasts = repeaters["min"].to_numpy() - start, repeaters["max"].to_numpy() - start
    counts = repeaters["size"].to_numpy() - 1.0
    weight = np.ones(len(repeaters)) if alive is None else alive.reindex(repeaters.index).fillna(1.0).to_numpy()
    repeat = days["day"].to_numpy()[days["day"].to_numpy() > first_of] - start
    observed = np.bincount(block[repeat], minlength=block.max() + 1).astype(float)

    def expected_by_block(daily: np.ndarray) -> np.ndarray:
        """Expected repeat purchase days per week under the daily index, each customer at their own rate."""
        clock = np.concatenate([[0.0], np.cumsum(daily)])
        rate = counts / (clock[lasts + 1] - clock[firsts + 1] + weight * (clock[n_days] - clock[lasts + 1]))
        # The rates of the customers present on each day, summed (after the last purchase, times the weight).
        change = np.bincount(firsts + 1, weights=rate, minlength=n_days + 1)
        change += np.bincount(lasts + 1, weights=rate * (weight - 1), minlength=n_days + 1)
        return np.bincount(block, weights=np.cumsum(change)[:n_days] * daily, minlength=len(observed))

    flat = expected_by_block(np.ones(n_days))
    used = flat > 0
    statistic = float(np.sum((observed[used] - flat[used]) ** 2 / flat[used]))
    p_value = float(chi2.sf(statistic, max(int(used.sum()) - 1, 1)))
    if p_value >= FLATNESS_P:
        return Calendar(
            first_day=start,
            values=np.ones(n_days),
            reason=f"not applied: the weekly purchase counts are as flat as chance allows (p = {p_value:.2g})",
            p_value=p_value,
        )

    prior = _prior_purchases(observed[used], flat[used])
    weekly = np.ones(len(observed))
    for _ in range(MAX_ITERATIONS):
        expected = expected_by_block(weekly[block]) / weekly  # the same week at index 1, rates as now
        updated = (observed + prior) / (expected + prior)
        updated /= np.average(updated, weights=np.maximum(expected, 1e-12))
        converged = np.max(np.abs(np.log(updated) - np.log(weekly))) < 1e-7
        weekly = updated
        if converged:
            break
    return Calendar(
        first_day=start,
        values=weekly[block],
        applied=True,
        reason=f"weekly purchase rate of the customers present, within customers, over {len(observed)} weeks, "
        f"each week pooled with {prior:.0f} purchase days of an average one (a flat calendar is rejected, "
        f"p = {p_value:.2g})",
        p_value=p_value,
    )
