"""A pooled gradient-boosting forecast of weekly demand per product for the next weeks, with an interval. Pure
numpy/pandas; scikit-learn is imported inside the functions that use it, so importing this stays cheap. The weeks
and the features' arrays are recommendations/models_ml/demand_weeks.py, the interval
recommendations/models_ml/demand_interval.py.

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
- Interval and median: each product's own ratios of actual to expected units, with the upper end calibrated on the
  latest weeks held out of a second fit (demand_interval.py).
- Spikes: a scaled target above `target_cap` (10 times the recent mean) is clipped in training. Such weeks are
  one-off wholesale orders no feature foresees; unclipped, the Poisson fit overflows on them, and clipping at 10
  removes about 5 % of the units on Online Retail, so the mean forecast reads a little low (it is the regular
  demand). Lower caps win WAPE by forecasting lower (cap 3: -15 % bias on a validation origin).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from recommendations.models_ml import demand_interval
from recommendations.models_ml.demand_weeks import YEAR, Panel, WeeklyDemand
from recommendations.models_ml.weighted_bins import Binned

# The fewest weeks a calibration fit learns from (as the family asks of any fit: a horizon and four more).
MIN_CALIBRATION_WEEKS = 4


def limited_threads(threads: int | None):
    """A context capping OpenMP and BLAS threads. threadpoolctl only caps libraries already loaded, so scikit-learn's
    gradient boosting (and its OpenMP runtime) is imported first."""
    import sklearn.ensemble  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)


def sampling_rate(scales: np.ndarray, rows: int) -> float:
    """The rate c at which rows kept with the chance min(1, c * scale) number `rows` in expectation (infinite, every
    row kept, when there are no more than that)."""
    if len(scales) <= rows:
        return np.inf
    ordered = np.sort(scales)[::-1]
    # With the j largest kept for sure: j + c * (the sum of the others) = rows, and c * ordered[j] <= 1.
    rest = np.cumsum(ordered[::-1])[::-1]
    sure = np.arange(min(rows, len(ordered)))
    rate = (rows - sure) / np.maximum(rest[sure], 1e-12)
    fits = np.flatnonzero(rate * ordered[sure] <= 1)
    return float(rate[fits[0]]) if len(fits) else np.inf


class _Rows:
    """Training rows gathered block by block (one block per origin and horizon): features (float32: the trees bin
    the values anyway, and it halves the memory), units, scale, the chance each row was kept with, and its
    product's position."""

    def __init__(self):
        self.parts: list[tuple] = []

    def add(self, x, units, scale, chance, keep) -> None:
        chance = np.broadcast_to(chance, keep.shape)
        self.parts.append((x[keep].astype(np.float32), units[keep], scale[keep], chance[keep], np.flatnonzero(keep)))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate(column) for column in zip(*self.parts, strict=True))


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


# What a fit sets (see `_fit`).
FIT_STATE = ("models", "ratios", "pooled_ratios", "training_rows", "clipped_share", "seasonal_used", "empty_features")


@dataclass
class DemandForecaster:
    """Pooled direct multi-horizon forecaster of weekly units (see the module docstring).

    `horizon`: weeks ahead (4..12 in the product). `quantiles`: the interval's lower and upper quantiles; the median
    is fitted too. `train_origins`: how many of the latest origins with a whole horizon after them give training
    rows (one per product and horizon; the later origins give the shorter horizons too). `max_rows` caps the rows of
    the mean model by a seeded sample in proportion to units: a row is kept with a chance proportional to its
    product's scale (at most 1), and weighted by the inverse of that chance, so the fit still minimises the error in
    units of every row while a slow seller's many rows, each worth little in units, are thinned out. A plain
    sample of that size, every row alike, lost accuracy (3 points of WAPE on Online Retail at 200 thousand rows
    instead of a million). `interval_rows` caps the rows the interval's residuals come from (a plain sample: a slow
    seller's range needs its residuals as much as a fast seller's). `seasonal`: week-of-year feature (None: when the
    history spans a year plus the horizon).
    `calibrate`: scale the interval's ends on the latest `horizon` weeks held out of a second fit
    (demand_interval.py), which doubles the fitting time; `lower_scale` and `upper_scale` are the factors found
    (1.0 uncalibrated).
    `target_cap`: see the module docstring. `threads` caps OpenMP threads while fitting and predicting (None: the
    library default): on a busy 2-core box one thread fitted 2 to 5 times faster than two, which spent their time
    waiting for each other; a dedicated many-core worker may pass None.
    """

    horizon: int = 8
    quantiles: tuple[float, float] = (0.1, 0.9)
    train_origins: int = 52
    max_rows: int = 200_000
    interval_rows: int = 300_000
    interval_prior: float = 40.0
    seasonal: bool | None = None
    target_cap: float = 10.0
    # 100 boosting rounds: the same total WAPE as 150 on Online Retail (.452) and the 100k bench (.180 vs .184),
    # two thirds of the time.
    max_iter: int = 100
    random_state: int = 0
    threads: int | None = 1
    calibrate: bool = True
    lower_scale: float = 1.0
    upper_scale: float = 1.0
    total_rho: float = 1.0  # how the weeks' misses add up in a total (demand_interval.total_range); 1: summed
    models: dict = field(default_factory=dict, repr=False)
    ratios: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    pooled_ratios: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    seconds: dict = field(default_factory=dict)
    training_rows: int = 0
    clipped_share: float = 0.0
    seasonal_used: bool = False
    empty_features: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64), repr=False)
    # Fits already made in this run, by their weeks and settings (see `_fit`); None: every fit is made afresh.
    memo: dict | None = field(default=None, repr=False, compare=False)

    def _seasonal(self, weeks: int) -> bool:
        """Whether the week-of-year feature is used on a history of `weeks` weeks."""
        return self.seasonal if self.seasonal is not None else weeks >= YEAR + self.horizon

    def fit(self, demand: WeeklyDemand) -> DemandForecaster:
        """Learn from the latest origins (see `train_origins`), each paired with the weeks after it that are known,
        then calibrate the interval (`calibrate`)."""
        with limited_threads(self.threads):
            self._fit(demand)
            started = time.perf_counter()
            scales = self._calibration(demand) if self.calibrate else (1.0, 1.0, 1.0)
            self.lower_scale, self.upper_scale, self.total_rho = scales
            self.seconds["calibrate"] = round(time.perf_counter() - started, 3)
        return self

    def _calibration(self, demand: WeeklyDemand) -> tuple[float, float, float]:
        """The lower and upper ends' factors and the totals' rho: a model like this one fitted without the latest
        `horizon` weeks forecasts them; demand_interval.end_scales finds the factors that leave at most 10 % of the
        weeks below the range and put 80 % inside, and total_rho the rho that puts 80 % of the products' totals over
        those weeks inside ((1.0, 1.0, 1.0) when the history is too short to hold weeks out, or no product sells in
        most weeks)."""
        weeks = demand.units.index
        if len(weeks) < 2 * self.horizon + MIN_CALIBRATION_WEEKS:
            return 1.0, 1.0, 1.0
        before = demand.before(weeks[-self.horizon])
        products = demand_interval.calibration_products(before.units)
        if not len(products):
            return 1.0, 1.0, 1.0
        held_out = replace(self, calibrate=False, lower_scale=1.0, upper_scale=1.0)._fit(before)
        grid = held_out._predict(before, products).pivot(index="product", columns="horizon").reindex(products)
        actual = demand.units.loc[weeks[-self.horizon :], products].fillna(0).to_numpy().T
        lower, median, upper, forecast = (grid[c].to_numpy() for c in ("lower", "median", "upper", "forecast"))
        low_scale, high_scale = demand_interval.end_scales(actual, lower, median, upper, forecast)
        lower = demand_interval.scaled_lower(median, lower, forecast, low_scale)
        upper = demand_interval.scaled_upper(median, upper, forecast, high_scale)
        return low_scale, high_scale, demand_interval.total_rho(actual, lower, upper, forecast)

    def _fit(self, demand: WeeklyDemand) -> DemandForecaster:
        """Fit on `demand`, or take the fit a run already made on the same weeks with the same settings (`memo`):
        a rolling backtest's calibration fits repeat its earlier origins' fits, and the final fit's calibration
        repeats the latest origin's."""
        key = (*demand.units.index[[0, -1]], demand.units.shape, self.horizon, self.train_origins, self.max_rows)
        key += (self.interval_rows, self.interval_prior, self.seasonal, self.target_cap, self.max_iter)
        key += (self.random_state, self.quantiles)
        done = self.memo.get(key) if self.memo is not None and len(demand.units) else None
        if done is not None:
            for name in FIT_STATE:
                setattr(self, name, getattr(done, name))
            self.seconds = {"reused": 0.0}
            return self
        self._train(demand)
        if self.memo is not None and len(demand.units):
            self.memo[key] = replace(self, memo=None)
        return self

    def __getstate__(self) -> dict:
        return {**self.__dict__, "memo": None}  # a saved model carries none of its run's other fits

    def _train(self, demand: WeeklyDemand) -> DemandForecaster:
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
        every_scale = np.concatenate([panel.scale(t)[e] for (t, _), e in zip(pairs, eligible, strict=True)])
        if not len(every_scale):
            raise ValueError("demand needs at least two weeks of history")
        # The model's rows: each kept with a chance in proportion to its scale (capped at 1) and weighted by the
        # inverse of its chance (see `max_rows`). The interval's rows: a plain sample of every product's rows, so
        # that a slow seller has as many residuals as a fast one.
        rate = sampling_rate(every_scale, self.max_rows)
        spread_share = min(1.0, self.interval_rows / len(every_scale))
        rng = np.random.default_rng(self.random_state)
        fit, spread = _Rows(), _Rows()
        for (t, h), keep in zip(pairs, eligible, strict=True):
            x, scale = panel.features(t, h, self.seasonal_used)
            chance = np.minimum(rate * scale, 1.0)
            units = panel.y[:, t + h - 1]
            fit.add(x, units, scale, chance, keep & (rng.random(len(keep)) < chance))
            spread.add(x, units, scale, 1.0, keep & (rng.random(len(keep)) < spread_share))
        x, units, w, chance, _ = fit.arrays()
        y = units / w
        # The share of the units that the cap removes (each row standing for 1 / chance rows): the spikes the mean
        # forecast leaves out.
        removed = np.maximum(y - self.target_cap, 0) * w / chance
        self.clipped_share = float(removed.sum() / max((units / chance).sum(), 1e-12))
        y = np.minimum(y, self.target_cap)
        # A feature with no value at all (the year-ago ones, on less than a year of history) is zeroed, here and
        # when predicting: scikit-learn's binning cannot handle an all-missing column.
        self.empty_features = np.flatnonzero(np.isnan(x).all(axis=0))
        x[:, self.empty_features] = 0
        self.training_rows = len(y)
        self.seconds = {"features": round(time.perf_counter() - started, 3)}
        step = time.perf_counter()
        mean = Binned(_hgb("poisson", None, self.max_iter, self.random_state))
        self.models = {"mean": mean.fit(x, y, sample_weight=w / chance)}
        self.seconds["fit_mean"] = round(time.perf_counter() - step, 3)
        step = time.perf_counter()
        # Residuals against the unclipped units (a product's spikes widen its own range, not the mean).
        x, units, w, _, owner = spread.arrays()
        x[:, self.empty_features] = 0
        expected = np.maximum(mean.predict(x), 0) * w
        self.ratios, self.pooled_ratios = demand_interval.fit_ratios(
            panel.products[owner], units, expected, self.levels
        )
        self.seconds["fit_interval"] = round(time.perf_counter() - step, 3)
        return self

    @property
    def levels(self) -> tuple[float, ...]:
        """The interval's lower end, the median and its upper end, as quantiles."""
        return (self.quantiles[0], 0.5, self.quantiles[1])

    def interval(self, products, expected: np.ndarray) -> dict[float, np.ndarray]:
        """The lower end, median and upper end ({quantile: units}) for `products` with `expected` units, before
        calibration (demand_interval.blended)."""
        return demand_interval.blended(
            self.ratios, self.pooled_ratios, products, expected, self.levels, self.interval_prior
        )

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
            lower = demand_interval.scaled_lower(
                out[0.5], np.minimum(out[self.quantiles[0]], mean), mean, self.lower_scale
            )
            upper = demand_interval.scaled_upper(
                out[0.5], np.maximum(out[self.quantiles[1]], mean), mean, self.upper_scale
            )
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


def what_will_sell(forecasts: pd.DataFrame, weeks: int = 4, top: int = 50, rho: float = 1.0) -> pd.DataFrame:
    """The managers' list: products by forecast units over the next `weeks`, with the range of each total
    (demand_interval.total_range with the forecaster's `total_rho`; 1.0 sums the weeks' ends, a cautious range)."""
    near = forecasts[forecasts["horizon"] <= weeks]
    total = near.groupby("product")[["forecast"]].sum()
    for end, distance in (("lower", near["forecast"] - near["lower"]), ("upper", near["upper"] - near["forecast"])):
        distance = distance.clip(lower=0)
        sums = pd.DataFrame({"d": distance, "d2": distance**2}).groupby(near["product"]).sum()
        reach = demand_interval.spread(sums["d"], sums["d2"], rho)
        total[end] = np.maximum(total["forecast"] - reach, 0) if end == "lower" else total["forecast"] + reach
    return total.sort_values("forecast", ascending=False).head(top).reset_index()
