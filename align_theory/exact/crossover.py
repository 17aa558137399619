r"""Crossover helpers of model G and coverage of model B, all from the closed forms.

* :func:`judge_gap` — D(κ) = E[x_Align(judge)] − E[x_SA(N)] (T4);
* :func:`crossover_kappa` / :func:`kappa_star` — T4's crossover κ*, the root of D;
* :func:`coverage_diverse` — pass@N of a diverse M-agent pool in model B (T6).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy.optimize import brentq

from align_theory._validate import positive_int
from align_theory.exact.gaussian import gaussian_utility
from align_theory.exact.quadrature import beta_nodes
from align_theory.models import GaussianModel
from align_theory.protocols import Align, SingleAgent

__all__ = [
    "coverage_diverse",
    "crossover_kappa",
    "judge_gap",
    "kappa_star",
    "kappa_star_table",
]


def judge_gap(agents: int, per_agent: int, tau: float, kappa: float) -> float:
    r"""D(κ) = E[x_Align(M, K, judge)] − E[x_SA(N = M·K)] in homogeneous model G with
    σ_w = 1, ρ = 0, agent noise τ and judge noise κ (closed form by quadrature).

    Examples
    --------
    >>> judge_gap(4, 4, 1.0, 0.0) > 0 > judge_gap(4, 4, 1.0, 5.0)
    True
    """
    model = GaussianModel(tau=tau, kappa=kappa)
    align = gaussian_utility(model, Align(agents, per_agent, "judge"))
    return float(align - gaussian_utility(model, SingleAgent(agents * per_agent)))


def crossover_kappa(
    model: GaussianModel,
    agents: int,
    per_agent: int,
    *,
    xtol: float = 1e-10,
    kappa_max: float = 1e6,
) -> float:
    r"""κ*(M, K, τ): the judge noise at which Align-``judge`` stops beating SingleAgent (T4).

    D(κ) = E[x_Align(M, K, judge)](κ) − E[x_SA(N = M·K)] with ``model.kappa`` replaced by
    κ. D(0) ≥ 0 (an exact principal, T1) and D(κ) → rσ_w(e_K − e_N) < 0 as κ → ∞, so a
    root exists when D(0) > 0; the bracket [0, κ_hi] is doubled until D(κ_hi) < 0 and the
    root found by Brent's method. Whether the root is unique (D strictly decreasing) is
    computed on a grid, not proved (docs/model.md). Returns 0 when D(0) ≤ 1e-12 (τ = 0, the
    agents already rank perfectly, or M = 1, where Align is SingleAgent) and ``inf`` when
    D stays positive up to ``kappa_max``.

    Parameters
    ----------
    model : GaussianModel
        Supplies μ, σ, ρ_b, ρ_w, τ, β and the offsets; its κ is ignored.
    agents, per_agent : int
        M ≥ 1 and K ≥ 1.
    xtol : float
        Absolute tolerance of the root.
    kappa_max : float
        Largest κ searched.

    Examples
    --------
    >>> round(crossover_kappa(GaussianModel(tau=1.0), 4, 4), 6)
    1.204936
    """
    positive_int("agents", agents)
    positive_int("per_agent", per_agent)
    sa = gaussian_utility(model, SingleAgent(agents * per_agent))

    def gap(kappa: float) -> float:
        m = replace(model, kappa=kappa)
        return gaussian_utility(m, Align(agents, per_agent, "judge")) - sa

    if gap(0.0) <= 1e-12:
        return 0.0
    hi = 1.0
    while gap(hi) >= 0.0:
        hi *= 2.0
        if hi > kappa_max:
            return math.inf
    return float(brentq(gap, 0.0, hi, xtol=xtol))


def kappa_star(agents: int, per_agent: int, tau: float, *, xtol: float = 1e-10) -> float:
    r"""T4's crossover κ*(M, K, τ) in units of σ_w (:func:`crossover_kappa` of
    ``GaussianModel(tau=tau)``). Needs M ≥ 2 (with M = 1, D ≡ 0).

    Examples
    --------
    >>> kappa_star(4, 4, 0.0)  # a perfect agent: any judge noise loses
    0.0
    """
    positive_int("agents", agents, 2)
    positive_int("per_agent", per_agent)
    ks = crossover_kappa(GaussianModel(tau=tau), agents, per_agent, xtol=xtol)
    if math.isinf(ks):
        raise RuntimeError(f"no crossover found below κ = 1e6 for M={agents}, K={per_agent}")
    return ks


def kappa_star_table(
    agents: tuple[int, ...] = (2, 4, 8),
    per_agent: tuple[int, ...] = (2, 4, 8),
    taus: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0),
) -> dict[tuple[int, int, float], float]:
    """κ*(M, K, τ) over a grid (σ_w = 1), keyed by (M, K, τ).

    Examples
    --------
    >>> t = kappa_star_table((2,), (2,), (1.0,))
    >>> list(t)
    [(2, 2, 1.0)]
    """
    return {(m, k, t): kappa_star(m, k, t) for m in agents for k in per_agent for t in taus}


def coverage_diverse(a: float, b: float, c: float, agents: int, per_agent: int) -> float:
    r"""Coverage (pass@N) of M agents × K candidates in model B with diversity c:
    1 − E_θ[(E[(1−θ_a)^K | θ])^M], with E[(1−θ_a)^K | θ] = Π_{j<K} (c(1−θ)+j)/(c+j) for
    θ_a | θ ~ Beta(cθ, c(1−θ)); a polynomial of degree M·K in θ, so Gauss–Jacobi quadrature
    with more than M·K/2 nodes is exact. ``agents = 1, per_agent = N`` is the one-agent
    pool.

    Examples
    --------
    >>> coverage_diverse(1.0, 1.0, 2.0, 4, 4) > coverage_diverse(1.0, 1.0, 2.0, 1, 16)
    True
    """
    theta, w = beta_nodes(a, b, agents * per_agent)
    j = np.arange(per_agent)[:, None]
    miss = np.prod((c * (1.0 - theta[None, :]) + j) / (c + j), axis=0)
    return float(1.0 - np.sum(w * miss**agents))
