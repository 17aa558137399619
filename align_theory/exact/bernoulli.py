r"""Model B (latent Beta difficulty, discrete answers) closed forms.

The stage operator of T5, Φ_{s,f,K}(p) = q(p)[1−(1−α)^K] + p(1−s)(1−α)^{K−1},
α = sp + f(1−p), q = sp/α, is a polynomial of degree K in p. Every model B value is the
expectation over θ ~ Beta(a, b) of a polynomial of degree ≤ N in θ — with agent diversity
too: E[g(θ_a) | θ] for θ_a ~ Beta(cθ, c(1−θ)) maps degree K to degree K, since
E[θ_a^j | θ] = (cθ)_j/(c)_j — so the Gauss–Jacobi rule sized for degree N is exact
(N ≤ :data:`B_MAX_N`). Binary majority vote uses the beta-binomial sum; plurality and
filter-vote over several wrong answers, and pools of several diverse agents, sum over
answer-count compositions (:mod:`~align_theory.exact.compositions`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special

from align_theory.exact.compositions import (
    beta_binomial_pmf,
    filter_vote_given_count,
    log_rising,
    plurality_table,
    pool_count_pmf,
)
from align_theory.exact.quadrature import beta_nodes, gauss_legendre
from align_theory.models import BernoulliModel, Model
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
    "B_MAX_N",
    "bernoulli_utility",
    "beta_binomial_majority",
    "stage_operator",
    "verifier_select",
]


def _use_simulate(model: Model, protocol: Protocol, why: str) -> NotImplementedError:
    return NotImplementedError(
        f"no closed form for {type(protocol).__name__} under {type(model).__name__} ({why}); "
        "use align_theory.simulate(model, protocol, trials=..., seed=...) instead"
    )


def _model_g_only(rule: str) -> NotImplementedError:
    return NotImplementedError(
        f"the {rule!r} principal is defined for model G only (it reads continuous scores); "
        "use principal='judge' (the principal's verifier) or 'exact' in model B"
    )


# ---------------------------------------------------------------------- model B


def stage_operator(p: np.ndarray | float, tpr: float, fpr: float, k: int) -> np.ndarray:
    r"""Φ_{s,f,K}(p) = q[1−(1−α)^K] + p(1−s)(1−α)^{K−1}, α = sp + f(1−p), q = sp/α.

    The probability that a selector with verifier (s, f) = (tpr, fpr), choosing uniformly
    among the candidates it accepts (uniformly among all if it accepts none), outputs a
    correct one of K candidates that are correct iid with probability p. Vectorized in p.
    """
    p_a = np.asarray(p, dtype=float)
    alpha = tpr * p_a + fpr * (1.0 - p_a)
    none = np.power(1.0 - alpha, k - 1)
    # q[1 − (1−α)^K] = s p · (1 − (1−α)^K)/α, with the α → 0 limit s p K
    frac = np.where(
        alpha > 1e-12,
        -np.expm1(k * np.log1p(-np.minimum(alpha, 1 - 1e-16)))
        / np.where(alpha > 1e-12, alpha, 1.0),
        k,
    )
    frac = np.where(alpha >= 1.0, 1.0, frac)
    return tpr * p_a * frac + p_a * (1.0 - tpr) * none


def verifier_select(probs: np.ndarray, counts: np.ndarray, tpr: float, fpr: float) -> np.ndarray:
    r"""P(correct output) of a verifier (s, f) picking uniformly among the proposals it
    accepts (uniformly among all if none), over independent proposals of G types: n_g
    proposals correct with probability p_g each (``probs[..., g]``, ``counts[..., g]``).

    P = Σ_i p_i s E[1/(1+A_{−i})] + P(A = 0)·(1/n)Σ_i P(correct_i | rejected_i), using
    E[1/(1+A)] = ∫₀¹ Π_j (1 − π_j + π_j t) dt with π_j = s p_j + f(1−p_j) (exact by
    Gauss–Legendre since the integrand is a polynomial of degree < n).
    """
    p = np.asarray(probs, dtype=float)
    c = np.asarray(counts, dtype=float)
    n = c.sum(axis=-1)
    pi = tpr * p + fpr * (1.0 - p)
    deg = int(np.max(n)) + 1
    t, w = gauss_legendre(0.0, 1.0, panels=1, order=max(2, deg // 2 + 2))
    log_fac = c[..., None] * np.log(np.clip(1.0 - pi[..., None] + pi[..., None] * t, 1e-300, None))
    log_all = log_fac.sum(axis=-2)  # (..., nodes)
    own = np.log(np.clip(1.0 - pi[..., None] + pi[..., None] * t, 1e-300, None))
    integral = np.sum(w * np.exp(log_all[..., None, :] - own), axis=-1)  # (..., G)
    accepted = np.sum(c * p * tpr * integral, axis=-1)
    log_none = np.sum(c * np.log(np.clip(1.0 - pi, 1e-300, None)), axis=-1)
    rej = p * (1.0 - tpr) / np.clip(1.0 - pi, 1e-300, None)
    rej = np.where(1.0 - pi > 1e-300, rej, 0.0)
    fallback = np.exp(log_none) * np.sum(c * rej, axis=-1) / n
    return accepted + fallback


def beta_binomial_majority(a: float, b: float, n: int) -> float:
    r"""P(binary majority of n votes is correct) when θ ~ Beta(a, b) and votes are iid
    Bernoulli(θ) given θ: Σ_{k>n/2} C(n,k)B(a+k, b+n−k)/B(a,b), plus half the tie term
    C(n, n/2)B(a+n/2, b+n/2)/B(a,b) for even n (ties broken uniformly at random).

    The beta-binomial terms are rising factorials in log space
    (:func:`~align_theory.exact.compositions.beta_binomial_pmf`), so a tiny intra-class
    correlation (a + b up to 1e300: the binomial limit) stays a probability. Cost O(n).

    Examples
    --------
    >>> round(beta_binomial_majority(1.05, 1.283, 15), 6)
    0.431337
    >>> from scipy import stats
    >>> lim = 1 - stats.binom(15, 0.3).cdf(7)  # icc = 1e-16: Binomial(15, 0.3)
    >>> bool(abs(beta_binomial_majority(0.3 * (1e16 - 1), 0.7 * (1e16 - 1), 15) - lim) < 1e-12)
    True
    """
    k = np.arange(n + 1)
    pmf = beta_binomial_pmf(n, a, b)
    weight = np.where(2 * k > n, 1.0, np.where(2 * k == n, 0.5, 0.0))
    return float(np.sum(pmf * weight))


@lru_cache(maxsize=256)
def _correct_given_count(k: int, tpr: float, fpr: float) -> np.ndarray:
    """ψ_K(j) = P(the selector outputs a correct candidate | j of its K are correct)."""
    j = np.arange(k + 1, dtype=float)
    probs = np.stack([np.ones_like(j), np.zeros_like(j)], axis=-1)
    counts = np.stack([j, k - j], axis=-1)
    psi = verifier_select(probs, counts, tpr, fpr)
    psi.setflags(write=False)
    return psi


def _agent_stage(
    model: BernoulliModel, theta: np.ndarray, k: int, tpr: float, fpr: float
) -> np.ndarray:
    """p̄(θ) = E[Φ_{s,f,K}(θ_a) | θ]: equal to Φ_{s,f,K}(θ) without diversity; with diversity
    θ_a ~ Beta(cθ, c(1−θ)), and P(correct | j correct of K) is averaged over the
    beta-binomial law of j (a polynomial of degree K in θ)."""
    if model.diversity is None:
        return stage_operator(theta, tpr, fpr, k)
    c = model.diversity
    th = np.clip(theta, 1e-300, 1 - 1e-16)
    pmf = beta_binomial_pmf(k, c * th, c * (1 - th))
    return np.asarray(pmf @ _correct_given_count(k, tpr, fpr))


B_MAX_N = 4096
"""Largest candidate budget N of the model B closed forms that integrate a polynomial of
degree N in θ (Gauss–Jacobi with N/2 + 8 nodes: about 0.3 s at N = 4096). Larger N raise
``ValueError``; binary MajorityVote without diversity and Oracle without diversity are
O(N) sums with no limit."""


def _check_size(model: BernoulliModel, p: Protocol) -> None:
    if p.n > B_MAX_N:
        name = "agents * per_agent" if isinstance(p, Align) else "n"
        raise ValueError(
            f"{name} must be <= {B_MAX_N} for the model B closed form of "
            f"{type(p).__name__} (a polynomial of degree N in θ integrated by a Gauss–Jacobi "
            f"rule of N/2 + 8 nodes), got {p.n}; use align_theory.simulate(model, protocol, "
            "trials=..., seed=...) instead"
        )


def bernoulli_utility(model: BernoulliModel, p: Protocol) -> float:
    """E[x of the protocol's output] in model B (see :func:`align_theory.expected_utility`).

    Every integrand is a polynomial of degree ≤ N in θ, so the Gauss–Jacobi rule sized for
    degree N (:func:`~align_theory.exact.quadrature.beta_nodes`) is exact; count-based
    rules on pooled or voted candidates go through
    :mod:`~align_theory.exact.compositions`.
    """
    s, f, s2, f2 = model.agent_tpr, model.agent_fpr, model.principal_tpr, model.principal_fpr
    c = model.diversity
    if isinstance(p, RandomPick):
        return model.mean
    if isinstance(p, Align | Shortlist) and p.principal in ("linear", "bayes"):
        raise _model_g_only(p.principal)
    if isinstance(p, Oracle) and c is None:
        # coverage 1 − E(1−θ)^n = 1 − (b)_n/(a+b)_n, an O(n) sum for any n
        miss = log_rising(model.b, p.n)[-1] - log_rising(model.a + model.b, p.n)[-1]
        return float(-np.expm1(miss))
    if isinstance(p, MajorityVote) and model.wrong_answers == 1 and c is None:
        return beta_binomial_majority(model.a, model.b, p.n)
    _check_size(model, p)
    theta, w = beta_nodes(model.a, model.b, p.n)
    if isinstance(p, Align):
        prop = _agent_stage(model, theta, p.per_agent, s, f)
        if p.principal == "exact" or model.exact_principal:
            val = 1.0 - (1.0 - prop) ** p.agents
        else:
            val = stage_operator(prop, s2, f2, p.agents)
        return float(np.sum(w * val))
    if isinstance(p, Oracle):
        assert c is not None
        th = np.clip(theta, 1e-300, 1 - 1e-16)
        k = p.n // p.agents
        # E[(1−θ_a)^K | θ] = (c(1−θ))_K/(c)_K, a polynomial of degree K in θ
        miss = np.exp(log_rising(c * (1 - th), k)[:, -1] - log_rising(c, k)[-1])
        return float(np.sum(w * (1.0 - miss**p.agents)))
    if isinstance(p, SingleAgent | PrincipalBestOfN):
        tpr, fpr = (s, f) if isinstance(p, SingleAgent) else (s2, f2)
        if c is None:
            return float(np.sum(w * stage_operator(theta, tpr, fpr, p.n)))
        pool = pool_count_pmf(model.a, model.b, p.n, p.agents, c)
        return float(pool @ _correct_given_count(p.n, tpr, fpr))
    if isinstance(p, MajorityVote | FilterVote):
        pool = pool_count_pmf(model.a, model.b, p.n, p.agents, c)
        m, alpha = model.wrong_answers, model.wrong_concentration
        if isinstance(p, MajorityVote):
            j = np.arange(p.n + 1)
            given = plurality_table(p.n, m, alpha)[j, p.n - j]
        else:
            given = filter_vote_given_count(p.n, m, alpha, s, f)
        return float(np.clip(pool @ given, 0.0, 1.0))
    if isinstance(p, Shortlist):
        if c is None:
            return float(np.sum(w * _shortlist_b(model, theta, p)))
        # one agent with θ₁ | θ ~ Beta(cθ, c(1−θ)): the value is a polynomial of degree n in
        # θ₁, and E[θ₁^j | θ] = (cθ)_j/(c)_j one of degree j in θ: nested Gauss–Jacobi rules
        th = np.clip(theta, 1e-300, 1 - 1e-16)
        inner = [beta_nodes(c * t, c * (1 - t), p.n) for t in th]
        th1 = np.stack([x for x, _ in inner])
        w1 = np.stack([v for _, v in inner])
        val = _shortlist_b(model, th1.ravel(), p).reshape(th1.shape)
        return float(np.sum(w * np.sum(w1 * val, axis=1)))
    raise TypeError(f"unknown protocol {p!r}")


def _shortlist_b(model: BernoulliModel, theta: np.ndarray, p: Shortlist) -> np.ndarray:
    """P(correct | θ) for Shortlist in model B: A ~ Bin(n, α) accepted; the shortlist holds
    j = min(A, size) accepted candidates (correct w.p. q each) and size − j rejected ones
    (correct w.p. q₀ = p(1−s)/(1−α)); the principal then selects among them."""
    s, f = model.agent_tpr, model.agent_fpr
    n, m = p.n, p.size
    alpha = s * theta + f * (1 - theta)
    q = np.where(alpha > 0, s * theta / np.where(alpha > 0, alpha, 1.0), 0.0)
    q0 = np.where(alpha < 1, theta * (1 - s) / np.where(alpha < 1, 1 - alpha, 1.0), 0.0)
    a = np.arange(m + 1)
    pmf = special.binom(n, a)[None, :] * alpha[:, None] ** a * (1 - alpha[:, None]) ** (n - a)
    pmf[:, m] = 1.0 - pmf[:, :m].sum(axis=1)  # P(A ≥ size)
    probs = np.stack(np.broadcast_arrays(q[:, None], q0[:, None]), axis=-1)
    probs = np.broadcast_to(probs, (theta.size, m + 1, 2))
    counts = np.broadcast_to(np.stack([a, m - a], axis=-1)[None], (theta.size, m + 1, 2))
    if p.principal == "exact" or model.exact_principal:
        val = (
            1.0 - (1.0 - probs[..., 0]) ** counts[..., 0] * (1.0 - probs[..., 1]) ** counts[..., 1]
        )
    else:
        val = verifier_select(probs, counts, model.principal_tpr, model.principal_fpr)
    return np.sum(pmf * val, axis=1)
