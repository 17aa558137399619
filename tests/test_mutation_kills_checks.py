"""The checks' literal selections and pass/fail comparisons against hand-checked cases.

``align verify`` decides pass/fail with :class:`align_theory.results.Report` (two
computations agree within Z_TOL standard errors, and the statement holds), classifies vote
curves with :func:`align_theory.checks.voting.classify_shape`, and draws its literal
selections with :mod:`align_theory.checks.selection` and
:func:`align_theory.checks.enumeration.stage_by_enumeration`. Each is compared here with a
loop written from the definition, on cases where a flipped comparison, a shifted tolerance
or a swapped argument changes the verdict (the ``checks`` set of ``make mutation``,
docs/quality.md).
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pytest

from align_theory.checks.enumeration import stage_by_enumeration
from align_theory.checks.selection import (
    align_vs_shortlist,
    bernoulli_selections,
    pick,
    proposals,
    single_agent,
    take,
)
from align_theory.checks.voting import chen_vote_accuracy, classify_shape
from align_theory.models import BernoulliModel, GaussianModel
from align_theory.results import Z_TOL, Report


def _report(a: float, b: float, se: float, holds: bool = True) -> Report:
    return Report("T", "claim", {}, "A", a, "B", b, se, holds=holds)


@pytest.mark.parametrize(
    ("a", "b", "se", "holds", "z", "agrees", "passed"),
    [
        (1.0, 1.0, 0.0, True, 0.0, True, True),
        (1.0, 1.0 + 1e-13, 0.0, True, 0.0, True, True),
        (1.0, 1.0 + 1e-11, 0.0, True, math.inf, False, False),
        (1.0 + 1e-11, 1.0, 0.0, True, math.inf, False, False),
        (1.0, 0.5, 0.125, True, 4.0, True, True),  # exactly Z_TOL: agrees (≤)
        (1.0, 1.5, 0.125, True, -4.0, True, True),
        (1.0, 0.49, 0.125, True, 4.08, False, False),
        (1.0, 1.51, 0.125, True, -4.08, False, False),
        (2.0, 1.5, 0.25, True, 2.0, True, True),
        (2.0, 1.5, 0.25, False, 2.0, True, False),
        (2.0, 0.5, 0.25, False, 6.0, False, False),
    ],
    ids=[
        "exact",
        "tiny",
        "off-zero-se",
        "off-zero-se+",
        "at-tol",
        "at-tol-",
        "beyond",
        "beyond-",
        "within",
        "fails-holds",
        "fails-both",
    ],
)
def test_report_verdict(
    a: float, b: float, se: float, holds: bool, z: float, agrees: bool, passed: bool
) -> None:
    """z = (A − B)/se (0, or inf, with zero se at 1e-12), agrees iff |z| ≤ Z_TOL = 4."""
    assert Z_TOL == 4.0
    r = _report(a, b, se, holds)
    assert r.diff == pytest.approx(a - b, abs=1e-15)
    if math.isinf(z):
        assert r.z == z
    else:
        assert r.z == pytest.approx(z, rel=1e-9, abs=1e-12)
    assert (r.agrees, r.passed) == (agrees, passed)
    d = r.as_dict()
    assert (d["agrees"], d["passed"], d["holds"]) == (agrees, passed, holds)


@pytest.mark.parametrize(
    ("values", "shape"),
    [
        ([0.1, 0.2, 0.3], "increasing"),
        ([0.1, 0.1, 0.3], "increasing"),
        ([0.3, 0.2, 0.1], "decreasing"),
        ([0.3, 0.3, 0.1], "decreasing"),
        ([0.1, 0.3, 0.2], "inverse-U"),
        ([0.1, 0.2, 0.4, 0.3, 0.3], "inverse-U"),
        ([0.1, 0.4, 0.2, 0.3], None),
        ([0.3, 0.1, 0.2], None),
        ([0.2, 0.1, 0.3, 0.25], None),
        ([0.5, 0.5, 0.5], "increasing"),
        ([0.1, 0.3 - 1e-13, 0.3], "increasing"),
    ],
    ids=lambda v: str(v),
)
def test_classify_shape_by_hand(values: list[float], shape: str | None) -> None:
    assert classify_shape(np.array(values)) == shape


def test_classify_shape_tolerance() -> None:
    """A dip of 1e-10 is a dip at the default tolerance and flat at tol = 1e-9."""
    v = np.array([0.1, 0.3, 0.3 - 1e-10, 0.4])
    assert classify_shape(v) is None
    assert classify_shape(v, tol=1e-9) == "increasing"
    w = np.array([0.4, 0.3, 0.3 + 1e-10, 0.1])
    assert classify_shape(w) is None
    assert classify_shape(w, tol=1e-9) == "decreasing"


def _binom_tail(k: int, p: float) -> float:
    return sum(math.comb(k, j) * p**j * (1 - p) ** (k - j) for j in range((k + 1) // 2, k + 1))


@pytest.mark.parametrize("k", [1, 3, 5, 9])
def test_chen_vote_accuracy_is_a_binomial_majority(k: int) -> None:
    """F(K) = α P(Bin(K, p₁) > K/2) + (1 − α) P(Bin(K, p₂) > K/2), summed literally."""
    alpha, p1, p2 = 0.35, 0.8, 0.4
    lit = alpha * _binom_tail(k, p1) + (1 - alpha) * _binom_tail(k, p2)
    assert float(chen_vote_accuracy(k, alpha, p1, p2)) == pytest.approx(lit, abs=1e-12)


def _stage_literal(p: float, s: float, f: float, k: int) -> float:
    """Sum over all 4^K (correct?, accepted?) patterns: a uniform accepted candidate, else a
    uniform one of all K."""
    total = 0.0
    for pattern in product(range(4), repeat=k):  # 0 = acc correct, 1 = acc wrong, 2, 3
        cell = [p * s, (1 - p) * f, p * (1 - s), (1 - p) * (1 - f)]
        prob = math.prod(cell[c] for c in pattern)
        n = [pattern.count(c) for c in range(4)]
        acc = n[0] + n[1]
        total += prob * (n[0] / acc if acc else n[2] / k)
    return total


@pytest.mark.parametrize(
    ("p", "s", "f", "k"),
    [
        (0.3, 0.8, 0.2, 3),
        (0.6, 0.55, 0.45, 4),
        (0.2, 1.0, 0.0, 2),
        (0.5, 0.0, 0.0, 3),
        (0.7, 0.9, 1.0, 4),
        (0.0, 0.7, 0.3, 2),
        (1.0, 0.7, 0.3, 3),
    ],
)
def test_stage_by_enumeration_against_patterns(p: float, s: float, f: float, k: int) -> None:
    """The count-pattern enumeration equals the sum over all 4^K ordered patterns."""
    got = float(stage_by_enumeration(p, s, f, k))
    assert got == pytest.approx(_stage_literal(p, s, f, k), abs=1e-12)
    vec = stage_by_enumeration(np.array([p, 0.5 * p]), s, f, k)
    assert vec.shape == (2,)
    assert float(vec[1]) == pytest.approx(_stage_literal(0.5 * p, s, f, k), abs=1e-12)


def test_literal_selections_by_loops() -> None:
    """take / pick / proposals / single_agent on random draws (M = 3 ≠ K = 4) by loops."""
    model = GaussianModel(rho_between=0.1, rho_within=0.4, tau=0.7, kappa=0.5)
    d = model.sample(np.random.default_rng(5), 3, 4, 50)
    xs, ys, xhs = proposals(d)
    on_xh = proposals(d, select_on=d.xhat)
    sa = single_agent(d)
    for t in range(50):
        for a in range(3):
            k = max(range(4), key=lambda j: d.y[t, a, j])
            assert (xs[t, a], ys[t, a], xhs[t, a]) == (d.x[t, a, k], d.y[t, a, k], d.xhat[t, a, k])
            kh = max(range(4), key=lambda j: d.xhat[t, a, j])
            assert on_xh[0][t, a] == d.x[t, a, kh]
        flat = [(d.y[t, a, j], d.x[t, a, j]) for a in range(3) for j in range(4)]
        assert sa[t] == max(flat)[1]
        assert pick(d.x[t], d.xhat[t]).tolist() == [on_xh[0][t, a] for a in range(3)]
    idx = np.array([[2, 0], [1, 1]])
    arr = np.arange(12.0).reshape(2, 2, 3)
    np.testing.assert_array_equal(take(arr, idx), [[2.0, 3.0], [7.0, 10.0]])


def test_align_vs_shortlist_literal() -> None:
    """The Monte Carlo difference of align_vs_shortlist, recomputed by loops on its draws."""
    model = GaussianModel(rho_between=0.1, rho_within=0.6, tau=0.8)
    m, k, t, seed = 3, 2, 40, 9
    closed, est = align_vs_shortlist(model, m, k, trials=t, seed=seed)
    multi = model.sample(np.random.default_rng(seed), m, k, t)
    single = model.sample(np.random.default_rng(seed), m, k, t, one_agent=True)
    diffs = []
    for i in range(t):
        al = max(max(zip(multi.y[i, a], multi.x[i, a], strict=True))[1] for a in range(m))
        cands = sorted(zip(single.y[i].ravel(), single.x[i].ravel(), strict=True), reverse=True)
        diffs.append(al - max(x for _, x in cands[:m]))
    assert est.mean == pytest.approx(float(np.mean(diffs)), abs=1e-12)
    assert est.trials == t
    from align_theory.exact import expected_utility
    from align_theory.protocols import Align, Shortlist

    want = expected_utility(model, Align(m, k)) - expected_utility(model, Shortlist(m * k, m))
    assert closed == pytest.approx(want, abs=1e-12)


def test_bernoulli_selections_by_loops() -> None:
    """Align(judge), SingleAgent and the binary vote of bernoulli_selections, by loops on
    the same generator stream (M = 3 ≠ K = 2)."""
    model = BernoulliModel(
        1.5, 2.0, agent_tpr=0.8, agent_fpr=0.3, principal_tpr=0.7, principal_fpr=0.2
    )
    m, k, t, seed = 3, 2, 200, 4
    align, sa, vote = bernoulli_selections(model, m, k, t, seed)
    rng = np.random.default_rng(seed)
    d = model.sample(rng, m, k, t)
    akey = d.y + 0.5 * rng.random(d.correct.shape)
    pkey = d.xhat + 0.5 * rng.random(d.correct.shape)
    for i in range(t):
        props = [int(np.argmax(akey[i, a])) for a in range(m)]  # keys are distinct
        best = max(range(m), key=lambda a: pkey[i, a, props[a]])
        assert align[i] == float(d.correct[i, best, props[best]])
        flat = [(akey[i, a, j], d.correct[i, a, j]) for a in range(m) for j in range(k)]
        assert sa[i] == float(max(flat)[1])
        c = int(d.correct[i].sum())
        assert vote[i] == (1.0 if 2 * c > m * k else 0.5 if 2 * c == m * k else 0.0)
    assert 0 < align.mean() < 1 and 0 < vote.mean() < 1 and np.any(vote == 0.5)
    with pytest.raises(ValueError, match="wrong_answers"):
        bernoulli_selections(BernoulliModel(1.0, 1.0, wrong_answers=2), 2, 2, 4, 0)


@pytest.mark.parametrize(
    ("values", "shape"),
    [
        ([0.0, -0.5, 1.0], "increasing"),  # a step of exactly −tol is still nondecreasing
        ([1.0, 1.5, 0.0], "decreasing"),  # a step of exactly +tol is still nonincreasing
        ([0.0, -0.5, 1.0, 0.0], "inverse-U"),
        ([0.0, 2.0, 1.0, 1.5, 0.0], "inverse-U"),
        ([0.0, 0.0, 1.0, 0.25], "inverse-U"),  # a flat step before the peak
    ],
    ids=["minus-tol", "plus-tol", "rise-minus-tol", "fall-plus-tol", "flat-rise"],
)
def test_classify_shape_at_the_tolerance(values: list[float], shape: str) -> None:
    """Steps of exactly ±tol (tol = ½, exact in binary) count as flat."""
    assert classify_shape(np.array(values), tol=0.5) == shape


def test_classify_shape_reads_booleans_as_numbers() -> None:
    """0/1 curves given as booleans are compared as numbers (not by np.diff's xor)."""
    assert classify_shape(np.array([True, False])) == "decreasing"
    assert classify_shape(np.array([False, True, False])) == "inverse-U"


def test_stage_by_enumeration_refuses_k_and_stays_quiet() -> None:
    """K < 1 is refused naming ``k``; p ∈ {0, 1} and f = 0 (log 0 terms) raise no floating
    point error even where the caller turns them into errors."""
    with pytest.raises(ValueError, match=r"^k must be an integer >= 1, got 0$"):
        stage_by_enumeration(0.3, 0.8, 0.2, 0)
    with np.errstate(all="raise"):
        got = stage_by_enumeration(np.array([0.0, 1.0, 0.4]), 1.0, 0.0, 3)
    np.testing.assert_allclose(got, [0.0, 1.0, 1 - 0.6**3], atol=1e-12)


def test_pick_on_three_axes() -> None:
    """pick reads the last axis whatever the number of axes (trials, M, K)."""
    rng = np.random.default_rng(3)
    values, score = rng.normal(size=(5, 3, 4)), rng.normal(size=(5, 3, 4))
    got = pick(values, score)
    assert got.shape == (5, 3)
    for t, a in product(range(5), range(3)):
        assert got[t, a] == values[t, a, int(np.argmax(score[t, a]))]


def test_align_vs_shortlist_literal_large_pool() -> None:
    """The shortlist of M = 3 read off N = 24 candidates is the top 3 by y (not any 3 of
    a partial partition)."""
    model = GaussianModel(rho_between=0.0, rho_within=0.5, tau=0.3)
    m, k, t, seed = 3, 8, 60, 2
    _, est = align_vs_shortlist(model, m, k, trials=t, seed=seed)
    multi = model.sample(np.random.default_rng(seed), m, k, t)
    single = model.sample(np.random.default_rng(seed), m, k, t, one_agent=True)
    diffs = []
    for i in range(t):
        al = max(max(zip(multi.y[i, a], multi.x[i, a], strict=True))[1] for a in range(m))
        cands = sorted(zip(single.y[i].ravel(), single.x[i].ravel(), strict=True), reverse=True)
        diffs.append(al - max(x for _, x in cands[:m]))
    assert est.mean == pytest.approx(float(np.mean(diffs)), abs=1e-12)
