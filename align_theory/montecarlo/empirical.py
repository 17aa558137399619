r"""Recorded-pool kernels: a question drawn uniformly, its recorded candidates replayed.

A protocol reading g agents × k candidates (:func:`~align_theory.protocols.pool_layout`)
reads a uniformly random sub-pool of the question: g of its A recorded agents, drawn without
replacement, and k of each chosen agent's K samples, drawn without replacement — the
sub-pool law whose exact average :mod:`align_theory.exact.empirical` computes, so
``simulate(pool, p)`` estimates ``expected_utility(pool, p)``. Layouts of one call share
the draw (prefixes of one random permutation of agents and of samples: common random
numbers). Answers are re-coded per question so that 0 is the correct answer (the first
correct candidate's id), positive ids are wrong answers, and each unparsed candidate is a
class of its own. FilterVote
accepts the candidates whose agent score exceeds 1/2, as the pool engine does. Only the
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
    return fy > 0.5


def _check_layout(static: EmpiricalStatic, n: int, g: int) -> None:
    _, a_rec, k_rec = static.pool.shape
    if g > a_rec or n // g > k_rec:
        raise ValueError(
            f"a layout of {g} agent(s) x {n // g} candidate(s) exceeds the recorded "
            f"{a_rec} x {k_rec}; choose agents= so that n/agents <= {k_rec}, or use "
            "pool.pooled() to read all candidates as one pipeline"
        )


def draw_pools(
    static: EmpiricalStatic, p: Params, key: jax.Array, t: int, layouts: list[tuple[int, int]]
) -> dict[tuple[int, int], Pool]:
    """One pool per layout (n, g), all of the same drawn questions."""
    model = static.pool
    qn, a_rec, k_rec = model.shape
    ks = jax.random.split(key, 10)
    qi = jax.random.randint(ks[2], (t,), 0, qn)
    # one random order of the agents and of each agent's samples per trial: a layout reads
    # the first g agents and their first k samples (a uniform sub-pool, shared by layouts)
    agent_order = jnp.argsort(jax.random.uniform(ks[3], (t, a_rec)), axis=1)
    sample_order = jnp.argsort(jax.random.uniform(ks[4], (t, a_rec, k_rec)), axis=2)
    n_max = max(n for n, _ in layouts)
    tie_all = jax.random.uniform(ks[0], (t, n_max))
    tie2_all = jax.random.uniform(ks[1], (t, n_max))
    vote_tie = jax.random.uniform(ks[9], (t, static.answer_width))
    f = jnp.float32
    gap_y, gap_x = model.tie_scale("agent_score"), model.tie_scale("principal_score")
    base = int(model.answers.max()) + 2
    pools = {}
    for n, g in layouts:
        _check_layout(static, n, g)
        k = n // g
        agents = agent_order[:, :g]  # (t, g)
        samples = jnp.take_along_axis(sample_order, agents[:, :, None], axis=1)[:, :, :k]

        def pick(
            arr: np.ndarray, agents: jax.Array = agents, samples: jax.Array = samples
        ) -> jax.Array:
            rows = jnp.asarray(arr)[qi]  # (t, A, K)
            rows = jnp.take_along_axis(rows, agents[:, :, None], axis=1)  # (t, g, K)
            return jnp.take_along_axis(rows, samples, axis=2)  # (t, g, k)

        correct = pick(model.correct)
        ans = pick(model.answers.astype(np.int32))
        flat_c = correct.reshape(t, -1)
        first = take(ans.reshape(t, -1), jnp.argmax(flat_c, axis=1))
        corr_id = jnp.where(flat_c.any(axis=1), first, -2)[:, None, None]
        # unparsed candidates (−1) are each a class of their own (as in the pool engine)
        own = base + jnp.arange(n, dtype=jnp.int32).reshape(1, g, k)
        recoded = jnp.where(ans == corr_id, 0, jnp.where(ans < 0, own, ans + 1))
        pools[(n, g)] = Pool(
            correct.astype(f),
            pick(model.agent_score.astype(np.float32)),
            pick(model.principal_score.astype(np.float32)),
            jnp.zeros(g),
            recoded,
            # recorded scores may be continuous: the tie-break stays below half their
            # smallest gap, so it only orders equal scores
            tie_all[:, :n].reshape(t, g, k) * gap_y,
            tie2_all[:, :n].reshape(t, g, k) * gap_x,
            vote_tie,
            _accept,
        )
    return pools
