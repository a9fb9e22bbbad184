"""Weekly demand per product and the features a forecast reads from it. Pure numpy/pandas.

Weeks run Monday to Sunday and are labelled by their Monday. Only whole weeks are kept (a partial first or last week
would read as a fall in demand). Before a product's first sale its weeks are missing (NaN), not zero: it was not on
sale, and a run of zeros would teach the model that new products start dead. After that, a week without a sale is 0.

`Panel` holds the arrays behind the features (cumulative sums, so any window's mean at any origin is two look-ups);
the features themselves are listed in recommendations/models_ml/demand.py, which fits the model on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SCALE_WEEKS = 13
LAGS = (1, 2, 4, 8)
MEANS = (4, 8, 26)
YEAR = 52
FEATURES = [
    "horizon",
    *[f"lag_{k}" for k in LAGS],
    *[f"mean_{k}" for k in MEANS],
    "mean_all",
    "share_sold_8",
    "weeks_since_sale",
    "age",
    "log_scale",
    "price_rel",
    "lag_52_target",
    "shop_last_year",
]
SEASONAL_FEATURES = ["week_of_year"]
# A product sells in bursts when its busiest tenth of the last year's weeks brought at least half of its units (a
# steady seller's busiest tenth brings about a fifth on the demo shop; trade orders make the rest lumpy). Its range is
# wide because a big order may or may not fall in the weeks ahead, and the page says so (`bursty_products`).
BURST_SHARE = 0.5
BURST_MIN_UNITS = 52  # a unit a week on average: a slower seller's few units always come in a few weeks
BURST_MIN_WEEKS = 26  # weeks on sale before a product can be said to sell in bursts: a new line's weeks before its
# launch are not quiet weeks


@dataclass
class WeeklyDemand:
    """Units sold per week (rows: Mondays, columns: products; NaN before a product's first sale) and the average
    unit price paid (revenue / units; NaN in weeks without a sale)."""

    units: pd.DataFrame
    price: pd.DataFrame

    def before(self, week) -> WeeklyDemand:
        """The history up to (not including) `week`: what was known at that forecast origin."""
        keep = self.units.index < pd.Timestamp(week)
        return WeeklyDemand(self.units.loc[keep], self.price.loc[keep])


def week_start(placed_at: pd.Series, tz: str | None = None) -> pd.Series:
    """The Monday (midnight, naive) of each timestamp's week, in `tz` (aware timestamps are converted to it, UTC by
    default, before the time zone is dropped)."""
    stamps = pd.to_datetime(placed_at)
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert(tz or "UTC").dt.tz_localize(None)
    days = stamps.dt.normalize()
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def weekly_demand(lines: pd.DataFrame, start=None, end=None, tz: str | None = None) -> WeeklyDemand:
    """Weekly units and prices per product from order lines (columns product, placed_at, quantity and optionally
    unit_price; goods of completed orders).

    Keeps the weeks lying wholly in [start, end): by default from the first sale's day to the day after the last
    sale's, which drops a partial first and last week.
    """
    stamps = pd.to_datetime(lines["placed_at"])
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert(tz or "UTC").dt.tz_localize(None)
    start = pd.Timestamp(start) if start is not None else stamps.min().normalize()
    end = pd.Timestamp(end) if end is not None else stamps.max().normalize() + pd.Timedelta(days=1)
    first = start.normalize() + pd.Timedelta(days=(7 - start.normalize().day_of_week) % 7)
    if first < start:
        first += pd.Timedelta(days=7)
    weeks = pd.date_range(first, end - pd.Timedelta(days=7), freq="7D")
    frame = pd.DataFrame(
        {
            "product": lines["product"].to_numpy(),
            "week": week_start(stamps).to_numpy(),
            "units": lines["quantity"].to_numpy(dtype=float),
            "revenue": lines["quantity"].to_numpy(dtype=float)
            * (lines["unit_price"].to_numpy(dtype=float) if "unit_price" in lines else np.nan),
        }
    )
    frame = frame[frame["week"].isin(weeks)]
    sums = frame.groupby(["week", "product"])[["units", "revenue"]].sum()
    units = sums["units"].unstack().reindex(weeks)
    price = (sums["revenue"] / sums["units"].where(sums["units"] > 0)).unstack().reindex(weeks)
    # Zero from the first sale on; missing before it.
    born = units.notna().cummax()
    units = units.fillna(0).where(born)
    units.index.name = price.index.name = "week"
    return WeeklyDemand(units.astype(float), price.reindex(columns=units.columns).astype(float))


class Panel:
    """The arrays behind the features: cumulative sums along the weeks, so that any window's mean at any origin is
    two look-ups. An origin t means weeks 0..t-1 are known and week t is the first forecast."""

    def __init__(self, demand: WeeklyDemand):
        y = demand.units.to_numpy(dtype=float).T  # products x weeks
        self.y, self.weeks, self.products = y, demand.units.index, demand.units.columns
        n, weeks = y.shape
        valid = ~np.isnan(y)
        filled = np.where(valid, y, 0.0)

        def cumulative(a):
            return np.concatenate([np.zeros((n, 1)), np.cumsum(a, axis=1)], axis=1)

        self.sum, self.count, self.sold = cumulative(filled), cumulative(valid), cumulative(filled > 0)
        sale_week = np.where(filled > 0, np.arange(weeks), -1)
        self.last_sale = np.maximum.accumulate(sale_week, axis=1) if weeks else sale_week
        price = demand.price.to_numpy(dtype=float).T
        with np.errstate(invalid="ignore", divide="ignore"):
            log_price = np.where(price > 0, np.log(price), np.nan)
        has_price = ~np.isnan(log_price)
        self.log_price_sum, self.price_count = cumulative(np.where(has_price, log_price, 0)), cumulative(has_price)
        self.last_log_price = pd.DataFrame(log_price.T).ffill().to_numpy().T
        self.shop = np.nansum(y, axis=0)
        self.shop_sum = np.concatenate([[0.0], np.cumsum(self.shop)])

    def window_mean(self, t: int, k: int) -> np.ndarray:
        """Mean weekly units over the known weeks among the k before origin t (NaN when there are none)."""
        lo = max(t - k, 0)
        weeks = self.count[:, t] - self.count[:, lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(weeks > 0, (self.sum[:, t] - self.sum[:, lo]) / weeks, np.nan)

    def scale(self, t: int) -> np.ndarray:
        """Each product's scale at origin t: mean of its last 13 weeks, else its mean since the first sale, else 1."""
        recent, ever = self.window_mean(t, SCALE_WEEKS), self.window_mean(t, t)
        scale = np.where(recent > 0, recent, np.where(ever > 0, ever, 1.0))
        return np.nan_to_num(scale, nan=1.0)

    def column(self, week: int) -> np.ndarray:
        """Units of one week for every product (NaN outside the panel)."""
        return self.y[:, week] if 0 <= week < self.y.shape[1] else np.full(len(self.products), np.nan)

    def shop_mean(self, lo: int, hi: int) -> float:
        """The shop's mean weekly units over weeks lo..hi-1 (NaN when the window leaves the panel)."""
        return (self.shop_sum[hi] - self.shop_sum[lo]) / (hi - lo) if 0 <= lo < hi <= len(self.shop) else np.nan

    def features(self, t: int, h: int, seasonal: bool) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows of every product for origin t and horizon h, and each product's scale."""
        scale = self.scale(t)
        target = t + h - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            last_year = self.column(target - YEAR) / scale
            shop_year = np.nan
            if target >= YEAR:
                shop_year = self.shop[target - YEAR] / self.shop_mean(t - YEAR - SCALE_WEEKS, t - YEAR)
            window = min(8, t)
            share = (self.sold[:, t] - self.sold[:, t - window]) / np.maximum(
                self.count[:, t] - self.count[:, t - window], 1
            )
            usual = self.log_price_sum[:, t] / self.price_count[:, t]
            last = self.last_log_price[:, t - 1] if t > 0 else np.full(len(scale), np.nan)
            columns = [
                np.full(len(scale), float(h)),
                *[self.column(t - k) / scale for k in LAGS],
                *[self.window_mean(t, k) / scale for k in MEANS],
                self.window_mean(t, t) / scale,
                share,
                np.minimum(t - 1 - self.last_sale[:, t - 1], YEAR) if t > 0 else np.full(len(scale), float(YEAR)),
                np.minimum(self.count[:, t], 2 * YEAR),
                np.log1p(scale),
                np.nan_to_num(last - usual),
                last_year,
                np.full(len(scale), shop_year),
            ]
        if seasonal:
            week = self.weeks[0] + pd.Timedelta(weeks=target)
            columns.append(np.full(len(scale), float(week.isocalendar().week)))
        return np.column_stack(columns), scale


def bursty_products(units: pd.DataFrame, weeks: int = YEAR) -> list:
    """The products (columns of `units`, weeks as rows) whose busiest tenth of their weeks on sale among the last
    `weeks` sold at least BURST_SHARE of their units there (BURST_MIN_UNITS or more in all), in column order. A
    product's weeks on sale start at its first sale; one on sale for fewer than BURST_MIN_WEEKS is not judged."""
    values = units.fillna(0).to_numpy(dtype=float)
    if not values.size:
        return []
    sold = values > 0
    first = np.where(sold.any(axis=0), sold.argmax(axis=0), len(values))
    start = np.maximum(first, len(values) - weeks)
    found = []
    for column, product in enumerate(units.columns):
        life = values[start[column] :, column]
        if len(life) < BURST_MIN_WEEKS or life.sum() < BURST_MIN_UNITS:
            continue
        busiest = np.sort(life)[::-1][: max(1, len(life) // 10)].sum()
        if busiest >= BURST_SHARE * life.sum():
            found.append(product)
    return found
