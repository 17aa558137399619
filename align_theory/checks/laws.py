r"""T2 beyond model G: non-Gaussian, non-exchangeable joint laws of (x, y, x̂) and the
held-out check of a report-aware principal against SingleAgent on them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from align_theory.checks.selection import pick, proposals, single_agent
from align_theory.models import GaussianDraws
from align_theory.results import Z_TOL, Report, paired_difference

__all__ = [
    "LAWS",
    "Features",
    "JointLaw",
    "check_t2_general",
    "fitted_posterior_mean",
    "quadratic_features",
]


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


Features = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""A feature map (y*, x̂*) of shape (T, M) each -> regressors of shape (T, M, F)."""


def quadratic_features(ys: np.ndarray, xh: np.ndarray) -> np.ndarray:
    r"""Per-agent quadratic regressors of a proposal: for agent a the block
    (1, y*, x̂*, y*², x̂*², y*x̂*) in agent a's columns and zeros elsewhere, so a least-squares
    fit has its own coefficients per agent (agent-specific means, offsets and noise).

    Parameters
    ----------
    ys, xh : numpy.ndarray
        The proposals' reports y* and evaluations x̂*, shape (T, M).

    Returns
    -------
    numpy.ndarray
        Regressors of shape (T, M, 6M).

    Examples
    --------
    >>> quadratic_features(np.ones((2, 3)), np.zeros((2, 3))).shape
    (2, 3, 18)
    """
    t, m = ys.shape
    base = np.stack([np.ones_like(ys), ys, xh, ys * ys, xh * xh, ys * xh], axis=-1)
    out = np.zeros((t, m, m, base.shape[-1]))
    idx = np.arange(m)
    out[:, idx, idx, :] = base
    return out.reshape(t, m, -1)


def fitted_posterior_mean(
    xs: np.ndarray, ys: np.ndarray, xh: np.ndarray, train: slice, features: Features
) -> np.ndarray:
    r"""An estimated posterior-mean principal: regress the proposals' utility x* on
    ``features``(y*, x̂*) by least squares on the ``train`` draws, and return the fitted
    score m̂(y*_a, x̂*_a) of every proposal on every draw (the principal picks its argmax).

    Parameters
    ----------
    xs, ys, xh : numpy.ndarray
        The proposals' x*, y*, x̂*, shape (T, M).
    train : slice
        The training draws.
    features : callable
        The feature map, e.g. :func:`quadratic_features`.

    Returns
    -------
    numpy.ndarray
        Fitted scores, shape (T, M).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> xs = rng.standard_normal((500, 2)); ys = xs + rng.standard_normal((500, 2))
    >>> score = fitted_posterior_mean(xs, ys, ys, slice(0, 250), quadratic_features)
    >>> bool(np.corrcoef(score.ravel(), ys.ravel())[0, 1] > 0.99)  # E[x | y] = y/2
    True
    """
    f = features(ys, xh)
    k = f.shape[-1]
    coef, *_ = np.linalg.lstsq(f[train].reshape(-1, k), xs[train].reshape(-1), rcond=None)
    return np.asarray(f @ coef)


def check_t2_general(
    law: JointLaw,
    agents: int = 4,
    per_agent: int = 4,
    *,
    name: str = "",
    trials: int = 20_000,
    seed: int = 0,
    features: Features = quadratic_features,
) -> Report:
    r"""T2 for an arbitrary joint law, by Monte Carlo, with an estimated posterior-mean
    principal evaluated on held-out draws.

    The guarantee's logic: SingleAgent's pick (the global argmax y) is one proposal, so the
    Bayes principal, which maximises E[x | reports, x̂] over all rules, does at least as
    well. The Bayes rule of a non-Gaussian law has no closed form, so the principal here
    *estimates* it: a least-squares regression of the proposals' x* on ``features``(y*, x̂*)
    (default :func:`quadratic_features`, per-agent quadratic) fitted on the first half of
    the draws, then argmax of the fitted score on the held-out half. The check also
    asserts, on every draw, that SA's output equals the max-report proposal's (pointwise
    identity) and Align(exact) ≥ SA (T1). Value A: the fitted rule's advantage over SA on
    the training half; value B: on the held-out half; stderr_b is the standard error of
    A − B. Holds iff zero mismatches, zero T1 violations and the held-out advantage is
    ≥ −Z_TOL standard errors. The fitted rule contains no "max report" fallback, so a poor
    fit (a bad feature map, or a law far from the regression family) fails the check.

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
    features : callable
        The regression's feature map (y*, x̂*) -> (T, M, F).

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> check_t2_general(LAWS["agent-offsets"], 3, 3, trials=4000).passed
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
    chosen = pick(xs, fitted_posterior_mean(xs, ys, xh, train, features))
    ea = paired_difference(chosen[train], sa[train])
    eb = paired_difference(chosen[test], sa[test])
    return Report(
        "T2-law",
        "fitted posterior-mean principal >= SA on held-out draws",
        {"law": name or repr(law), "M": agents, "K": per_agent, "trials": trials},
        "train adv vs SA",
        ea.mean,
        "held-out adv",
        eb.mean,
        math.hypot(ea.stderr, eb.stderr),
        holds=mismatch == 0 and t1_viol == 0 and eb.mean >= -Z_TOL * eb.stderr,
        detail=(
            f"SA==max-report on all draws: {mismatch == 0}; T1 violations {t1_viol}; "
            f"held-out se {eb.stderr:.4f}"
        ),
        extra={
            "mismatches": float(mismatch),
            "t1_violations": float(t1_viol),
            "heldout_stderr": eb.stderr,
        },
    )
