"""The pool engine (align_theory.exact.empirical) against literal brute force and model B."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pytest

from align_theory import (
    Align,
    BernoulliModel,
    EmpiricalPool,
    FilterVote,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
    expected_utility,
)
from align_theory.exact.empirical import is_sampled, pool_values, subpool_count
from align_theory.protocols import Protocol, pool_layout
from align_theory.results import bootstrap

# ----------------------------------------------------------------- literal brute force
# A candidate is (correct, class, y, report, xhat). Ties: every tied outcome enumerated and
# averaged, literally.


def _argmax_all(keys: Sequence[float]) -> list[int]:
    best = max(keys)
    return [i for i, v in enumerate(keys) if v == best]


def _mean(v: Sequence[float]) -> float:
    return sum(v) / len(v)


def _agent_view(pool: EmpiricalPool, q: int, a: int, idx: Sequence[int]) -> list[tuple]:
    """(correct, class, y, report, xhat, raw agent score) of candidates idx of agent a."""
    cls = pool.answer_classes()[q, a]
    out = []
    for i in idx:
        share = sum(cls[j] == cls[i] for j in idx)
        s = float(pool.agent_score[q, a, i])
        if pool.vote_share == "primary":
            y: tuple = (share, s)
            r = share / len(idx)
        elif pool.vote_share == "tiebreak":
            y, r = (s, share), s
        else:
            y, r = (s,), s
        out.append(
            (
                float(pool.correct[q, a, i]),
                int(cls[i]),
                y,
                r,
                float(pool.principal_score[q, a, i]),
                s,
            )
        )
    return out


def _plural(cands: Sequence[tuple], weights: Sequence[float] | None = None) -> float:
    w = [1.0] * len(cands) if weights is None else list(weights)
    tot: dict[int, float] = {}
    for c, wt in zip(cands, w, strict=True):
        tot[c[1]] = tot.get(c[1], 0.0) + wt
    best = max(tot.values())
    lead = [k for k, v in tot.items() if abs(v - best) <= 1e-9]
    return _mean([_mean([c[0] for c in cands if c[1] == k]) for k in lead])


def _brute(pool: EmpiricalPool, proto: Protocol, q: int, bayes: tuple[float, float]) -> float:
    n, g = pool_layout(proto)
    k = n // g
    _, a_all, k_all = pool.shape
    vals = []
    for agents in itertools.combinations(range(a_all), g):
        for picks in itertools.product(itertools.combinations(range(k_all), k), repeat=g):
            groups = [_agent_view(pool, q, a, p) for a, p in zip(agents, picks, strict=True)]
            vals.append(_rule(proto, groups, bayes))
    return _mean(vals)


def _pkey(rule: str, c: tuple, bayes: tuple[float, float]) -> float:
    if rule == "exact":
        return c[0]
    if rule == "judge":
        return c[4]
    return bayes[0] * c[3] + bayes[1] * c[4]


def _rule(proto: Protocol, groups: list[list[tuple]], bayes: tuple[float, float]) -> float:
    allc = [c for grp in groups for c in grp]
    if isinstance(proto, Align):
        options = [[grp[i] for i in _argmax_all([c[2] for c in grp])] for grp in groups]
        outs = []
        for props in itertools.product(*options):
            if proto.principal == "vote":
                outs.append(_plural(props, [c[3] for c in props]))
            else:
                keys = [_pkey(proto.principal, c, bayes) for c in props]
                outs.append(_mean([props[i][0] for i in _argmax_all(keys)]))
        return _mean(outs)
    if isinstance(proto, SingleAgent):
        return _mean([allc[i][0] for i in _argmax_all([c[2] for c in allc])])
    if isinstance(proto, PrincipalBestOfN):
        return _mean([allc[i][0] for i in _argmax_all([c[4] for c in allc])])
    if isinstance(proto, RandomPick):
        return _mean([c[0] for c in allc])
    if isinstance(proto, Oracle):
        return max(c[0] for c in allc)
    if isinstance(proto, MajorityVote):
        return _plural(allc)
    if isinstance(proto, FilterVote):
        acc = [c for c in allc if c[5] > 0.5]
        return _plural(acc or allc)
    if isinstance(proto, Shortlist):
        order = sorted(range(len(allc)), key=lambda i: allc[i][2], reverse=True)
        cut = allc[order[proto.size - 1]][2]
        sure = [i for i in range(len(allc)) if allc[i][2] > cut]
        tied = [i for i in range(len(allc)) if allc[i][2] == cut]
        outs = []
        for extra in itertools.combinations(tied, proto.size - len(sure)):
            chosen = [allc[i] for i in (*sure, *extra)]
            keys = [_pkey(proto.principal, c, bayes) for c in chosen]
            outs.append(_mean([chosen[i][0] for i in _argmax_all(keys)]))
        return _mean(outs)
    raise TypeError(proto)


def _tiny_pool(
    seed: int, vote_share: str | None, q: int = 3, a: int = 3, k: int = 3
) -> EmpiricalPool:
    """Few distinct values, so ties in y, x̂ and answers are frequent."""
    rng = np.random.default_rng(seed)
    correct = rng.random((q, a, k)) < 0.45
    answers = np.where(correct, 0, rng.integers(1, 3, (q, a, k)))
    answers = np.where(rng.random((q, a, k)) < 0.1, -1, answers)
    y = rng.choice([0.2, 0.6, 0.6, 0.9], (q, a, k))
    x = rng.choice([0.1, 0.5, 0.5, 0.7], (q, a, k))
    return EmpiricalPool(correct, answers, y, x, vote_share=vote_share)


PROTOCOLS: list[Protocol] = [
    Align(3, 3, "exact"),
    Align(2, 2, "judge"),
    Align(3, 2, "judge"),
    Align(2, 3, "bayes"),
    Align(3, 2, "vote"),
    Align(1, 3, "judge"),
    SingleAgent(3),
    SingleAgent(6, agents=3),
    SingleAgent(4, agents=2),
    PrincipalBestOfN(6, agents=2),
    RandomPick(4, agents=2),
    Oracle(6, agents=3),
    Oracle(2),
    MajorityVote(6, agents=2),
    MajorityVote(3),
    FilterVote(6, agents=3),
    Shortlist(3, 2, "judge"),
    Shortlist(3, 1, "exact"),
    Shortlist(2, 1, "bayes"),
]


@pytest.mark.parametrize("vote_share", [None, "primary", "tiebreak"], ids=str)
@pytest.mark.parametrize("proto", PROTOCOLS, ids=repr)
def test_pool_values_equal_brute_force(proto: Protocol, vote_share: str | None) -> None:
    pool = _tiny_pool(7, vote_share)
    w = np.array([[0.7, 1.3], [1.0, 0.0], [0.3, 0.3]])
    got = pool_values(pool, proto, bayes=w)
    want = [_brute(pool, proto, q, (w[q, 0], w[q, 1])) for q in range(pool.shape[0])]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_pooled_view_reads_uniform_subsets_with_pooled_shares() -> None:
    pool = _tiny_pool(3, "primary", q=2, a=2, k=2).pooled()
    for proto in (SingleAgent(3), MajorityVote(2), Shortlist(4, 2, "judge"), Oracle(3)):
        want = [_brute(pool, proto, q, (1.0, 1.0)) for q in range(2)]
        np.testing.assert_allclose(pool_values(pool, proto), want, atol=1e-12)


def test_continuous_scores_are_not_reordered_by_the_tie_break() -> None:
    """The defect of issue 13: one agent, candidates 0.6 (correct) and 0.4."""
    c = np.array([[[True, False]]])
    s = np.array([[[0.6, 0.4]]])
    pool = EmpiricalPool(c, np.array([[[0, 1]]]), s, s)
    assert expected_utility(pool, PrincipalBestOfN(2)) == 1.0
    assert expected_utility(pool, Align(1, 2, "exact")) == 1.0
    assert expected_utility(pool, Align(1, 2, "judge")) == 1.0


def test_oracle_is_pass_at_k_exactly() -> None:
    pool = _tiny_pool(1, None, q=4, a=2, k=4).pooled()
    c = pool.correct.reshape(4, -1).sum(axis=1)
    for n in range(1, 9):
        want = [1 - math.comb(8 - ci, n) / math.comb(8, n) for ci in c]
        np.testing.assert_allclose(pool_values(pool, Oracle(n)), want, atol=1e-15)
        assert not is_sampled(pool, Oracle(n), cap=1)


def test_sampling_above_the_cap_is_flagged_and_close() -> None:
    pool = _tiny_pool(5, "primary", q=4, a=3, k=3)
    proto = Align(3, 2, "judge")
    assert subpool_count(pool, proto) == 27 and is_sampled(pool, proto, cap=20)
    exact = pool_values(pool, proto)
    approx = pool_values(pool, proto, cap=20, seed=1)
    assert np.all(np.abs(exact - approx) <= 0.5)


def test_layout_larger_than_the_pool_is_refused() -> None:
    pool = _tiny_pool(0, None)
    with pytest.raises(ValueError, match="pooled"):
        pool_values(pool, SingleAgent(6))
    with pytest.raises(ValueError, match="principal"):
        pool_values(pool, Shortlist(3, 2, "vote"))


def test_vote_rule_is_refused_by_models() -> None:
    with pytest.raises(ValueError, match="recorded pools"):
        expected_utility(BernoulliModel(1.0, 1.0), Align(2, 2, "vote"))


# ----------------------------------------------------------------- model B agreement

MODEL = BernoulliModel(1.2, 1.8, agent_tpr=0.8, agent_fpr=0.3, principal_tpr=0.9, principal_fpr=0.2)
MODEL_PROTOCOLS: list[Protocol] = [
    Align(4, 4, "exact"),
    Align(4, 2, "judge"),
    Align(2, 4, "judge"),
    SingleAgent(4),
    SingleAgent(16, agents=4),
    RandomPick(4),
    Oracle(4),
    Oracle(8, agents=2),
    PrincipalBestOfN(4),
    PrincipalBestOfN(8, agents=4),
    Shortlist(4, 2, "judge"),
    MajorityVote(3),
]


@pytest.fixture(scope="module")
def model_pool() -> EmpiricalPool:
    d = MODEL.sample(np.random.default_rng(2024), 4, 4, trials=4000)
    return EmpiricalPool(d.correct, d.answer, d.y, d.xhat)


@pytest.mark.parametrize("proto", MODEL_PROTOCOLS, ids=repr)
def test_pool_from_model_b_matches_the_closed_form(
    model_pool: EmpiricalPool, proto: Protocol
) -> None:
    v = pool_values(model_pool, proto)
    se = v.std(ddof=1) / math.sqrt(v.size)
    want = expected_utility(MODEL, proto)
    assert abs(v.mean() - want) <= 4.5 * se + 1e-9, (v.mean(), want, se)


def test_bootstrap_shares_resamples_across_series() -> None:
    rng = np.random.default_rng(0)
    u = rng.random(30)
    est = bootstrap({"u": u, "v": u + 0.1, "d": np.full(30, 0.1)}, reps=300)
    assert est["u"].lo is not None and est["v"].lo is not None
    assert abs((est["v"].lo - est["u"].lo) - 0.1) < 1e-12
    assert est["d"].lo == pytest.approx(0.1) and est["d"].hi == pytest.approx(0.1)


def test_simulate_on_a_pool_agrees_with_the_exact_average() -> None:
    """The Monte Carlo engine reads whole recorded grids: same estimand at the full layout."""
    from align_theory import simulate

    rng = np.random.default_rng(11)
    shape = (25, 3, 4)
    correct = rng.random(shape) < rng.random((25, 1, 1))
    answers = np.where(correct, 0, rng.integers(1, 4, shape))
    pool = EmpiricalPool(correct, answers, rng.random(shape), correct + rng.normal(0, 1, shape))
    for proto in (Align(3, 4, "judge"), PrincipalBestOfN(12, agents=3), SingleAgent(12, agents=3)):
        est = simulate(pool, proto, trials=40_000, seed=3, progress=False)
        want = float(pool_values(pool, proto).mean())
        assert abs(est.mean - want) <= 4.5 * est.stderr + 1e-9, (proto, est, want)


# ----------------------------------------------------------------- heavy ties (fast paths)


def _tied_pool(seed: int, vote_share: str | None, q: int, a: int, k: int) -> EmpiricalPool:
    """0/1 verdicts for agent and principal, and classes drawn independently of correctness
    (so one class can hold correct and wrong candidates): ties everywhere."""
    rng = np.random.default_rng(seed)
    correct = rng.random((q, a, k)) < 0.5
    answers = rng.integers(0, 3, (q, a, k))
    y = (rng.random((q, a, k)) < 0.5).astype(float)
    x = (rng.random((q, a, k)) < 0.5).astype(float)
    return EmpiricalPool(correct, answers, y, x, vote_share=vote_share)


TIED_PROTOCOLS: list[Protocol] = [
    Align(4, 2, "judge"),
    Align(4, 2, "bayes"),
    Align(4, 2, "vote"),
    Align(3, 3, "judge"),
    Align(3, 3, "vote"),
    Align(4, 3, "vote"),
    Align(4, 3, "bayes"),
]


@pytest.mark.parametrize("vote_share", [None, "primary", "tiebreak"], ids=str)
@pytest.mark.parametrize("proto", TIED_PROTOCOLS, ids=repr)
def test_tied_proposals_equal_brute_force(proto: Protocol, vote_share: str | None) -> None:
    """Align's closed form over tied proposals (judge/bayes) and its merged-class
    enumeration (vote) against every combination of the agents' tied choices."""
    pool = _tied_pool(4, vote_share, q=3, a=4, k=3)
    w = np.array([[0.7, 1.3], [1.0, 0.0], [0.3, 0.3]])
    got = pool_values(pool, proto, bayes=w)
    want = [_brute(pool, proto, q, (w[q, 0], w[q, 1])) for q in range(pool.shape[0])]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("n", "size", "rule"),
    [(5, 2, "judge"), (6, 3, "judge"), (6, 4, "bayes"), (4, 2, "exact"), (6, 1, "judge")],
    ids=str,
)
def test_shortlist_cut_ties_equal_brute_force(
    n: int, size: int, rule: Literal["exact", "judge", "bayes"]
) -> None:
    pool = _tied_pool(9, None, q=4, a=2, k=3).pooled()
    w = np.array([[0.7, 1.3], [1.0, 0.0], [0.3, 0.3], [0.0, 1.0]])
    proto = Shortlist(n, size, rule)
    got = pool_values(pool, proto, bayes=w)
    want = [_brute(pool, proto, q, (w[q, 0], w[q, 1])) for q in range(pool.shape[0])]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_hand_checked_tie_cases() -> None:
    """Worked by hand. Shortlist(3, 2, judge), y all tied, x̂ = (1, 0, 0), correct =
    (1, 0, 0): of the 3 equally likely pairs, the 2 holding candidate 0 pick it; the other
    ties two wrong ones: 2/3. Align(2, 2, ·), every candidate tied in y (so each agent
    proposes either of its two with probability 1/2), correct = (1, 0 | 0, 1): judge with
    x̂ = (1, 0 | 1, 1) gives 1/2, 1, 0, 1 over the four pairs: 5/8; vote with classes
    (0, 1 | 1, 1) and reports 1 gives 1/2 (classes 0 and 1 tie), 1, 0, 1/2: 1/2.
    """
    one = np.ones((1, 1, 3))
    pool = EmpiricalPool(np.array([[[1, 0, 0]]]) > 0, np.array([[[0, 1, 2]]]), one, one * [1, 0, 0])
    assert pool_values(pool, Shortlist(3, 2, "judge"))[0] == pytest.approx(2 / 3, abs=1e-15)
    c = np.array([[[1, 0], [0, 1]]]) > 0
    x = np.array([[[1.0, 0.0], [1.0, 1.0]]])
    grid = EmpiricalPool(c, np.array([[[0, 1], [1, 1]]]), np.ones((1, 2, 2)), x)
    assert pool_values(grid, Align(2, 2, "judge"))[0] == pytest.approx(5 / 8, abs=1e-15)
    assert pool_values(grid, Align(2, 2, "vote"))[0] == pytest.approx(1 / 2, abs=1e-15)
