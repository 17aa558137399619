"""The statement checks of align_theory.checks: each passes where the statement holds,
and fails (``holds`` False) where its hypothesis is violated, so the checks can fail."""

from __future__ import annotations

import numpy as np
import pytest

from align_theory.checks import all_checks
from align_theory.checks.diversity import (
    check_t6_bernoulli,
    check_t6_gaussian,
    check_t6_shortlist,
)
from align_theory.checks.laws import LAWS, JointLaw, check_t2_general
from align_theory.checks.statements import check_t4
from align_theory.exact import (
    coverage_diverse,
    expected_utility,
    judge_gap,
    kappa_star,
    kappa_star_table,
)
from align_theory.models import BernoulliModel, GaussianModel
from align_theory.protocols import Oracle
from align_theory.results import Report

TRIALS = 10_000
DIVERSE = GaussianModel(rho_between=0.2, rho_within=0.7, tau=0.5)


def _passes(r: Report) -> None:
    assert r.agrees, f"{r.statement}: A={r.value_a} B={r.value_b} z={r.z:.2f}"
    assert r.holds, f"{r.statement}: claim fails: {r.detail}"


@pytest.mark.parametrize(("m", "k", "tau"), [(4, 4, 0.5), (2, 8, 1.0), (8, 2, 0.25)])
def test_kappa_star_is_the_root_and_monte_carlo_confirms_both_sides(
    m: int, k: int, tau: float
) -> None:
    ks = kappa_star(m, k, tau)
    assert abs(judge_gap(m, k, tau, ks)) < 1e-8
    assert judge_gap(m, k, tau, 0.9 * ks) > 0 > judge_gap(m, k, tau, 1.1 * ks)
    r = check_t4(m, k, tau, trials=TRIALS, seed=1)
    _passes(r)
    assert r.extra["mc_below"] > 0 > r.extra["mc_above"]


def test_kappa_star_is_zero_for_a_perfect_agent_and_needs_two_agents() -> None:
    assert kappa_star(4, 4, 0.0) == 0.0
    with pytest.raises(ValueError, match="agents"):
        kappa_star(1, 4, 1.0)


def test_kappa_star_table_grows_with_agent_noise_and_shrinks_with_more_agents() -> None:
    table = kappa_star_table(agents=(2, 8), per_agent=(2, 8), taus=(0.25, 1.0, 2.0))
    for m in (2, 8):
        for k in (2, 8):
            vals = [table[(m, k, t)] for t in (0.25, 1.0, 2.0)]
            assert vals == sorted(vals) and vals[0] > 0
    for k in (2, 8):
        for t in (0.25, 1.0, 2.0):
            assert table[(8, k, t)] < table[(2, k, t)]
    # regression value (σ_w = 1), also printed in docs/statements.md
    assert kappa_star(4, 4, 1.0) == pytest.approx(1.2049357699751808, rel=1e-6)


def test_t6_gaussian_multi_agent_pool_beats_one_agent_pool() -> None:
    _passes(check_t6_gaussian(DIVERSE, 4, 4, trials=TRIALS, seed=2))


def test_t6_gaussian_rejects_a_homogeneous_model() -> None:
    with pytest.raises(ValueError, match="rho_between < rho_within"):
        check_t6_gaussian(GaussianModel(tau=0.5), trials=100)


def test_t6_bernoulli_diverse_agents_cover_more_and_formula_matches_exact() -> None:
    model = BernoulliModel(2.0, 2.0, diversity=2.0)
    _passes(check_t6_bernoulli(model, 4, 4, trials=TRIALS, seed=3))
    for m, k in ((2, 3), (3, 5), (1, 7)):
        div = BernoulliModel(1.5, 3.0, diversity=0.7)
        assert coverage_diverse(1.5, 3.0, 0.7, m, k) == pytest.approx(
            expected_utility(div, Oracle(m * k, agents=m)), abs=1e-9
        )


def test_t6_bernoulli_needs_diversity() -> None:
    with pytest.raises(ValueError, match="diversity"):
        check_t6_bernoulli(BernoulliModel(2.0, 2.0), trials=100)


def test_t6_align_beats_shortlist_with_diversity_but_the_check_fails_in_the_iid_case() -> None:
    _passes(check_t6_shortlist(DIVERSE, 4, 4, trials=TRIALS, seed=4))
    iid = check_t6_shortlist(GaussianModel(tau=1.0), 4, 4, trials=TRIALS, seed=4)
    assert iid.agrees and not iid.holds and iid.value_a < 0


@pytest.mark.parametrize("name", sorted(LAWS))
def test_t2_holds_on_non_gaussian_non_exchangeable_laws(name: str) -> None:
    r = check_t2_general(LAWS[name], 4, 4, name=name, trials=TRIALS, seed=5)
    _passes(r)
    assert r.extra["mismatches"] == 0 and r.extra["t1_violations"] == 0


def test_t2_general_with_a_useless_judge_falls_back_to_max_report() -> None:
    """An enormous judge noise makes x̂ useless: the chosen rule must then be (near) the max
    report, so the held-out advantage over SA is near zero, not negative."""
    law = JointLaw(df=4.0, kappa=1e3)
    r = check_t2_general(law, 3, 3, trials=TRIALS, seed=6)
    _passes(r)
    assert abs(r.value_b) < 5 * r.stderr_b + 1e-12


def test_joint_law_validates_its_parameters() -> None:
    with pytest.raises(ValueError, match="df"):
        JointLaw(df=2.0)
    with pytest.raises(ValueError, match="taus"):
        JointLaw(taus=())
    with pytest.raises(ValueError, match=">= 0"):
        JointLaw(kappa=-1.0)


def test_joint_law_heavy_tails_have_unit_variance_noise() -> None:
    d = JointLaw(df=5.0, question_sd=0.0, kappa=0.0).draw(1, 1, 200_000, np.random.default_rng(0))
    assert np.var(d.x) == pytest.approx(1.0, abs=0.03)
    assert np.array_equal(d.xhat, d.x)


def test_all_checks_cover_every_statement_and_regime() -> None:
    checks = all_checks(trials=1000)
    names = {getattr(c, "func", c).__name__ for c in checks}
    expected = {
        "check_t1",
        "check_t2",
        "check_t2_general",
        "check_t3",
        "check_t4",
        "check_t5",
        "check_t6_gaussian",
        "check_t6_bernoulli",
        "check_t6_shortlist",
        "check_majority_published",
        "regime_reliable_agent",
        "regime_beyond_kappa_star",
        "regime_low_recall",
        "regime_biased_judge",
        "regime_shortlist_iid",
        "regime_majority_easy",
        "check_chen_shape",
        "check_beta_binomial_limit",
        "check_t7_team",
        "check_t7_tournament",
        "check_t7_bias",
        "check_t7_threshold",
    }
    assert expected <= names
    assert len(checks) == len(all_checks(trials=10))


@pytest.mark.slow
def test_align_verify_passes_at_the_default_grid(capsys: pytest.CaptureFixture[str]) -> None:
    from align_theory.cli import main

    rc = main(["verify", "--trials", "10000", "--json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert '"failed": 0' in out
