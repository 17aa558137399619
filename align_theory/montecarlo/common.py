r"""Shared JAX pieces of the kernels: random draws, selection rules and the candidate pool.

The ``candidates`` sampler draws every candidate's (x, y, x̂) into a :class:`Pool` laid out
(trials, g agents, k candidates each); :data:`CANDIDATE_RULES` maps each protocol class to
the rule that reads its output off a pool (DESIGN's protocol semantics, the same as the
reference engine :mod:`align_theory.reference`). The per-model modules build the pools
(:mod:`.gaussian`, :mod:`.bernoulli`, :mod:`.empirical`) and hold the sufficient-statistics
samplers. All arithmetic is float32.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import overload

import jax
import jax.numpy as jnp
import numpy as np

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

__all__ = ["CANDIDATE_RULES", "Params", "Pool", "take_max"]

Params = dict[str, jax.Array]
TINY = float(np.finfo(np.float32).tiny)
BINOM_INVERSE_MAX = 64  # counts up to this many trials use the one-uniform inverse CDF


def take(a: jax.Array, idx: jax.Array) -> jax.Array:
    """a[..., idx] along the last axis, idx of shape a.shape[:-1]."""
    return jnp.take_along_axis(a, idx[..., None], axis=-1)[..., 0]


UNROLL_MAX = 64
"""Widths up to which :func:`take_max` selects by an unrolled running maximum (wider axes
use ``argmax`` and a gather, which keeps the traced program small)."""


@overload
def take_max(score: jax.Array, value: jax.Array, /) -> jax.Array: ...


@overload
def take_max(
    score: jax.Array, value: jax.Array, other: jax.Array, /, *more: jax.Array
) -> tuple[jax.Array, ...]: ...


@overload
def take_max(score: jax.Array, /) -> jax.Array: ...


def take_max(score: jax.Array, *values: jax.Array) -> jax.Array | tuple[jax.Array, ...]:
    r"""The entries of ``values`` at the first maximum of ``score`` along the last axis.

    Equal to ``take(v, jnp.argmax(score, axis=-1))`` for each ``v`` (ties go to the lowest
    index, as ``argmax``; scores are never NaN here), but computed as a running maximum
    over the columns, i* = first index of max_i score_i, updated where score_i > best
    strictly: elementwise selects that XLA fuses with the draws that produce them. The
    ``argmax`` + gather form cost half of the sufficient path's time on the CPU
    (docs/benchmarks.md).

    Parameters
    ----------
    score : jax.Array
        Shape (..., n).
    *values : jax.Array
        Arrays broadcastable to ``score``'s shape.

    Returns
    -------
    jax.Array or tuple of jax.Array
        One array of shape ``score.shape[:-1]`` per value (the array itself for one value).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> s = jnp.array([[0.0, 2.0, 2.0], [3.0, 1.0, 0.0]])
    >>> take_max(s, jnp.array([[10.0, 11.0, 12.0], [13.0, 14.0, 15.0]])).tolist()
    [11.0, 13.0]
    """
    if not values:
        raise ValueError("take_max needs at least one value array")
    vals = [jnp.broadcast_to(v, score.shape) for v in values]
    n = score.shape[-1]
    if n > UNROLL_MAX:
        idx = jnp.argmax(score, axis=-1)
        out = [take(v, idx) for v in vals]
    else:
        best = score[..., 0]
        out = [v[..., 0] for v in vals]
        for i in range(1, n):
            up = score[..., i] > best  # strict: a tie keeps the earlier index
            best = jnp.where(up, score[..., i], best)
            out = [jnp.where(up, v[..., i], o) for v, o in zip(vals, out, strict=True)]
    return out[0] if len(out) == 1 else tuple(out)


def uniform(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """U(0, 1) in float32 bounded away from 0 (so that log U is finite)."""
    return jax.random.uniform(key, shape, jnp.float32, minval=TINY, maxval=1.0)


def normal(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Standard normals, float32."""
    return jax.random.normal(key, shape, jnp.float32)


def beta(key: jax.Array, a: jax.Array, b: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Beta(a, b) = G_a/(G_a+G_b) = sigmoid(log G_a − log G_b) from one log-gamma call (log
    space keeps small shapes from underflowing; one call site keeps compile time down)."""
    alpha = jnp.stack([jnp.broadcast_to(a, shape), jnp.broadcast_to(b, shape)])
    lg = jax.random.loggamma(key, alpha.astype(jnp.float32))
    return jax.nn.sigmoid(lg[0] - lg[1])


def dirichlet(key: jax.Array, alpha: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Dirichlet(α, …, α) over the last axis of ``shape``: normalized Gamma(α) draws."""
    lg = jax.random.loggamma(key, jnp.broadcast_to(alpha, shape).astype(jnp.float32))
    return jax.nn.softmax(lg, axis=-1)


_INVERSE_PIECES = (  # (centre c, (a_0, …, a_d)): P ≈ Σ a_j t^j, t = v − c
    # 0 ≤ w ≤ 5, v = w, d = 8; float32 max relative error 2.2e-7
    (
        2.5,
        (
            1.5014094,
            0.24664074,
            -0.004177679,
            -0.0012537298,
            0.00021857738,
            -4.3896343e-06,
            -3.5222365e-06,
            3.4307342e-07,
            2.7989556e-08,
        ),
    ),
    # 5 ≤ w ≤ 16.5, v = √w, d = 9; 1.1e-7
    (
        3.1490436,
        (
            2.9824572,
            1.0040487,
            0.006679967,
            -0.0049508493,
            0.0034858584,
            -0.0023408763,
            0.0012630188,
            -0.0003425578,
            -0.0001526765,
            0.00012107803,
        ),
    ),
    # 16.5 ≤ w ≤ 88.5, v = √w, d = 9; 2.1e-7
    (
        6.7347317,
        (
            6.601435,
            1.0088683,
            -0.0005148967,
            -1.2988289e-06,
            8.708662e-06,
            -2.2752772e-06,
            3.828324e-07,
            -5.979431e-08,
            1.993391e-08,
            -3.6460284e-09,
        ),
    ),
)
"""P(w) = erfinv(x)/x of :func:`normal_from_log`, piecewise: weighted (1/P) least-squares
fits in float64 against SciPy's ``ndtri``/``erfinv``, rounded to float32, made and checked by
``benchmarks/fit_inverse_normal.py`` (run it to reproduce these digits)."""
_W_CENTRAL = 5.0  # the central piece holds w ≤ 5 (|Φ⁻¹| ≤ 2.93)
_W_FAR = 16.5  # the far tail piece holds w > 16.5 (|Φ⁻¹| > 5.55)
_LOG4 = float(np.log(4.0))
_SQRT2 = float(np.sqrt(2.0))
_LOG_TINY = float(np.log(np.float32(TINY)))


def _horner(coef: tuple[float, ...] | list[jax.Array], t: jax.Array) -> jax.Array:
    r = jnp.asarray(coef[-1], jnp.float32) * t + coef[-2]
    for c in coef[-3::-1]:
        r = r * t + c
    return r


def normal_from_log(logp: jax.Array) -> jax.Array:
    r"""Φ⁻¹(p) from ℓ = log p, float32, precise in both tails, without divisions.

    With q = 1 − p = −expm1(ℓ), x = 2p − 1 = 1 − 2q and

        w = −log(1 − x²) = −log(4 p q) = −(log 4 + ℓ + log q)

    (one expm1 and one log, no cancellation in either tail: ℓ carries p and log q carries
    q), the inverse normal is Φ⁻¹(p) = √2 erfinv(x) = √2 · x · P(w), where P(w) = erfinv(x)/x
    is an even function of x, hence a smooth positive function of x² = 1 − e^{−w}, with
    P(0) = √π/2. P is a polynomial (Horner) of degree 8 in w on 0 ≤ w ≤ 5 (|Φ⁻¹| ≤ 2.93) and of
    degree 9 in √w on 5 ≤ w ≤ 16.5 and 16.5 ≤ w ≤ 88.5 (float32 p ≥ tiny gives w ≤ 85.95), fitted by
    ``benchmarks/fit_inverse_normal.py`` (float32 relative error of P ≤ 2.2·10⁻⁷ per piece).
    Measured against SciPy's float64 ``ndtri`` over p ∈ [tiny, 1 − 10⁻¹⁰] (both tails, and
    ℓ = log U / k for float32 U, k ≤ 4096): max absolute error 1.0·10⁻⁶ where |Φ⁻¹| ≤ 5
    (the Cephes-port ``ndtri`` used before: 8.5·10⁻⁷), max relative error 2.9·10⁻⁷ beyond
    (before: 1.8·10⁻⁷); tests/test_montecarlo_inverse.py holds it to 2·10⁻⁶ and 10⁻⁶. It
    costs half as much: 0.27 against 0.53 CPU-s per 10⁸ values on one core
    (benchmarks/bench_inverse.py; docs/benchmarks.md).

    ℓ is clamped to ≥ log(tiny) and q to ≥ tiny (XLA flushes subnormals), so the result is
    finite for every ℓ ≤ 0: ℓ = 0 (p = 1) gives Φ⁻¹(1 − tiny) ≈ 12.95, ℓ = −∞ gives
    Φ⁻¹(tiny) ≈ −12.95. (The one-tailed form −Φ⁻¹(−expm1 ℓ) rounds 1 − p to 1 when
    p < 3·10⁻⁸ and returned −∞; a uniform at its lower end with k ≤ 4 did, about once per
    10⁷ draws, and turned a run's mean into NaN.)

    Parameters
    ----------
    logp : jax.Array
        log p ≤ 0, float32.

    Returns
    -------
    jax.Array
        Φ⁻¹(p), float32, of the same shape.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import numpy as np
    >>> z = normal_from_log(jnp.log(jnp.array([0.025, 0.5, 0.975], jnp.float32)))
    >>> [round(float(v), 5) for v in z]
    [-1.95996, 0.0, 1.95996]
    >>> float(normal_from_log(jnp.float32(-700.0 / 8)))  # p = e^{-87.5}: clamped to tiny
    -12.94995...
    >>> bool(jnp.isfinite(normal_from_log(jnp.float32(0.0))))
    True
    """
    lp = jnp.maximum(jnp.asarray(logp, jnp.float32), _LOG_TINY)
    q = jnp.maximum(-jnp.expm1(lp), TINY)
    x = 1.0 - 2.0 * q
    w = -(_LOG4 + lp + jnp.log(q))
    (c0, central), (c1, near), (c2, far) = _INVERSE_PIECES
    s = jnp.sqrt(jnp.maximum(w, _W_CENTRAL))
    beyond = w > _W_FAR
    tail = _horner(
        [jnp.where(beyond, b, a) for a, b in zip(near, far, strict=True)],
        s - jnp.where(beyond, c2, c1),
    )
    p_w = jnp.where(w <= _W_CENTRAL, _horner(central, w - c0), tail)
    return _SQRT2 * x * p_w


def max_normal(u: jax.Array, k: int | jax.Array) -> jax.Array:
    """Φ⁻¹(U^{1/k}), the maximum of k iid N(0, 1), finite and tail-precise on both sides
    (:func:`normal_from_log` of log U / k)."""
    return normal_from_log(jnp.log(u) / k)


def binomial(key: jax.Array, n: jax.Array, p: jax.Array, nmax: int) -> jax.Array:
    """Bin(n, p) counts (float32) for integer-valued n ≤ nmax, broadcast over n and p.

    For nmax ≤ 64 one uniform per count and the inverse CDF: X = #{j < n : F(j) < U} with the
    pmf recurrence P(j+1) = P(j)·(n−j)/(j+1)·q/(1−q) on q = min(p, 1−p) (X → n − X when
    p > ½), exact up to float32 rounding of F. Larger nmax uses ``jax.random.binomial``.
    """
    shape = jnp.broadcast_shapes(jnp.shape(n), jnp.shape(p))
    n = jnp.broadcast_to(n, shape).astype(jnp.float32)
    p = jnp.broadcast_to(p, shape).astype(jnp.float32)
    if nmax > BINOM_INVERSE_MAX:
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


def bern_pick(
    u: jax.Array, good: jax.Array, total: jax.Array, fb_good: jax.Array, fb_total: jax.Array
) -> jax.Array:
    """1{a uniformly random element of a set with ``good`` of ``total`` good is good}, the
    fallback set (fb_good of fb_total) used when ``total`` is 0."""
    use = total > 0
    frac = jnp.where(use, good / jnp.where(use, total, 1.0), fb_good / jnp.maximum(fb_total, 1.0))
    return (u < frac).astype(jnp.float32)


# ---------------------------------------------------------------------------- candidates


Posterior = Callable[[jax.Array, jax.Array, jax.Array, int], jax.Array]
"""(reports, x̂, offsets, K) → E[x_a | reports, x̂] of the proposals (model G's ``bayes``)."""


@dataclass
class Pool:
    """One block of candidates laid out (T, g, k): utility ``x``, agent score ``y``,
    principal evaluation ``xhat``; ``off`` (g,) the agents' score offsets (model G);
    ``answer`` ids (0 = correct, -1 unparsed) and tie-break uniforms for discrete models;
    ``accept`` the FilterVote acceptance rule on the flat (T, n) agent scores; ``posterior``
    the model's posterior mean of a proposal (model G, principal ``bayes``)."""

    x: jax.Array
    y: jax.Array
    xhat: jax.Array
    off: jax.Array
    answer: jax.Array | None = None
    tie: jax.Array | None = None
    tie2: jax.Array | None = None
    vote_tie: jax.Array | None = None
    accept: Callable[[jax.Array], jax.Array] | None = None
    posterior: Posterior | None = None


def rank_key(score: jax.Array, tie: jax.Array | None) -> jax.Array:
    """Ranking key: the score, plus a uniform tie-break where scores are discrete (spacing ≥ 1)."""
    return score if tie is None else score + tie


def principal_score(
    rule: str,
    p: Params,
    x: jax.Array,
    y: jax.Array,
    xh: jax.Array,
    off: jax.Array,
    tie2: jax.Array | None,
    posterior: Posterior | None = None,
    per_agent: int = 1,
) -> jax.Array:
    """The principal's ranking key over the proposals (last axis): x (``exact``), x̂
    (``judge``), the linear score w_y (y − c) + w_x̂ x̂ (``linear``, model G) or the true
    posterior mean ``posterior(y, x̂, c, per_agent)`` (``bayes``, model G; without a
    posterior, one agent's shortlist, where ``bayes`` ranks as ``linear``), plus the tie-break.
    The principal selects the first maximum: ``take_max(principal_score(...), x)``."""
    if rule == "exact":
        score = x
    elif rule == "judge":
        score = xh
    elif rule == "bayes" and posterior is not None:
        score = posterior(y, xh, off, per_agent)
    else:
        score = p["wy"] * (y - off) + p["wx"] * xh
    return rank_key(score, tie2)


def vote(answer: jax.Array, mask: jax.Array | None, vote_tie: jax.Array) -> jax.Array:
    """1.0 where the plurality answer over the ``mask``-ed candidates is the correct one
    (id 0); unparsed answers (id −1) never win; ties broken by the per-trial uniforms."""
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


CandidateRule = Callable[[Params, Protocol, Pool], jax.Array]


def _flat(pool: Pool) -> tuple[jax.Array, ...]:
    t = pool.x.shape[0]
    return pool.x.reshape(t, -1), pool.y.reshape(t, -1), pool.xhat.reshape(t, -1)


def _flat_tie(a: jax.Array | None, t: int) -> jax.Array | None:
    return None if a is None else a.reshape(t, -1)


def _c_align(p: Params, proto: Protocol, pool: Pool) -> jax.Array:
    assert isinstance(proto, Align)
    x, y, xh = pool.x, pool.y, pool.xhat
    px, py, pxh = take_max(rank_key(y, pool.tie), x, y, xh)
    t2 = None if pool.tie2 is None else pool.tie2[:, :, 0]
    off = pool.off[None, :]
    key = principal_score(proto.principal, p, px, py, pxh, off, t2, pool.posterior, proto.per_agent)
    return take_max(key, px)


def _c_single(p: Params, proto: Protocol, pool: Pool) -> jax.Array:
    fx, fy, _ = _flat(pool)
    return take_max(rank_key(fy, _flat_tie(pool.tie, fx.shape[0])), fx)


def _c_random(p: Params, proto: Protocol, pool: Pool) -> jax.Array:
    return _flat(pool)[0][:, 0]


def _c_oracle(p: Params, proto: Protocol, pool: Pool) -> jax.Array:
    return _flat(pool)[0].max(axis=1)


def _c_best_of_n(p: Params, proto: Protocol, pool: Pool) -> jax.Array:
    fx, _, fxh = _flat(pool)
    return take_max(rank_key(fxh, _flat_tie(pool.tie2, fx.shape[0])), fx)


def _c_shortlist(p: Params, proto: Protocol, pool: Pool) -> jax.Array:
    assert isinstance(proto, Shortlist)
    fx, fy, fxh = _flat(pool)
    t = fx.shape[0]
    ftie2 = _flat_tie(pool.tie2, t)
    _, order = jax.lax.top_k(rank_key(fy, _flat_tie(pool.tie, t)), proto.size)
    sx, sy, sxh = (jnp.take_along_axis(a, order, axis=1) for a in (fx, fy, fxh))
    st2 = None if ftie2 is None else ftie2[:, : proto.size]
    key = principal_score(proto.principal, p, sx, sy, sxh, jnp.zeros((1, proto.size)), st2)
    return take_max(key, sx)


def _c_majority(p: Params, proto: Protocol, pool: Pool) -> jax.Array:
    assert pool.answer is not None and pool.vote_tie is not None
    return vote(pool.answer, None, pool.vote_tie)


def _c_filter(p: Params, proto: Protocol, pool: Pool) -> jax.Array:
    assert pool.answer is not None and pool.vote_tie is not None and pool.accept is not None
    acc = pool.accept(_flat(pool)[1])
    mask = acc | ~acc.any(axis=1, keepdims=True)
    return vote(pool.answer, mask, pool.vote_tie)


CANDIDATE_RULES: dict[type, CandidateRule] = {
    Align: _c_align,
    SingleAgent: _c_single,
    RandomPick: _c_random,
    Oracle: _c_oracle,
    PrincipalBestOfN: _c_best_of_n,
    Shortlist: _c_shortlist,
    MajorityVote: _c_majority,
    FilterVote: _c_filter,
}
"""Protocol class → its rule on a candidate pool (one entry per registered protocol)."""
