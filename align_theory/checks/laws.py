r"""T2 beyond model G: non-Gaussian, non-exchangeable joint laws of (x, y, x̂) and the
held-out check of a report-aware principal against SingleAgent on them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from align_theory.checks.selection import pick, proposals, single_agent
from align_theory.models import GaussianDraws
from align_theory.results import Z_TOL, Report, paired_difference

__all__ = ["LAWS", "JointLaw", "check_t2_general"]


@dataclass(frozen=True)
class JointLaw:
    r"""A non-Gaussian, non-exchangeable candidate law for checking T1/T2 beyond model G.

    For agent a (offsets cycle when M exceeds the tuples' length) and candidate k,

        x_{a,k} = μ_a + q·Q + ε_{a,k},  y_{a,k} = x_{a,k} + c_a + τ_a η_{a,k},
        x̂_{a,k} = x_{a,k} + κ(1 + h|x_{a,k} − μ_a|) ν_{a,k},

    with Q, ε, η, ν independent, each standard normal (``df=None``) or Student-t with ``df``
    > 2 degrees of freedom rescaled to unit variance (heavy tails). Agent-specific means μ_a
    and report offsets c_a make agents non-exchangeable; τ_a varies the agents' noise and
    h > 0 makes the judge's noise heteroscedastic in x.

    Examples
    --------
    >>> d = JointLaw(df=5.0).draw(2, 3, 4, np.random.default_rng(0))
    >>> d.x.shape, float(np.abs(d.b).max())
    ((4, 2, 3), 0.0)
    """

    df: float | None = None
    agent_means: tuple[float, ...] = (0.0,)
    offsets: tuple[float, ...] = (0.0,)
    taus: tuple[float, ...] = (1.0,)
    kappa: float = 1.0
    hetero: float = 0.0
    question_sd: float = 0.5

    def __post_init__(self) -> None:
        if self.df is not None and not self.df > 2.0:
            raise ValueError(f"df must be > 2 (finite variance) or None, got {self.df}")
        for name in ("agent_means", "offsets", "taus"):
            if not getattr(self, name):
                raise ValueError(f"{name} must be a non-empty tuple")
        if min(self.taus) < 0 or self.kappa < 0 or self.hetero < 0 or self.question_sd < 0:
            raise ValueError("taus, kappa, hetero and question_sd must be >= 0")

    def _noise(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        if self.df is None:
            return rng.standard_normal(shape)
        return rng.standard_t(self.df, shape) / math.sqrt(self.df / (self.df - 2.0))

    def draw(
        self, agents: int, per_agent: int, trials: int, rng: np.random.Generator
    ) -> GaussianDraws:
        """Draw (x, y, x̂) of shape (trials, M, K); b is zero (no judge-rewarded feature)."""
        shape = (trials, agents, per_agent)
        idx = np.arange(agents)

        def per(values: tuple[float, ...]) -> np.ndarray:
            return np.asarray(values, dtype=float)[idx % len(values)][None, :, None]

        mu_a = per(self.agent_means)
        x = mu_a + self.question_sd * self._noise(rng, (trials, 1, 1)) + self._noise(rng, shape)
        y = x + per(self.offsets) + per(self.taus) * self._noise(rng, shape)
        scale = self.kappa * (1.0 + self.hetero * np.abs(x - mu_a))
        xhat = x + scale * self._noise(rng, shape)
        return GaussianDraws(x, y, xhat, np.zeros(shape))


LAWS: dict[str, JointLaw] = {
    "heavy-tails": JointLaw(df=3.0, kappa=1.0),
    "agent-offsets": JointLaw(
        agent_means=(0.0, 0.3, -0.2, 0.5), offsets=(0.0, 1.0, -0.5, 2.0), kappa=0.8
    ),
    "heteroscedastic": JointLaw(df=5.0, taus=(0.2, 0.5, 1.0, 2.0), kappa=0.7, hetero=1.0),
}
"""The non-Gaussian, non-exchangeable laws on which ``align verify`` checks T2."""


def _rule_scores(ys: np.ndarray, xh: np.ndarray, calib: np.ndarray) -> list[np.ndarray]:
    """The principal's rule family: argmax_a w(y*_a − ĉ_a) + (1−w)x̂*_a for w in
    {0, 0.1, …, 1} and ĉ ∈ {0, calib}; w = 1, ĉ = 0 (index 10) is "pick the max report"."""
    out = []
    for c in (np.zeros_like(calib), calib):
        for w in np.linspace(0.0, 1.0, 11):
            out.append(w * (ys - c) + (1.0 - w) * xh)
    return out


def check_t2_general(
    law: JointLaw,
    agents: int = 4,
    per_agent: int = 4,
    *,
    name: str = "",
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    r"""T2 for an arbitrary joint law, by Monte Carlo.

    The guarantee's logic: SingleAgent's pick (the global argmax y) is the proposal with the
    largest report, so "pick the max report" is a feasible principal rule and the Bayes
    principal, which maximises E[x | reports, x̂] over all feasible rules, does at least as
    well. The Bayes rule of a non-Gaussian law has no closed form, so this checks a lower
    bound on it honestly: (i) on every draw SA's output equals the max-report proposal's
    (pointwise identity, zero mismatches) and Align(exact) ≥ SA (T1); (ii) a principal that
    picks the best rule of a finite family containing "max report" (linear scores
    w(y − ĉ_a) + (1−w)x̂, ĉ_a calibrated offsets) on a training half of the draws is
    evaluated on the held-out half: its advantage over SA must be ≥ −Z_TOL standard
    errors. Value A: the chosen rule's advantage on the training half; value B: on the
    held-out half; stderr_b is the standard error of A − B (both halves). A and B disagree
    only if the choice overfits.

    Parameters
    ----------
    law : JointLaw
        The candidate law.
    agents, per_agent : int
        M agents × K candidates each.
    name : str
        The law's name in the report.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> check_t2_general(LAWS["agent-offsets"], 3, 3, trials=2000).passed
    True
    """
    rng = np.random.default_rng(seed)
    d = law.draw(agents, per_agent, trials, rng)
    xs, ys, xh = proposals(d)
    sa = single_agent(d)
    mismatch = int(np.count_nonzero(pick(xs, ys) != sa))
    t1_viol = int(np.count_nonzero(xs.max(-1) < sa))
    half = trials // 2
    train, test = slice(0, half), slice(half, None)
    calib = (ys[train] - xs[train]).mean(axis=0)
    scores = _rule_scores(ys, xh, calib)
    values = [pick(xs, s) for s in scores]
    train_means = [float(v[train].mean()) for v in values]
    best = int(np.argmax(train_means))
    ea = paired_difference(values[best][train], sa[train])
    eb = paired_difference(values[best][test], sa[test])
    a_mean, a_se, b_mean, b_se = ea.mean, ea.stderr, eb.mean, eb.stderr
    return Report(
        "T2-law",
        "best report-aware rule (family incl. max report) >= SA on held-out draws",
        {"law": name or repr(law), "M": agents, "K": per_agent, "trials": trials},
        "train adv vs SA",
        a_mean,
        "held-out adv",
        b_mean,
        math.hypot(a_se, b_se),
        holds=mismatch == 0 and t1_viol == 0 and b_mean >= -Z_TOL * b_se,
        detail=(
            f"rule #{best}; SA==max-report on all draws: {mismatch == 0}; "
            f"T1 violations {t1_viol}; held-out se {b_se:.4f}"
        ),
        extra={"mismatches": float(mismatch), "t1_violations": float(t1_viol)},
    )
