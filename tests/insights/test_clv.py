"""BG/NBD and Gamma-Gamma on customers simulated from known parameters: the fit finds them again, the predictions
match what the simulation did next, and the degenerate optimum is caught. Pure numpy, no database.

Tolerances are about three standard errors, measured over 20 seeds of the same simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import beta as B
from scipy.special import gamma as G

from insights.models_ml.clv import BgNbd, GammaGamma, customer_value, fit_purchase_model, fit_spend_model
from insights.models_ml.clv_fit import bgnbd_degeneracy, bgnbd_log_likelihood, fit_bgnbd, fit_gamma_gamma
from insights.models_ml.clv_sim import simulate_bgnbd, simulate_spend

# CDNOW's published estimates (Fader, Hardie & Lee 2005), alpha from weeks to days
TRUTH = {"r": 0.24, "alpha": 4.4 * 7, "a": 0.79, "b": 2.43}
SPEND = {"p": 6.25, "q": 3.74, "v": 15.44}
HOLDOUT = 39 * 7


@pytest.fixture(scope="module")
def customers():
    """10,000 customers first seen 27 to 39 weeks before the cutoff, then followed for 39 weeks."""
    rng = np.random.default_rng(11)
    return simulate_bgnbd(10_000, **TRUTH, T=rng.uniform(27 * 7, 39 * 7, 10_000), holdout=HOLDOUT, seed=11)


@pytest.fixture(scope="module")
def fitted(customers):
    """The purchase model fitted to the simulated customers."""
    return fit_purchase_model(customers["x"], customers["t_x"], customers["T"])


def _close(estimate: float, truth: float, tolerance: float) -> bool:
    """True when estimate is within a relative tolerance of truth."""
    return abs(estimate / truth - 1) <= tolerance


def test_bgnbd_recovers_the_parameters_it_was_simulated_from(fitted):
    assert fitted.fallback == "" and fitted.publishable
    assert _close(fitted.r, TRUTH["r"], 0.10)
    assert _close(fitted.alpha, TRUTH["alpha"], 0.20)
    assert _close(fitted.a, TRUTH["a"], 0.30)
    assert _close(fitted.b, TRUTH["b"], 0.30)
    # a and b move together; the mean dropout probability is pinned much more tightly
    assert _close(fitted.a / (fitted.a + fitted.b), TRUTH["a"] / (TRUTH["a"] + TRUTH["b"]), 0.10)


def test_the_fit_reaches_the_same_optimum_from_every_start(fitted):
    assert fitted.fit.converged
    assert max(fitted.fit.start_values) - min(fitted.fit.start_values) < 1e-3


def test_predicted_holdout_purchases_match_the_simulated_holdout_in_aggregate(customers, fitted):
    predicted = fitted.expected_purchases(HOLDOUT, customers["x"], customers["t_x"], customers["T"])
    assert _close(predicted.sum(), customers["x_holdout"].sum(), 0.10)


def test_population_expectation_matches_new_customers_purchases():
    new = simulate_bgnbd(20_000, **TRUTH, T=180.0, seed=3)
    assert _close(BgNbd(**TRUTH).expected_purchases_population(180.0), new["x"].mean(), 0.04)


def test_conditional_expectation_agrees_with_a_numerical_integral():
    # Given alive: lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x), and E[Y(t)] = E[(1 - exp(-lambda p t)) / p].
    for params in (TRUTH, {"r": 0.7, "alpha": 65.0, "a": 1.8, "b": 5.0}):
        model = BgNbd(**params)
        r, alpha, a, b = params.values()
        for x, t_x, T in [(0, 0, 100), (2, 50, 200), (30, 190, 200)]:
            k, c = r + x, alpha + T

            def integrand(p, k=k, c=c, shape=(a, b + x)):
                """E[Y(365) | p, alive] averaged over lambda, times the posterior density of p."""
                return -np.expm1(-k * np.log1p(p * 365 / c)) / p * stats.beta.pdf(p, *shape)

            alive = integrate.quad(integrand, 0, 1, limit=200)[0]
            expected = alive * model.p_alive(x, t_x, T)
            assert model.expected_purchases(365, x, t_x, T) == pytest.approx(expected, rel=1e-6)


def test_p_alive_falls_as_the_last_purchase_recedes():
    model = BgNbd(**TRUTH)
    recency = np.array([300.0, 250, 150, 50, 0])  # t_x: the last purchase ever longer ago, with x and T fixed
    alive = model.p_alive(np.full(5, 5.0), recency, np.full(5, 300.0))
    assert np.all(np.diff(alive) < 0)
    assert model.p_alive(0, 0, 300) == 1.0  # without a repeat purchase there is no dropout to have happened


def test_log_likelihood_matches_the_papers_expression_for_one_customer():
    r, alpha, a, b = TRUTH.values()
    x, t_x, T = 3, 40.0, 100.0
    common = G(r + x) * alpha**r / G(r)
    direct = B(a, b + x) / B(a, b) * common / (alpha + T) ** (r + x)
    direct += B(a + 1, b + x - 1) / B(a, b) * common / (alpha + t_x) ** (r + x)
    assert bgnbd_log_likelihood((r, alpha, a, b), [x], [t_x], [T])[0] == pytest.approx(np.log(direct))


def test_gamma_gamma_recovers_the_spend_parameters(customers):
    mean_spend = simulate_spend(customers["x"].to_numpy() + 1, **SPEND, seed=5)  # every purchase, the first too
    spend = fit_spend_model(customers["x"], mean_spend)
    assert spend.publishable
    assert _close(spend.p, SPEND["p"], 0.20)
    assert _close(spend.q, SPEND["q"], 0.12)
    assert _close(spend.v, SPEND["v"], 0.35)
    assert _close(spend.population_mean, SPEND["p"] * SPEND["v"] / (SPEND["q"] - 1), 0.05)
    # spend was simulated independently of frequency, and the diagnostic says so
    assert abs(spend.diagnostics["frequency_spend_pearson"]) < 0.05


def test_expected_spend_shrinks_a_customers_mean_towards_the_population():
    spend = GammaGamma(**SPEND, counts_first=True)
    few, many = spend.expected_average_value([1, 50], [100.0, 100.0])
    assert spend.population_mean < few < many < 100  # the more purchases, the more a customer's own mean counts
    assert spend.expected_average_value([0], [0.0])[0] == pytest.approx(spend.population_mean)
    # One order is evidence too: it moves the expectation from the population's mean towards itself.
    small, large = spend.expected_average_value([0, 0], [5.0, 200.0])
    assert 5.0 < small < spend.population_mean < large < 200.0


def test_a_spend_model_saved_before_every_order_counted_keeps_its_own_rule():
    """Re-scoring between retrains loads the active run's saved model: one fitted on repeat purchases only (saved
    without `counts_first`) weighs a customer's mean by their repeat purchases, as it was fitted, until retrained."""
    import pickle

    saved = GammaGamma.__new__(GammaGamma)
    saved.__dict__.update(SPEND, fit=None, diagnostics={})  # what unpickling a model saved before gives
    saved = pickle.loads(pickle.dumps(saved))
    assert saved.counts_first is False
    assert saved.expected_average_value([0], [5.0])[0] == pytest.approx(saved.population_mean)
    now = GammaGamma(**SPEND, counts_first=True)
    assert saved.expected_average_value([3], [50.0])[0] != now.expected_average_value([3], [50.0])[0]


def test_a_one_order_customer_is_valued_by_their_own_order_not_the_populations_mean():
    """Seen on the quick start: a customer whose one order was 4.50 was valued at the shop's mean order (91.85)
    times their expected orders. Orders simulated from Gamma-Gamma, each customer at their own scale."""
    import pandas as pd

    from insights.models_ml.clv_sim import simulate_purchases
    from insights.models_ml.features import rfm_for_value

    purchases = simulate_purchases(3000, **{**TRUTH, "alpha": 30.0}, start="2024-01-01", end="2024-12-31", seed=3)
    one = pd.DataFrame(
        {"customer": [10_001, 10_002], "placed_at": pd.Timestamp("2024-12-20", tz="UTC"), "amount": [4.5, 900.0]}
    )
    rfm = rfm_for_value(pd.concat([purchases, one], ignore_index=True), pd.Timestamp("2025-01-01", tz="UTC"))
    assert rfm.loc[10_001, "monetary_value"] == 4.5 and rfm.loc[10_002, "x"] == 0  # the first order counts
    spend = fit_spend_model(rfm["x"], rfm["monetary_value"])
    small, large = spend.expected_average_value(
        rfm.loc[[10_001, 10_002], "x"], rfm.loc[[10_001, 10_002], "monetary_value"]
    )
    assert small < 0.5 * spend.population_mean < 2 * spend.population_mean < large


@pytest.fixture(scope="module")
def stayers():
    """Customers who practically never leave, in whole days: the likelihood is best with no dropout at all."""
    rng = np.random.default_rng(1)
    stayers = simulate_bgnbd(3000, r=0.7, alpha=60.0, a=1e-3, b=1e4, T=np.floor(rng.uniform(30, 280, 3000)), seed=1)
    stayers["t_x"] = np.minimum(np.floor(stayers["t_x"]), stayers["T"])
    return stayers


def test_degenerate_optimum_is_flagged_with_a_reason(stayers):
    plain = fit_bgnbd(stayers["x"], stayers["t_x"], stayers["T"])
    assert plain.converged and plain.degenerate
    assert "dropout probability" in plain.reason


def test_a_degenerate_fit_falls_back_to_the_smallest_penalty_that_is_sound(stayers):
    model = fit_purchase_model(stayers["x"], stayers["t_x"], stayers["T"])
    assert model.mle is not None and model.mle.degenerate
    assert model.fit.penalizer == 1e-4 and not model.fit.degenerate
    assert model.publishable
    assert "maximum likelihood was degenerate" in model.fallback


def test_data_without_repeat_purchases_is_not_publishable():
    never = np.zeros(500)
    model = fit_purchase_model(never, never, np.arange(1, 501.0))
    assert not model.publishable
    assert "not publishable" in model.fallback


def test_degeneracy_reasons_name_the_problem():
    assert bgnbd_degeneracy(TRUTH) == ""
    assert "at its bound" in bgnbd_degeneracy({**TRUTH, "alpha": 1e6})
    assert "collapsed to one value" in bgnbd_degeneracy({**TRUTH, "r": 5e4, "alpha": 1e5})
    assert "end points" in bgnbd_degeneracy({**TRUTH, "a": 1e-3, "b": 0.05})


def test_gamma_gamma_with_infinite_mean_spend_is_flagged():
    rng = np.random.default_rng(2)
    x = rng.integers(1, 10, 3000).astype(float)
    heavy = simulate_spend(x, p=2.0, q=0.6, v=10.0, seed=2)  # q < 1: the mean spend per purchase is infinite
    fitted = fit_gamma_gamma(x, heavy)
    assert fitted.degenerate and "infinite" in fitted.reason


def test_customer_value_without_discount_is_purchases_times_spend(customers, fitted):
    rfm = customers.assign(monetary_value=simulate_spend(customers["x"].to_numpy() + 1, **SPEND, seed=5)).head(200)
    spend = GammaGamma(**SPEND, counts_first=True)
    value = customer_value(rfm, fitted, spend)
    assert list(value.columns) == [
        "p_alive",
        "expected_purchases_90d",
        "expected_purchases_365d",
        "expected_value",
        "clv",
    ]
    assert np.allclose(value["clv"], value["expected_purchases_365d"] * value["expected_value"])
    assert np.all(value["expected_purchases_90d"] < value["expected_purchases_365d"])
    discounted = customer_value(rfm, fitted, spend, monthly_discount=0.01)
    assert np.all(discounted["clv"] < value["clv"])


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        fit_bgnbd([1.0], [10.0], [5.0])  # last purchase after the end of observation
    with pytest.raises(ValueError):
        fit_bgnbd([], [], [])


def test_a_customer_without_a_repeat_purchase_gets_no_p_alive(customers, fitted):
    """BG/NBD puts P(alive) at 1 for anyone with no repeat purchase, however long ago their one order: that is no
    estimate to show, so it is left empty; the expected purchases and value are still given."""
    rfm = customers.assign(monetary_value=simulate_spend(customers["x"].to_numpy() + 1, **SPEND, seed=5)).head(300)
    value = customer_value(rfm, fitted, GammaGamma(**SPEND, counts_first=True))
    one_time = (rfm["x"] == 0).to_numpy()
    assert one_time.any() and (~one_time).any()
    assert value["p_alive"][one_time].isna().all()
    assert value["p_alive"][~one_time].between(0, 1).all()
    assert value["clv"].notna().all() and value["expected_purchases_365d"].notna().all()
