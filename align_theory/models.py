"""Candidate models: the joint law of (x, y, x̂) over the N = M·K candidates of a question.

Notation follows DESIGN.md section 1: agent a = 1..M draws K candidates ω_{a,k};
x is the principal's utility, y the agent's private score, x̂ the principal's evaluation.

* :class:`GaussianModel` — model G, nested Gaussian (question, agent, candidate levels).
* :class:`BernoulliModel` — model B, latent Beta difficulty and discrete answers.
* :class:`EmpiricalPool` — recorded candidates of real LLM runs, replayed.

All models are frozen dataclasses validated at construction: a bad value raises
``ValueError`` naming the parameter, the value and the allowed range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from align_theory._validate import finite, in_range, positive_int

__all__ = [
    "BernoulliDraws",
    "BernoulliModel",
    "EmpiricalPool",
    "GaussianDraws",
    "GaussianModel",
    "Model",
    "bayes_weights",
    "sample",
]


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
        Mean utility μ (any finite real).
    sigma : float
        Total standard deviation σ of x, > 0.
    rho_between : float
        Correlation ρ_b of two candidates from different agents, 0 ≤ ρ_b ≤ ρ_w.
    rho_within : float
        Correlation ρ_w of two candidates from the same agent, ρ_b ≤ ρ_w ≤ 1.
    tau : float
        Agent-score noise τ ≥ 0 (τ = 0: the agent ranks its candidates perfectly).
    kappa : float
        Principal evaluation noise κ ≥ 0 (κ = 0 with β = 0: exact evaluation).
    beta : float
        Judge bias loading β ≥ 0 on the candidate feature b(ω) the judge rewards.
    agent_offsets : tuple of float or None
        Per-agent score offsets c_a (miscalibration between agents); None means all zero.
        Agent a uses ``agent_offsets[a % len(agent_offsets)]``.
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
        object.__setattr__(self, "mu", finite("mu", self.mu))
        object.__setattr__(self, "sigma", in_range("sigma", self.sigma, 0.0, lo_open=True))
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
            object.__setattr__(self, name, in_range(name, getattr(self, name), 0.0))
        if self.agent_offsets is not None:
            offs = tuple(finite(f"agent_offsets[{i}]", c) for i, c in enumerate(self.agent_offsets))
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
        x̂ = x + βb + κν, every standard normal independent (the law of DESIGN's model G,
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
        Beta shape parameters, > 0.
    agent_tpr, agent_fpr, principal_tpr, principal_fpr : float
        Verifier rates in [0, 1].
    diversity : float or None
        Concentration c > 0 of agent-level difficulty around θ_q; None: no diversity.
    wrong_answers : int
        Number m ≥ 1 of distinct wrong answers.
    wrong_concentration : float or None
        Dirichlet concentration α > 0 of the wrong-answer distribution (needs m ≥ 2);
        None: uniform over the m alternatives.
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
        for name in ("a", "b"):
            object.__setattr__(self, name, in_range(name, getattr(self, name), 0.0, lo_open=True))
        for name in ("agent_tpr", "agent_fpr", "principal_tpr", "principal_fpr"):
            object.__setattr__(self, name, in_range(name, getattr(self, name), 0.0, 1.0))
        if self.diversity is not None:
            object.__setattr__(
                self, "diversity", in_range("diversity", self.diversity, 0.0, lo_open=True)
            )
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
                in_range("wrong_concentration", self.wrong_concentration, 0.0, lo_open=True),
            )

    @classmethod
    def from_mean_icc(cls, mean: float, icc: float, **kwargs: Any) -> BernoulliModel:
        """Model B with Beta difficulty of mean a/(a+b) = ``mean`` and intra-class
        correlation 1/(a+b+1) = ``icc``; both in (0, 1). Other keywords pass through."""
        m = in_range("mean", mean, 0.0, 1.0, lo_open=True, hi_open=True)
        r = in_range("icc", icc, 0.0, 1.0, lo_open=True, hi_open=True)
        total = 1.0 / r - 1.0
        return cls(a=m * total, b=(1.0 - m) * total, **kwargs)

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


@dataclass(frozen=True, eq=False)
class EmpiricalPool:
    """Recorded candidates from real runs, replayed as a distribution over questions.

    Arrays have shape (Q, A, K): Q questions, A agents, K candidates each. A draw picks a
    question uniformly at random; protocols then use the recorded candidates of that question
    (agents and candidates in the recorded order, or subsampled without replacement).

    Parameters
    ----------
    correct : array of bool, shape (Q, A, K)
        x = 1{candidate correct}.
    answers : array of int, shape (Q, A, K)
        Canonical answer ids per question (equal ids = equivalent answers; -1 = unparsed).
    agent_score : array of float, shape (Q, A, K)
        The agent's score y of each candidate.
    principal_score : array of float, shape (Q, A, K)
        The principal's evaluation x̂ of each candidate.
    """

    correct: np.ndarray
    answers: np.ndarray
    agent_score: np.ndarray
    principal_score: np.ndarray
    name: str = field(default="empirical")

    def __post_init__(self) -> None:
        arrays = {}
        for nm in ("correct", "answers", "agent_score", "principal_score"):
            arr = np.asarray(getattr(self, nm))
            if arr.ndim != 3 or min(arr.shape) < 1:
                raise ValueError(
                    f"{nm} must have shape (Q, A, K) with Q, A, K >= 1, got {arr.shape}"
                )
            arrays[nm] = arr
        shape = arrays["correct"].shape
        for nm, arr in arrays.items():
            if arr.shape != shape:
                raise ValueError(f"{nm} must have shape {shape} like correct, got {arr.shape}")
        if not np.all(np.isfinite(arrays["agent_score"])) or not np.all(
            np.isfinite(arrays["principal_score"])
        ):
            raise ValueError("agent_score and principal_score must be finite everywhere")
        object.__setattr__(self, "correct", arrays["correct"].astype(bool))
        object.__setattr__(self, "answers", arrays["answers"].astype(np.int64))
        object.__setattr__(self, "agent_score", arrays["agent_score"].astype(float))
        object.__setattr__(self, "principal_score", arrays["principal_score"].astype(float))

    @property
    def shape(self) -> tuple[int, int, int]:
        """(Q, A, K): questions, agents, candidates per agent."""
        q, a, k = self.correct.shape
        return int(q), int(a), int(k)


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
