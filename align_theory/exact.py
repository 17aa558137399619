r"""Closed forms and deterministic quadrature: ``expected_utility(model, protocol)``.

Model G (nested Gaussian). Write σ_w = σ√(1−ρ_w), s_A = σ√(ρ_w−ρ_b), S_y = √(σ_w²+τ²),
r = σ_w/S_y and κ_e = √(κ²+β²). Inside one agent the standardized scores Y_k = (y_k − m − c)/S_y
are iid N(0, 1) and x_k − m = rσ_w Y_k + σ_w√(1−r²) ε_k, so the agent's proposal (its argmax y)
has x* − m = rσ_w V + σ_w√(1−r²) ε with V the maximum of K iid N(0, 1) (density
f_K(v) = Kφ(v)Φ(v)^{K−1}). Every model G protocol then selects, among M independent groups,
the group maximising a score S_a = c_a + β_S V_a + G_{S,a} and pays T_a = β_T V_a + G_{T,a}
with (G_S, G_T) bivariate normal; its value is

    E[T_{a*}] = Σ_a ∫ h_a(s) Π_{j≠a} F_j(s) ds,   h_a(s) = E[T_a ; S_a ∈ ds]/ds,

computed by nested Gauss–Legendre quadrature (:func:`group_select`). Shortlist conditions on
the (m+1)-th largest score and uses truncated normals for the top m.

Model B (latent Beta difficulty). The stage operator of T5,
Φ_{s,f,K}(p) = q(p)[1−(1−α)^K] + p(1−s)(1−α)^{K−1}, α = sp + f(1−p), q = sp/α, is a
polynomial of degree K in p, so E_θ over Beta(a, b) is done exactly by Gauss–Jacobi
quadrature with more than N/2 nodes; majority vote uses the beta-binomial sum.

Any model/protocol pair without a closed form raises ``NotImplementedError`` pointing at
:func:`align_theory.simulate`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import special

from align_theory.models import BernoulliModel, EmpiricalPool, GaussianModel, Model
from align_theory.montecarlo import bayes_weights
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
)
from align_theory.quadrature import (
    LOG_SQRT_2PI,
    V_HI,
    V_LO,
    beta_nodes,
    gauss_legendre,
    log_max_density,
)

__all__ = [
    "beta_binomial_majority",
    "bivariate_normal_cdf",
    "expected_max_normal",
    "expected_utility",
    "group_select",
    "stage_operator",
    "verifier_select",
]


def _use_simulate(model: Model, protocol: Protocol, why: str) -> NotImplementedError:
    return NotImplementedError(
        f"no closed form for {type(protocol).__name__} under {type(model).__name__} ({why}); "
        "use align_theory.simulate(model, protocol, trials=..., seed=...) instead"
    )


# ---------------------------------------------------------------------- order statistics


def _support(logpdf: np.ndarray, grid: np.ndarray, drop: float = 46.0) -> tuple[float, float]:
    """Smallest grid interval outside which ``logpdf`` is below its max − drop (padded)."""
    keep = np.nonzero(logpdf > logpdf.max() - drop)[0]
    step = grid[1] - grid[0]
    return float(grid[keep[0]] - step), float(grid[keep[-1]] + step)


_COARSE = np.linspace(V_LO, V_HI, 1201)
# Panel counts of the composite rules (8 or 6 points each); tuned so that quadrupling them
# changes no model G value by more than 3e-8 (tests/test_exact.py checks against an
# independent adaptive quadrature).
_S_PANELS, _G_PANELS, _V_PANELS = 16, 12, 12


@lru_cache(maxsize=4096)
def expected_max_normal(n: int) -> float:
    r"""e_n = E[max of n iid N(0, 1)] = ∫ v · nφ(v)Φ(v)^{n−1} dv.

    Composite Gauss–Legendre quadrature on the support of f_n (found in log space), so
    n up to 10⁶ neither overflows nor loses accuracy; e_1 = 0, e_2 = 1/√π.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if n == 1:
        return 0.0
    lo, hi = _support(log_max_density(_COARSE, int(n)), _COARSE)
    v, w = gauss_legendre(lo, hi, panels=16, order=12)
    return float(np.sum(w * v * np.exp(log_max_density(v, int(n)))))


def _v_rule(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes, weights and log-density values for integrating against f_K."""
    lo, hi = _support(log_max_density(_COARSE, k), _COARSE)
    v, w = gauss_legendre(lo, hi, panels=_V_PANELS, order=8)
    return v, w, log_max_density(v, k)


# ---------------------------------------------------------------------- model G engine


def group_select(
    groups: int,
    per_group: int,
    beta_s: float,
    beta_t: float,
    sd_s: float,
    sd_t: float,
    cov_st: float,
    offsets: np.ndarray | None = None,
) -> float:
    r"""E[T_{a*}] with a* = argmax_a S_a over M = ``groups`` independent groups.

    Group a has S_a = c_a + β_S V_a + G_{S,a} and T_a = β_T V_a + G_{T,a}, where V_a is the
    maximum of K = ``per_group`` iid N(0, 1) and (G_S, G_T) is bivariate normal with standard
    deviations (sd_s, sd_t) and covariance cov_st, independent of V. Then

        E[T_{a*}] = Σ_a ∫ h_a(s) Π_{j≠a} F_j(s) ds,

    with h_a(s) = ∫ f_K(v)[β_T v + (cov/sd_s²)(s − c_a − β_S v)] φ_{sd_s}(s − c_a − β_S v) dv
    and F_j(s) = ∫ f_K(v) Φ((s − c_j − β_S v)/sd_s) dv (or the same integrals over the
    Gaussian part when sd_s ≪ β_S, whichever kernel is smoother).
    """
    m, k = int(groups), int(per_group)
    offs = np.zeros(1) if offsets is None else np.asarray(offsets, dtype=float)
    uniq, counts = np.unique(offs, return_counts=True)
    if offsets is None:
        counts = np.array([m])
    if sd_s <= 1e-12 * max(beta_s, 1e-300) or (sd_s == 0.0 and beta_s == 0.0):
        return _select_by_v(m, k, beta_s, beta_t, uniq, counts)
    v, wv, logf = _v_rule(k)
    lo = uniq.min() + beta_s * v[0] - 9.0 * sd_s
    hi = uniq.max() + beta_s * v[-1] + 9.0 * sd_s
    s, ws = gauss_legendre(lo, hi, panels=_S_PANELS + int(4 * math.log2(m)), order=8)
    slope = cov_st / (sd_s * sd_s)
    use_g = beta_s > 0.0 and sd_s < 0.5 * beta_s
    if use_g:
        g, wg = gauss_legendre(-9.0, 9.0, panels=_G_PANELS, order=8)
        logphi_g = -0.5 * g * g - LOG_SQRT_2PI

    def h_and_logf(shift: float) -> tuple[np.ndarray, np.ndarray]:
        sc = s - shift
        if use_g:
            vv = (sc[:, None] - sd_s * g[None, :]) / beta_s
            dens = np.exp(logphi_g[None, :] + log_max_density(vv, k)) / beta_s
            mean_t = beta_t * vv + (cov_st / sd_s) * g[None, :]
            h = (dens * mean_t) @ wg
            cdf = np.exp(logphi_g[None, :] + k * special.log_ndtr(vv)) @ wg
        else:
            z = (sc[:, None] - beta_s * v[None, :]) / sd_s
            dens = np.exp(logf[None, :] - 0.5 * z * z - LOG_SQRT_2PI) / sd_s
            mean_t = beta_t * v[None, :] + slope * (sc[:, None] - beta_s * v[None, :])
            h = (dens * mean_t) @ wv
            cdf = (np.exp(logf)[None, :] * special.ndtr(z)) @ wv
        return h, np.log(np.clip(cdf, 1e-300, 1.0))

    parts = [h_and_logf(c) for c in uniq]
    log_all = sum(cnt * lf for cnt, (_, lf) in zip(counts, parts, strict=True))
    total = 0.0
    for cnt, (h, lf) in zip(counts, parts, strict=True):
        total += cnt * float(np.sum(ws * h * np.exp(log_all - lf)))
    return total


def _select_by_v(
    m: int, k: int, beta_s: float, beta_t: float, uniq: np.ndarray, counts: np.ndarray
) -> float:
    """Degenerate selection S_a = c_a + β_S V_a (no Gaussian part): E[β_T V_{a*}]."""
    if beta_s == 0.0 or uniq.size == 1:
        # constant scores: uniform tie-break, E[V] = e_K; equal offsets: max of M·K normals
        return beta_t * expected_max_normal(k if beta_s == 0.0 else m * k)
    v, wv, logf = _v_rule(k)
    total = 0.0
    for c_a, n_a in zip(uniq, counts, strict=True):
        shifted = v[:, None] + (c_a - uniq[None, :]) / beta_s
        log_others = (counts[None, :] * k * special.log_ndtr(shifted)).sum(axis=1)
        log_others -= k * special.log_ndtr(v)  # remove this group itself once
        total += n_a * float(np.sum(wv * np.exp(logf + log_others) * beta_t * v))
    return total


def _mean_top(n: int, m: int) -> float:
    """(1/m) Σ_{j≤m} E[Y_(j)]: mean of the m largest of n iid N(0, 1)."""
    v, w = gauss_legendre(V_LO, V_HI, panels=40, order=10)
    above = special.ndtr(-v)
    # P(candidate with value v is among the top m) = P(Bin(n−1, 1−Φ(v)) ≤ m−1)
    inside = special.bdtr(m - 1, n - 1, above)
    return float(np.sum(w * v * n * np.exp(-0.5 * v * v - LOG_SQRT_2PI) * inside)) / m


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    r"""Φ₂(h, k; ρ) = P(X ≤ h, Y ≤ k) for standard normals with correlation ρ, |ρ| < 1.

    Owen's (1956) identity Φ₂ = ½Φ(h) + ½Φ(k) − T(h, a_h) − T(k, a_k) − β with
    a_h = (k − ρh)/(h√(1−ρ²)), a_k = (h − ρk)/(k√(1−ρ²)), β = ½ when hk < 0, else 0;
    T is Owen's T function. Zeros are moved to 1e-15 (Φ₂ is continuous).
    """
    h_a, k_a = np.broadcast_arrays(np.asarray(h, dtype=float), np.asarray(k, dtype=float))
    h_a = np.where(h_a == 0.0, 1e-15, h_a)
    k_a = np.where(k_a == 0.0, 1e-15, k_a)
    q = math.sqrt((1.0 - rho) * (1.0 + rho))
    a_h = (k_a - rho * h_a) / (h_a * q)
    a_k = (h_a - rho * k_a) / (k_a * q)
    beta = np.where(h_a * k_a < 0.0, 0.5, 0.0)
    return (
        0.5 * special.ndtr(h_a)
        + 0.5 * special.ndtr(k_a)
        - special.owens_t(h_a, a_h)
        - special.owens_t(k_a, a_k)
        - beta
    )


def _shortlist_select(
    n: int, m: int, beta_s: float, beta_t: float, sd_s: float, sd_t: float, cov_st: float
) -> float:
    r"""E[T of argmax S] over the top m of n iid standardized scores Y (m < n).

    Condition on the (m+1)-th largest Y = t, density
    n!/(m!(n−m−1)!) φ(t) Φ(t)^{n−m−1} (1−Φ(t))^m; given t the top m are iid N(0,1)
    truncated to (t, ∞). With S = β_S V + sd_S G (σ_S² = β_S² + sd_S², ρ = β_S/σ_S) both
    inner integrals are closed forms: F_t(s) = Φ₂(s/σ_S, −t; −ρ)/Φ(−t), and
    h_t(s) = φ_{σ_S}(s)[(β_T − λβ_S)(μP + ωφ((t−μ)/ω)) + λsP]/Φ(−t) with
    μ = β_S s/σ_S², ω = sd_S/σ_S, P = Φ((μ−t)/ω), λ = cov/sd_S². So
    E = ∫ g(t) m ∫ h_t(s) F_t(s)^{m−1} ds dt, a 2-D Gauss–Legendre rule.
    """
    if m == 1 or sd_s <= 1e-12 * max(beta_s, 1e-300):
        if beta_s == 0.0 and m > 1:
            return beta_t * _mean_top(n, m)
        return beta_t * expected_max_normal(n)
    log_c = special.gammaln(n + 1) - special.gammaln(m + 1) - special.gammaln(n - m)

    def log_g(t: np.ndarray) -> np.ndarray:
        return (
            log_c
            - 0.5 * t * t
            - LOG_SQRT_2PI
            + (n - m - 1) * special.log_ndtr(t)
            + m * special.log_ndtr(-t)
        )

    t_lo, t_hi = _support(log_g(_COARSE), _COARSE)
    t, wt = gauss_legendre(t_lo, t_hi, panels=6, order=8)
    sig = math.hypot(beta_s, sd_s)
    rho, omega, slope = beta_s / sig, sd_s / sig, cov_st / (sd_s * sd_s)
    # S given V > t starts near β_S t (smoothed over sd_S) and ends near β_S·v_top
    v_top = np.sqrt(t * t + 92.0)
    s_mid = beta_s * t + 9.0 * sd_s
    s_hi = np.maximum(beta_s * v_top + 9.0 * sd_s, s_mid + sd_s)
    panels = 6 + int(3 * math.log2(m + 1))  # F_t^{m−1} sharpens as m grows
    s1, w1 = gauss_legendre(beta_s * t - 9.0 * sd_s, s_mid, panels, 8)
    s2, w2 = gauss_legendre(s_mid, s_hi, panels, 8)
    s, ws = np.concatenate([s1, s2], axis=1), np.concatenate([w1, w2], axis=1)
    tt = t[:, None]
    tail = special.ndtr(-tt)
    mu = beta_s * s / (sig * sig)
    prob = special.ndtr((mu - tt) / omega)
    e_v = mu * prob + omega * np.exp(-0.5 * ((tt - mu) / omega) ** 2 - LOG_SQRT_2PI)
    dens = np.exp(-0.5 * (s / sig) ** 2 - LOG_SQRT_2PI) / sig
    h = dens * ((beta_t - slope * beta_s) * e_v + slope * s * prob) / tail
    cdf = np.clip(bivariate_normal_cdf(s / sig, -tt, -rho) / tail, 0.0, 1.0)
    inner = m * np.sum(ws * h * cdf ** (m - 1), axis=1)
    return float(np.sum(wt * np.exp(log_g(t)) * inner))


def _principal_params(
    model: GaussianModel, rule: str, s_a: float
) -> tuple[float, float, float, float, float]:
    """(β_S, β_T, sd_S, sd_T, cov) of the principal's score S and the utility T of a
    proposal x* − m = s_A A + rσ_w V + σ_w√(1−r²)ε, x̂* = x* + κ_e ν, y* − c − m = s_A A + S_y V."""
    sw, r, ke = model.sigma_within, model.signal_ratio, model.judge_noise
    s_y = math.hypot(sw, model.tau)
    resid2 = sw * sw * (1.0 - r * r)
    beta_t = r * sw
    var_t = s_a * s_a + resid2
    if rule == "exact":
        return beta_t, beta_t, math.sqrt(var_t), math.sqrt(var_t), var_t
    if rule == "judge":
        return beta_t, beta_t, math.sqrt(var_t + ke * ke), math.sqrt(var_t), var_t
    wy, wx = bayes_weights(model)
    beta_s = wy * s_y + wx * beta_t
    var_s = (wy + wx) ** 2 * s_a * s_a + wx * wx * (resid2 + ke * ke)
    cov = (wy + wx) * s_a * s_a + wx * resid2
    return beta_s, beta_t, math.sqrt(var_s), math.sqrt(var_t), cov


def _gaussian(model: GaussianModel, p: Protocol) -> float:
    mu, sw, s_a = model.mu, model.sigma_within, model.sigma_agent
    if isinstance(p, RandomPick):
        return mu
    if isinstance(p, Align):
        bs, bt, sds, sdt, cov = _principal_params(model, p.principal, s_a)
        return mu + group_select(p.agents, p.per_agent, bs, bt, sds, sdt, cov)
    if isinstance(p, SingleAgent | PrincipalBestOfN | Oracle):
        if isinstance(p, SingleAgent):
            noise, offs = model.tau, model.offsets(p.agents)
        elif isinstance(p, PrincipalBestOfN):
            noise, offs = model.judge_noise, np.zeros(p.agents)
        else:
            noise, offs = 0.0, np.zeros(p.agents)
        s_sel = math.hypot(sw, noise)
        rr = 1.0 if s_sel == 0.0 else sw / s_sel
        if p.agents == 1 or (s_a == 0.0 and not np.any(offs != offs[0])):
            return mu + rr * sw * expected_max_normal(p.n)
        resid2 = sw * sw * (1.0 - rr * rr)
        k = p.n // p.agents
        return mu + group_select(
            p.agents, k, s_sel, rr * sw, s_a, math.sqrt(s_a**2 + resid2), s_a**2, offs
        )
    if isinstance(p, Shortlist):
        bs, bt, sds, sdt, cov = _principal_params(model, p.principal, 0.0)
        if p.size == p.n:
            # all n go to the principal: n groups of one candidate each (V ~ N(0, 1))
            return mu + group_select(p.n, 1, bs, bt, sds, sdt, cov)
        return mu + _shortlist_select(p.n, p.size, bs, bt, sds, sdt, cov)
    if isinstance(p, MajorityVote | FilterVote):
        raise ValueError(
            f"{type(p).__name__} needs discrete answers: use BernoulliModel or EmpiricalPool"
        )
    raise TypeError(f"unknown protocol {p!r}")


# ---------------------------------------------------------------------- model B


def stage_operator(p: np.ndarray | float, tpr: float, fpr: float, k: int) -> np.ndarray:
    r"""Φ_{s,f,K}(p) = q[1−(1−α)^K] + p(1−s)(1−α)^{K−1}, α = sp + f(1−p), q = sp/α.

    The probability that a selector with verifier (s, f) = (tpr, fpr), choosing uniformly
    among the candidates it accepts (uniformly among all if it accepts none), outputs a
    correct one of K candidates that are correct iid with probability p. Vectorized in p.
    """
    p_a = np.asarray(p, dtype=float)
    alpha = tpr * p_a + fpr * (1.0 - p_a)
    none = np.power(1.0 - alpha, k - 1)
    # q[1 − (1−α)^K] = s p · (1 − (1−α)^K)/α, with the α → 0 limit s p K
    frac = np.where(
        alpha > 1e-12,
        -np.expm1(k * np.log1p(-np.minimum(alpha, 1 - 1e-16)))
        / np.where(alpha > 1e-12, alpha, 1.0),
        k,
    )
    frac = np.where(alpha >= 1.0, 1.0, frac)
    return tpr * p_a * frac + p_a * (1.0 - tpr) * none


def verifier_select(probs: np.ndarray, counts: np.ndarray, tpr: float, fpr: float) -> np.ndarray:
    r"""P(correct output) of a verifier (s, f) picking uniformly among the proposals it
    accepts (uniformly among all if none), over independent proposals of G types: n_g
    proposals correct with probability p_g each (``probs[..., g]``, ``counts[..., g]``).

    P = Σ_i p_i s E[1/(1+A_{−i})] + P(A = 0)·(1/n)Σ_i P(correct_i | rejected_i), using
    E[1/(1+A)] = ∫₀¹ Π_j (1 − π_j + π_j t) dt with π_j = s p_j + f(1−p_j) (exact by
    Gauss–Legendre since the integrand is a polynomial of degree < n).
    """
    p = np.asarray(probs, dtype=float)
    c = np.asarray(counts, dtype=float)
    n = c.sum(axis=-1)
    pi = tpr * p + fpr * (1.0 - p)
    deg = int(np.max(n)) + 1
    t, w = gauss_legendre(0.0, 1.0, panels=1, order=max(2, deg // 2 + 2))
    log_fac = c[..., None] * np.log(np.clip(1.0 - pi[..., None] + pi[..., None] * t, 1e-300, None))
    log_all = log_fac.sum(axis=-2)  # (..., nodes)
    own = np.log(np.clip(1.0 - pi[..., None] + pi[..., None] * t, 1e-300, None))
    integral = np.sum(w * np.exp(log_all[..., None, :] - own), axis=-1)  # (..., G)
    accepted = np.sum(c * p * tpr * integral, axis=-1)
    log_none = np.sum(c * np.log(np.clip(1.0 - pi, 1e-300, None)), axis=-1)
    rej = p * (1.0 - tpr) / np.clip(1.0 - pi, 1e-300, None)
    rej = np.where(1.0 - pi > 1e-300, rej, 0.0)
    fallback = np.exp(log_none) * np.sum(c * rej, axis=-1) / n
    return accepted + fallback


def _beta_binom_logpmf(k: np.ndarray, n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (
        special.gammaln(n + 1)
        - special.gammaln(k + 1)
        - special.gammaln(n - k + 1)
        + special.betaln(a + k, b + n - k)
        - special.betaln(a, b)
    )


def beta_binomial_majority(a: float, b: float, n: int) -> float:
    r"""P(binary majority of n votes is correct) when θ ~ Beta(a, b) and votes are iid
    Bernoulli(θ) given θ: Σ_{k>n/2} C(n,k)B(a+k, b+n−k)/B(a,b), plus half the tie term
    C(n, n/2)B(a+n/2, b+n/2)/B(a,b) for even n (ties broken uniformly at random)."""
    k = np.arange(n + 1)
    pmf = np.exp(_beta_binom_logpmf(k, n, np.asarray(a), np.asarray(b)))
    weight = np.where(2 * k > n, 1.0, np.where(2 * k == n, 0.5, 0.0))
    return float(np.sum(pmf * weight))


@lru_cache(maxsize=256)
def _correct_given_count(k: int, tpr: float, fpr: float) -> np.ndarray:
    """ψ_K(j) = P(the selector outputs a correct candidate | j of its K are correct)."""
    j = np.arange(k + 1, dtype=float)
    probs = np.stack([np.ones_like(j), np.zeros_like(j)], axis=-1)
    counts = np.stack([j, k - j], axis=-1)
    psi = verifier_select(probs, counts, tpr, fpr)
    psi.setflags(write=False)
    return psi


def _agent_stage(
    model: BernoulliModel, theta: np.ndarray, k: int, tpr: float, fpr: float
) -> np.ndarray:
    """p̄(θ) = E[Φ_{s,f,K}(θ_a) | θ]: equal to Φ_{s,f,K}(θ) without diversity; with diversity
    θ_a ~ Beta(cθ, c(1−θ)), and P(correct | j correct of K) is averaged over the
    beta-binomial law of j."""
    if model.diversity is None:
        return stage_operator(theta, tpr, fpr, k)
    c = model.diversity
    j = np.arange(k + 1, dtype=float)
    psi = _correct_given_count(k, tpr, fpr)
    th = np.clip(theta, 1e-15, 1 - 1e-15)[:, None]
    pmf = np.exp(_beta_binom_logpmf(j[None, :], k, c * th, c * (1 - th)))
    return pmf @ psi


def _bernoulli(model: BernoulliModel, p: Protocol) -> float:
    s, f, s2, f2 = model.agent_tpr, model.agent_fpr, model.principal_tpr, model.principal_fpr
    div = model.diversity is not None
    theta, w = beta_nodes(model.a, model.b, p.n + 2)
    if div:
        # p̄(θ) is smooth but not polynomial in θ: 88 Gauss–Jacobi nodes reach ~1e-11
        theta, w = beta_nodes(model.a, model.b, 160)
    if isinstance(p, RandomPick):
        return model.mean
    if isinstance(p, Align):
        if p.principal == "bayes":
            raise _use_simulate(model, p, "the 'bayes' rule is defined for model G only")
        prop = _agent_stage(model, theta, p.per_agent, s, f)
        if p.principal == "exact" or model.exact_principal:
            val = 1.0 - (1.0 - prop) ** p.agents
        else:
            val = stage_operator(prop, s2, f2, p.agents)
        return float(np.sum(w * val))
    if (
        isinstance(p, SingleAgent | PrincipalBestOfN | Oracle | MajorityVote)
        and div
        and p.agents > 1
    ):
        if isinstance(p, Oracle):
            c = model.diversity
            assert c is not None
            th = np.clip(theta, 1e-15, 1 - 1e-15)
            k = p.n // p.agents
            miss = np.exp(
                special.betaln(c * th, c * (1 - th) + k) - special.betaln(c * th, c * (1 - th))
            )
            return float(np.sum(w * (1.0 - miss**p.agents)))
        raise _use_simulate(model, p, "a pool from several diverse agents")
    if isinstance(p, SingleAgent):
        return float(np.sum(w * _agent_stage(model, theta, p.n, s, f)))
    if isinstance(p, PrincipalBestOfN):
        return float(np.sum(w * _agent_stage(model, theta, p.n, s2, f2)))
    if isinstance(p, Oracle):
        return float(np.sum(w * _agent_stage(model, theta, p.n, 1.0, 0.0)))
    if isinstance(p, MajorityVote):
        if model.wrong_answers != 1:
            raise _use_simulate(model, p, "plurality over more than one wrong answer")
        if not div:
            return beta_binomial_majority(model.a, model.b, p.n)
        c = model.diversity
        assert c is not None
        j = np.arange(p.n + 1, dtype=float)
        th = np.clip(theta, 1e-15, 1 - 1e-15)[:, None]
        pmf = np.exp(_beta_binom_logpmf(j[None, :], p.n, c * th, c * (1 - th)))
        weight = np.where(2 * j > p.n, 1.0, np.where(2 * j == p.n, 0.5, 0.0))
        return float(np.sum(w * (pmf @ weight)))
    if isinstance(p, Shortlist):
        if p.principal == "bayes":
            raise _use_simulate(model, p, "the 'bayes' rule is defined for model G only")
        if div:
            raise _use_simulate(model, p, "Shortlist with agent diversity")
        return float(np.sum(w * _shortlist_b(model, theta, p)))
    if isinstance(p, FilterVote):
        raise _use_simulate(model, p, "filter-vote has no closed form here")
    raise TypeError(f"unknown protocol {p!r}")


def _shortlist_b(model: BernoulliModel, theta: np.ndarray, p: Shortlist) -> np.ndarray:
    """P(correct | θ) for Shortlist in model B: A ~ Bin(n, α) accepted; the shortlist holds
    j = min(A, size) accepted candidates (correct w.p. q each) and size − j rejected ones
    (correct w.p. q₀ = p(1−s)/(1−α)); the principal then selects among them."""
    s, f = model.agent_tpr, model.agent_fpr
    n, m = p.n, p.size
    alpha = s * theta + f * (1 - theta)
    q = np.where(alpha > 0, s * theta / np.where(alpha > 0, alpha, 1.0), 0.0)
    q0 = np.where(alpha < 1, theta * (1 - s) / np.where(alpha < 1, 1 - alpha, 1.0), 0.0)
    a = np.arange(m + 1)
    pmf = special.binom(n, a)[None, :] * alpha[:, None] ** a * (1 - alpha[:, None]) ** (n - a)
    pmf[:, m] = 1.0 - pmf[:, :m].sum(axis=1)  # P(A ≥ size)
    probs = np.stack(np.broadcast_arrays(q[:, None], q0[:, None]), axis=-1)
    probs = np.broadcast_to(probs, (theta.size, m + 1, 2))
    counts = np.broadcast_to(np.stack([a, m - a], axis=-1)[None], (theta.size, m + 1, 2))
    if p.principal == "exact" or model.exact_principal:
        val = (
            1.0 - (1.0 - probs[..., 0]) ** counts[..., 0] * (1.0 - probs[..., 1]) ** counts[..., 1]
        )
    else:
        val = verifier_select(probs, counts, model.principal_tpr, model.principal_fpr)
    return np.sum(pmf * val, axis=1)


# ---------------------------------------------------------------------- dispatch


def expected_utility(model: Model, protocol: Protocol) -> float:
    """E[x of the protocol's output] under ``model``, in closed form or by deterministic
    quadrature (absolute error below 1e-7; typically 1e-9 to 3e-8).

    Model G: every protocol except the vote protocols (undefined for continuous answers).
    Model B: Align (exact and verifier principals), SingleAgent, RandomPick, Oracle,
    PrincipalBestOfN, Shortlist and binary MajorityVote. Otherwise ``NotImplementedError``.
    """
    if isinstance(model, GaussianModel):
        return float(_gaussian(model, protocol))
    if isinstance(model, BernoulliModel):
        return float(_bernoulli(model, protocol))
    if isinstance(model, EmpiricalPool):
        raise _use_simulate(model, protocol, "recorded pools are replayed, not integrated")
    raise TypeError(f"unknown model {model!r}")
