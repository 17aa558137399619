r"""Model G kernels: candidate pools and sufficient-statistics samplers.

``candidates``: per trial Z₀, agent shifts A_a and per-candidate Z, η, ν are drawn for the
largest pool; a protocol reading n = g·k candidates from g agents uses the first n
candidate columns and the first g agent columns (common random numbers). x̂ = x + κ_e ν
with κ_e = √(κ²+β²): βb + κν has the law of κ_e ν (b and ν are iid N(0, 1) and independent
of everything else), so one normal is drawn instead of two.

``sufficient``: agent a's level m_a − μ = σ(√ρ_b Z₀ + √(ρ_w−ρ_b) A_a) and offset c_a give
y_k − m_a − c_a = S·Y_k with S = √(σ_w²+τ²), so the agent's pick has Y = V = Φ⁻¹(U^{1/K})
(the maximum of K iid N(0, 1)); its x = m_a + rσ_w V + σ_w√(1−r²) ε with r = σ_w/S, and
x̂ = x + κ_e ν: three numbers per agent instead of 3K. Shortlist uses the top-s order
statistics of n uniforms, U₍₁₎ = U₁^{1/n}, U₍ⱼ₊₁₎ = U₍ⱼ₎·U_{j+1}^{1/(n−j)}; PrincipalBestOfN
selects on x̂ (S' = √(σ_w²+κ_e²), r' = σ_w/S'); Oracle needs only m_a + σ_w V.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from align_theory.montecarlo.common import (
    Params,
    Pool,
    Posterior,
    max_normal,
    normal,
    normal_from_log,
    principal_score,
    take_max,
    uniform,
)
from align_theory.montecarlo.posterior import NODES as POSTERIOR_NODES
from align_theory.montecarlo.posterior import posterior_mean_jax
from align_theory.montecarlo.specs import GaussianStatic
from align_theory.protocols import (
    Align,
    Oracle,
    PrincipalBestOfN,
    Protocol,
    RandomPick,
    Shortlist,
    SingleAgent,
    pool_layout,
)

__all__ = ["SUFFICIENT", "draw_pools", "sufficient_width"]

Kernel = Callable[[GaussianStatic, Params, Protocol, jax.Array, int], jax.Array]


def draw_pools(
    static: GaussianStatic, p: Params, key: jax.Array, t: int, layouts: list[tuple[int, int]]
) -> dict[tuple[int, int], Pool]:
    """One pool per layout (n, g) from one draw for the largest n and g (common numbers)."""
    n_max = max(n for n, _ in layouts)
    g_max = max(g for _, g in layouts)
    ks = jax.random.split(key, 10)  # the layout every model's candidate draw shares
    z0 = normal(ks[0], (t,)) if static.has_level else jnp.zeros((t,), jnp.float32)
    shift = normal(ks[1], (t, g_max)) if static.has_agent else jnp.zeros((t, g_max))
    z, eta, nu = normal(ks[2], (t, n_max)), normal(ks[3], (t, n_max)), normal(ks[4], (t, n_max))
    pools = {}
    for n, g in layouts:
        k = n // g
        agent = np.arange(n) // k
        off = p["off"][:g]
        x = p["c0"] * z0[:, None] + p["ca"] * shift[:, agent] + p["sw"] * z[:, :n]
        y = x + off[agent] + p["tau"] * eta[:, :n]
        xh = x + p["ke"] * nu[:, :n]
        pools[(n, g)] = Pool(
            x.reshape(t, g, k),
            y.reshape(t, g, k),
            xh.reshape(t, g, k),
            off,
            posterior=posterior_of(static, p),
        )
    return pools


def posterior_of(static: GaussianStatic, p: Params) -> Posterior:
    """The principal's posterior mean E[x_a | reports, x̂] for this model structure
    (:func:`align_theory.montecarlo.posterior.posterior_mean_jax`)."""

    def post(r: jax.Array, xh: jax.Array, off: jax.Array, k: int) -> jax.Array:
        return posterior_mean_jax(p, r, xh, off.reshape(-1), k, static.has_level, static.has_agent)

    return post


def _levels(static: GaussianStatic, p: Params, key: jax.Array, t: int, g: int) -> jax.Array:
    """Agent levels m_a − μ, shape (T, g) (terms with a zero coefficient are not drawn)."""
    k0, k1 = jax.random.split(key)
    lev = jnp.zeros((t, g), jnp.float32)
    if static.has_level:
        lev = lev + p["c0"] * normal(k0, (t, 1))
    if static.has_agent:
        lev = lev + p["ca"] * normal(k1, (t, g))
    return lev


def _s_random(
    static: GaussianStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    ks = jax.random.split(key, 4)
    g = pool_layout(proto)[1]
    return _levels(static, p, ks[0], t, g)[:, 0] + p["sw"] * normal(ks[1], (t,))


def _s_oracle(
    static: GaussianStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    n, g = pool_layout(proto)
    ks = jax.random.split(key, 4)
    lev = _levels(static, p, ks[0], t, g)
    return (lev + p["sw"] * max_normal(uniform(ks[1], (t, g)), n // g)).max(axis=1)


def _s_best_of_n(
    static: GaussianStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    n, g = pool_layout(proto)
    ks = jax.random.split(key, 4)
    lev = _levels(static, p, ks[0], t, g)
    v = max_normal(uniform(ks[1], (t, g)), n // g)
    xh = lev + p["s_j"] * v
    x = lev + p["sw"] * (p["r_j"] * v + p["rc_j"] * normal(ks[2], (t, g)))
    return take_max(xh, x)


def _s_shortlist(
    static: GaussianStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    assert isinstance(proto, Shortlist)
    n, s = proto.n, proto.size
    ks = jax.random.split(key, 4)
    lev0 = _levels(static, p, ks[0], t, 1)
    logu = jnp.log(uniform(ks[1], (t, s))) / (n - jnp.arange(s, dtype=jnp.float32))
    v = normal_from_log(jnp.cumsum(logu, axis=1))  # top-s order statistics
    x = lev0 + p["sw"] * (p["r_y"] * v + p["rc_y"] * normal(ks[2], (t, s)))
    y = lev0 + p["off"][0] + p["s_y"] * v
    xh = x + p["ke"] * normal(ks[3], (t, s))
    return take_max(principal_score(proto.principal, p, x, y, xh, jnp.zeros((1, s)), None), x)


def _agent_picks(
    static: GaussianStatic, p: Params, proto: Protocol, ks: jax.Array, t: int
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(x, y, offsets) of each agent's argmax-y candidate, shape (T, g)."""
    n, g = pool_layout(proto)
    off = p["off"][:g]
    lev = _levels(static, p, ks[0], t, g)
    v = max_normal(uniform(ks[1], (t, g)), n // g)
    x = lev + p["sw"] * (p["r_y"] * v + p["rc_y"] * normal(ks[2], (t, g)))
    return x, lev + off + p["s_y"] * v, off


def _s_single(
    static: GaussianStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    x, y, _ = _agent_picks(static, p, proto, jax.random.split(key, 4), t)
    return take_max(y, x)


def _s_align(
    static: GaussianStatic, p: Params, proto: Protocol, key: jax.Array, t: int
) -> jax.Array:
    assert isinstance(proto, Align)
    ks = jax.random.split(key, 4)
    x, y, off = _agent_picks(static, p, proto, ks, t)
    xh = x + p["ke"] * normal(ks[3], x.shape)
    post = posterior_of(static, p)
    k = proto.per_agent
    return take_max(principal_score(proto.principal, p, x, y, xh, off, None, post, k), x)


SUFFICIENT: dict[type, Kernel] = {
    Align: _s_align,
    SingleAgent: _s_single,
    RandomPick: _s_random,
    Oracle: _s_oracle,
    PrincipalBestOfN: _s_best_of_n,
    Shortlist: _s_shortlist,
}
"""Protocol class → sufficient-statistics sampler of one block (the vote protocols need
discrete answers and are undefined in model G)."""


def sufficient_width(static: GaussianStatic, proto: Protocol) -> int:
    """Float32 words per trial of a sufficient kernel (conservative; sizes chunks)."""
    if isinstance(proto, Shortlist):
        return 24 * proto.size + 16
    return 24 * pool_layout(proto)[1] + 16 + posterior_width(static, proto)


def posterior_width(static: GaussianStatic, proto: Protocol) -> int:
    """Words per trial of the ``bayes`` posterior grids (M × G_u × G_A, ~8 live arrays)."""
    if not (isinstance(proto, Align) and proto.principal == "bayes"):
        return 0
    g_u = POSTERIOR_NODES if static.has_level else 1
    g_a = POSTERIOR_NODES if static.has_agent else 1
    return 8 * proto.agents * g_u * g_a
