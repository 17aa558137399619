"""The true posterior-mean principal of nested model G (align_theory.exact.posterior), its
JAX kernel, the ``linear``/``bayes`` rules in both engines and the T2-nested rows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from align_theory import Align, BernoulliModel, GaussianModel, SingleAgent, expected_utility
from align_theory.checks.posterior import (
    EXAMPLE,
    NESTED_CASES,
    check_t2_nested,
    numpy_align_minus_sa,
    regime_linear_nested,
)
from align_theory.exact.posterior import max_normal_moments, posterior_mean

NESTED = {
    "rho_b=0": GaussianModel(rho_between=0.0, rho_within=0.9, tau=0.6, kappa=0.8),
    "rho_b>0,offsets": GaussianModel(
        rho_between=0.3, rho_within=0.85, tau=0.7, kappa=1.0, agent_offsets=(0.0, 0.6, -0.4)
    ),
    "beta,mu,sigma": GaussianModel(
        mu=1.5, sigma=2.0, rho_between=0.2, rho_within=0.7, tau=1.0, kappa=0.5, beta=0.8
    ),
}


def _proposals(model: GaussianModel, m: int, k: int, t: int, seed: int) -> tuple[np.ndarray, ...]:
    d = model.sample(np.random.default_rng(seed), m, k, t)
    idx = d.y.argmax(axis=2)[..., None]
    return tuple(np.take_along_axis(a, idx, axis=2)[..., 0] for a in (d.x, d.y, d.xhat))


# ------------------------------------------------------------------ brute force


@pytest.mark.parametrize(("m", "k"), [(3, 4), (2, 7)], ids=["M3K4", "M2K7"])
@pytest.mark.parametrize("name", list(NESTED), ids=list(NESTED))
def test_posterior_mean_is_calibrated_against_brute_force_draws(name: str, m: int, k: int) -> None:
    """Brute force: draws of the literal model (every candidate, literal argmax y). The
    posterior mean e(D) is the unique function of D with E[(x − e(D)) h(D)] = 0 for every h;
    test h = 1, e, each proposal's own report and x̂, the other agents' reports, and bins of
    e (20 quantile bins): every normalized moment within 5 standard errors."""
    model = NESTED[name]
    px, py, pxh = _proposals(model, m, k, 30_000, seed=7)
    e = posterior_mean(model, py, pxh, k, nodes=25, span=10.0)
    resid = (px - e).ravel()
    others = (py.sum(axis=1, keepdims=True) - py) / max(m - 1, 1)
    feats = [np.ones_like(e), e, py, pxh, others, py * pxh]
    for h in feats:
        hv = (h - h.mean()).ravel() if h is not feats[0] else h.ravel()
        prod = resid * hv
        z = prod.mean() / (prod.std(ddof=1) / math.sqrt(prod.size))
        assert abs(z) < 5.0
    bins = np.quantile(e, np.linspace(0, 1, 21))
    which = np.clip(np.searchsorted(bins, e.ravel(), side="right") - 1, 0, 19)
    for b in range(20):
        r = resid[which == b]
        assert abs(r.mean()) < 5.0 * r.std(ddof=1) / math.sqrt(r.size)


def test_brute_force_check_has_power_against_the_linear_rule() -> None:
    """The same orthogonality test rejects the homogeneous-model posterior (the linear
    rule's mean) in the nested example: it mis-weights the reports."""
    px, py, pxh = _proposals(EXAMPLE, 4, 64, 30_000, seed=3)
    # posterior mean computed as if the agents shared one level (ρ_b = ρ_w = 0.99)
    shared = GaussianModel(rho_between=0.99, rho_within=0.99, tau=0.8, kappa=1.0)
    wrong = posterior_mean(shared, py, pxh, 64)
    good = posterior_mean(EXAMPLE, py, pxh, 64)
    dev = py - py.mean(axis=1, keepdims=True)

    def z(e: np.ndarray) -> float:
        prod = ((px - e) * dev).ravel()
        return float(prod.mean() / (prod.std(ddof=1) / math.sqrt(prod.size)))

    assert abs(z(good)) < 4.0
    assert abs(z(wrong)) > 10.0


def test_posterior_in_a_small_box_matches_rejection_sampling() -> None:
    """Second brute force: rejection sampling. Keep the draws whose agent-0 report and x̂ fall
    in a small box around (1.2, 0.9) and whose agent-1 report is above 1 (M = 2, K = 3,
    nested levels with Z₀ shared): the mean of x₀ over the kept draws equals the mean of
    the posterior E[x₀ | D] over them, and differs from the unconditional box mean of the
    posterior with agent 1's report ignored (the other agent's report is informative)."""
    model = GaussianModel(rho_between=0.4, rho_within=0.8, tau=0.5, kappa=0.7)
    px, py, pxh = _proposals(model, 2, 3, 600_000, seed=11)
    box = (np.abs(py[:, 0] - 1.2) < 0.12) & (np.abs(pxh[:, 0] - 0.9) < 0.12) & (py[:, 1] > 1.0)
    assert box.sum() > 1000
    e = posterior_mean(model, py[box], pxh[box], 3)
    diff = px[box, 0] - e[:, 0]
    se = diff.std(ddof=1) / math.sqrt(diff.size)
    assert abs(diff.mean()) < 4.5 * se
    one = posterior_mean(model, py[box, :1], pxh[box, :1], 3)  # agent 1 ignored
    assert float(np.mean(e[:, 0] - one[:, 0])) > 0.01


# ------------------------------------------------------------------ quadrature


@pytest.mark.parametrize("name", list(NESTED), ids=list(NESTED))
def test_default_rule_converges(name: str) -> None:
    model = NESTED[name]
    _, py, pxh = _proposals(model, 3, 5, 300, seed=1)
    fine = posterior_mean(model, py, pxh, 5, nodes=97, span=16.0)
    assert np.max(np.abs(posterior_mean(model, py, pxh, 5) - fine)) < 1e-7


def test_max_normal_moments() -> None:
    e, v = max_normal_moments(1)
    assert abs(e) < 1e-12 and abs(v - 1.0) < 1e-10
    e3, _ = max_normal_moments(3)
    assert abs(e3 - 1.5 / math.sqrt(math.pi)) < 1e-10
    with pytest.raises(ValueError, match="k must be"):
        max_normal_moments(0)


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        (GaussianModel(rho_between=0.2, rho_within=0.6, tau=0.5, kappa=0.0), "exact judge"),
        (GaussianModel(rho_between=0.2, rho_within=1.0, tau=0.0, kappa=1.0), "y = x + c"),
    ],
    ids=["kappa=0", "S_y=0"],
)
def test_degenerate_laws(model: GaussianModel, kind: str) -> None:
    _, py, pxh = _proposals(model, 3, 4, 10, seed=2)
    e = posterior_mean(model, py, pxh, 4)
    expect = pxh if kind == "exact judge" else py - model.offsets(3)
    assert np.allclose(e, expect)


def test_bad_input() -> None:
    m = GaussianModel()
    with pytest.raises(ValueError, match="per_agent"):
        posterior_mean(m, np.zeros((2, 2)), np.zeros((2, 2)), 0)
    with pytest.raises(ValueError, match="same shape"):
        posterior_mean(m, np.zeros((2, 2)), np.zeros((2, 3)), 2)
    with pytest.raises(ValueError, match="nodes"):
        posterior_mean(m, np.zeros((2, 2)), np.zeros((2, 2)), 2, nodes=2)
    with pytest.raises(TypeError, match="GaussianModel"):
        posterior_mean(BernoulliModel(1, 1), np.zeros((2, 2)), np.zeros((2, 2)), 2)  # type: ignore[arg-type]


# ------------------------------------------------------------------ homogeneous: bayes == linear

HOMOG = {
    "rho=0": GaussianModel(tau=0.7, kappa=1.2),
    "rho=0.5,offsets": GaussianModel(
        rho_between=0.5, rho_within=0.5, tau=0.5, kappa=0.7, agent_offsets=(0.0, 1.0, -0.5)
    ),
}


@pytest.mark.parametrize("name", list(HOMOG), ids=list(HOMOG))
def test_homogeneous_posterior_ranks_as_linear(name: str) -> None:
    model = HOMOG[name]
    _, py, pxh = _proposals(model, 3, 5, 2000, seed=4)
    e = posterior_mean(model, py, pxh, 5)
    wy, wx = model.linear_weights
    lin = wy * (py - model.offsets(3)) + wx * pxh
    assert np.array_equal(e.argmax(axis=1), lin.argmax(axis=1))
    # the difference is one common term per trial
    dev = (e - lin) - (e - lin).mean(axis=1, keepdims=True)
    assert np.max(np.abs(dev)) < 1e-9


@pytest.mark.parametrize(("m", "k"), [(4, 4), (3, 7)], ids=["M4K4", "M3K7"])
@pytest.mark.parametrize("name", list(HOMOG), ids=list(HOMOG))
def test_homogeneous_closed_form_bayes_equals_linear(name: str, m: int, k: int) -> None:
    model = HOMOG[name]
    assert expected_utility(model, Align(m, k, "bayes")) == expected_utility(
        model, Align(m, k, "linear")
    )


def test_homogeneous_monte_carlo_bayes_equals_linear() -> None:
    from align_theory.montecarlo import compare

    model = HOMOG["rho=0.5,offsets"]
    res = compare(model, [Align(3, 5, "bayes"), Align(3, 5, "linear")], trials=4000, seed=2)
    d = res.diffs[(0, 1)]
    assert abs(d.mean) < 1e-6 and d.stderr < 1e-5


# ------------------------------------------------------------------ nested: T2 and its failure


def test_nested_bayes_has_no_closed_form() -> None:
    with pytest.raises(NotImplementedError, match="simulate"):
        expected_utility(EXAMPLE, Align(4, 64, "bayes"))


@pytest.mark.parametrize("rule", ["linear", "bayes"])
def test_model_b_refuses_the_model_g_rules(rule: str) -> None:
    from align_theory import reference
    from align_theory.montecarlo import simulate

    b = BernoulliModel(1.0, 1.0)
    p = Align(2, 3, rule)  # type: ignore[arg-type]
    for run in (
        lambda: expected_utility(b, p),
        lambda: simulate(b, p, trials=10, progress=False),
        lambda: reference.simulate(b, p, trials=10),
    ):
        with pytest.raises(NotImplementedError, match="model G only"):
            run()


def test_linear_loses_to_single_agent_in_the_example() -> None:
    """Issue 14's example: closed form −0.0236, and numpy Monte Carlo agrees."""
    closed = expected_utility(EXAMPLE, Align(4, 64, "linear")) - expected_utility(
        EXAMPLE, SingleAgent(256, agents=4)
    )
    assert -0.0245 < closed < -0.0225
    mean, se = numpy_align_minus_sa(EXAMPLE, 4, 64, "linear", 20_000, np.random.default_rng(5))
    assert mean < -4 * se and abs(mean - closed) < 4 * se
    assert regime_linear_nested(trials=5000).passed


@pytest.mark.parametrize("case", list(NESTED_CASES), ids=list(NESTED_CASES))
def test_bayes_beats_single_agent_in_nested_g(case: str) -> None:
    model, m, k = NESTED_CASES[case]
    trials = 10_000 if case == "example" else 3000
    mean, se = numpy_align_minus_sa(model, m, k, "bayes", trials, np.random.default_rng(6))
    assert mean > -4 * se
    if case == "example":
        assert mean > 0.0


def test_t2_nested_row_passes_and_engines_agree() -> None:
    model, m, k = NESTED_CASES["example"]
    r = check_t2_nested(model, m, k, name="example", trials=5000)
    assert r.passed, r


# ------------------------------------------------------------------ JAX kernel vs numpy


@pytest.mark.parametrize(("m", "k"), [(3, 5), (4, 1), (2, 16)], ids=["M3K5", "M4K1", "M2K16"])
@pytest.mark.parametrize("name", list(NESTED), ids=list(NESTED))
def test_jax_kernel_matches_numpy(name: str, m: int, k: int) -> None:
    import jax.numpy as jnp

    from align_theory.montecarlo.posterior import posterior_mean_jax
    from align_theory.montecarlo.specs import model_spec

    model = NESTED[name]
    _, py, pxh = _proposals(model, m, k, 500, seed=9)
    spec = model_spec(model, m)
    p = {kk: jnp.asarray(v) for kk, v in spec.params.items()}
    out = posterior_mean_jax(
        p,
        jnp.asarray(py - model.mu, jnp.float32),
        jnp.asarray(pxh - model.mu, jnp.float32),
        p["off"][:m],
        k,
        spec.static.has_level,  # type: ignore[union-attr]
        spec.static.has_agent,  # type: ignore[union-attr]
    )
    ref = posterior_mean(model, py, pxh, k) - model.mu
    assert np.max(np.abs(np.asarray(out) - ref)) < 2e-4 * model.sigma


@pytest.mark.parametrize("sampler", ["candidates", "sufficient"])
def test_jax_engine_matches_reference_engine(sampler: str) -> None:
    from align_theory import reference
    from align_theory.montecarlo import simulate

    model, m, k = NESTED_CASES["rho_b>0"]
    p = Align(m, k, "bayes")
    a = simulate(model, p, trials=6000, seed=3, sampler=sampler, progress=False)
    b = reference.simulate(model, p, trials=2000, seed=4)
    assert abs(a.mean - b.mean) < 4 * math.hypot(a.stderr, b.stderr)
