"""Simulated customers with a known churn story, for the churn tests and benchmarks (pure numpy/pandas).

Planted customers ("regular") buy at their own cadence (gamma-distributed gaps around a per-customer mean of
3 to 365 days, median CADENCE_MEDIAN, so the same silence means different things for different customers) until
they leave for good.
They leave either quietly (an exponential lifetime, mean LIFETIME_DAYS) or after a complaint: complainers
(COMPLAINER_SHARE of customers) raise tickets at a steady rate, and each ticket ends the relationship within
two weeks with probability FATAL_SHARE. So churn shows in recency relative to cadence and in recent complaints,
and a recent buyer who just complained is at risk although recency alone says they are safe.

"Erratic" customers (a share `erratic_share`, or everyone with `erratic_share=1`) buy as a memoryless Poisson
process with one common rate and never leave or complain: their past says nothing about their future, so no
model can beat chance on them (the pure-noise case, and a planted group that a model serves badly).
Everyone also gets routine calls and emails at random, which carry no signal.

With `drift` (per year), the rate of leaving quietly changes with the calendar: it is multiplied by
exp(drift * years since the data starts), so the same customer is likelier to leave in a later window than in an
earlier one (a known drifting churn rate, which calibrating on the latest labelled period keeps up with).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CADENCE_MEDIAN, CADENCE_SIGMA = 40.0, 1.0  # log-normal mean gap between purchases, days
LIFETIME_DAYS = 600.0
COMPLAINER_SHARE = 0.4
COMPLAINT_RATE = 1 / 90  # tickets per day while a complainer is a customer
FATAL_SHARE = 0.5
ERRATIC_CADENCE = 90.0
ROUTINE_RATE = 1 / 90  # calls and emails per day, for everyone


def _event_times(rng, start: np.ndarray, stop: np.ndarray, mean_gap: np.ndarray, shape: float):
    """(customer positions, day) of events from `start` at gamma gaps (mean `mean_gap`) until `stop`."""
    moment = start.copy()
    owners, days = [], []
    active = np.flatnonzero(moment < stop)
    while len(active):
        owners.append(active)
        days.append(moment[active])
        moment[active] += rng.gamma(shape, mean_gap[active] / shape)
        active = active[moment[active] < stop[active]]
    if not owners:
        return np.empty(0, dtype=int), np.empty(0)
    return np.concatenate(owners), np.concatenate(days)


def _leaving(start: np.ndarray, draw: np.ndarray, drift: float) -> np.ndarray:
    """The day a customer who starts on `start` leaves quietly, from `draw` ~ Exponential(mean LIFETIME_DAYS): where
    the hazard exp(drift * day / 365) / LIFETIME_DAYS, summed from `start`, reaches draw / LIFETIME_DAYS (start + draw
    without drift; never, when a falling hazard never sums that far)."""
    if not drift:
        return start + draw
    rate = drift / 365
    reach = np.exp(rate * start) + rate * draw
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(reach > 0, np.log(np.where(reach > 0, reach, 1.0)) / rate, np.inf)


def simulate(
    n_customers: int = 3000,
    seed: int = 0,
    days: int = 730,
    end="2024-01-01",
    erratic_share: float = 0.0,
    drift: float = 0.0,
):
    """{"purchases", "interactions", "truth"} for `n_customers` over the `days` before `end` (UTC); `drift` per year
    (see the module doc).

    purchases: customer, placed_at, amount; interactions: customer, occurred_at, kind ("ticket" for complaints,
    "call"/"email" for routine contact); truth (indexed by customer): cadence, left_at (day number, inf if they
    never leave), complainer, erratic.
    """
    rng = np.random.default_rng(seed)
    n = n_customers
    customers = np.arange(1, n + 1)
    erratic = rng.random(n) < erratic_share
    start = rng.uniform(0, days - 30, n)
    cadence = np.where(
        erratic, ERRATIC_CADENCE, np.clip(rng.lognormal(np.log(CADENCE_MEDIAN), CADENCE_SIGMA, n), 3, 365)
    )
    complainer = ~erratic & (rng.random(n) < COMPLAINER_SHARE)
    fatal_rate = np.where(complainer, COMPLAINT_RATE * FATAL_SHARE, 0.0)
    with np.errstate(divide="ignore"):
        fatal_at = start + np.where(complainer, rng.exponential(1 / np.maximum(fatal_rate, 1e-12)), np.inf)
    quiet = _leaving(start, rng.exponential(LIFETIME_DAYS, n), drift)
    left_at = np.minimum(quiet, fatal_at + rng.uniform(0, 14, n))
    left_at = np.where(erratic, np.inf, left_at)
    active_until = np.minimum(left_at, days)

    # Regular customers buy at fairly steady gaps (gamma shape 3); erratic ones at memoryless ones (shape 1).
    owner, day = _event_times(rng, start, active_until, cadence, 3.0)
    steady = ~erratic[owner]
    owner_e, day_e = _event_times(rng, start, active_until, cadence, 1.0)
    keep_e = erratic[owner_e]
    owner, day = np.concatenate([owner[steady], owner_e[keep_e]]), np.concatenate([day[steady], day_e[keep_e]])
    typical_spend = rng.lognormal(np.log(80), 0.7, n)
    amount = typical_spend[owner] * rng.lognormal(0, 0.3, len(owner))

    # Non-fatal tickets while a customer, plus the fatal one if it happened within the data.
    mean_gap = np.full(n, 1 / (COMPLAINT_RATE * (1 - FATAL_SHARE)))
    ticket_until = np.where(complainer, np.minimum(fatal_at, days), start)  # start: none for the others
    tickets, ticket_day = _event_times(rng, start, ticket_until, mean_gap, 1.0)
    fatal = complainer & (fatal_at < days)
    tickets = np.concatenate([tickets, np.flatnonzero(fatal)])
    ticket_day = np.concatenate([ticket_day, fatal_at[fatal]])
    routine, routine_day = _event_times(rng, start, active_until, np.full(n, 1 / ROUTINE_RATE), 1.0)

    origin = pd.Timestamp(end, tz="UTC") - pd.Timedelta(days=days)

    def at(day_numbers: np.ndarray) -> pd.Series:
        return origin + pd.to_timedelta(day_numbers, unit="D")

    purchases = pd.DataFrame({"customer": customers[owner], "placed_at": at(day), "amount": amount})
    interactions = pd.DataFrame(
        {
            "customer": customers[np.concatenate([tickets, routine])],
            "occurred_at": at(np.concatenate([ticket_day, routine_day])),
            "kind": ["ticket"] * len(tickets) + list(rng.choice(["call", "email"], len(routine))),
        }
    )
    truth = pd.DataFrame(
        {"cadence": cadence, "left_at": left_at, "complainer": complainer, "erratic": erratic},
        index=pd.Index(customers, name="customer"),
    )
    return {
        "purchases": purchases.sort_values("placed_at", ignore_index=True),
        "interactions": interactions.sort_values("occurred_at", ignore_index=True),
        "truth": truth,
    }
