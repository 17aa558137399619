"""The numpy backend against the closed forms and the JAX engine; the backend choice.

Every protocol × model structure the numpy sufficient samplers define: numpy ≈ closed form
(within 4 s.e., where :func:`expected_utility` has one) and numpy ≈ JAX's ``sufficient``
sampler (within 4·√(se² + se²)). Pools with M ≠ K in both directions. The seeds are fixed,
so the tests are deterministic. A subprocess checks that ``align simulate … --trials 100000``
on the default backend loads no JAX module.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from functools import cache
from typing import Any

import pytest

from align_theory import (
    Align,
    BernoulliModel,
    FilterVote,
    GaussianModel,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
    expected_utility,
)
from align_theory.models import Model
from align_theory.montecarlo import (
    BACKENDS,
    Estimate,
    SimulationInterrupted,
    resolve_backend,
    simulate,
    simulate_each,
)
from align_theory.montecarlo.config import NUMPY_MAX_TRIALS
from align_theory.montecarlo.numpy_sufficient import CHUNK, SUFFICIENT, supports_sufficient
from align_theory.montecarlo.specs import check_supported
from align_theory.protocols import Protocol

TRIALS = 40_000
BAYES_TRIALS = 2_000  # numpy integrates a posterior per proposal: slow, fewer trials

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
    except (NotImplementedError, ValueError):
        return None


def _cases(kind: str) -> list[Any]:
    out = []
    for mname, model in MODELS.items():
        for proto in PROTOCOLS:
            if not (_defined(model, proto) and supports_sufficient(model, proto)):
                continue
            if kind == "exact" and _closed(model, proto) is None:
                continue
            out.append(pytest.param(mname, proto, id=f"{mname}-{proto!r}"))
    return out


@cache
def _runs(mname: str, backend: str) -> dict[Protocol, Estimate]:
    """One run per model and backend over every protocol the numpy samplers define (the
    same protocol list and models as tests/test_montecarlo_registry.py, so a suite run
    compiles each JAX program once); nested ``bayes`` in numpy with fewer trials."""
    model = MODELS[mname]
    protos = [p for p in PROTOCOLS if _defined(model, p) and supports_sufficient(model, p)]
    slow = [p for p in protos if backend == "numpy" and getattr(p, "principal", "") == "bayes"]
    groups = [([p for p in protos if p not in slow], TRIALS), (slow, BAYES_TRIALS)]
    out: dict[Protocol, Estimate] = {}
    for group, trials in groups:
        if group:
            ests = simulate_each(
                model, group, trials=trials, seed=11, sampler="sufficient", backend=backend
            )
            out.update(zip(group, ests, strict=True))
    return out


@pytest.mark.parametrize(("mname", "proto"), _cases("exact"))
def test_numpy_backend_matches_closed_form(mname: str, proto: Protocol) -> None:
    exact = _closed(MODELS[mname], proto)
    assert exact is not None
    est = _runs(mname, "numpy")[proto]
    assert abs(est.mean - exact) <= 4.0 * est.stderr, (est, exact)


@pytest.mark.parametrize(("mname", "proto"), _cases("any"))
def test_numpy_backend_matches_jax(mname: str, proto: Protocol) -> None:
    a, b = _runs(mname, "numpy")[proto], _runs(mname, "jax")[proto]
    assert abs(a.mean - b.mean) <= 4.0 * math.hypot(a.stderr, b.stderr), (a, b)
    assert a.mean != b.mean  # different streams: equal digits would mean one backend ran


@pytest.mark.parametrize("mname", list(MODELS), ids=list(MODELS))
def test_numpy_samplers_cover_the_jax_sufficient_kernels(mname: str) -> None:
    from align_theory.montecarlo.kernels import supports_sufficient as jax_supports

    model = MODELS[mname]
    for proto in PROTOCOLS:
        if _defined(model, proto):
            assert supports_sufficient(model, proto) == jax_supports(model, proto), proto
    assert set(SUFFICIENT) == {GaussianModel, BernoulliModel}


def test_protocols_without_a_sufficient_form_fall_back_to_the_reference() -> None:
    model = MODELS["B"]
    proto = Shortlist(8, 3, "judge")
    assert not supports_sufficient(model, proto)
    est = simulate(model, proto, trials=6000, seed=2, backend="numpy")
    exact = expected_utility(model, proto)
    assert abs(est.mean - exact) <= 4.0 * est.stderr, (est, exact)
    assert resolve_backend(model, [proto], 6000, "auto") == "jax"


def test_numpy_backend_is_seeded_and_streams_are_per_protocol() -> None:
    model, p, q = MODELS["G"], Align(4, 2, "judge"), SingleAgent(6, 3)
    a = simulate(model, p, trials=5000, seed=3, backend="numpy")
    assert a == simulate(model, p, trials=5000, seed=3, backend="numpy")
    assert a != simulate(model, p, trials=5000, seed=4, backend="numpy")
    assert simulate_each(model, [p, q], trials=5000, seed=3, backend="numpy")[0] == a


@pytest.mark.parametrize(
    ("trials", "sampler", "limit", "expected"),
    [
        (100_000, "auto", None, "numpy"),
        (NUMPY_MAX_TRIALS, "sufficient", None, "numpy"),
        (NUMPY_MAX_TRIALS + 1, "auto", None, "jax"),
        (100_000, "candidates", None, "jax"),
        (100_000, "auto", "0", "jax"),
        (10**7, "auto", "1e8", "numpy"),
    ],
    ids=["small", "at-threshold", "above", "candidates", "env-off", "env-raised"],
)
def test_auto_backend_rule(
    monkeypatch: pytest.MonkeyPatch, trials: int, sampler: str, limit: str | None, expected: str
) -> None:
    if limit is None:
        monkeypatch.delenv("ALIGN_THEORY_NUMPY_MAX_TRIALS", raising=False)
    else:
        monkeypatch.setenv("ALIGN_THEORY_NUMPY_MAX_TRIALS", limit)
    model = MODELS["G-homog"]
    assert resolve_backend(model, [Align(8, 8, "judge")], trials, "auto", sampler) == expected


def test_bad_backend_and_threshold_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert BACKENDS == ("auto", "jax", "numpy")
    with pytest.raises(ValueError, match="backend must be one of"):
        simulate(MODELS["G"], Align(2, 2), trials=100, backend="torch")
    monkeypatch.setenv("ALIGN_THEORY_NUMPY_MAX_TRIALS", "many")
    with pytest.raises(ValueError, match="ALIGN_THEORY_NUMPY_MAX_TRIALS"):
        simulate(MODELS["G"], Align(2, 2), trials=100)
    with pytest.raises(ValueError, match="sampler='sufficient' is not defined"):
        simulate(MODELS["B"], Shortlist(8, 2), trials=100, sampler="sufficient", backend="numpy")


def test_interrupt_keeps_the_completed_chunks() -> None:
    def stop(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(SimulationInterrupted) as info:
        simulate(MODELS["G"], Align(2, 8), trials=3 * CHUNK, backend="numpy", on_chunk=stop)
    partial = info.value.partial
    assert isinstance(partial, Estimate) and partial.trials == CHUNK


def test_cli_simulate_on_the_default_backend_loads_no_jax() -> None:
    code = (
        "import sys; from align_theory.cli import main; "
        "rc = main(['simulate', 'gaussian', \"Align(8, 8, 'judge')\", '--set', 'kappa=0.5', "
        "'--trials', '100000']); "
        "print(rc, sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib')))"
    )
    env = {k: v for k, v in os.environ.items() if k != "ALIGN_THEORY_NUMPY_MAX_TRIALS"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    lines = out.stdout.strip().splitlines()
    assert "expected utility (Monte Carlo)" in out.stdout
    assert lines[-1] == "0 []", out.stdout
