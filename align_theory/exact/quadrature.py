"""Deterministic quadrature rules and the order-statistic densities they integrate.

Composite Gauss–Legendre rules on finite intervals (exponentially convergent for the smooth
integrands of model G), Gauss–Jacobi rules for Beta mixing laws (exact for polynomials of
degree < 2·nodes, which covers every model B closed form of degree ≤ N), and the density
f_K(v) = K φ(v) Φ(v)^{K−1} of the maximum of K iid N(0, 1), evaluated in log space so that
K up to 10⁶ neither overflows nor underflows.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import linalg, special

__all__ = [
    "V_HI",
    "V_LO",
    "beta_nodes",
    "gauss_legendre",
    "log_max_density",
    "max_cdf",
]

V_LO, V_HI = -9.0, 10.0
"""Integration range for a standard normal or the maximum of up to ~10⁶ of them:
outside it the mass is below 1e-18."""

LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


@lru_cache(maxsize=64)
def _leggauss(order: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(order)
    x.setflags(write=False)
    w.setflags(write=False)
    return x, w


def gauss_legendre(
    lo: float | np.ndarray, hi: float | np.ndarray, panels: int = 24, order: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of a composite Gauss–Legendre rule with ``panels`` equal panels of
    ``order`` points on [lo, hi]. ``lo`` and ``hi`` may be arrays of shape S: the result then
    has shape S + (panels·order,), one rule per interval (vectorized variable limits)."""
    x, w = _leggauss(order)
    lo_a = np.asarray(lo, dtype=float)[..., None]
    hi_a = np.asarray(hi, dtype=float)[..., None]
    h = (hi_a - lo_a) / panels
    left = lo_a + h * np.arange(panels)
    nodes = left[..., :, None] + 0.5 * h[..., None] * (x + 1.0)
    weights = np.broadcast_to(0.5 * h[..., None] * w, nodes.shape)
    shape = (*nodes.shape[:-2], panels * order)
    return nodes.reshape(shape), weights.reshape(shape)


def log_max_density(v: np.ndarray, k: int) -> np.ndarray:
    """log f_K(v) = log K + log φ(v) + (K−1) log Φ(v), the density of max of K iid N(0,1)."""
    return np.log(k) - 0.5 * v * v - LOG_SQRT_2PI + (k - 1) * special.log_ndtr(v)


def max_cdf(v: np.ndarray, k: int) -> np.ndarray:
    """F_K(v) = Φ(v)^K, the CDF of the maximum of K iid N(0, 1), via log Φ."""
    return np.exp(k * special.log_ndtr(v))


@lru_cache(maxsize=256)
def _jacobi(nodes: int, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Golub–Welsch: the Gauss rule of Beta(a, b) on [0, 1] from the three-term recurrence
    of the Jacobi polynomials P^{(b−1, a−1)}, written so that huge a + b (a Beta law that is
    nearly a point mass, intra-class correlation 1e-16) and tiny a or b stay finite."""
    s = a + b
    n = np.arange(1, nodes, dtype=float)
    # x-space recurrence (x = 2θ − 1): diagonal (a−b)(s−2)/((2n+s−2)(2n+s)), n ≥ 1, and
    # (a−b)/s at n = 0; squared off-diagonal 4n(n+a−1)(n+b−1)(n+s−2)/((2n+s−2)²(2n+s−1)(2n+s−3)),
    # whose n = 1 term is 4ab/(s²(s+1)) (the factor s − 1 cancels)
    # (each written as a product of bounded ratios, so a + b up to 1e300 does not overflow)
    diag = np.empty(nodes)
    diag[0] = (a - b) / s
    diag[1:] = (a - b) / (2 * n + s) * ((s - 2.0) / (2 * n + s - 2.0))
    off2 = np.empty(nodes - 1)
    if nodes > 1:
        off2[0] = 4.0 * (a / s) * (b / s) / (s + 1.0)
        m = n[1:]
        den = 2 * m + s - 2.0
        off2[1:] = (
            4.0
            * m
            * ((m + a - 1.0) / den)
            * ((m + b - 1.0) / den)
            * ((m + s - 2.0) / (2 * m + s - 1.0))
            / (2 * m + s - 3.0)
        )
    x, vec = linalg.eigh_tridiagonal(diag, np.sqrt(np.clip(off2, 0.0, None)))
    w = vec[0] ** 2
    theta = np.clip(0.5 * (1.0 + x), 0.0, 1.0)
    w = w / w.sum()
    theta.setflags(write=False)
    w.setflags(write=False)
    return theta, w


def beta_nodes(a: float, b: float, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes θ_i in [0, 1] and probability weights w_i with Σ w_i g(θ_i) = E g(θ) exactly for
    every polynomial g of degree ≤ ``degree`` when θ ~ Beta(a, b): the Gauss–Jacobi rule with
    max(24, degree/2 + 8) nodes (exact up to degree 2·nodes − 1), by Golub–Welsch.

    Size it by the integrand's degree: every model B closed form is a polynomial in θ of
    degree at most N (the candidate budget).

    Examples
    --------
    >>> theta, w = beta_nodes(2.0, 3.0, 10)
    >>> round(float(w @ theta), 12), round(float(w @ theta**10), 12)  # a/(a+b), (a)₁₀/(a+b)₁₀
    (0.4, 0.010989010989)
    """
    n = max(24, int(degree) // 2 + 8)
    return _jacobi(int(n), float(a), float(b))
