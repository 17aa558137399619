r"""Statement T7 (incentives) as checked reports over the delegation game of
:mod:`align_theory.games`: the team equilibrium, tournament inflation and discounting, the
amplification of a biased judge by competition, and threshold delegation with independent and
with correlated candidates. What is computed and what is proved: ``docs/incentives.md``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from align_theory.exact import expected_utility
from align_theory.games import (
    TRUST_FACTORS,
    Rule,
    Scheme,
    StrategyGrid,
    ThresholdResult,
    best_trust,
    check_equilibrium,
    competing_agents,
    draw_game,
    judge_overestimate,
    kk_thresholds,
    mixture_emax,
    mixture_values,
    principal_utility,
    solve_symmetric,
    threshold_delegation,
)
from align_theory.models import GaussianModel
from align_theory.protocols import Align
from align_theory.results import Z_TOL, Report, estimate, paired_difference

__all__ = [
    "BIAS_MODEL",
    "JUDGE_GRID",
    "MIXTURE",
    "T7_MODEL",
    "check_t7_bias",
    "check_t7_team",
    "check_t7_threshold",
    "check_t7_tournament",
]

T7_MODEL = GaussianModel(kappa=1.0)
"""The T7 reference point: model G with ρ = 0, τ = 1, κ = 1 (β = 0)."""

BIAS_MODEL = GaussianModel(kappa=0.5, beta=1.0)
"""A biased judge: x̂ = x + b + 0.5ν, with agents seeing b."""

JUDGE_GRID = StrategyGrid(w_b=(0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0), w_t=(0.0,), shifts=(), scales=())
"""Grid for the judge rule (w_r = 0): reports carry no weight so only proposals matter."""

MIXTURE = {"n": 8, "eps": 0.05, "big": 100.0}
"""The scale-mixture counterexample: 8 candidates, common scale 100 with probability 0.05."""


def _gparams(model: GaussianModel) -> dict[str, float]:
    return {"rho": model.rho_within, "tau": model.tau, "kappa": model.kappa, "beta": model.beta}


def check_t7_team(
    model: GaussianModel = T7_MODEL,
    agents: int = 4,
    per_agent: int = 4,
    *,
    trials: int = 20_000,
    seed: int = 0,
    grid: StrategyGrid | None = None,
) -> Report:
    """T7 (1), team incentive: best-response iteration from truthful play under the Bayes
    rule stays at truthful proposal and report, no grid deviation gains beyond Monte Carlo
    error (fresh draws), and the principal's equilibrium utility (Monte Carlo, value B)
    equals T2's closed form for ``Align(M, K, 'bayes')`` (value A).

    Parameters
    ----------
    model : GaussianModel
        The candidate law (model G).
    agents, per_agent : int
        M agents × K candidates each.
    trials, seed : int
        Monte Carlo size and seed.
    grid : StrategyGrid, optional
        The agents' strategy set (default :class:`~align_theory.games.StrategyGrid`).

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> small = StrategyGrid(w_b=(0.0, 0.5), w_t=(0.0,), shifts=(1.0,), scales=(2.0,))
    >>> check_t7_team(agents=2, per_agent=2, trials=2000, grid=small).passed
    True
    """
    g = grid or StrategyGrid()
    rule = Rule.bayes(model)
    sol = solve_symmetric(
        draw_game(model, agents, per_agent, trials=trials, seed=seed), Scheme.team(), rule, g
    )
    d2 = draw_game(model, agents, per_agent, trials=trials, seed=seed + 1)
    eq = check_equilibrium(d2, sol.profile, Scheme.team(), rule, g, agents=[0])
    u = estimate(principal_utility(d2, sol.profile, rule))
    truthful = all(s.truthful for s in sol.profile)
    return Report(
        "T7",
        "team incentive: truthful proposal+report is an equilibrium and attains T2's Bayes value",
        {"M": agents, "K": per_agent, "trials": trials, "scheme": "team", **_gparams(model)},
        "closed Align(bayes)",
        expected_utility(model, Align(agents, per_agent, "bayes")),
        "MC equilibrium utility",
        u.mean,
        u.stderr,
        holds=sol.converged and truthful and eq.holds,
        detail=f"equilibrium {sol.profile[0]}; max deviation gain {eq.eps:.4g} "
        f"± {eq.stderrs[0]:.2g} ({eq.deviations[0]})",
        extra={"eps": eq.eps, "eps_stderr": eq.stderrs[0]},
    )


def check_t7_tournament(
    model: GaussianModel = T7_MODEL,
    agents: int = 4,
    per_agent: int = 4,
    *,
    trials: int = 20_000,
    seed: int = 0,
    grid: StrategyGrid | None = None,
) -> Report:
    """T7 (2), tournament incentive (paid 1 if selected) under the Bayes rule announced with
    trust factor f on reports. At f = 1 (the principal trusts reports) the agents'
    equilibrium proposes argmax y (w_b = w_t = 0: with β = 0 that is the candidate the
    principal ranks highest in expectation) but reports the grid's most inflating report
    function; the principal's best announced f is < 1 (it discounts reports), it gains over
    trusting by more than Z_TOL paired standard errors, and discounting a ×s inflation by 1/s
    restores T2's Bayes selection exactly: value A is the closed form of Align(M, K, 'bayes'),
    value B the discounting principal's equilibrium utility on fresh draws.

    Parameters
    ----------
    model : GaussianModel
        The candidate law (model G).
    agents, per_agent : int
        M agents × K candidates each.
    trials, seed : int
        Monte Carlo size and seed.
    grid : StrategyGrid, optional
        The agents' strategy set (default :class:`~align_theory.games.StrategyGrid`).

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> small = StrategyGrid(w_b=(0.0,), w_t=(0.0,), shifts=(), scales=(4.0,))
    >>> r = check_t7_tournament(agents=2, per_agent=2, trials=2000, grid=small)
    >>> r.passed, r.extra["best_factor"]
    (True, 0.25)
    """
    g = grid or StrategyGrid()
    base = Rule.bayes(model)
    tr = best_trust(
        draw_game(model, agents, per_agent, trials=trials, seed=seed), Scheme.tournament(), base, g
    )
    naive = tr.solutions[TRUST_FACTORS.index(1.0)]
    d2 = draw_game(model, agents, per_agent, trials=trials, seed=seed + 1)
    u_best = principal_utility(d2, tr.best_solution.profile, base.discounted(tr.best_factor))
    u_naive = principal_utility(d2, naive.profile, base)
    gain = paired_difference(u_best, u_naive)
    eq = check_equilibrium(d2, naive.profile, Scheme.tournament(), base, g, agents=[0])
    s0 = naive.profile[0]
    top = {(1.0, max(g.shifts, default=0.0)), (max(g.scales, default=1.0), 0.0)}
    inflated = (s0.scale, s0.shift) in top
    ok = (
        naive.converged
        and s0.w_b == 0.0
        and s0.w_t == 0.0
        and inflated
        and eq.holds
        and tr.best_factor < 1.0
        and gain.mean > Z_TOL * gain.stderr
    )
    best = estimate(u_best)
    return Report(
        "T7",
        "tournament: propose argmax y, reports inflate to the grid top; the principal discounts",
        {"M": agents, "K": per_agent, "trials": trials, "scheme": "tournament", **_gparams(model)},
        "closed Align(bayes)",
        expected_utility(model, Align(agents, per_agent, "bayes")),
        "MC discounting principal",
        best.mean,
        best.stderr,
        holds=ok,
        detail=f"trusting: agents play {s0}, eps {eq.eps:.3g}±{eq.stderrs[0]:.2g}; best trust "
        f"f={tr.best_factor:g} ({tr.best_solution.profile[0]}) gains {gain.mean:.4f}±"
        f"{gain.stderr:.4f} over trusting",
        extra={
            "best_factor": tr.best_factor,
            "naive_utility": float(u_naive.mean()),
            "gain_vs_naive": gain.mean,
            "gain_vs_naive_stderr": gain.stderr,
        },
    )


def check_t7_bias(
    model: GaussianModel = BIAS_MODEL,
    agent_counts: Sequence[int] = (2, 4, 8),
    per_agent: int = 4,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    """T7 (3), a biased judge (β > 0) that agents can play to, under the ``judge`` rule
    (select the largest x̂; reports ignored, so :data:`JUDGE_GRID` has proposals only).
    Under ``team`` the equilibrium is truthful; under ``tournament`` agents put weight
    w_b > 0 on b. For every M the tournament costs the principal a positive amount
    (E[x] at team − at tournament, paired, > Z_TOL stderr): competition turns the judge's
    bias from noise into something agents select on; and the judge's overestimate of the
    winner E[x̂ − x]_{a*} grows with M under the tournament (more agents, more selection on b).
    Value A: closed-form judge utility at the largest M; value B: the team equilibrium's
    Monte Carlo utility there.

    Parameters
    ----------
    model : GaussianModel
        The candidate law (model G).
    agent_counts : sequence of int
        The numbers of agents M compared (increasing).
    per_agent : int
        K.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> check_t7_bias(agent_counts=(2, 4), per_agent=2, trials=2000).passed
    True
    """
    rule = Rule(0.0, 1.0)
    losses, overs, ok = [], [], True
    detail = []
    last_team = estimate(np.zeros(2))
    for m in agent_counts:
        d = draw_game(model, m, per_agent, trials=trials, seed=seed + m)
        team = solve_symmetric(d, Scheme.team(), rule, JUDGE_GRID)
        tour = solve_symmetric(d, Scheme.tournament(), rule, JUDGE_GRID)
        d2 = draw_game(model, m, per_agent, trials=trials, seed=seed + 1000 + m)
        ut, uo = (
            principal_utility(d2, team.profile, rule),
            principal_utility(d2, tour.profile, rule),
        )
        loss = paired_difference(ut, uo)
        over = estimate(judge_overestimate(d2, tour.profile, rule))
        over_team = estimate(judge_overestimate(d2, team.profile, rule))
        losses.append(loss)
        overs.append(over)
        ok &= team.converged and tour.converged and all(s.truthful for s in team.profile)
        ok &= tour.profile[0].w_b > 0.0 and loss.mean > Z_TOL * loss.stderr
        ok &= over.mean - over_team.mean > Z_TOL * math.hypot(over.stderr, over_team.stderr)
        last_team = estimate(ut)
        detail.append(
            f"M={m}: w_b={tour.profile[0].w_b:g} loss {loss.mean:.3f}±{loss.stderr:.3f} "
            f"overestimate {over.mean:.3f} (team {over_team.mean:.3f})"
        )
    for a, b in itertools.pairwise(overs):
        ok &= b.mean - a.mean > Z_TOL * math.hypot(a.stderr, b.stderr)
    m_last = agent_counts[-1]
    return Report(
        "T7",
        "a biased judge is amplified by competition (agents select on b; more agents, more)",
        {"M": list(agent_counts), "K": per_agent, "trials": trials, **_gparams(model)},
        "closed Align(judge)",
        expected_utility(model, Align(m_last, per_agent, "judge")),
        "MC team equilibrium",
        last_team.mean,
        last_team.stderr,
        holds=bool(ok),
        detail="; ".join(detail),
        extra={f"loss_M{m}": lo.mean for m, lo in zip(agent_counts, losses, strict=True)}
        | {f"overestimate_M{m}": o.mean for m, o in zip(agent_counts, overs, strict=True)},
    )


def check_t7_threshold(
    correlated: bool,
    *,
    trials: int = 20_000,
    seed: int = 0,
    lam: float = 1.0,
) -> Report:
    """T7 (4), threshold delegation on the scale mixture :data:`MIXTURE` against the worst-case
    (value-minimizing) agent. Independent candidates: both K&K thresholds (median of max,
    E[max]/2) give ≥ ½E[max]. Correlated (common scale): both give well under ½ (ratio +
    Z_TOL·stderr < ½), and two competing agents with N/2 candidates each and anti-aligned
    taste λ reach a verified equilibrium worth ≥ ½E[max]. Value A: closed-form E[max v];
    value B: its Monte Carlo estimate on the same draws.

    Parameters
    ----------
    correlated : bool
        Common (True) or independent (False) scales.
    trials, seed : int
        Monte Carlo size and seed.
    lam : float
        The competing agents' taste weight λ.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> check_t7_threshold(False, trials=2000).passed
    True
    """
    mx = MIXTURE
    n, eps, big = int(mx["n"]), float(mx["eps"]), float(mx["big"])
    v = mixture_values(n, trials=trials, seed=seed, eps=eps, big=big, correlated=correlated)
    emax = mixture_emax(n, eps, big, correlated=correlated)
    res = [
        ThresholdResult(name, th, estimate(threshold_delegation(v, th)), emax)
        for name, th in kk_thresholds(n, eps, big, correlated=correlated).items()
    ]
    comp = competing_agents(v, lam=lam, emax=emax)
    if correlated:
        ok = all(r.ratio + Z_TOL * r.ratio_stderr < 0.5 for r in res)
        ok &= comp.converged and comp.is_equilibrium and comp.ratio >= 0.5
        claim = (
            "correlated candidates: K&K thresholds fall below 1/2; two competing agents restore it"
        )
    else:
        ok = all(r.ratio + Z_TOL * r.ratio_stderr >= 0.5 for r in res)
        claim = "independent candidates: K&K threshold delegation gets >= 1/2 E[max]"
    mxe = estimate(v.max(axis=1))
    detail = "; ".join(
        f"{r.rule} θ={r.theta:.3g}: ratio {r.ratio:.3f}±{r.ratio_stderr:.3f}" for r in res
    )
    detail += f"; two agents ranks {comp.ranks}: ratio {comp.ratio:.3f}"
    return Report(
        "T7",
        claim,
        {"n": n, "eps": eps, "H": big, "correlated": correlated, "lam": lam, "trials": trials},
        "closed E[max]",
        emax,
        "MC E[max]",
        mxe.mean,
        mxe.stderr,
        holds=bool(ok),
        detail=detail,
        extra={f"ratio_{r.rule}": r.ratio for r in res} | {"ratio_two_agents": comp.ratio},
    )
