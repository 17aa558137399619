"""Model B closed forms against literal brute force: Monte Carlo that draws every candidate
with ``BernoulliModel.sample`` and applies each rule in numpy here, and exhaustive
enumeration of every (answer, verdict) pattern on tiny pools with exact Beta and Dirichlet
moments. Plus the extreme-parameter cases of the reliability issue."""

from __future__ import annotations

import functools
import itertools
import math
import time

import numpy as np
import pytest
from scipy import integrate, special, stats

from align_theory import (
    Align,
    BernoulliModel,
    FilterVote,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
    expected_utility,
)
from align_theory.exact import bernoulli, beta_binomial_majority, stage_operator, verifier_select
from align_theory.exact.bernoulli import B_MAX_N
from align_theory.exact.compositions import (
    VOTE_MAX_N,
    beta_binomial_pmf,
    filter_vote_given_count,
    plurality_table,
    pool_count_pmf,
)
from align_theory.protocols import Protocol, pool_layout


@pytest.fixture(autouse=True)
def _fresh_selector_cache() -> None:
    """ψ_K is cached per (K, s, f); start each test without it so that every test computes
    it (and a mutation run, which forks warm processes, sees the mutated selector)."""
    bernoulli._correct_given_count.cache_clear()


# ---------------------------------------------------------------------- literal Monte Carlo


def _pick(rng: np.random.Generator, score: np.ndarray) -> np.ndarray:
    """Index of the largest score along the last axis, ties broken uniformly at random."""
    return np.argmax(score + 0.5 * rng.random(score.shape), axis=-1)


def _plurality_correct(rng: np.random.Generator, answer: np.ndarray, m: int, mask: np.ndarray):
    counts = np.stack([((answer == v) & mask).sum(axis=-1) for v in range(m + 1)], axis=-1)
    return _pick(rng, counts.astype(float)) == 0


def _brute(model: BernoulliModel, proto: Protocol, trials: int, seed: int) -> tuple[float, float]:
    """Mean and standard error of 1{output correct}, every rule applied literally."""
    rng = np.random.default_rng(seed)
    n, g = pool_layout(proto)
    d = model.sample(rng, g, n // g, trials)
    corr = d.correct.reshape(trials, n)
    ans, y, xh = (v.reshape(trials, n) for v in (d.answer, d.y, d.xhat))
    take = np.take_along_axis
    if isinstance(proto, SingleAgent):
        out = take(corr, _pick(rng, y)[:, None], 1)[:, 0]
    elif isinstance(proto, PrincipalBestOfN):
        out = take(corr, _pick(rng, xh)[:, None], 1)[:, 0]
    elif isinstance(proto, Oracle):
        out = corr.any(axis=1)
    elif isinstance(proto, RandomPick):
        out = corr[:, 0]
    elif isinstance(proto, MajorityVote):
        out = _plurality_correct(rng, ans, model.wrong_answers, np.ones_like(corr))
    elif isinstance(proto, FilterVote):
        acc = y > 0.5
        mask = np.where(acc.any(axis=1, keepdims=True), acc, True)
        out = _plurality_correct(rng, ans, model.wrong_answers, mask)
    elif isinstance(proto, Align):
        prop = _pick(rng, d.y)[..., None]  # each agent's argmax y, (trials, M, 1)
        pc, px = take(d.correct, prop, 2)[..., 0], take(d.xhat, prop, 2)[..., 0]
        if proto.principal == "exact":
            out = pc.any(axis=1)
        else:
            out = take(pc, _pick(rng, px)[:, None], 1)[:, 0]
    elif isinstance(proto, Shortlist):
        top = np.argsort(-(y + 0.5 * rng.random(y.shape)), axis=1)[:, : proto.size]
        sc, sx = take(corr, top, 1), take(xh, top, 1)
        if proto.principal == "exact":
            out = sc.any(axis=1)
        else:
            out = take(sc, _pick(rng, sx)[:, None], 1)[:, 0]
    else:  # pragma: no cover
        raise TypeError(proto)
    v = out.astype(float)
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(trials))


B_POINTS = {
    "m3-uniform": BernoulliModel(0.7, 1.1, agent_tpr=0.75, agent_fpr=0.2, wrong_answers=3),
    "m4-dirichlet0.1": BernoulliModel(
        1.5, 1.0, agent_tpr=0.7, agent_fpr=0.25, wrong_answers=4, wrong_concentration=0.1
    ),
    "m2-dirichlet20-diverse": BernoulliModel(
        0.6,
        0.9,
        agent_tpr=0.8,
        agent_fpr=0.3,
        principal_tpr=0.85,
        principal_fpr=0.15,
        diversity=2.5,
        wrong_answers=2,
        wrong_concentration=20.0,
    ),
    "binary-diverse0.7": BernoulliModel(
        2.0, 1.2, agent_tpr=0.6, agent_fpr=0.1, principal_tpr=0.9, principal_fpr=0.3, diversity=0.7
    ),
    "m5-dirichlet1-diverse": BernoulliModel(
        1.2,
        0.8,
        agent_tpr=0.9,
        agent_fpr=0.4,
        diversity=6.0,
        wrong_answers=5,
        wrong_concentration=1.0,
    ),
}
B_PROTOS = [
    MajorityVote(12, agents=3),
    MajorityVote(11),
    FilterVote(12, agents=4),
    FilterVote(9),
    SingleAgent(12, agents=3),
    SingleAgent(10),
    PrincipalBestOfN(12, agents=2),
    Align(3, 4, "judge"),
    Align(4, 3),
    Shortlist(12, 3, "judge"),
    Shortlist(10, 4),
    Oracle(12, agents=3),
    RandomPick(12),
]


@pytest.mark.parametrize("name", sorted(B_POINTS))
def test_model_b_closed_forms_match_literal_brute_force(name: str) -> None:
    model = B_POINTS[name]
    for i, proto in enumerate(B_PROTOS):
        mean, se = _brute(model, proto, trials=40_000, seed=100 + i)
        closed = expected_utility(model, proto)
        assert abs(closed - mean) <= 4 * se + 1e-12, (name, proto, closed, mean, se)


# ---------------------------------------------------------------------- exhaustive enumeration


def _rule_outcome(rule: str, ans: np.ndarray, ver: np.ndarray, m: int) -> float:
    """Exact P(correct) of one pattern of (answer, verdict), ties averaged."""
    if rule == "select":
        pool = np.nonzero(ver)[0] if ver.any() else np.arange(ans.size)
        return float(np.mean(ans[pool] == 0))
    if rule == "filter" and ver.any():
        ans = ans[ver.astype(bool)]
    counts = np.bincount(ans, minlength=m + 1)
    top = counts.max()
    return float(counts[0] == top) / float(np.sum(counts == top))


@functools.cache
def _diverse_moment(a: float, b: float, c: float, k: int, js: tuple[int, ...]) -> float:
    """E_θ Π_a E[θ_a^{j_a}(1−θ_a)^{K−j_a} | θ], θ_a | θ ~ Beta(cθ, c(1−θ)), by adaptive quad."""

    def integrand(t: float) -> float:
        per = [
            math.exp(
                special.betaln(c * t + jj, c * (1 - t) + k - jj)
                - special.betaln(c * t, c * (1 - t))
            )
            for jj in js
        ]
        return math.prod(per) * stats.beta.pdf(t, a, b)

    return float(integrate.quad(integrand, 0, 1, epsabs=1e-13, epsrel=1e-12)[0])


def _enumerate(model: BernoulliModel, n: int, agents: int, rule: str) -> float:
    """Σ over all (2(m+1))^n patterns of P(pattern)·outcome, with exact moments:
    E θ^j(1−θ)^{n−j} = B(a+j, b+n−j)/B(a, b) (per agent with diversity, then a quad over θ)
    and Dirichlet moments E Π w_i^{c_i} = Γ(mα)/Γ(mα+r) Π Γ(α+c_i)/Γ(α)."""
    m, s, f = model.wrong_answers, model.agent_tpr, model.agent_fpr
    k = n // agents
    total = 0.0
    states = [(a, v) for a in range(m + 1) for v in (0, 1)]
    for pat in itertools.product(states, repeat=n):
        ans = np.array([a for a, _ in pat])
        ver = np.array([v for _, v in pat])
        outcome = _rule_outcome(rule, ans, ver, m)
        if outcome == 0.0:
            continue
        ok = ans == 0
        coef = math.prod((s if v else 1 - s) if a == 0 else (f if v else 1 - f) for a, v in pat)
        cw = np.bincount(ans[~ok], minlength=m + 1)[1:]
        if model.wrong_concentration is None:
            coef *= m ** (-int(cw.sum()))
        else:
            al = model.wrong_concentration
            coef *= math.exp(
                special.gammaln(m * al)
                - special.gammaln(m * al + cw.sum())
                + np.sum(special.gammaln(al + cw) - special.gammaln(al))
            )
        js = ok.reshape(agents, k).sum(axis=1)
        if model.diversity is None:
            j = int(js.sum())
            mom = math.exp(
                special.betaln(model.a + j, model.b + n - j) - special.betaln(model.a, model.b)
            )
        else:
            mom = _diverse_moment(model.a, model.b, model.diversity, k, tuple(sorted(js)))
        total += coef * mom * outcome
    return total


ENUM_CASES = [
    ("vote-m2-uniform", BernoulliModel(1.3, 2.1, wrong_answers=2), MajorityVote(4), "vote"),
    ("vote-m3-uniform", BernoulliModel(1.3, 2.1, wrong_answers=3), MajorityVote(3), "vote"),
    (
        "vote-m2-dirichlet0.3",
        BernoulliModel(2.0, 1.5, wrong_answers=2, wrong_concentration=0.3),
        MajorityVote(5),
        "vote",
    ),
    (
        "filter-m2-dirichlet4",
        BernoulliModel(
            1.1, 1.4, agent_tpr=0.7, agent_fpr=0.35, wrong_answers=2, wrong_concentration=4.0
        ),
        FilterVote(4),
        "filter",
    ),
    (
        "filter-binary",
        BernoulliModel(1.1, 1.4, agent_tpr=0.6, agent_fpr=0.2),
        FilterVote(5),
        "filter",
    ),
    (
        "filter-m3-uniform-diverse",
        BernoulliModel(1.5, 1.2, agent_tpr=0.8, agent_fpr=0.3, wrong_answers=3, diversity=2.0),
        FilterVote(4, agents=2),
        "filter",
    ),
    (
        "vote-m2-diverse",
        BernoulliModel(1.5, 1.2, wrong_answers=2, wrong_concentration=0.5, diversity=1.5),
        MajorityVote(4, agents=2),
        "vote",
    ),
    (
        "select-diverse",
        BernoulliModel(1.5, 1.2, agent_tpr=0.7, agent_fpr=0.2, diversity=3.0),
        SingleAgent(6, agents=3),
        "select",
    ),
    (
        "select-diverse-one-agent",
        BernoulliModel(1.5, 1.2, agent_tpr=0.7, agent_fpr=0.2, diversity=3.0),
        SingleAgent(5),
        "select",
    ),
]


@pytest.mark.parametrize(
    ("model", "proto", "rule"), [c[1:] for c in ENUM_CASES], ids=[c[0] for c in ENUM_CASES]
)
def test_model_b_closed_forms_match_exhaustive_enumeration(
    model: BernoulliModel, proto: Protocol, rule: str
) -> None:
    n, g = pool_layout(proto)
    assert expected_utility(model, proto) == pytest.approx(_enumerate(model, n, g, rule), abs=1e-9)


# ---------------------------------------------------------------------- the pieces


def test_plurality_table_limits() -> None:
    # α → ∞: the Dirichlet-multinomial tends to the uniform multinomial
    np.testing.assert_allclose(plurality_table(20, 3, 1e9), plurality_table(20, 3), atol=1e-7)
    # m → ∞ (all wrong answers distinct): the correct answer wins with j ≥ 2 votes, ties at
    # j = 1 against r others: 1/(r+1)
    big = plurality_table(12, 10**9)
    assert big[2:, :].max() <= 1.0
    np.testing.assert_allclose(big[1, :12], 1.0 / (np.arange(12) + 1.0), atol=1e-7)
    np.testing.assert_allclose(
        big[2:, :11][np.add.outer(np.arange(2, 13), np.arange(11)) <= 12], 1.0, atol=1e-7
    )
    # one wrong answer: the binary rule
    g1 = plurality_table(6, 1)
    assert g1[3, 3] == 0.5 and g1[4, 2] == 1.0 and g1[2, 4] == 0.0 and g1[0, 0] == 0.0


@pytest.mark.parametrize(
    ("j", "r", "m", "alpha"), [(2, 4, 3, None), (3, 5, 2, 0.4), (1, 3, 4, 2.0)]
)
def test_plurality_table_entry_against_direct_sum(
    j: int, r: int, m: int, alpha: float | None
) -> None:
    """Sum over every assignment of the r wrong votes to the m answers."""
    total = 0.0
    for assign in itertools.product(range(m), repeat=r):
        w = np.bincount(np.array(assign, dtype=int), minlength=m)
        if alpha is None:
            p = m ** (-r)
        else:
            p = math.exp(
                special.gammaln(m * alpha)
                - special.gammaln(m * alpha + r)
                + np.sum(special.gammaln(alpha + w) - special.gammaln(alpha))
            )
        top = w.max()
        total += p * (1.0 if top < j else (1.0 / (1 + np.sum(w == j)) if top == j else 0.0))
    assert plurality_table(j + r, m, alpha)[j, r] == pytest.approx(total, abs=1e-13)


def test_filter_vote_given_count_reduces_to_votes() -> None:
    # accept-everything and accept-nothing filters are the plain vote
    g = plurality_table(7, 3, 0.5)
    j = np.arange(8)
    for s, f in ((1.0, 1.0), (0.0, 0.0)):
        np.testing.assert_allclose(
            filter_vote_given_count(7, 3, 0.5, s, f), g[j, 7 - j], atol=1e-14
        )
    perfect = filter_vote_given_count(7, 3, 0.5, 1.0, 0.0)
    np.testing.assert_allclose(perfect[1:], 1.0, atol=1e-14)
    assert perfect[0] == 0.0


def test_pool_count_pmf_against_sampling_law() -> None:
    """Mean, variance and P(J = 0) of the pooled count against the model's law."""
    a, b, c, g, k = 1.3, 0.7, 2.0, 3, 4
    p = pool_count_pmf(a, b, g * k, agents=g, diversity=c)
    j = np.arange(g * k + 1)
    assert p.sum() == pytest.approx(1.0, abs=1e-13)
    assert p @ j == pytest.approx(g * k * a / (a + b), abs=1e-12)
    # Var J = E Var(J|θ) + Var E(J|θ); J|θ is a sum of g iid BetaBin(K; cθ, c(1−θ))
    th, wq = stats.beta(a, b), None
    var_in = integrate.quad(
        lambda t: g * k * t * (1 - t) * (c + k) / (c + 1) * th.pdf(t), 0, 1, epsabs=1e-13
    )[0]
    var_out = (g * k) ** 2 * th.var()
    assert p @ (j - p @ j) ** 2 == pytest.approx(var_in + var_out, abs=1e-9)
    miss = integrate.quad(
        lambda t: (
            math.exp(
                g * (special.betaln(c * t, c * (1 - t) + k) - special.betaln(c * t, c * (1 - t)))
            )
            * th.pdf(t)
        ),
        0,
        1,
        epsabs=1e-13,
    )[0]
    assert wq is None and p[0] == pytest.approx(miss, abs=1e-10)


def test_selection_and_stage_operator_enumerated() -> None:
    """verifier_select for two heterogeneous types against enumeration of every pattern."""
    p1, p2, n1, n2, s, f = 0.8, 0.3, 2, 3, 0.7, 0.2
    total = 0.0
    kinds = [p1] * n1 + [p2] * n2
    for pat in itertools.product(range(4), repeat=n1 + n2):  # 0 CA, 1 CR, 2 WA, 3 WR
        w = math.prod(
            [pk * s, pk * (1 - s), (1 - pk) * f, (1 - pk) * (1 - f)][c]
            for pk, c in zip(kinds, pat, strict=True)
        )
        acc = [c for c in pat if c in (0, 2)]
        pool = acc if acc else list(pat)
        total += w * sum(c in (0, 1) for c in pool) / len(pool)
    het = verifier_select(np.array([p1, p2]), np.array([n1, n2]), s, f)
    assert float(het) == pytest.approx(total, abs=1e-13)
    # the stage operator at boundary rates: α = 0 (accept nothing), α = 1 (accept all)
    assert float(stage_operator(0.4, 0.0, 0.0, 5)) == pytest.approx(0.4, abs=1e-14)
    assert float(stage_operator(0.4, 1.0, 1.0, 5)) == pytest.approx(0.4, abs=1e-14)
    assert float(stage_operator(0.4, 1.0, 0.0, 5)) == pytest.approx(1 - 0.6**5, abs=1e-14)
    assert float(stage_operator(0.0, 0.9, 0.1, 5)) == 0.0
    assert float(stage_operator(1e-14, 0.9, 0.0, 7)) == pytest.approx(
        1e-14 * 7 * 0.9 + 1e-14 * 0.1, rel=1e-6
    )


def test_principal_stage_uses_m_not_k() -> None:
    """Align(M, K, judge) = E Φ_{s′,f′,M}(Φ_{s,f,K}(θ)) with M ≠ K, by exact enumeration of
    the principal's choice among M proposals correct w.p. Φ_{s,f,K}(θ) each."""
    model = BernoulliModel(
        1.4, 0.9, agent_tpr=0.7, agent_fpr=0.2, principal_tpr=0.8, principal_fpr=0.3
    )
    m, k = 3, 5

    def integrand(t: float) -> float:
        q = float(stage_operator(t, 0.7, 0.2, k))
        return sum(
            math.comb(m, j)
            * q**j
            * (1 - q) ** (m - j)
            * float(verifier_select(np.array([1.0, 0.0]), np.array([j, m - j]), 0.8, 0.3))
            * stats.beta.pdf(t, 1.4, 0.9)
            for j in range(m + 1)
        )

    ref = integrate.quad(integrand, 0, 1, epsabs=1e-12)[0]
    assert expected_utility(model, Align(m, k, "judge")) == pytest.approx(ref, abs=1e-8)


# ---------------------------------------------------------------------- extreme parameters


@pytest.mark.parametrize(
    ("mean", "icc", "n"), [(0.3, 1e-15, 15), (0.3, 1e-16, 15), (0.5, 1e-13, 15), (0.7, 1e-90, 40)]
)
def test_majority_vote_tiny_icc_is_the_binomial_limit(mean: float, icc: float, n: int) -> None:
    model = BernoulliModel.from_mean_icc(mean, icc)
    j = np.arange(n + 1)
    pmf = stats.binom.pmf(j, n, mean)
    ref = float(pmf @ np.where(2 * j > n, 1.0, np.where(2 * j == n, 0.5, 0.0)))
    assert expected_utility(model, MajorityVote(n)) == pytest.approx(ref, abs=1e-10)
    assert beta_binomial_majority(model.a, model.b, n) == pytest.approx(ref, abs=1e-10)
    # the other closed forms stay probabilities and reach their binomial limits too
    m3 = BernoulliModel.from_mean_icc(mean, icc, wrong_answers=3, agent_tpr=0.8, agent_fpr=0.2)
    for proto in (MajorityVote(8), FilterVote(8), SingleAgent(8), Align(2, 4, "judge")):
        v = expected_utility(m3, proto)
        assert 0.0 <= v <= 1.0
    assert expected_utility(m3, SingleAgent(8)) == pytest.approx(
        float(stage_operator(mean, 0.8, 0.2, 8)), abs=1e-9
    )


def test_beta_binomial_pmf_extremes_are_probabilities() -> None:
    for a, b in ((1e-300, 1.0), (1e300, 1e300), (1e-16, 1e16), (3e15, 7e15), (0.5, 0.5)):
        p = beta_binomial_pmf(20, a, b)
        assert np.all(np.isfinite(p)) and np.all(p >= 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-12), (a, b)


def test_model_b_large_n_refused_quickly_with_the_parameter_named() -> None:
    model = BernoulliModel(2.0, 3.0)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"n must be <= 4096.*simulate"):
        expected_utility(model, SingleAgent(10**6))
    with pytest.raises(ValueError, match=r"agents \* per_agent must be <= 4096"):
        expected_utility(model, Align(1000, 1000))
    with pytest.raises(ValueError, match=rf"n must be <= {VOTE_MAX_N}.*simulate"):
        expected_utility(BernoulliModel(2.0, 3.0, wrong_answers=2), MajorityVote(VOTE_MAX_N + 1))
    assert time.perf_counter() - t0 < 2.0
    # O(n) sums have no limit: binary majority vote and coverage at n = 10⁶ stay finite
    assert 0.0 <= expected_utility(model, MajorityVote(10**6)) <= 1.0
    assert expected_utility(model, Oracle(10**6)) == pytest.approx(
        1 - math.exp(special.betaln(2.0, 3.0 + 10**6) - special.betaln(2.0, 3.0)), abs=1e-12
    )
    v = expected_utility(
        BernoulliModel(2.0, 3.0, agent_tpr=0.8, agent_fpr=0.1), SingleAgent(B_MAX_N)
    )
    assert 0.0 < v < 1.0


def test_every_model_b_protocol_has_a_closed_form_at_n_64() -> None:
    model = BernoulliModel(
        0.8,
        1.2,
        agent_tpr=0.8,
        agent_fpr=0.2,
        principal_tpr=0.9,
        principal_fpr=0.1,
        diversity=2.0,
        wrong_answers=3,
        wrong_concentration=0.5,
    )
    protos = [
        Align(8, 8, "judge"),
        Align(4, 16),
        SingleAgent(64, agents=8),
        PrincipalBestOfN(64, agents=4),
        Oracle(64, agents=8),
        RandomPick(64),
        MajorityVote(64, agents=8),
        FilterVote(64, agents=4),
        Shortlist(64, 8, "judge"),
    ]
    for proto in protos:
        v = expected_utility(model, proto)
        assert 0.0 <= v <= 1.0, proto


def _psi_literal(n: int, s: float, f: float) -> np.ndarray:
    """P(a uniformly random accepted candidate (any, if none) is correct | j of n correct),
    by enumerating all 2^n verdict patterns."""
    out = np.zeros(n + 1)
    for j in range(n + 1):
        ok = np.arange(n) < j
        for ver in itertools.product((0, 1), repeat=n):
            v = np.array(ver, dtype=bool)
            p = math.prod(
                (s if vi else 1 - s) if oi else (f if vi else 1 - f)
                for oi, vi in zip(ok, v, strict=True)
            )
            pool = ok[v] if v.any() else ok
            out[j] += p * pool.mean()
    return out


@pytest.mark.parametrize(
    ("m", "k", "c"), [(3, 2, 2.5), (2, 3, 0.8), (2, 3, None), (4, 1, 1.5)], ids=str
)
def test_align_with_diversity_against_enumeration(m: int, k: int, c: float | None) -> None:
    """Align(M, K, judge), M ≠ K: each agent's proposal is correct w.p.
    p̄(θ) = Σ_j C(K,j) ψ_K(j) E[θ_a^j(1−θ_a)^{K−j} | θ] (beta moments), the principal's
    choice among M proposals Σ_j C(M,j) p̄^j(1−p̄)^{M−j} ψ′_M(j); ψ by enumeration, θ by quad."""
    a, b, s, f, s2, f2 = 1.6, 1.3, 0.7, 0.2, 0.8, 0.35
    model = BernoulliModel(
        a, b, agent_tpr=s, agent_fpr=f, principal_tpr=s2, principal_fpr=f2, diversity=c
    )
    psi_k, psi_m = _psi_literal(k, s, f), _psi_literal(m, s2, f2)

    def value(t: float) -> float:
        jk = np.arange(k + 1)
        if c is None:
            mom = t**jk * (1 - t) ** (k - jk)
        else:
            mom = np.exp(
                special.betaln(c * t + jk, c * (1 - t) + k - jk)
                - special.betaln(c * t, c * (1 - t))
            )
        pbar = float(np.sum(special.comb(k, jk) * psi_k * mom))
        jm = np.arange(m + 1)
        pm = special.comb(m, jm) * pbar**jm * (1 - pbar) ** (m - jm)
        return float(pm @ psi_m) * stats.beta.pdf(t, a, b)

    ref = integrate.quad(value, 0, 1, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
    assert expected_utility(model, Align(m, k, "judge")) == pytest.approx(ref, abs=1e-9)


def _shortlist_literal(model: BernoulliModel, n: int, size: int, rule: str) -> float:
    """Every (correct, y, x̂) pattern of n candidates; the agent's top ``size`` by y (ties
    uniformly: all size-subsets of the tied block equally likely), then the principal."""
    s, f, s2, f2 = model.agent_tpr, model.agent_fpr, model.principal_tpr, model.principal_fpr
    total = np.zeros(n + 1)
    for pat in itertools.product(range(8), repeat=n):
        ok = np.array([q & 1 for q in pat], dtype=bool)
        y = np.array([(q >> 1) & 1 for q in pat], dtype=bool)
        xh = np.array([(q >> 2) & 1 for q in pat], dtype=bool)
        p = math.prod(
            ((s if yi else 1 - s) * (s2 if xi else 1 - s2))
            if oi
            else ((f if yi else 1 - f) * (f2 if xi else 1 - f2))
            for oi, yi, xi in zip(ok, y, xh, strict=True)
        )
        acc, rej = np.nonzero(y)[0], np.nonzero(~y)[0]
        if acc.size >= size:
            picks = [list(cmb) for cmb in itertools.combinations(acc, size)]
        else:
            picks = [list(acc) + list(cmb) for cmb in itertools.combinations(rej, size - acc.size)]
        outcome = 0.0
        for sl in picks:
            o, xx = ok[sl], xh[sl]
            if rule == "exact":
                outcome += float(o.any())
            else:
                outcome += float((o[xx] if xx.any() else o).mean())
        total[int(ok.sum())] += p * outcome / len(picks)
    j = np.arange(n + 1)
    mom = np.exp(special.betaln(model.a + j, model.b + n - j) - special.betaln(model.a, model.b))
    return float(total @ mom)


@pytest.mark.parametrize(
    ("n", "size", "rule"), [(4, 2, "judge"), (4, 3, "exact"), (3, 1, "judge"), (4, 4, "judge")]
)
def test_shortlist_against_enumeration(n: int, size: int, rule: str) -> None:
    model = BernoulliModel(
        1.4, 2.2, agent_tpr=0.75, agent_fpr=0.3, principal_tpr=0.85, principal_fpr=0.25
    )
    ref = _shortlist_literal(model, n, size, rule)
    assert expected_utility(model, Shortlist(n, size, rule)) == pytest.approx(ref, abs=1e-12)


def test_composition_pieces_edge_cases() -> None:
    """Edges that a wrong comparison, constant or default would change (mutation tests)."""
    # rising factorials on both sides of the switch to the term-by-term sum (x = 1e4)
    for a, b in ((2e4, 3e4), (9999.0, 1.5), (1.5e4, 0.3)):
        j = np.arange(201)
        np.testing.assert_allclose(
            beta_binomial_pmf(200, a, b), stats.betabinom.pmf(j, 200, a, b), rtol=1e-8, atol=1e-300
        )
    # entries outside the triangle j + r <= n are 0, for one and for several wrong answers
    for m in (1, 3):
        g = plurality_table(6, m, None)
        assert np.all(g[np.add.outer(np.arange(7), np.arange(7)) > 6] == 0.0)
    # the size limit binds only with several wrong answers, and at n > VOTE_MAX_N, not n =
    assert plurality_table(VOTE_MAX_N + 72, 1)[101, 99] == 1.0
    assert 0.0 < float(filter_vote_given_count(VOTE_MAX_N + 2, 1, None, 0.8, 0.3)[60]) < 1.0
    with pytest.raises(ValueError, match=r"use align_theory\.simulate\(model, protocol"):
        plurality_table(VOTE_MAX_N + 1, 2)
    assert plurality_table(VOTE_MAX_N, 2)[VOTE_MAX_N, 0] == 1.0  # the limit itself is allowed
    # m → ∞: a single correct vote ties with all r others, wins w.p. 1/(r+1): the tie
    # integral ∫ t^r dt needs r/2 + 1 Gauss–Legendre nodes (r up to 39 here)
    big = plurality_table(40, 10**9)
    np.testing.assert_allclose(big[1, :40], 1.0 / (np.arange(40) + 1.0), atol=1e-7)
    # α → 0: all wrong votes land on one answer, the binary rule; needs the rescaled x
    np.testing.assert_allclose(plurality_table(60, 3, 1e-9), plurality_table(60, 1), atol=1e-6)
    # pool_count_pmf: one agent by default, and finite at Beta laws piled on 0 or 1
    one = pool_count_pmf(1.3, 0.7, 6, diversity=2.0)
    np.testing.assert_allclose(one, pool_count_pmf(1.3, 0.7, 6, agents=1, diversity=2.0))
    assert not np.allclose(one, pool_count_pmf(1.3, 0.7, 6, agents=2, diversity=2.0))
    for a, b in ((1e-14, 2.0), (2.0, 1e-14)):
        p = pool_count_pmf(a, b, 8, agents=2, diversity=0.5)
        assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(("s", "f"), [(1.0, 0.5), (0.6, 1.0), (1.0, 1.0), (0.0, 0.3), (1.0, 0.0)])
def test_selector_at_boundary_rates_against_enumeration(s: float, f: float) -> None:
    """ψ_n(j) with a verifier that accepts every correct (s = 1) or every wrong (f = 1) one."""
    n = 5
    j = np.arange(n + 1.0)
    psi = verifier_select(
        np.stack([np.ones(n + 1), np.zeros(n + 1)], -1), np.stack([j, n - j], -1), s, f
    )
    np.testing.assert_allclose(psi, _psi_literal(n, s, f), atol=1e-13)


@pytest.mark.parametrize("p", [0.05, 0.4, 0.93])
def test_selector_for_large_pools_equals_stage_operator(p: float) -> None:
    """One type of 40 candidates: the t-integral needs 20+ Gauss–Legendre nodes."""
    for s, f in ((0.7, 0.2), (0.95, 0.6)):
        het = float(verifier_select(np.array([p, 0.5]), np.array([40, 0]), s, f))
        assert het == pytest.approx(float(stage_operator(p, s, f, 40)), abs=1e-13)


@pytest.mark.parametrize(("a", "b"), [(1e-12, 2.0), (2.0, 1e-12)])
def test_diverse_protocols_finite_at_beta_laws_piled_on_an_end(a: float, b: float) -> None:
    model = BernoulliModel(
        a,
        b,
        agent_tpr=0.7,
        agent_fpr=0.2,
        principal_tpr=0.8,
        principal_fpr=0.3,
        diversity=0.5,
        wrong_answers=2,
    )
    for proto in (
        Align(2, 3, "judge"),
        Align(3, 2),
        SingleAgent(6, agents=2),
        Shortlist(4, 2, "judge"),
        MajorityVote(4, agents=2),
        FilterVote(4, agents=2),
        Oracle(6, agents=3),
    ):
        v = expected_utility(model, proto)
        assert 0.0 <= v <= 1.0, proto
    # θ ≈ 0 (a tiny) or ≈ 1 (b tiny): every candidate wrong, or every one correct
    edge = 0.0 if a < b else 1.0
    assert expected_utility(model, Align(2, 3, "judge")) == pytest.approx(edge, abs=1e-9)


@pytest.mark.parametrize(
    ("s", "f", "rule"),
    [(0.0, 0.0, "judge"), (1.0, 1.0, "judge"), (1.0, 0.0, "exact"), (0.0, 1.0, "judge")],
)
def test_shortlist_at_boundary_rates_against_enumeration(s: float, f: float, rule: str) -> None:
    """α = sθ + f(1−θ) ∈ {0, 1}: the agent accepts nothing or everything."""
    model = BernoulliModel(
        1.4, 2.2, agent_tpr=s, agent_fpr=f, principal_tpr=0.85, principal_fpr=0.25
    )
    ref = _shortlist_literal(model, 3, 2, rule)
    assert expected_utility(model, Shortlist(3, 2, rule)) == pytest.approx(ref, abs=1e-12)
