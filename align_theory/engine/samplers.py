r"""JAX samplers: one block of trials → per-trial utilities of each protocol.

Two samplers share the protocol semantics of DESIGN.md section 2 and of the reference
engine (:mod:`align_theory.engine.reference`):

``candidates`` (exact candidates)
    Every candidate's (x, y, x̂) is drawn, for the largest pool among the protocols; a
    protocol reading n = g·k candidates from g agents uses the first n candidate columns and
    the first g agent columns, so all protocols of one call share their randomness (common
    random numbers; T1's pointwise order holds draw by draw). Model G draws x̂ = x + κ_e ν
    with κ_e = √(κ²+β²): b and ν are iid N(0, 1) and independent of everything else, so
    βb + κν has the law of κ_e ν (one normal instead of two).

``sufficient`` (sufficient statistics; one protocol at a time)
    Only what the protocol's output depends on is drawn. Model G, agent a of a pool, given
    its level m_a = σ(√ρ_b Z₀ + √(ρ_w−ρ_b) A_a) (μ is added on the host) and offset c_a:
    y_k − m_a − c_a = S·Y_k with S = √(σ_w²+τ²) and Y_k iid N(0, 1), so the agent's pick has
    Y = V = Φ⁻¹(U^{1/K}) (the maximum of K iid N(0, 1)); its x = m_a + rσ_w V +
    σ_w√(1−r²) ε with r = σ_w/S (the Gaussian conditional of x | y), and x̂ = x + κ_e ν.
    Three numbers per agent instead of 3K. Shortlist uses the top-s order statistics of n
    uniforms, U₍₁₎ = U₁^{1/n}, U₍ⱼ₊₁₎ = U₍ⱼ₎·U_{j+1}^{1/(n−j)}; PrincipalBestOfN selects on
    x̂ (S' = √(σ_w²+κ_e²), r' = σ_w/S'); Oracle needs only m_a + σ_w V. Model B draws, per
    agent, the counts C_a ~ Bin(K, θ_a) of correct candidates, A1_a ~ Bin(C_a, s) accepted
    correct and A0_a ~ Bin(K−C_a, f) accepted wrong (inverse-CDF binomials, one uniform
    each), then the agent's uniformly random accepted candidate is correct with probability
    A1/(A1+A0) (C/K when it accepts none); votes draw the answer counts (multinomial as a
    chain of binomials). Every utility is an exact draw of the protocol's output (no
    conditional expectations), so the per-trial variance is the protocol's own.

All arithmetic is float32; μ is kept out of the device computation (every model-G utility is
x of some candidate, so it shifts by μ exactly) and added on the host in float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtri

from align_theory.models import BernoulliModel, EmpiricalPool, GaussianModel, Model
from align_theory.protocols import (
    Align,
    FilterVote,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    Protocol,
    RandomPick,
    Shortlist,
    SingleAgent,
)

__all__ = [
    "SAMPLERS",
    "ModelSpec",
    "as_device_params",
    "block_utilities",
    "check_supported",
    "model_spec",
    "supports_sufficient",
    "trial_width",
]

SAMPLERS: tuple[str, ...] = ("auto", "sufficient", "candidates")
Params = dict[str, jax.Array]
Static = tuple[Any, ...]
_TINY = float(np.finfo(np.float32).tiny)
_BINOM_INVERSE_MAX = 64  # counts up to this many trials use the one-uniform inverse CDF


# ---------------------------------------------------------------------------- model split


@dataclass(frozen=True)
class ModelSpec:
    """A model split into a static structure (hashable: decides the compiled program) and
    dynamic parameters (float32 arrays: one compiled program serves a whole sweep)."""

    static: Static
    params: dict[str, np.ndarray]
    shift: float  # added to every utility on the host (μ in model G, 0 otherwise)


def model_spec(model: Model, n_max: int) -> ModelSpec:
    """Split ``model`` for pools of at most ``n_max`` candidates (and agents)."""
    f32 = np.float32
    if isinstance(model, GaussianModel):
        sw, tau, ke = model.sigma_within, model.tau, model.judge_noise
        s_y = math.hypot(sw, tau)
        s_j = math.hypot(sw, ke)
        r_y = 1.0 if s_y == 0.0 else sw / s_y
        r_j = 1.0 if s_j == 0.0 else sw / s_j
        wy, wx = model.linear_weights
        p = {
            "c0": model.sigma * math.sqrt(model.rho_between),
            "ca": model.sigma_agent,
            "sw": sw,
            "tau": tau,
            "ke": ke,
            "s_y": s_y,
            "r_y": r_y,
            "rc_y": math.sqrt(max(1.0 - r_y * r_y, 0.0)),
            "s_j": s_j,
            "r_j": r_j,
            "rc_j": math.sqrt(max(1.0 - r_j * r_j, 0.0)),
            "wy": wy,
            "wx": wx,
        }
        params = {k: np.asarray(v, f32) for k, v in p.items()}
        params["off"] = model.offsets(n_max).astype(f32)
        # zero level terms are static: their normals are not drawn at all
        return ModelSpec(("G", p["c0"] > 0.0, p["ca"] > 0.0), params, model.mu)
    if isinstance(model, BernoulliModel):
        p = {
            "a": model.a,
            "b": model.b,
            "s": model.agent_tpr,
            "f": model.agent_fpr,
            "s2": model.principal_tpr,
            "f2": model.principal_fpr,
            "div": 1.0 if model.diversity is None else model.diversity,
            "alpha": 1.0 if model.wrong_concentration is None else model.wrong_concentration,
        }
        static = (
            "B",
            model.diversity is not None,
            model.wrong_answers,
            model.wrong_concentration is not None,
        )
        return ModelSpec(static, {k: np.asarray(v, f32) for k, v in p.items()}, 0.0)
    if isinstance(model, EmpiricalPool):
        return ModelSpec(("E", model), {}, 0.0)
    raise TypeError(f"unknown model {model!r}")


# ---------------------------------------------------------------------------- helpers


def _layout(proto: Protocol) -> tuple[int, int]:
    """(n, g): the pool a protocol reads: n candidates from g agents."""
    if isinstance(proto, Align):
        return proto.n, proto.agents
    if isinstance(proto, Shortlist):
        return proto.n, 1
    return proto.n, proto.agents


def _take(a: jax.Array, idx: jax.Array) -> jax.Array:
    """a[..., idx] along the last axis, idx of shape a.shape[:-1]."""
    return jnp.take_along_axis(a, idx[..., None], axis=-1)[..., 0]


def _uniform(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """U(0, 1) in float32 bounded away from 0 (so that log U is finite)."""
    return jax.random.uniform(key, shape, jnp.float32, minval=_TINY, maxval=1.0)


def _normal(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    return jax.random.normal(key, shape, jnp.float32)


def _beta(key: jax.Array, a: jax.Array, b: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Beta(a, b) = G_a/(G_a+G_b) = sigmoid(log G_a − log G_b) from one log-gamma call (log
    space keeps small shapes from underflowing; one call site keeps compile time down)."""
    alpha = jnp.stack([jnp.broadcast_to(a, shape), jnp.broadcast_to(b, shape)])
    lg = jax.random.loggamma(key, alpha.astype(jnp.float32))
    return jax.nn.sigmoid(lg[0] - lg[1])


def _dirichlet(key: jax.Array, alpha: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Dirichlet(α, …, α) over the last axis of ``shape``: normalized Gamma(α) draws."""
    lg = jax.random.loggamma(key, jnp.broadcast_to(alpha, shape).astype(jnp.float32))
    return jax.nn.softmax(lg, axis=-1)


def _max_normal(u: jax.Array, k: int | jax.Array) -> jax.Array:
    """Φ⁻¹(U^{1/k}), the maximum of k iid N(0, 1), computed as −Φ⁻¹(1 − U^{1/k}) with
    1 − U^{1/k} = −expm1(log U / k) so that the upper tail keeps its precision."""
    return -ndtri(-jnp.expm1(jnp.log(u) / k))


def _binomial(key: jax.Array, n: jax.Array, p: jax.Array, nmax: int) -> jax.Array:
    """Bin(n, p) counts (float32) for integer-valued n ≤ nmax, broadcast over n and p.

    For nmax ≤ 64 one uniform per count and the inverse CDF: X = #{j < n : F(j) < U} with the
    pmf recurrence P(j+1) = P(j)·(n−j)/(j+1)·q/(1−q) on q = min(p, 1−p) (X → n − X when
    p > ½), exact up to float32 rounding of F. Larger nmax uses ``jax.random.binomial``.
    """
    shape = jnp.broadcast_shapes(jnp.shape(n), jnp.shape(p))
    n = jnp.broadcast_to(n, shape).astype(jnp.float32)
    p = jnp.broadcast_to(p, shape).astype(jnp.float32)
    if nmax > _BINOM_INVERSE_MAX:
        return jax.random.binomial(key, n, p, shape=shape).astype(jnp.float32)
    u = jax.random.uniform(key, shape, jnp.float32)
    flip = p > 0.5
    q = jnp.where(flip, 1.0 - p, p)
    ratio = q / (1.0 - q)
    pmf0 = jnp.power(1.0 - q, n)

    def step(j: jax.Array, c: tuple[jax.Array, jax.Array, jax.Array]) -> tuple[jax.Array, ...]:
        count, pmf, cdf = c
        count = count + ((u > cdf) & (j < n)).astype(jnp.float32)
        pmf = pmf * (n - j) / (j + 1) * ratio
        return count, pmf, cdf + pmf

    count, _, _ = jax.lax.fori_loop(0, nmax, step, (jnp.zeros(shape, jnp.float32), pmf0, pmf0))
    return jnp.where(flip, n - count, count)


def _bern_pick(
    u: jax.Array, good: jax.Array, total: jax.Array, fb_good: jax.Array, fb_total: jax.Array
) -> jax.Array:
    """1{a uniformly random element of a set with ``good`` of ``total`` good is good}, the
    fallback set (fb_good of fb_total) used when ``total`` is 0."""
    use = total > 0
    frac = jnp.where(use, good / jnp.where(use, total, 1.0), fb_good / jnp.maximum(fb_total, 1.0))
    return (u < frac).astype(jnp.float32)


# ---------------------------------------------------------------------------- candidates


@dataclass
class _Pool:
    x: jax.Array  # (T, g, k)
    y: jax.Array
    xhat: jax.Array
    off: jax.Array  # (g,)
    answer: jax.Array | None  # (T, g, k) ids, 0 = correct, -1 unparsed
    tie: jax.Array | None  # (T, g, k) uniforms for agent ties (discrete scores)
    tie2: jax.Array | None
    vote_tie: jax.Array | None  # (T, width)
    discrete: bool


def _draw_base(
    static: Static, p: Params, key: jax.Array, t: int, n: int, g_max: int
) -> dict[str, jax.Array]:
    kind = static[0]
    ks = jax.random.split(key, 10)
    base: dict[str, jax.Array] = {}
    if kind == "G":
        _, has_z0, has_shift = static
        base["z0"] = _normal(ks[0], (t,)) if has_z0 else jnp.zeros((t,), jnp.float32)
        base["shift"] = _normal(ks[1], (t, g_max)) if has_shift else jnp.zeros((t, g_max))
        base["z"] = _normal(ks[2], (t, n))
        base["eta"] = _normal(ks[3], (t, n))
        base["nu"] = _normal(ks[4], (t, n))
        return base
    base["tie"] = jax.random.uniform(ks[0], (t, n))
    base["tie2"] = jax.random.uniform(ks[1], (t, n))
    if kind == "B":
        _, diverse, m, dirichlet = static
        theta = _beta(ks[2], p["a"], p["b"], (t,))
        base["theta"] = theta
        if diverse:
            th = jnp.clip(theta, _TINY, 1.0 - 1e-7)[:, None]
            c = p["div"]
            base["theta_agent"] = _beta(ks[3], c * th, c * (1.0 - th), (t, g_max))
        for i, nm in enumerate(("u", "v1", "v2", "w")):
            base[nm] = jax.random.uniform(ks[4 + i], (t, n))
        if dirichlet:
            base["wprob"] = _dirichlet(ks[8], p["alpha"], (t, m))
        base["vote_tie"] = jax.random.uniform(ks[9], (t, m + 1))
        return base
    model: EmpiricalPool = static[1]
    base["question"] = jax.random.randint(ks[2], (t,), 0, model.shape[0])
    base["vote_tie"] = jax.random.uniform(ks[9], (t, int(model.answers.max()) + 3))
    return base


def _make_pool(static: Static, p: Params, base: dict[str, jax.Array], n: int, g: int) -> _Pool:
    kind = static[0]
    k = n // g
    agent = np.arange(n) // k
    t = base["z0"].shape[0] if kind == "G" else base["tie"].shape[0]

    def sh(a: jax.Array) -> jax.Array:
        return a.reshape(t, g, k)

    if kind == "G":
        off = p["off"][:g]
        x = (
            p["c0"] * base["z0"][:, None]
            + p["ca"] * base["shift"][:, agent]
            + p["sw"] * base["z"][:, :n]
        )
        y = x + off[agent] + p["tau"] * base["eta"][:, :n]
        xh = x + p["ke"] * base["nu"][:, :n]
        return _Pool(sh(x), sh(y), sh(xh), off, None, None, None, None, False)
    tie, tie2 = sh(base["tie"][:, :n]), sh(base["tie2"][:, :n])
    if kind == "B":
        m = static[2]
        theta = base["theta_agent"][:, agent] if "theta_agent" in base else base["theta"][:, None]
        correct = base["u"][:, :n] < theta
        v1, v2 = base["v1"][:, :n], base["v2"][:, :n]
        y = jnp.where(correct, v1 < p["s"], v1 < p["f"])
        xh = jnp.where(correct, v2 < p["s2"], v2 < p["f2"])
        w = base["w"][:, :n]
        if "wprob" in base:
            cdf = jnp.cumsum(base["wprob"], axis=1)[:, None, :-1]
            wrong = 1 + (w[:, :, None] > cdf).sum(axis=2)
        else:
            wrong = 1 + jnp.minimum((w * m).astype(jnp.int32), m - 1)
        answer = jnp.where(correct, 0, wrong)
        f = jnp.float32
        return _Pool(
            sh(correct.astype(f)),
            sh(y.astype(f)),
            sh(xh.astype(f)),
            jnp.zeros(g),
            sh(answer),
            tie,
            tie2,
            base["vote_tie"],
            True,
        )
    model: EmpiricalPool = static[1]
    qn, a_rec, k_rec = model.shape
    qi = base["question"]
    if g == 1:
        if n > a_rec * k_rec:
            raise ValueError(
                f"n={n} exceeds the recorded candidates per question ({a_rec * k_rec})"
            )

        def pick(arr: np.ndarray) -> jax.Array:
            return jnp.asarray(arr.reshape(qn, -1)[:, :n])[qi].reshape(t, 1, n)

    else:
        if g > a_rec or k > k_rec:
            raise ValueError(
                f"layout of {g} agents x {k} candidates exceeds the recorded {a_rec} x {k_rec}"
            )

        def pick(arr: np.ndarray) -> jax.Array:
            return jnp.asarray(arr[:, :g, :k])[qi]

    correct = pick(model.correct)
    ans = pick(model.answers.astype(np.int32))
    flat_c = correct.reshape(t, -1)
    first = _take(ans.reshape(t, -1), jnp.argmax(flat_c, axis=1))
    corr_id = jnp.where(flat_c.any(axis=1), first, -2)[:, None, None]
    recoded = jnp.where(ans == corr_id, 0, jnp.where(ans < 0, -1, ans + 1))
    f = jnp.float32
    return _Pool(
        correct.astype(f),
        pick(model.agent_score.astype(np.float32)),
        pick(model.principal_score.astype(np.float32)),
        jnp.zeros(g),
        recoded,
        tie * _gap(model.agent_score),  # recorded scores may be continuous: the tie-break
        tie2 * _gap(model.principal_score),  # stays below half their smallest gap
        base["vote_tie"],
        True,
    )


def _gap(score: np.ndarray) -> float:
    """Half the smallest gap between distinct scores (1 when all are equal)."""
    d = np.diff(np.unique(score.astype(np.float32)))
    return 0.5 * float(d.min()) if d.size else 1.0


def _key(score: jax.Array, tie: jax.Array | None) -> jax.Array:
    """Ranking key: the score, plus a uniform tie-break where scores are discrete (spacing ≥ 1)."""
    return score if tie is None else score + tie


def _principal(
    rule: str,
    p: Params,
    x: jax.Array,
    y: jax.Array,
    xh: jax.Array,
    off: jax.Array,
    tie2: jax.Array | None,
) -> jax.Array:
    if rule == "exact":
        score = x
    elif rule == "judge":
        score = xh
    else:
        score = p["wy"] * (y - off) + p["wx"] * xh
    return jnp.argmax(_key(score, tie2), axis=-1)


def _vote(answer: jax.Array, mask: jax.Array | None, vote_tie: jax.Array) -> jax.Array:
    t = answer.shape[0]
    ids = answer.reshape(t, -1)
    w = (
        jnp.ones(ids.shape, jnp.float32)
        if mask is None
        else mask.reshape(t, -1).astype(jnp.float32)
    )
    w = jnp.where(ids < 0, 0.0, w)
    width = vote_tie.shape[1]
    onehot = jnp.clip(ids, 0, width - 1)[:, :, None] == jnp.arange(width)
    counts = (onehot * w[:, :, None]).sum(axis=1)
    win = jnp.argmax(counts + vote_tie * 0.5, axis=1)
    return ((win == 0) & (counts.max(axis=1) > 0)).astype(jnp.float32)


def _candidate_utility(static: Static, p: Params, proto: Protocol, pool: _Pool) -> jax.Array:
    t = pool.x.shape[0]
    x, y, xh = pool.x, pool.y, pool.xhat
    if isinstance(proto, Align):
        idx = jnp.argmax(_key(y, pool.tie), axis=2)
        px, py, pxh = _take(x, idx), _take(y, idx), _take(xh, idx)
        t2 = None if pool.tie2 is None else pool.tie2[:, :, 0]
        return _take(px, _principal(proto.principal, p, px, py, pxh, pool.off[None, :], t2))
    fx, fy, fxh = x.reshape(t, -1), y.reshape(t, -1), xh.reshape(t, -1)
    ftie = None if pool.tie is None else pool.tie.reshape(t, -1)
    ftie2 = None if pool.tie2 is None else pool.tie2.reshape(t, -1)
    if isinstance(proto, SingleAgent):
        return _take(fx, jnp.argmax(_key(fy, ftie), axis=1))
    if isinstance(proto, RandomPick):
        return fx[:, 0]
    if isinstance(proto, Oracle):
        return fx.max(axis=1)
    if isinstance(proto, PrincipalBestOfN):
        return _take(fx, jnp.argmax(_key(fxh, ftie2), axis=1))
    if isinstance(proto, Shortlist):
        _, order = jax.lax.top_k(_key(fy, ftie), proto.size)
        sx, sy, sxh = (jnp.take_along_axis(a, order, axis=1) for a in (fx, fy, fxh))
        st2 = None if ftie2 is None else ftie2[:, : proto.size]
        pick = _principal(proto.principal, p, sx, sy, sxh, jnp.zeros((1, proto.size)), st2)
        return _take(sx, pick)
    if isinstance(proto, MajorityVote | FilterVote):
        assert pool.answer is not None and pool.vote_tie is not None
        if isinstance(proto, MajorityVote):
            return _vote(pool.answer, None, pool.vote_tie)
        if static[0] == "B":
            acc = fy > 0.5
        else:
            acc = fy >= jnp.median(fy, axis=1, keepdims=True)
        mask = acc | ~acc.any(axis=1, keepdims=True)
        return _vote(pool.answer, mask, pool.vote_tie)
    raise TypeError(f"unknown protocol {proto!r}")


# ---------------------------------------------------------------------------- sufficient


def _g_levels(static: Static, p: Params, key: jax.Array, t: int, g: int) -> jax.Array:
    """Agent levels m_a − μ = σ(√ρ_b Z₀ + √(ρ_w−ρ_b) A_a), shape (T, g) (terms with a zero
    coefficient are not drawn)."""
    _, has_z0, has_shift = static
    k0, k1 = jax.random.split(key)
    lev = jnp.zeros((t, g), jnp.float32)
    if has_z0:
        lev = lev + p["c0"] * _normal(k0, (t, 1))
    if has_shift:
        lev = lev + p["ca"] * _normal(k1, (t, g))
    return lev


def _g_sufficient(static: Static, p: Params, proto: Protocol, key: jax.Array, t: int) -> jax.Array:
    n, g = _layout(proto)
    k = n // g
    ks = jax.random.split(key, 4)
    lev = _g_levels(static, p, ks[0], t, g)
    sw = p["sw"]
    if isinstance(proto, RandomPick):
        return lev[:, 0] + sw * _normal(ks[1], (t,))
    if isinstance(proto, Oracle):
        return (lev + sw * _max_normal(_uniform(ks[1], (t, g)), k)).max(axis=1)
    if isinstance(proto, PrincipalBestOfN):
        v = _max_normal(_uniform(ks[1], (t, g)), k)
        xh = lev + p["s_j"] * v
        x = lev + sw * (p["r_j"] * v + p["rc_j"] * _normal(ks[2], (t, g)))
        return _take(x, jnp.argmax(xh, axis=1))
    if isinstance(proto, Shortlist):
        s = proto.size
        logu = jnp.log(_uniform(ks[1], (t, s))) / (n - jnp.arange(s, dtype=jnp.float32))
        v = -ndtri(-jnp.expm1(jnp.cumsum(logu, axis=1)))  # top-s order statistics
        lev0, off0 = lev[:, :1], p["off"][0]
        x = lev0 + sw * (p["r_y"] * v + p["rc_y"] * _normal(ks[2], (t, s)))
        y = lev0 + off0 + p["s_y"] * v
        xh = x + p["ke"] * _normal(ks[3], (t, s))
        return _take(x, _principal(proto.principal, p, x, y, xh, jnp.zeros((1, s)), None))
    if isinstance(proto, Align | SingleAgent):
        off = p["off"][:g]
        v = _max_normal(_uniform(ks[1], (t, g)), k)
        x = lev + sw * (p["r_y"] * v + p["rc_y"] * _normal(ks[2], (t, g)))
        y = lev + off + p["s_y"] * v
        if isinstance(proto, SingleAgent):
            return _take(x, jnp.argmax(y, axis=1))
        xh = x + p["ke"] * _normal(ks[3], (t, g))
        return _take(x, _principal(proto.principal, p, x, y, xh, off, None))
    raise ValueError(f"{type(proto).__name__} has no sufficient-statistics sampler in model G")


def _b_theta(static: Static, p: Params, key: jax.Array, t: int, g: int) -> jax.Array:
    """θ_a per agent, shape (T, g) (θ_q broadcast when there is no diversity)."""
    k0, k1 = jax.random.split(key)
    theta = _beta(k0, p["a"], p["b"], (t, 1))
    if static[1]:
        th = jnp.clip(theta, _TINY, 1.0 - 1e-7)
        return _beta(k1, p["div"] * th, p["div"] * (1.0 - th), (t, g))
    return jnp.broadcast_to(theta, (t, g))


def _b_counts(
    key: jax.Array, theta: jax.Array, k: int, s: jax.Array, f: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(C, A1, A0): correct, accepted-correct and accepted-wrong counts of k candidates."""
    k0, k1, k2 = jax.random.split(key, 3)
    c = _binomial(k0, jnp.float32(k), theta, k)
    return c, _binomial(k1, c, s, k), _binomial(k2, k - c, f, k)


def _b_answer_counts(
    static: Static, p: Params, key: jax.Array, wrong: jax.Array, nmax: int
) -> jax.Array:
    """Counts (T, m) of the m wrong answers among ``wrong`` wrong candidates (multinomial as
    a chain of binomials: W_j ~ Bin(rest, w_j / (1 − Σ_{i<j} w_i)))."""
    m = static[2]
    t = wrong.shape[0]
    if m == 1:
        return wrong[:, None]
    ks = jax.random.split(key, m)
    if static[3]:
        w = _dirichlet(ks[0], p["alpha"], (t, m))
    else:
        w = jnp.full((t, m), 1.0 / m, jnp.float32)
    left = 1.0 - jnp.cumsum(w, axis=1) + w  # mass of answers j..m-1
    rest = wrong
    out = []
    for j in range(m - 1):
        q = jnp.clip(w[:, j] / jnp.maximum(left[:, j], _TINY), 0.0, 1.0)
        wj = _binomial(ks[j + 1], rest, q, nmax)
        out.append(wj)
        rest = rest - wj
    out.append(rest)
    return jnp.stack(out, axis=1)


def _plurality(u: jax.Array, correct: jax.Array, wrong: jax.Array) -> jax.Array:
    """1{the correct answer wins the plurality}: counts ``correct`` (T,) vs ``wrong`` (T, m);
    ties among the leaders broken uniformly at random (one uniform ``u``)."""
    top = wrong.max(axis=1)
    tied = 1.0 + (wrong == correct[:, None]).sum(axis=1)
    win = (correct > top) | ((correct == top) & (correct > 0) & (u * tied < 1.0))
    return win.astype(jnp.float32)


def _b_sufficient(static: Static, p: Params, proto: Protocol, key: jax.Array, t: int) -> jax.Array:
    n, g = _layout(proto)
    k = n // g
    ks = jax.random.split(key, 6)
    theta = _b_theta(static, p, ks[0], t, g)
    if isinstance(proto, RandomPick):
        return (jax.random.uniform(ks[1], (t,)) < theta[:, 0]).astype(jnp.float32)
    if isinstance(proto, Oracle):
        none = jnp.prod(jnp.power(1.0 - theta, k), axis=1)
        return (jax.random.uniform(ks[1], (t,)) >= none).astype(jnp.float32)
    if isinstance(proto, SingleAgent | PrincipalBestOfN):
        s, f = (p["s"], p["f"]) if isinstance(proto, SingleAgent) else (p["s2"], p["f2"])
        c, a1, a0 = _b_counts(ks[1], theta, k, s, f)
        u = jax.random.uniform(ks[2], (t,))
        return _bern_pick(u, a1.sum(1), (a1 + a0).sum(1), c.sum(1), jnp.float32(n))
    if isinstance(proto, Align) and proto.principal in ("exact", "judge"):
        c, a1, a0 = _b_counts(ks[1], theta, k, p["s"], p["f"])
        u = jax.random.uniform(ks[2], (t, g))
        prop = _bern_pick(u, a1, a1 + a0, c, jnp.float32(k))  # (T, g) proposal correct
        if proto.principal == "exact":
            return prop.max(axis=1)
        v = jax.random.uniform(ks[3], (t, g))
        acc = jnp.where(prop > 0, v < p["s2"], v < p["f2"]).astype(jnp.float32)
        u2 = jax.random.uniform(ks[4], (t,))
        return _bern_pick(u2, (acc * prop).sum(1), acc.sum(1), prop.sum(1), jnp.float32(g))
    if isinstance(proto, MajorityVote | FilterVote):
        c = _binomial(ks[1], jnp.float32(k), theta, k).sum(axis=1)
        wrong = _b_answer_counts(static, p, ks[2], n - c, n)
        u = jax.random.uniform(ks[3], (t,))
        if isinstance(proto, MajorityVote):
            return _plurality(u, c, wrong)
        ac = _binomial(ks[4], c, p["s"], n)
        aw = _binomial(ks[5], wrong, p["f"][None], n)
        anyacc = (ac + aw.sum(axis=1)) > 0
        return jnp.where(anyacc, _plurality(u, ac, aw), _plurality(u, c, wrong))
    raise ValueError(f"{type(proto).__name__} has no sufficient-statistics sampler in model B")


def supports_sufficient(model: Model, proto: Protocol) -> bool:
    """True when ``proto`` has a sufficient-statistics sampler in ``model``."""
    if (
        isinstance(proto, Align)
        and proto.principal == "bayes"
        and not isinstance(model, GaussianModel)
    ):
        return False
    if isinstance(model, GaussianModel):
        return not isinstance(proto, MajorityVote | FilterVote)
    if isinstance(model, BernoulliModel):
        return not isinstance(proto, Shortlist)
    return False


# ---------------------------------------------------------------------------- blocks


def check_supported(model: Model, protocols: Sequence[Protocol]) -> None:
    """Raise for protocol/model pairs no sampler defines (same messages as the reference)."""
    for proto in protocols:
        rule = getattr(proto, "principal", "exact")
        if rule == "vote":
            raise ValueError(
                "the 'vote' principal (plurality weighted by reports) is defined on recorded "
                "pools only: use align_theory.expected_utility(pool, protocol)"
            )
        if rule == "bayes" and not isinstance(model, GaussianModel):
            raise NotImplementedError(
                "the 'bayes' principal is defined for model G only; use principal='judge'"
            )
        if isinstance(proto, MajorityVote | FilterVote) and isinstance(model, GaussianModel):
            raise ValueError(
                f"{type(proto).__name__} needs discrete answers: "
                "use BernoulliModel or EmpiricalPool"
            )


def block_utilities(
    static: Static, protocols: tuple[Protocol, ...], sampler: str
) -> Callable[[Params, jax.Array, int], jax.Array]:
    """The function (params, key, T) → utilities (P, T) of one block of T trials, minus the
    host shift (μ in model G). ``sampler`` is ``candidates`` (all protocols read the same
    candidates) or ``sufficient`` (protocol j draws its own statistics from fold_in(key, j))."""
    kind = static[0]
    if sampler == "sufficient":

        def suff(p: Params, key: jax.Array, t: int) -> jax.Array:
            out = []
            for j, proto in enumerate(protocols):  # protocol j draws from fold_in(key, j)
                kj = jax.random.fold_in(key, j)
                if kind == "G":
                    out.append(_g_sufficient(static, p, proto, kj, t))
                else:
                    out.append(_b_sufficient(static, p, proto, kj, t))
            return jnp.stack(out)

        return suff
    layouts = sorted({_layout(q) for q in protocols})
    n_max = max(n for n, _ in layouts)
    g_max = max(g for _, g in layouts)

    def cand(p: Params, key: jax.Array, t: int) -> jax.Array:
        base = _draw_base(static, p, key, t, n_max, g_max)
        pools = {lay: _make_pool(static, p, base, *lay) for lay in layouts}
        return jnp.stack([_candidate_utility(static, p, q, pools[_layout(q)]) for q in protocols])

    return cand


def trial_width(static: Static, protocols: Sequence[Protocol], sampler: str) -> int:
    """Float32 words of device memory one trial needs, at most (a conservative count of the
    live arrays of the sampler, used to size chunks; checked against XLA's own memory
    analysis in the tests)."""
    kind = static[0]
    if sampler == "sufficient":
        width = 0
        for proto in protocols:
            n, g = _layout(proto)
            if isinstance(proto, Shortlist):
                width += 24 * proto.size + 16
            elif kind == "B":
                m = static[2]
                width += 16 * g * (n // g + 4) + 16 * (m + 2) * 4 + 32
            else:
                width += 24 * g + 16
        return width
    n_max = max(_layout(q)[0] for q in protocols)
    width = 24 * n_max + 16
    if kind in ("B", "E"):
        vote = 0
        for q in protocols:
            if isinstance(q, MajorityVote | FilterVote):
                if kind == "B":
                    m = static[2]
                else:
                    m = int(static[1].answers.max()) + 2
                vote = max(vote, 3 * q.n * (m + 1))
        width += vote + 8 * n_max
    return width


def as_device_params(params: dict[str, np.ndarray]) -> Params:
    """Parameters as device arrays."""
    return {k: jnp.asarray(v) for k, v in params.items()}
