r"""Threshold delegation (Kleinberg & Kleinberg 2018) on a scale mixture of iid laws.

Nonnegative values v_1..v_N; the principal announces "eligible iff v ≥ θ" and gets the
value of the proposal (0 if none is eligible). The worst-case agent has taste −v (it proposes
the *least* valuable eligible candidate). With independent candidates θ = median(max v) or
θ = E[max v]/2 guarantees ≥ ½E[max v] (prophet-inequality argument). The correlated
counterexample is a *scale mixture*: v_i = S·E_i, E_i iid Exp(1), with one common scale S = H
with probability ε and S = 1 otherwise (:func:`mixture_values`); there the two prior-based
thresholds fall below ½ (a threshold tuned on the realized draws does better:
:func:`best_threshold`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from align_theory._validate import positive_int
from align_theory.results import Estimate, estimate

__all__ = [
    "ThresholdResult",
    "best_threshold",
    "kk_delegation",
    "kk_thresholds",
    "mixture_emax",
    "mixture_median_max",
    "mixture_values",
    "threshold_delegation",
]


def mixture_values(
    n: int, *, trials: int, seed: int, eps: float, big: float, correlated: bool
) -> np.ndarray:
    """Nonnegative candidate values (trials, n): v_i = S_i·E_i, E_i iid Exp(1), S = ``big``
    with probability ``eps`` else 1. ``correlated``: one scale S shared by the n candidates
    (a scale mixture of iid laws: exchangeable, positively correlated); otherwise S_i iid per
    candidate (the same marginal law, independent candidates). With the same seed both
    variants share E and the uniforms deciding the scales (common random numbers).

    Parameters
    ----------
    n : int
        Candidates per question, ≥ 1.
    trials, seed : int
        Questions and the numpy seed.
    eps, big : float
        P(S = H) = ε and the large scale H.
    correlated : bool
        One scale per question (True) or per candidate (False).

    Returns
    -------
    numpy.ndarray
        Values of shape (trials, n).

    Examples
    --------
    >>> v = mixture_values(4, trials=3, seed=0, eps=0.5, big=10.0, correlated=True)
    >>> v.shape, bool((v >= 0).all())
    ((3, 4), True)
    """
    positive_int("n", n)
    rng = np.random.default_rng(seed)
    e = rng.exponential(size=(trials, n))
    u = rng.random((trials, n))
    s = np.where((u[:, :1] if correlated else u) < eps, big, 1.0)
    return e * s


def mixture_emax(n: int, eps: float, big: float, *, correlated: bool) -> float:
    r"""Closed-form E[max_i v_i] for :func:`mixture_values`.

    Correlated: E[max] = (1 − ε + εH)·h_n with h_n = Σ_{j≤n} 1/j (E[max of n Exp(1)]).
    Independent: E[max] = ∫₀^∞ 1 − (1 − G(v))ⁿ dv with G(v) = (1−ε)e^{−v} + εe^{−v/H};
    expanding both powers binomially, = Σ_{j=1}^n (−1)^{j+1} C(n,j) Σ_{i=0}^j C(j,i)
    (1−ε)^i ε^{j−i} / (i + (j−i)/H).

    Parameters
    ----------
    n : int
        Candidates.
    eps, big : float
        ε and H of :func:`mixture_values`.
    correlated : bool
        Common (True) or independent (False) scales.

    Returns
    -------
    float
        E[max_i v_i].

    Examples
    --------
    >>> mixture_emax(4, 0.0, 1.0, correlated=False)  # h_4 = 25/12
    2.083333333333333
    """
    if correlated:
        return (1.0 - eps + eps * big) * sum(1.0 / j for j in range(1, n + 1))
    total = 0.0
    for j in range(1, n + 1):
        inner = sum(
            math.comb(j, i) * (1 - eps) ** i * eps ** (j - i) / (i + (j - i) / big)
            for i in range(j + 1)
        )
        total += (-1) ** (j + 1) * math.comb(n, j) * inner
    return total


def mixture_median_max(n: int, eps: float, big: float, *, correlated: bool) -> float:
    """The median m of max_i v_i: P(max ≤ m) = ½, by bisection on the closed-form CDF
    (correlated: (1−ε)(1−e^{−m})ⁿ + ε(1−e^{−m/H})ⁿ; independent: (1 − G(m))ⁿ).

    Parameters
    ----------
    n, eps, big, correlated
        As in :func:`mixture_emax`.

    Returns
    -------
    float
        The median of max_i v_i.

    Examples
    --------
    >>> round(mixture_median_max(1, 0.0, 1.0, correlated=True), 9)  # Exp(1): log 2
    0.693147181
    """

    def cdf(m: float) -> float:
        if correlated:
            return (1 - eps) * (1 - math.exp(-m)) ** n + eps * (1 - math.exp(-m / big)) ** n
        return (1 - (1 - eps) * math.exp(-m) - eps * math.exp(-m / big)) ** n

    lo, hi = 0.0, 1.0
    while cdf(hi) < 0.5:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cdf(mid) < 0.5 else (lo, mid)
    return 0.5 * (lo + hi)


def threshold_delegation(values: np.ndarray, theta: float) -> np.ndarray:
    """Per-trial principal payoff of single-agent threshold delegation against the worst-case
    agent: the least valuable eligible candidate (v ≥ θ), 0 when none is eligible.

    Parameters
    ----------
    values : numpy.ndarray
        Values (trials, n).
    theta : float
        The announced threshold θ.

    Returns
    -------
    numpy.ndarray
        min{v_i : v_i ≥ θ} per trial (0 when empty).

    Examples
    --------
    >>> threshold_delegation(np.array([[1.0, 5.0, 3.0], [0.5, 0.2, 0.1]]), 2.0).tolist()
    [3.0, 0.0]
    """
    elig = np.where(values >= theta, values, np.inf)
    low = elig.min(axis=1)
    return np.where(np.isfinite(low), low, 0.0)


@dataclass(frozen=True)
class ThresholdResult:
    """Single-agent threshold delegation: threshold θ (``rule``: ``median`` or ``half_mean``),
    the principal's payoff, closed-form E[max v] and the ratio payoff/E[max]."""

    rule: str
    theta: float
    payoff: Estimate
    emax: float

    @property
    def ratio(self) -> float:
        """payoff / E[max v]."""
        return self.payoff.mean / self.emax

    @property
    def ratio_stderr(self) -> float:
        """Standard error of the ratio (E[max] is exact)."""
        return self.payoff.stderr / self.emax


def kk_thresholds(n: int, eps: float, big: float, *, correlated: bool) -> dict[str, float]:
    """The two Kleinberg–Kleinberg thresholds from the prior: ``median`` (of max v) and
    ``half_mean`` (E[max v]/2).

    Parameters
    ----------
    n, eps, big, correlated
        As in :func:`mixture_emax`.

    Returns
    -------
    dict of str to float
        ``{"median": θ_med, "half_mean": E[max]/2}``.

    Examples
    --------
    >>> th = kk_thresholds(4, 0.0, 1.0, correlated=False)
    >>> round(th["half_mean"], 6)
    1.041667
    """
    return {
        "median": mixture_median_max(n, eps, big, correlated=correlated),
        "half_mean": 0.5 * mixture_emax(n, eps, big, correlated=correlated),
    }


def kk_delegation(
    n: int, *, trials: int, seed: int, eps: float, big: float, correlated: bool
) -> list[ThresholdResult]:
    """Single-agent threshold delegation with both K&K thresholds on :func:`mixture_values`.

    Parameters
    ----------
    n, trials, seed, eps, big, correlated
        As in :func:`mixture_values`.

    Returns
    -------
    list of ThresholdResult
        One result per threshold rule (``median``, ``half_mean``).

    Examples
    --------
    >>> res = kk_delegation(8, trials=2000, seed=0, eps=0.05, big=100.0, correlated=False)
    >>> [r.rule for r in res], all(r.ratio > 0.5 for r in res)
    (['median', 'half_mean'], True)
    """
    v = mixture_values(n, trials=trials, seed=seed, eps=eps, big=big, correlated=correlated)
    emax = mixture_emax(n, eps, big, correlated=correlated)
    return [
        ThresholdResult(name, th, estimate(threshold_delegation(v, th)), emax)
        for name, th in kk_thresholds(n, eps, big, correlated=correlated).items()
    ]


def best_threshold(values: np.ndarray, thetas: Sequence[float]) -> tuple[float, Estimate]:
    """The principal's best announced threshold on a grid (against the worst-case agent),
    chosen on the same draws it is evaluated on (an optimistic, in-sample choice).

    Parameters
    ----------
    values : numpy.ndarray
        Values (trials, n).
    thetas : sequence of float
        Candidate thresholds.

    Returns
    -------
    (float, Estimate)
        The best θ and the principal's payoff there.

    Examples
    --------
    >>> v = np.array([[1.0, 4.0], [2.0, 3.0], [0.5, 5.0]])
    >>> best_threshold(v, [0.0, 3.0])[0]
    3.0
    """
    ests = [estimate(threshold_delegation(values, th)) for th in thetas]
    i = int(np.argmax([e.mean for e in ests]))
    return float(thetas[i]), ests[i]
