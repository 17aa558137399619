"""Protocols compared at equal candidate budget N (DESIGN.md section 2).

Each protocol is a frozen dataclass describing *what* is compared; :mod:`align_theory.exact`
and :mod:`align_theory.montecarlo` compute *how well* it does. Every protocol knows its
:class:`Cost`: candidates generated and principal evaluations.

The candidate pool. A protocol with budget n reads a pool of n candidates drawn by
``agents`` agents, n/``agents`` each (the nested structure of the model: in model G agents
share an agent shift A_a; in model B agents have their own θ_a when diversity is on).
Baselines default to ``agents=1``, a single generation pipeline; ``agents=M`` makes the
baseline read exactly the pool Align reads (the "same N candidates" of T1).

Tie rules (documented, used by both engines):
  * argmax over scores: ties broken uniformly at random (they have probability 0 in G);
  * MajorityVote / FilterVote: plurality; a tie between the leading answers is broken
    uniformly at random, so a two-way tie with the correct answer scores 1/2 in expectation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from align_theory._validate import positive_int

__all__ = [
    "PRINCIPAL_RULES",
    "Align",
    "Cost",
    "FilterVote",
    "MajorityVote",
    "Oracle",
    "PrincipalBestOfN",
    "Protocol",
    "RandomPick",
    "Shortlist",
    "SingleAgent",
]

PrincipalRule = Literal["exact", "judge", "bayes"]
PRINCIPAL_RULES: tuple[str, ...] = ("exact", "judge", "bayes")


def _rule(name: str, value: str) -> str:
    if value not in PRINCIPAL_RULES:
        raise ValueError(f"{name} must be one of {PRINCIPAL_RULES}, got {value!r}")
    return value


def _pool(n: int, agents: int) -> None:
    positive_int("n", n)
    positive_int("agents", agents)
    if n % agents:
        raise ValueError(f"agents must divide n, got n={n}, agents={agents}")


@dataclass(frozen=True)
class Cost:
    """What a protocol spends on one question."""

    candidates: int
    principal_evaluations: int


@dataclass(frozen=True)
class Align:
    """ALIGN: M agents × K candidates; each agent proposes its argmax-y candidate and reports
    y (truthful, the team-incentive equilibrium of T7); the principal selects one proposal.

    Principal rules: ``exact`` picks the proposal with the largest x; ``judge`` the largest
    x̂ (reports ignored); ``bayes`` the largest posterior mean E[x | reports, x̂]. In model G
    (homogeneous) this is the linear score w_y·y + w_x̂·x̂ of T2; in model B ``judge`` is the
    principal's verifier (s′, f′), uniform among the proposals it accepts.
    """

    agents: int
    per_agent: int
    principal: PrincipalRule = "exact"

    def __post_init__(self) -> None:
        positive_int("agents", self.agents)
        positive_int("per_agent", self.per_agent)
        _rule("principal", self.principal)

    @property
    def n(self) -> int:
        """Candidate budget N = M·K."""
        return self.agents * self.per_agent

    @property
    def cost(self) -> Cost:
        """N candidates, M principal evaluations (one per proposal)."""
        return Cost(self.n, self.agents)


@dataclass(frozen=True)
class SingleAgent:
    """B-SA: one generation-and-selection pipeline: output argmax y over n candidates."""

    n: int
    agents: int = 1

    def __post_init__(self) -> None:
        _pool(self.n, self.agents)

    @property
    def cost(self) -> Cost:
        """n candidates, no principal evaluation."""
        return Cost(self.n, 0)


@dataclass(frozen=True)
class RandomPick:
    """pass@1: a uniformly random candidate of the n."""

    n: int
    agents: int = 1

    def __post_init__(self) -> None:
        _pool(self.n, self.agents)

    @property
    def cost(self) -> Cost:
        """n candidates (the budget), no principal evaluation."""
        return Cost(self.n, 0)


@dataclass(frozen=True)
class MajorityVote:
    """Self-consistency: the plurality answer of n candidates (model B and pools only);
    ties among leading answers broken uniformly at random."""

    n: int
    agents: int = 1

    def __post_init__(self) -> None:
        _pool(self.n, self.agents)

    @property
    def cost(self) -> Cost:
        """n candidates, no principal evaluation."""
        return Cost(self.n, 0)


@dataclass(frozen=True)
class FilterVote:
    """Filter-vote (Chen et al. 2024): plurality over the answers the agent's verifier
    accepts; plurality over all n when it accepts none. Ties broken uniformly at random."""

    n: int
    agents: int = 1

    def __post_init__(self) -> None:
        _pool(self.n, self.agents)

    @property
    def cost(self) -> Cost:
        """n candidates, no principal evaluation."""
        return Cost(self.n, 0)


@dataclass(frozen=True)
class Shortlist:
    """B-SL: one agent ranks its n candidates by y and sends its top ``size`` to the
    principal, who selects by its rule (equal principal budget with Align when size = M)."""

    n: int
    size: int
    principal: PrincipalRule = "exact"

    def __post_init__(self) -> None:
        positive_int("n", self.n)
        positive_int("size", self.size, 1, self.n)
        _rule("principal", self.principal)

    @property
    def cost(self) -> Cost:
        """n candidates, ``size`` principal evaluations."""
        return Cost(self.n, self.size)


@dataclass(frozen=True)
class PrincipalBestOfN:
    """The principal evaluates all n candidates and outputs the argmax x̂ (model G) or a
    uniformly random one its verifier accepts (model B): n evaluations, not M."""

    n: int
    agents: int = 1

    def __post_init__(self) -> None:
        _pool(self.n, self.agents)

    @property
    def cost(self) -> Cost:
        """n candidates, n principal evaluations."""
        return Cost(self.n, self.n)


@dataclass(frozen=True)
class Oracle:
    """max x over the n candidates (coverage, pass@n, in model B): an upper bound."""

    n: int
    agents: int = 1

    def __post_init__(self) -> None:
        _pool(self.n, self.agents)

    @property
    def cost(self) -> Cost:
        """n candidates; the oracle's evaluations are not a real cost and count 0."""
        return Cost(self.n, 0)


Protocol = (
    Align
    | SingleAgent
    | RandomPick
    | MajorityVote
    | FilterVote
    | Shortlist
    | PrincipalBestOfN
    | Oracle
)
