r"""The players' choices in the delegation game of T7: agent strategies, the finite strategy
grid, incentive schemes and the principal's announced selection rule.

An agent strategy σ = (w_b, w_t, s, δ) proposes k* = argmax_k y_k + w_b b_k + w_t t_k and
reports r = μ + s(y_{k*} − μ) + δ; the principal's rule selects
a* = argmax_a w_r(r_a − c_a) + w_x x̂_a (see ``docs/incentives.md`` §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from align_theory.models import GaussianModel, bayes_weights

__all__ = ["Rule", "Scheme", "Strategy", "StrategyGrid"]


@dataclass(frozen=True)
class Strategy:
    """One agent strategy: proposal weights (w_b, w_t) and report function r = μ+s(y−μ)+δ.

    Parameters
    ----------
    w_b, w_t : float
        Proposal weights on the judge-rewarded feature b and on the private taste t.
    scale, shift : float
        Report function r = μ + s(y − μ) + δ with s = ``scale``, δ = ``shift``.

    Examples
    --------
    >>> Strategy().truthful, str(Strategy(w_b=0.5, shift=1.0))
    (True, '(w_b=0.5, w_t=0, shift+1)')
    """

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

    Examples
    --------
    >>> g = StrategyGrid()
    >>> len(g), g[0].truthful, g.top_report
    (140, True, 3.0)
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
    """An incentive scheme: what agent a is paid when a* is selected.

    ``team``: x_{a*}; ``tournament``: 1{a* = a}; ``tournament_correct``:
    1{a* = a}·1{x_{a*} > μ + c·σ} with c = ``correct_sd``; ``misaligned(λ)``:
    1{a* = a}(1 + λ t_{a*}). The principal's utility is always x_{a*}.

    Examples
    --------
    >>> Scheme.misaligned(2.0).name, Scheme.team().name
    ('misaligned(2)', 'team')
    """

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
    """The principal's announced selection rule argmax_a w_r(r_a − c_a) + w_x x̂_a.

    Examples
    --------
    >>> Rule(1.0, 0.5).discounted(0.25)
    Rule(w_r=0.25, w_x=0.5)
    >>> Rule.bayes(GaussianModel(tau=0.0, kappa=1.0))  # a perfect agent: trust reports only
    Rule(w_r=1.0, w_x=0.0)
    """

    w_r: float
    w_x: float

    @staticmethod
    def bayes(model: GaussianModel) -> Rule:
        """T2's linear weights (w_y, w_x̂) = ``model.linear_weights`` (the posterior-mean
        ranking under truthful reports in homogeneous model G)."""
        wy, wx = bayes_weights(model)
        return Rule(wy, wx)

    def discounted(self, factor: float) -> Rule:
        """The same rule with trust w_r multiplied by ``factor``."""
        return Rule(self.w_r * factor, self.w_x)
