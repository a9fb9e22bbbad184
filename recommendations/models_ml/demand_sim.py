"""A seeded simulator of weekly product demand with known structure, for tests and benchmarks: each product has a
level, a yearly season (most peak in November, some in summer), a slow trend, price promotions that lift demand by
a known elasticity, and gamma-Poisson (negative binomial) noise; some products start part-way through. Pure numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommendations.models_ml.demand_weeks import YEAR, WeeklyDemand


def simulate_demand(
    products: int = 200,
    weeks: int = 156,
    seed: int = 0,
    start: str = "2021-01-04",
    amplitude: tuple[float, float] = (0.3, 0.8),
    dispersion: float | tuple[float, float] = 5.0,
    new_share: float = 0.2,
    promo_rate: float = 0.08,
    elasticity: float = -2.0,
    level: float = 5.0,
) -> WeeklyDemand:
    """Weekly units and prices of `products` over `weeks` weeks from the Monday `start`.

    Expected units of product i in week w: level_i * (1 + A_i cos(2 pi (week_of_year - peak_i) / 52)) * exp(g_i w)
    * (price / base price)^elasticity, with level_i log-normal around `level`, A_i uniform in `amplitude`, peak_i
    week 47 for seven products in ten and week 26 for the rest, g_i ~ N(0, 0.002). A week is on promotion (price cut
    15-30 %) with probability `promo_rate`. Units are negative binomial around the expectation (variance mu +
    mu^2 / dispersion; a (low, high) pair gives each product its own, log-uniform between them). A `new_share` of
    products start at a random week in the first half (missing before).
    """
    rng = np.random.default_rng(seed)
    monday = pd.Timestamp(start)
    index = pd.date_range(monday - pd.Timedelta(days=monday.day_of_week), periods=weeks, freq="7D")
    week_of_year = np.asarray(index.isocalendar().week, dtype=float)
    levels = level * rng.lognormal(0, 0.8, products)
    amplitudes = rng.uniform(*amplitude, products)
    peaks = np.where(rng.random(products) < 0.7, 47.0, 26.0)
    trends = rng.normal(0, 0.002, products)
    base_price = rng.lognormal(np.log(5), 0.5, products)

    season = 1 + amplitudes[:, None] * np.cos(2 * np.pi * (week_of_year[None, :] - peaks[:, None]) / YEAR)
    growth = np.exp(trends[:, None] * np.arange(weeks)[None, :])
    cut = np.where(rng.random((products, weeks)) < promo_rate, rng.uniform(0.7, 0.85, (products, weeks)), 1.0)
    price = base_price[:, None] * cut
    mu = levels[:, None] * season * growth * cut**elasticity
    if isinstance(dispersion, tuple):
        own = np.exp(rng.uniform(np.log(dispersion[0]), np.log(dispersion[1]), products))[:, None]
    else:
        own = np.full((products, 1), float(dispersion))
    units = rng.poisson(rng.gamma(own, mu / own)).astype(float)

    starts = np.where(rng.random(products) < new_share, rng.integers(0, weeks // 2, products), 0)
    before = np.arange(weeks)[None, :] < starts[:, None]
    units[before] = np.nan
    price = np.where(units > 0, price, np.nan)
    columns = pd.Index(np.arange(1, products + 1), name="product")
    return WeeklyDemand(
        units=pd.DataFrame(units.T, index=index.rename("week"), columns=columns),
        price=pd.DataFrame(price.T, index=index.rename("week"), columns=columns),
    )
