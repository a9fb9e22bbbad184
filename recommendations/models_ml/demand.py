"""Weekly demand per product, and a pooled gradient-boosting forecast of it for the next weeks with an interval.
Pure numpy/pandas; scikit-learn is imported inside the functions that use it, so importing this stays cheap.

Weeks run Monday to Sunday and are labelled by their Monday. Only whole weeks are kept (a partial first or last week
would read as a fall in demand). Before a product's first sale its weeks are missing (NaN), not zero: it was not on
sale, and a run of zeros would teach the model that new products start dead. After that, a week without a sale is 0.

The model (`DemandForecaster`):
- Pooled: one model for all products, so a product with a short or noisy history borrows the shape of the others.
- Scale-free: every quantity of a product (lags, means, the target) is divided by its scale, the mean weekly demand of
  its last 13 weeks at the forecast origin (falling back to its mean since the first sale, then to 1). A product
  selling 2 a week and one selling 2,000 then look alike, and the log of the scale is a feature of its own.
- Direct, not recursive: the horizon (1..H weeks ahead) is a feature, and each training row pairs what was known at
  an origin with the demand h weeks later. Recursion would feed forecasts back as lags and compound their errors.
- Features at an origin: lags 1, 2, 4 and 8 weeks, means of the last 4, 8 and 26 weeks and since the first sale,
  the share of the last 8 weeks with a sale, weeks since the last sale, age; price relative to the product's usual
  price (the last price seen against the mean log price so far: a future price is not known, so the last one is
  assumed to hold); the demand 52 weeks before the target week and how the shop's total moved over the same weeks
  a year earlier, where a year of history exists; and the target's week of year once the history spans a year plus
  the horizon (before that it is only a time index the trees would extrapolate flat). The shop's recent momentum
  (4 weeks against 13) was tried and left out: spike weeks make it noise, and it did not help on a validation origin.
- Loss: Poisson deviance for the point forecast (the expected units: non-negative, and right in total, which is
  what stock is bought for), weighted by the scale so that the fit minimises errors in units, as WAPE counts them.
- Interval and median: from each product's own variability around the model. Over the training rows, each row's
  ratio of actual to expected units is a residual of that product; the 10th, 50th and 90th percentiles of a
  product's ratios, shrunk towards the ratios of all products with a like expected level when the product has
  few rows (`interval_prior` rows' worth), multiply its expected units. A steady seller gets a narrow range, a
  lumpy one a wide range that may start at 0 only when a tenth of its weeks had no sale. One pooled quantile
  model (tried first) gave every product the same relative spread: steady sellers' ranges were too wide and
  lumpy ones' too narrow.
- Spikes: a scaled target above `target_cap` (10 times the recent mean) is clipped in training. Such weeks are
  one-off wholesale orders no feature foresees; unclipped, the Poisson fit overflows on them, and clipping at 10
  removes about 5 % of the units on Online Retail, so the mean forecast reads a little low (it is the regular
  demand). Lower caps win WAPE by forecasting lower (cap 3: -15 % bias on a validation origin).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

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
# The interval's residuals: ratios of actual to expected units, pooled by band of expected units per week (a product
# expected to sell 0.3 a week has a far wider ratio spread than one expected to sell 300), and a floor on the
# expected units a ratio is taken against (a product expected to sell nothing that sells 3 is not a ratio of 3e12).
BANDS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
RATIO_FLOOR = 0.05


def _band(expected: np.ndarray) -> np.ndarray:
    """The band (0..len(BANDS)) of each expected weekly units."""
    return np.searchsorted(BANDS, expected, side="right")


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


def limited_threads(threads: int | None):
    """A context capping OpenMP and BLAS threads. threadpoolctl only caps libraries already loaded, so scikit-learn's
    gradient boosting (and its OpenMP runtime) is imported first."""
    import sklearn.ensemble  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)


def _hgb(loss: str, quantile: float | None, max_iter: int, random_state: int):
    """A histogram gradient-boosting regressor with this module's settings."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    extra = {"quantile": quantile} if loss == "quantile" else {}
    # Fixed iterations, no early stopping: the same data gives the same model, and a held-out tail would be the
    # most recent weeks, the very ones most worth learning from.
    return HistGradientBoostingRegressor(
        loss=loss,
        learning_rate=0.1,
        max_iter=max_iter,
        max_leaf_nodes=31,
        min_samples_leaf=50,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=random_state,
        **extra,
    )


@dataclass
class DemandForecaster:
    """Pooled direct multi-horizon forecaster of weekly units (see the module docstring).

    `horizon`: weeks ahead (4..12 in the product). `quantiles`: the interval's lower and upper quantiles; the median
    is fitted too. `train_origins`: how many of the latest origins with a whole horizon after them give training
    rows (one per product and horizon; the later origins give the shorter horizons too). `max_rows` caps the rows of
    the mean model by a seeded random sample (fewer cost accuracy: 200 thousand instead of a million lost 3 points of
    WAPE on Online Retail), `interval_rows` those of the three quantile models, whose loss is slower and whose answer
    needs less precision, and `interval_iter` their boosting iterations (fewer than the mean model's: an interval's
    ends move little after the first fifty). `seasonal`: week-of-year feature (None: when the history spans a year
    plus the horizon).
    `target_cap`: see the module docstring. `threads` caps OpenMP threads while fitting and predicting (None: the
    library default): on a busy 2-core box one thread fitted 2 to 5 times faster than two, which spent their time
    waiting for each other; a dedicated many-core worker may pass None.
    """

    horizon: int = 8
    quantiles: tuple[float, float] = (0.1, 0.9)
    train_origins: int = 52
    max_rows: int = 1_000_000
    interval_rows: int = 300_000
    interval_prior: float = 40.0
    seasonal: bool | None = None
    target_cap: float = 10.0
    max_iter: int = 150
    random_state: int = 0
    threads: int | None = 1
    models: dict = field(default_factory=dict, repr=False)
    ratios: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    pooled_ratios: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    seconds: dict = field(default_factory=dict)
    training_rows: int = 0
    clipped_share: float = 0.0
    seasonal_used: bool = False
    empty_features: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64), repr=False)

    def _seasonal(self, weeks: int) -> bool:
        """Whether the week-of-year feature is used on a history of `weeks` weeks."""
        return self.seasonal if self.seasonal is not None else weeks >= YEAR + self.horizon

    def fit(self, demand: WeeklyDemand) -> DemandForecaster:
        """Learn from the latest origins (see `train_origins`), each paired with the weeks after it that are known."""
        with limited_threads(self.threads):
            return self._fit(demand)

    def _fit(self, demand: WeeklyDemand) -> DemandForecaster:
        started = time.perf_counter()
        panel = Panel(demand)
        weeks = panel.y.shape[1]
        self.seasonal_used = self._seasonal(weeks)
        pairs = [
            (t, h)
            for t in range(max(1, weeks - self.train_origins - self.horizon + 1), weeks)
            for h in range(1, min(self.horizon, weeks - t) + 1)
        ]
        # Rows are sampled block by block, so memory follows `max_rows`, not products x origins x horizons.
        eligible = [((panel.count[:, t] > 0) & ~np.isnan(panel.y[:, t + h - 1])) for t, h in pairs]
        share = min(1.0, self.max_rows / max(sum(int(e.sum()) for e in eligible), 1))
        rng = np.random.default_rng(self.random_state)
        blocks, targets, weights, owners = [], [], [], []
        for (t, h), keep in zip(pairs, eligible, strict=True):
            keep = keep & (rng.random(len(keep)) < share) if share < 1 else keep
            x, scale = panel.features(t, h, self.seasonal_used)
            # float32 halves the memory of the rows; the trees bin the values anyway.
            blocks.append(x[keep].astype(np.float32))
            targets.append(panel.y[keep, t + h - 1] / scale[keep])
            weights.append(scale[keep])
            owners.append(np.flatnonzero(keep))
        if not sum(len(b) for b in blocks):
            raise ValueError("demand needs at least two weeks of history")
        x, y, w = np.concatenate(blocks), np.concatenate(targets), np.concatenate(weights)
        owner = np.concatenate(owners)
        # The share of the units (scaled back) that the cap removes: the spikes the mean forecast leaves out.
        self.clipped_share = float((np.maximum(y - self.target_cap, 0) * w).sum() / max((y * w).sum(), 1e-12))
        y_unclipped, y = y, np.minimum(y, self.target_cap)
        # A feature with no value at all (the year-ago ones, on less than a year of history) is zeroed, here and
        # when predicting: scikit-learn's binning cannot handle an all-missing column.
        self.empty_features = np.flatnonzero(np.isnan(x).all(axis=0))
        x[:, self.empty_features] = 0
        self.training_rows = len(y)
        self.seconds = {"features": round(time.perf_counter() - started, 3)}
        step = time.perf_counter()
        mean = _hgb("poisson", None, self.max_iter, self.random_state)
        self.models = {"mean": mean.fit(x, y, sample_weight=w)}
        self.seconds["fit_mean"] = round(time.perf_counter() - step, 3)
        step = time.perf_counter()
        # Residuals against the unclipped units (a product's spikes widen its own range, not the mean), from a
        # seeded sample of the rows: a few dozen per product give its quantiles.
        rows = np.sort(rng.permutation(len(y))[: self.interval_rows])
        expected = np.maximum(mean.predict(x[rows]), 0) * w[rows]
        self._fit_ratios(panel.products[owner[rows]], y_unclipped[rows] * w[rows], expected)
        self.seconds["fit_interval"] = round(time.perf_counter() - step, 3)
        return self

    @property
    def levels(self) -> tuple[float, ...]:
        """The interval's lower end, the median and its upper end, as quantiles."""
        return (self.quantiles[0], 0.5, self.quantiles[1])

    def _fit_ratios(self, products, actual: np.ndarray, expected: np.ndarray) -> None:
        """Each product's quantiles of actual / expected units over its training rows (`ratios`, with the row count),
        and the pooled quantiles per band of expected units (`pooled_ratios`), which a product's own are shrunk to."""
        ratio = actual / np.maximum(expected, RATIO_FLOOR)
        band = _band(expected)
        frame = pd.DataFrame({"product": products, "band": band, "ratio": ratio})
        self.pooled_ratios = frame.groupby("band")["ratio"].quantile(list(self.levels)).unstack()
        self.pooled_ratios = self.pooled_ratios.reindex(range(len(BANDS) + 1)).ffill().bfill()
        own = frame.groupby("product")["ratio"].quantile(list(self.levels)).unstack()
        own["rows"] = frame.groupby("product").size()
        self.ratios = own

    def interval(self, products, expected: np.ndarray) -> dict[float, np.ndarray]:
        """The lower end, median and upper end ({quantile: units}) for `products` with `expected` units: each
        product's own ratio quantiles blended with the pooled ones of its band (module docstring)."""
        own = self.ratios.reindex(products)
        pooled = self.pooled_ratios.to_numpy()[_band(expected)]
        rows = own["rows"].fillna(0).to_numpy()
        weight = rows / (rows + self.interval_prior)
        out = {}
        for i, q in enumerate(self.levels):
            mine = np.nan_to_num(own[q].to_numpy(dtype=float), nan=0.0)
            out[q] = (weight * mine + (1 - weight) * pooled[:, i]) * expected
        return out

    def predict(self, demand: WeeklyDemand, products=None) -> pd.DataFrame:
        """Forecasts from the end of `demand` for the next `horizon` weeks, one row per product and week: product,
        week (its Monday), horizon, forecast (expected units), median, lower, upper. Products that have never sold
        are left out. The interval is widened to hold the forecast where the mean lies outside the quantiles (a
        lumpy product's mean can exceed its 90th percentile), since a page shows them together."""
        with limited_threads(self.threads):
            return self._predict(demand, products)

    def _predict(self, demand: WeeklyDemand, products) -> pd.DataFrame:
        started = time.perf_counter()
        panel = Panel(demand)
        t = panel.y.shape[1]
        chosen = np.ones(len(panel.products), dtype=bool) if products is None else panel.products.isin(products)
        chosen &= panel.count[:, t] > 0
        frames = []
        for h in range(1, self.horizon + 1):
            x, scale = panel.features(t, h, self.seasonal_used)
            x, scale = x[chosen], scale[chosen]
            x[:, self.empty_features] = 0
            mean = np.maximum(self.models["mean"].predict(x), 0) * scale
            out = self.interval(panel.products[chosen], mean)
            lower = np.minimum(out[self.quantiles[0]], mean)
            upper = np.maximum(out[self.quantiles[1]], mean)
            frames.append(
                pd.DataFrame(
                    {
                        "product": panel.products[chosen],
                        "week": panel.weeks[-1] + pd.Timedelta(weeks=h) if t else pd.NaT,
                        "horizon": h,
                        "forecast": mean,
                        "median": out[0.5],
                        "lower": lower,
                        "upper": upper,
                    }
                )
            )
        self.seconds["predict"] = round(time.perf_counter() - started, 3)
        return pd.concat(frames, ignore_index=True).sort_values(["product", "horizon"], ignore_index=True)


def forecast(demand: WeeklyDemand, horizon: int = 8, **options) -> pd.DataFrame:
    """Fit a `DemandForecaster` on all of `demand` and forecast the `horizon` weeks after it."""
    return DemandForecaster(horizon=horizon, **options).fit(demand).predict(demand)


def what_will_sell(forecasts: pd.DataFrame, weeks: int = 4, top: int = 50) -> pd.DataFrame:
    """The managers' list: products by forecast units over the next `weeks`, with the weeks' interval ends summed.
    Summed quantiles are exact when the weeks' errors move together and too wide when they do not: a cautious
    range."""
    near = forecasts[forecasts["horizon"] <= weeks]
    total = near.groupby("product")[["forecast", "lower", "upper"]].sum()
    return total.sort_values("forecast", ascending=False).head(top).reset_index()
