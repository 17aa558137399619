"""Validation of the candidate models: every bad value names the parameter and its range."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from align_theory import BernoulliModel, EmpiricalPool, GaussianModel


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": -1.0}, "sigma"),
        ({"sigma": math.inf}, "sigma"),
        ({"mu": math.nan}, "mu"),
        ({"rho_within": 1.5}, "rho_within"),
        ({"rho_within": -0.1}, "rho_within"),
        ({"rho_within": 0.3, "rho_between": 0.5}, "rho_between"),
        ({"rho_between": -0.1}, "rho_between"),
        ({"tau": -0.5}, "tau"),
        ({"kappa": -1e-9}, "kappa"),
        ({"beta": -2.0}, "beta"),
        ({"tau": "abc"}, "tau"),
        ({"agent_offsets": ()}, "agent_offsets"),
        ({"agent_offsets": (0.0, math.inf)}, "agent_offsets[1]"),
    ],
)
def test_gaussian_rejects_bad_values(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=r"^" + name.replace("[", r"\[").replace("]", r"\]")):
        GaussianModel(**kwargs)


def test_gaussian_error_message_states_range() -> None:
    with pytest.raises(ValueError, match=r"rho_between must lie in \[0, rho_within\] = \[0, 0.3\]"):
        GaussianModel(rho_within=0.3, rho_between=0.5)
    with pytest.raises(ValueError, match=r"tau must lie in \[0, 1e\+100\], got -0.5"):
        GaussianModel(tau=-0.5)


def test_gaussian_derived_quantities() -> None:
    m = GaussianModel(sigma=2.0, rho_between=0.2, rho_within=0.6, tau=1.0, kappa=0.3, beta=0.4)
    assert m.sigma_within == pytest.approx(2.0 * math.sqrt(0.4))
    assert m.sigma_agent == pytest.approx(2.0 * math.sqrt(0.4))
    sw = m.sigma_within
    assert m.signal_ratio == pytest.approx(sw / math.hypot(sw, 1.0))
    assert m.judge_noise == pytest.approx(0.5)
    assert not m.homogeneous
    assert GaussianModel(rho_between=0.4, rho_within=0.4).homogeneous
    np.testing.assert_array_equal(
        GaussianModel(agent_offsets=(1.0, 2.0)).offsets(5), [1.0, 2.0, 1.0, 2.0, 1.0]
    )
    # degenerate: no within-question spread and no score noise
    assert GaussianModel(rho_within=1.0, rho_between=1.0, tau=0.0).signal_ratio == 1.0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"a": 0.0, "b": 1.0}, "a"),
        ({"a": 1.0, "b": -1.0}, "b"),
        ({"a": 1.0, "b": 1.0, "agent_tpr": 1.2}, "agent_tpr"),
        ({"a": 1.0, "b": 1.0, "agent_fpr": -0.1}, "agent_fpr"),
        ({"a": 1.0, "b": 1.0, "principal_tpr": 2.0}, "principal_tpr"),
        ({"a": 1.0, "b": 1.0, "principal_fpr": math.nan}, "principal_fpr"),
        ({"a": 1.0, "b": 1.0, "diversity": 0.0}, "diversity"),
        ({"a": 1.0, "b": 1.0, "wrong_answers": 0}, "wrong_answers"),
        ({"a": 1.0, "b": 1.0, "wrong_answers": 1.5}, "wrong_answers"),
        ({"a": 1.0, "b": 1.0, "wrong_concentration": 1.0}, "wrong_concentration"),
        (
            {"a": 1.0, "b": 1.0, "wrong_answers": 3, "wrong_concentration": -1.0},
            "wrong_concentration",
        ),
    ],
)
def test_bernoulli_rejects_bad_values(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=r"^" + name):
        BernoulliModel(**kwargs)


def test_bernoulli_from_mean_icc_roundtrip() -> None:
    m = BernoulliModel.from_mean_icc(0.3, 0.2, agent_tpr=0.7)
    assert m.mean == pytest.approx(0.3)
    assert m.icc == pytest.approx(0.2)
    assert m.a + m.b == pytest.approx(4.0)
    assert m.agent_tpr == 0.7
    assert BernoulliModel(1.0, 1.0).exact_principal
    assert not BernoulliModel(1.0, 1.0, principal_fpr=0.1).exact_principal


@pytest.mark.parametrize(
    ("mean", "icc", "name"), [(0.0, 0.2, "mean"), (0.5, 1.0, "icc"), (1.2, 0.1, "mean")]
)
def test_bernoulli_from_mean_icc_rejects(mean: float, icc: float, name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name} must lie in \(0, 1\)"):
        BernoulliModel.from_mean_icc(mean, icc)


def test_empirical_pool_validates_shapes() -> None:
    ok = np.zeros((2, 2, 3))
    pool = EmpiricalPool(ok.astype(bool), ok.astype(int), ok, ok)
    assert pool.shape == (2, 2, 3)
    with pytest.raises(ValueError, match="answers must have shape"):
        EmpiricalPool(ok.astype(bool), np.zeros((2, 2, 2)), ok, ok)
    with pytest.raises(ValueError, match="correct must have shape"):
        EmpiricalPool(np.zeros((2, 3)), ok, ok, ok)
    bad = ok.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        EmpiricalPool(ok.astype(bool), ok.astype(int), bad, ok)


def test_models_are_frozen() -> None:
    m = GaussianModel()
    with pytest.raises(AttributeError):
        m.tau = 2.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: GaussianModel(kappa=True), "kappa"),
        (lambda: GaussianModel(mu="0.5"), "mu"),  # type: ignore[arg-type]
        (lambda: GaussianModel(sigma=b"1"), "sigma"),  # type: ignore[arg-type]
        (lambda: GaussianModel(tau=1 + 2j), "tau"),  # type: ignore[arg-type]
        (lambda: GaussianModel(mu=10**400), "mu"),
        (lambda: GaussianModel(sigma=1e155), "sigma"),
        (lambda: GaussianModel(agent_offsets=0.5), "agent_offsets"),  # type: ignore[arg-type]
        (lambda: GaussianModel(agent_offsets=True), "agent_offsets"),  # type: ignore[arg-type]
        (lambda: GaussianModel(agent_offsets=(1.0, 1e200)), r"agent_offsets\[1\]"),
        (lambda: BernoulliModel(1.0, 1.0, agent_tpr="0.5"), "agent_tpr"),  # type: ignore[arg-type]
        (lambda: BernoulliModel(1e300, 1e300), "a"),
        (lambda: BernoulliModel(1e-17, 1.0), "a"),
        (lambda: BernoulliModel(1.0, 1.0, diversity=1e-300), "diversity"),
        (lambda: BernoulliModel.from_mean_icc(0.5, 0.1, a=1.0), "from_mean_icc"),
        (lambda: BernoulliModel.from_mean_icc(0.5, 0.1, kapa=1.0), "from_mean_icc"),
        (lambda: BernoulliModel.from_mean_icc(0.5, 1e-200), "mean=0.5 and icc=1e-200"),
        (lambda: BernoulliModel.from_mean_icc("0.5", 0.1), "mean"),  # type: ignore[arg-type]
        (
            lambda: EmpiricalPool(*[np.array([[["a"]]])] * 4),  # type: ignore[arg-type]
            "correct",
        ),
        (
            lambda: EmpiricalPool(
                np.ones((1, 1, 1), bool),
                np.ones((1, 1, 1)) * 0.5,
                np.ones((1, 1, 1)),
                np.ones((1, 1, 1)),
            ),
            "answers",
        ),
        (
            lambda: EmpiricalPool(
                np.ones((1, 1, 1), bool),
                np.ones((1, 1, 1), int),
                np.array([[["x"]]]),
                np.ones((1, 1, 1)),
            ),
            "agent_score",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_wrong_types_and_extremes_raise_value_error_naming_the_parameter(
    make: Any, name: str
) -> None:
    """Bools, strings, huge numbers and shapes outside the documented ranges are refused
    with a ValueError that starts with the parameter's name (never TypeError, never NaN)."""
    with pytest.raises(ValueError, match=r"^" + name):
        make()


def test_documented_extremes_give_finite_closed_forms() -> None:
    from align_theory import Align, SingleAgent
    from align_theory.exact import expected_utility

    big = GaussianModel(mu=1e100, sigma=1e100, tau=1e100, kappa=1e100)
    for proto in (Align(4, 4, "judge"), SingleAgent(16)):
        assert math.isfinite(expected_utility(big, proto))
    for a, b in ((1e-12, 1.0), (1e-12, 1e-12), (1.0, 1e-12)):
        assert math.isfinite(expected_utility(BernoulliModel(a, b), SingleAgent(16)))
