"""The statements of docs/design.md section 3 as checked objects.

Each ``check_*`` function computes the statement's quantities two independent ways (a
closed form or quadrature from :mod:`align_theory.exact`, and Monte Carlo from
:mod:`align_theory.montecarlo`, or a published value) and returns a :class:`Report`.
A report passes when (i) the two computations agree within ``Z_TOL`` standard errors and
(ii) the statement's inequality or identity holds. These are the toolkit's own
formalizations of ALIGN (arXiv:2602.00127); the paper's theorem statements are not used.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from scipy.optimize import brentq

from align_theory.exact import (
    beta_binomial_majority,
    coverage_diverse,
    expected_max_normal,
    expected_utility,
    judge_gap,
    kappa_star,
    kappa_star_table,
    stage_operator,
)
from align_theory.exact.quadrature import beta_nodes
from align_theory.models import BernoulliModel, GaussianModel
from align_theory.montecarlo import compare, simulate
from align_theory.protocols import (
    Align,
    MajorityVote,
    Oracle,
    RandomPick,
    Shortlist,
    SingleAgent,
)
from align_theory.results import Z_TOL, Report

__all__ = [
    "LAWS",
    "PUBLISHED",
    "Z_TOL",
    "GaussianDraws",
    "JointLaw",
    "Report",
    "align_vs_shortlist",
    "check_majority_published",
    "check_t1",
    "check_t2",
    "check_t2_general",
    "check_t3",
    "check_t4",
    "check_t5",
    "check_t6_bernoulli",
    "check_t6_gaussian",
    "check_t6_shortlist",
    "coverage_diverse",
    "default_checks",
    "draw_gaussian",
    "judge_gap",
    "kappa_star",
    "kappa_star_table",
    "pick",
    "proposals",
    "run_checks",
    "single_agent",
]

PUBLISHED: dict[str, float] = {
    # ../shared/REFERENCES.md: e_16 and the beta-binomial majority example
    "e_16": 1.765991,
    "majority_a1.05_b1.283_n15": 0.431337,
    "majority_limit_a1.05_b1.283": 0.427586,
}


def _gparams(model: GaussianModel) -> dict[str, Any]:
    return {
        "rho_b": model.rho_between,
        "rho_w": model.rho_within,
        "tau": model.tau,
        "kappa": model.kappa,
        "beta": model.beta,
    }


def check_t1(
    model: GaussianModel | BernoulliModel,
    agents: int = 4,
    per_agent: int = 4,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    """T1 (dominance, any dependence): on common random numbers, Align with an exact
    principal and SingleAgent reading the *same* N = M·K candidates (one global tie-break)
    satisfy x_Align ≥ x_SA on every draw. Value A: closed-form E[x_Align] − E[x_SA];
    value B: the paired Monte Carlo difference. Holds iff zero draws violate the order."""
    align = Align(agents, per_agent, "exact")
    sa = SingleAgent(agents * per_agent, agents=agents)
    res = compare(model, [align, sa], trials=trials, seed=seed)
    d = res.diffs[(0, 1)]
    closed = expected_utility(model, align) - expected_utility(model, sa)
    params = {"M": agents, "K": per_agent, "trials": trials}
    if isinstance(model, GaussianModel):
        params |= _gparams(model)
    return Report(
        "T1",
        "x_Align(exact) >= x_SA on every draw of the same N candidates",
        params,
        "closed E[Align-SA]",
        closed,
        "MC paired diff",
        d.mean,
        d.stderr,
        holds=res.t1_violations == 0 and closed >= -1e-9,
        detail=f"{res.t1_violations} violating draws of {trials}",
        extra={"violations": float(res.t1_violations)},
    )


def check_t2(
    model: GaussianModel,
    agents: int = 4,
    per_agent: int = 4,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    """T2 (information dominance): with truthful reports and the Bayes principal (ranking
    proposals by w_y·y + w_x̂·x̂, exact posterior mean in homogeneous model G),
    E[x_Align(bayes)] ≥ E[x_SA] for any principal noise κ. Value A: closed-form difference;
    value B: the paired Monte Carlo difference (SingleAgent on the same pool)."""
    align = Align(agents, per_agent, "bayes")
    sa = SingleAgent(agents * per_agent, agents=agents)
    res = compare(model, [align, sa], trials=trials, seed=seed)
    d = res.diffs[(0, 1)]
    closed = expected_utility(model, align) - expected_utility(model, sa)
    return Report(
        "T2",
        "E[x_Align(bayes)] >= E[x_SA] for any judge noise",
        {"M": agents, "K": per_agent, "trials": trials, **_gparams(model)},
        "closed E[Align-SA]",
        closed,
        "MC paired diff",
        d.mean,
        d.stderr,
        holds=closed >= -1e-9 and d.mean >= -Z_TOL * d.stderr,
    )


def check_t3(
    n: int = 16,
    rho: float = 0.5,
    tau_w: float = 1.0,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    """T3 (correlation enters through σ_w): in homogeneous model G with score noise scaled
    with σ_w (τ = τ_w·σ_w), E[x_SA] − μ = rσ_w e_N, so the gain over RandomPick at
    correlation ρ is √(1−ρ) times the gain at ρ = 0. Value A: the closed-form gain at ρ
    (rσ_w e_N with e_N by quadrature); value B: Monte Carlo gain at ρ. Holds iff the ratio
    of closed-form gains equals √(1−ρ) to 1e-9 and e_16 matches the published 1.765991."""
    sw = math.sqrt(1.0 - rho)
    model = GaussianModel(rho_between=rho, rho_within=rho, tau=tau_w * sw)
    base = GaussianModel(tau=tau_w)
    sa, rp = SingleAgent(n), RandomPick(n)
    gain = expected_utility(model, sa) - expected_utility(model, rp)
    gain0 = expected_utility(base, sa) - expected_utility(base, rp)
    res = compare(model, [sa, rp], trials=trials, seed=seed)
    d = res.diffs[(0, 1)]
    r = 1.0 / math.sqrt(1.0 + tau_w**2)
    formula = r * sw * expected_max_normal(n)
    ratio = gain / gain0
    e16_ok = abs(expected_max_normal(16) - PUBLISHED["e_16"]) < 1e-6
    return Report(
        "T3",
        "gain of SA over RandomPick = r*sigma_w*e_N, scales with sqrt(1-rho)",
        {"N": n, "rho": rho, "tau/sigma_w": tau_w, "trials": trials},
        "closed gain",
        gain,
        "MC gain",
        d.mean,
        d.stderr,
        holds=abs(ratio - sw) < 1e-9 and abs(gain - formula) < 1e-9 and e16_ok,
        detail=f"gain ratio {ratio:.9f} vs sqrt(1-rho) {sw:.9f}",
        extra={"ratio": ratio, "sqrt_1_minus_rho": sw},
    )


def check_t5(
    model: BernoulliModel,
    agents: int = 4,
    per_agent: int = 4,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    """T5 (model B closed forms): Align with the principal's verifier equals
    E_θ Φ_{s′,f′,M}(Φ_{s,f,K}(θ)) and SingleAgent equals E_θ Φ_{s,f,N}(θ) (stage operator
    composed directly on Gauss–Jacobi nodes, independently of :func:`expected_utility`),
    and the exact principal E_θ[1 − (1 − Φ_{s,f,K}(θ))^M] ≥ E_θ Φ_{s,f,N}(θ). Value A: the
    composed formula for Align(judge); value B: its Monte Carlo estimate."""
    if model.diversity is not None:
        raise ValueError("check_t5 composes the stage operator without agent diversity")
    n = agents * per_agent
    theta, w = beta_nodes(model.a, model.b, n + 2)
    s, f = model.agent_tpr, model.agent_fpr
    inner = stage_operator(theta, s, f, per_agent)
    composed = float(
        (w * stage_operator(inner, model.principal_tpr, model.principal_fpr, agents)).sum()
    )
    sa_formula = float((w * stage_operator(theta, s, f, n)).sum())
    exact_formula = float((w * (1.0 - (1.0 - inner) ** agents)).sum())
    align = Align(agents, per_agent, "judge")
    est = simulate(model, align, trials=trials, seed=seed)
    consistent = (
        abs(composed - expected_utility(model, align)) < 1e-9
        and abs(sa_formula - expected_utility(model, SingleAgent(n))) < 1e-9
    )
    return Report(
        "T5",
        "Align = E Phi_M'(Phi_K(theta)); exact principal >= E Phi_N(theta)",
        {
            "a": model.a,
            "b": model.b,
            "s": s,
            "f": f,
            "s'": model.principal_tpr,
            "f'": model.principal_fpr,
            "M": agents,
            "K": per_agent,
            "trials": trials,
        },
        "closed Align(verifier)",
        composed,
        "MC Align(verifier)",
        est.mean,
        est.stderr,
        holds=consistent and exact_formula >= sa_formula - 1e-12,
        detail=f"exact principal {exact_formula:.6f} >= SA {sa_formula:.6f}",
        extra={"exact_principal": exact_formula, "single_agent": sa_formula},
    )


def check_majority_published(*, trials: int = 20_000, seed: int = 0) -> Report:
    """T5 (majority vote under Beta difficulty): the beta-binomial sum for a = 1.05,
    b = 1.283, N = 15 equals the published 0.431337 (REFERENCES.md) to 1e-6, and agrees with
    Monte Carlo; its large-N limit approaches P(θ > ½) = 0.427586."""
    model = BernoulliModel(1.05, 1.283)
    closed = beta_binomial_majority(1.05, 1.283, 15)
    est = simulate(model, MajorityVote(15), trials=trials, seed=seed)
    limit = beta_binomial_majority(1.05, 1.283, 20_001)
    ok = (
        abs(closed - PUBLISHED["majority_a1.05_b1.283_n15"]) < 1e-6
        and abs(limit - PUBLISHED["majority_limit_a1.05_b1.283"]) < 2e-3
    )
    return Report(
        "T5-vote",
        "beta-binomial majority = published 0.431337; -> P(theta > 1/2)",
        {"a": 1.05, "b": 1.283, "N": 15, "trials": trials},
        "closed (beta-binomial)",
        closed,
        "MC majority",
        est.mean,
        est.stderr,
        holds=ok,
        detail=f"N=20001 sum {limit:.6f} vs limit 0.427586",
        extra={"limit_n20001": limit},
    )


def default_checks(trials: int = 20_000) -> list[Callable[[], Report]]:
    """The default grid of ``align verify``: each statement T1–T6 at a few parameter points,
    then the regimes where Align loses and the published voting phenomena
    (:func:`align_theory.regimes.regime_checks`). The rows that use the Monte Carlo engine
    dominate the run time; the numpy-sampled rows (T4, T6, T2-law, regimes) take about
    three seconds together at 20,000 trials."""
    t = trials
    checks: list[Callable[[], Report]] = []
    for gm in (
        GaussianModel(),
        GaussianModel(rho_between=0.2, rho_within=0.6, tau=0.5, kappa=1.0),
        GaussianModel(tau=0.3, kappa=2.0, agent_offsets=(0.0, 0.5, -0.5, 1.0)),
    ):
        checks.append(partial(check_t1, gm, 4, 4, trials=t))
    bt1 = BernoulliModel(1.05, 1.283, agent_tpr=0.8, agent_fpr=0.3)
    checks.append(partial(check_t1, bt1, 4, 4, trials=t))
    for kappa in (0.0, 1.0, 3.0):
        checks.append(partial(check_t2, GaussianModel(kappa=kappa), 4, 4, trials=t))
    gm2 = GaussianModel(rho_between=0.5, rho_within=0.5, tau=0.5, kappa=0.7)
    checks.append(partial(check_t2, gm2, 8, 2, trials=t))
    for rho in (0.0, 0.5, 0.9):
        checks.append(partial(check_t3, 16, rho, 1.0, trials=t))
    for bm in (
        BernoulliModel(
            1.05, 1.283, agent_tpr=0.8, agent_fpr=0.3, principal_tpr=0.9, principal_fpr=0.2
        ),
        BernoulliModel.from_mean_icc(
            0.3, 0.2, agent_tpr=0.7, agent_fpr=0.2, principal_tpr=0.8, principal_fpr=0.1
        ),
    ):
        checks.append(partial(check_t5, bm, 4, 4, trials=t))
    checks.append(partial(check_majority_published, trials=t))
    for m, k, tau in ((4, 4, 0.5), (2, 8, 1.0), (8, 2, 0.25)):
        checks.append(partial(check_t4, m, k, tau, trials=t))
    diverse = GaussianModel(rho_between=0.2, rho_within=0.7, tau=0.5)
    checks.append(partial(check_t6_gaussian, diverse, 4, 4, trials=t))
    checks.append(
        partial(check_t6_bernoulli, BernoulliModel(2.0, 2.0, diversity=2.0), 4, 4, trials=t)
    )
    checks.append(partial(check_t6_shortlist, diverse, 4, 4, trials=t))
    for name, law in LAWS.items():
        checks.append(partial(check_t2_general, law, 4, 4, name=name, trials=t))
    from align_theory.regimes import regime_checks  # regimes imports this module

    checks += regime_checks(trials=t)
    return checks


def run_checks(checks: list[Callable[[], Report]]) -> list[Report]:
    """Evaluate each check in order."""
    return [c() for c in checks]


# ------------------------------------------------------------ independent numpy samplers
#
# The checks below confirm closed forms with small vectorized numpy samplers written here,
# independently of the Monte Carlo engine (a second implementation of the same model, so a
# bug in either shows up as a disagreement), and sample laws the engine does not cover
# (heavy tails, heteroscedastic judges, agents that select on the judge's bias feature).


@dataclass(frozen=True)
class GaussianDraws:
    """One batch of model G candidates, arrays of shape (trials, M, K): utility x, agent
    score y, principal evaluation x̂ = x + βb + κν and the judge-rewarded feature b."""

    x: np.ndarray
    y: np.ndarray
    xhat: np.ndarray
    b: np.ndarray


def draw_gaussian(
    model: GaussianModel,
    agents: int,
    per_agent: int,
    trials: int,
    rng: np.random.Generator,
    *,
    one_agent: bool = False,
) -> GaussianDraws:
    r"""Draw model G candidates: x_{a,k} = μ + σ(√ρ_b Z₀ + √(ρ_w−ρ_b) A_a + √(1−ρ_w) Z_{a,k}),
    y = x + c_a + τη, x̂ = x + βb + κν, all standard normals independent.

    ``one_agent=True`` gives every group the *same* agent shift A_1 and offset c_1 (a
    single-agent pool of M·K candidates) while reusing the other random numbers, so a
    one-agent and an M-agent pool drawn from the same generator state are common random
    numbers for T6."""
    t, m, k = trials, agents, per_agent
    z0 = rng.standard_normal((t, 1, 1))
    shift = rng.standard_normal((t, m, 1))
    z = rng.standard_normal((t, m, k))
    eta = rng.standard_normal((t, m, k))
    b = rng.standard_normal((t, m, k))
    nu = rng.standard_normal((t, m, k))
    offs = model.offsets(m)[None, :, None]
    if one_agent:
        shift = np.broadcast_to(shift[:, :1, :], shift.shape)
        offs = np.broadcast_to(offs[:, :1, :], offs.shape)
    s = model.sigma
    x = model.mu + s * (
        math.sqrt(model.rho_between) * z0
        + math.sqrt(model.rho_within - model.rho_between) * shift
        + math.sqrt(1.0 - model.rho_within) * z
    )
    y = x + offs + model.tau * eta
    xhat = x + model.beta * b + model.kappa * nu
    return GaussianDraws(x, y, xhat, b)


def _take(arr: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """arr[..., idx] along the last axis, with idx of arr's shape minus that axis."""
    return np.take_along_axis(arr, idx[..., None], axis=-1)[..., 0]


def proposals(
    d: GaussianDraws, select_on: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each agent's proposal argmax_k of ``select_on`` (default y, the truthful proposal):
    returns (x*, y*, x̂*) of shape (trials, M)."""
    idx = np.argmax(d.y if select_on is None else select_on, axis=-1)
    return _take(d.x, idx), _take(d.y, idx), _take(d.xhat, idx)


def pick(values: np.ndarray, score: np.ndarray) -> np.ndarray:
    """values at argmax of score along the last axis (one value per trial)."""
    return _take(values, np.argmax(score, axis=-1))


def single_agent(d: GaussianDraws) -> np.ndarray:
    """SingleAgent on the pool: x at the global argmax y over all M·K candidates."""
    t = d.x.shape[0]
    return pick(d.x.reshape(t, -1), d.y.reshape(t, -1))


def _paired(u: np.ndarray | np.generic, v: np.ndarray | np.generic) -> tuple[float, float]:
    """Mean and standard error of u − v (paired draws)."""
    dd = np.asarray(u, dtype=float) - np.asarray(v, dtype=float)
    return float(dd.mean()), float(dd.std(ddof=1) / math.sqrt(dd.size))


# ------------------------------------------------------------------------------- T4


def check_t4(
    agents: int = 4,
    per_agent: int = 4,
    tau: float = 0.5,
    *,
    trials: int = 20_000,
    seed: int = 0,
) -> Report:
    r"""T4 (noisy judge without reports): value A is κ* from Brent's method on the closed
    form D(κ); value B is the root of the Monte Carlo difference D̂(κ) computed on one set of
    common random numbers (x̂ = x + κν with the same ν for every κ), with standard error
    se(D̂(κ*))/|D′(κ*)| (delta method, D′ by central difference of the closed form).
    Holds iff D is nonincreasing on a grid of κ, D(0) ≥ 0, and the Monte Carlo sign is
    confirmed beyond Z_TOL standard errors on both sides: D̂(κ*/2) > 0 > D̂(2κ*)."""
    ks = kappa_star(agents, per_agent, tau)
    rng = np.random.default_rng(seed)
    model0 = GaussianModel(tau=tau)
    d = draw_gaussian(model0, agents, per_agent, trials, rng)
    nu = rng.standard_normal(d.x.shape)
    sa = single_agent(d)
    idx = np.argmax(d.y, axis=-1)
    xs, nus = _take(d.x, idx), _take(nu, idx)

    def mc(kappa: float) -> tuple[float, float]:
        return _paired(pick(xs, xs + kappa * nus), sa)

    lo, hi = mc(0.5 * ks), mc(2.0 * ks)
    root = float(brentq(lambda k: mc(k)[0], 0.5 * ks, 2.0 * ks)) if lo[0] > 0 > hi[0] else math.nan
    h = 1e-4 * max(ks, 1e-3)
    slope = judge_gap(agents, per_agent, tau, ks + h) - judge_gap(agents, per_agent, tau, ks - h)
    slope /= 2 * h
    se = mc(ks)[1] / abs(slope)
    grid = [judge_gap(agents, per_agent, tau, k) for k in np.linspace(0.0, 4.0 * ks, 9)]
    monotone = all(b <= a + 1e-9 for a, b in itertools.pairwise(grid)) and grid[0] >= 0
    confirmed = lo[0] > Z_TOL * lo[1] and hi[0] < -Z_TOL * hi[1]
    return Report(
        "T4",
        "Align(judge) - SA crosses zero once, at kappa* (root of the closed form)",
        {"M": agents, "K": per_agent, "tau": tau, "trials": trials},
        "kappa* (brentq closed)",
        ks,
        "kappa* (MC root)",
        root,
        se,
        holds=monotone and confirmed,
        detail=(f"MC D(k*/2)={lo[0]:+.4f}±{lo[1]:.4f}, D(2k*)={hi[0]:+.4f}±{hi[1]:.4f}"),
        extra={"mc_below": lo[0], "se_below": lo[1], "mc_above": hi[0], "se_above": hi[1]},
    )


# ------------------------------------------------------------------------------- T6


def _oracle_pools(
    model: GaussianModel, agents: int, per_agent: int, trials: int, seed: int
) -> tuple[GaussianDraws, GaussianDraws]:
    """An M-agent pool and a one-agent pool of the same N = M·K candidates on common random
    numbers (same generator state; the one-agent pool shares agent 1's shift)."""
    multi = draw_gaussian(model, agents, per_agent, trials, np.random.default_rng(seed))
    single = draw_gaussian(
        model, agents, per_agent, trials, np.random.default_rng(seed), one_agent=True
    )
    return multi, single


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
    difference is > 0 and the Monte Carlo difference exceeds Z_TOL standard errors."""
    if not model.rho_between < model.rho_within:
        raise ValueError(
            f"check_t6_gaussian needs rho_between < rho_within, got {model.rho_between}, "
            f"{model.rho_within}"
        )
    n = agents * per_agent
    closed = expected_utility(model, Oracle(n, agents=agents)) - expected_utility(model, Oracle(n))
    multi, single = _oracle_pools(model, agents, per_agent, trials, seed)
    t = multi.x.shape[0]
    mean, se = _paired(multi.x.reshape(t, -1).max(-1), single.x.reshape(t, -1).max(-1))
    return Report(
        "T6-G",
        "E max of M-agent pool > E max of one-agent pool when rho_b < rho_w",
        {"M": agents, "K": per_agent, "trials": trials, **_gparams(model)},
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
    common random numbers. Holds iff Lyapunov holds on a θ grid, the closed difference is
    > 0 and the Monte Carlo difference exceeds Z_TOL standard errors."""
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
    rng = np.random.default_rng(seed)
    theta = rng.beta(model.a, model.b, size=(trials, 1, 1))
    theta_a = rng.beta(c * theta, c * (1.0 - theta), size=(trials, agents, 1))
    u = rng.random((trials, agents, per_agent))
    cov_multi = (u < theta_a).any(axis=(1, 2))
    cov_single = (u < theta_a[:, :1, :]).any(axis=(1, 2))
    mean, se = _paired(cov_multi, cov_single)
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


def align_vs_shortlist(
    model: GaussianModel,
    agents: int,
    per_agent: int,
    *,
    trials: int,
    seed: int,
) -> tuple[float, float, float]:
    """(closed, MC mean, MC se) of E[x_Align(M, K, exact)] − E[x_Shortlist(N, M, exact)]:
    Align reads an M-agent pool, Shortlist one agent's N candidates (top M by y, then the
    best x), on common random numbers."""
    n = agents * per_agent
    closed = expected_utility(model, Align(agents, per_agent)) - expected_utility(
        model, Shortlist(n, agents)
    )
    multi, single = _oracle_pools(model, agents, per_agent, trials, seed)
    xs, _, _ = proposals(multi)
    t = single.x.shape[0]
    y1, x1 = single.y.reshape(t, -1), single.x.reshape(t, -1)
    top = np.argpartition(-y1, agents - 1, axis=-1)[:, :agents]
    sl = np.take_along_axis(x1, top, axis=-1).max(-1)
    mean, se = _paired(xs.max(-1), sl)
    return closed, mean, se


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
    :func:`align_theory.regimes.regime_shortlist_iid`). Value A: closed difference; value B:
    numpy Monte Carlo. Holds iff both are > 0, the Monte Carlo beyond Z_TOL errors."""
    closed, mean, se = align_vs_shortlist(model, agents, per_agent, trials=trials, seed=seed)
    return Report(
        "T6-SL",
        "Align(exact) over M agents beats Shortlist over one agent when rho_b < rho_w",
        {"M": agents, "K": per_agent, "trials": trials, **_gparams(model)},
        "closed Align-SL",
        closed,
        "MC Align-SL",
        mean,
        se,
        holds=closed > 0 and mean > Z_TOL * se,
    )


# --------------------------------------------------------- T2 for arbitrary joint laws


@dataclass(frozen=True)
class JointLaw:
    r"""A non-Gaussian, non-exchangeable candidate law for checking T1/T2 beyond model G.

    For agent a (offsets cycle when M exceeds the tuples' length) and candidate k,

        x_{a,k} = μ_a + q·Q + ε_{a,k},  y_{a,k} = x_{a,k} + c_a + τ_a η_{a,k},
        x̂_{a,k} = x_{a,k} + κ(1 + h|x_{a,k} − μ_a|) ν_{a,k},

    with Q, ε, η, ν independent, each standard normal (``df=None``) or Student-t with ``df``
    > 2 degrees of freedom rescaled to unit variance (heavy tails). Agent-specific means μ_a
    and report offsets c_a make agents non-exchangeable; τ_a varies the agents' noise and
    h > 0 makes the judge's noise heteroscedastic in x."""

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
    only if the choice overfits."""
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
    a_mean, a_se = _paired(values[best][train], sa[train])
    b_mean, b_se = _paired(values[best][test], sa[test])
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
