"""Closed forms against published values, independent adaptive quadrature, brute-force
enumeration, and Monte Carlo (within 4 standard errors)."""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
from scipy import integrate, special, stats

from align_theory import (
    Align,
    BernoulliModel,
    GaussianModel,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
    compare,
    expected_utility,
)
from align_theory.exact import (
    beta_binomial_majority,
    bivariate_normal_cdf,
    expected_max_normal,
    group_select,
    stage_operator,
    verifier_select,
)
from align_theory.exact.quadrature import beta_nodes

# ../shared/REFERENCES.md
E_TABLE = {
    2: 0.564190,
    3: 0.846284,
    4: 1.029375,
    5: 1.162964,
    8: 1.423600,
    10: 1.538753,
    16: 1.765991,
    32: 2.069669,
    64: 2.343733,
}


@pytest.mark.parametrize(("n", "value"), sorted(E_TABLE.items()))
def test_expected_max_normal_matches_published_table(n: int, value: float) -> None:
    assert expected_max_normal(n) == pytest.approx(value, abs=1e-6)


def test_expected_max_normal_closed_forms_and_large_n() -> None:
    assert expected_max_normal(1) == 0.0
    assert expected_max_normal(2) == pytest.approx(1 / math.sqrt(math.pi), abs=1e-12)
    assert expected_max_normal(3) == pytest.approx(1.5 / math.sqrt(math.pi), abs=1e-12)
    values = [expected_max_normal(n) for n in range(1, 1025)]
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) > 0)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        expected_max_normal(0)


@pytest.mark.parametrize("n", [7, 256, 1024])
def test_expected_max_normal_against_mpmath(n: int) -> None:
    mpmath.mp.dps = 30
    f = lambda t: t * n * mpmath.npdf(t) * mpmath.ncdf(t) ** (n - 1)  # noqa: E731
    ref = float(mpmath.quad(f, [-12, -4, 0, 2, 4, 12]))
    assert expected_max_normal(n) == pytest.approx(ref, abs=1e-9)


def _group_select_simpson(m: int, k: int, bs: float, bt: float, sds: float, cov: float) -> float:
    """The group formula on dense uniform grids with Simpson's rule (independent of the
    Gauss–Legendre rules and support search of the library)."""
    v = np.linspace(-9.0, 9.0, 2401)
    f_k = k * stats.norm.pdf(v) * stats.norm.cdf(v) ** (k - 1)
    s = np.linspace(-9.0 * (bs + sds), 9.0 * (bs + sds), 2401)
    z = (s[:, None] - bs * v[None, :]) / sds
    mean_t = bt * v[None, :] + cov / sds**2 * (s[:, None] - bs * v[None, :])
    h = integrate.simpson(f_k * mean_t * stats.norm.pdf(z) / sds, x=v, axis=1)
    cdf = integrate.simpson(f_k * stats.norm.cdf(z), x=v, axis=1)
    return float(m * integrate.simpson(h * cdf ** (m - 1), x=s))


@pytest.mark.parametrize(
    ("m", "k", "bs", "bt", "sds", "cov"),
    [(3, 2, 0.7, 0.7, 0.8, 0.5), (2, 5, 0.4, 0.4, 1.5, 0.25), (4, 3, 1.0, 0.9, 0.2, 0.03)],
)
def test_group_select_against_dense_simpson_rule(
    m: int, k: int, bs: float, bt: float, sds: float, cov: float
) -> None:
    ours = group_select(m, k, bs, bt, sds, math.sqrt(max(cov, 0.0) + 0.1), cov)
    assert ours == pytest.approx(_group_select_simpson(m, k, bs, bt, sds, cov), abs=1e-7)


def test_bivariate_normal_cdf_against_scipy() -> None:
    rng = np.random.default_rng(1)
    for rho in (-0.95, -0.3, 0.0, 0.5, 0.99):
        h, k = rng.normal(0, 2, 50), rng.normal(0, 2, 50)
        h[:3] = 0.0
        ref = stats.multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf(np.c_[h, k])
        np.testing.assert_allclose(bivariate_normal_cdf(h, k, rho), ref, atol=1e-7)


def test_model_g_single_agent_oracle_random_closed_forms() -> None:
    m = GaussianModel(mu=0.3, sigma=2.0, rho_between=0.5, rho_within=0.5, tau=0.7, kappa=0.4)
    sw = m.sigma_within
    r = sw / math.hypot(sw, 0.7)
    assert expected_utility(m, SingleAgent(16)) == pytest.approx(
        0.3 + r * sw * E_TABLE[16], abs=1e-5
    )
    assert expected_utility(m, Oracle(16)) == pytest.approx(0.3 + sw * E_TABLE[16], abs=1e-5)
    assert expected_utility(m, RandomPick(16)) == 0.3
    rp = sw / math.hypot(sw, 0.4)
    assert expected_utility(m, PrincipalBestOfN(16)) == pytest.approx(
        0.3 + rp * sw * E_TABLE[16], abs=1e-5
    )


def test_model_g_identities() -> None:
    g = GaussianModel(tau=0.8, kappa=0.6)
    # one agent, exact principal: Align(1, K) = SingleAgent(K)
    assert expected_utility(g, Align(1, 8)) == pytest.approx(
        expected_utility(g, SingleAgent(8)), abs=1e-9
    )
    # K = 1: the principal evaluates every candidate = PrincipalBestOfN
    assert expected_utility(g, Align(8, 1, "judge")) == pytest.approx(
        expected_utility(g, PrincipalBestOfN(8)), abs=1e-9
    )
    # Shortlist of everything with an exact principal = Oracle; of one = SingleAgent
    assert expected_utility(g, Shortlist(8, 8)) == pytest.approx(
        expected_utility(g, Oracle(8)), abs=1e-9
    )
    assert expected_utility(g, Shortlist(8, 1, "judge")) == pytest.approx(
        expected_utility(g, SingleAgent(8)), abs=1e-9
    )
    # tau = 0: agents rank perfectly and Align(exact) = Oracle
    g0 = GaussianModel(tau=0.0)
    assert expected_utility(g0, Align(4, 4)) == pytest.approx(
        expected_utility(g0, Oracle(16)), abs=1e-9
    )
    # perfectly correlated candidates: everything equals mu
    g1 = GaussianModel(mu=0.5, rho_between=1.0, rho_within=1.0, kappa=0.3)
    for p in (Align(4, 4, "judge"), SingleAgent(16), Oracle(16), Shortlist(16, 4, "bayes")):
        assert expected_utility(g1, p) == pytest.approx(0.5, abs=1e-12)


G_MODELS = [
    GaussianModel(tau=1.0),
    GaussianModel(tau=0.3, kappa=0.8, beta=0.3),
    GaussianModel(rho_between=0.2, rho_within=0.6, tau=0.5, kappa=0.5),
    GaussianModel(rho_between=0.1, rho_within=0.5, agent_offsets=(0.0, 0.5, -0.3, 1.0)),
    # no agent shift but offsets: SingleAgent over 4 agents selects by V + c_a alone
    GaussianModel(tau=0.7, agent_offsets=(0.0, 0.5, -0.3, 1.0)),
]
G_PROTOCOLS = [
    Align(4, 4),
    Align(4, 4, "judge"),
    Align(4, 4, "linear"),
    SingleAgent(16),
    SingleAgent(16, agents=4),
    Oracle(16, agents=4),
    PrincipalBestOfN(16, agents=4),
    RandomPick(16),
    Shortlist(16, 4, "judge"),
    Shortlist(16, 4, "bayes"),
]


@pytest.mark.parametrize(
    "model", G_MODELS, ids=lambda m: f"tau{m.tau}-k{m.kappa}-rb{m.rho_between}"
)
def test_model_g_closed_forms_match_monte_carlo(model: GaussianModel) -> None:
    res = compare(model, G_PROTOCOLS, trials=20_000, seed=11)
    for proto, est in zip(G_PROTOCOLS, res.estimates, strict=True):
        closed = expected_utility(model, proto)
        assert abs(closed - est.mean) <= 4 * est.stderr, (proto, closed, est)


B_MODELS = [
    BernoulliModel(1.05, 1.283),
    BernoulliModel(2, 3, agent_tpr=0.8, agent_fpr=0.3, principal_tpr=0.9, principal_fpr=0.2),
    BernoulliModel(
        0.5, 0.7, agent_tpr=0.6, agent_fpr=0.1, principal_tpr=0.7, principal_fpr=0.05, diversity=3.0
    ),
]
B_PROTOCOLS = [
    Align(4, 4),
    Align(4, 4, "judge"),
    SingleAgent(16),
    Oracle(16),
    Oracle(16, agents=4),
    PrincipalBestOfN(16),
    RandomPick(16),
    MajorityVote(15),
    MajorityVote(16),
]


@pytest.mark.parametrize("model", B_MODELS, ids=lambda m: f"a{m.a}-s{m.agent_tpr}-c{m.diversity}")
def test_model_b_closed_forms_match_monte_carlo(model: BernoulliModel) -> None:
    protos = list(B_PROTOCOLS)
    if model.diversity is None:
        protos += [Shortlist(16, 4), Shortlist(16, 4, "judge")]
    res = compare(model, protos, trials=20_000, seed=12)
    for proto, est in zip(protos, res.estimates, strict=True):
        closed = expected_utility(model, proto)
        assert abs(closed - est.mean) <= 4 * est.stderr + 1e-12, (proto, closed, est)


def test_beta_binomial_majority_published_example() -> None:
    assert beta_binomial_majority(1.05, 1.283, 15) == pytest.approx(0.431337, abs=1e-6)
    assert beta_binomial_majority(1.05, 1.283, 4001) == pytest.approx(0.427586, abs=3e-3)
    limit = 1 - stats.beta(1.05, 1.283).cdf(0.5)
    assert limit == pytest.approx(0.427586, abs=1e-6)
    assert expected_utility(BernoulliModel(1.05, 1.283), MajorityVote(15)) == pytest.approx(
        0.431337, abs=1e-6
    )


def test_coverage_closed_form() -> None:
    a, b, n = 0.7, 2.5, 32
    ref = 1 - math.exp(special.betaln(a, b + n) - special.betaln(a, b))
    assert expected_utility(BernoulliModel(a, b), Oracle(n)) == pytest.approx(ref, abs=1e-10)


def _stage_brute(p: float, s: float, f: float, k: int) -> float:
    """Enumerate every (correct, accepted) pattern of K candidates."""
    total = 0.0
    for pattern in itertools.product(range(4), repeat=k):  # 0 CA, 1 CR, 2 WA, 3 WR
        probs = [p * s, p * (1 - s), (1 - p) * f, (1 - p) * (1 - f)]
        w = math.prod(probs[c] for c in pattern)
        acc = [c for c in pattern if c in (0, 2)]
        pool = acc if acc else list(pattern)
        total += w * sum(c in (0, 1) for c in pool) / len(pool)
    return total


@pytest.mark.parametrize(
    ("p", "s", "f", "k"), [(0.3, 0.8, 0.2, 3), (0.7, 0.5, 0.5, 4), (0.1, 0.0, 0.0, 2)]
)
def test_stage_operator_against_enumeration(p: float, s: float, f: float, k: int) -> None:
    assert float(stage_operator(p, s, f, k)) == pytest.approx(_stage_brute(p, s, f, k), abs=1e-12)
    # the heterogeneous selector reduces to the stage operator for one type
    het = verifier_select(np.array([p, 0.0]), np.array([k, 0]), s, f)
    assert float(het) == pytest.approx(_stage_brute(p, s, f, k), abs=1e-12)


def test_beta_nodes_are_exact_for_polynomials() -> None:
    a, b = 0.3, 4.5
    theta, w = beta_nodes(a, b, 60)
    for j in (1, 5, 30, 60):
        exact = math.exp(special.betaln(a + j, b) - special.betaln(a, b))
        assert float(np.sum(w * theta**j)) == pytest.approx(exact, rel=1e-10)


@pytest.mark.parametrize(
    ("model", "proto"),
    [
        (GaussianModel(rho_between=0.0, rho_within=0.5, kappa=1.0), Align(3, 5, "bayes")),
    ],
)
def test_missing_closed_forms_point_to_simulate(
    model: BernoulliModel | GaussianModel, proto: object
) -> None:
    with pytest.raises(NotImplementedError, match=r"use align_theory\.simulate"):
        expected_utility(model, proto)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "proto",
    [Align(2, 2, "bayes"), Align(2, 3, "linear"), Shortlist(4, 2, "bayes")],
    ids=["align-bayes", "align-linear", "shortlist-bayes"],
)
def test_model_g_rules_are_refused_in_model_b(proto: object) -> None:
    with pytest.raises(NotImplementedError, match="model G only"):
        expected_utility(BernoulliModel(1, 1, diversity=2.0), proto)  # type: ignore[arg-type]


def test_votes_are_undefined_in_model_g() -> None:
    with pytest.raises(ValueError, match="needs discrete answers"):
        expected_utility(GaussianModel(), MajorityVote(5))
