"""The demand forecast's interval: from each product's own variability around the model, then calibrated on weeks
the model did not see. Pure numpy/pandas.

- Ratios: over the training rows, each row's ratio of actual to expected units is a residual of that product; the
  10th, 50th and 90th percentiles of a product's ratios at the level it is expected to sell at (its rows in the same
  band of expected units), shrunk towards the ratios of all products in that band when the product has few rows
  there (`prior` rows' worth), multiply its expected units. A line that sold nothing most weeks for a year and now
  sells ten a week is judged by its weeks at ten, not by its quiet year's ratios. A steady seller
  gets a narrow range, a lumpy one a wide range that may start at 0 only when a tenth of its weeks had no sale. One
  pooled quantile model (tried first) gave every product the same relative spread: steady sellers' ranges were too
  wide and lumpy ones' too narrow.
- Calibration (`lower_scale`, `upper_scale`): residuals of the rows a model was fitted on are not those of the
  weeks it forecasts, and units are whole numbers: a product expected to sell 1 a week has a 10th percentile of 0,
  so no week falls below its range, and an upper end of 2.1 holds every week of 2. Such ranges held 88 % of the
  weeks instead of 80 % on the demo shop. So the model is fitted once more without the latest `horizon` weeks,
  forecasts them, and the distance from the median to the lower end is scaled by the factor that leaves 10 % of
  those weeks below the range, then the distance to the upper end by the one that puts 80 % inside (split conformal
  calibration, on the products the backtest scores: those sold in most weeks). The lower end first: a model that
  forecast the held-out weeks too high misses below, which no upper end can make up for; the upper end then makes up
  for a lower end of 0, which cannot miss.
- Totals over several weeks (`total_range`): summing the weeks' ends would assume every week misses the same way,
  which gives a 4-week range from 0 for a product selling 3 a week (no single week is sure to sell, four weeks
  are). The distances from the forecast to each end combine as sqrt(rho (sum d)^2 + (1 - rho) sum d^2): rho 1 is
  the sum (weeks that move together), rho 0 independent weeks. `total_rho` finds, on the same held-out weeks as
  `upper_scale`, the smallest rho that puts 80 % of the products' totals inside.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd  # imported where a frame is built: the pages read `spread` without loading pandas

# The interval's residuals: ratios of actual to expected units, pooled by band of expected units per week (a product
# expected to sell 0.3 a week has a far wider ratio spread than one expected to sell 300), and a floor on the
# expected units a ratio is taken against (a product expected to sell nothing that sells 3 is not a ratio of 3e12).
BANDS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
RATIO_FLOOR = 0.05
# The share of held-out weeks the calibrated interval should hold: the 10th to 90th percentile's nominal share.
TARGET_COVERAGE = 0.8
# The products calibration looks at: sold in at least 60 % of the weeks before the held-out ones, or in
# MAX_ACTIVE_WEEKS of them (as the backtest chooses the products it scores).
MAX_ACTIVE_WEEKS = 26
MAX_SCALE = 4.0


def band(expected: np.ndarray) -> np.ndarray:
    """The band (0..len(BANDS)) of each expected weekly units."""
    return np.searchsorted(BANDS, expected, side="right")


def fit_ratios(products, actual: np.ndarray, expected: np.ndarray, levels) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each product's quantiles (`levels`) of actual / expected units over its rows in each band of expected units,
    with the row count (indexed by product and band), and the pooled quantiles per band, which a product's own are
    shrunk to. By band, because a product's spread depends on the level it sells at: a line that sold nothing for a
    year and now sells ten a week must not carry its quiet year's ratios (0, 0, 8) into its range today."""
    import pandas as pd

    ratio = actual / np.maximum(expected, RATIO_FLOOR)
    frame = pd.DataFrame({"product": products, "band": band(expected), "ratio": ratio})
    pooled = frame.groupby("band")["ratio"].quantile(list(levels)).unstack()
    pooled = pooled.reindex(range(len(BANDS) + 1)).ffill().bfill()
    grouped = frame.groupby(["product", "band"])["ratio"]
    own = grouped.quantile(list(levels)).unstack()
    own["rows"] = grouped.size()
    return own, pooled


def blended(own: pd.DataFrame, pooled: pd.DataFrame, products, expected: np.ndarray, levels, prior: float) -> dict:
    """{level: units} for `products` with `expected` units: each product's own ratio quantiles at the band of
    `expected` blended with the pooled ones of that band, weighted by its rows there against `prior`. (`own`
    indexed by product alone, as models fitted before the bands have it, is read as one band.)"""
    import pandas as pd

    bands = band(expected)
    if isinstance(own.index, pd.MultiIndex):
        mine_all = own.reindex(pd.MultiIndex.from_arrays([np.asarray(products), bands]))
    else:
        mine_all = own.reindex(products)
    pooled_rows = pooled.to_numpy()[bands]
    rows = mine_all["rows"].fillna(0).to_numpy()
    weight = rows / (rows + prior)
    out = {}
    for i, q in enumerate(levels):
        mine = np.nan_to_num(mine_all[q].to_numpy(dtype=float), nan=0.0)
        out[q] = (weight * mine + (1 - weight) * pooled_rows[:, i]) * expected
    return out


def scaled_upper(median: np.ndarray, upper: np.ndarray, forecast: np.ndarray, scale: float) -> np.ndarray:
    """The upper end `scale` times as far above the median, and never below the forecast (a page shows them
    together)."""
    return np.maximum(median + scale * np.maximum(upper - median, 0), forecast)


def scaled_lower(median: np.ndarray, lower: np.ndarray, forecast: np.ndarray, scale: float) -> np.ndarray:
    """The lower end `scale` times as far below the median, never below 0 nor above the forecast."""
    return np.minimum(np.maximum(median - scale * np.maximum(median - lower, 0), 0), forecast)


def end_scales(actual, lower, median, upper, forecast, target: float = TARGET_COVERAGE) -> tuple[float, float]:
    """The factors on the distances from the median to the lower and to the upper end (arrays of one shape): the
    lower end's leaves at most half of 1 - `target` of the `actual` cells below the range, then the upper end's puts
    `target` of them inside; for each the smallest that does, found by bisection (the share outside only falls as
    it grows), at most MAX_SCALE. The lower end first and on its own, because a model's misses need not fall
    evenly: when the held-out weeks sold less than forecast, a fifth of them fell below the lower end, and widening
    only the upper end to hold 80 % of the weeks took it to MAX_SCALE, a range as wide as the forecast itself that
    then held 94 % of the next weeks. The upper end makes up for a lower end that cannot miss (0, below which no
    week falls). (1.0, 1.0) when there is nothing to calibrate on."""
    actual = np.asarray(actual, dtype=float)
    if not actual.size:
        return 1.0, 1.0

    def smallest(share_outside, most: float) -> float:
        most += 1e-9  # 1 - 0.8 is 0.19999999999999996 in floats: one week in ten must count as a tenth
        low, high = 0.0, MAX_SCALE
        if share_outside(high) > most:
            return high
        for _ in range(30):
            middle = (low + high) / 2
            low, high = (middle, high) if share_outside(middle) > most else (low, middle)
        return round(high, 4)

    low_scale = smallest(lambda scale: float((actual < scaled_lower(median, lower, forecast, scale)).mean()),
                         (1 - target) / 2)  # fmt: skip
    lower = scaled_lower(median, lower, forecast, low_scale)

    def outside(scale: float) -> float:
        return float(((actual < lower) | (actual > scaled_upper(median, upper, forecast, scale))).mean())

    return low_scale, smallest(outside, 1 - target)


def calibration_products(units: pd.DataFrame) -> pd.Index:
    """The products calibration looks at (see MAX_ACTIVE_WEEKS)."""
    needed = max(1, min(MAX_ACTIVE_WEEKS, len(units) * 3 // 5))
    return units.columns[(units > 0).sum().to_numpy() >= needed]


def total_range(forecast, lower, upper, rho: float, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """The ends of the interval of a total over weeks (along `axis`) from each week's forecast and interval ends,
    with the weeks' misses correlated by `rho` (module doc); the lower end never below 0."""
    forecast, lower, upper = (np.asarray(a, dtype=float) for a in (forecast, lower, upper))
    total = forecast.sum(axis=axis)
    below, above = np.maximum(forecast - lower, 0), np.maximum(upper - forecast, 0)
    return (
        np.maximum(total - spread(below.sum(axis=axis), (below**2).sum(axis=axis), rho), 0),
        total + spread(above.sum(axis=axis), (above**2).sum(axis=axis), rho),
    )


def spread(distance_sum, squares_sum, rho: float):
    """sqrt(rho (sum d)^2 + (1 - rho) sum d^2): the total's distance to one end (module doc)."""
    distance_sum, squares_sum = np.asarray(distance_sum, dtype=float), np.asarray(squares_sum, dtype=float)
    return np.sqrt(np.maximum(rho * distance_sum**2 + (1 - rho) * squares_sum, 0))


def total_rho(actual, lower, upper, forecast, target: float = TARGET_COVERAGE) -> float:
    """The smallest rho (0..1) whose total ranges hold `target` of the products' totals over the weeks of `actual`
    (products x weeks, like the other arrays); 1.0 (the plain sum) when even that holds fewer, or there is nothing
    to calibrate on."""
    actual = np.asarray(actual, dtype=float)
    if not actual.size:
        return 1.0
    totals = actual.sum(axis=1)

    def coverage(rho: float) -> float:
        low, high = total_range(forecast, lower, upper, rho)
        return float(((totals >= low) & (totals <= high)).mean())

    if coverage(1.0) < target:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(20):
        middle = (low + high) / 2
        low, high = (middle, high) if coverage(middle) < target else (low, middle)
    return round(high, 4)
