r"""Published voting phenomena as checked reports: the shapes of the two-level difficulty
mixture's vote accuracy (Chen et al. 2024) and the beta-binomial majority limit.

The vote accuracy of the mixture F(K) = α I_{p₁}((K+1)/2, (K+1)/2) + (1−α)
I_{p₂}((K+1)/2, (K+1)/2) is increasing, decreasing or inverse-U in K; the beta-binomial
majority tends to P(θ > ½).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special

from align_theory.exact import beta_binomial_majority
from align_theory.results import Z_TOL, Report

__all__ = [
    "CHEN_SHAPES",
    "ChenCase",
    "Shape",
    "check_beta_binomial_limit",
    "check_chen_shape",
    "chen_vote_accuracy",
    "classify_shape",
]

Shape = Literal["increasing", "decreasing", "inverse-U"]


def chen_vote_accuracy(k: int | np.ndarray, alpha: float, p1: float, p2: float) -> np.ndarray:
    r"""Chen et al. (2024) vote accuracy with binary answers and odd K:
    F(K) = α I_{p₁}((K+1)/2, (K+1)/2) + (1−α) I_{p₂}((K+1)/2, (K+1)/2), where I is the
    regularized incomplete beta (P(Bin(K, p) ≥ (K+1)/2) = I_p((K+1)/2, (K+1)/2)).

    Parameters
    ----------
    k : int or numpy.ndarray
        Odd numbers of votes K.
    alpha, p1, p2 : float
        Easy fraction α and per-call accuracies p₁ (easy), p₂ (hard).

    Returns
    -------
    numpy.ndarray
        F(K).

    Examples
    --------
    >>> round(float(chen_vote_accuracy(1, 0.4, 0.9, 0.45)), 6)  # αp₁ + (1−α)p₂
    0.63
    """
    kk = np.asarray(k, dtype=float)
    h = (kk + 1.0) / 2.0
    return np.asarray(alpha * special.betainc(h, h, p1) + (1.0 - alpha) * special.betainc(h, h, p2))


def classify_shape(values: np.ndarray, tol: float = 1e-12) -> Shape | None:
    """Increasing (argmax at the last K and nondecreasing), decreasing (argmax at the first
    and nonincreasing), inverse-U (interior argmax, rising before and falling after), or
    None for any other shape.

    Parameters
    ----------
    values : numpy.ndarray
        F over increasing K.
    tol : float
        Tolerance on the differences.

    Returns
    -------
    str or None
        The shape.

    Examples
    --------
    >>> classify_shape(np.array([0.1, 0.3, 0.2]))
    'inverse-U'
    """
    v = np.asarray(values, dtype=float)
    dv = np.diff(v)
    i = int(np.argmax(v))
    if np.all(dv >= -tol):
        return "increasing"
    if np.all(dv <= tol):
        return "decreasing"
    if 0 < i < v.size - 1 and np.all(dv[:i] >= -tol) and np.all(dv[i:] <= tol):
        return "inverse-U"
    return None


@dataclass(frozen=True)
class ChenCase:
    """A two-level difficulty mixture: fraction α easy (per-call accuracy p₁ > ½), the rest
    hard (p₂ < ½), and the shape of F over odd K = 1, 3, …, k_max it produces."""

    alpha: float
    p1: float
    p2: float
    shape: Shape
    k_max: int = 61


CHEN_SHAPES: tuple[ChenCase, ...] = (
    ChenCase(0.8, 0.7, 0.3, "increasing"),
    ChenCase(0.3, 0.6, 0.4, "decreasing"),
    ChenCase(0.4, 0.9, 0.45, "inverse-U"),
)
"""Mixtures whose F(K) is increasing, decreasing and inverse-U in K."""


def check_chen_shape(case: ChenCase, *, trials: int = 20_000, seed: int = 0) -> Report:
    """Chen et al. (2024): F(K) from :func:`chen_vote_accuracy` (value A, at the K that
    maximises it) against Monte Carlo (value B: draw the item's level, K binomial votes,
    majority), with the Monte Carlo curve checked at every odd K ≤ k_max (the largest |z| in
    the detail). Holds iff the closed curve has the case's shape and every K agrees within
    Z_TOL standard errors.

    Parameters
    ----------
    case : ChenCase
        The mixture and its expected shape.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> check_chen_shape(CHEN_SHAPES[2], trials=2000).passed
    True
    """
    ks = np.arange(1, case.k_max + 1, 2)
    closed = chen_vote_accuracy(ks, case.alpha, case.p1, case.p2)
    rng = np.random.default_rng(seed)
    easy = rng.random(trials) < case.alpha
    p = np.where(easy, case.p1, case.p2)
    zs, means, ses = [], [], []
    for k, f in zip(ks, closed, strict=True):
        right = (rng.binomial(int(k), p) > k // 2).astype(float)
        m, s = float(right.mean()), float(right.std(ddof=1) / math.sqrt(trials))
        means.append(m)
        ses.append(s)
        zs.append(0.0 if s == 0 else (f - m) / s)
    i = int(np.argmax(closed))
    shape = classify_shape(closed)
    zmax = float(np.max(np.abs(zs)))
    return Report(
        "Chen",
        f"two-level mixture vote accuracy is {case.shape} in K",
        {"alpha": case.alpha, "p1": case.p1, "p2": case.p2, "Kmax": case.k_max},
        f"closed F(K={ks[i]})",
        float(closed[i]),
        f"MC F(K={ks[i]})",
        means[i],
        ses[i],
        holds=shape == case.shape and zmax <= Z_TOL,
        detail=f"shape {shape}; argmax K={ks[i]}; max|z| over K {zmax:.2f}",
        extra={"argmax_k": float(ks[i]), "max_abs_z": zmax},
    )


def check_beta_binomial_limit(
    a: float = 2.0, b: float = 1.5, *, trials: int = 20_000, seed: int = 0
) -> Report:
    """Beta-binomial limit: with θ ~ Beta(a, b) and iid Bernoulli(θ) votes, the majority of N
    is correct with probability F_N → P(θ > ½) = 1 − I_{1/2}(a, b). Value A: the limit;
    value B: Monte Carlo majority of N = 2001 votes (the O(1/N) bias is far below its
    standard error). Holds iff |F_N − P(θ > ½)| decreases along N = 11, 101, 1001, 10001 and
    is below 1e-3 at N = 10001.

    Parameters
    ----------
    a, b : float
        Beta difficulty.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> check_beta_binomial_limit(trials=2000).passed
    True
    """
    limit = float(1.0 - special.betainc(a, b, 0.5))
    gaps = [abs(beta_binomial_majority(a, b, n) - limit) for n in (11, 101, 1001, 10001)]
    rng = np.random.default_rng(seed)
    theta = rng.beta(a, b, size=trials)
    right = (rng.binomial(2001, theta) > 1000).astype(float)
    mean, se = float(right.mean()), float(right.std(ddof=1) / math.sqrt(trials))
    ok = all(y < x for x, y in itertools.pairwise(gaps)) and gaps[-1] < 1e-3
    return Report(
        "BB-limit",
        "beta-binomial majority -> P(theta > 1/2)",
        {"a": a, "b": b, "trials": trials},
        "P(theta>1/2)",
        limit,
        "MC majority N=2001",
        mean,
        se,
        holds=ok,
        detail="|F_N - limit| at N=11,101,1001,10001: " + ", ".join(f"{g:.1e}" for g in gaps),
        extra={"gap_10001": gaps[-1]},
    )
