"""Protocols compared at equal candidate budget N (docs/design.md section 2).

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

import ast
import difflib
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal, TypeVar

from align_theory._validate import positive_int

__all__ = [
    "PRINCIPAL_RULES",
    "REGISTRY",
    "Align",
    "Cost",
    "FilterVote",
    "MajorityVote",
    "Oracle",
    "PrincipalBestOfN",
    "Protocol",
    "ProtocolSpec",
    "RandomPick",
    "Shortlist",
    "SingleAgent",
    "parse_protocol",
    "pool_layout",
    "protocol_spec",
    "register",
]

PrincipalRule = Literal["exact", "judge", "linear", "bayes", "vote"]
PRINCIPAL_RULES: tuple[str, ...] = ("exact", "judge", "linear", "bayes", "vote")
"""Principal rules: ``exact`` (max x), ``judge`` (max x̂), ``linear`` (max of the linear
score w_y(y − c) + w_x̂ x̂ of model G), ``bayes`` (max of the true posterior mean
E[x | reports, x̂]; :func:`align_theory.exact.posterior.posterior_mean` in model G, a fitted
logistic score on recorded pools) and ``vote`` (the answer class with the largest sum of the
agents' reports; recorded pools only, where answers are discrete: the closed forms and the
Monte Carlo engine refuse it)."""


def _rule(name: str, value: str, allowed: tuple[str, ...] = PRINCIPAL_RULES) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def _pool(n: int, agents: int) -> None:
    positive_int("n", n)
    positive_int("agents", agents)
    if n % agents:
        raise ValueError(f"agents must divide n, got n={n}, agents={agents}")


@dataclass(frozen=True)
class ProtocolSpec:
    """What a protocol is and what it reads: the registry entry of one protocol class.

    Attributes
    ----------
    name : str
        The class name, as written in protocol strings (``"Align(4, 4, 'judge')"``).
    cls : type
        The frozen dataclass.
    needs_answers : bool
        Reads discrete answers (votes): defined for model B and recorded pools only.
    reads_agent_score, reads_principal_score : bool
        Reads the agents' scores y / the principal's evaluations x̂.
    summary : str
        One line for ``--help`` and the docs.
    """

    name: str
    cls: type
    needs_answers: bool
    reads_agent_score: bool
    reads_principal_score: bool
    summary: str

    @property
    def parameters(self) -> tuple[str, ...]:
        """The constructor's parameter names, in order."""
        return tuple(f.name for f in fields(self.cls))


REGISTRY: dict[str, ProtocolSpec] = {}
"""Every protocol class by name, in registration order: the one list the CLI, the closed
forms, the Monte Carlo kernels, the recorded-run estimators and the figures read."""

_C = TypeVar("_C", bound=type)


def register(
    *,
    needs_answers: bool = False,
    reads_agent_score: bool = False,
    reads_principal_score: bool = False,
) -> Callable[[_C], _C]:
    """Class decorator adding a protocol dataclass to :data:`REGISTRY`."""

    def deco(cls: _C) -> _C:
        doc = (cls.__doc__ or "").strip().splitlines()
        REGISTRY[cls.__name__] = ProtocolSpec(
            cls.__name__,
            cls,
            needs_answers,
            reads_agent_score,
            reads_principal_score,
            doc[0] if doc else "",
        )
        return cls

    return deco


@dataclass(frozen=True)
class Cost:
    """What a protocol spends on one question."""

    candidates: int
    principal_evaluations: int


@register(reads_agent_score=True, reads_principal_score=True)
@dataclass(frozen=True)
class Align:
    """ALIGN: M agents × K candidates; each agent proposes its argmax-y candidate and reports
    y (truthful, the team-incentive equilibrium of T7); the principal selects one proposal.

    Principal rules: ``exact`` picks the proposal with the largest x; ``judge`` the largest
    x̂ (reports ignored); ``linear`` the largest w_y(y − c_a) + w_x̂ x̂ (model G,
    :attr:`~align_theory.models.GaussianModel.linear_weights`); ``bayes`` the largest true
    posterior mean E[x | reports, x̂] (model G: nested quadrature over Z₀ and the agent
    shifts, :func:`align_theory.exact.posterior.posterior_mean`; recorded pools: a logistic
    score fitted on held-out questions). The two coincide in ranking when ρ_b = ρ_w; when
    ρ_b < ρ_w only ``bayes`` carries T2's guarantee. ``vote`` (recorded pools only) picks the
    answer class whose proposals' reports sum highest. In model B ``judge`` is the
    principal's verifier (s′, f′), uniform among the proposals it accepts; ``linear`` and
    ``bayes`` are defined for model G only.
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


@register(reads_agent_score=True)
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


@register()
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


@register(needs_answers=True)
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


@register(needs_answers=True, reads_agent_score=True)
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


@register(reads_agent_score=True, reads_principal_score=True)
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
        _rule("principal", self.principal, ("exact", "judge", "linear", "bayes"))  # no vote

    @property
    def cost(self) -> Cost:
        """n candidates, ``size`` principal evaluations."""
        return Cost(self.n, self.size)


@register(reads_principal_score=True)
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


@register()
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


def protocol_spec(protocol: Protocol | str) -> ProtocolSpec:
    """The registry entry of a protocol instance or name.

    Examples
    --------
    >>> protocol_spec(SingleAgent(4)).reads_agent_score
    True
    >>> protocol_spec("MajorityVote").needs_answers
    True
    """
    name = protocol if isinstance(protocol, str) else type(protocol).__name__
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"protocol must be one of {sorted(REGISTRY)}, got {name!r}") from None


def pool_layout(protocol: Protocol) -> tuple[int, int]:
    """(n, g): the pool a protocol reads, n candidates from g agents (n/g each).

    Align reads M·K candidates from M agents; Shortlist is one agent's pool; the other
    baselines read n candidates from their ``agents`` (1 by default).

    Examples
    --------
    >>> pool_layout(Align(4, 2)), pool_layout(Shortlist(8, 4)), pool_layout(SingleAgent(8, 4))
    ((8, 4), (8, 1), (8, 4))
    """
    if isinstance(protocol, Align):
        return protocol.n, protocol.agents
    if isinstance(protocol, Shortlist):
        return protocol.n, 1
    return protocol.n, protocol.agents


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Name):  # bare words are strings: Align(4, 4, judge)
        return node.id
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ValueError(
            "protocol arguments must be literals (numbers or quoted words), "
            f"got {ast.unparse(node)!r}"
        ) from None


def parse_protocol(text: str) -> Protocol:
    """Build a protocol from ``Name(arg, ..., key=value)`` with literal arguments only.

    No code is evaluated. Unknown names, unknown or repeated keywords, ``**`` unpacking
    and too many arguments raise ``ValueError`` naming the problem and the valid names.

    Examples
    --------
    >>> parse_protocol("Align(4, 4, 'judge')")
    Align(agents=4, per_agent=4, principal='judge')
    >>> parse_protocol("SingleAgent(16, agents=4)")
    SingleAgent(n=16, agents=4)
    """
    usage = f"protocol must look like SingleAgent(16), got {text!r}"
    try:
        tree = ast.parse(str(text).strip(), mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ValueError(usage) from None
    if not isinstance(tree, ast.Call) or not isinstance(tree.func, ast.Name):
        raise ValueError(usage)
    name = tree.func.id
    if name not in REGISTRY:
        close = difflib.get_close_matches(name, list(REGISTRY), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ValueError(f"protocol must be one of {sorted(REGISTRY)}, got {name!r}{hint}")
    spec = REGISTRY[name]
    params = spec.parameters
    if any(isinstance(a, ast.Starred) for a in tree.args):
        raise ValueError(f"{name}: *-unpacking is not allowed in a protocol string")
    if len(tree.args) > len(params):
        raise ValueError(
            f"{name} takes at most {len(params)} arguments ({', '.join(params)}), "
            f"got {len(tree.args)}"
        )
    kwargs: dict[str, Any] = {}
    for kw in tree.keywords:
        if kw.arg is None:
            raise ValueError(f"{name}: **-unpacking is not allowed in a protocol string")
        if kw.arg not in params:
            raise ValueError(
                f"{name} has no parameter {kw.arg!r}; valid names: {', '.join(params)}"
            )
        if kw.arg in kwargs:
            raise ValueError(f"{name}: keyword {kw.arg!r} given twice")
        kwargs[kw.arg] = _literal(kw.value)
    args = [_literal(a) for a in tree.args]
    for given in params[: len(args)]:
        if given in kwargs:
            raise ValueError(f"{name}: {given!r} given both by position and by keyword")
    try:
        proto: Protocol = spec.cls(*args, **kwargs)
    except TypeError as err:
        raise ValueError(f"{name}({', '.join(params)}): {err}") from None
    return proto
