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
from scipy import special

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
def _jacobi(nodes: int, alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    x, w = special.roots_jacobi(nodes, alpha, beta)
    theta = 0.5 * (1.0 + x)
    w = w / w.sum()
    theta.setflags(write=False)
    w.setflags(write=False)
    return theta, w


def beta_nodes(a: float, b: float, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes θ_i in (0, 1) and probability weights w_i with Σ w_i g(θ_i) = E g(θ) exactly for
    every polynomial g of degree ≤ ``degree`` when θ ~ Beta(a, b) (Gauss–Jacobi rule with
    weight (1−x)^{b−1}(1+x)^{a−1}, x = 2θ − 1)."""
    n = max(24, degree // 2 + 8)
    return _jacobi(int(n), float(b - 1.0), float(a - 1.0))
