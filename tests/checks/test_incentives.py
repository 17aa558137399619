"""The T7 delegation game: each result of issue 5 reproduced on common random numbers, and
checks shown able to fail (a non-equilibrium profile is caught, a wrong claim is refuted)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from align_theory.checks import all_checks
from align_theory.checks.incentives import (
    T7_MODEL,
    check_t7_bias,
    check_t7_team,
    check_t7_threshold,
    check_t7_tournament,
)
from align_theory.exact import expected_utility
from align_theory.games import (
    Rule,
    Scheme,
    Strategy,
    StrategyGrid,
    check_equilibrium,
    competing_agents,
    deviation_payoffs,
    draw_game,
    equilibrium_utilities,
    kk_thresholds,
    mixture_emax,
    mixture_median_max,
    mixture_values,
    principal_utility,
    solve_asymmetric,
    threshold_delegation,
)
from align_theory.models import GaussianModel
from align_theory.protocols import Align
from align_theory.results import Report

TRIALS = 10_000
SMALL = StrategyGrid(w_b=(0.0, 0.5), w_t=(0.0, 0.5), shifts=(1.0,), scales=(2.0, 4.0))


def _passes(r: Report) -> None:
    assert r.agrees, f"{r.claim}: A={r.value_a} B={r.value_b} z={r.z:.2f}"
    assert r.holds, f"{r.claim}: {r.detail}"


def test_grid_indexing_starts_truthful_and_covers_every_combination() -> None:
    g = StrategyGrid()
    assert len(g) == 5 * 4 * 7
    assert g[0].truthful
    assert len({g[i] for i in range(len(g))}) == len(g)
    assert Strategy(scale=4.0).report_label == "scale×4"
    with pytest.raises(ValueError, match=r"start with 0\.0"):
        StrategyGrid(w_b=(0.5,))


def test_truthful_bayes_play_reproduces_the_closed_form() -> None:
    """The game's own sampler and selection, at truthful play and the Bayes rule, are
    Align(M, K, 'bayes') of the core: a second, independent implementation of T2's value."""
    for model in (T7_MODEL, GaussianModel(rho_between=0.3, rho_within=0.3, tau=0.5, kappa=0.7)):
        d = draw_game(model, 3, 5, trials=40_000, seed=11)
        u = principal_utility(d, (Strategy(),) * 3, Rule.bayes(model))
        se = u.std(ddof=1) / math.sqrt(u.size)
        assert abs(u.mean() - expected_utility(model, Align(3, 5, "bayes"))) < 4 * se


def test_team_truthful_is_an_equilibrium_at_the_t2_value() -> None:
    _passes(check_t7_team(trials=TRIALS, seed=3))


def test_equilibrium_check_catches_a_profitable_deviation() -> None:
    """Under a tournament truthful play is not an equilibrium (inflating wins more), and
    under the team incentive an inflated profile is beaten by truthful play."""
    d = draw_game(T7_MODEL, 4, 4, trials=TRIALS, seed=5)
    rule = Rule.bayes(T7_MODEL)
    tour = check_equilibrium(d, (Strategy(),) * 4, Scheme.tournament(), rule, SMALL, agents=[0])
    assert not tour.holds and tour.deviations[0].report_label != "truthful"
    one_liar = (Strategy(scale=4.0),) + (Strategy(),) * 3
    team = check_equilibrium(d, one_liar, Scheme.team(), rule, SMALL, agents=[0])
    assert not team.holds and team.deviations[0].truthful


def test_deviation_payoffs_are_paired_on_common_random_numbers() -> None:
    d = draw_game(T7_MODEL, 4, 4, trials=TRIALS, seed=6)
    pay = deviation_payoffs(
        d, (Strategy(),) * 4, 0, Scheme.tournament(), Rule.bayes(T7_MODEL), SMALL
    )
    assert pay.shape == (len(SMALL), TRIALS)
    # shifting the report up can only turn losses into wins, draw by draw
    shift = SMALL.reports.index((1.0, 1.0))
    assert np.all(pay[shift] >= pay[0])
    assert 0.2 < pay[0].mean() < 0.3  # symmetric truthful: P(win) = 1/4


def test_tournament_reports_inflate_and_the_principal_discounts() -> None:
    r = check_t7_tournament(trials=TRIALS, seed=2, grid=SMALL)
    _passes(r)
    assert r.extra["best_factor"] == 0.25  # undoes the ×4 inflation exactly
    assert r.extra["naive_utility"] < r.value_a


def test_asymmetric_iteration_reaches_the_same_profiles() -> None:
    d = draw_game(T7_MODEL, 3, 4, trials=TRIALS, seed=8)
    rule = Rule.bayes(T7_MODEL)
    team = solve_asymmetric(d, Scheme.team(), rule, SMALL)
    assert team.converged and all(s.truthful for s in team.profile)
    tour = solve_asymmetric(d, Scheme.tournament(), rule, SMALL)
    assert tour.converged
    assert all(s.report_label == "scale×4" and s.w_b == s.w_t == 0.0 for s in tour.profile)


def test_biased_judge_is_amplified_by_competition() -> None:
    r = check_t7_bias(agent_counts=(2, 4), trials=TRIALS, seed=1)
    _passes(r)
    assert r.extra["overestimate_M4"] > r.extra["overestimate_M2"]


def test_mixture_closed_forms_match_numerical_integration() -> None:
    n, eps, big = 8, 0.05, 100.0

    def cdf(m: float, corr: bool) -> float:
        if corr:
            return (1 - eps) * (1 - math.exp(-m)) ** n + eps * (1 - math.exp(-m / big)) ** n
        return (1 - (1 - eps) * math.exp(-m) - eps * math.exp(-m / big)) ** n

    for corr in (False, True):
        num = quad(lambda m, c=corr: 1.0 - cdf(m, c), 0, np.inf, limit=200)[0]
        assert mixture_emax(n, eps, big, correlated=corr) == pytest.approx(num, rel=1e-8)
        assert cdf(mixture_median_max(n, eps, big, correlated=corr), corr) == pytest.approx(0.5)
    assert mixture_emax(4, 0.0, 1.0, correlated=False) == pytest.approx(25 / 12)


def test_threshold_delegation_payoff_is_the_least_eligible_value() -> None:
    v = np.array([[1.0, 5.0, 3.0], [0.5, 0.2, 0.1]])
    assert threshold_delegation(v, 2.0).tolist() == [3.0, 0.0]


@pytest.mark.parametrize("correlated", [False, True])
def test_kk_half_guarantee_holds_only_with_independence_and_competition_restores_it(
    correlated: bool,
) -> None:
    r = check_t7_threshold(correlated, trials=TRIALS, seed=4)
    _passes(r)
    if correlated:
        assert max(r.extra["ratio_median"], r.extra["ratio_half_mean"]) < 0.25
    else:
        assert min(r.extra["ratio_median"], r.extra["ratio_half_mean"]) >= 0.5
    assert r.extra["ratio_two_agents"] >= 0.5


def test_competition_responds_to_the_agents_taste() -> None:
    """With a taste worth far more than winning, agents propose one of their least valuable
    candidates and competition no longer restores the guarantee: the solver is not rigged."""
    v = mixture_values(8, trials=TRIALS, seed=9, eps=0.05, big=100.0, correlated=True)
    emax = mixture_emax(8, 0.05, 100.0, correlated=True)
    mild = competing_agents(v, lam=1.0, emax=emax)
    greedy = competing_agents(v, lam=50.0, emax=emax, symmetric=True)
    assert mild.ranks == (1, 1) and mild.is_equilibrium
    assert greedy.converged and greedy.is_equilibrium
    assert greedy.ranks[0] == greedy.ranks[1] >= 3
    assert greedy.ratio < 0.5 < mild.ratio


def test_kk_thresholds_are_the_prior_median_and_half_mean() -> None:
    th = kk_thresholds(8, 0.05, 100.0, correlated=False)
    v = mixture_values(8, trials=200_000, seed=10, eps=0.05, big=100.0, correlated=False)
    assert np.mean(v.max(1) <= th["median"]) == pytest.approx(0.5, abs=0.005)
    assert th["half_mean"] == pytest.approx(0.5 * mixture_emax(8, 0.05, 100.0, correlated=False))


@pytest.mark.slow
def test_equilibrium_utilities_order_the_schemes() -> None:
    u = equilibrium_utilities(T7_MODEL, 4, 4, trials=TRIALS, seed=12)
    bayes = expected_utility(T7_MODEL, Align(4, 4, "bayes"))
    assert abs(u["team"].mean - bayes) < 4 * u["team"].stderr
    assert u["tournament/naive"].mean < u["tournament"].mean
    assert u["misaligned(2)"].mean < u["misaligned(0.5)"].mean < u["team"].mean


@pytest.mark.slow
def test_incentive_checks_all_pass() -> None:
    checks = [
        c
        for c in all_checks(trials=TRIALS)
        if getattr(c, "func", c).__name__.startswith("check_t7")
    ]
    assert len(checks) == 5
    for c in checks:
        _passes(c())
