"""The purchase and spend models, exactly as Fader, Hardie and Lee published them.

* BG/NBD ("Counting your customers the easy way", 2005): while alive, a customer buys at a Poisson
  rate lambda ~ Gamma(r, alpha); after each purchase they drop out with probability p ~ Beta(a, b).
  Input per customer: x (repeat purchases), t_x (time of the last purchase since the first) and T
  (time since the first purchase), all in weeks.
* Gamma-Gamma ("RFM and CLV: using iso-value curves", 2005): the spend of one purchase ~ Gamma(p, nu)
  with nu ~ Gamma(q, gamma) across customers, independent of the purchase process. Input: customers with
  x > 0 and the mean value m of their repeat purchases.

Fitted by maximum likelihood on the customers' summaries with scipy (L-BFGS-B on log parameters).
Identical summaries are collapsed with a weight first, so a million customers cost what their
distinct (x, t_x, T) triples cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

WEEKS_PER_MONTH = 365.25 / 12 / 7
Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float


class FitError(Exception):
    """Too little or unusable history to fit a model."""


def _collapse(*columns: Array) -> tuple[list[Array], Array]:
    stacked = np.column_stack(columns)
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(np.float64)


def bgnbd_log_likelihood(params: BgNbd, x: Array, t_x: Array, big_t: Array) -> Array:
    """Each customer's log-likelihood under ``params``."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + big_t)
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            repeat,
            np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4), dtype=np.float64)


def fit_bgnbd(x: Array, t_x: Array, big_t: Array) -> BgNbd:
    """Maximum-likelihood BG/NBD parameters for these customers (time in weeks)."""
    x, t_x, big_t = (np.asarray(v, dtype=np.float64) for v in (x, t_x, big_t))
    if len(x) < 2 or not np.any(x > 0) or not np.any(big_t > 0):
        raise FitError("BG/NBD needs at least two customers and one repeat purchase")
    (ux, ut, uT), weights = _collapse(x, t_x, big_t)
    total = weights.sum()

    def loss(log_params: Array) -> float:
        with np.errstate(all="ignore"):  # the optimiser probes extreme parameters on its way
            params = BgNbd(*np.exp(log_params))
            value = -float(np.dot(weights, bgnbd_log_likelihood(params, ux, ut, uT))) / total
        return value if np.isfinite(value) else 1e100

    return BgNbd(*_minimise(loss, 4))


def gamma_gamma_log_likelihood(params: GammaGamma, x: Array, m: Array) -> Array:
    p, q, gamma = params.p, params.q, params.gamma
    px = p * x
    return np.asarray(
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(x * m + gamma),
        dtype=np.float64,
    )


def fit_gamma_gamma(x: Array, m: Array) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma parameters from customers with x > 0 and a positive mean m."""
    x, m = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
    keep = (x > 0) & (m > 0)
    if keep.sum() < 2:
        raise FitError("Gamma-Gamma needs at least two customers with a repeat purchase")
    (ux, um), weights = _collapse(x[keep], m[keep])
    total = weights.sum()

    def loss(log_params: Array) -> float:
        with np.errstate(all="ignore"):
            params = GammaGamma(*np.exp(log_params))
            value = -float(np.dot(weights, gamma_gamma_log_likelihood(params, ux, um))) / total
        return value if np.isfinite(value) else 1e100

    return GammaGamma(*_minimise(loss, 3))


def _minimise(loss: object, n: int) -> list[float]:
    best: optimize.OptimizeResult | None = None
    # A couple of starting points: the likelihoods are smooth but flat in places.
    for start in (np.zeros(n), np.full(n, 0.5), np.full(n, -0.5)):
        found = optimize.minimize(loss, start, method="L-BFGS-B", options={"maxiter": 2000})
        if best is None or found.fun < best.fun:
            best = found
    assert best is not None
    if not np.all(np.isfinite(best.x)) or best.fun >= 1e99:
        raise FitError("the likelihood could not be maximised")
    return [float(v) for v in np.exp(best.x)]


# --- predictions -----------------------------------------------------------------------------


def alive_probability(params: BgNbd, x: Array | float, t_x: Array | float, big_t: Array | float) -> Array:
    """P(still alive | x, t_x, T)."""
    x, t_x, big_t = (np.asarray(v, dtype=np.float64) for v in (x, t_x, big_t))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(
            x > 0,
            a / np.where(x > 0, b + x - 1, 1.0) * ((alpha + big_t) / (alpha + t_x)) ** (r + x),
            0.0,
        )
    return np.asarray(1.0 / (1.0 + odds), dtype=np.float64)


def expected_purchases(
    params: BgNbd, t: Array | float, x: Array | float, t_x: Array | float, big_t: Array | float
) -> Array:
    """E[purchases in the next ``t`` weeks | x, t_x, T] (equation 10 of the BG/NBD paper)."""
    t, x, t_x, big_t = (np.asarray(v, dtype=np.float64) for v in (t, x, t_x, big_t))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < 1e-9:
        a = 1.0 + 1e-9  # the closed form divides by a - 1; the limit is continuous
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + big_t + t))
    head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(
            x > 0,
            a / np.where(x > 0, b + x - 1, 1.0) * ((alpha + big_t) / (alpha + t_x)) ** (r + x),
            0.0,
        )
    return np.asarray(head / (1 + odds), dtype=np.float64)


def expected_spend(params: GammaGamma, x: Array | float, m: Array | float) -> Array:
    """E[spend of one purchase | x repeat purchases of mean m]; the population mean when x = 0."""
    x, m = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
    p, q, gamma = params.p, params.q, params.gamma
    population = p * gamma / (q - 1) if q > 1 else 0.0
    individual = p * (gamma + x * m) / (p * x + q - 1)
    return np.asarray(np.where((x > 0) & (m > 0), individual, population), dtype=np.float64)


def discounted_purchases(
    params: BgNbd, months: int, yearly_rate: float, x: Array | float, t_x: Array | float, big_t: Array | float
) -> Array:
    """Expected purchases month by month over ``months``, each month discounted at ``yearly_rate``.

    Multiplied by the expected spend (and margin) this is the predicted lifetime value.
    """
    monthly = (1 + yearly_rate) ** (1 / 12) - 1
    total = np.zeros(np.broadcast(np.asarray(x), np.asarray(t_x), np.asarray(big_t)).shape)
    before = np.zeros_like(total)
    for month in range(1, months + 1):
        upto = expected_purchases(params, month * WEEKS_PER_MONTH, x, t_x, big_t)
        total = total + (upto - before) / (1 + monthly) ** month
        before = upto
    return np.asarray(total, dtype=np.float64)
