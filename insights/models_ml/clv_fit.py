"""Maximum-likelihood fitting of BG/NBD (repeat purchases and dropout) and Gamma-Gamma (spend per purchase).

Pure numpy/scipy, no Django. Both likelihoods are written in log space with scipy.special, with analytic
gradients, and are optimised over the logarithms of the parameters (so they stay positive) with L-BFGS-B inside
bounds, from several starting points; the best optimum wins.

BG/NBD (Fader, Hardie & Lee 2005), per customer with x repeat purchases, the last at t_x, observed for T:
    L = B(a, b+x)/B(a, b) * G(r+x)/G(r) * alpha^r / (alpha+T)^(r+x)
      + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x)/G(r) * alpha^r / (alpha+t_x)^(r+x)
Gamma-Gamma (Fader & Hardie 2013 note), per customer with x > 0 purchases of mean value m:
    log L = lnG(px+q) - lnG(px) - lnG(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(xm+v)

Degenerate optima: on real data the BG/NBD likelihood can be maximised by driving the dropout process away
(a -> 0 or b -> infinity, so a/(a+b) -> 0 and every customer is "alive" for ever: Online Retail as of 2011-09-09
does this), by piling the dropout Beta onto p = 0 and p = 1 (a and b both -> 0), or by sending r and alpha off
together (r -> 0: nobody buys again; r, alpha -> infinity: everyone buys at one rate). Such a fit is flagged
`degenerate` with a plain reason (`bgnbd_degeneracy`); what to do about it is decided in clv.py, never silently
here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln

# Parameters live in [1e-6, 1e6]: wide enough for times in days (alpha is a time scale) and for nearly
# homogeneous populations, narrow enough that exp() never overflows and a runaway parameter is visible.
LOG_BOUND = np.log(1e6)
AT_BOUND = 0.05  # within 5 % of a bound (in log space) counts as "at the bound"
MIN_DROPOUT = 1e-4  # a/(a+b) below this: the fit says customers practically never leave
MAX_SHAPE = 1e4  # r above this: the heterogeneity the model exists to describe has collapsed
MIN_SHAPE = 1e-2  # r, a or b below this: the Gamma or Beta mixing distribution has piled onto its end points

BGNBD_NAMES = ("r", "alpha", "a", "b")
GAMMA_GAMMA_NAMES = ("p", "q", "v")


@dataclass
class Fit:
    """The outcome of one maximum-likelihood fit: parameters and how much to trust them."""

    params: dict[str, float]
    log_likelihood: float  # total over customers, without the penalty
    converged: bool
    message: str
    n: int  # customers fitted
    penalizer: float = 0.0
    degenerate: bool = False
    reason: str = ""
    # objective (mean negative log-likelihood plus penalty) reached from each start: equal values, one optimum
    start_values: list[float] = field(default_factory=list)


def _minimise(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]], starts: list[np.ndarray]
) -> tuple[np.ndarray, bool, str, list[float]]:
    """L-BFGS-B from each start in log space; the best end point, whether it converged, and every start's value."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(starts[0])
    best, values = None, []
    for start in starts:
        result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 1000})
        values.append(float(result.fun))
        # A converged optimum beats a lower value that stopped early: the latter may be a numerical accident.
        key = (not result.success, float(result.fun))
        if best is None or key < best[0]:
            best = (key, result)
    result = best[1]
    return result.x, bool(result.success), str(result.message), values


def _at_bound(log_params: np.ndarray) -> np.ndarray:
    """True for each log-parameter that sits on (or within AT_BOUND of) its bound."""
    return np.abs(log_params) >= LOG_BOUND * (1 - AT_BOUND)


# --- BG/NBD ---------------------------------------------------------------------------------------------------


def _bgnbd_terms(theta: np.ndarray, x_unique: np.ndarray, x_index: np.ndarray, t_x: np.ndarray, T: np.ndarray):
    """Per-customer log-likelihood pieces and the dropout weight w, shared by the value and its gradient.

    Terms that depend on x only are computed once per distinct x (a few hundred values for any number of
    customers) and then indexed: that, not the optimiser, is what makes 100k customers fast."""
    r, alpha, a, b = np.exp(theta)
    x = x_unique[x_index]
    # log[G(r+x)/G(r)] + log[B(a, b+x)/B(a, b)], by distinct x
    by_x = gammaln(r + x_unique) - gammaln(r) + gammaln(a + b) + gammaln(b + x_unique) - gammaln(b)
    by_x -= gammaln(a + b + x_unique)
    log_alpha_T = np.log(alpha + T)
    log_alpha_tx = np.log(alpha + t_x)
    still_alive = -(r + x) * log_alpha_T
    dropped = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * log_alpha_tx, -np.inf)
    ll = r * np.log(alpha) + by_x[x_index] + np.logaddexp(still_alive, dropped)
    w = np.where(x > 0, expit(dropped - still_alive), 0.0)  # posterior weight of "dropped out after t_x"
    return ll, w, (r, alpha, a, b, x, log_alpha_T, log_alpha_tx)


def bgnbd_log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood for params (r, alpha, a, b) and arrays x, t_x, T."""
    x = np.asarray(x, dtype=float)
    x_unique, x_index = np.unique(x, return_inverse=True)
    ll, _, _ = _bgnbd_terms(np.log(np.asarray(params, dtype=float)), x_unique, x_index, np.asarray(t_x), np.asarray(T))
    return ll


def _bgnbd_objective(x, t_x, T, weights, penalizer):
    """Mean negative log-likelihood (plus penalty) and its gradient over log-parameters."""
    x_unique, x_index = np.unique(x, return_inverse=True)
    total = weights.sum()

    def objective(theta):
        """Value and gradient at log-parameters theta = ln(r, alpha, a, b)."""
        ll, w, (r, alpha, a, b, x_all, log_alpha_T, log_alpha_tx) = _bgnbd_terms(theta, x_unique, x_index, t_x, T)
        alive = 1 - w
        d_r_x = digamma(r + x_unique) - digamma(r)
        d_ab_x = digamma(a + b) - digamma(a + b + x_unique)
        d_b_x = d_ab_x + digamma(b + x_unique) - digamma(b)
        # Weighted sums as multiply-and-sum, not `@`: a threaded BLAS dot on a busy machine costs 100x more.
        grad = np.array(
            [
                np.sum(weights * (d_r_x[x_index] + np.log(alpha) - alive * log_alpha_T - w * log_alpha_tx)) * r,
                np.sum(weights * (r / alpha - alive * (r + x_all) / (alpha + T) - w * (r + x_all) / (alpha + t_x)))
                * alpha,
                np.sum(weights * (d_ab_x[x_index] + w / a)) * a,
                np.sum(weights * (d_b_x[x_index] - w / np.maximum(b + x_all - 1, 1e-300))) * b,
            ]
        )
        value = -np.sum(weights * ll) / total + penalizer * (theta[2] ** 2 + theta[3] ** 2)
        grad = -grad / total
        grad[2:] += 2 * penalizer * theta[2:]
        return float(value), grad

    return objective


def _bgnbd_starts(x, T) -> list[np.ndarray]:
    """Deterministic starting points: a spread of shapes, with alpha set so r/alpha matches the observed rate."""
    rate = max(float(np.mean(x)), 0.1) / max(float(np.mean(T)), 1.0)
    shapes = [(1.0, 1.0, 1.0), (0.3, 0.5, 3.0), (3.0, 2.0, 5.0), (0.5, 0.1, 0.5), (1.0, 5.0, 50.0)]
    return [np.log([r, r / rate, a, b]) for r, a, b in shapes]


def bgnbd_degeneracy(params: dict[str, float]) -> str:
    """A plain-language reason why a BG/NBD fit should not be published as is, or "" when it looks sound."""
    theta = np.log([params[name] for name in BGNBD_NAMES])
    reasons = [
        f"{name} is at its bound ({params[name]:.3g})"
        for name, hit in zip(BGNBD_NAMES, _at_bound(theta), strict=True)
        if hit
    ]
    dropout = params["a"] / (params["a"] + params["b"])
    if dropout < MIN_DROPOUT:
        reasons.append(
            f"dropout probability a/(a+b) = {dropout:.2g}: the fit says customers practically never leave, "
            "so P(alive) is about 1 for everyone"
        )
    if params["r"] > MAX_SHAPE:
        reasons.append(f"r = {params['r']:.3g}: purchase rates have collapsed to one value for everyone")
    if params["r"] < MIN_SHAPE:
        reasons.append(f"r = {params['r']:.3g}: nearly every customer's purchase rate is zero")
    for name in ("a", "b"):
        if params[name] < MIN_SHAPE:
            reasons.append(
                f"{name} = {params[name]:.3g}: the Beta of dropout probabilities has collapsed onto "
                "its end points (p = 0 or 1)"
            )
    return "; ".join(reasons)


def fit_bgnbd(x, t_x, T, penalizer: float = 0.0) -> Fit:
    """Fit BG/NBD (r, alpha, a, b) by maximum likelihood on repeat purchases x, recency t_x and age T.

    Times in any unit (days here); alpha comes out in that unit. `penalizer` adds
    penalizer * (ln(a)^2 + ln(b)^2) to the mean negative log-likelihood: a weak pull of the dropout Beta towards
    Beta(1, 1), unit-free, that keeps a and b away from 0 and infinity. Identical customers are fitted once,
    with a weight."""
    data = np.column_stack([np.asarray(x, float), np.asarray(t_x, float), np.asarray(T, float)])
    if len(data) == 0:
        raise ValueError("no customers to fit")
    if np.any(data < 0) or np.any(data[:, 1] > data[:, 2]) or np.any(data[:, 0] % 1):
        raise ValueError("need whole x >= 0 and 0 <= t_x <= T")
    unique, weights = np.unique(data, axis=0, return_counts=True)
    x_u, t_x_u, T_u = unique.T
    objective = _bgnbd_objective(x_u, t_x_u, T_u, weights.astype(float), penalizer)
    theta, converged, message, values = _minimise(objective, _bgnbd_starts(data[:, 0], data[:, 2]))
    params = dict(zip(BGNBD_NAMES, np.exp(theta).tolist(), strict=True))
    ll = float(np.sum(weights * _bgnbd_terms(theta, *np.unique(x_u, return_inverse=True), t_x_u, T_u)[0]))
    reason = bgnbd_degeneracy(params)
    return Fit(
        params=params,
        log_likelihood=ll,
        converged=converged,
        message=message,
        n=len(data),
        penalizer=penalizer,
        degenerate=bool(reason),
        reason=reason,
        start_values=values,
    )


# --- Gamma-Gamma ----------------------------------------------------------------------------------------------


def gamma_gamma_log_likelihood(params, x, m) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of mean spend m over x > 0 purchases, params (p, q, v)."""
    p, q, v = params
    x, m = np.asarray(x, float), np.asarray(m, float)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(x * m + v)
    )


def _gamma_gamma_objective(x, m):
    """Mean negative log-likelihood and its gradient over log-parameters."""
    log_m, log_x = np.log(m), np.log(x)

    def objective(theta):
        """Value and gradient at log-parameters theta = ln(p, q, v)."""
        p, q, v = np.exp(theta)
        px = p * x
        log_xmv = np.log(x * m + v)
        ll = gamma_gamma_log_likelihood((p, q, v), x, m)
        d_pq = digamma(px + q)
        grad = np.array(
            [
                np.mean(x * (d_pq - digamma(px) + log_m + log_x - log_xmv)) * p,
                np.mean(d_pq - digamma(q) + np.log(v) - log_xmv) * q,
                np.mean(q / v - (px + q) / (x * m + v)) * v,
            ]
        )
        return float(-np.mean(ll)), -grad

    return objective


def fit_gamma_gamma(x, m) -> Fit:
    """Fit Gamma-Gamma (p, q, v) by maximum likelihood on customers with x > 0 purchases of mean value m > 0
    (clv.fit_spend_model passes every purchase, the first included).

    Customers without a purchase or with a non-positive mean are left out. q <= 1 leaves the mean spend
    undefined, so it is flagged degenerate."""
    x, m = np.asarray(x, float), np.asarray(m, float)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    if len(x) < 2:
        raise ValueError("need at least two customers with purchases of positive spend")
    scale = float(np.mean(m))
    # v carries the currency unit: start it so that the prior mean p*v/(q-1) is near the observed mean.
    starts = [np.log([p, q, scale * (q - 1) / p]) for p, q in [(1.0, 2.0), (5.0, 3.0), (0.5, 10.0), (10.0, 1.5)]]
    theta, converged, message, values = _minimise(_gamma_gamma_objective(x, m), starts)
    params = dict(zip(GAMMA_GAMMA_NAMES, np.exp(theta).tolist(), strict=True))
    reasons = [
        f"{name} is at its bound ({params[name]:.3g})"
        for name, hit in zip(GAMMA_GAMMA_NAMES, _at_bound(theta), strict=True)
        if hit
    ]
    if params["q"] <= 1:
        reasons.append(f"q = {params['q']:.3g} <= 1: the expected spend per purchase is infinite")
    ll = float(np.sum(gamma_gamma_log_likelihood(tuple(params.values()), x, m)))
    return Fit(
        params=params,
        log_likelihood=ll,
        converged=converged,
        message=message,
        n=len(x),
        degenerate=bool(reasons),
        reason="; ".join(reasons),
        start_values=values,
    )
