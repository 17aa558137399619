"""The float32 inverse normal of the JAX kernels against SciPy's float64 Φ⁻¹.

:func:`align_theory.montecarlo.common.normal_from_log` evaluates Φ⁻¹(p) from log p as
√2 · x · P(w) with polynomial pieces of P (benchmarks/fit_inverse_normal.py). Its contract:
absolute error ≤ 2·10⁻⁶ where |Φ⁻¹(p)| ≤ 5 and relative error ≤ 10⁻⁶ beyond, in both tails,
finite for every log p ≤ 0; and ``max_normal(U, k)`` has the law of the maximum of k iid
N(0, 1) (moments by quadrature here).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate
from scipy.special import ndtr, ndtri

from align_theory.montecarlo.common import TINY, max_normal, normal_from_log, uniform

ABS_TOL = 2e-6  # where |Φ⁻¹| ≤ 5
REL_TOL = 1e-6  # beyond
KS = [1, 2, 3, 8, 64, 1024, 4096]

_inverse = jax.jit(normal_from_log)


def _reference(lp32: np.ndarray) -> np.ndarray:
    """Float64 Φ⁻¹ of p = exp(lp) for the float32 lp, through the tail that keeps precision."""
    lp = lp32.astype(np.float64)
    upper = lp > -np.log(2.0)
    return np.where(upper, -ndtri(-np.expm1(lp)), ndtri(np.exp(lp)))


def _assert_precise(lp32: np.ndarray, got32: jax.Array | None = None) -> None:
    """normal_from_log(lp32) (or ``got32``, computed from lp32) within the tolerances."""
    if got32 is None:
        got32 = _inverse(jnp.asarray(lp32, jnp.float32))
    got = np.asarray(got32, dtype=np.float64)
    assert np.all(np.isfinite(got))
    ref = _reference(lp32)
    central = np.abs(ref) <= 5.0
    err = np.abs(got - ref)
    assert err[central].max(initial=0.0) <= ABS_TOL
    assert (err[~central] / np.abs(ref[~central])).max(initial=0.0) <= REL_TOL


LOG_TINY = float(np.log(np.float32(TINY)))
GRIDS = {
    # log p from log(tiny) up to −10⁻¹⁰ (1 − p ≈ 10⁻¹⁰), dense on a log scale of |log p|
    "lower-tail-to-upper-tail": -np.logspace(np.log10(-LOG_TINY), -10, 400_001),
    "p-linear": np.log(np.linspace(1e-7, 1 - 1e-7, 400_001)),
    "around-half": np.log(0.5 + np.linspace(-1e-3, 1e-3, 20_001)),
    "piece-joints": np.concatenate(  # w = 5 and w = 16.5 in both tails, 4p(1 − p) = e^{−w}
        [
            lp * (1 + np.linspace(-1e-3, 1e-3, 2001))
            for w in (5.0, 16.5)
            for p in [np.exp(-w) / (2 * (1 + np.sqrt(-np.expm1(-w))))]
            for lp in (np.log(p), np.log1p(-p))
        ]
    ),
}


@pytest.mark.parametrize("grid", list(GRIDS), ids=list(GRIDS))
def test_inverse_matches_scipy_on_a_dense_grid_of_log_p(grid: str) -> None:
    lp = np.minimum(GRIDS[grid], -1e-10).astype(np.float32)
    _assert_precise(lp)


U = np.concatenate(
    [
        np.array([TINY, np.nextafter(np.float32(TINY), 1), 2.0**-23, 1.0 - 2.0**-24], np.float32),
        np.arange(1, 4097, dtype=np.float32) * np.float32(2.0**-24),  # the smallest steps
        1 - np.arange(1, 4097, dtype=np.float32) * np.float32(2.0**-24),  # the top ones
        np.logspace(-37.9, -0.001, 20_000).astype(np.float32),
        np.random.default_rng(0).random(100_000, dtype=np.float32) + np.float32(TINY),
    ]
)


@pytest.mark.parametrize("k", KS, ids=lambda k: f"k={k}")
def test_inverse_is_precise_on_log_u_over_k(k: int) -> None:
    u = U[U < 1.0]
    lp = np.asarray(jnp.log(jnp.asarray(u)) / k)  # the argument max_normal passes on
    _assert_precise(lp)
    _assert_precise(lp, max_normal(jnp.asarray(u), k))  # un-jitted, rounded otherwise


def test_inverse_is_antisymmetric() -> None:
    p = np.logspace(np.log10(TINY), np.log10(0.4999), 100_001).astype(np.float32)
    lo = np.log(p.astype(np.float64)).astype(np.float32)
    hi = np.log1p(-p.astype(np.float64)).astype(np.float32)  # log(1 − p), 1 − p exact in float64
    a = np.asarray(_inverse(jnp.asarray(lo)), np.float64)
    b = np.asarray(_inverse(jnp.asarray(hi)), np.float64)
    tol = np.where(np.abs(a) <= 5, 2 * ABS_TOL, 2 * REL_TOL * np.abs(a))
    assert np.all(np.abs(a + b) <= tol)
    assert np.all(a < 0)


@pytest.mark.parametrize(
    "lp",
    [0.0, -0.0, -1e-45, -1e-38, -1e-20, -6e-8 / 4096, LOG_TINY, LOG_TINY - 1, -1e30, -np.inf],
    ids=lambda v: f"log_p={v:g}",
)
def test_inverse_is_finite_at_the_ends(lp: float) -> None:
    z = float(_inverse(jnp.float32(lp)))
    assert np.isfinite(z)
    assert abs(z) <= abs(float(ndtri(TINY))) + 1e-5


def test_max_normal_is_finite_for_every_k_at_the_extreme_uniforms() -> None:
    u = jnp.asarray(np.array([TINY, 2.0**-23, 0.5, 1.0 - 2.0**-24], np.float32))
    k = jnp.arange(1, 4097, dtype=jnp.float32)[:, None]
    z = np.asarray(jax.jit(max_normal)(u[None, :], k))
    assert np.all(np.isfinite(z))
    assert np.all(np.diff(z, axis=1) > 0)  # increasing in U for every k


def _max_moments(k: int) -> tuple[float, float, float]:
    """Mean, variance and central 4th moment of the maximum of k iid N(0, 1) (quadrature)."""

    def density(z: float) -> float:
        return float(k * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi) * ndtr(z) ** (k - 1))

    mean = integrate.quad(lambda z: z * density(z), -np.inf, np.inf)[0]
    var = integrate.quad(lambda z: (z - mean) ** 2 * density(z), -np.inf, np.inf)[0]
    m4 = integrate.quad(lambda z: (z - mean) ** 4 * density(z), -np.inf, np.inf)[0]
    return mean, var, m4


@pytest.mark.parametrize("k", [1, 2, 8], ids=lambda k: f"k={k}")
def test_max_normal_has_the_law_of_the_maximum(k: int) -> None:
    n = 1_000_000
    mean, var, m4 = _max_moments(k)
    if k == 2:
        assert mean == pytest.approx(1 / np.sqrt(np.pi), abs=1e-10)
    v = np.asarray(max_normal(uniform(jax.random.key(k), (n,)), k), np.float64)
    assert abs(v.mean() - mean) <= 5 * np.sqrt(var / n)
    assert abs(v.var() - var) <= 5 * np.sqrt((m4 - var**2) / n)
