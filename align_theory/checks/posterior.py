r"""``align verify`` rows for the true posterior-mean principal in nested model G.

* ``T2-nested`` (:func:`check_t2_nested`): T2's inequality E[x_Align(bayes)] ≥ E[x_SA] with
  SingleAgent(N, agents=M) reading Align's own pool, in nested model G (ρ_b < ρ_w, and
  unequal offsets), where ``bayes`` is the quadrature posterior mean and no closed form
  exists. Value A: the JAX engine's paired difference; value B: an independent numpy Monte
  Carlo (:func:`align_theory.models.sample`, the float64
  :func:`~align_theory.exact.posterior.posterior_mean`, literal argmaxes).
* ``R:linear-nested`` (:func:`regime_linear_nested`): the linear score w_y(y − c) + w_x̂ x̂,
  the posterior mean only when ρ_b = ρ_w, loses to SingleAgent in the nested example
  (closed form against numpy Monte Carlo).
"""

from __future__ import annotations

import math

import numpy as np

from align_theory.exact import expected_utility
from align_theory.exact.posterior import posterior_mean
from align_theory.models import GaussianDraws, GaussianModel, sample
from align_theory.protocols import Align, SingleAgent
from align_theory.results import Z_TOL, Report

__all__ = [
    "NESTED_CASES",
    "check_t2_nested",
    "numpy_align_minus_sa",
    "regime_linear_nested",
]

EXAMPLE = GaussianModel(rho_between=0.0, rho_within=0.99, tau=0.8, kappa=1.0)
"""The counterexample of issue 14 (with M = 4, K = 64): the linear rule loses to SA."""

NESTED_CASES: dict[str, tuple[GaussianModel, int, int]] = {
    "example": (EXAMPLE, 4, 64),
    "rho_b>0": (GaussianModel(rho_between=0.3, rho_within=0.9, tau=0.8, kappa=1.0), 3, 16),
    "offsets": (
        GaussianModel(
            rho_between=0.1,
            rho_within=0.95,
            tau=0.6,
            kappa=1.5,
            agent_offsets=(0.0, 0.5, -0.5, 0.25),
        ),
        4,
        32,
    ),
}
"""Nested model G cases of the T2-nested rows: name → (model, M, K)."""


def _gparams(model: GaussianModel, agents: int, per_agent: int, trials: int) -> dict[str, object]:
    out: dict[str, object] = {
        "M": agents,
        "K": per_agent,
        "rho_b": model.rho_between,
        "rho_w": model.rho_within,
        "tau": model.tau,
        "kappa": model.kappa,
    }
    if model.agent_offsets is not None:
        out["offsets"] = model.agent_offsets
    out["trials"] = trials
    return out


def numpy_align_minus_sa(
    model: GaussianModel,
    agents: int,
    per_agent: int,
    rule: str,
    trials: int,
    rng: np.random.Generator,
) -> tuple[float, float]:
    r"""Paired numpy Monte Carlo of E[x_Align(rule)] − E[x_SA(N, agents=M)] on one pool.

    Every candidate is drawn by :func:`align_theory.models.sample`; each agent proposes its
    argmax y; the principal takes the argmax of the posterior mean (``bayes``,
    :func:`~align_theory.exact.posterior.posterior_mean`) or of the linear score
    (``linear``); SingleAgent takes the argmax y over all N candidates of the same pool.

    Returns
    -------
    (float, float)
        The mean paired difference and its standard error.

    Examples
    --------
    >>> m = GaussianModel(tau=0.5, kappa=1.0)
    >>> mean, se = numpy_align_minus_sa(m, 2, 3, "bayes", 2000, np.random.default_rng(0))
    >>> mean > -4 * se
    True
    """
    if rule not in ("linear", "bayes"):
        raise ValueError(f"rule must be 'linear' or 'bayes', got {rule!r}")
    d = sample(model, rng, agents, per_agent, trials)
    assert isinstance(d, GaussianDraws)
    idx = d.y.argmax(axis=2)[..., None]
    px, py, pxh = (np.take_along_axis(a, idx, axis=2)[..., 0] for a in (d.x, d.y, d.xhat))
    if rule == "bayes":
        score = posterior_mean(model, py, pxh, per_agent)
    else:
        wy, wx = model.linear_weights
        score = wy * (py - model.offsets(agents)) + wx * pxh
    rows = np.arange(trials)
    align = px[rows, score.argmax(axis=1)]
    sa = d.x.reshape(trials, -1)[rows, d.y.reshape(trials, -1).argmax(axis=1)]
    diff = align - sa
    return float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(trials))


def check_t2_nested(
    model: GaussianModel,
    agents: int,
    per_agent: int,
    *,
    name: str = "",
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    r"""T2 in nested model G: E[x_Align(bayes)] − E[x_SA(N, agents=M)] ≥ 0.

    ``bayes`` is the true posterior mean E[x | reports, x̂] (no closed form when ρ_b < ρ_w).
    Value A: the JAX engine's paired difference (common random numbers, float32 posterior
    kernel); value B: the independent numpy Monte Carlo of :func:`numpy_align_minus_sa`
    (other random numbers, float64 posterior); stderr_b combines both standard errors.
    Holds iff each estimate is ≥ −Z_TOL of its own standard errors.
    """
    from align_theory.montecarlo import compare  # JAX, loaded only when the row runs

    res = compare(
        model,
        [Align(agents, per_agent, "bayes"), SingleAgent(agents * per_agent, agents=agents)],
        trials=trials,
        seed=seed,
        progress=False,
    )
    a = res.diffs[(0, 1)]
    b_mean, b_se = numpy_align_minus_sa(
        model, agents, per_agent, "bayes", trials, np.random.default_rng([seed, 14])
    )
    return Report(
        "T2-nested",
        "nested G: E[x_Align(bayes)] >= E[x_SA(N, agents=M)], bayes = true posterior mean",
        {"case": name, **_gparams(model, agents, per_agent, trials)},
        "JAX paired diff",
        a.mean,
        "numpy paired diff",
        b_mean,
        math.hypot(a.stderr, b_se),
        holds=a.mean >= -Z_TOL * a.stderr and b_mean >= -Z_TOL * b_se,
        detail=f"JAX se {a.stderr:.4f}, numpy se {b_se:.4f}",
        extra={"jax_stderr": a.stderr, "numpy_stderr": b_se},
    )


def regime_linear_nested(
    model: GaussianModel = EXAMPLE,
    agents: int = 4,
    per_agent: int = 64,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    r"""Regime: the linear score loses to SingleAgent in nested model G.

    w_y(y − c) + w_x̂ x̂ is the posterior mean only when ρ_b = ρ_w; in the example
    (ρ_b = 0, ρ_w = 0.99, τ = 0.8, κ = 1, M = 4, K = 64) E[x_Align(linear)] − E[x_SA] < 0.
    Value A: closed form (group quadrature); value B: numpy Monte Carlo. Holds iff the closed
    difference is < 0 and the Monte Carlo one is below −Z_TOL standard errors.
    """
    closed = expected_utility(model, Align(agents, per_agent, "linear")) - expected_utility(
        model, SingleAgent(agents * per_agent, agents=agents)
    )
    mean, se = numpy_align_minus_sa(
        model, agents, per_agent, "linear", trials, np.random.default_rng([seed, 15])
    )
    return Report(
        "R:linear-nested",
        "nested G: the linear rule (not the posterior mean) loses to SA",
        _gparams(model, agents, per_agent, trials),
        "closed Align-base",
        closed,
        "MC Align-base",
        mean,
        se,
        holds=closed < 0 and mean < -Z_TOL * se,
    )
