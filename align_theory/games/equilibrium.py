r"""Equilibria of the delegation game (T7): best responses, best-response iteration, the
ε-equilibrium check on fresh draws, and the principal's best announced trust.

All of it is *computed* on finite strategy grids by Monte Carlo on common random numbers; a
strategy moves only when its paired gain exceeds :data:`SWITCH_Z` standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from align_theory.games.draws import GameDraws, draw_game
from align_theory.games.payoffs import deviation_payoffs, principal_utility
from align_theory.games.strategies import Rule, Scheme, Strategy, StrategyGrid
from align_theory.models import GaussianModel
from align_theory.results import Z_TOL, Estimate, estimate

__all__ = [
    "SWITCH_Z",
    "TRUST_FACTORS",
    "EquilibriumCheck",
    "Solution",
    "TrustResult",
    "best_response",
    "best_trust",
    "check_equilibrium",
    "equilibrium_utilities",
    "solve_asymmetric",
    "solve_symmetric",
]

SWITCH_Z = 3.0
"""Best-response iteration moves to a new strategy only when its paired gain exceeds
SWITCH_Z standard errors (otherwise Monte Carlo noise between payoff-equivalent strategies
would make the iteration wander)."""


def _paired(pay: np.ndarray, ref: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of every row minus row ``ref`` (paired over trials)."""
    diff = pay - pay[ref]
    n = pay.shape[1]
    return diff.mean(1), diff.std(1, ddof=1) / math.sqrt(n)


def best_response(
    d: GameDraws,
    profile: Sequence[Strategy],
    agent: int,
    scheme: Scheme,
    rule: Rule,
    grid: StrategyGrid,
    *,
    switch_z: float = SWITCH_Z,
) -> tuple[Strategy, Estimate]:
    """``agent``'s best grid strategy against ``profile`` by CRN Monte Carlo: the argmax of
    the mean payoff, kept at the current strategy unless the paired gain exceeds
    ``switch_z`` standard errors.

    Parameters
    ----------
    d, profile, agent, scheme, rule, grid
        As in :func:`~align_theory.games.payoffs.deviation_payoffs`.
    switch_z : float
        Minimum paired z of a gain that moves the agent.

    Returns
    -------
    (Strategy, Estimate)
        The best response and its paired gain over the current strategy.

    Examples
    --------
    >>> from align_theory.games import GaussianModel, Rule, Scheme, StrategyGrid, draw_game
    >>> model = GaussianModel(kappa=1.0)
    >>> d = draw_game(model, 2, 2, trials=2000, seed=0)
    >>> grid = StrategyGrid(w_b=(0.0,), w_t=(0.0,), shifts=(1.0,), scales=())
    >>> br, gain = best_response(d, (grid[0],) * 2, 0, Scheme.tournament(), Rule(1.0, 0.0), grid)
    >>> br.report_label, gain.mean > 0
    ('shift+1', True)
    """
    strategies = [grid[i] for i in range(len(grid))]
    cur = strategies.index(profile[agent]) if profile[agent] in strategies else 0
    pay = deviation_payoffs(d, profile, agent, scheme, rule, grid)
    gain, se = _paired(pay, cur)
    i = int(np.argmax(gain))
    if gain[i] <= switch_z * se[i]:
        i = cur
    return strategies[i], Estimate(float(gain[i]), float(se[i]), d.trials)


@dataclass(frozen=True)
class Solution:
    """Result of best-response iteration: the profile, whether it reached a fixed point,
    the number of rounds, and the principal's utility there (on the solving draws)."""

    profile: tuple[Strategy, ...]
    converged: bool
    rounds: int
    principal: Estimate


def solve_symmetric(
    d: GameDraws,
    scheme: Scheme,
    rule: Rule,
    grid: StrategyGrid | None = None,
    *,
    start: Strategy | None = None,
    max_rounds: int = 12,
) -> Solution:
    """Symmetric best-response iteration: all agents play σ; σ ← agent 0's best response to
    the others playing σ; stop at a fixed point (converged) or a revisited strategy /
    ``max_rounds`` (not converged).

    Parameters
    ----------
    d : GameDraws
        The solving draws.
    scheme : Scheme
        The incentive scheme.
    rule : Rule
        The principal's announced rule.
    grid : StrategyGrid, optional
        The strategy set (default :class:`StrategyGrid`).
    start : Strategy, optional
        The starting strategy (default truthful, the grid's index 0).
    max_rounds : int
        Iteration limit.

    Returns
    -------
    Solution
        The symmetric profile, convergence, rounds and the principal's utility there.

    Examples
    --------
    >>> from align_theory.games import GaussianModel, Rule, Scheme, StrategyGrid, draw_game
    >>> model = GaussianModel(kappa=1.0)
    >>> d = draw_game(model, 2, 2, trials=2000, seed=0)
    >>> grid = StrategyGrid(w_b=(0.0,), w_t=(0.0,), shifts=(1.0,), scales=())
    >>> sol = solve_symmetric(d, Scheme.team(), Rule.bayes(model), grid)
    >>> sol.converged, sol.profile[0].truthful
    (True, True)
    """
    g = grid or StrategyGrid()
    s = start or g[0]
    seen = {s}
    for rounds in range(1, max_rounds + 1):
        prof = (s,) * d.agents
        br, _ = best_response(d, prof, 0, scheme, rule, g)
        if br == s:
            return Solution(prof, True, rounds, estimate(principal_utility(d, prof, rule)))
        if br in seen:
            break
        seen.add(br)
        s = br
    prof = (s,) * d.agents
    return Solution(prof, False, rounds, estimate(principal_utility(d, prof, rule)))


def solve_asymmetric(
    d: GameDraws,
    scheme: Scheme,
    rule: Rule,
    grid: StrategyGrid | None = None,
    *,
    start: Sequence[Strategy] | None = None,
    max_rounds: int = 8,
) -> Solution:
    """Round-robin best-response iteration over agents 0..M−1 (each best-responds to the
    current profile in turn); converged when a full round changes nothing.

    Parameters
    ----------
    d, scheme, rule, grid, max_rounds
        As in :func:`solve_symmetric`.
    start : sequence of Strategy, optional
        The starting profile (default everybody truthful).

    Returns
    -------
    Solution
        The profile reached.

    Examples
    --------
    >>> from align_theory.games import GaussianModel, Rule, Scheme, StrategyGrid, draw_game
    >>> model = GaussianModel(kappa=1.0)
    >>> d = draw_game(model, 2, 2, trials=2000, seed=0)
    >>> grid = StrategyGrid(w_b=(0.0,), w_t=(0.0,), shifts=(1.0,), scales=())
    >>> sol = solve_asymmetric(d, Scheme.tournament(), Rule(1.0, 0.0), grid)
    >>> sol.converged, [s.report_label for s in sol.profile]
    (True, ['shift+1', 'shift+1'])
    """
    g = grid or StrategyGrid()
    prof = list(start or (g[0],) * d.agents)
    for rounds in range(1, max_rounds + 1):
        changed = False
        for a in range(d.agents):
            br, _ = best_response(d, prof, a, scheme, rule, g)
            if br != prof[a]:
                prof[a], changed = br, True
        if not changed:
            p = tuple(prof)
            return Solution(p, True, rounds, estimate(principal_utility(d, p, rule)))
    p = tuple(prof)
    return Solution(p, False, max_rounds, estimate(principal_utility(d, p, rule)))


@dataclass(frozen=True)
class EquilibriumCheck:
    """ε-equilibrium check on fresh draws: for each agent the largest mean gain of a
    unilateral deviation to another grid strategy (``gains``) and its paired standard
    error (``stderrs``); ``eps`` = max gain; ``holds`` iff every gain is ≤ ``z``·its
    standard error (no deviation gains beyond Monte Carlo error): an ε-equilibrium with ε
    at Monte Carlo level."""

    gains: tuple[float, ...]
    stderrs: tuple[float, ...]
    deviations: tuple[Strategy, ...]
    z: float

    @property
    def eps(self) -> float:
        """Largest unilateral gain over agents and grid strategies."""
        return max(self.gains)

    @property
    def holds(self) -> bool:
        """No gain exceeds z standard errors."""
        return all(g <= self.z * s for g, s in zip(self.gains, self.stderrs, strict=True))


def check_equilibrium(
    d: GameDraws,
    profile: Sequence[Strategy],
    scheme: Scheme,
    rule: Rule,
    grid: StrategyGrid | None = None,
    *,
    z: float = Z_TOL,
    agents: Sequence[int] | None = None,
) -> EquilibriumCheck:
    """Max unilateral gain of each agent (all of them, or ``agents``) over the grid. Use
    draws independent of those that found the profile, so the max is not biased upward by
    the search itself (it is still the max of len(grid) noisy gains, hence ``z`` = Z_TOL).

    Parameters
    ----------
    d, profile, scheme, rule, grid
        As in :func:`~align_theory.games.payoffs.deviation_payoffs`.
    z : float
        A gain counts when it exceeds z paired standard errors.
    agents : sequence of int, optional
        The agents checked (default all).

    Returns
    -------
    EquilibriumCheck
        Per agent: the largest gain, its standard error and the deviation that attains it.

    Examples
    --------
    >>> from align_theory.games import GaussianModel, Rule, Scheme, StrategyGrid, draw_game
    >>> model = GaussianModel(kappa=1.0)
    >>> d = draw_game(model, 2, 2, trials=2000, seed=0)
    >>> grid = StrategyGrid(w_b=(0.0,), w_t=(0.0,), shifts=(1.0,), scales=())
    >>> eq = check_equilibrium(d, (grid[0],) * 2, Scheme.team(), Rule.bayes(model), grid)
    >>> eq.holds
    True
    """
    g = grid or StrategyGrid()
    strategies = [g[i] for i in range(len(g))]
    gains, ses, devs = [], [], []
    for a in agents if agents is not None else range(d.agents):
        cur = strategies.index(profile[a])
        gain, se = _paired(deviation_payoffs(d, profile, a, scheme, rule, g), cur)
        gain[cur] = -np.inf  # deviations only
        i = int(np.argmax(gain))
        gains.append(float(gain[i]))
        ses.append(float(se[i]))
        devs.append(strategies[i])
    return EquilibriumCheck(tuple(gains), tuple(ses), tuple(devs), z)


@dataclass(frozen=True)
class TrustResult:
    """The principal's best announced trust: for each trust factor f (rule = Bayes with
    w_r·f), the agents' symmetric equilibrium and the principal's utility there."""

    factors: tuple[float, ...]
    solutions: tuple[Solution, ...]
    best: int

    @property
    def best_factor(self) -> float:
        """The trust factor that maximizes the principal's equilibrium utility."""
        return self.factors[self.best]

    @property
    def best_solution(self) -> Solution:
        """The equilibrium under the best announced trust."""
        return self.solutions[self.best]


TRUST_FACTORS = (0.0, 0.125, 0.25, 0.5, 1.0, 2.0)
"""Trust factors f on the Bayes report weight w_r that the principal may announce."""


def best_trust(
    d: GameDraws,
    scheme: Scheme,
    base: Rule,
    grid: StrategyGrid | None = None,
    factors: Sequence[float] = TRUST_FACTORS,
) -> TrustResult:
    """The principal's Stackelberg choice on a grid: for each announced trust factor f,
    solve the agents' symmetric equilibrium under ``base.discounted(f)`` and keep the f that
    maximizes the principal's mean utility (same draws for every f: CRN).

    Parameters
    ----------
    d, scheme, grid
        As in :func:`solve_symmetric`.
    base : Rule
        The rule whose report weight w_r is multiplied by each factor.
    factors : sequence of float
        Trust factors f announced.

    Returns
    -------
    TrustResult
        Each factor's equilibrium and the index of the best one.

    Examples
    --------
    >>> from align_theory.games import GaussianModel, Rule, Scheme, StrategyGrid, draw_game
    >>> model = GaussianModel(kappa=1.0)
    >>> d = draw_game(model, 2, 2, trials=2000, seed=0)
    >>> grid = StrategyGrid(w_b=(0.0,), w_t=(0.0,), shifts=(1.0,), scales=())
    >>> scale4 = StrategyGrid(w_b=(0.0,), w_t=(0.0,), shifts=(), scales=(4.0,))
    >>> tr = best_trust(d, Scheme.tournament(), Rule.bayes(model), scale4, factors=(0.25, 1.0))
    >>> tr.best_factor, tr.best_solution.profile[0].report_label  # 1/4 undoes the ×4
    (0.25, 'scale×4')
    """
    sols = tuple(solve_symmetric(d, scheme, base.discounted(f), grid) for f in factors)
    best = int(np.argmax([s.principal.mean for s in sols]))
    return TrustResult(tuple(factors), sols, best)


def equilibrium_utilities(
    model: GaussianModel,
    agents: int,
    per_agent: int,
    *,
    trials: int,
    seed: int,
    lams: Sequence[float] = (0.5, 2.0),
) -> dict[str, Estimate]:
    """The principal's utility E[x_{a*}] at equilibrium under each incentive scheme: team,
    tournament, tournament_correct, misaligned(λ) for λ in ``lams``. The principal announces
    its best trust factor on the Bayes report weight (:func:`best_trust`) against the agents'
    symmetric best-response equilibrium on the default grid; all schemes share one set of
    draws (CRN). Keys ``<scheme>/naive`` give the utility when the principal instead keeps
    full Bayes trust (f = 1) whatever agents do.

    Parameters
    ----------
    model : GaussianModel
        The candidate law.
    agents, per_agent, trials, seed : int
        M, K, questions and the seed of the shared draws.
    lams : sequence of float
        The λ of the ``misaligned`` schemes.

    Returns
    -------
    dict of str to Estimate
        The principal's utility per scheme name (and ``<name>/naive``).

    Examples
    --------
    >>> u = equilibrium_utilities(GaussianModel(kappa=1.0), 2, 2, trials=500, seed=0, lams=())
    >>> sorted(u)[:2]
    ['team', 'team/naive']
    """
    d = draw_game(model, agents, per_agent, trials=trials, seed=seed)
    base = Rule.bayes(model)
    out: dict[str, Estimate] = {}
    schemes = [Scheme.team(), Scheme.tournament(), Scheme.tournament_correct()]
    schemes += [Scheme.misaligned(lam) for lam in lams]
    for sc in schemes:
        tr = best_trust(d, sc, base)
        out[sc.name] = tr.best_solution.principal
        out[sc.name + "/naive"] = tr.solutions[TRUST_FACTORS.index(1.0)].principal
    return out
