"""The inverse-CDF draws stay finite and precise at the ends of the float32 uniforms.

Before the fix, Φ⁻¹(U^{1/k}) was computed as −Φ⁻¹(−expm1(log U / k)) only: at the smallest
uniform (P ≈ 2⁻²³ per draw) and k ≤ 4 the argument rounds to 1 and the draw is −∞, which
made `simulate(GaussianModel(), SingleAgent(2), trials=3·10⁷)` return NaN. The reference
values here are SciPy's float64 Φ⁻¹ of the same U^{1/k}.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtri

from align_theory.montecarlo.common import TINY, max_normal
from align_theory.montecarlo.numpy_sufficient import _max_normal, _normal_from_log

U = np.array([TINY, 2.0**-23, 1e-6, 1e-3, 0.3, 0.5, 0.9, 1.0 - 2.0**-24], np.float32)
KS = [1, 2, 3, 4, 5, 8, 64, 1024]


def _reference(k: int) -> np.ndarray:
    return np.asarray(ndtri(np.exp(np.log(U.astype(np.float64)) / k)))


@pytest.mark.parametrize("k", KS, ids=lambda k: f"k={k}")
def test_jax_max_normal_is_finite_and_precise_in_both_tails(k: int) -> None:
    import jax.numpy as jnp

    got = np.asarray(max_normal(jnp.asarray(U), k), dtype=np.float64)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, _reference(k), rtol=0, atol=5e-6)


@pytest.mark.parametrize("k", KS, ids=lambda k: f"k={k}")
def test_numpy_max_normal_is_finite_and_precise_in_both_tails(k: int) -> None:
    got = _normal_from_log(np.log(U) / np.float32(k)).astype(np.float64)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, _reference(k), rtol=0, atol=5e-6)


class _ZeroFirst:
    """A generator whose uniforms start at exactly 0, the draw that used to give −∞."""

    def __init__(self) -> None:
        self._rng = np.random.default_rng(0)

    def random(self, shape: tuple[int, ...], dtype: type) -> np.ndarray:
        u = self._rng.random(shape, dtype=dtype)
        u.flat[0] = 0.0
        return u


@pytest.mark.parametrize("k", [1, 2, 4], ids=lambda k: f"k={k}")
def test_numpy_sampler_survives_a_zero_uniform(k: int) -> None:
    v = _max_normal(_ZeroFirst(), (1000,), k)  # type: ignore[arg-type]
    assert np.all(np.isfinite(v))
    assert v[0] < -5.0  # the lowest draw stays the lowest


@pytest.mark.parametrize(
    ("k", "mean"),
    [(2, 1.0 / np.sqrt(np.pi)), (3, 1.5 / np.sqrt(np.pi))],  # E max of k iid N(0, 1)
    ids=["k=2", "k=3"],
)
def test_numpy_max_normal_has_the_law_of_the_maximum(k: int, mean: float) -> None:
    v = _max_normal(np.random.default_rng(1), (200_000,), k)
    assert v.dtype == np.float32
    assert abs(float(v.mean()) - mean) < 4.0 * float(v.std()) / np.sqrt(v.size)
