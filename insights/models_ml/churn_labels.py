"""Churn's labels and what they depend on: who churned in a window, the window's length from the data's own
cadence, the seasonal move of the churn rate a year earlier, the snapshots a model learns from, and consent. Pure
numpy/pandas, no Django; insights/models_ml/churn.py fits and evaluates the models on them.

Label: a customer with a purchase before T has churned (1) if they make no purchase in [T, T + horizon).
The horizon defaults to the data's own cadence (`default_horizon`).

Seasonal shift of the calibration (`seasonal_shift`): the churn rate moves between quarters (a shop's customers come
back more before Christmas), so probabilities calibrated on the window [T2, T) are off for the window [T, T + h).
When the data reaches two years and a horizon back, the same two windows a year earlier tell how far the rate moved
then, for customers like them (the calibration's intercept refitted on each window with the model's scores); that
move, on the log-odds scale, is added to the calibration's intercept when it is clear of noise (more than
SEASON_NOISE standard errors). Without that history nothing is shifted, and the card says why; the shop's calendar
(`calendar_power`) then says how much busier the window ahead is expected to be than the one calibrated on.

Consent: callers pass only customers who allow profiling. `without_opted_out` drops everyone else's rows from
all inputs, so they are neither trained on nor scored (insights/data.py already reads only profiled customers).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from insights.models_ml.features import purchases_between, snapshot

DEFAULT_HORIZON = 90
MIN_HORIZON, MAX_HORIZON = 30, 365
HORIZON_PERCENTILE = 90  # of gaps between purchase days: most returning customers come back within it
MIN_CLASS = 10  # customers of each class needed in each labelled snapshot before a model is worth fitting
SEASON_NOISE = 2  # standard errors a year-earlier move of the churn rate must exceed before it is applied
YEAR_DAYS = 365


def as_moment(value, like: pd.Series) -> pd.Timestamp:
    """`value` as a Timestamp in the time zone of the `like` column (a bare date means midnight there)."""
    moment = pd.Timestamp(value)
    tz = getattr(like.dt, "tz", None)
    if tz is not None and moment.tzinfo is None:
        return moment.tz_localize(tz)
    if tz is None and moment.tzinfo is not None:
        return moment.tz_convert(None)
    return moment


def events_before(frame: pd.DataFrame | None, column: str, moment: pd.Timestamp) -> pd.DataFrame | None:
    if frame is None or not len(frame):
        return frame
    return frame[frame[column] < as_moment(moment, frame[column])]


def labels(purchases: pd.DataFrame, as_of, horizon_days: int) -> pd.Series:
    """1 = churned (no purchase in [as_of, as_of + horizon)), 0 = came back; for customers who bought before as_of.

    Indexed by customer (sorted), named "churned".
    """
    as_of = as_moment(as_of, purchases["placed_at"])
    known = np.sort(purchases.loc[purchases["placed_at"] < as_of, "customer"].unique())
    returned = purchases_between(purchases, as_of, as_of + pd.Timedelta(days=horizon_days)).index
    churned = pd.Series(np.where(np.isin(known, returned), 0, 1), index=pd.Index(known, name="customer"))
    return churned.rename("churned")


def default_horizon(purchases: pd.DataFrame, as_of) -> int:
    """The label horizon in days, from the data's cadence before `as_of`.

    The 90th percentile of all gaps between a customer's consecutive purchase days (pooled over customers), so
    that nine returning purchases in ten come within it, rounded to whole 30-day months (stable from one retrain
    to the next, and readable: "no order in the next 3 months") and clipped to [30, 365]. 90 days is typical
    (it is 90 on Online Retail, whose 90th percentile gap is about 94 days). Without any repeat purchase it
    falls back to DEFAULT_HORIZON.
    """
    before = events_before(purchases, "placed_at", as_of)
    days = before.assign(day=before["placed_at"].dt.floor("D"))[["customer", "day"]].drop_duplicates()
    days = days.sort_values(["customer", "day"])
    gaps = (days.groupby("customer")["day"].diff().dropna() / pd.Timedelta(days=1)).to_numpy()
    if not len(gaps):
        return DEFAULT_HORIZON
    months = round(float(np.percentile(gaps, HORIZON_PERCENTILE)) / 30)
    return int(np.clip(30 * months, MIN_HORIZON, MAX_HORIZON))


def without_opted_out(
    opted_out: Iterable[int],
    purchases: pd.DataFrame,
    returns: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
):
    """(purchases, returns, interactions) without any row of the customers in `opted_out`.

    Use it whenever the frames did not come from insights/data.py (which already reads profiled customers only):
    a customer with no rows has no snapshot row, so is neither a training example nor scored.
    """
    excluded = set(opted_out)

    def keep(frame):
        return frame if frame is None else frame[~frame["customer"].isin(excluded)]

    return keep(purchases), keep(returns), keep(interactions)


def _logit(rate: float) -> float:
    return float(np.log(rate / (1 - rate)))


def _offset_intercept(score: np.ndarray, y: np.ndarray, slope: float) -> tuple[float, float]:
    """(b, its standard error): the intercept of sigmoid(slope * score + b) that best fits the labels `y`, the slope
    held fixed (Newton's method on the log-likelihood, which is concave in b)."""
    b = _logit(float(np.clip(y.mean(), 1e-3, 1 - 1e-3))) - slope * float(np.mean(score))
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(slope * score + b, -30, 30)))
        information = float((p * (1 - p)).sum())
        step = float((y - p).sum()) / information
        b += step
        if abs(step) < 1e-9:
            break
    return b, 1 / float(np.sqrt(information))


def seasonal_shift(
    purchases: pd.DataFrame,
    as_of,
    horizon_days: int,
    score=None,
    slope: float = 1.0,
    returns: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    memo: dict | None = None,
) -> dict:
    """How far the churn rate moved a year earlier from the calibration window to the scored one, on the log-odds
    scale, between the customers known at as_of - 1 year - horizon and those known at as_of - 1 year, each over the
    following `horizon_days` (both windows end before `as_of`).

    With `score` (features -> the model's log-odds score) and the calibration's `slope`, the move is that of the
    calibration's intercept fitted on each window with the slope held: the customers' own features are allowed
    for, so a shop whose customers were younger or fewer a year earlier does not read as a season. Without it, the
    move of the plain churn rates.

    Returns {"shift": applied (0.0 unless clear of noise), "estimate", "standard_error", "rates": [earlier, later]
    plain churn rates, "reason"}. Nothing is estimated for a horizon of a year or more, when the data does not
    start a year before the earlier window (the customers' yearly features there would be cut short by the data's
    start, and their churn rate with them: on simulated customers of a stationary two-year-old shop that read as a
    season of +0.35 log-odds and doubled the ECE), nor without MIN_CLASS customers of each class in both windows."""
    as_of = as_moment(as_of, purchases["placed_at"])
    none = {"shift": 0.0, "estimate": None, "standard_error": None, "rates": None}
    if horizon_days >= YEAR_DAYS:
        return {**none, "reason": "not estimable: the horizon is a year or longer"}
    later = as_of - pd.Timedelta(days=YEAR_DAYS)
    earlier = later - pd.Timedelta(days=horizon_days)
    before = events_before(purchases, "placed_at", as_of)
    first = before["placed_at"].min()
    if pd.isna(first) or first > earlier - pd.Timedelta(days=YEAR_DAYS):
        start = "no purchases" if pd.isna(first) else f"the data starts {first:%Y-%m-%d}"
        return {
            **none,
            "reason": f"not estimable: it needs a year of history before {earlier:%Y-%m-%d} (a year and a window "
            f"before the one scored); {start}",
        }
    counts, intercepts = [], []
    for moment in (earlier, later):
        features, y = labelled_snapshot(
            before, moment, horizon_days, events_before(returns, "placed_at", as_of), interactions, memo
        )
        if min(int(y.sum()), len(y) - int(y.sum())) < MIN_CLASS:
            return {**none, "reason": f"not estimable: a year earlier ({moment:%Y-%m-%d}) has too few customers"}
        counts.append((len(y), float(y.mean())))
        if score is not None:
            intercepts.append(_offset_intercept(np.asarray(score(features), dtype=float), y, slope))
    (n1, p1), (n2, p2) = counts
    if score is not None:
        (b1, e1), (b2, e2) = intercepts
        estimate, error = b2 - b1, float(np.hypot(e1, e2))
    else:
        estimate = _logit(p2) - _logit(p1)
        error = float(np.sqrt(1 / (n1 * p1 * (1 - p1)) + 1 / (n2 * p2 * (1 - p2))))
    window = f"churn {p1:.1%} from {earlier:%Y-%m-%d} and {p2:.1%} from {later:%Y-%m-%d}"
    found = {"estimate": estimate, "standard_error": error, "rates": [p1, p2]}
    if abs(estimate) <= SEASON_NOISE * error:
        return {**found, "shift": 0.0, "reason": f"not applied: {window}, a move within noise"}
    return {**found, "shift": estimate, "reason": f"applied: {window}, the same windows a year earlier"}


def calendar_power(purchases: pd.DataFrame, as_of, horizon_days: int) -> dict:
    """How much busier the coming window [as_of, as_of + horizon) is expected to be than the calibration window
    [as_of - horizon, as_of), from the shop's calendar (clv_calendar.estimate: each week's purchase rate within
    customers, so a growing or ageing customer base is not read as busy or quiet weeks).

    A customer who buys as a Poisson process at their own rate makes no purchase in a window with probability
    exp(-rate x the window's operational time); in a window `ratio` times as busy that probability is raised to the
    power `ratio`, and a customer who has left stays at 1. The coming window's days take the index of the same
    days a year earlier where the history holds them, else the history's average (1): so probabilities calibrated on
    a quiet summer are brought back to an average window, and no season the history has not seen is guessed.

    Returns {"power": ratio (1.0 when the calendar is flat or not applied), "ahead", "behind" (mean index of each
    window), "reason"}."""
    from insights.models_ml import clv_backtest, clv_calendar

    as_of = as_moment(as_of, purchases["placed_at"])
    # With the value model's presence weights (BG/NBD's chance that a customer is still one after their last
    # purchase): customers who have left do not read as quiet weeks.
    calendar = clv_backtest.fit_in_calendar(events_before(purchases, "placed_at", as_of), as_of)[3]
    if not calendar.applied:
        return {"power": 1.0, "ahead": None, "behind": None, "reason": f"calendar not applied: {calendar.reason}"}
    today = clv_calendar.day_number(as_of)
    ahead = float(calendar.index(np.arange(today, today + horizon_days)).mean())
    behind = float(calendar.index(np.arange(today - horizon_days, today)).mean())
    power = ahead / behind if behind > 0 else 1.0
    return {
        "power": power,
        "ahead": ahead,
        "behind": behind,
        "reason": f"calendar: the window ahead is expected {ahead:.2f} times as busy as an average one, the window "
        f"calibrated on was {behind:.2f} times",
    }


def labelled_snapshot(
    purchases, at, horizon_days, returns, interactions, memo: dict | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features at `at` (from events before it) and labels from [at, at + horizon).

    `memo`: the answers already computed for one data set, by (at, horizon). A churn run asks for the same labelled
    windows in its backtest and its final fit, from the events before different moments; the answer depends only on
    the events before at + horizon, which every caller's frame holds, so it is computed once."""
    key = (pd.Timestamp(at), int(horizon_days))
    if memo is not None and key in memo:
        return memo[key]
    features = snapshot(
        events_before(purchases, "placed_at", at),
        at,
        events_before(returns, "placed_at", at),
        events_before(interactions, "occurred_at", at),
    )
    y = labels(purchases, at, horizon_days).reindex(features.index).to_numpy(dtype=int)
    if memo is not None:
        memo[key] = (features, y)
    return features, y


def check_classes(y: np.ndarray, what: str) -> None:
    positives = int(y.sum())
    if min(positives, len(y) - positives) < MIN_CLASS:
        raise ValueError(
            f"too few customers to learn churn from the {what} snapshot: {positives} churned and "
            f"{len(y) - positives} returned; at least {MIN_CLASS} of each are needed "
            "(more history, or a shorter horizon)"
        )
