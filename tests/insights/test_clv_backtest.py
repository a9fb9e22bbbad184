"""The value backtest: documented keys, the past-rate baseline as defined, beating it on stationary simulated
purchases, and the season learned from the shop's own calendar. Pure pandas, no database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insights.models_ml.clv_backtest import backtest, errors, past_rate
from insights.models_ml.clv_sim import simulate_purchases
from insights.models_ml.features import rfm_for_value

CUTOFF = pd.Timestamp("2020-09-01", tz="UTC")
END = pd.Timestamp("2021-01-01", tz="UTC")
METRICS = {"holdout_error_pct", "mae", "rmse", "spend_mae", "spend_error_pct"}


@pytest.fixture(scope="module")
def purchases():
    """Two years of a stationary business: 3,000 customers acquired evenly, buying and leaving as BG/NBD says."""
    return simulate_purchases(3000, r=0.5, alpha=40.0, a=0.6, b=3.0, start="2019-01-01", end="2021-01-01", seed=7)


@pytest.fixture(scope="module")
def result(purchases):
    """The backtest as of CUTOFF with the holdout to END."""
    return backtest(purchases, CUTOFF, END)


def _at(day: str) -> pd.Timestamp:
    """Midnight UTC of a day."""
    return pd.Timestamp(day, tz="UTC")


def test_it_returns_the_documented_keys(result):
    assert set(result) == {"metrics", "baseline", "diagnostics"}
    assert set(result["metrics"]) == METRICS
    assert result["baseline"]["name"] == "past_rate"
    assert set(result["baseline"]["metrics"]) == METRICS
    assert {"bgnbd", "gamma_gamma", "seasonal_factor", "seasonal_reason", "beats_baseline"} <= set(
        result["diagnostics"]
    )


def test_it_beats_the_past_rate_baseline_on_stationary_purchases(result):
    model, baseline = result["metrics"], result["baseline"]["metrics"]
    assert model["rmse"] < baseline["rmse"]
    assert abs(model["holdout_error_pct"]) < abs(baseline["holdout_error_pct"])
    assert abs(model["holdout_error_pct"]) < 10
    assert model["spend_mae"] < result["baseline"]["metrics"]["spend_mae"]
    assert result["diagnostics"]["beats_baseline"]
    assert result["diagnostics"]["bgnbd"]["publishable"]


def test_a_stationary_business_is_scored_in_plain_days(result):
    diagnostics = result["diagnostics"]
    assert diagnostics["seasonal_factor"] == 1.0 and not diagnostics["calendar"]["applied"]
    assert diagnostics["seasonal_reason"].startswith("not applied: the weekly purchase counts are as flat")


def test_past_rate_repeats_each_customers_calibration_rate():
    # Purchase days 0, 10 and 20 (two orders on day 10), cutoff on day 40: x = 2 and T = 40, so a 20-day holdout
    # expects 2 / 40 * 20 = 1 purchase day. A one-time buyer expects none.
    start = _at("2021-01-01")
    orders = pd.DataFrame(
        {
            "customer": [1, 1, 1, 1, 2],
            "placed_at": [start + pd.Timedelta(days=d) for d in (0, 10, 10, 20, 5)],
            "amount": 10.0,
        }
    )
    rfm = rfm_for_value(orders, start + pd.Timedelta(days=40))
    assert list(past_rate(rfm, 20.0)) == [1.0, 0.0]


def _seasonal(purchases: pd.DataFrame) -> pd.DataFrame:
    """Every purchase in October and November brings a second one two days later."""
    busy = purchases["placed_at"].dt.month.isin([10, 11])
    extra = purchases[busy].assign(placed_at=lambda d: d["placed_at"] + pd.Timedelta(days=2))
    return pd.concat([purchases, extra], ignore_index=True)


def test_a_season_the_history_has_not_seen_is_not_guessed(purchases):
    recent = _seasonal(purchases[purchases["placed_at"] >= _at("2020-01-01")])
    calendar = backtest(recent, CUTOFF, END)["diagnostics"]["calendar"]
    assert calendar["window_days_seen_a_year_earlier"] == 0 and calendar["window_factor"] == 1.0


def test_a_seasonal_peak_seen_a_year_earlier_corrects_the_holdout(purchases):
    seasonal = _seasonal(purchases)
    plain = backtest(seasonal, CUTOFF, END, seasonal=False)
    adjusted = backtest(seasonal, CUTOFF, END)
    assert adjusted["diagnostics"]["seasonal_factor"] > 1.2
    assert adjusted["diagnostics"]["seasonal_reason"].startswith("weekly purchase rate of the customers present")
    assert plain["metrics"]["holdout_error_pct"] < -20  # a stationary model misses the peak
    assert abs(adjusted["metrics"]["holdout_error_pct"]) < abs(plain["metrics"]["holdout_error_pct"]) / 2
    assert adjusted["metrics"]["rmse"] < plain["metrics"]["rmse"]


def test_switching_the_calendar_off_says_so(purchases):
    assert backtest(purchases, CUTOFF, END, seasonal=False)["diagnostics"]["seasonal_reason"] == "switched off"


def test_a_degenerate_fit_is_reported_with_what_it_would_have_scored():
    # Customers who practically never leave: this sample's maximum-likelihood fit sends a/(a+b) to 0.
    stayers = simulate_purchases(2000, r=0.7, alpha=60.0, a=1e-3, b=1e4, start="2020-01-01", end="2021-01-01", seed=0)
    result = backtest(stayers, CUTOFF, END, seasonal=False)
    diagnostics = result["diagnostics"]
    assert diagnostics["bgnbd_mle"]["degenerate"]
    assert "maximum likelihood was degenerate" in diagnostics["bgnbd"]["fallback"]
    assert set(diagnostics["mle_metrics"]) == METRICS


def test_errors_are_aggregate_percent_mae_and_rmse():
    assert errors([1.0, 3.0], [2.0, 4.0]) == {"holdout_error_pct": pytest.approx(-100 / 3), "mae": 1.0, "rmse": 1.0}


def test_the_past_rate_baseline_scores_with_the_customers_own_rate():
    from insights.models_ml.clv_backtest import PastRate

    rfm = pd.DataFrame(
        {"x": [3.0, 0.0], "t_x": [270.0, 0.0], "T": [300.0, 100.0], "monetary_value": [50.0, 0.0]}, index=[1, 2]
    )
    scorer = PastRate.fit(rfm)
    assert scorer.pooled_rate == pytest.approx(4 / 400) and scorer.pooled_spend == 50.0
    scores = scorer.customer_value(rfm)
    # Three repeat purchase days in 300 days: 0.01 a day, silent for 30 days.
    assert scores.loc[1, "expected_purchases_365d"] == pytest.approx(3.65)
    assert scores.loc[1, "p_alive"] == pytest.approx(np.exp(-0.3))
    assert scores.loc[1, "clv"] == pytest.approx(3.65 * 50)
    # A one-time buyer expects nothing by the past rate; their silence is judged by the shop's pooled rate.
    assert scores.loc[2, "expected_purchases_365d"] == 0.0 and scores.loc[2, "clv"] == 0.0
    assert scores.loc[2, "p_alive"] == pytest.approx(np.exp(-0.01 * 100))
    assert scores.loc[2, "expected_value"] == 50.0


def _busy_autumn(moments: pd.DatetimeIndex) -> np.ndarray:
    """Every customer buys twice as often in October and November."""
    return np.where(np.isin(moments.month, [10, 11]), 2.0, 1.0)


def test_value_error_is_small_on_a_season_the_shops_calendar_has_seen():
    # A year of history cut from the middle of the customers' lives (as an export is, Online Retail's too), rates
    # doubled every October and November: the holdout to December holds the autumn that the history saw once.
    # The known answer is the holdout.
    purchases = simulate_purchases(
        3000, r=0.5, alpha=40.0, a=0.6, b=3.0, start="2018-09-01", end="2020-12-01", seed=1, season=_busy_autumn
    )
    purchases = purchases[purchases["placed_at"] >= _at("2019-09-01")]
    plain = backtest(purchases, CUTOFF, _at("2020-12-01"), seasonal=False)
    adjusted = backtest(purchases, CUTOFF, _at("2020-12-01"))
    calendar = adjusted["diagnostics"]["calendar"]
    assert calendar["applied"] and calendar["window_days_seen_a_year_earlier"] == 91
    assert plain["metrics"]["holdout_error_pct"] < -25  # a stationary model misses the autumn
    assert abs(adjusted["metrics"]["holdout_error_pct"]) < 10
    # RMSE (what decides) improves; MAE need not: most customers buy nothing in a quarter, and a mean forecast
    # raised for the season moves further from their zero.
    assert adjusted["metrics"]["rmse"] < plain["metrics"]["rmse"]


def test_the_published_model_scores_in_the_shops_calendar(purchases):
    from insights.models_ml.clv import ValueModel
    from insights.models_ml.clv_calendar import Calendar, day_number

    rfm = rfm_for_value(purchases, CUTOFF)
    plain = ValueModel.fit(rfm)
    # The 90 days ahead were twice as busy 52 weeks earlier; the rest of the year as usual.
    start = day_number(CUTOFF) - 364
    values = np.ones(364)
    values[:90] = 2.0
    busy = ValueModel(plain.purchases, plain.spend, calendar=Calendar(first_day=start, values=values, applied=True))
    with pytest.raises(ValueError, match="as of"):
        busy.customer_value(rfm)
    scores = busy.customer_value(rfm, as_of=CUTOFF)
    timed = busy.calendar.operational(rfm, CUTOFF)
    x, t_x, T = (timed[c] for c in ("x", "t_x", "T"))
    assert np.allclose(scores["expected_purchases_90d"], plain.purchases.expected_purchases(180.0, x, t_x, T))
    assert np.allclose(scores["expected_purchases_365d"], plain.purchases.expected_purchases(455.0, x, t_x, T))


def test_the_past_rate_baseline_prices_a_one_time_buyers_order_at_their_own_order():
    from insights.models_ml.clv_backtest import PastRate

    rfm = pd.DataFrame({"x": [3.0, 0.0], "t_x": [270.0, 0.0], "T": [300.0, 100.0], "monetary_value": [50.0, 20.0]})
    scorer = PastRate.fit(rfm)
    assert scorer.pooled_spend == 35.0
    assert scorer.customer_value(rfm)["expected_value"].tolist() == [50.0, 20.0]
