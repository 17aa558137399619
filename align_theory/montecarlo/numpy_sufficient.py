r"""The numpy backend: sufficient-statistics samplers of models G and B, never importing JAX.

For small runs the JAX engine's fixed cost (importing JAX, starting the XLA client,
compiling or loading the program) is larger than the whole computation, so
:func:`align_theory.montecarlo.simulate` sends them here (``backend="auto"``, see
:mod:`align_theory.montecarlo.backend`). Each sampler draws, per trial, only what the
protocol's output depends on, with exactly the law of the JAX ``sufficient`` kernels
(:mod:`align_theory.montecarlo.gaussian`, :mod:`align_theory.montecarlo.bernoulli`), which
is the law of the candidates drawn by ``models.sample`` reduced to the protocol's output:

Model G (float32 draws and arithmetic, PCG64)
    agent a's level m_a − μ = σ(√ρ_b Z₀ + √(ρ_w−ρ_b) A_a), its pick's standardized score
    V = Φ⁻¹(U^{1/K}) (the maximum of K iid N(0, 1)), x = m_a + rσ_w V + σ_w√(1−r²) ε with
    S = √(σ_w²+τ²), r = σ_w/S, y = m_a + c_a + S V and x̂ = x + κ_e ν (κ_e = √(κ²+β²)).
    Shortlist draws the top-s order statistics of n uniforms; PrincipalBestOfN selects on
    x̂ (S' = √(σ_w²+κ_e²)); Oracle needs only m_a + σ_w V. The ``bayes`` principal uses
    :func:`align_theory.exact.posterior.posterior_mean`.
Model B (float64)
    θ ~ Beta(a, b) (θ_a | θ ~ Beta(cθ, c(1−θ)) with diversity), per agent the counts
    C ~ Bin(K, θ_a), A1 ~ Bin(C, s), A0 ~ Bin(K − C, f); a uniformly random accepted
    candidate is correct with probability A1/(A1 + A0) (C/K when none is accepted); votes
    draw the wrong answers' counts as a multinomial over the m alternatives (uniform or
    Dirichlet(α) per question).

Protocols without a sufficient form here (Shortlist in model B, every recorded pool) are
left to :mod:`align_theory.reference`, which draws every candidate.

Streams: protocol j of a run draws from ``default_rng(SeedSequence(seed).spawn(P)[j])``
(PCG64), in chunks of :data:`CHUNK` trials; same seed, same numbers with this backend
(the JAX backend's threefry streams are different, so the two agree in law, not in digits).

Examples
--------
>>> from align_theory import Align, GaussianModel
>>> (est,) = simulate_each(GaussianModel(tau=0.0), [Align(2, 2)], trials=4096, seed=0)
>>> est.trials, abs(est.mean - 1.029) < 4 * est.stderr   # E[max of 4 N(0, 1)]
(4096, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from align_theory.models import BernoulliModel, GaussianModel, Model
from align_theory.montecarlo.specs import model_spec
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
    pool_layout,
)
from align_theory.results import Estimate

__all__ = ["CHUNK", "SUFFICIENT", "Accumulator", "simulate_each", "supports_sufficient"]

CHUNK = 1 << 16
"""Trials per vectorized step (bounds memory: a few MiB per protocol)."""

F32 = np.float32
TINY32 = F32(np.finfo(np.float32).tiny)
Params = dict[str, np.ndarray]
Sampler = Callable[[Model, Params, Protocol, np.random.Generator, int], np.ndarray]


# ---------------------------------------------------------------------------- model G


def _uniform32(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """U(0, 1) in float32, bounded away from 0 (so that log U is finite)."""
    return np.maximum(rng.random(shape, dtype=F32), TINY32)


def _normal_from_log(logp: np.ndarray) -> np.ndarray:
    """Φ⁻¹(p) from log p, precise in both tails (Φ⁻¹(p) below ½, −Φ⁻¹(−expm1(log p))
    above; the upper form alone returns −∞ when p < 3·10⁻⁸ in float32). SciPy is imported
    on first use, so that importing the package costs the JAX path nothing."""
    from scipy.special import ndtri

    p = np.exp(logp)
    low = p < 0.5  # one Φ⁻¹ per draw: of p below ½, of 1 − p (negated) above
    z = ndtri(np.maximum(np.where(low, p, -np.expm1(logp)), TINY32))
    return np.where(low, z, -z).astype(F32, copy=False)


def _max_normal(rng: np.random.Generator, shape: tuple[int, ...], k: int) -> np.ndarray:
    """Φ⁻¹(U^{1/k}), the maximum of k iid N(0, 1), finite and tail-precise on both sides."""
    return _normal_from_log(np.log(_uniform32(rng, shape)) / F32(k))


def _levels(p: Params, rng: np.random.Generator, t: int, g: int) -> np.ndarray:
    """Agent levels m_a − μ, shape (t, g) (terms with a zero coefficient are not drawn)."""
    lev = np.zeros((t, g), F32)
    if p["c0"] > 0:
        lev += p["c0"] * rng.standard_normal((t, 1), dtype=F32)
    if p["ca"] > 0:
        lev += p["ca"] * rng.standard_normal((t, g), dtype=F32)
    return lev


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, idx[:, None], axis=1)[:, 0]


def _pick(
    model: GaussianModel,
    p: Params,
    rule: str,
    x: np.ndarray,
    y: np.ndarray,
    xh: np.ndarray,
    off: np.ndarray,
    per_agent: int | None,
) -> np.ndarray:
    """Index of the proposal the principal selects (DESIGN's rules, as the JAX kernels)."""
    if rule == "exact":
        score = x
    elif rule == "judge":
        score = xh
    elif rule == "bayes" and per_agent is not None:
        from align_theory.exact.posterior import posterior_mean

        score = posterior_mean(model, y.astype(float), xh.astype(float), per_agent)
    else:
        score = p["wy"] * (y - off) + p["wx"] * xh
    return np.argmax(score, axis=1)


def _g_random(m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int) -> np.ndarray:
    g = pool_layout(proto)[1]
    return _levels(p, rng, t, g)[:, 0] + p["sw"] * rng.standard_normal(t, dtype=F32)


def _g_oracle(m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int) -> np.ndarray:
    n, g = pool_layout(proto)
    lev = _levels(p, rng, t, g)
    return (lev + p["sw"] * _max_normal(rng, (t, g), n // g)).max(axis=1)


def _g_best_of_n(
    m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int
) -> np.ndarray:
    n, g = pool_layout(proto)
    lev = _levels(p, rng, t, g)
    v = _max_normal(rng, (t, g), n // g)
    xh = lev + p["s_j"] * v
    x = lev + p["sw"] * (p["r_j"] * v + p["rc_j"] * rng.standard_normal((t, g), dtype=F32))
    return _take(x, np.argmax(xh, axis=1))


def _g_shortlist(
    m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int
) -> np.ndarray:
    assert isinstance(proto, Shortlist) and isinstance(m, GaussianModel)
    n, s = proto.n, proto.size
    lev0 = _levels(p, rng, t, 1)
    logu = np.log(_uniform32(rng, (t, s))) / (n - np.arange(s, dtype=F32))
    v = _normal_from_log(np.cumsum(logu, axis=1))  # top-s order statistics
    x = lev0 + p["sw"] * (p["r_y"] * v + p["rc_y"] * rng.standard_normal((t, s), dtype=F32))
    y = lev0 + p["off"][0] + p["s_y"] * v
    xh = x + p["ke"] * rng.standard_normal((t, s), dtype=F32)
    return _take(x, _pick(m, p, proto.principal, x, y, xh, np.zeros((1, s), F32), None))


def _agent_picks(
    p: Params, proto: Protocol, rng: np.random.Generator, t: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, offsets) of each agent's argmax-y candidate, shape (t, g)."""
    n, g = pool_layout(proto)
    off = p["off"][:g]
    lev = _levels(p, rng, t, g)
    v = _max_normal(rng, (t, g), n // g)
    x = lev + p["sw"] * (p["r_y"] * v + p["rc_y"] * rng.standard_normal((t, g), dtype=F32))
    return x, lev + off + p["s_y"] * v, off


def _g_single(m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int) -> np.ndarray:
    x, y, _ = _agent_picks(p, proto, rng, t)
    return _take(x, np.argmax(y, axis=1))


def _g_align(m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int) -> np.ndarray:
    assert isinstance(proto, Align) and isinstance(m, GaussianModel)
    x, y, off = _agent_picks(p, proto, rng, t)
    xh = x + p["ke"] * rng.standard_normal(x.shape, dtype=F32)
    return _take(x, _pick(m, p, proto.principal, x, y, xh, off, proto.per_agent))


# ---------------------------------------------------------------------------- model B


def _theta(m: BernoulliModel, rng: np.random.Generator, t: int, g: int) -> np.ndarray:
    """θ_a per agent, shape (t, g) (θ broadcast when there is no diversity)."""
    theta = rng.beta(m.a, m.b, size=(t, 1))
    if m.diversity is not None:
        c = m.diversity
        th = np.clip(theta, 1e-300, 1.0 - 1e-16)
        return rng.beta(c * th, c * (1.0 - th), size=(t, g))
    return np.broadcast_to(theta, (t, g))


def _counts(
    rng: np.random.Generator, theta: np.ndarray, k: int, s: float, f: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(C, A1, A0): correct, accepted-correct and accepted-wrong counts of k candidates."""
    c = rng.binomial(k, theta)
    return c, rng.binomial(c, s), rng.binomial(k - c, f)


def _bern_pick(
    u: np.ndarray, good: np.ndarray, total: np.ndarray, fb_good: np.ndarray, fb_total: float
) -> np.ndarray:
    """1{a uniformly random element of a set with ``good`` of ``total`` good is good}, the
    fallback set (fb_good of fb_total) used when ``total`` is 0."""
    frac = np.where(total > 0, good / np.maximum(total, 1), fb_good / max(fb_total, 1.0))
    return (u < frac).astype(float)


def _plurality(u: np.ndarray, correct: np.ndarray, wrong: np.ndarray) -> np.ndarray:
    """1{the correct answer wins the plurality}: ``correct`` (t,) votes against ``wrong``
    (t, m); a tie among L leaders (the correct one included) is won with probability 1/L;
    no votes at all is a loss."""
    top = wrong.max(axis=1)
    tied = 1 + (wrong == correct[:, None]).sum(axis=1)
    win = (correct > top) | ((correct == top) & (correct > 0) & (u * tied < 1.0))
    return win.astype(float)


def _b_random(m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int) -> np.ndarray:
    assert isinstance(m, BernoulliModel)
    theta = _theta(m, rng, t, pool_layout(proto)[1])
    return (rng.random(t) < theta[:, 0]).astype(float)


def _b_oracle(m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int) -> np.ndarray:
    assert isinstance(m, BernoulliModel)
    n, g = pool_layout(proto)
    none = np.prod((1.0 - _theta(m, rng, t, g)) ** (n // g), axis=1)
    return (rng.random(t) >= none).astype(float)


def _one_stage(
    m: BernoulliModel, proto: Protocol, rng: np.random.Generator, t: int, s: float, f: float
) -> np.ndarray:
    n, g = pool_layout(proto)
    c, a1, a0 = _counts(rng, _theta(m, rng, t, g), n // g, s, f)
    return _bern_pick(rng.random(t), a1.sum(1), (a1 + a0).sum(1), c.sum(1), float(n))


def _b_single(m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int) -> np.ndarray:
    assert isinstance(m, BernoulliModel)
    return _one_stage(m, proto, rng, t, m.agent_tpr, m.agent_fpr)


def _b_best_of_n(
    m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int
) -> np.ndarray:
    assert isinstance(m, BernoulliModel)
    return _one_stage(m, proto, rng, t, m.principal_tpr, m.principal_fpr)


def _b_align(m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int) -> np.ndarray:
    assert isinstance(proto, Align) and isinstance(m, BernoulliModel)
    n, g = pool_layout(proto)  # g = M agents, k = K candidates each
    k = n // g
    c, a1, a0 = _counts(rng, _theta(m, rng, t, g), k, m.agent_tpr, m.agent_fpr)
    prop = _bern_pick(rng.random((t, g)), a1, a1 + a0, c, float(k))  # proposal correct
    if proto.principal == "exact":
        return prop.max(axis=1)
    v = rng.random((t, g))
    acc = np.where(prop > 0, v < m.principal_tpr, v < m.principal_fpr).astype(float)
    # the principal picks uniformly among accepted proposals, else among all M of them
    return _bern_pick(rng.random(t), (acc * prop).sum(1), acc.sum(1), prop.sum(1), float(g))


def _vote_counts(
    m: BernoulliModel, proto: Protocol, rng: np.random.Generator, t: int
) -> tuple[np.ndarray, np.ndarray]:
    """Correct votes (t,) and the m wrong answers' votes (t, m) of the n candidates."""
    n, g = pool_layout(proto)
    c = rng.binomial(n // g, _theta(m, rng, t, g)).sum(axis=1)
    nw = m.wrong_answers
    if nw == 1:
        return c, (n - c)[:, None]
    if m.wrong_concentration is not None:
        w = rng.dirichlet(np.full(nw, m.wrong_concentration), size=t)
    else:
        w = np.full((t, nw), 1.0 / nw)
    return c, rng.multinomial(n - c, w)


def _b_majority(
    m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int
) -> np.ndarray:
    assert isinstance(m, BernoulliModel)
    c, wrong = _vote_counts(m, proto, rng, t)
    return _plurality(rng.random(t), c, wrong)


def _b_filter(m: Model, p: Params, proto: Protocol, rng: np.random.Generator, t: int) -> np.ndarray:
    assert isinstance(m, BernoulliModel)
    c, wrong = _vote_counts(m, proto, rng, t)
    u = rng.random(t)
    ac = rng.binomial(c, m.agent_tpr)
    aw = rng.binomial(wrong, m.agent_fpr)
    anyacc = (ac + aw.sum(axis=1)) > 0
    return np.where(anyacc, _plurality(u, ac, aw), _plurality(u, c, wrong))


SUFFICIENT: dict[type, dict[type, Sampler]] = {
    GaussianModel: {
        Align: _g_align,
        SingleAgent: _g_single,
        RandomPick: _g_random,
        Oracle: _g_oracle,
        PrincipalBestOfN: _g_best_of_n,
        Shortlist: _g_shortlist,
    },
    BernoulliModel: {
        Align: _b_align,
        SingleAgent: _b_single,
        RandomPick: _b_random,
        Oracle: _b_oracle,
        PrincipalBestOfN: _b_best_of_n,
        MajorityVote: _b_majority,
        FilterVote: _b_filter,
    },
}
"""Model class → protocol class → numpy sampler (the same pairs as the JAX ``sufficient``
kernels; a test checks it)."""


def supports_sufficient(model: Model, proto: Protocol) -> bool:
    """True when the numpy backend has a sufficient-statistics sampler for the pair.

    Examples
    --------
    >>> from align_theory import Align, BernoulliModel, Shortlist
    >>> supports_sufficient(BernoulliModel(1.0, 1.0), Align(2, 8, "judge"))
    True
    >>> supports_sufficient(BernoulliModel(1.0, 1.0), Shortlist(8, 2))
    False
    """
    table = SUFFICIENT.get(type(model), {})
    rule = getattr(proto, "principal", "exact")
    if rule in ("linear", "bayes", "vote") and not isinstance(model, GaussianModel):
        return False
    return type(proto) in table and rule != "vote"


# ---------------------------------------------------------------------------- run loop


class Accumulator:
    """Running count, mean and sum of squared deviations (float64; Chan's merge of chunks).

    Examples
    --------
    >>> acc = Accumulator()
    >>> acc.add(np.array([1.0, 2.0])); acc.add(np.array([3.0]))
    >>> acc.estimate(0.0).mean, round(acc.estimate(0.0).stderr, 6)
    (2.0, 0.57735)
    """

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def add(self, u: np.ndarray) -> None:
        nb = int(u.size)
        if nb == 0:
            return
        u = u.astype(np.float64, copy=False)
        mb = float(u.mean())
        m2b = float(((u - mb) ** 2).sum())
        n = self.n + nb
        delta = mb - self.mean
        self.m2 += m2b + delta * delta * self.n * nb / n
        self.mean += delta * nb / n
        self.n = n

    def estimate(self, shift: float) -> Estimate:
        n = self.n
        var = self.m2 / (n - 1) if n > 1 else math.inf
        return Estimate(float(self.mean + shift), float(math.sqrt(max(var, 0.0) / n)), n)


def simulate_each(
    model: Model,
    protocols: Sequence[Protocol],
    *,
    trials: int,
    seed: int = 0,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[Estimate, ...]:
    """One :class:`Estimate` per protocol by the numpy sufficient-statistics samplers.

    Protocol j draws from its own stream (module docstring), so the first estimate of
    ``simulate_each(m, [p, ...])`` is that of ``simulate_each(m, [p])``.

    Parameters
    ----------
    model : GaussianModel or BernoulliModel
        The candidate law.
    protocols : sequence of Protocol
        Each must satisfy :func:`supports_sufficient`.
    trials, seed : int
        Trials (≥ 2) and a non-negative seed (validated by the caller).
    on_chunk : callable, optional
        Called with the number of trials done after each chunk.

    Returns
    -------
    tuple of Estimate
        One per protocol. A KeyboardInterrupt is re-raised with ``.partial`` set to the
        estimates so far (the caller turns it into ``SimulationInterrupted``).

    Examples
    --------
    >>> from align_theory import BernoulliModel, Oracle
    >>> (est,) = simulate_each(BernoulliModel(1.0, 1.0), [Oracle(3)], trials=4096)
    >>> abs(est.mean - 0.75) < 4 * est.stderr   # E[1 − (1 − θ)³] = 3/4
    True
    """
    protos = tuple(protocols)
    bad = [p for p in protos if not supports_sufficient(model, p)]
    if bad:
        raise ValueError(f"the numpy sufficient samplers do not define {bad} in {model!r}")
    spec = model_spec(model, max(p.n for p in protos))
    fns = [SUFFICIENT[type(model)][type(p)] for p in protos]
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(len(protos))]
    accs = [Accumulator() for _ in protos]
    done = 0
    try:
        while done < trials:
            t = min(CHUNK, trials - done)
            for fn, p, rng, acc in zip(fns, protos, rngs, accs, strict=True):
                acc.add(fn(model, spec.params, p, rng, t))
            done += t
            if on_chunk is not None:
                on_chunk(done)
    except KeyboardInterrupt as exc:
        if accs[0].n >= 2:
            exc.partial = tuple(a.estimate(spec.shift) for a in accs)  # type: ignore[attr-defined]
        raise
    return tuple(a.estimate(spec.shift) for a in accs)
