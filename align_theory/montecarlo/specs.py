r"""Typed model specs: a model split into its static structure and its dynamic parameters.

The static part is a frozen, hashable dataclass per model (it decides the compiled program:
which normals are drawn, how many wrong answers there are, ...); the dynamic part is a dict
of float32 arrays, so one compiled program serves every model of the same structure (a
whole sweep). Model G's μ is kept off the device and added on the host (``shift``): every
model-G utility is x of some candidate, so it shifts by μ exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from align_theory.models import BernoulliModel, EmpiricalPool, GaussianModel, Model
from align_theory.protocols import Protocol, pool_layout, protocol_spec

__all__ = [
    "MAX_WRONG_ANSWERS",
    "BernoulliStatic",
    "EmpiricalStatic",
    "GaussianStatic",
    "ModelSpec",
    "Static",
    "check_supported",
    "model_spec",
]

G_RULES = ("linear", "bayes")
"""Principal rules that read model G's continuous scores (undefined in other models)."""

MAX_WRONG_ANSWERS = 256
"""Largest ``wrong_answers`` the Monte Carlo engine accepts. The vote kernels work on
arrays with one column per answer (no per-answer code), so compile time does not grow with
m; the bound keeps the per-trial working set (≈ 12·(m + 2) float32 words per vote) and the
chunk of 1,024 trials per block sensible."""


@dataclass(frozen=True)
class GaussianStatic:
    """Model G structure: whether the question level σ√ρ_b Z₀ (``has_level``) and the agent
    shifts σ√(ρ_w−ρ_b) A_a (``has_agent``) are non-zero; zero terms are not drawn at all.

    Examples
    --------
    >>> model_spec(GaussianModel(rho_between=0.0, rho_within=0.3), 4).static
    GaussianStatic(has_level=False, has_agent=True)
    """

    has_level: bool
    has_agent: bool


@dataclass(frozen=True)
class BernoulliStatic:
    """Model B structure: per-agent diversity θ_a | θ ~ Beta(cθ, c(1−θ)) (``diversity``),
    the number m of wrong answers (``wrong_answers``) and whether their probabilities are
    Dirichlet(α, …, α) per question (``dirichlet``) rather than uniform.

    Examples
    --------
    >>> model_spec(BernoulliModel(1.0, 1.0, wrong_answers=3), 4).static
    BernoulliStatic(diversity=False, wrong_answers=3, dirichlet=False)
    """

    diversity: bool
    wrong_answers: int
    dirichlet: bool


@dataclass(frozen=True, eq=False)
class EmpiricalStatic:
    """A recorded pool (its arrays are constants of the program; compared by identity).

    Examples
    --------
    >>> import numpy as np
    >>> c = np.ones((2, 1, 3), bool)
    >>> pool = EmpiricalPool(c, np.zeros((2, 1, 3), int), c * 1.0, c * 1.0)
    >>> model_spec(pool, 3).static.pool is pool
    True
    """

    pool: EmpiricalPool

    @property
    def answer_width(self) -> int:
        """Columns of a vote's count array: the correct id, the recorded ids, and one class
        per candidate for unparsed answers."""
        _, a, k = self.pool.shape
        return int(self.pool.answers.max()) + 2 + a * k


Static = GaussianStatic | BernoulliStatic | EmpiricalStatic


@dataclass(frozen=True)
class ModelSpec:
    """A model split into a static structure (hashable: decides the compiled program) and
    dynamic parameters (float32 arrays: one compiled program serves a whole sweep).

    Attributes
    ----------
    static : GaussianStatic, BernoulliStatic or EmpiricalStatic
        The structure.
    params : dict of str to numpy.ndarray
        Float32 parameters (names as the kernels read them).
    shift : float
        Added to every utility on the host (μ in model G, 0 otherwise).
    """

    static: Static
    params: dict[str, np.ndarray]
    shift: float


def model_spec(model: Model, n_max: int) -> ModelSpec:
    r"""Split ``model`` for pools of at most ``n_max`` candidates (and agents).

    Model G's parameters include the agent-pick constants S = √(σ_w²+τ²), r = σ_w/S and
    √(1−r²), the same for the judge (S' = √(σ_w²+κ_e²)), and the linear weights (w_y, w_x̂).

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    n_max : int
        The largest pool (candidates, hence agents) the program reads.

    Returns
    -------
    ModelSpec
        Static structure, float32 parameters and the host shift.

    Examples
    --------
    >>> spec = model_spec(GaussianModel(mu=2.0, tau=0.0), 4)
    >>> spec.shift, float(spec.params["r_y"]), spec.params["off"].shape
    (2.0, 1.0, (4,))
    >>> model_spec(BernoulliModel(2.0, 1.0, wrong_answers=10**6), 4)
    Traceback (most recent call last):
    ...
    ValueError: wrong_answers must be at most 256 for the Monte Carlo engine, got 1000000
    """
    f32 = np.float32
    if isinstance(model, GaussianModel):
        sw, tau, ke = model.sigma_within, model.tau, model.judge_noise
        s_y = math.hypot(sw, tau)
        s_j = math.hypot(sw, ke)
        r_y = 1.0 if s_y == 0.0 else sw / s_y
        r_j = 1.0 if s_j == 0.0 else sw / s_j
        wy, wx = model.linear_weights
        p = {
            "c0": model.sigma * math.sqrt(model.rho_between),
            "ca": model.sigma_agent,
            "sw": sw,
            "tau": tau,
            "ke": ke,
            "s_y": s_y,
            "r_y": r_y,
            "rc_y": math.sqrt(max(1.0 - r_y * r_y, 0.0)),
            "s_j": s_j,
            "r_j": r_j,
            "rc_j": math.sqrt(max(1.0 - r_j * r_j, 0.0)),
            "wy": wy,
            "wx": wx,
        }
        params = {k: np.asarray(v, f32) for k, v in p.items()}
        params["off"] = model.offsets(n_max).astype(f32)
        return ModelSpec(GaussianStatic(p["c0"] > 0.0, p["ca"] > 0.0), params, model.mu)
    if isinstance(model, BernoulliModel):
        if model.wrong_answers > MAX_WRONG_ANSWERS:
            raise ValueError(
                f"wrong_answers must be at most {MAX_WRONG_ANSWERS} for the Monte Carlo "
                f"engine, got {model.wrong_answers}"
            )
        p = {
            "a": model.a,
            "b": model.b,
            "s": model.agent_tpr,
            "f": model.agent_fpr,
            "s2": model.principal_tpr,
            "f2": model.principal_fpr,
            "div": 1.0 if model.diversity is None else model.diversity,
            "alpha": 1.0 if model.wrong_concentration is None else model.wrong_concentration,
        }
        static = BernoulliStatic(
            model.diversity is not None,
            model.wrong_answers,
            model.wrong_concentration is not None,
        )
        return ModelSpec(static, {k: np.asarray(v, f32) for k, v in p.items()}, 0.0)
    if isinstance(model, EmpiricalPool):
        return ModelSpec(EmpiricalStatic(model), {}, 0.0)
    raise TypeError(f"unknown model {model!r}")


def check_supported(model: Model, protocols: Sequence[Protocol]) -> None:
    """Raise for protocol/model pairs no sampler defines (same messages as the reference).

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocols : sequence of Protocol
        The protocols of one run.

    Raises
    ------
    NotImplementedError
        The ``linear`` or ``bayes`` principal outside model G.
    ValueError
        A vote protocol (``needs_answers``) in model G, or an unknown protocol.

    Examples
    --------
    >>> from align_theory import GaussianModel, MajorityVote
    >>> check_supported(GaussianModel(), [MajorityVote(4)])
    Traceback (most recent call last):
    ...
    ValueError: MajorityVote needs discrete answers: use BernoulliModel or EmpiricalPool
    """
    for proto in protocols:
        spec = protocol_spec(proto)
        rule = getattr(proto, "principal", "exact")
        if rule == "vote":
            raise ValueError(
                "the 'vote' principal (plurality weighted by reports) is defined on recorded "
                "pools only: use align_theory.expected_utility(pool, protocol)"
            )
        if rule in G_RULES and not isinstance(model, GaussianModel):
            raise NotImplementedError(
                f"the {rule!r} principal is defined for model G only; use principal='judge'"
            )
        if spec.needs_answers and isinstance(model, GaussianModel):
            raise ValueError(
                f"{spec.name} needs discrete answers: use BernoulliModel or EmpiricalPool"
            )
        if isinstance(model, EmpiricalPool):
            n, g = pool_layout(proto)
            _, a_rec, k_rec = model.shape
            if g > a_rec or n // g > k_rec:
                raise ValueError(
                    f"{proto!r} reads {g} agent(s) x {n // g} candidate(s) but the pool holds "
                    f"{a_rec} agent(s) x {k_rec}; choose agents= so that n/agents <= {k_rec}, "
                    "or use pool.pooled() to read all candidates as one pipeline"
                )
