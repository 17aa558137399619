r"""Model B closed forms by sums over answer-count compositions.

Every count-based rule of model B — argmax of a verifier's verdicts with uniform tie-break
(SingleAgent, PrincipalBestOfN on a pooled set), plurality vote (MajorityVote) and
filter-vote (FilterVote) — treats the n candidates of its pool exchangeably, so its success
probability given the pool depends only on the number J of correct candidates (and, for
votes, on how the n − J wrong ones split over the m wrong answers). So

    P(correct output) = Σ_j π(j) G(j),

with π(j) = P(J = j) the law of the pool's correct count (:func:`pool_count_pmf`) and G the
rule's success given j (:func:`plurality_table`, :func:`filter_vote_given_count`, or the
selector ψ_n of :mod:`~align_theory.exact.bernoulli`).

π: without diversity J ~ BetaBinomial(n; a, b). With diversity c and g agents of K = n/g
candidates, J is the sum of g independent BetaBinomial(K; cθ, c(1−θ)) given θ; each pmf is
a polynomial of degree K in θ, their convolution of degree n, so the Gauss–Jacobi rule of
Beta(a, b) sized for degree n integrates it exactly.

Wrong answers. With r wrong votes over m answers, uniform (multinomial, p = 1/m) or with
question-level w ~ Dirichlet(α, …, α) (integrated: Dirichlet-multinomial; w is independent
of θ, so no further quadrature), the law of the counts (W_1..W_m) has product form
P(W = w) = F_r Π_i c_{w_i} with c_w = 1/(m^w w!), F_r = r! (uniform) or c_w = (α)_w/w!,
F_r = r!/(mα)_r (Dirichlet). The correct answer with j votes wins with probability
E[1{max W < j} + 1{max W = j}/(1 + T)], T = #{i : W_i = j} (ties at the top broken uniformly),
and 1/(1 + T) = ∫₀¹ t^T dt, so

    G(j, r) = F_r ∫₀¹ [x^r] (Σ_{w<j} c_w x^w + t c_j x^j)^m dt,

a polynomial in t of degree ≤ r/j, integrated exactly by Gauss–Legendre. The power is
expanded as Σ_k C(m, k) R^k (R the part without constant term, so k ≤ r: any m costs the
same), with x rescaled so that every coefficient is O(1) (all terms are nonnegative: no
cancellation).

Cost: the table G(j, r), j + r ≤ n, takes Σ_j (r/j) r³ ≈ O(n⁴) flops (n = 64: 10–20 ms,
60 ms with m = 1000; n = 128: 0.12 s, on a loaded 2-core machine); sizes above
:data:`VOTE_MAX_N` raise ``ValueError`` pointing to
:func:`align_theory.simulate`.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from align_theory.exact.quadrature import beta_nodes, gauss_legendre

__all__ = [
    "VOTE_MAX_N",
    "beta_binomial_pmf",
    "filter_vote_given_count",
    "log_rising",
    "plurality_table",
    "pool_count_pmf",
]

VOTE_MAX_N = 128
"""Largest n for the plurality tables with m ≥ 2 wrong answers (cost O(n⁴); r! overflows
float64 beyond n = 170)."""

_BIG = 1e4  # above this, log Γ(x+k)/Γ(x) is summed term by term (gammaln would cancel)


def log_rising(x: np.ndarray | float, k_max: int) -> np.ndarray:
    r"""log (x)_k = log Γ(x+k)/Γ(x) for k = 0..k_max, shape ``x.shape + (k_max+1,)``.

    For x ≥ 10⁴, k log x + Σ_{i<k} log1p(i/x) (exact, and free of the cancellation of two
    gammaln values of size x log x); below, gammaln differences.

    Examples
    --------
    >>> [round(float(v), 10) for v in np.exp(log_rising(2.0, 3))]  # 1, 2, 2·3, 2·3·4
    [1.0, 2.0, 6.0, 24.0]
    """
    xa = np.asarray(x, dtype=float)[..., None]
    k = np.arange(k_max + 1, dtype=float)
    small = special.gammaln(xa + k) - special.gammaln(xa)
    big_x = np.maximum(xa, _BIG)
    corr = np.cumsum(np.log1p(k[:-1] / big_x), axis=-1)
    big = k * np.log(big_x) + np.concatenate([np.zeros_like(big_x), corr], axis=-1)
    return np.where(xa >= _BIG, big, small)


def beta_binomial_pmf(n: int, a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    r"""P(J = j), j = 0..n, for J ~ BetaBinomial(n; a, b): C(n, j)(a)_j(b)_{n−j}/(a+b)_n.

    Vectorized over a and b (result shape ``broadcast(a, b).shape + (n+1,)``). Rising
    factorials in log space (:func:`log_rising`), so a + b up to 10³⁰⁰ (the binomial limit)
    and a, b down to 10⁻³⁰⁰ stay exact to rounding.

    Examples
    --------
    >>> [round(float(p), 12) for p in beta_binomial_pmf(2, 1.0, 1.0)]  # uniform on 0..n
    [0.333333333333, 0.333333333333, 0.333333333333]
    >>> [round(float(p), 12) for p in beta_binomial_pmf(2, 3e15, 7e15)]  # Bin(2, 0.3)
    [0.49, 0.42, 0.09]
    """
    a_a, b_a = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    j = np.arange(n + 1)
    log_c = special.gammaln(n + 1) - special.gammaln(j + 1) - special.gammaln(n - j + 1)
    la = log_rising(a_a, n)
    lb = log_rising(b_a, n)[..., ::-1]  # (b)_{n−j}
    ls = log_rising(a_a + b_a, n)[..., -1:]
    return np.exp(log_c + la + lb - ls)


def pool_count_pmf(
    a: float, b: float, n: int, agents: int = 1, diversity: float | None = None
) -> np.ndarray:
    r"""π(j) = P(j of the n pooled candidates are correct), j = 0..n, in model B.

    θ ~ Beta(a, b); without diversity every candidate is correct with probability θ and
    J ~ BetaBinomial(n; a, b). With diversity c, each of the ``agents`` agents draws
    θ_a ~ Beta(cθ, c(1−θ)) and K = n/agents candidates: J | θ is the convolution of
    ``agents`` BetaBinomial(K; cθ, c(1−θ)) laws, a polynomial of degree n in θ, integrated
    exactly by the Gauss–Jacobi rule of Beta(a, b) for degree n.

    Examples
    --------
    >>> p = pool_count_pmf(1.0, 1.0, 4, agents=2, diversity=3.0)
    >>> round(float(p.sum()), 12), round(float(p @ np.arange(5)), 12)  # E J = n·a/(a+b)
    (1.0, 2.0)
    """
    if diversity is None:
        return beta_binomial_pmf(n, a, b)
    k = n // agents
    theta, w = beta_nodes(a, b, n)
    th = np.clip(theta, 1e-300, 1.0 - 1e-16)
    one = beta_binomial_pmf(k, diversity * th, diversity * (1.0 - th))  # (nodes, K+1)
    pool = one
    for _ in range(agents - 1):  # direct convolutions: nonnegative, no FFT round-off
        pool = np.stack([np.convolve(p, q) for p, q in zip(pool, one, strict=True)])
    return np.clip(w @ pool, 0.0, None)


def _log_alt_weights(m: int, alpha: float | None, r_max: int) -> tuple[np.ndarray, np.ndarray]:
    """(log S_w for w = 0..r_max, log F_r for r = 0..r_max) of the rescaled product law."""
    w = np.arange(r_max + 1, dtype=float)
    r = w
    if alpha is None:
        # c_w = 1/(m^w w!), S_w = m c_w (x unscaled), F_r = r!
        log_s = (1.0 - w) * np.log(m) - special.gammaln(w + 1)
        log_f = special.gammaln(r + 1)
    else:
        # c_w = (α)_w/w!, x → x/ν with ν = max(mα, 1): S_w = m c_w ν^{−w}, F_r = r! ν^r/(mα)_r
        nu = max(m * alpha, 1.0)
        log_s = np.log(m) + log_rising(alpha, r_max) - special.gammaln(w + 1) - w * np.log(nu)
        log_f = special.gammaln(r + 1) + r * np.log(nu) - log_rising(m * alpha, r_max)
    return log_s, log_f


def plurality_table(n: int, wrong_answers: int, alpha: float | None = None) -> np.ndarray:
    r"""G[j, r] = P(the correct answer wins a plurality vote | j correct votes, r wrong votes),
    for j + r ≤ n (0 elsewhere), ties at the top broken uniformly at random.

    The r wrong votes split over m = ``wrong_answers`` answers uniformly (``alpha`` None) or
    Dirichlet-multinomially with concentration α. G[0, r] = 0 (no correct vote never wins
    against r ≥ 1 wrong ones; G[0, 0] is set to 0 too). For m = 1 the table is
    1{j > r} + ½·1{j = r}; for m ≥ 2 see the module docstring (cost O(n⁴)).

    Examples
    --------
    >>> g = plurality_table(3, 2)  # two uniform wrong answers
    >>> round(float(g[1, 2]), 10)  # (2,0), (0,2) lose; (1,1), prob. 1/2: a 3-way tie, 1/3
    0.1666666667
    >>> float(g[2, 1]), float(plurality_table(2, 1)[1, 1])
    (1.0, 0.5)
    """
    if n > VOTE_MAX_N and wrong_answers > 1:
        raise ValueError(
            f"n must be <= {VOTE_MAX_N} for the closed form of a plurality vote over "
            f"{wrong_answers} wrong answers (cost O(n^4)), got n={n}; use "
            "align_theory.simulate(model, protocol, trials=..., seed=...) instead"
        )
    j = np.arange(n + 1)[:, None]
    r = np.arange(n + 1)[None, :]
    inside = j + r <= n
    if wrong_answers == 1:
        g = np.where(j > r, 1.0, np.where(j == r, 0.5, 0.0))
        g[0, 0] = 0.0
        return np.where(inside, g, 0.0)
    m = wrong_answers
    table = np.zeros((n + 1, n + 1))
    log_s, log_f = _log_alt_weights(m, alpha, n)
    for jj in range(1, n + 1):
        r_max = n - jj
        table[jj, 0] = 1.0
        if r_max == 0:
            continue
        s_w = np.exp(log_s[: r_max + 1])
        s_w[0] = 0.0
        s_w[jj + 1 :] = 0.0  # no wrong answer may exceed j votes
        order = (r_max // jj) // 2 + 1
        t, wt = gauss_legendre(0.0, 1.0, panels=1, order=max(order, 1))
        s_t = np.broadcast_to(s_w, (t.size, r_max + 1)).copy()
        if jj <= r_max:
            s_t[:, jj] *= t  # a wrong answer tied with the correct one at the top
        # Toeplitz of S for the truncated product P·S: toep[g, i, l] = S[g, l − i]
        lag = np.arange(r_max + 1)[None, :] - np.arange(r_max + 1)[:, None]
        toep = np.where(lag >= 0, s_t[:, np.clip(lag, 0, None)], 0.0)
        term = np.zeros((t.size, r_max + 1))
        term[:, 0] = 1.0
        total = term.copy()
        for k in range(1, min(r_max, m) + 1):
            # D_k S^k with D_k = C(m, k)/m^k, built as D_{k−1}·(1 − (k−1)/m)/k
            term = np.einsum("gi,gil->gl", term, toep) * ((1.0 - (k - 1) / m) / k)
            total += term
        table[jj, 1 : r_max + 1] = (wt @ total)[1:] * np.exp(log_f[1 : r_max + 1])
    return np.where(inside, np.clip(table, 0.0, 1.0), 0.0)


def filter_vote_given_count(
    n: int, wrong_answers: int, alpha: float | None, tpr: float, fpr: float
) -> np.ndarray:
    r"""P(filter-vote outputs the correct answer | j of its n candidates are correct), j = 0..n.

    The verifier accepts each correct candidate with probability s = ``tpr`` and each wrong
    one with f = ``fpr``, independently of which wrong answer it is. With A₀ correct and L
    wrong candidates accepted, A₀ + L > 0, the vote is a plurality over the accepted ones,
    G[A₀, L]; when none is accepted it is the plurality over all n, G[j, n − j]:

        Σ_{a, l} Bin(a; j, s) Bin(l; n−j, f) G[a, l] + (1−s)^j (1−f)^{n−j} G[j, n−j].

    Examples
    --------
    >>> v = filter_vote_given_count(3, 1, None, 1.0, 0.0)  # a perfect filter
    >>> [float(x) for x in v]
    [0.0, 1.0, 1.0, 1.0]
    """
    g = plurality_table(n, wrong_answers, alpha)
    j = np.arange(n + 1)
    acc_c = _binom_pmf(j[None, :], j[:, None], tpr)  # [j, a]
    acc_w = _binom_pmf(j[None, :], n - j[:, None], fpr)  # [j, l]
    accepted = np.einsum("ja,jl,al->j", acc_c, acc_w, g)
    none = (1.0 - tpr) ** j * (1.0 - fpr) ** (n - j) * g[j, n - j]
    return accepted + none


def _binom_pmf(k: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    """Bin(n, p) probabilities of k (0 where k > n), from scipy.special alone: importing
    scipy.stats would double the start-up time of every closed form."""
    k_a, n_a = np.broadcast_arrays(np.asarray(k), np.asarray(n))
    inside = k_a <= n_a
    rest = np.where(inside, n_a - k_a, 0)
    pmf = special.binom(n_a, k_a) * np.power(p, k_a) * np.power(1.0 - p, rest)
    return np.where(inside, pmf, 0.0)
