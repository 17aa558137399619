"""Property-based tests (hypothesis) of the statements over random valid parameters:
T1 pointwise on common random numbers, T2 within Monte Carlo error (also for non-Gaussian
laws), Align(exact) nondecreasing in M, T4's crossover, and the exact equality cases
(M = 1; ρ = 1)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from align_theory.checks.laws import JointLaw, check_t2_general
from align_theory.checks.selection import pick, proposals, single_agent
from align_theory.exact import coverage_diverse, expected_utility, judge_gap, kappa_star
from align_theory.models import GaussianModel, bayes_weights
from align_theory.montecarlo import compare
from align_theory.protocols import (
    Align,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
)
from align_theory.results import Z_TOL

unit = st.floats(0.0, 1.0)
noise = st.floats(0.0, 3.0)


@st.composite
def gaussian_models(draw: st.DrawFn, homogeneous: bool = False) -> GaussianModel:
    """Model G with ρ_b ≤ ρ_w < 1, τ, κ, β ≥ 0 and (unless homogeneous) agent offsets."""
    rw = draw(st.floats(0.0, 0.95))
    rb = rw if homogeneous else draw(st.floats(0.0, 1.0)) * rw
    offs = None
    if not homogeneous and draw(st.booleans()):
        offs = tuple(draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4)))
    return GaussianModel(
        mu=draw(st.floats(-2.0, 2.0)),
        sigma=draw(st.floats(0.2, 3.0)),
        rho_between=rb,
        rho_within=rw,
        tau=draw(noise),
        kappa=draw(noise),
        beta=0.0 if homogeneous else draw(st.floats(0.0, 1.0)),
        agent_offsets=offs,
    )


@st.composite
def joint_laws(draw: st.DrawFn) -> JointLaw:
    """Non-Gaussian, non-exchangeable laws: Student-t tails, agent means and offsets,
    per-agent noise, heteroscedastic judge."""
    vec = st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4).map(tuple)
    return JointLaw(
        df=draw(st.one_of(st.none(), st.floats(2.5, 30.0))),
        agent_means=draw(vec),
        offsets=draw(vec),
        taus=draw(st.lists(st.floats(0.0, 3.0), min_size=1, max_size=4).map(tuple)),
        kappa=draw(noise),
        hetero=draw(st.floats(0.0, 2.0)),
        question_sd=draw(st.floats(0.0, 2.0)),
    )


shapes = st.sampled_from([(2, 3), (4, 4)])


@given(model=gaussian_models(), shape=shapes, seed=st.integers(0, 2**31 - 1))
def test_t1_zero_violations_on_common_random_numbers_engine(
    model: GaussianModel, shape: tuple[int, int], seed: int
) -> None:
    """T1 with the Monte Carlo engine: Align(exact) ≥ SA on every draw of the same pool."""
    m, k = shape
    res = compare(
        model, [Align(m, k), SingleAgent(m * k, agents=m)], trials=2048, seed=seed, progress=False
    )
    assert res.t1_pairs and res.t1_violations == 0
    assert res.diffs[(0, 1)].mean >= 0.0


@given(
    law=joint_laws(),
    m=st.integers(1, 6),
    k=st.integers(1, 6),
    seed=st.integers(0, 2**31 - 1),
)
def test_t1_zero_violations_for_arbitrary_laws(law: JointLaw, m: int, k: int, seed: int) -> None:
    """T1 for non-Gaussian laws (numpy sampler): max of the proposals' x ≥ x at the global
    argmax y, pointwise, and SA's pick is the max-report proposal on every draw."""
    d = law.draw(m, k, 2000, np.random.default_rng(seed))
    xs, ys, _ = proposals(d)
    sa = single_agent(d)
    assert np.all(xs.max(-1) >= sa)
    assert np.array_equal(pick(xs, ys), sa)


@given(model=gaussian_models(homogeneous=True), m=st.integers(1, 6), k=st.integers(1, 6))
def test_t2_bayes_principal_closed_form_beats_single_agent(
    model: GaussianModel, m: int, k: int
) -> None:
    """T2 closed form: E[x_Align(bayes)] ≥ E[x_SA] in homogeneous model G, any κ."""
    gap = expected_utility(model, Align(m, k, "bayes")) - expected_utility(
        model, SingleAgent(m * k)
    )
    assert gap >= -1e-9 * max(1.0, model.sigma)


@given(
    model=gaussian_models(homogeneous=True),
    m=st.integers(2, 5),
    k=st.integers(1, 5),
    seed=st.integers(0, 2**31 - 1),
)
def test_t2_bayes_principal_monte_carlo_within_error(
    model: GaussianModel, m: int, k: int, seed: int
) -> None:
    """T2 by Monte Carlo (numpy sampler, the Bayes score w_y·y + w_x̂·x̂): the paired
    difference Align(bayes) − SA is ≥ −Z_TOL standard errors."""
    d = model.sample(np.random.default_rng(seed), m, k, 8000)
    xs, ys, xh = proposals(d)
    wy, wx = bayes_weights(model)
    diff = pick(xs, wy * ys + wx * xh) - single_agent(d)
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert diff.mean() >= -Z_TOL * se - 1e-12


@given(law=joint_laws(), seed=st.integers(0, 2**31 - 1))
def test_t2_holds_within_error_for_arbitrary_laws(law: JointLaw, seed: int) -> None:
    """T2 for non-Gaussian, non-exchangeable laws: the tuned report-aware rule (its family
    contains "max report") is no worse than SA on held-out draws, within error."""
    r = check_t2_general(law, 3, 3, trials=6000, seed=seed)
    assert r.holds, r


@given(model=gaussian_models(), k=st.integers(1, 6))
def test_align_exact_is_nondecreasing_in_the_number_of_agents(model: GaussianModel, k: int) -> None:
    """Closed form: E[x_Align(M, K, exact)] is nondecreasing in M at fixed K."""
    vals = [expected_utility(model, Align(m, k)) for m in range(1, 7)]
    tol = 1e-8 * model.sigma
    assert all(b >= a - tol for a, b in itertools.pairwise(vals))


@given(model=gaussian_models(homogeneous=True), k=st.integers(1, 8))
def test_one_agent_align_equals_single_agent_closed_form(model: GaussianModel, k: int) -> None:
    """M = 1: with one proposal every principal rule outputs the agent's argmax y, so
    Align(1, K, rule) = SingleAgent(K) for exact, judge and bayes."""
    sa = expected_utility(model, SingleAgent(k))
    for rule in ("exact", "judge", "bayes"):
        assert expected_utility(model, Align(1, k, rule)) == pytest.approx(sa, abs=1e-8)


@given(model=gaussian_models(), k=st.integers(1, 8), seed=st.integers(0, 2**31 - 1))
def test_one_agent_align_equals_single_agent_pointwise(
    model: GaussianModel, k: int, seed: int
) -> None:
    """M = 1 on common draws: the outputs are identical on every draw (exact equality)."""
    d = model.sample(np.random.default_rng(seed), 1, k, 500)
    xs, ys, xh = proposals(d)
    sa = single_agent(d)
    for score in (xs, ys, xh):
        assert np.array_equal(pick(xs, score), sa)


def test_one_agent_align_equals_single_agent_in_the_engine() -> None:
    """M = 1 with the Monte Carlo engine: paired differences are exactly zero."""
    model = GaussianModel(tau=0.7, kappa=1.3, beta=0.4)
    protos = [Align(1, 4, "exact"), Align(1, 4, "judge"), Align(1, 4, "bayes"), SingleAgent(4)]
    res = compare(model, protos, trials=4096, seed=3, progress=False)
    for i in range(3):
        assert res.diffs[(i, 3)].mean == 0.0 and res.diffs[(i, 3)].stderr == 0.0


@given(
    mu=st.floats(-3.0, 3.0),
    tau=noise,
    kappa=noise,
    beta=st.floats(0.0, 1.0),
    m=st.integers(1, 5),
    k=st.integers(1, 5),
)
def test_perfect_correlation_makes_every_protocol_equal_mu(
    mu: float, tau: float, kappa: float, beta: float, m: int, k: int
) -> None:
    """ρ_b = ρ_w = 1: all candidates are identical, so every protocol's value is μ exactly."""
    model = GaussianModel(mu=mu, rho_between=1.0, rho_within=1.0, tau=tau, kappa=kappa, beta=beta)
    n = m * k
    protos = [
        Align(m, k, "exact"),
        Align(m, k, "judge"),
        Align(m, k, "bayes"),
        SingleAgent(n),
        SingleAgent(n, agents=m),
        RandomPick(n),
        Oracle(n),
        PrincipalBestOfN(n),
        Shortlist(n, m),
    ]
    for p in protos:
        assert expected_utility(model, p) == mu, p


@given(m=st.integers(2, 6), k=st.integers(1, 6), tau=st.floats(0.05, 3.0))
def test_kappa_star_is_a_unique_crossover(m: int, k: int, tau: float) -> None:
    """T4: D(κ) = Align(judge) − SA is ≥ 0 below κ* and < 0 above, with D(κ*) = 0."""
    ks = kappa_star(m, k, tau)
    assert ks > 0
    assert abs(judge_gap(m, k, tau, ks)) < 1e-8
    assert judge_gap(m, k, tau, 0.8 * ks) > 0 > judge_gap(m, k, tau, 1.25 * ks)
    grid = [judge_gap(m, k, tau, x) for x in np.linspace(0.0, 5.0 * ks, 11)]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(grid))


@given(
    rw=st.floats(0.05, 0.95),
    frac=st.floats(0.0, 1.0),
    tau=noise,
    m=st.integers(2, 5),
    k=st.integers(1, 5),
)
def test_t6_gaussian_multi_agent_pool_is_at_least_one_agent_pool(
    rw: float, frac: float, tau: float, m: int, k: int
) -> None:
    """T6 (Sudakov–Fernique), closed form: E max over M agents' pool ≥ one agent's pool
    when ρ_b ≤ ρ_w, with equality at ρ_b = ρ_w."""
    model = GaussianModel(rho_between=frac * rw, rho_within=rw, tau=tau)
    multi = expected_utility(model, Oracle(m * k, agents=m))
    single = expected_utility(model, Oracle(m * k))
    assert multi >= single - 1e-9
    if frac == 1.0:
        assert multi == pytest.approx(single, abs=1e-9)


@given(
    a=st.floats(0.3, 5.0),
    b=st.floats(0.3, 5.0),
    c=st.floats(0.1, 20.0),
    m=st.integers(1, 5),
    k=st.integers(1, 5),
)
def test_t6_bernoulli_lyapunov_coverage(a: float, b: float, c: float, m: int, k: int) -> None:
    """T6 (Lyapunov), exact quadrature: coverage of M diverse agents × K ≥ one agent × N,
    with equality at M = 1."""
    multi = coverage_diverse(a, b, c, m, k)
    single = coverage_diverse(a, b, c, 1, m * k)
    assert multi >= single - 1e-12
    if m == 1:
        assert multi == single
