"""The shop's calendar for the value model: a planted season is found within customers, a stationary business
(customers leaving included) reads as flat, forecast days look 52 weeks back, and operational time counts a busy
week for more. Pure numpy/pandas, no database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insights.models_ml import clv_calendar
from insights.models_ml.clv import fit_purchase_model
from insights.models_ml.clv_calendar import YEAR_AGO_DAYS, Calendar, day_number
from insights.models_ml.clv_sim import simulate_purchases
from insights.models_ml.features import rfm_for_value

CUTOFF = pd.Timestamp("2020-09-01", tz="UTC")


def busy_autumn(moments: pd.DatetimeIndex) -> np.ndarray:
    """Every customer buys twice as often in October and November."""
    return np.where(np.isin(moments.month, [10, 11]), 2.0, 1.0)


def _alive(purchases: pd.DataFrame) -> pd.Series:
    rfm = rfm_for_value(purchases, CUTOFF)
    model = fit_purchase_model(rfm["x"], rfm["t_x"], rfm["T"])
    return pd.Series(model.p_alive(rfm["x"], rfm["t_x"], rfm["T"]), index=rfm.index)


@pytest.fixture(scope="module")
def seasonal():
    """A year of history cut from the middle of the customers' lives (as a shop's export is), with a busy autumn."""
    purchases = simulate_purchases(
        3000, r=0.5, alpha=40.0, a=0.6, b=3.0, start="2018-09-01", end="2020-12-01", seed=1, season=busy_autumn
    )
    return purchases[purchases["placed_at"] >= pd.Timestamp("2019-09-01", tz="UTC")]


@pytest.fixture(scope="module")
def stationary():
    """Customers buying at steady rates and leaving as BG/NBD says: no season."""
    return simulate_purchases(3000, r=0.5, alpha=40.0, a=0.6, b=3.0, start="2019-01-01", end="2021-01-01", seed=7)


def test_it_finds_a_planted_season_within_customers(seasonal):
    calendar = clv_calendar.estimate(seasonal, CUTOFF, alive=_alive(seasonal))
    assert calendar.applied
    days = np.arange(calendar.first_day, calendar.end_day)
    moments = clv_calendar.EPOCH + pd.to_timedelta(days, unit="D")
    busy = np.isin(moments.month, [10, 11])
    ratio = calendar.values[busy].mean() / calendar.values[~busy].mean()
    assert 1.6 < ratio < 2.4  # planted: 2


def test_a_stationary_business_with_customers_leaving_has_a_flat_calendar(stationary):
    calendar = clv_calendar.estimate(stationary, CUTOFF, alive=_alive(stationary))
    assert not calendar.applied and calendar.reason.startswith("not applied")
    assert calendar.p_value > clv_calendar.FLATNESS_P
    assert list(calendar.elapsed([100, 200], [130, 200])) == [30.0, 0.0]


def test_without_the_chance_of_still_being_a_customer_leavers_would_read_as_a_season(stationary):
    # Counting every customer present to the cutoff makes the weeks before their leaving look busy: the weights
    # are what keeps the stationary business flat.
    assert clv_calendar.estimate(stationary, CUTOFF).applied


def test_forecast_days_take_the_index_of_52_weeks_earlier():
    values = np.linspace(0.5, 1.5, 400)
    calendar = Calendar(first_day=1000, values=values, applied=True)
    end = calendar.end_day
    assert calendar.index([1000, end - 1]) == pytest.approx([0.5, 1.5])
    assert calendar.index([end, end + 10]) == pytest.approx(values[[end - YEAR_AGO_DAYS - 1000, end + 10 - 1364]])
    assert calendar.index([999, end + 400]) == pytest.approx([1.0, 1.0])  # never seen: the history's average


def test_operational_time_counts_a_busy_week_double():
    values = np.ones(70)
    values[28:35] = 2.0  # the fifth week
    calendar = Calendar(first_day=0, values=values, applied=True)
    assert calendar.elapsed([28], [35])[0] == 14.0
    as_of = clv_calendar.EPOCH + pd.Timedelta(days=70)
    assert day_number(as_of) == 70
    # First purchase on day 0, last on day 40, scored as of day 70: 7 extra days inside the span and before it.
    rfm = pd.DataFrame({"x": [3.0], "t_x": [40.0], "T": [70.0], "monetary_value": [10.0]})
    timed = calendar.operational(rfm, as_of)
    assert timed.loc[0, "t_x"] == 47.0 and timed.loc[0, "T"] == 77.0 and timed.loc[0, "x"] == 3.0
    # Days 70..99 look back 52 weeks, to before the history began: the history's average.
    assert calendar.window_factor(as_of, 30) == 1.0


def test_too_little_history_gives_no_calendar(seasonal):
    early = seasonal[seasonal["placed_at"] < pd.Timestamp("2019-09-08", tz="UTC")]
    calendar = clv_calendar.estimate(early, pd.Timestamp("2019-09-08", tz="UTC"))
    assert not calendar.applied and calendar.index([day_number("2019-09-05")]) == pytest.approx([1.0])
