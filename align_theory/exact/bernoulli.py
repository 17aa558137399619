r"""Model B (latent Beta difficulty, discrete answers) closed forms.

The stage operator of T5, Φ_{s,f,K}(p) = q(p)[1−(1−α)^K] + p(1−s)(1−α)^{K−1},
α = sp + f(1−p), q = sp/α, is a polynomial of degree K in p, so E_θ over Beta(a, b) is done
exactly by Gauss–Jacobi quadrature with more than N/2 nodes; majority vote uses the
beta-binomial sum.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special

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


def _beta_binom_logpmf(k: np.ndarray, n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (
        special.gammaln(n + 1)
        - special.gammaln(k + 1)
        - special.gammaln(n - k + 1)
        + special.betaln(a + k, b + n - k)
        - special.betaln(a, b)
    )


def beta_binomial_majority(a: float, b: float, n: int) -> float:
    r"""P(binary majority of n votes is correct) when θ ~ Beta(a, b) and votes are iid
    Bernoulli(θ) given θ: Σ_{k>n/2} C(n,k)B(a+k, b+n−k)/B(a,b), plus half the tie term
    C(n, n/2)B(a+n/2, b+n/2)/B(a,b) for even n (ties broken uniformly at random)."""
    k = np.arange(n + 1)
    pmf = np.exp(_beta_binom_logpmf(k, n, np.asarray(a), np.asarray(b)))
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
    beta-binomial law of j."""
    if model.diversity is None:
        return stage_operator(theta, tpr, fpr, k)
    c = model.diversity
    j = np.arange(k + 1, dtype=float)
    psi = _correct_given_count(k, tpr, fpr)
    th = np.clip(theta, 1e-15, 1 - 1e-15)[:, None]
    pmf = np.exp(_beta_binom_logpmf(j[None, :], k, c * th, c * (1 - th)))
    return pmf @ psi


def bernoulli_utility(model: BernoulliModel, p: Protocol) -> float:
    """E[x of the protocol's output] in model B (see :func:`align_theory.expected_utility`)."""
    s, f, s2, f2 = model.agent_tpr, model.agent_fpr, model.principal_tpr, model.principal_fpr
    div = model.diversity is not None
    theta, w = beta_nodes(model.a, model.b, p.n + 2)
    if div:
        # p̄(θ) is smooth but not polynomial in θ: 88 Gauss–Jacobi nodes reach ~1e-11
        theta, w = beta_nodes(model.a, model.b, 160)
    if isinstance(p, RandomPick):
        return model.mean
    if isinstance(p, Align):
        if p.principal in ("linear", "bayes"):
            raise _model_g_only(p.principal)
        prop = _agent_stage(model, theta, p.per_agent, s, f)
        if p.principal == "exact" or model.exact_principal:
            val = 1.0 - (1.0 - prop) ** p.agents
        else:
            val = stage_operator(prop, s2, f2, p.agents)
        return float(np.sum(w * val))
    if (
        isinstance(p, SingleAgent | PrincipalBestOfN | Oracle | MajorityVote)
        and div
        and p.agents > 1
    ):
        if isinstance(p, Oracle):
            c = model.diversity
            assert c is not None
            th = np.clip(theta, 1e-15, 1 - 1e-15)
            k = p.n // p.agents
            miss = np.exp(
                special.betaln(c * th, c * (1 - th) + k) - special.betaln(c * th, c * (1 - th))
            )
            return float(np.sum(w * (1.0 - miss**p.agents)))
        raise _use_simulate(model, p, "a pool from several diverse agents")
    if isinstance(p, SingleAgent):
        return float(np.sum(w * _agent_stage(model, theta, p.n, s, f)))
    if isinstance(p, PrincipalBestOfN):
        return float(np.sum(w * _agent_stage(model, theta, p.n, s2, f2)))
    if isinstance(p, Oracle):
        return float(np.sum(w * _agent_stage(model, theta, p.n, 1.0, 0.0)))
    if isinstance(p, MajorityVote):
        if model.wrong_answers != 1:
            raise _use_simulate(model, p, "plurality over more than one wrong answer")
        if not div:
            return beta_binomial_majority(model.a, model.b, p.n)
        c = model.diversity
        assert c is not None
        j = np.arange(p.n + 1, dtype=float)
        th = np.clip(theta, 1e-15, 1 - 1e-15)[:, None]
        pmf = np.exp(_beta_binom_logpmf(j[None, :], p.n, c * th, c * (1 - th)))
        weight = np.where(2 * j > p.n, 1.0, np.where(2 * j == p.n, 0.5, 0.0))
        return float(np.sum(w * (pmf @ weight)))
    if isinstance(p, Shortlist):
        if p.principal in ("linear", "bayes"):
            raise _model_g_only(p.principal)
        if div:
            raise _use_simulate(model, p, "Shortlist with agent diversity")
        return float(np.sum(w * _shortlist_b(model, theta, p)))
    if isinstance(p, FilterVote):
        raise _use_simulate(model, p, "filter-vote has no closed form here")
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
