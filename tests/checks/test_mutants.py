"""Checks that can fail: each new row is run against a deliberately wrong implementation
(a mutant, applied with monkeypatch) and must then fail, and the rows are exercised with
M ≠ K wherever M and K appear (a K-for-M swap cannot survive)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import align_theory.exact.bernoulli as exact_b
from align_theory.checks import statements
from align_theory.checks.diversity import (
    check_t6_bernoulli,
    check_t6_gaussian,
    check_t6_shortlist,
)
from align_theory.checks.enumeration import stage_by_enumeration
from align_theory.checks.incentives import check_t7_team, check_t7_tournament
from align_theory.checks.laws import LAWS, JointLaw, check_t2_general
from align_theory.checks.regimes import (
    biased_judge_closed,
    regime_beyond_kappa_star,
    regime_biased_judge,
    regime_low_recall,
    regime_majority_easy,
    regime_reliable_agent,
    regime_shortlist_iid,
)
from align_theory.checks.statements import check_t1, check_t2, check_t3, check_t5
from align_theory.exact import expected_max_normal, expected_utility, stage_operator
from align_theory.games import StrategyGrid
from align_theory.models import BernoulliModel, GaussianModel
from align_theory.montecarlo import simulate
from align_theory.protocols import Align, SingleAgent
from align_theory.results import Report

TRIALS = 8_000
B_MODEL = BernoulliModel(
    1.05, 1.283, agent_tpr=0.8, agent_fpr=0.3, principal_tpr=0.9, principal_fpr=0.2
)
DIVERSE_B = BernoulliModel(1.2, 2.8, diversity=1.5)  # E θ = 0.3
MK = [(3, 5), (5, 2)]
MK_IDS = ["M3K5", "M5K2"]


def _passes(r: Report) -> None:
    assert r.agrees, f"{r.statement}: A={r.value_a} B={r.value_b} z={r.z:.2f}"
    assert r.holds, f"{r.statement}: {r.detail}"


def _wrong_exponent(p: Any, tpr: float, fpr: float, k: int) -> np.ndarray:
    """Φ with (1−α)^K where the closed form has (1−α)^{K−1}."""
    p_a = np.asarray(p, dtype=float)
    alpha = tpr * p_a + fpr * (1.0 - p_a)
    frac = np.where(alpha > 1e-12, (1.0 - (1.0 - alpha) ** k) / np.maximum(alpha, 1e-12), k)
    return np.asarray(tpr * p_a * frac + p_a * (1.0 - tpr) * (1.0 - alpha) ** k)


def test_enumeration_equals_the_stage_operator_everywhere() -> None:
    p = np.linspace(0.0, 1.0, 11)
    for tpr, fpr, k in ((0.8, 0.3, 1), (0.9, 0.2, 5), (1.0, 0.0, 3), (0.6, 0.6, 7), (0.0, 0.0, 4)):
        assert np.allclose(stage_by_enumeration(p, tpr, fpr, k), stage_operator(p, tpr, fpr, k))


@pytest.mark.parametrize(("m", "k"), [(4, 4), *MK], ids=["M4K4", *MK_IDS])
def test_t5_fails_under_a_wrong_stage_exponent(
    m: int, k: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _passes(check_t5(B_MODEL, m, k, trials=TRIALS, seed=1))
    monkeypatch.setattr(exact_b, "stage_operator", _wrong_exponent)
    assert not check_t5(B_MODEL, m, k, trials=TRIALS, seed=1).passed


@pytest.mark.parametrize(("m", "k"), MK, ids=MK_IDS)
def test_t5_fails_when_the_principal_stage_reads_k_for_m(
    m: int, k: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The principal stage Φ_{s′,f′,M} evaluated with K candidates instead of M."""
    orig = exact_b.stage_operator

    def swapped(p: Any, tpr: float, fpr: float, n: int) -> np.ndarray:
        if tpr == B_MODEL.principal_tpr and fpr == B_MODEL.principal_fpr and n == m:
            n = k
        return orig(p, tpr, fpr, n)

    monkeypatch.setattr(exact_b, "stage_operator", swapped)
    assert not check_t5(B_MODEL, m, k, trials=TRIALS, seed=2).passed


def test_t3_fails_under_a_wrong_e_n(monkeypatch: pytest.MonkeyPatch) -> None:
    _passes(check_t3(16, 0.5, 1.0, trials=TRIALS, seed=3))
    monkeypatch.setattr(statements, "expected_max_normal", lambda n: expected_max_normal(n - 4))
    assert not check_t3(16, 0.5, 1.0, trials=TRIALS, seed=3).passed


class _SwappedDiversity:
    """A generator whose second ``beta`` call (θ_a | θ in ``BernoulliModel.sample``) has
    its two shape arguments swapped: Beta(c(1−θ), cθ)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng, self.calls = rng, 0

    def beta(self, a: Any, b: Any, size: Any = None) -> Any:
        self.calls += 1
        return self.rng.beta(b, a, size) if self.calls == 2 else self.rng.beta(a, b, size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rng, name)


def test_t6_bernoulli_catches_swapped_diversity_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    _passes(check_t6_bernoulli(DIVERSE_B, 4, 4, trials=TRIALS, seed=4))
    orig = BernoulliModel.sample

    def mutant(self: BernoulliModel, rng: np.random.Generator, *a: Any, **kw: Any) -> Any:
        return orig(self, _SwappedDiversity(rng), *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(BernoulliModel, "sample", mutant)
    assert not check_t6_bernoulli(DIVERSE_B, 4, 4, trials=TRIALS, seed=4).agrees


def test_t2_law_fails_with_a_deliberately_bad_fitted_rule() -> None:
    """A principal that ignores the reports (regresses x on x̂ only) facing a noisy judge
    loses to SA on held-out draws: the check says so."""
    law = JointLaw(kappa=3.0)

    def judge_only(ys: np.ndarray, xh: np.ndarray) -> np.ndarray:
        return np.stack([np.ones_like(xh), xh], axis=-1)

    r = check_t2_general(law, 4, 4, trials=TRIALS, seed=5, features=judge_only)
    assert r.value_b < 0 and not r.holds
    _passes(check_t2_general(law, 4, 4, trials=TRIALS, seed=5))


@pytest.mark.parametrize("name", sorted(LAWS))
@pytest.mark.parametrize(("m", "k"), MK, ids=MK_IDS)
def test_t2_law_with_m_not_k(name: str, m: int, k: int) -> None:
    _passes(check_t2_general(LAWS[name], m, k, name=name, trials=TRIALS, seed=6))


def test_biased_judge_weight_is_the_judges_ranking_in_the_agents_eyes() -> None:
    """Regressing x̂ on (y, b) gives b-weight/y-weight = β/r² = β(1+τ²) (4.875 at τ = β =
    1.5), the default weight of the closed form; the weight β would be mis-specified."""
    model = GaussianModel(tau=1.5, kappa=0.2, beta=1.5)
    d = model.sample(np.random.default_rng(7), 1, 1, 400_000)
    design = np.c_[d.y.ravel(), d.b.ravel(), np.ones(d.y.size)]
    coef = np.linalg.lstsq(design, d.xhat.ravel(), rcond=None)[0]
    assert coef[1] / coef[0] == pytest.approx(1.5 * (1 + 1.5**2), rel=0.03)
    right = biased_judge_closed(2, 8, 1.5, 0.2, 1.5)
    wrong = biased_judge_closed(2, 8, 1.5, 0.2, 1.5, weight=1.5)
    assert right < wrong  # the agents' right weight selects on b harder


@pytest.mark.parametrize(("m", "k"), MK, ids=MK_IDS)
def test_statement_rows_with_m_not_k(m: int, k: int) -> None:
    _passes(check_t1(GaussianModel(kappa=1.0, agent_offsets=(0.0, 0.5)), m, k, trials=4096))
    _passes(check_t1(B_MODEL, m, k, trials=4096))
    _passes(check_t2(GaussianModel(kappa=1.0), m, k, trials=4096))
    diverse = GaussianModel(rho_between=0.1, rho_within=0.8, tau=0.5)
    _passes(check_t6_gaussian(diverse, m, k, trials=TRIALS))
    _passes(check_t6_bernoulli(DIVERSE_B, m, k, trials=TRIALS))
    _passes(check_t6_shortlist(diverse, m, k, trials=TRIALS))


@pytest.mark.parametrize(("m", "k"), MK, ids=MK_IDS)
def test_model_b_engine_and_closed_form_agree_with_m_not_k(m: int, k: int) -> None:
    """The Monte Carlo engine's Align(judge) and SingleAgent in model B against the closed
    form: a principal stage that read K for M would be off by many standard errors."""
    for proto in (Align(m, k, "judge"), SingleAgent(m * k)):
        est = simulate(B_MODEL, proto, trials=20_000, seed=8)
        assert abs(est.mean - expected_utility(B_MODEL, proto)) < 4 * est.stderr, proto


@pytest.mark.parametrize(("m", "k"), MK, ids=MK_IDS)
def test_regimes_with_m_not_k(m: int, k: int) -> None:
    for r in (
        regime_low_recall(agents=m, per_agent=k, trials=20_000, seed=9),
        regime_shortlist_iid(m, k, trials=20_000, seed=9),
        regime_reliable_agent(m, k, 0.5, trials=20_000, seed=9),
        regime_beyond_kappa_star(m, k, 1.0, 2.0, trials=20_000, seed=9),
    ):
        _passes(r)
    vote = regime_majority_easy(agents=m, per_agent=k, trials=20_000, seed=9)
    assert vote.agrees


def test_regime_biased_judge_with_m_not_k() -> None:
    _passes(regime_biased_judge(3, 5, trials=20_000, seed=10))


@pytest.mark.parametrize(("m", "k"), MK, ids=MK_IDS)
def test_t7_rows_with_m_not_k(m: int, k: int) -> None:
    team_grid = StrategyGrid(w_b=(0.0, 0.5), w_t=(0.0, 0.5), shifts=(1.0,), scales=(2.0,))
    _passes(check_t7_team(agents=m, per_agent=k, trials=TRIALS, seed=11, grid=team_grid))
    scale4 = StrategyGrid(w_b=(0.0,), w_t=(0.0,), shifts=(), scales=(4.0,))
    r = check_t7_tournament(agents=m, per_agent=k, trials=TRIALS, seed=11, grid=scale4)
    _passes(r)
    assert r.extra["best_factor"] == 0.25
