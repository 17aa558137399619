r"""The delegation game of docs/design.md T7: incentive schemes, best responses, equilibria.

Everything here is *computed* on finite strategy grids by Monte Carlo on common random
numbers (CRN); what is *proved* (and where) is listed in ``docs/incentives.md``.

The game in model G (one question)
----------------------------------
Candidates (x, y, x̂, b) are drawn from :class:`~align_theory.models.GaussianModel` exactly as
in docs/design.md section 1, plus a private *taste* t_{a,k} ~ N(0, 1) iid (used only by the
``misaligned`` scheme). Agent a sees y_{a,k}, b_{a,k} and t_{a,k} of its own K candidates.

* **Agent strategy** σ_a = (w_b, w_t, s, δ) from a finite grid (:class:`StrategyGrid`):
  propose k*_a = argmax_k y_{a,k} + w_b b_{a,k} + w_t t_{a,k} (w_b: weight on the feature the
  judge rewards, w_t: weight on the agent's own taste), and report
  r_a = μ + s(y_{a,k*} − μ) + δ (truthful: s = 1, δ = 0; "shift": s = 1, δ > 0; "scale": δ = 0).
* **Principal rule** (announced; :class:`Rule`): select a* = argmax_a w_r(r_a − c_a) + w_x x̂_a,
  where c_a is agent a's known score offset. w_r is the *trust* put on reports; with
  (w_r, w_x) = :func:`~align_theory.montecarlo.bayes_weights` and truthful reports this is
  the Bayes rule of T2, and with w_r = 0 it is the ``judge`` rule.
* **Incentive schemes** (:class:`Scheme`): agent a is paid, with a* the selected agent,
  ``team``: x_{a*} (the principal's realized utility); ``tournament``: 1{a* = a};
  ``tournament_correct``: 1{a* = a}·1{x_{a*} > μ + c·σ} ("correct" = quality above a bar;
  c = ``correct_sd`` = 1 by default); ``misaligned(λ)``: 1{a* = a}(1 + λ t_{a*}).
  The principal's utility is always x_{a*}.

Solvers: :func:`deviation_payoffs` (every grid strategy of one agent against fixed others, on
the same draws), :func:`best_response`, :func:`solve_symmetric`, :func:`solve_asymmetric`
(best-response iteration), :func:`check_equilibrium` (max unilateral gain on the grid, on
fresh draws, against the paired-difference standard error), :func:`best_trust` (the
principal's best announced trust weight against the agents' equilibrium response).

Threshold delegation (Kleinberg & Kleinberg 2018)
-------------------------------------------------
Nonnegative values v_1..v_N; the principal announces "eligible iff v ≥ θ" and gets the
value of the proposal (0 if none is eligible). The agent proposes its own-taste favourite
among eligible candidates; the worst case, used here, is an agent whose taste is −v (it
proposes the *least* valuable eligible candidate). With independent candidates
θ = median(max v) or θ = E[max v]/2 guarantees ≥ ½E[max v] (prophet-inequality argument).
The correlated counterexample is a *scale mixture*: v_i = S·E_i, E_i iid Exp(1), with one
common scale S = H with probability ε and S = 1 otherwise (:func:`mixture_values`).
Competition (:func:`competing_agents`): two agents with N/2 candidates each propose one;
the principal takes the more valuable proposal; each agent is paid 1{selected}(1 + λ·u),
u ∈ [0, 1] its anti-aligned taste (the rank from the bottom of the proposal's value).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np

from align_theory._validate import positive_int
from align_theory.exact import expected_utility
from align_theory.models import GaussianModel, bayes_weights
from align_theory.protocols import Align
from align_theory.results import Z_TOL, Estimate, Report

__all__ = [
    "CompetitionResult",
    "EquilibriumCheck",
    "GameDraws",
    "Rule",
    "Scheme",
    "Solution",
    "Strategy",
    "StrategyGrid",
    "ThresholdResult",
    "TrustResult",
    "best_response",
    "best_trust",
    "check_equilibrium",
    "competing_agents",
    "deviation_payoffs",
    "draw_game",
    "equilibrium_utilities",
    "incentive_checks",
    "mixture_emax",
    "mixture_values",
    "principal_utility",
    "solve_asymmetric",
    "solve_symmetric",
    "threshold_delegation",
]

SWITCH_Z = 3.0
"""Best-response iteration moves to a new strategy only when its paired gain exceeds
SWITCH_Z standard errors (otherwise Monte Carlo noise between payoff-equivalent strategies
would make the iteration wander)."""


# ---------------------------------------------------------------------------- strategies


@dataclass(frozen=True)
class Strategy:
    """One agent strategy: proposal weights (w_b, w_t) and report function r = μ+s(y−μ)+δ."""

    w_b: float = 0.0
    w_t: float = 0.0
    scale: float = 1.0
    shift: float = 0.0

    @property
    def truthful(self) -> bool:
        """Proposes argmax y and reports y."""
        return self.w_b == 0.0 and self.w_t == 0.0 and self.scale == 1.0 and self.shift == 0.0

    @property
    def report_label(self) -> str:
        """``truthful``, ``shift+δ``, ``scale×s`` or ``s·y+δ``."""
        if self.scale == 1.0 and self.shift == 0.0:
            return "truthful"
        if self.scale == 1.0:
            return f"shift+{self.shift:g}"
        if self.shift == 0.0:
            return f"scale×{self.scale:g}"
        return f"{self.scale:g}·y+{self.shift:g}"

    def __str__(self) -> str:
        return f"(w_b={self.w_b:g}, w_t={self.w_t:g}, {self.report_label})"


@dataclass(frozen=True)
class StrategyGrid:
    """The finite strategy set of an agent: every (w_b, w_t) pair × every report function.

    Defaults: w_b ∈ {0, ¼, ½, 1, 2}, w_t ∈ {0, ½, 1, 2}, reports truthful, shift δ ∈
    {½, 1, 2}, scale s ∈ {½, 2, 4}: 5·4·7 = 140 strategies. Index 0 is the truthful
    strategy, so ties (payoff-equivalent strategies) resolve to truthful behaviour.
    """

    w_b: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 2.0)
    w_t: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0)
    shifts: tuple[float, ...] = (0.5, 1.0, 2.0)
    scales: tuple[float, ...] = (0.5, 2.0, 4.0)

    def __post_init__(self) -> None:
        if not self.w_b or self.w_b[0] != 0.0 or not self.w_t or self.w_t[0] != 0.0:
            raise ValueError("w_b and w_t must be non-empty and start with 0.0 (truthful)")

    @property
    def reports(self) -> tuple[tuple[float, float], ...]:
        """(scale, shift) pairs: truthful first, then shifts, then scales."""
        return ((1.0, 0.0), *((1.0, d) for d in self.shifts), *((s, 0.0) for s in self.scales))

    @property
    def proposals(self) -> tuple[tuple[float, float], ...]:
        """(w_b, w_t) pairs, (0, 0) first."""
        return tuple((wb, wt) for wb in self.w_b for wt in self.w_t)

    def __len__(self) -> int:
        return len(self.proposals) * len(self.reports)

    def __getitem__(self, i: int) -> Strategy:
        nr = len(self.reports)
        wb, wt = self.proposals[i // nr]
        s, d = self.reports[i % nr]
        return Strategy(wb, wt, s, d)

    @property
    def top_report(self) -> float:
        """Largest report inflation on the grid: max(max shift, max scale − 1)·1 (in y units
        at y − μ = 1), used to say that reports went 'to the grid's top'."""
        return max(max(self.shifts, default=0.0), max(self.scales, default=1.0) - 1.0)


@dataclass(frozen=True)
class Scheme:
    """An incentive scheme (see the module docstring for each payment)."""

    kind: Literal["team", "tournament", "tournament_correct", "misaligned"]
    lam: float = 0.0
    correct_sd: float = 1.0

    @property
    def name(self) -> str:
        """``team``, ``tournament``, ``tournament_correct`` or ``misaligned(λ)``."""
        return f"misaligned({self.lam:g})" if self.kind == "misaligned" else self.kind

    @staticmethod
    def team() -> Scheme:
        """Every agent is paid the principal's realized utility x_{a*}."""
        return Scheme("team")

    @staticmethod
    def tournament() -> Scheme:
        """Paid 1 if selected."""
        return Scheme("tournament")

    @staticmethod
    def tournament_correct(correct_sd: float = 1.0) -> Scheme:
        """Paid 1 if selected and x > μ + correct_sd·σ."""
        return Scheme("tournament_correct", correct_sd=correct_sd)

    @staticmethod
    def misaligned(lam: float) -> Scheme:
        """Paid 1{selected}(1 + λ·t) with t the agent's private taste of its proposal."""
        return Scheme("misaligned", lam=lam)


@dataclass(frozen=True)
class Rule:
    """The principal's announced selection rule argmax_a w_r(r_a − c_a) + w_x x̂_a."""

    w_r: float
    w_x: float

    @staticmethod
    def bayes(model: GaussianModel) -> Rule:
        """T2's Bayes weights (exact posterior mean ranking under truthful reports)."""
        wy, wx = bayes_weights(model)
        return Rule(wy, wx)

    def discounted(self, factor: float) -> Rule:
        """The same rule with trust w_r multiplied by ``factor``."""
        return Rule(self.w_r * factor, self.w_x)


# ----------------------------------------------------------------------------- draws


@dataclass(frozen=True)
class GameDraws:
    """CRN draws of one game: arrays of shape (trials, M, K) and the offsets c (M,)."""

    model: GaussianModel
    x: np.ndarray
    y: np.ndarray
    xh: np.ndarray
    b: np.ndarray
    t: np.ndarray
    c: np.ndarray

    @property
    def trials(self) -> int:
        """Number of trials (questions)."""
        return int(self.x.shape[0])

    @property
    def agents(self) -> int:
        """Number of agents M."""
        return int(self.x.shape[1])


def draw_game(
    model: GaussianModel, agents: int, per_agent: int, *, trials: int, seed: int
) -> GameDraws:
    """Draw (x, y, x̂, b, t) for ``trials`` questions of model G (docs/design.md section 1), with
    a private taste t iid N(0, 1); numpy PCG64 stream from ``seed``."""
    m, k, n = positive_int("agents", agents), positive_int("per_agent", per_agent), trials
    positive_int("trials", n)
    rng = np.random.default_rng(seed)
    mo = model
    z0 = rng.standard_normal((n, 1, 1))
    aa = rng.standard_normal((n, m, 1))
    z = rng.standard_normal((n, m, k))
    x = mo.mu + mo.sigma * (
        math.sqrt(mo.rho_between) * z0
        + math.sqrt(mo.rho_within - mo.rho_between) * aa
        + math.sqrt(1.0 - mo.rho_within) * z
    )
    c = mo.offsets(m)
    y = x + c[None, :, None] + mo.tau * rng.standard_normal((n, m, k))
    b = rng.standard_normal((n, m, k))
    xh = x + mo.beta * b + mo.kappa * rng.standard_normal((n, m, k))
    t = rng.standard_normal((n, m, k))
    return GameDraws(model, x, y, xh, b, t, c)


# ------------------------------------------------------------------------------ payoffs


def _propose(d: GameDraws, a: int, props: np.ndarray) -> tuple[np.ndarray, ...]:
    """Agent a's proposal under each (w_b, w_t) row of ``props`` (P, 2): arrays (P, T) of
    the proposed candidate's x, y, x̂, t."""
    score = (
        d.y[None, :, a, :]
        + props[:, 0, None, None] * d.b[None, :, a, :]
        + props[:, 1, None, None] * d.t[None, :, a, :]
    )
    k = np.argmax(score, axis=2)[..., None]

    def g(arr: np.ndarray) -> np.ndarray:
        return np.take_along_axis(np.broadcast_to(arr[None, :, a, :], score.shape), k, 2)[..., 0]

    return g(d.x), g(d.y), g(d.xh), g(d.t)


def _score(
    d: GameDraws, a: int, y: np.ndarray, xh: np.ndarray, s: float, sh: float, rule: Rule
) -> np.ndarray:
    """The principal's ranking score of agent a's proposal with report μ + s(y − μ) + δ."""
    mu = d.model.mu
    return rule.w_r * (mu + s * (y - mu) + sh - d.c[a]) + rule.w_x * xh


def _profile_outcome(
    d: GameDraws, profile: Sequence[Strategy], rule: Rule
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For a full profile: (score, x, x̂) of every agent's proposal, arrays (T, M), and the
    selected agent a* (T,)."""
    cols = []
    for a, st in enumerate(profile):
        px, py, pxh, _ = _propose(d, a, np.array([[st.w_b, st.w_t]]))
        cols.append((_score(d, a, py[0], pxh[0], st.scale, st.shift, rule), px[0], pxh[0]))
    score = np.stack([c[0] for c in cols], 1)
    x = np.stack([c[1] for c in cols], 1)
    xh = np.stack([c[2] for c in cols], 1)
    return score, x, xh, np.argmax(score, axis=1)


def principal_utility(d: GameDraws, profile: Sequence[Strategy], rule: Rule) -> np.ndarray:
    """Per-trial principal utility x_{a*} (T,) of a profile under a rule."""
    _, x, _, sel = _profile_outcome(d, profile, rule)
    return np.take_along_axis(x, sel[:, None], 1)[:, 0]


def judge_overestimate(d: GameDraws, profile: Sequence[Strategy], rule: Rule) -> np.ndarray:
    """Per-trial x̂_{a*} − x_{a*} = βb_{a*} + κν_{a*}: how much the judge overrates the
    selected proposal (its mean measures selection on the bias feature b)."""
    _, x, xh, sel = _profile_outcome(d, profile, rule)
    return np.take_along_axis(xh - x, sel[:, None], 1)[:, 0]


def _pay(
    scheme: Scheme, d: GameDraws, win: np.ndarray, x_sel: np.ndarray, t_own: np.ndarray
) -> np.ndarray:
    if scheme.kind == "team":
        return x_sel
    if scheme.kind == "tournament":
        return win.astype(float)
    if scheme.kind == "tournament_correct":
        bar = d.model.mu + scheme.correct_sd * d.model.sigma
        return (win & (x_sel > bar)).astype(float)
    return win * (1.0 + scheme.lam * t_own)


def deviation_payoffs(
    d: GameDraws,
    profile: Sequence[Strategy],
    agent: int,
    scheme: Scheme,
    rule: Rule,
    grid: StrategyGrid,
) -> np.ndarray:
    """Per-trial payoff of ``agent`` for every grid strategy (array (len(grid), T)) while the
    others play ``profile``; all rows use the same draws (CRN), so row differences are
    paired. Agent a wins iff its score exceeds every other proposal's score (ties have
    probability 0)."""
    others = [j for j in range(d.agents) if j != agent]
    if others:
        score, x, _, _ = _profile_outcome(d, profile, rule)
        so, xo = score[:, others], x[:, others]
        j = np.argmax(so, axis=1)[:, None]
        best_s = np.take_along_axis(so, j, 1)[:, 0]
        best_x = np.take_along_axis(xo, j, 1)[:, 0]
    else:
        best_s = np.full(d.trials, -np.inf)
        best_x = np.zeros(d.trials)
    props = np.array(grid.proposals)
    px, py, pxh, pt = _propose(d, agent, props)
    rows = []
    for p in range(len(props)):
        for s, sh in grid.reports:
            win = _score(d, agent, py[p], pxh[p], s, sh, rule) > best_s
            x_sel = np.where(win, px[p], best_x)
            rows.append(_pay(scheme, d, win, x_sel, pt[p]))
    return np.stack(rows)


def _paired(pay: np.ndarray, ref: int) -> tuple[np.ndarray, np.ndarray]:
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
    ``switch_z`` standard errors. Returns the strategy and its gain over the current one."""
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


def _estimate(v: np.ndarray) -> Estimate:
    return Estimate(float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)), int(v.size))


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
    ``max_rounds`` (not converged)."""
    g = grid or StrategyGrid()
    s = start or g[0]
    seen = {s}
    for rounds in range(1, max_rounds + 1):
        prof = (s,) * d.agents
        br, _ = best_response(d, prof, 0, scheme, rule, g)
        if br == s:
            return Solution(prof, True, rounds, _estimate(principal_utility(d, prof, rule)))
        if br in seen:
            break
        seen.add(br)
        s = br
    prof = (s,) * d.agents
    return Solution(prof, False, rounds, _estimate(principal_utility(d, prof, rule)))


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
    current profile in turn); converged when a full round changes nothing."""
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
            return Solution(p, True, rounds, _estimate(principal_utility(d, p, rule)))
    p = tuple(prof)
    return Solution(p, False, max_rounds, _estimate(principal_utility(d, p, rule)))


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
    the search itself (it is still the max of len(grid) noisy gains, hence ``z`` = Z_TOL)."""
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
    maximizes the principal's mean utility (same draws for every f: CRN)."""
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
    full Bayes trust (f = 1) whatever agents do."""
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


# ------------------------------------------------------------ threshold delegation (K&K)


def mixture_values(
    n: int, *, trials: int, seed: int, eps: float, big: float, correlated: bool
) -> np.ndarray:
    """Nonnegative candidate values (trials, n): v_i = S_i·E_i, E_i iid Exp(1), S = ``big``
    with probability ``eps`` else 1. ``correlated``: one scale S shared by the n candidates
    (a scale mixture of iid laws: exchangeable, positively correlated); otherwise S_i iid per
    candidate (the same marginal law, independent candidates). With the same seed both
    variants share E and the uniforms deciding the scales (common random numbers)."""
    positive_int("n", n)
    rng = np.random.default_rng(seed)
    e = rng.exponential(size=(trials, n))
    u = rng.random((trials, n))
    s = np.where((u[:, :1] if correlated else u) < eps, big, 1.0)
    return e * s


def mixture_emax(n: int, eps: float, big: float, *, correlated: bool) -> float:
    r"""Closed-form E[max_i v_i] for :func:`mixture_values`.

    Correlated: E[max] = (1 − ε + εH)·h_n with h_n = Σ_{j≤n} 1/j (E[max of n Exp(1)]).
    Independent: E[max] = ∫₀^∞ 1 − (1 − G(v))ⁿ dv with G(v) = (1−ε)e^{−v} + εe^{−v/H};
    expanding both powers binomially, = Σ_{j=1}^n (−1)^{j+1} C(n,j) Σ_{i=0}^j C(j,i)
    (1−ε)^i ε^{j−i} / (i + (j−i)/H)."""
    if correlated:
        return (1.0 - eps + eps * big) * sum(1.0 / j for j in range(1, n + 1))
    total = 0.0
    for j in range(1, n + 1):
        inner = sum(
            math.comb(j, i) * (1 - eps) ** i * eps ** (j - i) / (i + (j - i) / big)
            for i in range(j + 1)
        )
        total += (-1) ** (j + 1) * math.comb(n, j) * inner
    return total


def mixture_median_max(n: int, eps: float, big: float, *, correlated: bool) -> float:
    """The median m of max_i v_i: P(max ≤ m) = ½, by bisection on the closed-form CDF
    (correlated: (1−ε)(1−e^{−m})ⁿ + ε(1−e^{−m/H})ⁿ; independent: (1 − G(m))ⁿ)."""

    def cdf(m: float) -> float:
        if correlated:
            return (1 - eps) * (1 - math.exp(-m)) ** n + eps * (1 - math.exp(-m / big)) ** n
        return (1 - (1 - eps) * math.exp(-m) - eps * math.exp(-m / big)) ** n

    lo, hi = 0.0, 1.0
    while cdf(hi) < 0.5:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cdf(mid) < 0.5 else (lo, mid)
    return 0.5 * (lo + hi)


def threshold_delegation(values: np.ndarray, theta: float) -> np.ndarray:
    """Per-trial principal payoff of single-agent threshold delegation against the worst-case
    agent: the least valuable eligible candidate (v ≥ θ), 0 when none is eligible."""
    elig = np.where(values >= theta, values, np.inf)
    low = elig.min(axis=1)
    return np.where(np.isfinite(low), low, 0.0)


@dataclass(frozen=True)
class ThresholdResult:
    """Single-agent threshold delegation: threshold θ (``rule``: ``median`` or ``half_mean``),
    the principal's payoff, closed-form E[max v] and the ratio payoff/E[max]."""

    rule: str
    theta: float
    payoff: Estimate
    emax: float

    @property
    def ratio(self) -> float:
        """payoff / E[max v]."""
        return self.payoff.mean / self.emax

    @property
    def ratio_stderr(self) -> float:
        """Standard error of the ratio (E[max] is exact)."""
        return self.payoff.stderr / self.emax


def kk_thresholds(n: int, eps: float, big: float, *, correlated: bool) -> dict[str, float]:
    """The two Kleinberg–Kleinberg thresholds from the prior: ``median`` (of max v) and
    ``half_mean`` (E[max v]/2)."""
    return {
        "median": mixture_median_max(n, eps, big, correlated=correlated),
        "half_mean": 0.5 * mixture_emax(n, eps, big, correlated=correlated),
    }


def kk_delegation(
    n: int, *, trials: int, seed: int, eps: float, big: float, correlated: bool
) -> list[ThresholdResult]:
    """Single-agent threshold delegation with both K&K thresholds on :func:`mixture_values`."""
    v = mixture_values(n, trials=trials, seed=seed, eps=eps, big=big, correlated=correlated)
    emax = mixture_emax(n, eps, big, correlated=correlated)
    return [
        ThresholdResult(name, th, _estimate(threshold_delegation(v, th)), emax)
        for name, th in kk_thresholds(n, eps, big, correlated=correlated).items()
    ]


def best_threshold(values: np.ndarray, thetas: Sequence[float]) -> tuple[float, Estimate]:
    """The principal's best announced threshold on a grid (against the worst-case agent)."""
    ests = [_estimate(threshold_delegation(values, th)) for th in thetas]
    i = int(np.argmax([e.mean for e in ests]))
    return float(thetas[i]), ests[i]


@dataclass(frozen=True)
class CompetitionResult:
    """Two competing agents with anti-aligned tastes: the equilibrium ranks (j_0, j_1)
    (1 = propose own most valuable candidate), convergence, the ε-check (max unilateral gain
    and its paired stderr), the principal's payoff and the ratio to E[max v] of all n."""

    ranks: tuple[int, int]
    converged: bool
    gain: float
    gain_stderr: float
    payoff: Estimate
    emax: float

    @property
    def ratio(self) -> float:
        """payoff / E[max over all candidates]."""
        return self.payoff.mean / self.emax

    @property
    def is_equilibrium(self) -> bool:
        """No unilateral rank deviation gains beyond Z_TOL paired standard errors."""
        return self.gain <= Z_TOL * self.gain_stderr


def competing_agents(
    values: np.ndarray, *, lam: float = 1.0, emax: float, symmetric: bool = False
) -> CompetitionResult:
    r"""Two agents split the n candidates of each trial (columns :n/2 and n/2:); agent a
    proposes its j_a-th most valuable candidate; the principal selects the more valuable
    proposal (exact evaluation, no threshold). Agent a is paid 1{selected}(1 + λu) with
    u = (j_a − 1)/(K − 1) ∈ [0, 1]: its taste prefers *less* valuable candidates.

    Payoffs of every rank pair are computed on the same draws; best-response iteration
    starts from the taste-optimal profile (K, K) (symmetric: both move together), and the
    ε-check takes the max unilateral gain over both agents' ranks."""
    t, n = values.shape
    k = n // 2
    if k < 2 or 2 * k != n:
        raise ValueError(f"competing_agents needs an even n >= 4, got {n}")
    srt = -np.sort(-values.reshape(t, 2, k), axis=2)  # descending per agent
    u = np.arange(k) / (k - 1)
    # pay[a][j0, j1, trial]
    win0 = srt[:, 0, :, None] > srt[:, 1, None, :]  # (T, K, K)
    pay0 = np.moveaxis(win0 * (1 + lam * u[None, :, None]), 0, 2)
    pay1 = np.moveaxis(~win0 * (1 + lam * u[None, None, :]), 0, 2)
    m0, m1 = pay0.mean(2), pay1.mean(2)
    j = [k - 1, k - 1]
    converged = False
    for _ in range(4 * k):
        if symmetric:
            nj = int(np.argmax(m0[:, j[1]]))
            new = [nj, nj]
        else:
            new = [int(np.argmax(m0[:, j[1]])), j[1]]
            new[1] = int(np.argmax(m1[new[0], :]))
        if new == j:
            converged = True
            break
        j = new
    d0 = np.delete(pay0[:, j[1], :] - pay0[j[0], j[1], :], j[0], axis=0)
    d1 = np.delete(pay1[j[0], :, :] - pay1[j[0], j[1], :], j[1], axis=0)
    gains = np.concatenate([d0.mean(1), d1.mean(1)])
    ses = np.concatenate([d0.std(1, ddof=1), d1.std(1, ddof=1)]) / math.sqrt(t)
    i = int(np.argmax(gains))
    prin = np.maximum(srt[:, 0, j[0]], srt[:, 1, j[1]])
    return CompetitionResult(
        (j[0] + 1, j[1] + 1), converged, float(gains[i]), float(ses[i]), _estimate(prin), emax
    )


# ------------------------------------------------------------------------ T7 as reports

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


def _paired_est(u: np.ndarray, v: np.ndarray) -> Estimate:
    return _estimate(u - v)


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
    equals T2's closed form for ``Align(M, K, 'bayes')`` (value A)."""
    g = grid or StrategyGrid()
    rule = Rule.bayes(model)
    sol = solve_symmetric(
        draw_game(model, agents, per_agent, trials=trials, seed=seed), Scheme.team(), rule, g
    )
    d2 = draw_game(model, agents, per_agent, trials=trials, seed=seed + 1)
    eq = check_equilibrium(d2, sol.profile, Scheme.team(), rule, g, agents=[0])
    u = _estimate(principal_utility(d2, sol.profile, rule))
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
    value B the discounting principal's equilibrium utility on fresh draws."""
    g = grid or StrategyGrid()
    base = Rule.bayes(model)
    tr = best_trust(
        draw_game(model, agents, per_agent, trials=trials, seed=seed), Scheme.tournament(), base, g
    )
    naive = tr.solutions[TRUST_FACTORS.index(1.0)]
    d2 = draw_game(model, agents, per_agent, trials=trials, seed=seed + 1)
    u_best = principal_utility(d2, tr.best_solution.profile, base.discounted(tr.best_factor))
    u_naive = principal_utility(d2, naive.profile, base)
    gain = _paired_est(u_best, u_naive)
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
    best = _estimate(u_best)
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
    Monte Carlo utility there."""
    rule = Rule(0.0, 1.0)
    losses, overs, ok = [], [], True
    detail = []
    last_team = _estimate(np.zeros(2))
    for m in agent_counts:
        d = draw_game(model, m, per_agent, trials=trials, seed=seed + m)
        team = solve_symmetric(d, Scheme.team(), rule, JUDGE_GRID)
        tour = solve_symmetric(d, Scheme.tournament(), rule, JUDGE_GRID)
        d2 = draw_game(model, m, per_agent, trials=trials, seed=seed + 1000 + m)
        ut, uo = (
            principal_utility(d2, team.profile, rule),
            principal_utility(d2, tour.profile, rule),
        )
        loss = _paired_est(ut, uo)
        over = _estimate(judge_overestimate(d2, tour.profile, rule))
        over_team = _estimate(judge_overestimate(d2, team.profile, rule))
        losses.append(loss)
        overs.append(over)
        ok &= team.converged and tour.converged and all(s.truthful for s in team.profile)
        ok &= tour.profile[0].w_b > 0.0 and loss.mean > Z_TOL * loss.stderr
        ok &= over.mean - over_team.mean > Z_TOL * math.hypot(over.stderr, over_team.stderr)
        last_team = _estimate(ut)
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
    value B: its Monte Carlo estimate on the same draws."""
    mx = MIXTURE
    n, eps, big = int(mx["n"]), float(mx["eps"]), float(mx["big"])
    v = mixture_values(n, trials=trials, seed=seed, eps=eps, big=big, correlated=correlated)
    emax = mixture_emax(n, eps, big, correlated=correlated)
    res = [
        ThresholdResult(name, th, _estimate(threshold_delegation(v, th)), emax)
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
    mxe = _estimate(v.max(axis=1))
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


def incentive_checks(trials: int = 20_000) -> list[Callable[[], Report]]:
    """The T7 rows of ``align verify``: team equilibrium, tournament inflation and
    discounting, biased-judge amplification, threshold delegation with independent and with
    correlated candidates. Each row is a :class:`~align_theory.guarantees.Report` (two
    independent computations and the statement's verdict)."""
    return [
        partial(check_t7_team, trials=trials),
        partial(check_t7_tournament, trials=trials),
        partial(check_t7_bias, trials=trials),
        partial(check_t7_threshold, False, trials=trials),
        partial(check_t7_threshold, True, trials=trials),
    ]
