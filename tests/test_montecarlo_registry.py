"""Every registered protocol × every model structure that defines it, three ways.

For each case: closed form ≈ Monte Carlo (where :func:`expected_utility` has one),
``sufficient`` ≈ ``candidates`` (where the sufficient sampler exists), JAX ≈ the numpy
reference engine (always). Each model's runs are made once (one compiled program per
sampler) and the cases read their protocol's entry, so every case has its own id and one
failure does not hide the others. Pools with M ≠ K in both directions are everywhere (a
kernel that reads K where it should read M fails here). Agreement: |a − b| ≤ 4·√(se_a² +
se_b²), or 4 se against an exact number; the seeds are fixed, so the tests are
deterministic.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from align_theory import (
    Align,
    BernoulliModel,
    EmpiricalPool,
    FilterVote,
    GaussianModel,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
    expected_utility,
    reference,
)
from align_theory.models import Model
from align_theory.montecarlo import Estimate, compare, simulate_each
from align_theory.montecarlo.common import CANDIDATE_RULES
from align_theory.montecarlo.kernels import check_supported, supports_sufficient
from align_theory.protocols import REGISTRY, Protocol, protocol_spec

TRIALS = 40_000

PROTOCOLS: list[Protocol] = [
    *(Align(m, k, r) for m, k in ((2, 8), (8, 2)) for r in ("exact", "judge", "linear", "bayes")),
    SingleAgent(16),
    SingleAgent(16, 2),
    SingleAgent(16, 8),
    RandomPick(16, 8),
    Oracle(16),
    Oracle(16, 8),
    PrincipalBestOfN(16),
    PrincipalBestOfN(16, 2),
    Shortlist(16, 3, "exact"),
    Shortlist(16, 3, "judge"),
    Shortlist(16, 3, "bayes"),
    MajorityVote(3),
    MajorityVote(12, 4),
    FilterVote(3),
    FilterVote(12, 3),
]


def _pool() -> EmpiricalPool:
    rng = np.random.default_rng(0)
    shape = (30, 8, 8)
    correct = rng.random(shape) < rng.random((30, 1, 1))
    answers = np.where(correct, 7, rng.integers(0, 4, shape))
    answers[(rng.random(shape) < 0.05) & ~correct] = -1  # unparsed answers are graded wrong
    return EmpiricalPool(
        correct, answers, correct + rng.normal(0, 1, shape), correct + rng.normal(0, 0.5, shape)
    )


MODELS: dict[str, Model] = {
    "G": GaussianModel(
        mu=0.3,
        rho_between=0.2,
        rho_within=0.5,
        tau=0.7,
        kappa=0.6,
        beta=0.3,
        agent_offsets=(0.0, 0.4),
    ),
    "G-homog": GaussianModel(rho_between=0.3, rho_within=0.3, tau=1.0, kappa=0.5),
    # a weak principal verifier: Align's fallback stage (no proposal accepted) matters
    "B": BernoulliModel(1.5, 1.0, agent_tpr=0.8, agent_fpr=0.3, principal_tpr=0.6),
    "B-div-dirichlet": BernoulliModel(
        2.0,
        3.0,
        agent_tpr=0.8,
        agent_fpr=0.3,
        principal_tpr=0.7,
        principal_fpr=0.2,
        diversity=5.0,
        wrong_answers=3,
        wrong_concentration=0.7,
    ),
    "pool": _pool(),
}


def _defined(model: Model, proto: Protocol) -> bool:
    try:
        check_supported(model, [proto])
    except (ValueError, NotImplementedError):
        return False
    return True


def _closed(model: Model, proto: Protocol) -> float | None:
    try:
        return expected_utility(model, proto)
    except (NotImplementedError, ValueError):  # no closed form, or a layout the pool lacks
        return None


def _cases(kind: str) -> list[pytest.param]:
    out = []
    for mname, model in MODELS.items():
        for proto in PROTOCOLS:
            if not _defined(model, proto):
                continue
            if kind == "exact" and _closed(model, proto) is None:
                continue
            if kind == "sufficient" and not supports_sufficient(model, proto):
                continue
            out.append(pytest.param(mname, proto, id=f"{mname}-{proto!r}"))
    return out


@cache
def _runs(mname: str, kind: str) -> dict[Protocol, Estimate]:
    """One run per model and sampler, over every protocol it defines."""
    model = MODELS[mname]
    protos = [p for p in PROTOCOLS if _defined(model, p)]
    if kind == "sufficient":
        protos = [p for p in protos if supports_sufficient(model, p)]
        ests = simulate_each(model, protos, trials=TRIALS, seed=1, progress=False)
    elif kind == "candidates":
        ests = compare(model, protos, trials=TRIALS, seed=2, progress=False).estimates
    else:
        # the numpy reference is slow (nested 'bayes' integrates a posterior per proposal):
        # a quarter of the trials, its wider standard error enters the 4-se tolerance
        ests = reference.compare(model, protos, trials=TRIALS // 4, seed=3).estimates
    return dict(zip(protos, ests, strict=True))


def _close(a: Estimate, b: Estimate) -> bool:
    return abs(a.mean - b.mean) <= 4.0 * math.hypot(a.stderr, b.stderr)


def test_every_registered_protocol_has_a_candidate_rule_and_a_case() -> None:
    assert set(CANDIDATE_RULES) == {s.cls for s in REGISTRY.values()}
    covered = {protocol_spec(p).name for p in PROTOCOLS}
    assert covered == set(REGISTRY)
    assert {p for p in PROTOCOLS if isinstance(p, Align)} >= {Align(2, 8), Align(8, 2)}


@pytest.mark.parametrize(("mname", "proto"), _cases("exact"))
def test_closed_form_matches_monte_carlo(mname: str, proto: Protocol) -> None:
    """The default sampler (sufficient where defined) against the closed form."""
    model = MODELS[mname]
    exact = _closed(model, proto)
    assert exact is not None
    runs = _runs(mname, "sufficient") if supports_sufficient(model, proto) else {}
    est = runs.get(proto) or _runs(mname, "candidates")[proto]
    assert abs(est.mean - exact) <= 4.0 * est.stderr, (est, exact)


@pytest.mark.parametrize(("mname", "proto"), _cases("sufficient"))
def test_sufficient_matches_candidates(mname: str, proto: Protocol) -> None:
    a, b = _runs(mname, "sufficient")[proto], _runs(mname, "candidates")[proto]
    assert _close(a, b), (a, b)


@pytest.mark.parametrize(("mname", "proto"), _cases("any"))
def test_jax_matches_reference(mname: str, proto: Protocol) -> None:
    a, b = _runs(mname, "candidates")[proto], _runs(mname, "reference")[proto]
    assert _close(a, b), (a, b)


@pytest.mark.parametrize("sampler", ["sufficient", "candidates"])
def test_plurality_three_way_tie_is_won_one_time_in_three(sampler: str) -> None:
    """MajorityVote(3), three distinct answers: exact enumeration of the tie rule.

    With θ = 1/3 fixed (a = b huge is not needed: θ ~ Beta(a, b) with a, b → large), one
    correct and two wrong candidates with different answers tie three ways; a correct
    answer wins it with probability 1/3. The exact value is enumerated over the 3³ answer
    patterns with uniform wrong answers (m = 2): P = Σ P(pattern)·P(correct wins)."""
    theta, m = 1.0 / 3.0, 2
    model = BernoulliModel(theta * 1e7, (1 - theta) * 1e7, wrong_answers=m)
    probs = [theta, *([(1 - theta) / m] * m)]  # answer 0 = correct
    exact = 0.0
    for pattern in np.ndindex(3, 3, 3):
        pr = math.prod(probs[a] for a in pattern)
        counts = np.bincount(pattern, minlength=m + 1)
        leaders = np.flatnonzero(counts == counts.max())
        exact += pr * (1.0 / len(leaders) if 0 in leaders else 0.0)
    est = simulate_each(model, [MajorityVote(3)], trials=60_000, seed=5, sampler=sampler)[0]
    assert abs(est.mean - exact) <= 4.0 * est.stderr, (est, exact)
