r"""Regimes where ALIGN does not win, and published voting phenomena, as checked reports.

docs/design.md section 3 lists the regimes where Align loses to a baseline; each function here
computes the difference two independent ways (a closed form by quadrature, and a numpy Monte
Carlo sampler written here, independent of :mod:`align_theory.montecarlo`) and its report
*holds* only when the sign of the loss is confirmed beyond ``Z_TOL`` Monte Carlo standard
errors (and by the closed form). The regimes:

* ``reliable-agent``: τ = 0 (the agent ranks its candidates perfectly) and a noisy judge
  (κ > 0): Align(judge) < SingleAgent, since SA already picks the pool's best candidate.
* ``beyond-kappa*``: judge noise κ = 2κ*(M, K, τ) (T4): Align(judge) < SingleAgent.
* ``low-recall``: model B, a principal verifier with low recall s′ (barely above its false
  positive rate f′): Align(judge) < SingleAgent.
* ``biased-judge``: the judge rewards a feature b, x̂ = x + βb + κν, and *competition* (a
  tournament incentive: an agent is paid for being selected) makes each agent propose
  argmax_k (y + βb), its prediction of the judge's score. The bias is then selected twice —
  within each agent on y + βb and across agents on x̂ — and Align loses to SingleAgent at
  parameters where truthful agents (proposing argmax y) facing the *same* judge win.
* ``shortlist-iid``: iid Gaussian candidates: Shortlist(N, M) (top M of one agent's N by y)
  beats Align(M, K) with the same exact principal and the same M evaluations.
* ``majority-easy``: model B with easy items (E θ high) and imperfect agent and principal
  verifiers: MajorityVote(N) beats Align(M, K, judge).

Published phenomena (Chen et al. 2024; REFERENCES.md): the vote accuracy of the two-level
difficulty mixture F(K) = α I_{p₁}((K+1)/2, (K+1)/2) + (1−α) I_{p₂}((K+1)/2, (K+1)/2) is
increasing, decreasing or inverse-U in K; and the beta-binomial majority tends to P(θ > ½).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
from scipy import special

from align_theory.exact import beta_binomial_majority, expected_utility, group_select
from align_theory.guarantees import (
    Z_TOL,
    Report,
    align_vs_shortlist,
    draw_gaussian,
    kappa_star,
    pick,
    proposals,
    single_agent,
)
from align_theory.models import BernoulliModel, GaussianModel
from align_theory.protocols import Align, MajorityVote, SingleAgent

__all__ = [
    "CHEN_SHAPES",
    "Shape",
    "biased_judge_closed",
    "check_beta_binomial_limit",
    "check_chen_shape",
    "chen_vote_accuracy",
    "classify_shape",
    "regime_beyond_kappa_star",
    "regime_biased_judge",
    "regime_checks",
    "regime_low_recall",
    "regime_majority_easy",
    "regime_reliable_agent",
    "regime_shortlist_iid",
]


def _paired(u: np.ndarray | np.generic, v: np.ndarray | np.generic) -> tuple[float, float]:
    dd = np.asarray(u, dtype=float) - np.asarray(v, dtype=float)
    return float(dd.mean()), float(dd.std(ddof=1) / math.sqrt(dd.size))


def _loss_report(
    name: str,
    claim: str,
    params: Mapping[str, object],
    closed: float,
    mc: tuple[float, float],
    detail: str = "",
    extra: dict[str, float] | None = None,
    also: bool = True,
) -> Report:
    """A regime report: value A the closed difference (Align − baseline), value B its Monte
    Carlo estimate; holds iff the closed difference is < 0 and the Monte Carlo one is below
    −Z_TOL standard errors (and ``also``)."""
    mean, se = mc
    return Report(
        f"R:{name}",
        claim,
        dict(params),
        "closed Align-base",
        closed,
        "MC Align-base",
        mean,
        se,
        holds=also and closed < 0 and mean < -Z_TOL * se,
        detail=detail,
        extra=extra or {},
    )


def _gauss_judge_vs_sa(
    model: GaussianModel, agents: int, per_agent: int, trials: int, seed: int
) -> tuple[float, tuple[float, float]]:
    """Closed and numpy-MC E[x_Align(judge)] − E[x_SA(N)] in model G on common draws."""
    closed = expected_utility(model, Align(agents, per_agent, "judge")) - expected_utility(
        model, SingleAgent(agents * per_agent)
    )
    d = draw_gaussian(model, agents, per_agent, trials, np.random.default_rng(seed))
    xs, _, xh = proposals(d)
    return closed, _paired(pick(xs, xh), single_agent(d))


def regime_reliable_agent(
    agents: int = 4,
    per_agent: int = 4,
    kappa: float = 0.5,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    """Regime: perfectly reliable agent (τ = 0) + noisy principal judge (κ > 0). SA's argmax
    y is then the pool's argmax x, so any judge noise can only lose:
    E[x_Align(judge)] − E[x_SA] < 0."""
    model = GaussianModel(tau=0.0, kappa=kappa)
    closed, mc = _gauss_judge_vs_sa(model, agents, per_agent, trials, seed)
    params = {"M": agents, "K": per_agent, "tau": 0.0, "kappa": kappa, "trials": trials}
    return _loss_report("tau=0", "tau=0 agent + noisy judge: Align(judge) < SA", params, closed, mc)


def regime_beyond_kappa_star(
    agents: int = 4,
    per_agent: int = 4,
    tau: float = 1.0,
    factor: float = 2.0,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    """Regime: judge noise beyond the T4 crossover, κ = factor·κ*(M, K, τ) with factor > 1:
    E[x_Align(judge)] − E[x_SA] < 0."""
    ks = kappa_star(agents, per_agent, tau)
    kappa = factor * ks
    model = GaussianModel(tau=tau, kappa=kappa)
    closed, mc = _gauss_judge_vs_sa(model, agents, per_agent, trials, seed)
    params = {"M": agents, "K": per_agent, "tau": tau, "kappa": kappa, "trials": trials}
    return _loss_report(
        "k>k*",
        "judge noise beyond kappa*: Align(judge) < SA",
        params,
        closed,
        mc,
        detail=f"kappa* = {ks:.4f}",
        extra={"kappa_star": ks},
    )


def _bernoulli_draws(
    model: BernoulliModel, agents: int, per_agent: int, trials: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model B without diversity: correctness (T, M, K), the agent's selection key
    (accept + a uniform tie-break in [0, ½)) and the principal's key, on the same draws."""
    if model.diversity is not None or model.wrong_answers != 1:
        raise ValueError("the regime sampler covers model B without diversity, one wrong answer")
    shape = (trials, agents, per_agent)
    theta = rng.beta(model.a, model.b, size=(trials, 1, 1))
    correct = rng.random(shape) < theta
    u_a, u_p = rng.random(shape), rng.random(shape)
    a_rate = np.where(correct, model.agent_tpr, model.agent_fpr)
    p_rate = np.where(correct, model.principal_tpr, model.principal_fpr)
    agent_key = (rng.random(shape) < a_rate) + 0.5 * u_a
    principal_key = (rng.random(shape) < p_rate) + 0.5 * u_p
    return correct, agent_key, principal_key


def _bernoulli_align_sa_vote(
    model: BernoulliModel, agents: int, per_agent: int, trials: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-draw utilities of Align(judge), SingleAgent(N) and binary MajorityVote(N) (ties
    score ½) on common random numbers."""
    correct, akey, pkey = _bernoulli_draws(
        model, agents, per_agent, trials, np.random.default_rng(seed)
    )
    idx = np.argmax(akey, axis=-1)[..., None]
    prop_c = np.take_along_axis(correct, idx, axis=-1)[..., 0]
    prop_p = np.take_along_axis(pkey, idx, axis=-1)[..., 0]
    align = pick(prop_c.astype(float), prop_p)
    sa = pick(correct.reshape(trials, -1).astype(float), akey.reshape(trials, -1))
    n = agents * per_agent
    k = correct.reshape(trials, -1).sum(-1)
    vote = np.where(2 * k > n, 1.0, np.where(2 * k == n, 0.5, 0.0))
    return align, sa, vote


def _bparams(model: BernoulliModel, agents: int, per_agent: int, trials: int) -> dict[str, object]:
    return {
        "a": model.a,
        "b": model.b,
        "s": model.agent_tpr,
        "f": model.agent_fpr,
        "s'": model.principal_tpr,
        "f'": model.principal_fpr,
        "M": agents,
        "K": per_agent,
        "trials": trials,
    }


LOW_RECALL = BernoulliModel(
    2.0, 2.0, agent_tpr=0.95, agent_fpr=0.1, principal_tpr=0.2, principal_fpr=0.15
)
EASY_ITEMS = BernoulliModel(
    8.0, 2.0, agent_tpr=0.7, agent_fpr=0.4, principal_tpr=0.6, principal_fpr=0.4
)


def regime_low_recall(
    model: BernoulliModel = LOW_RECALL,
    agents: int = 4,
    per_agent: int = 4,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    """Regime: model B with a low-recall principal verifier (s′ small, barely above f′):
    the principal's choice among M proposals is nearly random, so Align(judge) keeps only
    the agent's best-of-K selection while SingleAgent's verifier selects among all N:
    E[x_Align(judge)] − E[x_SA] < 0 (closed: T5's composed stage operator)."""
    closed = expected_utility(model, Align(agents, per_agent, "judge")) - expected_utility(
        model, SingleAgent(agents * per_agent)
    )
    align, sa, _ = _bernoulli_align_sa_vote(model, agents, per_agent, trials, seed)
    return _loss_report(
        "recall",
        "low-recall principal verifier (model B): Align(judge) < SA",
        _bparams(model, agents, per_agent, trials),
        closed,
        _paired(align, sa),
    )


def regime_majority_easy(
    model: BernoulliModel = EASY_ITEMS,
    agents: int = 3,
    per_agent: int = 5,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    """Regime: majority vote on easy items (E θ = a/(a+b) high) with imperfect agent and
    principal verifiers: the vote of N candidates is nearly always right while Align
    inherits its verifiers' errors: E[x_Align(judge)] − E[x_MajorityVote(N)] < 0 (closed:
    composed stage operator and the beta-binomial sum)."""
    n = agents * per_agent
    closed = expected_utility(model, Align(agents, per_agent, "judge")) - expected_utility(
        model, MajorityVote(n)
    )
    align, _, vote = _bernoulli_align_sa_vote(model, agents, per_agent, trials, seed)
    return _loss_report(
        "vote",
        "easy items, imperfect principal: Align(judge) < MajorityVote",
        _bparams(model, agents, per_agent, trials),
        closed,
        _paired(align, vote),
    )


def regime_shortlist_iid(
    agents: int = 4,
    per_agent: int = 4,
    tau: float = 1.0,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    """Regime: iid Gaussian candidates (ρ_b = ρ_w = 0): Shortlist(N, M) — the top M of N by
    y, then the exact principal — beats Align(M, K, exact), whose M proposals are the group
    maxima rather than the global top M: E[x_Align] − E[x_Shortlist] < 0. (With ρ_b < ρ_w the
    sign flips, T6.)"""
    model = GaussianModel(tau=tau)
    closed, mean, se = align_vs_shortlist(model, agents, per_agent, trials=trials, seed=seed)
    params = {"M": agents, "K": per_agent, "tau": tau, "rho": 0.0, "trials": trials}
    return _loss_report(
        "SL-iid", "iid Gaussian: Align(exact) < Shortlist(N, M)", params, closed, (mean, se)
    )


def biased_judge_closed(
    agents: int, per_agent: int, tau: float, kappa: float, beta: float
) -> float:
    r"""E[x_Align] − μ in homogeneous model G (σ_w = 1, ρ = 0) when each agent proposes
    argmax_k s_k with s = y + βb = x + τη + βb (tournament incentive, selecting on the
    judge-rewarded feature b) and the judge picks argmax x̂, x̂ = x + βb + κν.

    With S′ = √(1+τ²+β²) and V the standardized max of K scores s, the proposal has
    x* = V/S′ + (residual of variance 1 − 1/S′²) and x̂* = (1+β²)V/S′ + (residual of variance
    1+β²+κ² − (1+β²)²/S′²), residual covariance 1 − (1+β²)/S′²; :func:`group_select`
    then gives E[x*] of the judge's choice among the M proposals."""
    s2 = 1.0 + tau * tau + beta * beta
    s = math.sqrt(s2)
    q = 1.0 + beta * beta
    return group_select(
        agents,
        per_agent,
        q / s,
        1.0 / s,
        math.sqrt(q + kappa * kappa - q * q / s2),
        math.sqrt(1.0 - 1.0 / s2),
        1.0 - q / s2,
    )


def regime_biased_judge(
    agents: int = 2,
    per_agent: int = 8,
    tau: float = 1.5,
    kappa: float = 0.2,
    beta: float = 1.5,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    """Regime: a biased judge amplified by competition. Under a tournament incentive each
    agent proposes argmax_k (y + βb) (see the module docstring), so the bias feature b is
    selected within agents and again by the judge across agents: E[x_Align(tournament)] −
    E[x_SA] < 0, while truthful agents facing the same judge (b independent of their pick,
    judge noise √(κ²+β²)) beat SA. Holds iff both signs hold (the truthful one by the closed
    form, the tournament one by closed form and Monte Carlo beyond Z_TOL errors)."""
    model = GaussianModel(tau=tau, kappa=kappa, beta=beta)
    n = agents * per_agent
    sa_closed = expected_utility(model, SingleAgent(n))
    truthful = expected_utility(model, Align(agents, per_agent, "judge")) - sa_closed
    closed = model.mu + biased_judge_closed(agents, per_agent, tau, kappa, beta) - sa_closed
    d = draw_gaussian(model, agents, per_agent, trials, np.random.default_rng(seed))
    xs, _, xh = proposals(d, select_on=d.y + beta * d.b)
    mc = _paired(pick(xs, xh), single_agent(d))
    params = {"M": agents, "K": per_agent, "tau": tau, "kappa": kappa, "beta": beta}
    return _loss_report(
        "bias",
        "tournament agents select on judge bias b: Align(judge) < SA; truthful Align > SA",
        params | {"trials": trials},
        closed,
        mc,
        detail=f"truthful agents, same judge: Align-SA = {truthful:+.4f}",
        extra={"truthful_minus_sa": truthful},
        also=truthful > 0,
    )


# ------------------------------------------------------------------ published phenomena

Shape = Literal["increasing", "decreasing", "inverse-U"]


def chen_vote_accuracy(k: int | np.ndarray, alpha: float, p1: float, p2: float) -> np.ndarray:
    r"""Chen et al. (2024) vote accuracy with binary answers and odd K:
    F(K) = α I_{p₁}((K+1)/2, (K+1)/2) + (1−α) I_{p₂}((K+1)/2, (K+1)/2), where I is the
    regularized incomplete beta (P(Bin(K, p) ≥ (K+1)/2) = I_p((K+1)/2, (K+1)/2))."""
    kk = np.asarray(k, dtype=float)
    h = (kk + 1.0) / 2.0
    return np.asarray(alpha * special.betainc(h, h, p1) + (1.0 - alpha) * special.betainc(h, h, p2))


def classify_shape(values: np.ndarray, tol: float = 1e-12) -> Shape | None:
    """Increasing (argmax at the last K and nondecreasing), decreasing (argmax at the first
    and nonincreasing), inverse-U (interior argmax, rising before and falling after), or
    None for any other shape."""
    v = np.asarray(values, dtype=float)
    dv = np.diff(v)
    i = int(np.argmax(v))
    if np.all(dv >= -tol):
        return "increasing"
    if np.all(dv <= tol):
        return "decreasing"
    if 0 < i < v.size - 1 and np.all(dv[:i] >= -tol) and np.all(dv[i:] <= tol):
        return "inverse-U"
    return None


@dataclass(frozen=True)
class ChenCase:
    """A two-level difficulty mixture: fraction α easy (per-call accuracy p₁ > ½), the rest
    hard (p₂ < ½), and the shape of F over odd K = 1, 3, …, k_max it produces."""

    alpha: float
    p1: float
    p2: float
    shape: Shape
    k_max: int = 61


CHEN_SHAPES: tuple[ChenCase, ...] = (
    ChenCase(0.8, 0.7, 0.3, "increasing"),
    ChenCase(0.3, 0.6, 0.4, "decreasing"),
    ChenCase(0.4, 0.9, 0.45, "inverse-U"),
)
"""Mixtures whose F(K) is increasing, decreasing and inverse-U in K."""


def check_chen_shape(case: ChenCase, *, trials: int = 20_000, seed: int = 0) -> Report:
    """Chen et al. (2024): F(K) from :func:`chen_vote_accuracy` (value A, at the K that
    maximises it) against Monte Carlo (value B: draw the item's level, K binomial votes,
    majority), with the Monte Carlo curve checked at every odd K ≤ k_max (the largest |z| in
    the detail). Holds iff the closed curve has the case's shape and every K agrees within
    Z_TOL standard errors."""
    ks = np.arange(1, case.k_max + 1, 2)
    closed = chen_vote_accuracy(ks, case.alpha, case.p1, case.p2)
    rng = np.random.default_rng(seed)
    easy = rng.random(trials) < case.alpha
    p = np.where(easy, case.p1, case.p2)
    zs, means, ses = [], [], []
    for k, f in zip(ks, closed, strict=True):
        right = (rng.binomial(int(k), p) > k // 2).astype(float)
        m, s = float(right.mean()), float(right.std(ddof=1) / math.sqrt(trials))
        means.append(m)
        ses.append(s)
        zs.append(0.0 if s == 0 else (f - m) / s)
    i = int(np.argmax(closed))
    shape = classify_shape(closed)
    zmax = float(np.max(np.abs(zs)))
    return Report(
        "Chen",
        f"two-level mixture vote accuracy is {case.shape} in K",
        {"alpha": case.alpha, "p1": case.p1, "p2": case.p2, "Kmax": case.k_max},
        f"closed F(K={ks[i]})",
        float(closed[i]),
        f"MC F(K={ks[i]})",
        means[i],
        ses[i],
        holds=shape == case.shape and zmax <= Z_TOL,
        detail=f"shape {shape}; argmax K={ks[i]}; max|z| over K {zmax:.2f}",
        extra={"argmax_k": float(ks[i]), "max_abs_z": zmax},
    )


def check_beta_binomial_limit(
    a: float = 2.0, b: float = 1.5, *, trials: int = 20_000, seed: int = 0
) -> Report:
    """Beta-binomial limit: with θ ~ Beta(a, b) and iid Bernoulli(θ) votes, the majority of N
    is correct with probability F_N → P(θ > ½) = 1 − I_{1/2}(a, b). Value A: the limit;
    value B: Monte Carlo majority of N = 2001 votes (the O(1/N) bias is far below its
    standard error). Holds iff |F_N − P(θ > ½)| decreases along N = 11, 101, 1001, 10001 and
    is below 1e-3 at N = 10001."""
    limit = float(1.0 - special.betainc(a, b, 0.5))
    gaps = [abs(beta_binomial_majority(a, b, n) - limit) for n in (11, 101, 1001, 10001)]
    rng = np.random.default_rng(seed)
    theta = rng.beta(a, b, size=trials)
    right = (rng.binomial(2001, theta) > 1000).astype(float)
    mean, se = float(right.mean()), float(right.std(ddof=1) / math.sqrt(trials))
    ok = all(y < x for x, y in itertools.pairwise(gaps)) and gaps[-1] < 1e-3
    return Report(
        "BB-limit",
        "beta-binomial majority -> P(theta > 1/2)",
        {"a": a, "b": b, "trials": trials},
        "P(theta>1/2)",
        limit,
        "MC majority N=2001",
        mean,
        se,
        holds=ok,
        detail="|F_N - limit| at N=11,101,1001,10001: " + ", ".join(f"{g:.1e}" for g in gaps),
        extra={"gap_10001": gaps[-1]},
    )


def regime_checks(trials: int = 20_000) -> list[Callable[[], Report]]:
    """The regime and published-phenomenon rows of ``align verify``."""
    t = trials
    checks: list[Callable[[], Report]] = [
        partial(regime_reliable_agent, trials=t),
        partial(regime_beyond_kappa_star, trials=t),
        partial(regime_low_recall, trials=t),
        partial(regime_biased_judge, trials=t),
        partial(regime_shortlist_iid, trials=t),
        partial(regime_majority_easy, trials=t),
    ]
    checks += [partial(check_chen_shape, case, trials=t) for case in CHEN_SHAPES]
    checks.append(partial(check_beta_binomial_limit, trials=t))
    return checks
