"""Model G quadrature: quadrupling every composite rule moves no value by more than 3e-8
(the accuracy docs/model.md states), and huge pools are computed correctly or refused."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from align_theory import (
    Align,
    GaussianModel,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
    expected_utility,
)
from align_theory.exact import expected_max_normal, gaussian
from align_theory.exact.gaussian import G_MAX_POOL
from align_theory.protocols import Protocol

QUAD_MODELS = {
    "iid": GaussianModel(tau=1.0),
    "judge-bias": GaussianModel(tau=0.3, kappa=0.8, beta=0.3),
    "nested": GaussianModel(rho_between=0.2, rho_within=0.6, tau=0.5, kappa=0.5),
    "offsets": GaussianModel(
        rho_between=0.1, rho_within=0.5, kappa=0.2, agent_offsets=(0.0, 0.5, -0.3, 1.0)
    ),
    "sharp-judge": GaussianModel(tau=2.0, kappa=0.05),
}
QUAD_PROTOCOLS: list[Protocol] = [
    Align(4, 4),
    Align(4, 4, "judge"),
    Align(4, 4, "linear"),  # 'bayes' has this closed form only where rho_b = rho_w
    Align(16, 2, "judge"),
    Align(3, 7, "linear"),
    SingleAgent(16),
    SingleAgent(12, agents=3),
    Oracle(16, agents=4),
    PrincipalBestOfN(16, agents=4),
    PrincipalBestOfN(24),
    RandomPick(16),
    Shortlist(16, 4, "judge"),
    Shortlist(16, 4, "linear"),
    Shortlist(9, 9, "judge"),
    Shortlist(20, 3),
]
PANELS = (
    "_S_PANELS",
    "_G_PANELS",
    "_V_PANELS",
    "_MAX_PANELS",
    "_TOP_PANELS",
    "_T_PANELS",
    "_SL_PANELS",
)


@pytest.mark.parametrize("name", sorted(QUAD_MODELS))
def test_quadrupling_every_rule_moves_no_value_by_more_than_3e_8(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = QUAD_MODELS[name]
    expected_max_normal.cache_clear()
    base = [expected_utility(model, p) for p in QUAD_PROTOCOLS]
    for const in PANELS:
        monkeypatch.setattr(gaussian, const, 4 * getattr(gaussian, const))
    expected_max_normal.cache_clear()
    try:
        fine = [expected_utility(model, p) for p in QUAD_PROTOCOLS]
    finally:
        expected_max_normal.cache_clear()
    diff = np.abs(np.array(fine) - np.array(base))
    worst = int(np.argmax(diff))
    assert diff.max() <= 3e-8, (QUAD_PROTOCOLS[worst], diff.max())
    assert np.all(np.isfinite(base))


@pytest.mark.parametrize("e", [20, 30, 36, 40])
def test_huge_judge_pool_equals_principal_best_of_n(e: int) -> None:
    """K = 1: the judge sees every candidate, Align(M, 1, judge) = PrincipalBestOfN(M) (its
    value μ + r′σ e_M through a different quadrature); exact principal = Oracle."""
    g = GaussianModel(tau=0.8, kappa=0.6)
    m = 2**e
    assert expected_utility(g, Align(m, 1, "judge")) == pytest.approx(
        expected_utility(g, PrincipalBestOfN(m)), abs=1e-9
    )
    assert expected_utility(g, Align(m, 1)) == pytest.approx(
        expected_utility(g, Oracle(m)), abs=1e-9
    )
    # more candidates never hurt the judge: below SingleAgent's own ceiling e_M·σ_w
    assert expected_utility(g, Align(m, 1, "judge")) <= expected_max_normal(m) + 1e-12


def test_expected_max_normal_at_the_largest_pool_against_mpmath() -> None:
    n = G_MAX_POOL
    mpmath.mp.dps = 40
    f = lambda t: t * n * mpmath.npdf(t) * mpmath.ncdf(t) ** (n - 1)  # noqa: E731
    ref = float(mpmath.quad(f, [4, 6, 6.5, 7, 7.5, 8, 9, 12]))
    assert expected_max_normal(n) == pytest.approx(ref, abs=1e-9)


@pytest.mark.parametrize(
    ("proto", "name"),
    [
        (SingleAgent(10**30), "n"),
        (Align(2**41, 1, "judge"), r"agents \* per_agent"),
        (Align(2**32, 2**32), r"agents \* per_agent"),
        (PrincipalBestOfN(2**64), "n"),
        (Shortlist(2**41, 4), "n"),
    ],
    ids=["SA-1e30", "Align-2^41", "Align-2^64", "PBoN-2^64", "SL-2^41"],
)
def test_pools_beyond_the_maximum_are_refused(proto: Protocol, name: str) -> None:
    with pytest.raises(ValueError, match=rf"{name} must be <= 2\*\*40.*simulate"):
        expected_utility(GaussianModel(), proto)
    with pytest.raises(ValueError, match=r"n must be <= 2\*\*40"):
        expected_max_normal(2**41)


def test_model_g_values_finite_at_extreme_sizes() -> None:
    g = GaussianModel(rho_between=0.2, rho_within=0.5, tau=0.5, kappa=0.3)
    for p in (SingleAgent(2**40), Oracle(2**40), Align(2**20, 2**20, "judge"), Align(2, 2**39)):
        v = expected_utility(g, p)
        assert math.isfinite(v), p
    pool = Oracle(2**40, agents=2**20)  # the same pool: the exact principal cannot beat it
    assert expected_utility(g, Align(2**20, 2**20)) <= expected_utility(g, pool) + 1e-9
    # τ = 0: agents rank perfectly, Align(exact) = the pool's Oracle, through two quadratures
    g0 = GaussianModel(rho_between=0.2, rho_within=0.5, tau=0.0, kappa=0.3)
    assert expected_utility(g0, Align(2**20, 2**20)) == pytest.approx(
        expected_utility(g0, pool), abs=1e-9
    )
