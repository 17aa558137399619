"""Candidate models: the joint law of (x, y, x̂) over the N = M·K candidates of a question.

Notation follows docs/design.md section 1: agent a = 1..M draws K candidates ω_{a,k};
x is the principal's utility, y the agent's private score, x̂ the principal's evaluation.

* :class:`GaussianModel` — model G, nested Gaussian (question, agent, candidate levels).
* :class:`BernoulliModel` — model B, latent Beta difficulty and discrete answers.
* :class:`EmpiricalPool` — recorded candidates of real LLM runs, replayed.

All models are frozen dataclasses validated at construction: a bad value raises
``ValueError`` naming the parameter, the value and the allowed range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from align_theory._validate import finite, in_range, positive_int

__all__ = [
    "BETA_SHAPE_RANGE",
    "SCALE_MAX",
    "TABLE_COLUMNS",
    "BernoulliDraws",
    "BernoulliModel",
    "EmpiricalPool",
    "GaussianDraws",
    "GaussianModel",
    "Model",
    "bayes_weights",
    "sample",
]

SCALE_MAX = 1e100
"""Largest magnitude of a model-G location or scale (μ, σ, τ, κ, β, c_a): beyond about
1e154 the squares in the closed forms overflow to inf and the results to NaN."""

BETA_SHAPE_RANGE = (1e-12, 1e100)
"""Allowed range of model B's Beta shapes a, b (and of the diversity and Dirichlet
concentrations): below about 1e-16 SciPy's Jacobi quadrature refuses the shape, far above
1e100 the closed forms lose every digit."""


@dataclass(frozen=True)
class GaussianDraws:
    """Model G candidates, arrays of shape (trials, M, K): utility x, agent score y,
    principal evaluation x̂ = x + βb + κν and the judge-rewarded feature b."""

    x: np.ndarray
    y: np.ndarray
    xhat: np.ndarray
    b: np.ndarray


@dataclass(frozen=True)
class BernoulliDraws:
    """Model B candidates, arrays of shape (trials, M, K): ``correct`` (bool), ``answer``
    (0 = correct, 1..m = wrong alternatives), agent verdict ``y`` and principal verdict
    ``xhat`` (0/1 floats); ``theta`` (trials, M) is each agent's difficulty θ_a."""

    correct: np.ndarray
    answer: np.ndarray
    y: np.ndarray
    xhat: np.ndarray
    theta: np.ndarray


@dataclass(frozen=True)
class GaussianModel:
    r"""Model G: nested Gaussian candidates.

    For agent a and candidate k of one question,

    .. math::

        x_{a,k} &= μ + σ\big(\sqrt{ρ_b} Z_0 + \sqrt{ρ_w-ρ_b} A_a + \sqrt{1-ρ_w} Z_{a,k}\big),\\
        y_{a,k} &= x_{a,k} + c_a + τ η_{a,k},\qquad
        \hat x_{a,k} = x_{a,k} + β b_{a,k} + κ ν_{a,k},

    with Z₀ (question difficulty), A_a (agent shift), Z, η, b, ν iid N(0, 1).
    ρ_b = ρ_w is the homogeneous single-model case; the within-question standard deviation
    is σ_w = σ√(1−ρ_w). Only σ_w matters for comparisons inside one agent (T3).

    Parameters
    ----------
    mu : float
        Mean utility μ, \|μ\| ≤ 1e100 (:data:`SCALE_MAX`).
    sigma : float
        Total standard deviation σ of x, 0 < σ ≤ 1e100.
    rho_between : float
        Correlation ρ_b of two candidates from different agents, 0 ≤ ρ_b ≤ ρ_w.
    rho_within : float
        Correlation ρ_w of two candidates from the same agent, ρ_b ≤ ρ_w ≤ 1.
    tau : float
        Agent-score noise 0 ≤ τ ≤ 1e100 (τ = 0: the agent ranks its candidates perfectly).
    kappa : float
        Principal evaluation noise 0 ≤ κ ≤ 1e100 (κ = 0 with β = 0: exact evaluation).
    beta : float
        Judge bias loading 0 ≤ β ≤ 1e100 on the candidate feature b(ω) the judge rewards.
    agent_offsets : tuple of float or None
        Per-agent score offsets c_a (miscalibration between agents), each \|c_a\| ≤ 1e100;
        None means all zero. Agent a uses ``agent_offsets[a % len(agent_offsets)]``.

    Every parameter must be a real number (``bool`` and ``str`` are refused); a value out
    of its range raises ``ValueError`` naming it.
    """

    mu: float = 0.0
    sigma: float = 1.0
    rho_between: float = 0.0
    rho_within: float = 0.0
    tau: float = 1.0
    kappa: float = 0.0
    beta: float = 0.0
    agent_offsets: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", in_range("mu", self.mu, -SCALE_MAX, SCALE_MAX))
        sigma = in_range("sigma", self.sigma, 0.0, SCALE_MAX, lo_open=True)
        object.__setattr__(self, "sigma", sigma)
        rho_w = in_range("rho_within", self.rho_within, 0.0, 1.0)
        object.__setattr__(self, "rho_within", rho_w)
        rho_b = finite("rho_between", self.rho_between)
        if not 0.0 <= rho_b <= rho_w:
            raise ValueError(
                f"rho_between must lie in [0, rho_within] = [0, {rho_w:g}], "
                f"got {self.rho_between!r}"
            )
        object.__setattr__(self, "rho_between", rho_b)
        for name in ("tau", "kappa", "beta"):
            object.__setattr__(self, name, in_range(name, getattr(self, name), 0.0, SCALE_MAX))
        if self.agent_offsets is not None:
            if not isinstance(self.agent_offsets, tuple | list | np.ndarray) or (
                np.ndim(self.agent_offsets) != 1
            ):
                raise ValueError(
                    "agent_offsets must be None or a non-empty tuple of real numbers, "
                    f"got {self.agent_offsets!r}"
                )
            offs = tuple(
                in_range(f"agent_offsets[{i}]", c, -SCALE_MAX, SCALE_MAX)
                for i, c in enumerate(self.agent_offsets)
            )
            if not offs:
                raise ValueError("agent_offsets must be None or a non-empty tuple, got ()")
            object.__setattr__(self, "agent_offsets", offs)

    @property
    def sigma_within(self) -> float:
        """σ_w = σ√(1−ρ_w), the standard deviation of x within one agent and question."""
        return self.sigma * math.sqrt(1.0 - self.rho_within)

    @property
    def sigma_agent(self) -> float:
        """σ√(ρ_w−ρ_b), the standard deviation of the agent-level shift."""
        return self.sigma * math.sqrt(self.rho_within - self.rho_between)

    @property
    def signal_ratio(self) -> float:
        """r = σ_w/√(σ_w²+τ²), the correlation of x and y within an agent (1 if both are 0)."""
        s = math.hypot(self.sigma_within, self.tau)
        return 1.0 if s == 0.0 else self.sigma_within / s

    @property
    def judge_noise(self) -> float:
        """κ_e = √(κ²+β²): total noise of x̂ around x when b is independent of the selection."""
        return math.hypot(self.kappa, self.beta)

    @property
    def homogeneous(self) -> bool:
        """True when ρ_b = ρ_w and every agent offset is zero (agents are exchangeable)."""
        offs_zero = self.agent_offsets is None or all(c == 0.0 for c in self.agent_offsets)
        return self.rho_between == self.rho_within and offs_zero

    def offsets(self, agents: int) -> np.ndarray:
        """The vector (c_1, …, c_M) of agent score offsets for ``agents`` agents."""
        if self.agent_offsets is None:
            return np.zeros(agents)
        c = np.asarray(self.agent_offsets, dtype=float)
        return c[np.arange(agents) % c.size]

    @property
    def linear_weights(self) -> tuple[float, float]:
        r"""Weights (w_y, w_x̂) of the linear principal score w_y·y + w_x̂·x̂ (T2).

        Given the agent level m, a proposal's x | y ~ N(m + r²(y − c − m), σ_w²(1 − r²))
        (the Gaussian conditional survives the agent's selection on y), and
        x̂ = x + κ_e ν with κ_e² = κ² + β². The posterior mean given one proposal's (y, x̂)
        and the agent level is (1 − g)r²(y − c) + g·x̂ + (terms common to all proposals),
        with g = σ_w²(1−r²)/(σ_w²(1−r²) + κ_e²); so w_y = (1 − g)r², w_x̂ = g (w_x̂ = 1 when
        both variances vanish: the judge is exact). This is the posterior mean across
        agents only when agent levels are shared (ρ_b = ρ_w).

        Examples
        --------
        >>> GaussianModel(tau=1.0, kappa=0.0).linear_weights  # exact judge: trust x̂ only
        (0.0, 1.0)
        >>> wy, wx = GaussianModel(tau=1.0, kappa=1.0).linear_weights
        >>> round(wy, 4), round(wx, 4)
        (0.3333, 0.3333)
        """
        r2 = self.signal_ratio**2
        resid = self.sigma_within**2 * (1.0 - r2)
        denom = resid + self.judge_noise**2
        g = 1.0 if denom == 0.0 else resid / denom
        return (1.0 - g) * r2, g

    def sample(
        self,
        rng: np.random.Generator,
        agents: int,
        per_agent: int,
        trials: int = 1,
        *,
        one_agent: bool = False,
    ) -> GaussianDraws:
        r"""Draw ``trials`` questions of M = ``agents`` × K = ``per_agent`` candidates.

        x_{a,k} = μ + σ(√ρ_b Z₀ + √(ρ_w−ρ_b) A_a + √(1−ρ_w) Z_{a,k}), y = x + c_a + τη,
        x̂ = x + βb + κν, every standard normal independent (the law of docs/design.md's model G,
        drawn literally). ``one_agent=True`` gives every group the shift A_1 and offset
        c_1 of the first agent (a single-agent pool of M·K candidates) while consuming the
        same random numbers, so a one-agent and an M-agent pool drawn from the same
        generator state are common random numbers (T6).

        Parameters
        ----------
        rng : numpy.random.Generator
            The random stream (consumed in a fixed order: Z₀, A, Z, η, b, ν).
        agents, per_agent, trials : int
            Pool layout M × K and the number of questions, each ≥ 1.
        one_agent : bool
            Share the first agent's shift and offset across all groups.

        Returns
        -------
        GaussianDraws
            Arrays x, y, x̂, b of shape (trials, M, K).

        Examples
        --------
        >>> d = GaussianModel(tau=0.0).sample(np.random.default_rng(0), 2, 3, trials=4)
        >>> d.x.shape, bool(np.allclose(d.x, d.y))
        ((4, 2, 3), True)
        """
        t = positive_int("trials", trials)
        m = positive_int("agents", agents)
        k = positive_int("per_agent", per_agent)
        z0 = rng.standard_normal((t, 1, 1))
        shift = rng.standard_normal((t, m, 1))
        z = rng.standard_normal((t, m, k))
        eta = rng.standard_normal((t, m, k))
        b = rng.standard_normal((t, m, k))
        nu = rng.standard_normal((t, m, k))
        offs = self.offsets(m)[None, :, None]
        if one_agent:
            shift = np.broadcast_to(shift[:, :1, :], shift.shape)
            offs = np.broadcast_to(offs[:, :1, :], offs.shape)
        x = self.mu + self.sigma * (
            math.sqrt(self.rho_between) * z0
            + math.sqrt(self.rho_within - self.rho_between) * shift
            + math.sqrt(1.0 - self.rho_within) * z
        )
        y = x + offs + self.tau * eta
        xhat = x + self.beta * b + self.kappa * nu
        return GaussianDraws(x, y, xhat, b)


@dataclass(frozen=True)
class BernoulliModel:
    r"""Model B: latent difficulty, discrete answers, verifiers.

    Question difficulty θ_q ~ Beta(a, b). With agent diversity c, agent a has its own
    θ_{a,q} | θ_q ~ Beta(cθ_q, c(1−θ_q)); without it θ_{a,q} = θ_q. Given θ, each candidate
    is correct independently with probability θ. A wrong candidate's answer is one fixed
    alternative (``wrong_answers = 1``: the worst case for voting), uniform over m
    alternatives (``wrong_answers = m``, ``wrong_concentration = None``), or drawn from
    question-specific probabilities w ~ Dirichlet(α,…,α) over m alternatives.

    The agent's score y is its verifier's verdict: P(accept | correct) = s (``agent_tpr``),
    P(accept | wrong) = f (``agent_fpr``); ties in y are broken uniformly at random, so an
    agent proposes a uniformly random accepted candidate, or a uniformly random candidate
    when it accepts none. The principal's verifier has rates (s′, f′) = (``principal_tpr``,
    ``principal_fpr``); with s′ = 1, f′ = 0 it is exact. Utility x = 1{correct}.

    Mean accuracy a/(a+b), intra-class correlation of correctness 1/(a+b+1).

    Parameters
    ----------
    a, b : float
        Beta shape parameters in [1e-12, 1e100] (:data:`BETA_SHAPE_RANGE`).
    agent_tpr, agent_fpr, principal_tpr, principal_fpr : float
        Verifier rates in [0, 1].
    diversity : float or None
        Concentration c in [1e-12, 1e100] of agent-level difficulty around θ_q; None: no
        diversity.
    wrong_answers : int
        Number m ≥ 1 of distinct wrong answers.
    wrong_concentration : float or None
        Dirichlet concentration α in [1e-12, 1e100] of the wrong-answer distribution (needs
        m ≥ 2); None: uniform over the m alternatives.

    Every parameter must be a real number (``bool`` and ``str`` are refused); a value out
    of its range raises ``ValueError`` naming it.
    """

    a: float
    b: float
    agent_tpr: float = 1.0
    agent_fpr: float = 0.0
    principal_tpr: float = 1.0
    principal_fpr: float = 0.0
    diversity: float | None = None
    wrong_answers: int = 1
    wrong_concentration: float | None = None

    def __post_init__(self) -> None:
        lo, hi = BETA_SHAPE_RANGE
        for name in ("a", "b"):
            object.__setattr__(self, name, in_range(name, getattr(self, name), lo, hi))
        for name in ("agent_tpr", "agent_fpr", "principal_tpr", "principal_fpr"):
            object.__setattr__(self, name, in_range(name, getattr(self, name), 0.0, 1.0))
        if self.diversity is not None:
            object.__setattr__(self, "diversity", in_range("diversity", self.diversity, lo, hi))
        object.__setattr__(self, "wrong_answers", positive_int("wrong_answers", self.wrong_answers))
        if self.wrong_concentration is not None:
            if self.wrong_answers < 2:
                raise ValueError(
                    "wrong_concentration needs wrong_answers >= 2, got "
                    f"wrong_answers={self.wrong_answers}"
                )
            object.__setattr__(
                self,
                "wrong_concentration",
                in_range("wrong_concentration", self.wrong_concentration, lo, hi),
            )

    @classmethod
    def from_mean_icc(cls, mean: float, icc: float, **kwargs: Any) -> BernoulliModel:
        """Model B with Beta difficulty of mean a/(a+b) = ``mean`` and intra-class
        correlation 1/(a+b+1) = ``icc``; both in (0, 1), and the shapes they give must lie
        in :data:`BETA_SHAPE_RANGE`. Other keywords (not ``a`` or ``b``) pass through.

        Examples
        --------
        >>> BernoulliModel.from_mean_icc(0.25, 0.2).a
        1.0
        """
        valid = [f.name for f in fields(cls) if f.name not in ("a", "b")]
        for key in kwargs:
            if key not in valid:
                given = "a= and b= or mean= and icc=, not both" if key in ("a", "b") else None
                raise ValueError(
                    f"from_mean_icc has no parameter {key!r}: give {given}"
                    if given
                    else f"from_mean_icc has no parameter {key!r}; valid names: mean, icc, "
                    + ", ".join(valid)
                )
        m = in_range("mean", mean, 0.0, 1.0, lo_open=True, hi_open=True)
        r = in_range("icc", icc, 0.0, 1.0, lo_open=True, hi_open=True)
        total = 1.0 / r - 1.0
        a, b = m * total, (1.0 - m) * total
        lo, hi = BETA_SHAPE_RANGE
        if not (lo <= a <= hi and lo <= b <= hi):
            raise ValueError(
                f"mean={mean!r} and icc={icc!r} give Beta shapes a={a:.3g}, b={b:.3g}; "
                f"both must lie in [{lo:g}, {hi:g}]"
            )
        return cls(a=a, b=b, **kwargs)

    @property
    def mean(self) -> float:
        """E θ = a/(a+b), the accuracy of one random candidate."""
        return self.a / (self.a + self.b)

    @property
    def icc(self) -> float:
        """Intra-class correlation 1/(a+b+1) of two candidates' correctness."""
        return 1.0 / (self.a + self.b + 1.0)

    @property
    def exact_principal(self) -> bool:
        """True when the principal's verifier is perfect (s′ = 1, f′ = 0)."""
        return self.principal_tpr == 1.0 and self.principal_fpr == 0.0

    def sample(
        self, rng: np.random.Generator, agents: int, per_agent: int, trials: int = 1
    ) -> BernoulliDraws:
        r"""Draw ``trials`` questions of M = ``agents`` × K = ``per_agent`` candidates.

        θ ~ Beta(a, b); with diversity c, θ_a | θ ~ Beta(cθ, c(1−θ)) per agent, else
        θ_a = θ; correct_{a,k} ~ Bernoulli(θ_a) iid; a wrong candidate's answer is one of
        the m alternatives, uniform or with question-level probabilities
        w ~ Dirichlet(α,…,α); the agent's verdict y ~ Bernoulli(s) if correct, Bernoulli(f)
        if wrong, the principal's x̂ likewise with (s′, f′). Drawn literally.

        Parameters
        ----------
        rng : numpy.random.Generator
            The random stream.
        agents, per_agent, trials : int
            Pool layout M × K and the number of questions, each ≥ 1.

        Returns
        -------
        BernoulliDraws
            ``correct``, ``answer`` (0 = the correct answer, 1..m wrong ones), verdicts
            ``y`` and ``xhat`` (0/1 floats), shape (trials, M, K), and ``theta`` (trials, M).

        Examples
        --------
        >>> d = BernoulliModel(2.0, 2.0).sample(np.random.default_rng(0), 3, 2, trials=5)
        >>> d.correct.shape, bool(np.all((d.answer == 0) == d.correct))
        ((5, 3, 2), True)
        """
        t = positive_int("trials", trials)
        m = positive_int("agents", agents)
        k = positive_int("per_agent", per_agent)
        theta = rng.beta(self.a, self.b, size=(t, 1))
        if self.diversity is not None:
            c = self.diversity
            th = np.clip(theta, 1e-300, 1.0 - 1e-16)
            theta = rng.beta(c * th, c * (1.0 - th), size=(t, m))
        else:
            theta = np.broadcast_to(theta, (t, m))
        correct = rng.random((t, m, k)) < theta[:, :, None]
        u_y, u_x = rng.random((t, m, k)), rng.random((t, m, k))
        y = np.where(correct, u_y < self.agent_tpr, u_y < self.agent_fpr)
        xhat = np.where(correct, u_x < self.principal_tpr, u_x < self.principal_fpr)
        n_wrong = self.wrong_answers
        u_w = rng.random((t, m, k))
        if self.wrong_concentration is not None:
            w = rng.dirichlet(np.full(n_wrong, self.wrong_concentration), size=t)
            cdf = np.cumsum(w, axis=1)[:, :-1]
            wrong = 1 + (u_w[..., None] > cdf[:, None, None, :]).sum(axis=-1)
        else:
            wrong = 1 + np.minimum((u_w * n_wrong).astype(np.int64), n_wrong - 1)
        answer = np.where(correct, 0, wrong)
        return BernoulliDraws(correct, answer, y.astype(float), xhat.astype(float), np.array(theta))


TABLE_COLUMNS: tuple[str, ...] = (
    "question",
    "agent",
    "sample",
    "correct",
    "answer",
    "agent_score",
    "principal_score",
    "tokens",
)
"""The tidy per-candidate table of a pool, one row per candidate:

* ``question`` (str) question id; ``agent`` (str) agent name; ``sample`` (int ≥ 0) sample
  index within the agent;
* ``correct`` (bool or 0/1) x = 1{candidate correct};
* ``answer`` (int) answer class id within the question (equal ids = equivalent answers;
  −1 = unparsed, a class of its own);
* ``agent_score`` (float) y; ``principal_score`` (float) x̂; ``tokens`` (int ≥ 0, optional)
  tokens the candidate cost.

Every (question, agent) must hold the same samples 0..K−1 and every question the same agents.
"""

VOTE_SHARE_MODES: tuple[str | None, ...] = (None, "primary", "tiebreak")


@dataclass(frozen=True, eq=False)
class EmpiricalPool:
    """Recorded candidates from real runs: Q questions × A agents × K candidates each.

    Protocols read sub-pools of these candidates (:mod:`align_theory.exact.empirical` averages
    over all of them exactly; the Monte Carlo engine draws a question at a time).

    Parameters
    ----------
    correct : array of bool, shape (Q, A, K)
        x = 1{candidate correct}.
    answers : array of int, shape (Q, A, K)
        Canonical answer ids per question (equal ids = equivalent answers; -1 = unparsed,
        each unparsed candidate a class of its own).
    agent_score : array of float, shape (Q, A, K)
        The agent's score y of each candidate (compared only with equal-or-not and order:
        ties are equal scores, never broken by noise).
    principal_score : array of float, shape (Q, A, K)
        The principal's evaluation x̂ of each candidate.
    name : str
        A label.
    tokens : array of float, shape (Q, A, K), optional
        Tokens each candidate cost (for cost tables); zeros when absent.
    questions : tuple of str, optional
        Question ids (cross-fitting folds and table export).
    agents : tuple of str, optional
        Agent names.
    vote_share : None, "primary" or "tiebreak"
        How an agent ranks its candidates: by ``agent_score`` (None); by the vote share of
        the candidate's answer among the candidates the agent holds in the sub-pool, ties
        broken by ``agent_score`` ("primary": self-consistency inside the agent, its report
        is the share); or by ``agent_score`` with that share breaking ties ("tiebreak").
    """

    correct: np.ndarray
    answers: np.ndarray
    agent_score: np.ndarray
    principal_score: np.ndarray
    name: str = field(default="empirical")
    tokens: np.ndarray | None = None
    questions: tuple[str, ...] | None = None
    agents: tuple[str, ...] | None = None
    vote_share: str | None = None

    def __post_init__(self) -> None:
        arrays = {}
        for nm in ("correct", "answers", "agent_score", "principal_score"):
            arr = np.asarray(getattr(self, nm))
            if arr.ndim != 3 or min(arr.shape) < 1:
                raise ValueError(
                    f"{nm} must have shape (Q, A, K) with Q, A, K >= 1, got {arr.shape}"
                )
            if arr.dtype.kind not in "biuf":
                raise ValueError(f"{nm} must hold numbers, got an array of dtype {arr.dtype}")
            if nm == "answers" and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
                raise ValueError("answers must hold integer answer ids")
            arrays[nm] = arr
        shape = arrays["correct"].shape
        tok = np.zeros(shape) if self.tokens is None else np.asarray(self.tokens, dtype=float)
        arrays["tokens"] = tok
        for nm, arr in arrays.items():
            if arr.shape != shape:
                raise ValueError(f"{nm} must have shape {shape} like correct, got {arr.shape}")
        for nm in ("agent_score", "principal_score", "tokens"):
            if not np.all(np.isfinite(arrays[nm].astype(float))):
                bad = np.argwhere(~np.isfinite(arrays[nm].astype(float)))[0]
                raise ValueError(
                    f"{nm} must be finite everywhere, got a non-finite at {tuple(bad)}"
                )
        if self.vote_share not in VOTE_SHARE_MODES:
            raise ValueError(
                f"vote_share must be one of {VOTE_SHARE_MODES}, got {self.vote_share!r}"
            )
        q, a, _ = shape
        for nm, size in (("questions", q), ("agents", a)):
            val = getattr(self, nm)
            if val is not None:
                val = tuple(str(v) for v in val)
                if len(val) != size:
                    raise ValueError(f"{nm} must name {size} entries, got {len(val)}")
                object.__setattr__(self, nm, val)
        object.__setattr__(self, "correct", arrays["correct"].astype(bool))
        object.__setattr__(self, "answers", arrays["answers"].astype(np.int64))
        object.__setattr__(self, "agent_score", arrays["agent_score"].astype(float))
        object.__setattr__(self, "principal_score", arrays["principal_score"].astype(float))
        object.__setattr__(self, "tokens", tok)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(Q, A, K): questions, agents, candidates per agent."""
        q, a, k = self.correct.shape
        return int(q), int(a), int(k)

    def tie_scale(self, scores: str) -> float:
        """Half the smallest gap between distinct values of ``scores`` (``"agent_score"`` or
        ``"principal_score"``), 1 when all are equal: a uniform tie-break scaled by it orders
        only equal scores, never continuous ones (the Monte Carlo engines use it).

        Examples
        --------
        >>> z = np.zeros((1, 1, 3))
        >>> pool = EmpiricalPool(z, z, np.array([[[0.6, 0.4, 0.6]]]), z)
        >>> round(pool.tie_scale("agent_score"), 6)
        0.1
        """
        if scores not in ("agent_score", "principal_score"):
            raise ValueError(f"scores must be 'agent_score' or 'principal_score', got {scores!r}")
        d = np.diff(np.unique(getattr(self, scores).astype(np.float32)))
        return 0.5 * float(d.min()) if d.size else 1.0

    def answer_classes(self) -> np.ndarray:
        """``answers`` with every unparsed (−1) candidate given a class of its own.

        Examples
        --------
        >>> z = np.zeros((1, 1, 3))
        >>> EmpiricalPool(z, np.array([[[-1, -1, 2]]]), z, z).answer_classes().tolist()
        [[[3, 4, 2]]]
        """
        _, a, k = self.shape
        base = int(max(self.answers.max(), -1)) + 1
        own = base + np.arange(a * k).reshape(1, a, k)
        return np.where(self.answers < 0, own, self.answers)

    def pooled(self) -> EmpiricalPool:
        """The same candidates as one pipeline: shape (Q, 1, A·K) (vote shares pooled).

        Examples
        --------
        >>> z = np.zeros((2, 4, 4))
        >>> EmpiricalPool(z, z, z, z).pooled().shape
        (2, 1, 16)
        """
        q, a, k = self.shape
        flat = (q, 1, a * k)
        return EmpiricalPool(
            self.correct.reshape(flat),
            self.answer_classes().reshape(flat),
            self.agent_score.reshape(flat),
            self.principal_score.reshape(flat),
            name=f"{self.name} (pooled)",
            tokens=None if self.tokens is None else self.tokens.reshape(flat),
            questions=self.questions,
            agents=("pooled",),
            vote_share=self.vote_share,
        )

    def with_scores(
        self,
        agent_score: np.ndarray | None = None,
        principal_score: np.ndarray | None = None,
        vote_share: str | bool | None = False,
    ) -> EmpiricalPool:
        """A copy with other scores (``vote_share=False`` keeps the current mode).

        Examples
        --------
        >>> z = np.zeros((1, 1, 2))
        >>> EmpiricalPool(z, z, z, z).with_scores(vote_share="primary").vote_share
        'primary'
        """
        return EmpiricalPool(
            self.correct,
            self.answers,
            self.agent_score if agent_score is None else agent_score,
            self.principal_score if principal_score is None else principal_score,
            name=self.name,
            tokens=self.tokens,
            questions=self.questions,
            agents=self.agents,
            vote_share=self.vote_share if vote_share is False else vote_share,  # type: ignore[arg-type]
        )

    # ------------------------------------------------------------------ tables

    def to_columns(self) -> dict[str, list[Any]]:
        """The tidy table (:data:`TABLE_COLUMNS`) as a dict of equal-length lists.

        Examples
        --------
        >>> z = np.zeros((1, 2, 1))
        >>> EmpiricalPool(z, z, z, z).to_columns()["agent"]
        ['a0', 'a1']
        """
        q, a, k = self.shape
        qids = self.questions or tuple(f"q{i}" for i in range(q))
        names = self.agents or tuple(f"a{i}" for i in range(a))
        qi, ai, ki = (x.ravel() for x in np.indices((q, a, k)))
        tok = self.tokens if self.tokens is not None else np.zeros(self.shape)
        return {
            "question": [qids[i] for i in qi],
            "agent": [names[i] for i in ai],
            "sample": ki.tolist(),
            "correct": self.correct.ravel().tolist(),
            "answer": self.answers.ravel().tolist(),
            "agent_score": self.agent_score.ravel().tolist(),
            "principal_score": self.principal_score.ravel().tolist(),
            "tokens": tok.ravel().tolist(),
        }

    def to_table(self, path: str | Path) -> Path:
        """Write the tidy per-candidate table to ``path``: Parquet (``.parquet``), CSV
        (``.csv``) or JSON lines (``.jsonl``). The pool's name and vote-share mode travel
        in the Parquet metadata (pass them to :meth:`from_table` for CSV/JSONL).

        Examples
        --------
        >>> import tempfile, os
        >>> z = np.zeros((1, 1, 2))
        >>> d = tempfile.mkdtemp()
        >>> pool = EmpiricalPool(z, z, z, z, vote_share="primary")
        >>> p = pool.to_table(os.path.join(d, "t.parquet"))
        >>> EmpiricalPool.from_table(p).vote_share
        'primary'
        """
        import json

        import pyarrow as pa

        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        cols = self.to_columns()
        meta = {"name": self.name, "vote_share": self.vote_share}
        table = pa.table(cols).replace_schema_metadata({"align_pool": json.dumps(meta)})
        suffix = out.suffix.lower()
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, out)
        elif suffix == ".csv":
            import pyarrow.csv as pcsv

            pcsv.write_csv(table, out)
        elif suffix == ".jsonl":
            with out.open("w") as fh:
                for row in table.to_pylist():
                    fh.write(json.dumps(row) + "\n")
        else:
            raise ValueError(f"path must end in .parquet, .csv or .jsonl, got {out.name!r}")
        return out

    @classmethod
    def from_table(
        cls,
        source: Any,
        *,
        name: str | None = None,
        vote_share: str | bool | None = False,
    ) -> EmpiricalPool:
        """A pool from the tidy per-candidate table (:data:`TABLE_COLUMNS`).

        ``source``: a path to a Parquet, CSV or JSON-lines file, a ``pyarrow.Table``, a
        data frame (anything with ``to_dict("list")``) or a dict of columns. Questions and
        agents keep their order of first appearance. A missing column, a bad value or a
        ragged grid raises ``ValueError`` naming the column and the row.
        ``vote_share=False`` reads the mode from the Parquet metadata (else None).

        Examples
        --------
        >>> t = {"question": ["q", "q"], "agent": ["a", "a"], "sample": [0, 1],
        ...      "correct": [1, 0], "answer": [0, 1], "agent_score": [0.6, 0.4],
        ...      "principal_score": [0.6, 0.4]}
        >>> EmpiricalPool.from_table(t).shape
        (1, 1, 2)
        >>> del t["answer"]
        >>> EmpiricalPool.from_table(t)
        Traceback (most recent call last):
        ...
        ValueError: table lacks column 'answer' (see TABLE_COLUMNS)
        """

        cols, meta = _read_columns(source)
        mode = meta.get("vote_share") if vote_share is False else vote_share
        return _pool_from_columns(
            cols,
            name or str(meta.get("name") or "empirical"),
            mode,  # type: ignore[arg-type]
        )

    @classmethod
    def from_run(cls, path: str | Path) -> EmpiricalPool:
        """The pool of a stored run folder, from its graded table ``candidates.parquet``.

        ``align llm replay RUN`` (or ``align llm report``) grades a run once and writes that
        table (keyed by the checker's version); the committed example run carries it. The
        run's agents rank by vote share within their samples (``vote_share="primary"``),
        with the mean token log-probability as ``agent_score``, and the judge's P(yes) as
        ``principal_score``.

        Examples
        --------
        The stored run of the repository (a checkout, not an installed wheel):

        >>> import align_theory
        >>> run = Path(align_theory.__file__).parents[1] / "runs" / "gsm8k-qwen0.5b-m4k4"
        >>> EmpiricalPool.from_run(run).shape
        (50, 4, 4)
        """
        folder = Path(path)
        table = folder / "candidates.parquet"
        if not table.exists():
            raise FileNotFoundError(
                f"{table} does not exist: grade the run first with `align llm replay {folder}`"
            )
        return cls.from_table(table)


def _read_columns(source: Any) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    import json

    import pyarrow as pa

    meta: dict[str, Any] = {}
    if isinstance(source, str | Path):
        p = Path(source)
        if not p.exists():
            raise FileNotFoundError(f"table {p} does not exist")
        suffix = p.suffix.lower()
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(p)
        elif suffix == ".csv":
            import pyarrow.csv as pcsv

            table = pcsv.read_csv(p)
        elif suffix in (".jsonl", ".json"):
            rows = []
            with p.open() as fh:
                for i, line in enumerate(fh):
                    if line.strip():
                        try:
                            rows.append(json.loads(line))
                        except ValueError:
                            raise ValueError(f"{p}: row {i} is not valid JSON") from None
            keys = list(dict.fromkeys(k for r in rows for k in r))
            return {k: [r.get(k) for r in rows] for k in keys}, meta
        else:
            raise ValueError(f"table must end in .parquet, .csv or .jsonl, got {p.name!r}")
    elif isinstance(source, pa.Table):
        table = source
    elif isinstance(source, dict):
        return {str(k): list(v) for k, v in source.items()}, meta
    elif hasattr(source, "to_dict"):
        return {str(k): list(v) for k, v in source.to_dict("list").items()}, meta
    else:
        raise TypeError(f"source must be a path, pyarrow.Table, data frame or dict, got {source!r}")
    raw = (table.schema.metadata or {}).get(b"align_pool")
    if raw:
        meta = json.loads(raw)
    return {n: table.column(n).to_pylist() for n in table.column_names}, meta


def _pool_from_columns(
    cols: dict[str, list[Any]], name: str, vote_share: str | None
) -> EmpiricalPool:
    need = TABLE_COLUMNS[:-1]
    for c in need:
        if c not in cols:
            raise ValueError(f"table lacks column {c!r} (see TABLE_COLUMNS)")
    rows = len(cols["question"])
    for c in (*need, "tokens"):
        if c in cols and len(cols[c]) != rows:
            raise ValueError(f"column {c!r} has {len(cols[c])} rows, question has {rows}")
    if rows == 0:
        raise ValueError("table has no rows")

    def num(col: str, i: int, kind: type) -> Any:
        v = cols[col][i]
        try:
            if kind is bool:
                if isinstance(v, str):
                    low = v.strip().lower()
                    if low in ("true", "1", "1.0"):
                        return True
                    if low in ("false", "0", "0.0"):
                        return False
                    raise ValueError
                if v not in (0, 1, True, False):
                    raise ValueError
                return bool(v)
            if v is None or isinstance(v, bool):
                raise ValueError
            out = kind(v)
            if kind is int and float(v) != out:
                raise ValueError
            if kind is float and not math.isfinite(out):
                raise ValueError
            return out
        except (TypeError, ValueError):
            want = {bool: "true/false or 0/1", int: "an integer", float: "a finite number"}
            raise ValueError(f"column {col!r}, row {i}: expected {want[kind]}, got {v!r}") from None

    qids = list(dict.fromkeys(str(v) for v in cols["question"]))
    names = list(dict.fromkeys(str(v) for v in cols["agent"]))
    q_of = {s: i for i, s in enumerate(qids)}
    a_of = {s: i for i, s in enumerate(names)}
    samples = [num("sample", i, int) for i in range(rows)]
    for i, s in enumerate(samples):
        if s < 0:
            raise ValueError(f"column 'sample', row {i}: expected an index >= 0, got {s}")
    k = max(samples) + 1
    shape = (len(qids), len(names), k)
    seen = np.full(shape, -1, dtype=np.int64)
    arrs = {
        "correct": np.zeros(shape, dtype=bool),
        "answer": np.zeros(shape, dtype=np.int64),
        "agent_score": np.zeros(shape),
        "principal_score": np.zeros(shape),
        "tokens": np.zeros(shape),
    }
    kinds = {
        "correct": bool,
        "answer": int,
        "agent_score": float,
        "principal_score": float,
        "tokens": float,
    }
    for i in range(rows):
        cell = (q_of[str(cols["question"][i])], a_of[str(cols["agent"][i])], samples[i])
        if seen[cell] >= 0:
            raise ValueError(
                f"row {i}: question {qids[cell[0]]!r}, agent {names[cell[1]]!r}, sample "
                f"{cell[2]} repeats row {seen[cell]}"
            )
        seen[cell] = i
        for col, kind in kinds.items():
            if col == "tokens" and "tokens" not in cols:
                continue
            arrs[col][cell] = num(col, i, kind)
    if np.any(seen < 0):
        q, a, s = np.argwhere(seen < 0)[0]
        raise ValueError(
            f"table is ragged: question {qids[q]!r}, agent {names[a]!r} lacks sample {s} "
            f"(every question needs every agent with samples 0..{k - 1})"
        )
    return EmpiricalPool(
        arrs["correct"],
        arrs["answer"],
        arrs["agent_score"],
        arrs["principal_score"],
        name=name,
        tokens=arrs["tokens"],
        questions=tuple(qids),
        agents=tuple(names),
        vote_share=vote_share,
    )


Model = GaussianModel | BernoulliModel | EmpiricalPool


def bayes_weights(model: GaussianModel) -> tuple[float, float]:
    r"""(w_y, w_x̂) = ``model.linear_weights``: the weights of the ``linear`` principal.

    The name is historical: the linear score ranks as the posterior mean (``bayes``) only
    when ρ_b = ρ_w (:mod:`align_theory.exact.posterior` computes the posterior otherwise).

    Examples
    --------
    >>> bayes_weights(GaussianModel(tau=0.0, kappa=1.0))  # perfect agent: trust y only
    (1.0, 0.0)
    """
    return model.linear_weights


def sample(
    model: GaussianModel | BernoulliModel,
    rng: np.random.Generator,
    agents: int,
    per_agent: int,
    trials: int = 1,
) -> GaussianDraws | BernoulliDraws:
    """``model.sample(rng, agents, per_agent, trials)``: the one numpy law of each model.

    Examples
    --------
    >>> sample(GaussianModel(), np.random.default_rng(1), 4, 4, 10).x.shape
    (10, 4, 4)
    """
    if not isinstance(model, GaussianModel | BernoulliModel):
        raise TypeError(f"model must be a GaussianModel or BernoulliModel, got {model!r}")
    return model.sample(rng, agents, per_agent, trials)
