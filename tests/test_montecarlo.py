"""Tests of the JAX Monte Carlo engine (align_theory.montecarlo).

Agreement checks use |a − b| ≤ 4·√(se_a² + se_b²) between independent estimates; the seeds
are fixed, so the tests are deterministic.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
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
    reference,
)
from align_theory.montecarlo import (
    BLOCK,
    CHUNK_BYTES,
    Estimate,
    SimulationInterrupted,
    chunk_trials,
    compare,
    resolve_sampler,
    root_key,
    simulate,
    simulate_each,
)
from align_theory.montecarlo.kernels import as_device_params, trial_width
from align_theory.montecarlo.run import _program
from align_theory.montecarlo.specs import model_spec

G_MODEL = GaussianModel(
    mu=0.3,
    rho_between=0.2,
    rho_within=0.5,
    tau=0.7,
    kappa=0.6,
    beta=0.3,
    agent_offsets=(0.0, 0.4),
)
G_PROTOCOLS = [
    Align(4, 4, "exact"),
    Align(4, 4, "judge"),
    Align(4, 4, "bayes"),
    SingleAgent(16),
    SingleAgent(16, 4),
    RandomPick(16),
    Oracle(16, 4),
    PrincipalBestOfN(16, 4),
    Shortlist(16, 4, "judge"),
    Shortlist(16, 4, "bayes"),
]
B_MODEL = BernoulliModel(
    2.0,
    3.0,
    agent_tpr=0.8,
    agent_fpr=0.3,
    principal_tpr=0.9,
    principal_fpr=0.2,
    diversity=5.0,
    wrong_answers=3,
    wrong_concentration=0.7,
)
B_LIGHT = BernoulliModel(1.5, 1.0, agent_tpr=0.8, agent_fpr=0.3, principal_tpr=0.9, wrong_answers=2)
B_FAST = [Align(4, 4, "judge"), MajorityVote(16), FilterVote(16, 4)]
B_ALL_FAST = [
    Align(4, 4, "exact"),
    Align(4, 4, "judge"),
    SingleAgent(16),
    SingleAgent(16, 4),
    RandomPick(16),
    Oracle(16, 4),
    PrincipalBestOfN(16, 4),
    MajorityVote(16),
    FilterVote(16, 4),
]


def _close(a: Estimate, b: Estimate, k: float = 4.0) -> bool:
    return abs(a.mean - b.mean) <= k * math.hypot(a.stderr, b.stderr)


def _pool(seed: int = 0) -> EmpiricalPool:
    rng = np.random.default_rng(seed)
    shape = (30, 4, 6)
    correct = rng.random(shape) < rng.random((30, 1, 1))
    answers = np.where(correct, 7, rng.integers(0, 4, shape))
    answers[(rng.random(shape) < 0.05) & ~correct] = -1  # unparsed answers are graded wrong
    return EmpiricalPool(
        correct, answers, correct + rng.normal(0, 1, shape), correct + rng.normal(0, 0.5, shape)
    )


# ------------------------------------------------------------------ samplers agree


def test_sufficient_matches_candidates_model_g() -> None:
    """Every model-G protocol: sufficient statistics vs exact candidates, within 4 stderr."""
    fast = simulate_each(G_MODEL, G_PROTOCOLS, trials=40_000, seed=1, progress=False)
    cand = compare(G_MODEL, G_PROTOCOLS, trials=40_000, seed=2, progress=False)
    for p, f, c in zip(G_PROTOCOLS, fast, cand.estimates, strict=True):
        assert _close(f, c), (p, f, c)


def test_sufficient_matches_candidates_model_b() -> None:
    fast = simulate_each(B_LIGHT, B_FAST, trials=30_000, seed=1, progress=False)
    cand = compare(B_LIGHT, B_FAST, trials=30_000, seed=2, progress=False)
    for p, f, c in zip(B_FAST, fast, cand.estimates, strict=True):
        assert _close(f, c), (p, f, c)


@pytest.mark.slow
def test_sufficient_matches_candidates_model_b_all() -> None:
    for model in (B_MODEL, BernoulliModel(0.5, 0.5, agent_tpr=0.6, agent_fpr=0.1)):
        fast = simulate_each(model, B_ALL_FAST, trials=100_000, seed=1, progress=False)
        cand = compare(model, B_ALL_FAST, trials=100_000, seed=2, progress=False)
        for p, f, c in zip(B_ALL_FAST, fast, cand.estimates, strict=True):
            assert _close(f, c), (model, p, f, c)


@pytest.mark.parametrize(
    "which", ["G", pytest.param("B", marks=pytest.mark.slow), pytest.param("B_light")]
)
def test_jax_candidates_match_numpy_reference(which: str) -> None:
    """The JAX candidates path vs the lead's numpy engine, every protocol, models G and B."""
    b_protocols = [*B_ALL_FAST, Shortlist(16, 4, "judge")]
    cases = {
        "G": (G_MODEL, G_PROTOCOLS),
        "B": (B_MODEL, b_protocols),
        "B_light": (B_LIGHT, [Align(4, 4, "exact"), SingleAgent(16, 4), Shortlist(16, 4)]),
    }
    for model, protos in [cases[which]]:
        mine = compare(model, protos, trials=20_000, seed=3, progress=False)
        ref = reference.compare(model, protos, trials=20_000, seed=3)
        for p, a, b in zip(protos, mine.estimates, ref.estimates, strict=True):
            assert _close(
                Estimate(a.mean, a.stderr, a.trials), Estimate(b.mean, b.stderr, b.trials)
            ), (
                p,
                a,
                b,
            )


@pytest.mark.parametrize("pooled", [False, True], ids=["4x6", "pooled-1x24"])
def test_empirical_pool_matches_reference(pooled: bool) -> None:
    pool = _pool().pooled() if pooled else _pool()
    g = 1 if pooled else 4
    protos = [
        SingleAgent(24, g),
        RandomPick(24, g),
        Oracle(24, g),
        PrincipalBestOfN(24, g),
        MajorityVote(24, g),
        FilterVote(24, g),
        Shortlist(24, 4, "judge") if pooled else Shortlist(6, 2, "judge"),
        SingleAgent(12) if pooled else SingleAgent(12, 2),
    ]
    if not pooled:
        protos += [Align(4, 6, "judge"), Align(2, 6, "exact")]
    assert resolve_sampler(pool, protos, "auto") == "candidates"
    mine = compare(pool, protos, trials=20_000, seed=4, progress=False)
    ref = reference.compare(pool, protos, trials=20_000, seed=4)
    for p, a, b in zip(protos, mine.estimates, ref.estimates, strict=True):
        assert abs(a.mean - b.mean) <= 4 * math.hypot(a.stderr, b.stderr), (p, a, b)


def test_sufficient_matches_closed_forms() -> None:
    """Known closed forms in homogeneous model G: E[x_SA] = μ + rσ_w e_N (T3), e_8 from
    quadrature; RandomPick = μ. Checks the V = Φ⁻¹(U^{1/K}) path against numbers, not
    against another sampler."""
    from scipy import integrate, stats

    def e_max(n: int) -> float:
        f = lambda z: z * n * stats.norm.pdf(z) * stats.norm.cdf(z) ** (n - 1)  # noqa: E731
        return float(integrate.quad(f, -10, 10)[0])

    m = GaussianModel(mu=1.0, sigma=2.0, rho_between=0.4, rho_within=0.4, tau=1.5)
    sa, rp, orc = simulate_each(
        m, [SingleAgent(8), RandomPick(8), Oracle(8)], trials=100_000, seed=5, progress=False
    )
    assert abs(sa.mean - (m.mu + m.signal_ratio * m.sigma_within * e_max(8))) <= 4 * sa.stderr
    assert abs(rp.mean - m.mu) <= 4 * rp.stderr
    assert abs(orc.mean - (m.mu + m.sigma_within * e_max(8))) <= 4 * orc.stderr


# ------------------------------------------------------------------ streaming


@pytest.mark.parametrize("sampler", ["sufficient", "candidates"])
def test_chunk_size_independence(sampler: str) -> None:
    p = Align(4, 4, "judge")
    runs = [
        simulate(G_MODEL, p, trials=5000, seed=7, sampler=sampler, chunk=c, progress=False)
        for c in (BLOCK, 4 * BLOCK)
    ]
    for r in runs[1:]:
        assert r.trials == 5000
        assert r.mean == pytest.approx(runs[0].mean, rel=1e-9, abs=1e-12)
        assert r.stderr == pytest.approx(runs[0].stderr, rel=1e-7)


def test_chunk_size_independence_compare_model_b() -> None:
    protos = [Align(4, 4, "exact"), SingleAgent(16, 4), MajorityVote(16)]
    a = compare(B_LIGHT, protos, trials=3000, seed=8, chunk=BLOCK, progress=False)
    b = compare(B_LIGHT, protos, trials=3000, seed=8, chunk=4 * BLOCK, progress=False)
    for x, y in zip(a.estimates, b.estimates, strict=True):
        assert x.mean == pytest.approx(y.mean, rel=1e-9, abs=1e-12)
    assert a.diffs[(0, 1)].stderr == pytest.approx(b.diffs[(0, 1)].stderr, rel=1e-7)
    assert a.t1_violations == b.t1_violations == 0


def test_reproducible_and_seed_sensitive() -> None:
    p = Shortlist(16, 4, "bayes")
    a = simulate(G_MODEL, p, trials=3000, seed=11, progress=False)
    b = simulate(G_MODEL, p, trials=3000, seed=11, progress=False)
    c = simulate(G_MODEL, p, trials=3000, seed=12, progress=False)
    big = simulate(G_MODEL, p, trials=3000, seed=11 + 2**32, progress=False)
    assert a == b
    assert a.mean != c.mean
    assert a.mean != big.mean  # high seed words are not dropped
    data = [np.asarray(jax.random.key_data(root_key(s))) for s in (5, 5, 5 + 2**32, 2**64 - 1)]
    assert np.array_equal(data[0], data[1])
    assert not np.array_equal(data[0], data[2])


def test_prefix_property_and_mu_shift() -> None:
    """A run of n trials is the prefix of a longer run; μ shifts every G utility exactly."""
    p = Align(4, 4, "bayes")
    short = simulate(G_MODEL, p, trials=2 * BLOCK, seed=3, chunk=BLOCK, progress=False)
    seen: list[int] = []

    def stop_after_two(done: int) -> None:
        seen.append(done)
        if done >= 2 * BLOCK:
            raise KeyboardInterrupt

    with pytest.raises(SimulationInterrupted) as info:
        simulate(
            G_MODEL,
            p,
            trials=50 * BLOCK,
            seed=3,
            chunk=BLOCK,
            progress=False,
            on_chunk=stop_after_two,
        )
    part = info.value.partial
    assert isinstance(part, Estimate)
    assert part.trials == 2 * BLOCK == seen[-1]
    assert part.mean == pytest.approx(short.mean, rel=1e-9)
    shifted = GaussianModel(**{**G_MODEL.__dict__, "mu": G_MODEL.mu + 5.0})
    s2 = simulate(shifted, p, trials=2 * BLOCK, seed=3, chunk=BLOCK, progress=False)
    assert s2.mean == pytest.approx(short.mean + 5.0, rel=1e-9)
    assert s2.stderr == pytest.approx(short.stderr, rel=1e-9)


def test_interrupt_compare_keeps_partial() -> None:
    protos = [Align(4, 4, "exact"), SingleAgent(16, 4)]

    def stop(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(SimulationInterrupted) as info:
        compare(
            G_MODEL, protos, trials=10 * BLOCK, seed=0, chunk=BLOCK, progress=False, on_chunk=stop
        )
    part = info.value.partial
    assert not isinstance(part, Estimate)
    assert part.estimates[0].trials == BLOCK
    assert part.t1_violations == 0
    assert isinstance(info.value, KeyboardInterrupt)


def test_t1_pointwise_and_paired_stderr() -> None:
    """T1: Align-exact ≥ SingleAgent on the same pool, draw by draw; the paired difference
    has a smaller stderr than independent runs would give."""
    for model in (G_MODEL, BernoulliModel(1.0, 1.0, agent_tpr=0.7, agent_fpr=0.4)):
        protos = [Align(4, 4, "exact"), SingleAgent(16, 4), Align(4, 4, "judge")]
        res = compare(model, protos, trials=20_000, seed=9, progress=False)
        assert res.t1_pairs == ((0, 1),)
        assert res.t1_violations == 0
        d = res.diffs[(0, 1)]
        assert d.mean > 0
        indep = math.hypot(res.estimates[0].stderr, res.estimates[1].stderr)
        assert d.stderr < indep


def test_t1_violation_counter_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counter is not vacuous: pointed (by hand) at the pair RandomPick vs Oracle on 16
    candidates, it counts the draws where candidate 0 is not the best: P = 15/16 in G."""
    import align_theory.montecarlo.run as mc

    monkeypatch.setattr(mc, "_t1_pairs", lambda protocols: ((0, 1),))
    mc._program.cache_clear()
    try:
        res = compare(G_MODEL, [RandomPick(16), Oracle(16)], trials=8000, seed=1, progress=False)
    finally:
        mc._program.cache_clear()
    p, n = 15 / 16, 8000
    assert abs(res.t1_violations / n - p) <= 4 * math.sqrt(p * (1 - p) / n)


# ------------------------------------------------------------------ memory and errors


@pytest.mark.parametrize(
    ("model", "protos", "sampler"),
    [
        (G_MODEL, [Align(8, 8, "judge")], "sufficient"),
        (G_MODEL, [Align(8, 8, "exact"), SingleAgent(64, 8), Shortlist(64, 8)], "candidates"),
        (B_LIGHT, [MajorityVote(64)], "sufficient"),
    ],
)
def test_chunk_memory_is_bounded(model: object, protos: list, sampler: str) -> None:
    """The default chunk's compiled working set (XLA's own memory analysis) fits the
    budget, and the program, hence the peak memory, is the same for 10⁷ and 10⁹ trials."""
    ch = chunk_trials(model, protos, sampler)  # type: ignore[arg-type]
    assert ch % BLOCK == 0 and ch >= BLOCK
    spec = model_spec(model, max(p.n for p in protos))  # type: ignore[arg-type]
    assert 4 * ch * trial_width(spec.static, protos, sampler) <= CHUNK_BYTES
    nb = ch // BLOCK
    prog = _program(spec.static, tuple(protos), sampler, nb, False)
    comp = prog.lower(
        as_device_params(spec.params),
        root_key(0),
        jnp.arange(nb, dtype=jnp.uint32),
        jnp.zeros(nb, jnp.int32),
    ).compile()
    mem = comp.memory_analysis()
    assert mem is not None
    assert mem.temp_size_in_bytes <= CHUNK_BYTES


@pytest.mark.parametrize("sampler", ["sufficient", "candidates"])
def test_changing_trials_never_recompiles(sampler: str) -> None:
    """The chunk program's shapes do not depend on ``trials``: one compiled executable
    serves 2, 3000 and 70,000 trials (padding blocks are skipped, not compiled away)."""
    p = Align(2, 8, "judge")
    chunk = 8 * BLOCK
    simulate(G_MODEL, p, trials=2, seed=0, sampler=sampler, chunk=chunk, progress=False)
    key_before = _program.cache_info().misses
    sizes = []
    for trials in (3000, 70_000, 2):
        simulate(G_MODEL, p, trials=trials, seed=0, sampler=sampler, chunk=chunk, progress=False)
        sizes.append(_program.cache_info().misses)
    assert sizes == [key_before] * 3
    from align_theory.montecarlo.run import devices_for

    nb = chunk // BLOCK
    ndev = devices_for(nb)
    prog = _program(
        model_spec(G_MODEL, p.n).static, (p,), sampler, ndev * -(-nb // ndev), False, ndev
    )
    assert prog._cache_size() == 1  # type: ignore[attr-defined]


def test_errors() -> None:
    with pytest.raises(NotImplementedError):
        simulate(B_MODEL, Align(2, 2, "bayes"), trials=100, progress=False)
    with pytest.raises(ValueError, match="discrete answers"):
        simulate(G_MODEL, MajorityVote(4), trials=100, progress=False)
    with pytest.raises(ValueError, match="not defined"):
        simulate(B_MODEL, Shortlist(8, 2), trials=100, sampler="sufficient", progress=False)
    with pytest.raises(ValueError, match="common random numbers"):
        compare(G_MODEL, [Align(2, 2)], trials=100, sampler="sufficient")
    with pytest.raises(ValueError, match="multiple of BLOCK"):
        simulate(G_MODEL, Align(2, 2), trials=100, chunk=1000, progress=False)
    with pytest.raises(ValueError, match="trials"):
        simulate(G_MODEL, Align(2, 2), trials=1)
    with pytest.raises(ValueError, match="seed"):
        simulate(G_MODEL, Align(2, 2), trials=10, seed=-1)
    with pytest.raises(ValueError, match="sampler"):
        simulate(G_MODEL, Align(2, 2), trials=10, sampler="fast")


@pytest.mark.parametrize("sampler", ["sufficient", "candidates"])
def test_wrong_answers_do_not_grow_the_program(sampler: str) -> None:
    """Issue 15 item 10: the vote kernels are vectorized over answers (the multinomial
    chain is a lax.scan), so the compiled program's size does not grow with m."""
    sizes = []
    for m in (3, 100):
        model = BernoulliModel(2.0, 2.0, agent_tpr=0.8, wrong_answers=m, wrong_concentration=0.5)
        protos = (MajorityVote(16), FilterVote(16, 4))
        spec = model_spec(model, 16)
        prog = _program(spec.static, protos, sampler, 1, False)
        text = prog.lower(
            as_device_params(spec.params),
            root_key(0),
            jnp.arange(1, dtype=jnp.uint32),
            jnp.full(1, BLOCK, jnp.int32),
        ).as_text()
        sizes.append(len(text))
    assert sizes[1] < 1.2 * sizes[0], sizes
    big = BernoulliModel(2.0, 2.0, wrong_answers=100)
    est = simulate(big, MajorityVote(16), trials=2048, seed=0, sampler=sampler, progress=False)
    assert 0.0 <= est.mean <= 1.0


def test_wrong_answers_beyond_the_maximum_is_a_value_error() -> None:
    from align_theory.montecarlo import MAX_WRONG_ANSWERS

    model = BernoulliModel(2.0, 2.0, wrong_answers=MAX_WRONG_ANSWERS + 1)
    with pytest.raises(ValueError, match="wrong_answers"):
        simulate(model, MajorityVote(4), trials=100, progress=False)
