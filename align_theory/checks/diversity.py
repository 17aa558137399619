r"""Statement T6 (agent diversity) as checked reports: the Gaussian form (Sudakov–Fernique),
the Bernoulli form (Lyapunov) and the diversity channel against Shortlist.

Value A is a closed form from :mod:`align_theory.exact`; value B draws every candidate from
the model's own numpy law and applies the selection literally.
"""

from __future__ import annotations

import math

import numpy as np

from align_theory.checks.selection import align_vs_shortlist, gaussian_params, one_agent_pools
from align_theory.exact import coverage_diverse, expected_utility
from align_theory.models import BernoulliModel, GaussianModel
from align_theory.protocols import Oracle
from align_theory.results import Z_TOL, Report, estimate, paired_difference

__all__ = ["check_t6_bernoulli", "check_t6_gaussian", "check_t6_shortlist"]


def check_t6_gaussian(
    model: GaussianModel,
    agents: int = 4,
    per_agent: int = 4,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    r"""T6, Gaussian form (Sudakov–Fernique): with ρ_b < ρ_w, the best of the M-agent pool
    beats the best of a one-agent pool of the same size: E max x over Oracle(N, agents=M)
    > E max x over Oracle(N, agents=1); the increments of the multi-agent pool are larger
    (E(x_i − x_j)² = 2σ²(1−ρ_b) across agents vs 2σ²(1−ρ_w) within). Value A: closed-form
    difference; value B: numpy Monte Carlo on common random numbers. Holds iff the closed
    difference is > 0 and the Monte Carlo difference exceeds Z_TOL standard errors.

    Parameters
    ----------
    model : GaussianModel
        Model G with ρ_b < ρ_w.
    agents, per_agent : int
        M agents × K candidates each.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> check_t6_gaussian(GaussianModel(rho_between=0.2, rho_within=0.7), 2, 2, trials=2000).passed
    True
    """
    if not model.rho_between < model.rho_within:
        raise ValueError(
            f"check_t6_gaussian needs rho_between < rho_within, got {model.rho_between}, "
            f"{model.rho_within}"
        )
    n = agents * per_agent
    closed = expected_utility(model, Oracle(n, agents=agents)) - expected_utility(model, Oracle(n))
    multi, single = one_agent_pools(model, agents, per_agent, trials, seed)
    t = multi.x.shape[0]
    d = paired_difference(multi.x.reshape(t, -1).max(-1), single.x.reshape(t, -1).max(-1))
    mean, se = d.mean, d.stderr
    return Report(
        "T6-G",
        "E max of M-agent pool > E max of one-agent pool when rho_b < rho_w",
        {"M": agents, "K": per_agent, "trials": trials, **gaussian_params(model)},
        "closed Oracle diff",
        closed,
        "MC Oracle diff",
        mean,
        se,
        holds=closed > 0 and mean > Z_TOL * se,
    )


def check_t6_bernoulli(
    model: BernoulliModel,
    agents: int = 4,
    per_agent: int = 4,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    r"""T6, Bernoulli form (Lyapunov): with agent diversity c, coverage of M agents × K
    candidates is at least that of one agent with N = M·K, because with Z = 1 − θ_a,
    (E[Z^K | θ])^M ≤ E[Z^{MK} | θ] (Lyapunov's inequality) for every θ. Value A: the
    closed difference from :func:`coverage_diverse` (checked equal to
    ``expected_utility(model, Oracle(N, agents=…))`` to 1e-9); value B: numpy Monte Carlo on
    two independent draws of the model's own law (``model.sample``: θ, then
    θ_a | θ ~ Beta(cθ, c(1−θ)), then the candidates). Holds iff Lyapunov holds on a θ grid,
    the closed difference is > 0 and the Monte Carlo difference exceeds Z_TOL standard errors.

    Parameters
    ----------
    model : BernoulliModel
        Model B with agent diversity c.
    agents, per_agent : int
        M agents × K candidates each.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> check_t6_bernoulli(BernoulliModel(2.0, 3.0, diversity=2.0), 3, 2, trials=2000).passed
    True
    """
    c = model.diversity
    if c is None:
        raise ValueError("check_t6_bernoulli needs a model with diversity")
    n = agents * per_agent
    multi_c = coverage_diverse(model.a, model.b, c, agents, per_agent)
    single_c = coverage_diverse(model.a, model.b, c, 1, n)
    consistent = (
        abs(multi_c - expected_utility(model, Oracle(n, agents=agents))) < 1e-9
        and abs(single_c - expected_utility(model, Oracle(n))) < 1e-9
    )
    th = np.linspace(0.001, 0.999, 999)
    mom_k = np.prod([(c * (1 - th) + j) / (c + j) for j in range(per_agent)], axis=0)
    mom_n = np.prod([(c * (1 - th) + j) / (c + j) for j in range(n)], axis=0)
    lyapunov = bool(np.all(mom_k**agents <= mom_n * (1 + 1e-12)))
    multi = model.sample(np.random.default_rng(seed), agents, per_agent, trials)
    single = model.sample(np.random.default_rng(seed + 1), 1, n, trials)
    cov_m = estimate(np.asarray(multi.correct.any(axis=(1, 2))))
    cov_s = estimate(np.asarray(single.correct.any(axis=(1, 2))))
    mean, se = cov_m.mean - cov_s.mean, math.hypot(cov_m.stderr, cov_s.stderr)
    return Report(
        "T6-B",
        "coverage of M diverse agents >= one agent with N candidates (Lyapunov)",
        {"a": model.a, "b": model.b, "c": c, "M": agents, "K": per_agent, "trials": trials},
        "closed coverage diff",
        multi_c - single_c,
        "MC coverage diff",
        mean,
        se,
        holds=consistent and lyapunov and multi_c > single_c and mean > Z_TOL * se,
        detail=f"coverage {multi_c:.4f} (M agents) vs {single_c:.4f} (one agent)",
        extra={"multi": multi_c, "single": single_c},
    )


def check_t6_shortlist(
    model: GaussianModel,
    agents: int = 4,
    per_agent: int = 4,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    r"""T6, the diversity channel against Shortlist: with ρ_b < ρ_w (here far enough
    apart), Align(M, K, exact) over M agents beats Shortlist(N, M, exact) over one agent's
    N candidates, although Shortlist wins in the iid case (see
    :func:`align_theory.checks.regimes.regime_shortlist_iid`). Value A: closed difference; value B:
    numpy Monte Carlo. Holds iff both are > 0, the Monte Carlo beyond Z_TOL errors.

    Parameters
    ----------
    model : GaussianModel
        Model G with ρ_b well below ρ_w.
    agents, per_agent : int
        M agents × K candidates each.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    Report
        Value A, value B and the statement's verdict.

    Examples
    --------
    >>> model = GaussianModel(rho_between=0.2, rho_within=0.7, tau=0.5)
    >>> check_t6_shortlist(model, 4, 4, trials=2000).passed
    True
    """
    closed, mc = align_vs_shortlist(model, agents, per_agent, trials=trials, seed=seed)
    mean, se = mc.mean, mc.stderr
    return Report(
        "T6-SL",
        "Align(exact) over M agents beats Shortlist over one agent when rho_b < rho_w",
        {"M": agents, "K": per_agent, "trials": trials, **gaussian_params(model)},
        "closed Align-SL",
        closed,
        "MC Align-SL",
        mean,
        se,
        holds=closed > 0 and mean > Z_TOL * se,
    )
