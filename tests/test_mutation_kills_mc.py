"""Selection rules of the Monte Carlo kernels against literal per-trial rules.

Each protocol's rule is written here a second time as a plain Python loop over one trial's
candidates (DESIGN's protocol semantics: argmax with the tie-break uniform, the principal's
pick among proposals, plurality with unparsed answers ignored, the shortlist's top ``size``)
and compared, trial by trial, with the JAX candidate rules
(:data:`align_theory.montecarlo.common.CANDIDATE_RULES`) and the numpy reference
(:func:`align_theory.reference._utility`) on small hand-built pools with many ties and
M ≠ K. The sufficient-statistics samplers are compared with the closed forms. These tests
call the kernels eagerly (no ``jax.jit``), so the mutation run (``make mutation
MUTATION_SET=mc``, docs/quality.md) traces every mutant afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from align_theory import reference
from align_theory.exact import expected_utility
from align_theory.exact.posterior import posterior_mean
from align_theory.models import BernoulliModel, GaussianModel, Model
from align_theory.montecarlo import bernoulli as mc_b
from align_theory.montecarlo import gaussian as mc_g
from align_theory.montecarlo.common import (
    CANDIDATE_RULES,
    Pool,
    bern_pick,
    principal_score,
    rank_key,
    vote,
)
from align_theory.montecarlo.kernels import as_device_params, block_utilities
from align_theory.montecarlo.specs import BernoulliStatic, GaussianStatic, model_spec
from align_theory.protocols import (
    Align,
    FilterVote,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    Protocol,
    RandomPick,
    Shortlist,
    SingleAgent,
    pool_layout,
)

T = 96  # trials of a hand-built pool
G_MODEL = GaussianModel(
    rho_between=0.2, rho_within=0.5, tau=0.8, kappa=0.6, agent_offsets=(0.4, -0.7, 1.1)
)

# ---------------------------------------------------------------------------- literal rules


def lit_argmax(score: list[float], tie: list[float] | None) -> int:
    """The first index of the largest score; among equal scores, the largest tie uniform."""
    best = 0
    for i in range(1, len(score)):
        if score[i] > score[best]:
            best = i
        elif score[i] == score[best] and tie is not None and tie[i] > tie[best]:
            best = i
    return best


def lit_vote(ids: list[int], use: list[bool], vote_tie: list[float]) -> float:
    """1 if the correct answer (id 0) wins the plurality of the used, parsed candidates;
    ties among the leaders go to the leader with the largest uniform; no vote is a loss."""
    counts: dict[int, int] = {}
    for a, u in zip(ids, use, strict=True):
        if u and a >= 0:
            counts[a] = counts.get(a, 0) + 1
    if not counts:
        return 0.0
    top = max(counts.values())
    leaders = [a for a, c in counts.items() if c == top]
    return float(max(leaders, key=lambda a: vote_tie[a]) == 0)


def lit_principal(
    rule: str,
    x: list[float],
    y: list[float],
    xh: list[float],
    off: list[float],
    tie2: list[float] | None,
    post: Callable[..., Any] | None,
    k: int,
) -> int:
    """The principal's pick among proposals (x, y, x̂) with agent offsets ``off``."""
    wy, wx = G_MODEL.linear_weights
    if rule == "exact":
        score = list(x)
    elif rule == "judge":
        score = list(xh)
    elif rule == "bayes" and post is not None:
        score = [float(post(y[i], xh[i], off[i], k)) for i in range(len(x))]
    else:
        score = [wy * (y[i] - off[i]) + wx * xh[i] for i in range(len(x))]
    return lit_argmax(score, tie2)


def _flat(rows: list[list[Any]]) -> list[Any]:
    """Agent-major flattening of a (g, k) nested list (candidate j of agent a at a·k + j)."""
    return [v for row in rows for v in row]


def lit_utility(proto: Protocol, h: dict[str, np.ndarray], i: int, post: Any = None) -> float:
    """The protocol's output on trial ``i`` of the hand-built pool ``h``, by loops."""
    n, g = pool_layout(proto)
    k = n // g
    disc = h["discrete"]
    x, y, xh = (h[a][i, :g, :k].tolist() for a in ("x", "y", "xh"))
    tie, tie2 = h["tie"][i, :g, :k].tolist(), h["tie2"][i, :g, :k].tolist()
    fx, fy, fxh = (_flat(a) for a in (x, y, xh))
    ftie, ftie2 = _flat(tie), _flat(tie2)
    if isinstance(proto, Align):
        picks = [lit_argmax(y[a], tie[a] if disc else None) for a in range(g)]
        px = [x[a][picks[a]] for a in range(g)]
        py = [y[a][picks[a]] for a in range(g)]
        pxh = [xh[a][picks[a]] for a in range(g)]
        t2 = [tie2[a][0] for a in range(g)] if disc else None
        off = h["off"][:g].tolist()
        return px[lit_principal(proto.principal, px, py, pxh, off, t2, post, k)]
    if isinstance(proto, SingleAgent):
        return fx[lit_argmax(fy, ftie if disc else None)]
    if isinstance(proto, RandomPick):
        return fx[0]
    if isinstance(proto, Oracle):
        return max(fx)
    if isinstance(proto, PrincipalBestOfN):
        return fx[lit_argmax(fxh, ftie2 if disc else None)]
    if isinstance(proto, Shortlist):
        order: list[int] = []
        rest = list(range(n))
        for _ in range(proto.size):  # the top `size` by y, best first
            j = lit_argmax([fy[c] for c in rest], [ftie[c] for c in rest] if disc else None)
            order.append(rest.pop(j))
        sx, sy, sxh = ([a[c] for c in order] for a in (fx, fy, fxh))
        st2 = ftie2[: proto.size] if disc else None
        zero = [0.0] * proto.size
        return sx[lit_principal(proto.principal, sx, sy, sxh, zero, st2, None, 1)]
    ids = _flat(h["answer"][i, :g, :k].tolist())
    vt = h["vote_tie"][i].tolist()
    if isinstance(proto, MajorityVote):
        return lit_vote(ids, [True] * n, vt)
    assert isinstance(proto, FilterVote)
    acc = [v > 0.5 for v in fy]
    return lit_vote(ids, acc if any(acc) else [True] * n, vt)


# ---------------------------------------------------------------------------- pools


def hand_pool(seed: int, discrete: bool, g: int = 3, k: int = 4, m: int = 3) -> dict[str, Any]:
    """A (T, g, k) pool. Discrete: x ∈ {0, 1} correctness, y and x̂ on {0, 1, 2} (many
    ties), answers 0..m with some unparsed (−1); continuous: normals (no ties)."""
    rng = np.random.default_rng(seed)
    shape = (T, g, k)
    if discrete:
        answer = rng.integers(-1, m + 1, shape)
        x = (answer == 0).astype(np.float32)
        y = rng.integers(0, 3, shape).astype(np.float32)
        xh = rng.integers(0, 2, shape).astype(np.float32)
        off = np.zeros(g, np.float32)
    else:
        answer = np.zeros(shape, np.int64)
        x, y, xh = (rng.normal(size=shape).astype(np.float32) for _ in range(3))
        off = G_MODEL.offsets(g).astype(np.float32)
    return {
        "x": x,
        "y": y,
        "xh": xh,
        "off": off,
        "answer": answer,
        "tie": rng.random(shape).astype(np.float32),
        "tie2": rng.random(shape).astype(np.float32),
        "vote_tie": rng.random((T, m + 1)).astype(np.float32),
        "discrete": discrete,
    }


def jax_pool(h: dict[str, Any], proto: Protocol, post: Any = None) -> Pool:
    n, g = pool_layout(proto)
    k = n // g

    def cut(a: np.ndarray) -> jax.Array:
        return jnp.asarray(a[:, :g, :k])

    d = h["discrete"]
    return Pool(
        cut(h["x"]),
        cut(h["y"]),
        cut(h["xh"]),
        jnp.asarray(h["off"][:g]),
        cut(h["answer"]) if d else None,
        cut(h["tie"]) if d else None,
        cut(h["tie2"]) if d else None,
        jnp.asarray(h["vote_tie"]) if d else None,
        mc_b._accept if d else None,
        post,
    )


def ref_pool(h: dict[str, Any], proto: Protocol) -> Any:
    n, g = pool_layout(proto)
    k = n // g

    def cut(a: np.ndarray) -> np.ndarray:
        return a[:, :g, :k].astype(np.float64) if a.dtype.kind == "f" else a[:, :g, :k]

    d = h["discrete"]
    return reference._Pool(
        cut(h["x"]),
        cut(h["y"]),
        cut(h["xh"]),
        h["off"][:g].astype(np.float64),
        cut(h["answer"]) if d else None,
        cut(h["tie"]),
        cut(h["tie2"]),
        h["vote_tie"].astype(np.float64) if d else None,
        d,
    )


LINEAR_P: Any = {
    k: np.float32(w) for k, w in zip(("wy", "wx"), G_MODEL.linear_weights, strict=True)
}
"""The ``linear`` weights as kernel parameters (numpy scalars: no JAX work at import, so the
mutation run's fork server never starts JAX's threads)."""

DISCRETE_PROTOCOLS = [
    Align(3, 4, "exact"),
    Align(3, 4, "judge"),
    Align(2, 3, "judge"),
    Align(3, 1, "judge"),
    Align(1, 4, "judge"),
    SingleAgent(12, agents=3),
    SingleAgent(6, agents=2),
    SingleAgent(4),
    RandomPick(12, agents=3),
    Oracle(12, agents=3),
    Oracle(8, agents=2),
    PrincipalBestOfN(12, agents=3),
    PrincipalBestOfN(4),
    Shortlist(4, 3, "judge"),
    Shortlist(4, 2, "exact"),
    MajorityVote(12, agents=3),
    MajorityVote(4),
    FilterVote(12, agents=3),
    FilterVote(3),
]
CONTINUOUS_PROTOCOLS = [
    Align(3, 4, "exact"),
    Align(3, 4, "judge"),
    Align(3, 4, "linear"),
    Align(2, 3, "linear"),
    SingleAgent(12, agents=3),
    PrincipalBestOfN(12, agents=3),
    Oracle(12, agents=3),
    RandomPick(12, agents=3),
    Shortlist(4, 3, "linear"),
    Shortlist(4, 2, "judge"),
    Shortlist(4, 3, "exact"),
]


def _literal(proto: Protocol, h: dict[str, Any], post: Any = None) -> np.ndarray:
    return np.array([lit_utility(proto, h, i, post) for i in range(T)])


@pytest.mark.parametrize("proto", DISCRETE_PROTOCOLS, ids=repr)
def test_candidate_rules_discrete_literal(proto: Protocol) -> None:
    """Discrete scores (ties broken by the uniforms), M ≠ K: JAX rule = reference = loop."""
    for seed in (0, 1):
        h = hand_pool(seed, True)
        lit = _literal(proto, h)
        mine = np.asarray(CANDIDATE_RULES[type(proto)](LINEAR_P, proto, jax_pool(h, proto)))
        ref = reference._utility(BernoulliModel(1.0, 1.0), proto, ref_pool(h, proto))
        np.testing.assert_array_equal(mine, lit)
        np.testing.assert_array_equal(ref, lit)
        assert 0 < lit.mean() < 1 or isinstance(proto, Oracle)  # the pool is not degenerate


@pytest.mark.parametrize("proto", CONTINUOUS_PROTOCOLS, ids=repr)
def test_candidate_rules_continuous_literal(proto: Protocol) -> None:
    """Continuous scores (model G, agent offsets): JAX rule = reference = loop."""
    h = hand_pool(2, False)
    lit = _literal(proto, h)
    mine = np.asarray(CANDIDATE_RULES[type(proto)](LINEAR_P, proto, jax_pool(h, proto)))
    ref = reference._utility(G_MODEL, proto, ref_pool(h, proto))
    np.testing.assert_allclose(mine, lit, rtol=0, atol=0)
    np.testing.assert_allclose(ref, lit, rtol=0, atol=0)


def _toy_posterior(r: Any, xh: Any, off: Any, k: Any) -> Any:
    """A stand-in posterior that depends on every argument (k = per-agent budget)."""
    return xh + 0.3 * k * (r - off) - 0.05 * k * k * r


def test_bayes_rule_calls_the_posterior_with_per_agent() -> None:
    """Align(bayes) ranks by posterior(y, x̂, c, K) with K = per_agent (M = 3, K = 4)."""
    proto = Align(3, 4, "bayes")
    h = hand_pool(3, False)
    lit = _literal(proto, h, _toy_posterior)
    mine = CANDIDATE_RULES[Align](LINEAR_P, proto, jax_pool(h, proto, _toy_posterior))
    np.testing.assert_array_equal(np.asarray(mine), lit)
    linear = _literal(Align(3, 4, "linear"), h)
    assert np.any(lit != linear)  # the posterior rule is not the linear one here


def principal_pick(*args: Any) -> jax.Array:
    """Index of the principal's pick: the first maximum of its ranking key."""
    return jnp.argmax(principal_score(*args), axis=-1)


def test_rank_key_and_principal_pick_by_hand() -> None:
    """Hand-checked ties: scores (1, 1, 0) with uniforms (0.2, 0.7, 0.9) pick index 1."""
    score = jnp.array([[1.0, 1.0, 0.0]])
    tie = jnp.array([[0.2, 0.7, 0.9]])
    np.testing.assert_array_equal(np.asarray(rank_key(score, None)), np.asarray(score))
    np.testing.assert_allclose(np.asarray(rank_key(score, tie)), [[1.2, 1.7, 0.9]])
    x = jnp.array([[3.0, 1.0, 2.0]])
    xh = jnp.array([[0.0, 5.0, 1.0]])
    y = jnp.array([[1.0, 2.0, 0.5]])
    off = jnp.array([[0.0, 0.0, 0.0]])
    p = {"wy": jnp.float32(1.0), "wx": jnp.float32(-1.0)}
    assert int(principal_pick("exact", p, x, y, xh, off, None)[0]) == 0
    assert int(principal_pick("judge", p, x, y, xh, off, None)[0]) == 1
    assert int(principal_pick("linear", p, x, y, xh, off, None)[0]) == 0  # y − x̂: 1, −3, −.5
    assert int(principal_pick("judge", p, x, y, jnp.zeros((1, 3)), off, tie)[0]) == 2
    assert int(principal_pick("exact", p, score, y, xh, off, tie)[0]) == 1


# ---------------------------------------------------------------------------- vote / plurality


def test_vote_by_hand() -> None:
    """Plurality over parsed, masked candidates; ties by the per-answer uniforms."""
    answer = jnp.array([[0, 1, 1, 0], [0, 1, 2, -1], [-1, -1, -1, -1], [2, 2, 0, -1]])
    vt = jnp.array([[0.9, 0.1, 0.0], [0.1, 0.5, 0.9], [0.9, 0.0, 0.0], [0.9, 0.0, 0.1]])
    np.testing.assert_array_equal(np.asarray(vote(answer, None, vt)), [1.0, 0.0, 0.0, 0.0])
    mask = jnp.array([[1, 0, 1, 1], [1, 0, 0, 1], [1, 1, 1, 1], [0, 1, 1, 1]], bool)
    np.testing.assert_array_equal(np.asarray(vote(answer, mask, vt)), [1.0, 1.0, 0.0, 1.0])


def lit_plurality(u: float, correct: int, wrong: list[int]) -> float:
    """1{correct wins}: the L leaders (correct among them) each win with probability 1/L."""
    top = max([correct, *wrong])
    if top == 0 or correct < top:
        return 0.0
    leaders = 1 + sum(w == top for w in wrong)
    return float(u < 1.0 / leaders)


def test_plurality_literal_on_every_count() -> None:
    """Every (correct, wrong₁, wrong₂, wrong₃) ≤ 3 and u on a grid across each 1/L."""
    grid = np.array(np.meshgrid(*[np.arange(4)] * 4, indexing="ij")).reshape(4, -1).T
    for u in (0.0, 0.2, 0.25, 0.3, 0.4, 0.49, 0.5, 0.51, 0.9):
        got = np.asarray(
            mc_b.plurality(
                jnp.full(len(grid), u, jnp.float32),
                jnp.asarray(grid[:, 0], jnp.float32),
                jnp.asarray(grid[:, 1:], jnp.float32),
            )
        )
        lit = [lit_plurality(u, int(r[0]), [int(v) for v in r[1:]]) for r in grid]
        np.testing.assert_array_equal(got, lit)


def test_bern_pick_by_hand() -> None:
    """Uniform pick among ``total`` (``good`` good), the fallback set when total = 0."""
    u = jnp.array([0.1, 0.6, 0.6, 0.3, 0.3, 0.7, 0.5, 0.6, 0.5])
    good = jnp.array([1.0, 1.0, 0.0, 0.0, 0.0, 2.0, 1.0, 0.0, 0.0])
    total = jnp.array([2.0, 2.0, 3.0, 0.0, 0.0, 3.0, 2.0, 0.0, 0.0])
    fb_good = jnp.array([0.0, 2.0, 3.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0])
    fb_total = jnp.array([4.0, 4.0, 4.0, 2.0, 0.0, 3.0, 4.0, 1.0, 2.0])
    got = np.asarray(bern_pick(u, good, total, fb_good, fb_total))
    # u = good/total exactly is a miss (P(U < q) = q); a fallback set of one good: a hit
    np.testing.assert_array_equal(got, [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0])


# ---------------------------------------------------------------------------- sufficient samplers

B_TRIALS = 24_000
B_PLAIN = BernoulliModel(
    2.0,
    3.0,
    agent_tpr=0.8,
    agent_fpr=0.3,
    principal_tpr=0.65,
    principal_fpr=0.15,
    wrong_answers=3,
)
B_DIVERSE = BernoulliModel(
    1.5,
    2.0,
    agent_tpr=0.9,
    agent_fpr=0.4,
    principal_tpr=0.7,
    principal_fpr=0.25,
    diversity=1.5,
    wrong_answers=2,
)
B_LOW_ACCEPT = BernoulliModel(
    2.0,
    3.0,
    agent_tpr=0.3,
    agent_fpr=0.1,
    principal_tpr=0.6,
    principal_fpr=0.2,
    wrong_answers=3,
)  # no candidate accepted in ~40% of FilterVote(5) draws: the fallback vote matters
B_CASES = [
    (B_PLAIN, Align(3, 5, "judge")),
    (B_PLAIN, Align(5, 2, "judge")),
    (B_PLAIN, Align(3, 5, "exact")),
    (B_DIVERSE, Align(4, 2, "judge")),
    (B_PLAIN, SingleAgent(6)),
    (B_DIVERSE, SingleAgent(6, agents=3)),
    (B_PLAIN, PrincipalBestOfN(6)),
    (B_PLAIN, Oracle(5)),
    (B_DIVERSE, Oracle(6, agents=2)),
    (B_PLAIN, RandomPick(5)),
    (B_PLAIN, MajorityVote(5)),
    (B_PLAIN, FilterVote(5)),
    (B_DIVERSE, FilterVote(4, agents=2)),
    (B_LOW_ACCEPT, FilterVote(5)),
]


def _g_static(model: GaussianModel, n: int) -> tuple[GaussianStatic, Any]:
    """Model G's static structure and device parameters for pools of n candidates."""
    spec = model_spec(model, n)
    assert isinstance(spec.static, GaussianStatic)
    return spec.static, as_device_params(spec.params)


def _b_static(model: BernoulliModel, n: int) -> tuple[BernoulliStatic, Any]:
    """Model B's static structure and device parameters for pools of n candidates."""
    spec = model_spec(model, n)
    assert isinstance(spec.static, BernoulliStatic)
    return spec.static, as_device_params(spec.params)


def _sufficient_mean(model: Model, proto: Protocol, trials: int, seed: int) -> tuple[float, float]:
    spec = model_spec(model, pool_layout(proto)[0])
    f = block_utilities(spec.static, (proto,), "sufficient")
    u = np.asarray(f(as_device_params(spec.params), jax.random.key(seed), trials))[0]
    return float(u.mean()) + spec.shift, float(u.std() / np.sqrt(trials))


@pytest.mark.parametrize(("model", "proto"), B_CASES, ids=lambda v: repr(v)[:40])
def test_sufficient_b_matches_closed_form(model: BernoulliModel, proto: Protocol) -> None:
    """Model B sufficient samplers (eager) against the closed form, within 4 stderr."""
    mean, se = _sufficient_mean(model, proto, B_TRIALS, 17)
    exact = expected_utility(model, proto)
    assert abs(mean - exact) < 4.0 * se + 1e-4, (mean, exact, se)


G_CASES = [
    Align(3, 4, "exact"),
    Align(3, 4, "judge"),
    Align(4, 2, "linear"),
    SingleAgent(8, agents=2),
    SingleAgent(6),
    PrincipalBestOfN(6, agents=2),
    Oracle(6, agents=3),
    RandomPick(4, agents=2),
    Shortlist(6, 3, "linear"),
    Shortlist(6, 2, "judge"),
]


@pytest.mark.parametrize("proto", G_CASES, ids=repr)
def test_sufficient_g_matches_closed_form(proto: Protocol) -> None:
    """Model G sufficient samplers (eager, agent offsets, nested levels) vs the closed form,
    and their spread vs the candidates sampler's (every candidate drawn): a mutant that
    keeps the mean but fattens the tails (x = … + r/v, 1/Z) moves the standard error."""
    mean, se = _sufficient_mean(G_MODEL, proto, 16_000, 23)
    exact = expected_utility(G_MODEL, proto)
    assert abs(mean - exact) < 4.0 * se, (mean, exact, se)
    spec = model_spec(G_MODEL, pool_layout(proto)[0])
    cand = block_utilities(spec.static, (proto,), "candidates")
    u = np.asarray(cand(as_device_params(spec.params), jax.random.key(29), 16_000))[0]
    assert abs(se / float(u.std() / np.sqrt(16_000)) - 1.0) < 0.06, (se, u.std())


def test_reference_refusals_name_the_problem() -> None:
    """The reference refuses votes without answers, non-G principal rules and unknown
    protocols, each with its message."""
    h = hand_pool(4, False)
    pool = ref_pool(h, MajorityVote(12, agents=3))
    with pytest.raises(
        ValueError,
        match=r"^MajorityVote needs discrete answers: use BernoulliModel or EmpiricalPool$",
    ):
        reference._utility(G_MODEL, MajorityVote(12, agents=3), pool)
    with pytest.raises(
        ValueError,
        match=r"^FilterVote needs discrete answers: use BernoulliModel or EmpiricalPool$",
    ):
        reference._utility(G_MODEL, FilterVote(12, agents=3), pool)
    hb = hand_pool(4, True)
    with pytest.raises(
        NotImplementedError,
        match=r"^the 'linear' principal is defined for model G only; use principal='judge'$",
    ):
        reference._utility(
            BernoulliModel(1.0, 1.0), Align(3, 4, "linear"), ref_pool(hb, Align(3, 4))
        )
    with pytest.raises(TypeError, match=r"^unknown protocol 'nope'$"):
        reference._utility(G_MODEL, "nope", pool)  # type: ignore[arg-type]


def test_filter_vote_acceptance_is_strictly_above_half() -> None:
    """FilterVote accepts scores > ½ only (a recorded score of exactly ½ is a rejection), in
    the JAX rule and in the reference."""
    proto = FilterVote(12, agents=3)
    h = hand_pool(7, True)
    h["y"] = np.random.default_rng(7).choice([0.0, 0.5, 1.0], h["y"].shape).astype(np.float32)
    lit = _literal(proto, h)
    mine = np.asarray(CANDIDATE_RULES[FilterVote](LINEAR_P, proto, jax_pool(h, proto)))
    ref = reference._utility(BernoulliModel(1.0, 1.0), proto, ref_pool(h, proto))
    np.testing.assert_array_equal(mine, lit)
    np.testing.assert_array_equal(ref, lit)
    as_ge = _literal(proto, {**h, "y": np.where(h["y"] == 0.5, 1.0, h["y"])})
    assert np.any(as_ge != lit)  # the threshold case occurs and changes the output


def test_linear_rule_ignores_the_pools_posterior() -> None:
    """Model G pools carry the posterior; ``linear`` must not use it (only ``bayes`` does)."""
    proto = Align(3, 4, "linear")
    h = hand_pool(8, False)
    lit = _literal(proto, h)
    mine = CANDIDATE_RULES[Align](LINEAR_P, proto, jax_pool(h, proto, _toy_posterior))
    np.testing.assert_array_equal(np.asarray(mine), lit)
    assert np.any(_literal(Align(3, 4, "bayes"), h, _toy_posterior) != lit)


NESTED = GaussianModel(rho_between=0.0, rho_within=0.9, tau=0.8, kappa=1.0)


def _bayes_literal(
    px: np.ndarray, py: np.ndarray, pxh: np.ndarray, per_agent: int
) -> tuple[np.ndarray, np.ndarray]:
    """x of the proposal with the largest posterior mean, computed twice independently:
    the numpy quadrature (exact.posterior) and the JAX one (montecarlo.posterior); their
    argmax must agree before it is used."""
    jpost = mc_g.posterior_of(*_g_static(NESTED, px.shape[1]))
    off = jnp.asarray(NESTED.offsets(px.shape[1]), jnp.float32)[None, :]
    s_np = posterior_mean(NESTED, py, pxh, per_agent)
    s_jx = np.asarray(jpost(jnp.asarray(py), jnp.asarray(pxh), off, per_agent))
    np.testing.assert_array_equal(np.argmax(s_np, axis=1), np.argmax(s_jx, axis=1))
    idx = np.argmax(s_np, axis=1)
    return px[np.arange(len(px)), idx], idx


def test_bayes_rule_in_the_reference_and_the_candidates_rule() -> None:
    """Align(3, 4, bayes) in nested model G: the reference and the JAX candidates rule pick
    the proposal of largest posterior mean (computed independently here), and that pick
    differs from the linear one on some draws (the posterior is really used)."""
    proto = Align(3, 4, "bayes")
    h = hand_pool(9, False)
    h["off"] = np.zeros(3, np.float32)
    picks = np.array(
        [[lit_argmax(h["y"][i, a].tolist(), None) for a in range(3)] for i in range(T)]
    )
    px, py, pxh = (
        np.take_along_axis(h[a], picks[:, :, None], axis=2)[:, :, 0] for a in ("x", "y", "xh")
    )
    want, idx = _bayes_literal(px.astype(float), py.astype(float), pxh.astype(float), 4)
    ref = reference._utility(NESTED, proto, ref_pool(h, proto))
    np.testing.assert_allclose(ref, want, rtol=0, atol=1e-6)
    post = mc_g.posterior_of(*_g_static(NESTED, 12))
    mine = CANDIDATE_RULES[Align](LINEAR_P, proto, jax_pool(h, proto, post))
    np.testing.assert_allclose(np.asarray(mine), want, rtol=0, atol=1e-6)
    wy, wx = NESTED.linear_weights
    assert np.any(idx != np.argmax(wy * py + wx * pxh, axis=1))


@pytest.mark.parametrize("rule", ["exact", "judge", "linear", "bayes"])
def test_sufficient_g_align_picks_literally(rule: str) -> None:
    """Model G's sufficient Align sampler on its own draws (the agents' picks, x̂ = x + κ_e ν
    from the fourth subkey) returns x at the principal's argmax, recomputed here (bayes:
    the numpy posterior, M = 3 ≠ K = 4)."""
    proto = Align(3, 4, rule)  # type: ignore[arg-type]
    static, p = _g_static(NESTED, 12)
    key, t = jax.random.key(31), 64
    got = np.asarray(mc_g._s_align(static, p, proto, key, t))
    ks = jax.random.split(key, 4)
    x, y, off = (np.asarray(a, float) for a in mc_g._agent_picks(static, p, proto, ks, t))
    nu = np.asarray(jax.random.normal(ks[3], x.shape, jnp.float32), float)
    xh = x + NESTED.judge_noise * nu
    wy, wx = NESTED.linear_weights
    if rule == "bayes":
        want, _ = _bayes_literal(x, y, xh, 4)
    else:
        score = {"exact": x, "judge": xh, "linear": wy * (y - off[None, :]) + wx * xh}[rule]
        want = x[np.arange(t), np.argmax(score, axis=1)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)


def _pick_np(
    u: np.ndarray, good: np.ndarray, total: np.ndarray, fbg: np.ndarray, fbt: float
) -> np.ndarray:
    """1{a uniform element of the accepted set is good}, the whole set when none is accepted."""
    frac = np.where(total > 0, good / np.maximum(total, 1.0), fbg / fbt)
    return (u < frac).astype(float)


@pytest.mark.parametrize("proto", [Align(3, 5, "judge"), SingleAgent(6, agents=2)], ids=repr)
def test_sufficient_b_stages_draw_by_draw(proto: Protocol) -> None:
    """Model B's sufficient Align/SingleAgent on their own subkeys (θ: 0, counts: 1, the
    agents' picks: 2, the principal's verdicts: 3 and pick: 4), recomputed in numpy: every
    draw reads its own key (no two draws share one)."""
    model = B_PLAIN
    static, p = _b_static(model, 15)
    key, t = jax.random.key(41), 256
    fn = mc_b.SUFFICIENT[type(proto)]
    got = np.asarray(fn(static, p, proto, key, t))
    n, g = pool_layout(proto)
    k = n // g
    ks = jax.random.split(key, 6)
    theta = mc_b._theta(static, p, ks[0], t, g)
    c, a1, a0 = (np.asarray(a, float) for a in mc_b._counts(ks[1], theta, k, p["s"], p["f"]))
    if isinstance(proto, SingleAgent):
        u = np.asarray(jax.random.uniform(ks[2], (t,)), float)
        want = _pick_np(u, a1.sum(1), (a1 + a0).sum(1), c.sum(1), float(n))
    else:
        u = np.asarray(jax.random.uniform(ks[2], (t, g)), float)
        prop = _pick_np(u, a1, a1 + a0, c, float(k))
        v = np.asarray(jax.random.uniform(ks[3], (t, g)), float)
        acc = np.where(prop > 0, v < model.principal_tpr, v < model.principal_fpr).astype(float)
        u2 = np.asarray(jax.random.uniform(ks[4], (t,)), float)
        want = _pick_np(u2, (acc * prop).sum(1), acc.sum(1), prop.sum(1), float(g))
    np.testing.assert_array_equal(got, want)
    assert 0 < want.mean() < 1


def test_sufficient_b_filter_vote_draw_by_draw() -> None:
    """FilterVote's sufficient sampler on its subkeys (counts: 0–2, tie uniform: 3, accepted
    correct: 4, accepted wrong: 5), the plurality recomputed by the literal rule."""
    model, proto = B_LOW_ACCEPT, FilterVote(5)
    static, p = _b_static(model, 5)
    key, t = jax.random.key(43), 256
    got = np.asarray(mc_b._s_filter(static, p, proto, key, t))
    ks = jax.random.split(key, 6)
    c, wrong = mc_b._vote_counts(static, p, proto, ks, t)
    u = np.asarray(jax.random.uniform(ks[3], (t,)), float)
    ac = np.asarray(mc_b.binomial(ks[4], c, p["s"], 5), int)
    aw = np.asarray(mc_b.binomial(ks[5], wrong, p["f"][None], 5), int)
    cn, wn = np.asarray(c, int), np.asarray(wrong, int)
    want = [
        lit_plurality(u[i], int(ac[i]), aw[i].tolist())
        if ac[i] + aw[i].sum() > 0
        else lit_plurality(u[i], int(cn[i]), wn[i].tolist())
        for i in range(t)
    ]
    np.testing.assert_array_equal(got, want)
    assert 0 < np.mean(want) < 1 and np.any(ac + aw.sum(1) == 0)
