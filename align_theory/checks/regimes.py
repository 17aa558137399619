r"""Regimes where ALIGN does not win, and published voting phenomena, as checked reports.

``docs/statements.md`` lists the regimes where Align loses to a baseline; each function here
computes the difference two independent ways (a closed form by quadrature, and the model's
own numpy law (:func:`align_theory.models.sample`) with the selection applied literally,
independent of :mod:`align_theory.montecarlo`) and its report
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

The published voting phenomena are in :mod:`align_theory.checks.voting`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from align_theory.checks.selection import (
    align_vs_shortlist,
    bernoulli_params,
    pick,
    proposals,
    single_agent,
)
from align_theory.exact import expected_utility, group_select, kappa_star
from align_theory.models import BernoulliModel, GaussianModel
from align_theory.protocols import Align, MajorityVote, SingleAgent
from align_theory.results import Z_TOL, Estimate, Report, paired_difference

__all__ = [
    "EASY_ITEMS",
    "LOW_RECALL",
    "biased_judge_closed",
    "regime_beyond_kappa_star",
    "regime_biased_judge",
    "regime_low_recall",
    "regime_majority_easy",
    "regime_reliable_agent",
    "regime_shortlist_iid",
]


def _loss_report(
    name: str,
    claim: str,
    params: Mapping[str, object],
    closed: float,
    mc: Estimate,
    detail: str = "",
    extra: dict[str, float] | None = None,
    also: bool = True,
) -> Report:
    """A regime report: value A the closed difference (Align − baseline), value B its Monte
    Carlo estimate; holds iff the closed difference is < 0 and the Monte Carlo one is below
    −Z_TOL standard errors (and ``also``)."""
    mean, se = mc.mean, mc.stderr
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
) -> tuple[float, Estimate]:
    """Closed and numpy-MC E[x_Align(judge)] − E[x_SA(N)] in model G on common draws."""
    closed = expected_utility(model, Align(agents, per_agent, "judge")) - expected_utility(
        model, SingleAgent(agents * per_agent)
    )
    d = model.sample(np.random.default_rng(seed), agents, per_agent, trials)
    xs, _, xh = proposals(d)
    return closed, paired_difference(pick(xs, xh), single_agent(d))


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
    E[x_Align(judge)] − E[x_SA] < 0.

    Parameters
    ----------
    agents, per_agent : int
        M agents × K candidates each.
    kappa : float
        Judge noise κ > 0.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> regime_reliable_agent(2, 3, 0.5, trials=2000).passed
    True
    """
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
    E[x_Align(judge)] − E[x_SA] < 0.

    Parameters
    ----------
    agents, per_agent : int
        M agents × K candidates each.
    tau : float
        Agent noise τ > 0.
    factor : float
        κ = factor·κ*; the loss needs factor > 1.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> regime_beyond_kappa_star(2, 3, trials=2000).passed
    True
    """
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


def _bernoulli_align_sa_vote(
    model: BernoulliModel, agents: int, per_agent: int, trials: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-draw utilities of Align(judge), SingleAgent(N) and binary MajorityVote(N) (ties
    score ½) on common random numbers: candidates from ``model.sample``; each selector picks
    uniformly among the candidates its verifier accepts (key = verdict + a uniform
    tie-break in [0, ½), drawn after the candidates), uniformly among all if it accepts
    none."""
    if model.wrong_answers != 1:
        raise ValueError(
            f"the vote regime counts one wrong answer, got wrong_answers={model.wrong_answers}"
        )
    rng = np.random.default_rng(seed)
    draws = model.sample(rng, agents, per_agent, trials)
    correct = draws.correct
    akey = draws.y + 0.5 * rng.random(correct.shape)
    pkey = draws.xhat + 0.5 * rng.random(correct.shape)
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
    return bernoulli_params(model) | {"M": agents, "K": per_agent, "trials": trials}


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
    E[x_Align(judge)] − E[x_SA] < 0 (closed: T5's composed stage operator).

    Parameters
    ----------
    model : BernoulliModel
        The candidate law (model B).
    agents, per_agent : int
        M agents × K candidates each.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> regime_low_recall(trials=2000).passed
    True
    """
    closed = expected_utility(model, Align(agents, per_agent, "judge")) - expected_utility(
        model, SingleAgent(agents * per_agent)
    )
    align, sa, _ = _bernoulli_align_sa_vote(model, agents, per_agent, trials, seed)
    return _loss_report(
        "recall",
        "low-recall principal verifier (model B): Align(judge) < SA",
        _bparams(model, agents, per_agent, trials),
        closed,
        paired_difference(align, sa),
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
    composed stage operator and the beta-binomial sum).

    Parameters
    ----------
    model : BernoulliModel
        The candidate law (model B).
    agents, per_agent : int
        M agents × K candidates each.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> regime_majority_easy(trials=4000).passed
    True
    """
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
        paired_difference(align, vote),
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
    sign flips, T6.)

    Parameters
    ----------
    agents, per_agent : int
        M agents × K candidates each.
    tau : float
        Agent noise τ.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> regime_shortlist_iid(3, 3, trials=4000).passed
    True
    """
    model = GaussianModel(tau=tau)
    closed, mc = align_vs_shortlist(model, agents, per_agent, trials=trials, seed=seed)
    params = {"M": agents, "K": per_agent, "tau": tau, "rho": 0.0, "trials": trials}
    return _loss_report(
        "SL-iid", "iid Gaussian: Align(exact) < Shortlist(N, M)", params, closed, mc
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
    then gives E[x*] of the judge's choice among the M proposals.

    Parameters
    ----------
    agents, per_agent : int
        M agents × K candidates each.
    tau, kappa, beta : float
        Agent noise τ, judge noise κ and judge bias β.

    Returns
    -------
    float
        E[x_Align] − μ under the tournament proposals.

    Examples
    --------
    >>> from align_theory.exact import judge_gap
    >>> sa = expected_utility(GaussianModel(tau=0.7), SingleAgent(12))
    >>> bool(abs(biased_judge_closed(3, 4, 0.7, 0.9, 0.0) - judge_gap(3, 4, 0.7, 0.9) - sa) < 1e-8)
    True
    """
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
    form, the tournament one by closed form and Monte Carlo beyond Z_TOL errors).

    Parameters
    ----------
    agents, per_agent : int
        M agents × K candidates each.
    tau, kappa, beta : float
        Agent noise τ, judge noise κ and judge bias β.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> regime_biased_judge(trials=4000).passed
    True
    """
    model = GaussianModel(tau=tau, kappa=kappa, beta=beta)
    n = agents * per_agent
    sa_closed = expected_utility(model, SingleAgent(n))
    truthful = expected_utility(model, Align(agents, per_agent, "judge")) - sa_closed
    closed = model.mu + biased_judge_closed(agents, per_agent, tau, kappa, beta) - sa_closed
    d = model.sample(np.random.default_rng(seed), agents, per_agent, trials)
    xs, _, xh = proposals(d, select_on=d.y + beta * d.b)
    mc = paired_difference(pick(xs, xh), single_agent(d))
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
