"""Customers simulated from known BG/NBD and Gamma-Gamma parameters: the known answer that the fitters' tests and
the benchmarks recover. Pure numpy; seeded, so the same seed gives the same customers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def _purchase_times(rng, n, r, alpha, a, b, horizon, keep=None, peak=1.0):
    """Repeat purchase times per customer under BG/NBD over (0, horizon]: (owner, time) arrays, sorted.

    Each customer has a purchase rate lambda ~ Gamma(r, rate alpha) and a dropout probability p ~ Beta(a, b);
    purchases arrive as a Poisson process and after each repeat purchase the customer leaves with probability p,
    so a customer makes at most Geometric(p) repeat purchases (the last is the one after which they leave).
    With `keep(owner, time)`, the chance (at most 1) of keeping each arrival of a process `peak` times as fast,
    the rate varies in time as peak x keep (thinning); dropout then follows the purchases kept."""
    rate = rng.gamma(r, 1 / alpha, n) * peak
    dropout = rng.beta(a, b, n)
    lifetime_purchases = rng.geometric(np.clip(dropout, 1e-12, 1))
    arrivals = rng.poisson(rate * horizon)
    owner = np.repeat(np.arange(n), arrivals)
    times = rng.uniform(0, 1, owner.size) * horizon[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    if keep is not None:
        kept = rng.uniform(0, 1, owner.size) < keep(owner, times)
        owner, times = owner[kept], times[kept]
        arrivals = np.bincount(owner, minlength=n)
    # Rank of each arrival within its customer: the customer makes only the first `lifetime_purchases` of them.
    rank = np.arange(owner.size) - np.concatenate([[0], np.cumsum(arrivals)[:-1]])[owner]
    made = rank < lifetime_purchases[owner]
    return owner[made], times[made]


def simulate_bgnbd(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: np.ndarray | float,
    holdout: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """n customers from BG/NBD, each first buying at time 0 and observed for T, then for `holdout` more.

    Returns x, t_x, T (calibration) and x_holdout (purchases in (T, T + holdout]), in the unit of alpha."""
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    owner, times = _purchase_times(rng, n, r, alpha, a, b, T + holdout)
    in_calibration = times <= T[owner]
    x = np.bincount(owner[in_calibration], minlength=n).astype(float)
    t_x = np.zeros(n)
    np.maximum.at(t_x, owner[in_calibration], times[in_calibration])
    x_holdout = np.bincount(owner[~in_calibration], minlength=n).astype(float)
    return pd.DataFrame({"x": x, "t_x": t_x, "T": T, "x_holdout": x_holdout})


def simulate_spend(x: np.ndarray, p: float, q: float, v: float, seed: int = 0) -> np.ndarray:
    """Mean spend per purchase for customers with x purchases, from Gamma-Gamma (p, q, v); 0 where x == 0.

    Each customer's scale nu ~ Gamma(q, rate v); each purchase ~ Gamma(p, rate nu), so the mean of x purchases
    is Gamma(p*x, rate x*nu)."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=float)
    nu = rng.gamma(q, 1 / v, x.size)
    mean = np.zeros(x.size)
    some = x > 0
    mean[some] = rng.gamma(p * x[some], 1 / (x[some] * nu[some]))
    return mean


def simulate_purchases(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    start: str,
    end: str,
    spend: tuple[float, float, float] = (6.0, 4.0, 150.0),
    seed: int = 0,
    season: Callable[[pd.DatetimeIndex], np.ndarray] | None = None,
) -> pd.DataFrame:
    """A purchases table (customer, placed_at, amount) in the shape of features.py's input, from BG/NBD in days.

    Customers are acquired uniformly between `start` and `end`; each then buys as BG/NBD says until `end`; order
    amounts are Gamma(p, rate nu) with nu ~ Gamma(q, rate v) per customer. Several purchases on one day stay
    separate orders, as they would in the database. `season` (moments -> factors) multiplies every customer's
    repeat purchase rate at each moment: the known calendar that clv_calendar should find."""
    rng = np.random.default_rng(seed)
    start_ts, end_ts = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")
    span = (end_ts - start_ts) / pd.Timedelta(days=1)
    first = rng.uniform(0, span, n)
    keep, peak = None, 1.0
    if season is not None:
        days = pd.date_range(start_ts, end_ts, freq="D")
        peak = float(np.max(season(days)))

        def keep(owner, times):
            return season(start_ts + pd.to_timedelta(first[owner] + times, unit="D")) / peak

    owner, times = _purchase_times(rng, n, r, alpha, a, b, span - first, keep, peak)
    owner, offset = np.concatenate([np.arange(n), owner]), np.concatenate([first, first[owner] + times])
    p, q, v = spend
    nu = rng.gamma(q, 1 / v, n)
    amount = rng.gamma(p, 1 / nu[owner])
    placed_at = start_ts + pd.to_timedelta(offset, unit="D")
    frame = pd.DataFrame({"customer": owner, "placed_at": placed_at, "amount": amount})
    return frame.sort_values(["customer", "placed_at"], ignore_index=True)
