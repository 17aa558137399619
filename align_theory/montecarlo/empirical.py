r"""Recorded-pool kernels: a question drawn uniformly, its recorded candidates replayed.

A protocol reading n candidates from one agent uses the first n of the question's
recorded candidates (agents in order); one reading g agents × k uses the first g agents'
first k. Answers are re-coded per question so that 0 is the correct answer (the first
correct candidate's id), positive ids are wrong answers and −1 is unparsed. FilterVote
accepts the candidates whose agent score is at least the pool's median. Only the
``candidates`` sampler exists (there are no sufficient statistics of a recorded pool).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from align_theory.montecarlo.common import Params, Pool, take
from align_theory.montecarlo.specs import EmpiricalStatic

__all__ = ["draw_pools"]


def _accept(fy: jax.Array) -> jax.Array:
    return fy >= jnp.median(fy, axis=1, keepdims=True)


def _check_layout(static: EmpiricalStatic, n: int, g: int) -> None:
    _, a_rec, k_rec = static.pool.shape
    if g == 1 and n > a_rec * k_rec:
        raise ValueError(f"n={n} exceeds the recorded candidates per question ({a_rec * k_rec})")
    if g > 1 and (g > a_rec or n // g > k_rec):
        raise ValueError(
            f"layout of {g} agents x {n // g} candidates exceeds the recorded {a_rec} x {k_rec}"
        )


def draw_pools(
    static: EmpiricalStatic, p: Params, key: jax.Array, t: int, layouts: list[tuple[int, int]]
) -> dict[tuple[int, int], Pool]:
    """One pool per layout (n, g), all of the same drawn questions."""
    model = static.pool
    qn = model.shape[0]
    n_max = max(n for n, _ in layouts)
    ks = jax.random.split(key, 10)
    tie_all = jax.random.uniform(ks[0], (t, n_max))
    tie2_all = jax.random.uniform(ks[1], (t, n_max))
    qi = jax.random.randint(ks[2], (t,), 0, qn)
    vote_tie = jax.random.uniform(ks[9], (t, static.answer_width))
    f = jnp.float32
    pools = {}
    for n, g in layouts:
        _check_layout(static, n, g)
        k = n // g

        def pick(arr: np.ndarray, n: int = n, g: int = g, k: int = k) -> jax.Array:
            if g == 1:
                return jnp.asarray(arr.reshape(qn, -1)[:, :n])[qi].reshape(t, 1, n)
            return jnp.asarray(arr[:, :g, :k])[qi]

        correct = pick(model.correct)
        ans = pick(model.answers.astype(np.int32))
        flat_c = correct.reshape(t, -1)
        first = take(ans.reshape(t, -1), jnp.argmax(flat_c, axis=1))
        corr_id = jnp.where(flat_c.any(axis=1), first, -2)[:, None, None]
        recoded = jnp.where(ans == corr_id, 0, jnp.where(ans < 0, -1, ans + 1))
        pools[(n, g)] = Pool(
            correct.astype(f),
            pick(model.agent_score.astype(np.float32)),
            pick(model.principal_score.astype(np.float32)),
            jnp.zeros(g),
            recoded,
            # recorded scores may be continuous: the tie-break stays below half their
            # smallest gap, so it only orders equal scores
            tie_all[:, :n].reshape(t, g, k) * _gap(model.agent_score),
            tie2_all[:, :n].reshape(t, g, k) * _gap(model.principal_score),
            vote_tie,
            _accept,
        )
    return pools


def _gap(score: np.ndarray) -> float:
    """Half the smallest gap between distinct scores (1 when all are equal)."""
    d = np.diff(np.unique(score.astype(np.float32)))
    return 0.5 * float(d.min()) if d.size else 1.0
