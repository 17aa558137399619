r"""Model B kernels: candidate pools and sufficient-statistics samplers.

``candidates``: per trial θ ~ Beta(a, b) (and θ_a | θ ~ Beta(cθ, c(1−θ)) with diversity),
per candidate the correctness, verdict, wrong-answer and tie-break uniforms; the wrong
answer of a candidate is its uniform's bin under the (uniform or Dirichlet) answer
probabilities.

``sufficient``: per agent the counts C_a ~ Bin(K, θ_a) of correct candidates,
A1_a ~ Bin(C_a, s) accepted correct and A0_a ~ Bin(K−C_a, f) accepted wrong (inverse-CDF
binomials, one uniform each); the agent's uniformly random accepted candidate is correct
with probability A1/(A1+A0) (C/K when it accepts none). The principal stage of Align works
on the M proposals the same way (its fallback, when it accepts none, is uniform over the M
proposals). Votes draw the answer counts, a multinomial over the m wrong answers as a chain
of binomials W_j ~ Bin(rest, w_j/(1 − Σ_{i<j} w_i)) run by ``lax.scan`` (one compiled step
whatever m). Every utility is an exact draw of the protocol's output (no conditional
expectations), so the per-trial variance is the protocol's own.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from align_theory.montecarlo.common import (
    TINY,
    Params,
    Pool,
    bern_pick,
    beta,
    binomial,
    dirichlet,
)
from align_theory.montecarlo.specs import BernoulliStatic
from align_theory.protocols import (
    Align,
    FilterVote,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    Protocol,
    RandomPick,
    SingleAgent,
    pool_layout,
)

__all__ = ["SUFFICIENT", "draw_pools", "sufficient_width"]

Kernel = Callable[[BernoulliStatic, Params, Protocol, jax.Array, int], jax.Array]


def _accept(fy: jax.Array) -> jax.Array:
    return fy > 0.5


def draw_pools(
    static: BernoulliStatic, p: Params, key: jax.Array, t: int, layouts: list[tuple[int, int]]
) -> dict[tuple[int, int], Pool]:
    """One pool per layout (n, g) from one draw for the largest n and g (common numbers)."""
    n_max = max(n for n, _ in layouts)
    g_max = max(g for _, g in layouts)
    m = static.wrong_answers
    ks = jax.random.split(key, 10)
    tie_all = jax.random.uniform(ks[0], (t, n_max))
    tie2_all = jax.random.uniform(ks[1], (t, n_max))
    theta = beta(ks[2], p["a"], p["b"], (t,))
    theta_agent = None
    if static.diversity:
        th = jnp.clip(theta, TINY, 1.0 - 1e-7)[:, None]
        theta_agent = beta(ks[3], p["div"] * th, p["div"] * (1.0 - th), (t, g_max))
    u_c, u_y, u_x, u_w = (jax.random.uniform(ks[4 + i], (t, n_max)) for i in range(4))
    if static.dirichlet:
        cdf = jnp.cumsum(dirichlet(ks[8], p["alpha"], (t, m)), axis=1)[:, None, :-1]
        wrong_all = 1 + (u_w[:, :, None] > cdf).sum(axis=2)
    else:
        wrong_all = 1 + jnp.minimum((u_w * m).astype(jnp.int32), m - 1)
    vote_tie = jax.random.uniform(ks[9], (t, m + 1))
    f = jnp.float32
    pools = {}
    for n, g in layouts:
        k = n // g
        agent = np.arange(n) // k
        th_n = theta[:, None] if theta_agent is None else theta_agent[:, agent]
        correct = u_c[:, :n] < th_n
        y = jnp.where(correct, u_y[:, :n] < p["s"], u_y[:, :n] < p["f"])
        xh = jnp.where(correct, u_x[:, :n] < p["s2"], u_x[:, :n] < p["f2"])
        answer = jnp.where(correct, 0, wrong_all[:, :n])

        def sh(a: jax.Array, k: int = k, g: int = g) -> jax.Array:
            return a.reshape(t, g, k)

        pools[(n, g)] = Pool(
            sh(correct.astype(f)),
            sh(y.astype(f)),
            sh(xh.astype(f)),
            jnp.zeros(g),
            sh(answer),
            sh(tie_all[:, :n]),
            sh(tie2_all[:, :n]),
            vote_tie,
            _accept,
        )
    return pools


def _theta(static: BernoulliStatic, p: Params, key: jax.Array, t: int, g: int) -> jax.Array:
    """θ_a per agent, shape (T, g) (θ_q broadcast when there is no diversity)."""
    k0, k1 = jax.random.split(key)
    theta = beta(k0, p["a"], p["b"], (t, 1))
    if static.diversity:
        th = jnp.clip(theta, TINY, 1.0 - 1e-7)
        return beta(k1, p["div"] * th, p["div"] * (1.0 - th), (t, g))
    return jnp.broadcast_to(theta, (t, g))


def _counts(
    key: jax.Array, theta: jax.Array, k: int, s: jax.Array, f: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(C, A1, A0): correct, accepted-correct and accepted-wrong counts of k candidates."""
    k0, k1, k2 = jax.random.split(key, 3)
    c = binomial(k0, jnp.float32(k), theta, k)
    return c, binomial(k1, c, s, k), binomial(k2, k - c, f, k)


def answer_counts(
    static: BernoulliStatic, p: Params, key: jax.Array, wrong: jax.Array, nmax: int
) -> jax.Array:
    """Counts (T, m) of the m wrong answers among ``wrong`` (T,) wrong candidates: a
    multinomial as a chain of binomials W_j ~ Bin(rest_j, w_j / Σ_{i≥j} w_i), scanned over j
    (one compiled step for any m; the last answer takes the rest)."""
    m = static.wrong_answers
    t = wrong.shape[0]
    if m == 1:
        return wrong[:, None]
    k_w, k_chain = jax.random.split(key)
    if static.dirichlet:
        w = dirichlet(k_w, p["alpha"], (t, m))
    else:
        w = jnp.full((t, m), 1.0 / m, jnp.float32)
    left = 1.0 - jnp.cumsum(w, axis=1) + w  # mass of answers j..m-1
    q = jnp.clip(w[:, :-1] / jnp.maximum(left[:, :-1], TINY), 0.0, 1.0)  # (T, m-1)
    keys = jax.random.split(k_chain, m - 1)

    def step(rest: jax.Array, kq: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        kj, qj = kq
        wj = binomial(kj, rest, qj, nmax)
        return rest - wj, wj

    rest, out = jax.lax.scan(step, wrong, (keys, q.T))
    return jnp.concatenate([out.T, rest[:, None]], axis=1)


def plurality(u: jax.Array, correct: jax.Array, wrong: jax.Array) -> jax.Array:
    """1{the correct answer wins the plurality}: counts ``correct`` (T,) vs ``wrong`` (T, m);
    a tie among the L leaders (the correct one included) is won with probability 1/L (one
    uniform ``u``); no votes at all is a loss."""
    top = wrong.max(axis=1)
    tied = 1.0 + (wrong == correct[:, None]).sum(axis=1)
    win = (correct > top) | ((correct == top) & (correct > 0) & (u * tied < 1.0))
    return win.astype(jnp.float32)


def _s_random(
    static: BernoulliStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    ks = jax.random.split(key, 6)
    theta = _theta(static, p, ks[0], t, pool_layout(proto)[1])
    return (jax.random.uniform(ks[1], (t,)) < theta[:, 0]).astype(jnp.float32)


def _s_oracle(
    static: BernoulliStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    n, g = pool_layout(proto)
    ks = jax.random.split(key, 6)
    theta = _theta(static, p, ks[0], t, g)
    none = jnp.prod(jnp.power(1.0 - theta, n // g), axis=1)
    return (jax.random.uniform(ks[1], (t,)) >= none).astype(jnp.float32)


def _one_stage(
    static: BernoulliStatic, p: Params, proto: Protocol, key: jax.Array, t: int, s: str, f: str
) -> jax.Array:
    n, g = pool_layout(proto)
    ks = jax.random.split(key, 6)
    theta = _theta(static, p, ks[0], t, g)
    c, a1, a0 = _counts(ks[1], theta, n // g, p[s], p[f])
    u = jax.random.uniform(ks[2], (t,))
    return bern_pick(u, a1.sum(1), (a1 + a0).sum(1), c.sum(1), jnp.float32(n))


def _s_single(
    static: BernoulliStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    return _one_stage(static, p, proto, key, t, "s", "f")


def _s_best_of_n(
    static: BernoulliStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    return _one_stage(static, p, proto, key, t, "s2", "f2")


def _s_align(
    static: BernoulliStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    assert isinstance(proto, Align)
    n, g = pool_layout(proto)  # g = M agents, k = K candidates each
    k = n // g
    ks = jax.random.split(key, 6)
    theta = _theta(static, p, ks[0], t, g)
    c, a1, a0 = _counts(ks[1], theta, k, p["s"], p["f"])
    u = jax.random.uniform(ks[2], (t, g))
    prop = bern_pick(u, a1, a1 + a0, c, jnp.float32(k))  # (T, M): proposal correct
    if proto.principal == "exact":
        return prop.max(axis=1)
    v = jax.random.uniform(ks[3], (t, g))
    acc = jnp.where(prop > 0, v < p["s2"], v < p["f2"]).astype(jnp.float32)
    u2 = jax.random.uniform(ks[4], (t,))
    # the principal picks uniformly among accepted proposals, else among all M of them
    return bern_pick(u2, (acc * prop).sum(1), acc.sum(1), prop.sum(1), jnp.float32(g))


def _vote_counts(
    static: BernoulliStatic, p: Params, proto: Protocol, ks: jax.Array, t: int
) -> tuple[jax.Array, jax.Array]:
    n, g = pool_layout(proto)
    theta = _theta(static, p, ks[0], t, g)
    c = binomial(ks[1], jnp.float32(n // g), theta, n // g).sum(axis=1)
    return c, answer_counts(static, p, ks[2], n - c, n)


def _s_majority(
    static: BernoulliStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    ks = jax.random.split(key, 6)
    c, wrong = _vote_counts(static, p, proto, ks, t)
    return plurality(jax.random.uniform(ks[3], (t,)), c, wrong)


def _s_filter(
    static: BernoulliStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    n = proto.n
    ks = jax.random.split(key, 6)
    c, wrong = _vote_counts(static, p, proto, ks, t)
    u = jax.random.uniform(ks[3], (t,))
    ac = binomial(ks[4], c, p["s"], n)
    aw = binomial(ks[5], wrong, p["f"][None], n)
    anyacc = (ac + aw.sum(axis=1)) > 0
    return jnp.where(anyacc, plurality(u, ac, aw), plurality(u, c, wrong))


SUFFICIENT: dict[type, Kernel] = {
    Align: _s_align,
    SingleAgent: _s_single,
    RandomPick: _s_random,
    Oracle: _s_oracle,
    PrincipalBestOfN: _s_best_of_n,
    MajorityVote: _s_majority,
    FilterVote: _s_filter,
}
"""Protocol class → sufficient-statistics sampler of one block (Shortlist has none in model
B: it is simulated with the ``candidates`` sampler; Align's ``bayes`` rule is model G's)."""


def sufficient_width(static: BernoulliStatic, proto: Protocol) -> int:
    """Float32 words per trial of a sufficient kernel (conservative; sizes chunks)."""
    n, g = pool_layout(proto)
    m = static.wrong_answers
    return 16 * g * (n // g + 4) + 16 * (m + 2) * 4 + 32
