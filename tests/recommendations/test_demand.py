"""Demand forecasts on data with a known answer: weekly demand from hand-made order lines, metrics and baselines on
hand-made numbers, and the pooled model on simulated products with a planted season, beside the naive baselines,
with an interval that covers about its nominal share. Pure: no database. One small model is fitted per module."""

import pickle

import numpy as np
import pandas as pd
import pytest

from recommendations.models_ml.demand import DemandForecaster, forecast, sampling_rate, what_will_sell
from recommendations.models_ml.demand_eval import (
    active_products,
    backtest,
    demand_metrics,
    naive_forecasts,
    rolling_backtest,
    rolling_origins,
)
from recommendations.models_ml.demand_interval import blended, fit_ratios, total_range, total_rho
from recommendations.models_ml.demand_sim import simulate_demand
from recommendations.models_ml.demand_weeks import FEATURES, Panel, WeeklyDemand, weekly_demand

# Few trees keep the module fast; the planted structure is strong enough for them.
FAST = {"max_iter": 60, "interval_rows": 60_000}


@pytest.fixture(scope="module")
def seasonal():
    """Three years of 120 products with a strong planted season (most peak in November)."""
    return simulate_demand(products=120, weeks=156, seed=1, amplitude=(0.7, 0.9))


@pytest.fixture(scope="module")
def result(seasonal):
    """A backtest from mid-September of the third year, 8 weeks into the rise towards the peak."""
    origin = seasonal.units.index[140]
    return backtest(seasonal, origin, horizon=8, min_active_weeks=10, forecaster=DemandForecaster(**FAST))


def lines(rows):
    """Order lines from (product, timestamp, quantity, unit price) tuples."""
    return pd.DataFrame(rows, columns=["product", "placed_at", "quantity", "unit_price"])


def test_weekly_demand_counts_whole_monday_weeks():
    demand = weekly_demand(
        lines(
            [
                ("a", "2024-01-03 10:00", 5, 2.0),  # a Wednesday: its week is partial, left out
                ("a", "2024-01-08 09:00", 2, 2.0),  # Monday of the first whole week
                ("a", "2024-01-14 23:00", 3, 1.0),  # its Sunday
                ("b", "2024-01-16 12:00", 4, 5.0),  # b starts in the second week
                ("a", "2024-01-24 12:00", 1, 2.0),  # the third week ends on Sunday the 28th, after the last sale
            ]
        )
    )
    assert list(demand.units.index) == [pd.Timestamp("2024-01-08"), pd.Timestamp("2024-01-15")]
    assert demand.units["a"].tolist() == [5.0, 0.0]
    assert np.isnan(demand.units["b"].iloc[0]) and demand.units["b"].iloc[1] == 4.0
    # The price paid on average: revenue / units = (2 * 2 + 3 * 1) / 5.
    assert demand.price["a"].iloc[0] == pytest.approx(7 / 5)
    assert np.isnan(demand.price["a"].iloc[1])


def test_weekly_demand_uses_the_given_time_zone():
    # Sunday 23:30 in London is Sunday; 23:30 UTC on a Sunday in summer is Monday 00:30 in London.
    rows = lines([("a", pd.Timestamp("2024-07-07 23:30", tz="UTC"), 1, 1.0)])
    start, end = "2024-07-01", "2024-07-15"
    assert weekly_demand(rows, start, end).units["a"].tolist() == [1.0, 0.0]
    # In London the product's first sale falls in the second week, so the first is missing (not yet on sale).
    assert weekly_demand(rows, start, end, tz="Europe/London").units["a"].fillna(-1).tolist() == [-1.0, 1.0]


def test_metrics_on_hand_made_numbers():
    metrics = demand_metrics([10, 0, 5, 5], [8, 2, 5, 10])
    assert metrics["wape"] == pytest.approx((2 + 2 + 0 + 5) / 20)
    # The week with no sale is left out of MAPE: mean of 2/10, 0/5, 5/5.
    assert metrics["mape"] == pytest.approx((0.2 + 0 + 1) / 3)
    assert metrics["bias_pct"] == pytest.approx(100 * (25 - 20) / 20)


def test_metrics_say_none_when_nothing_sold():
    assert demand_metrics([0, 0], [1, 2]) == {"wape": None, "mape": None, "bias_pct": None}


def test_naive_baselines_on_hand_made_numbers():
    units = np.array([[np.nan, np.nan, 1, 2, 3, 4, 5, 6, 7, 10]])
    out = naive_forecasts(units, t=10, horizon=3)
    assert out["last_week"].tolist() == [[10, 10, 10]]
    assert out["mean_4"].tolist() == [[7, 7, 7]]  # (5 + 6 + 7 + 10) / 4
    assert out["median_8"].tolist() == [[4.5, 4.5, 4.5]]  # median of 1..7 and 10
    assert "seasonal_naive" not in out  # less than a year of history


def test_seasonal_naive_copies_last_year_and_falls_back_to_the_mean():
    year = np.arange(60, dtype=float)
    units = np.vstack([year, np.where(year < 20, np.nan, 1.0)])
    out = naive_forecasts(units, t=56, horizon=2)
    assert out["seasonal_naive"][0].tolist() == [4.0, 5.0]  # weeks 56 and 57 a year earlier: 4 and 5
    assert out["seasonal_naive"][1].tolist() == [1.0, 1.0]  # not on sale a year earlier: its mean of 4 weeks


def test_planted_season_is_forecast_better_than_every_naive_baseline(result):
    assert set(result["baselines"]) == {"last_week", "mean_4", "median_8", "seasonal_naive"}
    best = result["baseline"]
    assert best["metrics"]["wape"] == min(m["wape"] for m in result["baselines"].values())
    assert result["metrics"]["wape"] < best["metrics"]["wape"] - 0.03
    assert abs(result["metrics"]["bias_pct"]) < 10


def test_interval_covers_about_its_nominal_share(result):
    # 10th to 90th percentile: 80 % of the weeks should fall inside (the few trees used here give 73-78 %).
    assert 0.70 <= result["interval"]["coverage"] <= 0.88


def test_backtest_gives_the_evaluate_contract(result):
    assert set(result["metrics"]) == {"wape", "mape", "bias_pct"}
    assert set(result["baseline"]) == {"name", "metrics"}
    assert result["unbiased_baseline"] is None or abs(result["unbiased_baseline"]["metrics"]["bias_pct"]) <= 10
    assert result["horizon"] == 8 and len(result["per_week"]) == 8
    assert result["point"] == "mean" and result["metrics"] == result["mean"]
    assert set(result["totals"]) == {"mean", "median", *result["baselines"]}


def test_backtest_scores_only_products_active_enough(seasonal):
    train = seasonal.before(seasonal.units.index[140])
    assert len(active_products(train, 10)) == (train.units > 0).sum().ge(10).sum()
    assert len(active_products(train, 1000)) == 0


def test_forecasts_are_non_negative_with_an_interval_around_them():
    history = simulate_demand(products=40, weeks=70, seed=2)
    out = forecast(history, horizon=4, **FAST)
    assert len(out) == 4 * history.units.notna().any().sum()
    assert (out["lower"] >= 0).all()
    assert (out["lower"] <= out["forecast"]).all() and (out["forecast"] <= out["upper"]).all()
    assert out["week"].min() == history.units.index[-1] + pd.Timedelta(weeks=1)
    assert sorted(out["horizon"].unique()) == [1, 2, 3, 4]


def test_features_are_scale_free_and_named():
    demand = simulate_demand(products=3, weeks=60, seed=0, new_share=0)
    x, scale = Panel(demand).features(t=56, h=2, seasonal=False)
    assert x.shape == (3, len(FEATURES))
    bigger = Panel(type(demand)(demand.units * 100, demand.price)).features(t=56, h=2, seasonal=True)
    # A product selling a hundred times as much has the same features but its scale (and the week of year added).
    same = [i for i, name in enumerate(FEATURES) if name != "log_scale"]
    np.testing.assert_allclose(bigger[0][:, same], x[:, same])
    np.testing.assert_allclose(bigger[1], scale * 100)
    assert bigger[0].shape[1] == len(FEATURES) + 1


def test_what_will_sell_lists_the_biggest_forecasts_first():
    forecasts = pd.DataFrame(
        {
            "product": ["a", "a", "b", "b", "c"],
            "horizon": [1, 2, 1, 2, 1],
            "forecast": [1.0, 1.0, 5.0, 50.0, 3.0],
            "lower": [0.0, 0.0, 1.0, 10.0, 1.0],
            "upper": [2.0, 2.0, 9.0, 90.0, 5.0],
        }
    )
    top = what_will_sell(forecasts, weeks=1, top=2)
    assert top["product"].tolist() == ["b", "c"] and top["forecast"].tolist() == [5.0, 3.0]


@pytest.fixture(scope="module")
def mixed():
    """Two years of 80 nearly Poisson products (dispersion 50) beside 80 very lumpy ones (dispersion 0.7, ids from
    1001): one spread for all would be too wide for the first and too narrow for the second."""
    steady = simulate_demand(products=80, weeks=110, seed=4, dispersion=50.0, new_share=0.0)
    lumpy = simulate_demand(products=80, weeks=110, seed=5, dispersion=0.7, new_share=0.0)
    lumpy.units.columns = lumpy.price.columns = lumpy.units.columns + 1000
    return WeeklyDemand(pd.concat([steady.units, lumpy.units], axis=1), pd.concat([steady.price, lumpy.price], axis=1))


def test_each_products_interval_follows_its_own_variability(mixed):
    origins = rolling_origins(mixed.units.index, None, horizon=8, count=2, step=4)
    runs = [backtest(mixed, o, horizon=8, min_active_weeks=10, forecaster=DemandForecaster(**FAST)) for o in origins]
    inside = np.concatenate([r["cells"]["inside"] for r in runs])
    width = np.concatenate([r["cells"]["width"] / np.maximum(r["cells"]["model"]["mean"], 1e-9) for r in runs])
    lumpy = np.concatenate([np.asarray(r["cells"]["products"]) > 1000 for r in runs])
    assert 0.75 <= inside.mean() <= 0.85
    # Each group is covered about as promised, with its own width: the lumpy products' ranges are wider.
    assert 0.72 <= inside[lumpy].mean() <= 0.88 and 0.72 <= inside[~lumpy].mean() <= 0.88
    assert np.median(width[lumpy]) > 1.5 * np.median(width[~lumpy])  # 2.4 against 1.4 times the forecast


def test_rows_are_sampled_in_proportion_to_units_the_biggest_for_sure():
    scales = np.array([500.0, 100.0, *np.full(98, 1.0)])
    rate = sampling_rate(scales, 20)
    chance = np.minimum(rate * scales, 1.0)

    assert chance.sum() == pytest.approx(20)
    assert chance[:2].tolist() == [1.0, 1.0]  # the two big sellers' rows are always kept
    assert chance[2:] == pytest.approx(np.full(98, 18 / 98))
    assert sampling_rate(scales, 100) == np.inf  # no more rows than asked: every row is kept


def test_a_fit_on_a_units_sample_forecasts_the_totals_of_a_fit_on_every_row():
    history = simulate_demand(products=150, weeks=90, seed=3)
    every = DemandForecaster(horizon=4, calibrate=False, **FAST).fit(history)
    third = every.training_rows // 3
    sampled = DemandForecaster(horizon=4, calibrate=False, **{**FAST, "max_rows": third}).fit(history)
    totals = [f.predict(history).groupby("product")["forecast"].sum() for f in (every, sampled)]

    assert sampled.training_rows == pytest.approx(every.training_rows / 3, rel=0.05)
    assert totals[1].sum() == pytest.approx(totals[0].sum(), rel=0.05)
    assert np.abs(totals[1] - totals[0]).sum() / totals[0].sum() < 0.1


def test_rolling_origins_run_back_from_the_end_or_forward_from_a_week():
    weeks = pd.date_range("2024-01-01", periods=30, freq="7D")
    assert rolling_origins(weeks, None, horizon=8, count=3, step=4) == [weeks[14], weeks[18], weeks[22]]
    assert rolling_origins(weeks, weeks[10], horizon=8, count=5, step=4) == [weeks[10], weeks[14], weeks[18], weeks[22]]
    assert rolling_origins(weeks, weeks[23], horizon=8, count=3, step=4) == []
    assert rolling_origins(weeks[:5], None, horizon=8, count=3, step=4) == []


def test_a_rolling_backtest_pools_the_cells_of_every_origin(seasonal):
    origins = [seasonal.units.index[128], seasonal.units.index[136]]
    forecaster = DemandForecaster(**FAST)
    pooled = rolling_backtest(seasonal, origins, horizon=8, min_active_weeks=10, forecaster=forecaster)
    one = [backtest(seasonal, o, horizon=8, min_active_weeks=10, forecaster=forecaster) for o in origins]
    actual = np.concatenate([r["cells"]["actual"] for r in one])
    forecast = np.concatenate([r["cells"]["model"]["mean"] for r in one])
    assert pooled["metrics"] == pytest.approx(demand_metrics(actual, forecast))
    assert [o["origin"] for o in pooled["origins"]] == [f"{o:%Y-%m-%d}" for o in origins]
    inside = np.concatenate([r["cells"]["inside"] for r in one])
    assert pooled["interval"]["coverage"] == pytest.approx(inside.mean())
    with pytest.raises(ValueError, match="no forecast origin"):
        rolling_backtest(seasonal, [], horizon=8)


def test_the_end_scales_are_the_smallest_factors_that_hold_the_target_share():
    from recommendations.models_ml.demand_interval import end_scales

    # Ten weeks of 0..9 units around a median of 2 with a range 0-12, every week inside: the lower end halfway to the
    # median (1) leaves one week of ten below, then an upper end of 8 (0.6 of the way) holds 1..8, the 80 % asked
    # for. To hold every week, the lower end stays at 0 and the upper end goes to 9.
    actual = np.arange(10.0)
    lower, median, upper, forecast = np.zeros(10), np.full(10, 2.0), np.full(10, 12.0), np.full(10, 2.0)
    assert end_scales(actual, lower, median, upper, forecast) == pytest.approx((0.5, 0.6), abs=1e-3)
    assert end_scales(actual, lower, median, upper, forecast, target=1.0) == pytest.approx((1.0, 0.7), abs=1e-3)
    assert end_scales(actual[:0], lower[:0], median[:0], upper[:0], forecast[:0]) == (1.0, 1.0)


def test_weeks_that_sold_less_than_forecast_widen_the_lower_end_not_the_upper_one():
    """Review of the bench: a model that forecast the held-out weeks too high left a fifth of them below the range,
    and scaling the upper end alone to hold 80 % reached its cap (4x): a range as wide as the forecast. The lower end
    now takes its 10 %, the upper end the rest."""
    from recommendations.models_ml.demand_interval import MAX_SCALE, end_scales, scaled_lower, scaled_upper

    actual = np.arange(60.0, 160.0)  # 100 weeks selling 60..159 against a median and forecast of 120, range 100-140
    median, forecast = np.full(100, 120.0), np.full(100, 120.0)
    lower, upper = np.full(100, 100.0), np.full(100, 140.0)
    low, high = end_scales(actual, lower, median, upper, forecast)
    assert 2.0 < low < MAX_SCALE and high < 1.5  # 40 weeks below 100: the lower end goes down to 70
    new_lower, new_upper = scaled_lower(median, lower, forecast, low), scaled_upper(median, upper, forecast, high)
    below, above = (actual < new_lower).mean(), (actual > new_upper).mean()
    assert below == pytest.approx(0.10, abs=0.011) and above == pytest.approx(0.10, abs=0.011)


def test_whole_units_of_slow_sellers_are_covered_as_promised_once_calibrated():
    # Slow sellers (0.1 to 1 a week): the 10th percentile is 0, so no week falls below the range, and uncalibrated
    # ranges held nearly 90 % of the weeks. Calibrated on the latest weeks of the training history, about 80 %.
    rng = np.random.default_rng(4)
    weeks = pd.date_range("2024-01-01", periods=104, freq="7D")
    rates = rng.uniform(0.1, 1.0, 150)
    units = pd.DataFrame(rng.poisson(rates, (104, 150)).astype(float), index=weeks, columns=range(150))
    demand = WeeklyDemand(units, pd.DataFrame(2.0, index=weeks, columns=units.columns))
    origin = weeks[88]
    plain = backtest(
        demand, origin, horizon=8, min_active_weeks=10, forecaster=DemandForecaster(calibrate=False, **FAST)
    )
    calibrated = backtest(demand, origin, horizon=8, min_active_weeks=10, forecaster=DemandForecaster(**FAST))
    assert plain["interval"]["coverage"] > 0.86
    assert 0.75 <= calibrated["interval"]["coverage"] <= 0.85
    assert calibrated["interval"]["upper_scale"] < 1
    assert calibrated["interval"]["lower_scale"] == 1  # the 10th percentile is 0: no week can fall below it


def test_a_runs_calibration_fits_reuse_its_earlier_fits_with_the_same_answers(mixed, monkeypatch):
    """With origins a horizon apart (as a run places them), each origin's calibration repeats the previous origin's
    fit and the final fit's calibration the latest origin's: with the run's memo those fits are made once (origins
    + 2 fits in all), and nothing else changes."""
    made = []
    train = DemandForecaster._train
    monkeypatch.setattr(DemandForecaster, "_train", lambda self, d: made.append(d.units.index[-1]) or train(self, d))
    horizon = 8
    origins = rolling_origins(mixed.units.index, None, horizon=horizon, count=3, step=horizon)
    answers = {}
    for memo in ({}, None):
        made.clear()
        forecaster = DemandForecaster(**FAST, horizon=horizon, memo=memo)
        evaluation = rolling_backtest(mixed, origins, horizon=horizon, min_active_weeks=10, forecaster=forecaster)
        final = DemandForecaster(**FAST, horizon=horizon, memo=memo).fit(mixed)
        answers[memo is not None] = (evaluation["metrics"], evaluation["interval"], final.predict(mixed))
        assert len(made) == (5 if memo is not None else 8)
        assert len(set(made)) == 5  # origins 1-3, the final fit, and the first origin's calibration
    assert answers[True][:2] == answers[False][:2]
    pd.testing.assert_frame_equal(answers[True][2], answers[False][2])
    assert pickle.loads(pickle.dumps(final)).memo is None  # the saved model carries none of the run's other fits


def test_a_totals_range_adds_the_weeks_misses_as_they_move_together():
    # Four weeks of 3 expected, each 0-7: summed (rho 1) the total's range is 0-28, as if every week missed the
    # same way; independent (rho 0) the distances add in quadrature: 12 - 6 to 12 + 8.
    forecast, lower, upper = np.full((1, 4), 3.0), np.zeros((1, 4)), np.full((1, 4), 7.0)
    assert [float(end[0]) for end in total_range(forecast, lower, upper, 1.0)] == [0.0, 28.0]
    assert [float(end[0]) for end in total_range(forecast, lower, upper, 0.0)] == [6.0, 20.0]
    low, high = total_range(forecast, lower, upper, 0.5)
    assert 0 < low[0] < 6 and 20 < high[0] < 28
    # Totals spread like independent weeks are held by a rho below 1; the smallest that holds 80 % is found.
    rng = np.random.default_rng(0)
    actual = rng.poisson(3.0, (400, 4)).astype(float)
    f, lo, up = np.full((400, 4), 3.0), np.full((400, 4), 1.0), np.full((400, 4), 5.0)
    rho = total_rho(actual, lo, up, f)
    assert 0 <= rho < 1

    def share(r):
        low, high = total_range(f, lo, up, r)
        return float(((actual.sum(1) >= low) & (actual.sum(1) <= high)).mean())

    assert share(rho) >= 0.8 and (rho == 0 or share(rho - 0.01) < 0.8)
    assert total_rho(actual[:0], lo[:0], up[:0], f[:0]) == 1.0


def test_totals_ranges_of_steady_sellers_hold_their_share_without_starting_at_zero():
    # Steady sellers of about 3 a week: a single week may sell nothing, four weeks hardly ever do. Summed, the
    # weekly ranges start the total's range near 0 and hold nearly every total; calibrated, about 80 % of them.
    rng = np.random.default_rng(5)
    weeks = pd.date_range("2024-01-01", periods=104, freq="7D")
    rates = rng.uniform(2.0, 4.0, 150)
    units = pd.DataFrame(rng.poisson(rates, (104, 150)).astype(float), index=weeks, columns=range(150))
    demand = WeeklyDemand(units, pd.DataFrame(2.0, index=weeks, columns=units.columns))
    calibrated = backtest(demand, weeks[88], horizon=8, min_active_weeks=10, forecaster=DemandForecaster(**FAST))
    interval = calibrated["interval"]
    assert interval["total_rho"] < 1
    assert 0.7 <= interval["total_coverage"] <= 0.92
    model = DemandForecaster(**FAST, horizon=8).fit(demand)
    forecasts = model.predict(demand)
    top = what_will_sell(forecasts, weeks=8, top=150, rho=model.total_rho)
    summed = what_will_sell(forecasts, weeks=8, top=150)
    assert (top["lower"] > summed["lower"]).mean() > 0.9 and (top["lower"] > 0.3 * top["forecast"]).mean() > 0.9


def test_a_product_whose_busiest_weeks_bring_half_its_units_sells_in_bursts():
    from recommendations.models_ml.demand_weeks import bursty_products

    weeks = pd.date_range("2025-01-06", periods=52, freq="7D")
    steady = np.full(52, 3.0)  # 156 units, its busiest 5 weeks 15
    bursts = np.zeros(52)
    bursts[[5, 20, 35, 50]] = 40.0  # 160 units, all in four weeks
    bursts[::3] += 1
    slow = np.zeros(52)
    slow[[3, 30]] = 5.0  # 10 units: too few to say how they come
    units = pd.DataFrame({"steady": steady, "bursts": bursts, "slow": slow}, index=weeks)
    assert bursty_products(units) == ["bursts"]
    assert bursty_products(units.iloc[:0]) == []
    # A line launched 8 weeks ago selling 10 a week steadily is not bursty: the weeks before its launch do not count.
    launched = np.zeros(52)
    launched[-8:] = 10.0
    # One on sale for 30 weeks, steadily but for one big week, is judged on its 30 weeks.
    spiky = np.zeros(52)
    spiky[-30:] = 2.0
    spiky[-10] = 80.0
    units = units.assign(launched=launched, spiky=spiky)
    assert bursty_products(units) == ["bursts", "spiky"]


def test_a_products_range_comes_from_its_rows_at_the_level_it_now_sells_at():
    # A line that sold nothing most weeks for a long while (expected 0.3 a week: ratios 0, 0 and 10 now and then)
    # and now sells about ten a week, within 20 % of its forecast.
    rng = np.random.default_rng(0)
    quiet = np.where(rng.random(150) < 0.1, 3.0, 0.0)
    busy = 10.0 * rng.uniform(0.8, 1.2, 60)
    actual = np.concatenate([quiet, busy])
    expected = np.concatenate([np.full(150, 0.3), np.full(60, 10.0)])
    products = np.full(210, 7)
    levels = (0.1, 0.5, 0.9)
    own, pooled = fit_ratios(products, actual, expected, levels)
    ends = blended(own, pooled, np.array([7]), np.array([10.0]), levels, prior=40.0)
    # Its quiet year's ratios (0, 0, 10 at the 10th, 50th and 90th percentiles over every row) would give 0 to
    # about 60 around a forecast of 10; its busy rows alone give about 8.3 to 11.7, shrunk a little to the band.
    assert ends[0.1][0] > 4 and 8 < ends[0.5][0] < 12 and ends[0.9][0] < 20
    # At its old level the same product keeps its quiet rows' spread.
    quiet_ends = blended(own, pooled, np.array([7]), np.array([0.3]), levels, prior=40.0)
    assert quiet_ends[0.1][0] == pytest.approx(0) and quiet_ends[0.9][0] > 1.5
