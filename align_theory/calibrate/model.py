r"""The extended model B: model B's verdict law plus continuous agent and principal scores.

Real agents and judges give scores, not verdicts. The extension keeps model B's law of
correctness and answers (Beta difficulty, agent diversity, Dirichlet wrong answers: drawn by
:meth:`align_theory.models.BernoulliModel.sample`) and replaces the two verifiers by score
laws conditional on correctness (docs/model.md, "Calibrating the model to a recorded pool"):

* :class:`ScoreLaw` — on a transformed scale z = g(s) (logit for scores in [0, 1]),
  z_{q,i} = u_q + μ_c + σ_c ε_{q,i}, a binormal ROC with a question intercept u_q ~ N(0, τ²);
* :class:`ExtendedModel` — the verdict part, the principal's score law, and the agent score:
  either ``"vote"`` (agents rank by the vote share of the candidate's answer among the
  samples they hold, ties broken by g⁻¹(z), z from the agent law: the recorded runs' own
  rule, with the mean token log-probability as the tie-break; the pool's
  ``vote_share="primary"``) or ``"law"`` (y = g⁻¹(z) directly).

:meth:`ExtendedModel.sample_pool` draws a synthetic :class:`~align_theory.models.EmpiricalPool`
that the pool engine evaluates exactly like a recorded one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special

from align_theory._validate import finite, in_range, positive_int
from align_theory.models import BernoulliModel, EmpiricalPool

__all__ = ["AGENT_SCORE_MODES", "ExtendedModel", "ScoreLaw"]

AGENT_SCORE_MODES: tuple[str, ...] = ("vote", "law")

_TRANSFORMS = ("logit", "identity")
_MAX_CELLS = 2.0e7  # booleans per chunk of BernoulliModel.sample with m wrong answers


@dataclass(frozen=True)
class ScoreLaw:
    r"""A score conditional on correctness: z = u_q + μ_c + σ_c ε on the scale z = g(s).

    Parameters
    ----------
    mean_wrong, mean_correct : float
        μ₀, μ₁: the means of z for wrong and right candidates.
    sd_wrong, sd_correct : float
        σ₀, σ₁ > 0: their within-question standard deviations.
    question_sd : float
        τ ≥ 0: the standard deviation of the question intercept u_q (shared by the
        question's candidates, independent of the question's difficulty).
    transform : {"logit", "identity"}
        g: the score is s = σ(z) in (0, 1) for ``"logit"``, s = z for ``"identity"``.
    """

    mean_wrong: float
    mean_correct: float
    sd_wrong: float
    sd_correct: float
    question_sd: float = 0.0
    transform: str = "logit"

    def __post_init__(self) -> None:
        for name in ("mean_wrong", "mean_correct"):
            object.__setattr__(self, name, finite(name, getattr(self, name)))
        for name in ("sd_wrong", "sd_correct"):
            object.__setattr__(self, name, in_range(name, getattr(self, name), 0.0, lo_open=True))
        object.__setattr__(self, "question_sd", in_range("question_sd", self.question_sd, 0.0))
        if self.transform not in _TRANSFORMS:
            raise ValueError(f"transform must be one of {_TRANSFORMS}, got {self.transform!r}")

    @property
    def auc(self) -> float:
        r"""Within-question AUC Φ((μ₁ − μ₀)/√(σ₀² + σ₁²)): P(a right candidate outscores a
        wrong one of the same question).

        Examples
        --------
        >>> ScoreLaw(0.0, 0.0, 1.0, 1.0).auc
        0.5
        """
        return float(
            special.ndtr(
                (self.mean_correct - self.mean_wrong) / math.hypot(self.sd_wrong, self.sd_correct)
            )
        )

    def sample(self, rng: np.random.Generator, correct: np.ndarray) -> np.ndarray:
        """Scores for candidates ``correct`` of shape (Q, ...): one intercept per question.

        Examples
        --------
        >>> law = ScoreLaw(-1.0, 1.0, 0.5, 0.5, 0.3)
        >>> s = law.sample(np.random.default_rng(0), np.ones((2000, 2, 2), bool))
        >>> bool(0.7 < s.mean() < 0.75), bool((0 < s).all() and (s < 1).all())
        (True, True)
        """
        c = np.asarray(correct, dtype=bool)
        u = self.question_sd * rng.standard_normal((c.shape[0],) + (1,) * (c.ndim - 1))
        eps = rng.standard_normal(c.shape)
        z = u + np.where(
            c, self.mean_correct + self.sd_correct * eps, self.mean_wrong + self.sd_wrong * eps
        )
        return np.asarray(special.expit(z) if self.transform == "logit" else z)


@dataclass(frozen=True)
class ExtendedModel:
    """Model B's correctness and answers with continuous agent and principal scores.

    Parameters
    ----------
    verdicts : BernoulliModel
        Difficulty (a, b), diversity c and wrong answers (m, α); its verifier rates are not
        used (the score laws replace them).
    principal : ScoreLaw
        The principal's evaluation x̂.
    agent : ScoreLaw
        The agent's score (``agent_score="law"``) or its tie-break (``"vote"``).
    agent_score : {"vote", "law"}
        How y is formed (module docstring).
    """

    verdicts: BernoulliModel
    principal: ScoreLaw
    agent: ScoreLaw
    agent_score: Literal["vote", "law"] = "vote"

    def __post_init__(self) -> None:
        if not isinstance(self.verdicts, BernoulliModel):
            raise ValueError(f"verdicts must be a BernoulliModel, got {self.verdicts!r}")
        for name in ("principal", "agent"):
            if not isinstance(getattr(self, name), ScoreLaw):
                raise ValueError(f"{name} must be a ScoreLaw, got {getattr(self, name)!r}")
        if self.agent_score not in AGENT_SCORE_MODES:
            raise ValueError(
                f"agent_score must be one of {AGENT_SCORE_MODES}, got {self.agent_score!r}"
            )

    def sample_pool(
        self, rng: np.random.Generator, questions: int, agents: int, per_agent: int
    ) -> EmpiricalPool:
        r"""Draw a synthetic pool of ``questions`` × ``agents`` × ``per_agent`` candidates.

        Correctness and answers come from ``verdicts.sample`` (in chunks of questions when
        the m wrong alternatives make one call large; answer 0 is the right one), then
        x̂ from the principal law and the agent score from the agent law (with
        ``vote_share="primary"`` in the ``"vote"`` mode: the pool engine ranks by vote share
        within each agent's sub-pool and breaks ties by it), every question independent.

        Examples
        --------
        >>> law = ScoreLaw(-1.0, 1.0, 1.0, 1.0)
        >>> mdl = ExtendedModel(BernoulliModel(1.0, 2.0, wrong_answers=3), law, law)
        >>> pool = mdl.sample_pool(np.random.default_rng(0), 10, 4, 4)
        >>> pool.shape, bool(np.all((pool.answers == 0) == pool.correct))
        ((10, 4, 4), True)
        """
        q = positive_int("questions", questions)
        m = positive_int("agents", agents)
        k = positive_int("per_agent", per_agent)
        alts = self.verdicts.wrong_answers if self.verdicts.wrong_concentration is not None else 1
        chunk = max(1, int(_MAX_CELLS // (m * k * alts)))
        parts = [
            self.verdicts.sample(rng, m, k, trials=min(chunk, q - s)) for s in range(0, q, chunk)
        ]
        correct = np.concatenate([d.correct for d in parts])
        answer = np.concatenate([d.answer for d in parts])
        xhat = self.principal.sample(rng, correct)
        y = self.agent.sample(rng, correct)
        mode = "primary" if self.agent_score == "vote" else None
        return EmpiricalPool(correct, answer, y, xhat, name="extended-model-B", vote_share=mode)
