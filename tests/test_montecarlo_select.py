"""``take_max``: the kernels' selection of the value at the first maximum of a score.

It replaced ``take(v, jnp.argmax(score))`` in every kernel (docs/benchmarks.md: the gather
cost half of the sufficient path's time), so it must give the same entry, ties included
(the lowest index wins, as ``argmax``). Reference: NumPy's ``argmax`` and
``take_along_axis``, computed independently on the host.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from align_theory.montecarlo.common import UNROLL_MAX, take_max

WIDTHS = [1, 2, 3, 7, 8, 16, UNROLL_MAX, UNROLL_MAX + 1, 100]


def _ref(score: np.ndarray, value: np.ndarray) -> np.ndarray:
    idx = np.argmax(score, axis=-1)[..., None]
    return np.take_along_axis(np.broadcast_to(value, score.shape), idx, axis=-1)[..., 0]


@pytest.mark.parametrize("n", WIDTHS, ids=lambda n: f"n={n}")
@pytest.mark.parametrize("ties", [False, True], ids=["continuous", "ties"])
def test_take_max_equals_argmax_and_gather(n: int, ties: bool) -> None:
    rng = np.random.default_rng(n + 1000 * ties)
    shape = (257, 3, n)
    score = (
        rng.integers(0, 3, shape).astype(np.float32)
        if ties
        else rng.standard_normal(shape).astype(np.float32)
    )
    a = rng.standard_normal(shape).astype(np.float32)
    b = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)  # distinct: names the index
    got_a, got_b = take_max(jnp.asarray(score), jnp.asarray(a), jnp.asarray(b))
    np.testing.assert_array_equal(np.asarray(got_a), _ref(score, a))
    np.testing.assert_array_equal(np.asarray(got_b), _ref(score, b))


@pytest.mark.parametrize("n", [3, UNROLL_MAX + 3], ids=lambda n: f"n={n}")
def test_take_max_ties_and_infinities_by_hand(n: int) -> None:
    score = np.full((4, n), -np.inf, np.float32)
    score[0, [1, 2]] = 5.0  # a tie: the first of the two
    score[1, -1] = 0.0  # the maximum last
    score[2, :] = 1.0  # all equal: the first
    # row 3: all −∞, the first (as argmax)
    val = np.arange(4 * n, dtype=np.float32).reshape(4, n)
    got = np.asarray(take_max(jnp.asarray(score), jnp.asarray(val)))
    np.testing.assert_array_equal(got, [1.0, 2 * n - 1.0, 2 * n, 3 * n])


def test_take_max_broadcasts_values() -> None:
    score = jnp.asarray([[0.0, 3.0, 1.0], [2.0, 0.0, 1.0]])
    off = jnp.asarray([[10.0, 20.0, 30.0]])  # (1, n): per-column values, as agent offsets
    np.testing.assert_array_equal(np.asarray(take_max(score, off)), [20.0, 10.0])


def test_take_max_needs_a_value() -> None:
    with pytest.raises(ValueError, match=r"^take_max needs at least one value array$"):
        take_max(jnp.zeros((2, 3)))
