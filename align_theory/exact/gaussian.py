r"""Model G (nested Gaussian) closed forms by deterministic quadrature.

Write σ_w = σ√(1−ρ_w), s_A = σ√(ρ_w−ρ_b), S_y = √(σ_w²+τ²), r = σ_w/S_y and κ_e = √(κ²+β²).
Inside one agent the standardized scores Y_k = (y_k − m − c)/S_y are iid N(0, 1) and
x_k − m = rσ_w Y_k + σ_w√(1−r²) ε_k, so the agent's proposal (its argmax y) has
x* − m = rσ_w V + σ_w√(1−r²) ε with V the maximum of K iid N(0, 1) (density
f_K(v) = Kφ(v)Φ(v)^{K−1}). Every model G protocol then selects, among M independent groups,
the group maximising a score S_a = c_a + β_S V_a + G_{S,a} and pays T_a = β_T V_a + G_{T,a}
with (G_S, G_T) bivariate normal; its value is

    E[T_{a*}] = Σ_a ∫ h_a(s) Π_{j≠a} F_j(s) ds,   h_a(s) = E[T_a ; S_a ∈ ds]/ds,

computed by nested Gauss–Legendre quadrature (:func:`group_select`). Shortlist conditions on
the (m+1)-th largest score and uses truncated normals for the top m.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import special

from align_theory.exact.quadrature import (
    LOG_SQRT_2PI,
    V_HI,
    V_LO,
    gauss_legendre,
    log_max_density,
)
from align_theory.models import GaussianModel
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

__all__ = [
    "G_MAX_POOL",
    "bivariate_normal_cdf",
    "expected_max_normal",
    "gaussian_utility",
    "group_select",
]


# ---------------------------------------------------------------------- order statistics


def _support(logpdf: np.ndarray, grid: np.ndarray, drop: float = 46.0) -> tuple[float, float]:
    """Smallest grid interval outside which ``logpdf`` is below its max − drop (padded)."""
    keep = np.nonzero(logpdf > logpdf.max() - drop)[0]
    step = grid[1] - grid[0]
    return float(grid[keep[0]] - step), float(grid[keep[-1]] + step)


_COARSE = np.linspace(V_LO, V_HI, 1201)
# Panel counts of the composite rules (8 to 12 points each), tuned so that quadrupling all
# of them changes no model G value by more than 3e-8 (tests/test_exact_gaussian.py
# quadruples them; tests/test_exact.py checks against independent quadratures).
_S_PANELS, _G_PANELS, _V_PANELS = 16, 12, 12
_MAX_PANELS = 16  # expected_max_normal
_TOP_PANELS = 40  # _mean_top
_T_PANELS, _SL_PANELS = 6, 6  # Shortlist: the (m+1)-th score t and the s rule

G_MAX_POOL = 2**40
"""Largest pool (N, and M groups) of the model G closed forms. Up to it the support of
f_N lies inside [V_LO, V_HI] and F(s)^{M−1} is formed from the upper tail 1 − F at full
relative precision (error below 1e-9 at M = 2⁴⁰); beyond it ``ValueError``."""


def _check_pool(name: str, n: int) -> None:
    if n > G_MAX_POOL:
        raise ValueError(
            f"{name} must be <= 2**40 for the model G closed forms (the quadrature of the "
            f"maximum of that many normals), got {n}; use align_theory.simulate(model, "
            "protocol, trials=..., seed=...) instead"
        )


@lru_cache(maxsize=4096)
def expected_max_normal(n: int) -> float:
    r"""e_n = E[max of n iid N(0, 1)] = ∫ v · nφ(v)Φ(v)^{n−1} dv.

    Composite Gauss–Legendre quadrature on the support of f_n (found in log space), so
    n up to 10⁶ neither overflows nor loses accuracy; e_1 = 0, e_2 = 1/√π.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    _check_pool("n", int(n))
    if n == 1:
        return 0.0
    lo, hi = _support(log_max_density(_COARSE, int(n)), _COARSE)
    v, w = gauss_legendre(lo, hi, panels=_MAX_PANELS, order=12)
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
            log_cdf_v = k * special.log_ndtr(vv)
            cdf = np.exp(logphi_g[None, :] + log_cdf_v) @ wg
            tail = (np.exp(logphi_g)[None, :] * -np.expm1(log_cdf_v)) @ wg
        else:
            z = (sc[:, None] - beta_s * v[None, :]) / sd_s
            dens = np.exp(logf[None, :] - 0.5 * z * z - LOG_SQRT_2PI) / sd_s
            mean_t = beta_t * v[None, :] + slope * (sc[:, None] - beta_s * v[None, :])
            h = (dens * mean_t) @ wv
            cdf = (np.exp(logf)[None, :] * special.ndtr(z)) @ wv
            tail = (np.exp(logf)[None, :] * special.ndtr(-z)) @ wv
        # log F from the upper tail 1 − F where it is small: F^(M−1) for M up to 2⁴⁰ needs
        # 1 − F to full relative precision, which F itself (a sum near 1) cannot carry
        log_cdf = np.where(
            tail < 0.5,
            np.log1p(-np.clip(tail, 0.0, 0.5)),
            np.log(np.clip(cdf, 1e-300, 1.0)),
        )
        return h, log_cdf

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
    v, w = gauss_legendre(V_LO, V_HI, panels=_TOP_PANELS, order=10)
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
    t, wt = gauss_legendre(t_lo, t_hi, panels=_T_PANELS, order=8)
    sig = math.hypot(beta_s, sd_s)
    rho, omega, slope = beta_s / sig, sd_s / sig, cov_st / (sd_s * sd_s)
    # S given V > t starts near β_S t (smoothed over sd_S) and ends near β_S·v_top
    v_top = np.sqrt(t * t + 92.0)
    s_mid = beta_s * t + 9.0 * sd_s
    s_hi = np.maximum(beta_s * v_top + 9.0 * sd_s, s_mid + sd_s)
    panels = _SL_PANELS + int(3 * math.log2(m + 1))  # F_t^{m−1} sharpens as m grows
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
    proposal x* − m = s_A A + rσ_w V + σ_w√(1−r²)ε, x̂* = x* + κ_e ν, y* − c − m = s_A A + S_y V.

    ``linear`` (and ``bayes``, which ranks as ``linear`` when s_A = 0 or for one agent's
    shortlist) scores S = w_y(y − c) + w_x̂ x̂."""
    if rule not in ("exact", "judge", "linear", "bayes"):
        raise ValueError(f"rule must be 'exact', 'judge', 'linear' or 'bayes', got {rule!r}")
    sw, r, ke = model.sigma_within, model.signal_ratio, model.judge_noise
    s_y = math.hypot(sw, model.tau)
    resid2 = sw * sw * (1.0 - r * r)
    beta_t = r * sw
    var_t = s_a * s_a + resid2
    if rule == "exact":
        return beta_t, beta_t, math.sqrt(var_t), math.sqrt(var_t), var_t
    if rule == "judge":
        return beta_t, beta_t, math.sqrt(var_t + ke * ke), math.sqrt(var_t), var_t
    wy, wx = model.linear_weights
    beta_s = wy * s_y + wx * beta_t
    var_s = (wy + wx) ** 2 * s_a * s_a + wx * wx * (resid2 + ke * ke)
    cov = (wy + wx) * s_a * s_a + wx * resid2
    return beta_s, beta_t, math.sqrt(var_s), math.sqrt(var_t), cov


def _g_random(model: GaussianModel, p: RandomPick) -> float:
    return model.mu


def _g_align(model: GaussianModel, p: Align) -> float:
    s_a = model.sigma_agent
    if p.principal == "bayes" and s_a > 0.0:
        raise NotImplementedError(
            "no closed form for Align(principal='bayes') in nested model G "
            f"(rho_between={model.rho_between:g} < rho_within={model.rho_within:g}): the "
            "posterior mean is not linear in (y, x̂) there; use align_theory.simulate("
            "model, protocol, trials=..., seed=...) (both engines compute the posterior "
            "by quadrature), or principal='linear' for the linear score's closed form"
        )
    bs, bt, sds, sdt, cov = _principal_params(model, p.principal, s_a)
    return model.mu + group_select(p.agents, p.per_agent, bs, bt, sds, sdt, cov)


def _g_best_of(model: GaussianModel, p: SingleAgent | PrincipalBestOfN | Oracle) -> float:
    """argmax over the pool of a noisy copy of x: y (SingleAgent), x̂ (PrincipalBestOfN) or x
    itself (Oracle); several agents make the pool nested (agent shifts and offsets)."""
    mu, sw, s_a = model.mu, model.sigma_within, model.sigma_agent
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


def _g_shortlist(model: GaussianModel, p: Shortlist) -> float:
    bs, bt, sds, sdt, cov = _principal_params(model, p.principal, 0.0)
    if p.size == p.n:
        # all n go to the principal: n groups of one candidate each (V ~ N(0, 1))
        return model.mu + group_select(p.n, 1, bs, bt, sds, sdt, cov)
    return model.mu + _shortlist_select(p.n, p.size, bs, bt, sds, sdt, cov)


def _g_vote(model: GaussianModel, p: MajorityVote | FilterVote) -> float:
    raise ValueError(
        f"{type(p).__name__} needs discrete answers: use BernoulliModel or EmpiricalPool"
    )


_GAUSSIAN: dict[type, Callable[[GaussianModel, Any], float]] = {
    RandomPick: _g_random,
    Align: _g_align,
    SingleAgent: _g_best_of,
    PrincipalBestOfN: _g_best_of,
    Oracle: _g_best_of,
    Shortlist: _g_shortlist,
    MajorityVote: _g_vote,
    FilterVote: _g_vote,
}
"""The model G closed form of each registered protocol class (one entry per class)."""


def gaussian_utility(model: GaussianModel, p: Protocol) -> float:
    """E[x of the protocol's output] in model G (see :func:`align_theory.expected_utility`).

    Dispatches on the protocol's class (one closed form per registered protocol).

    Examples
    --------
    >>> round(gaussian_utility(GaussianModel(tau=0.0), SingleAgent(2)), 6)  # e_2 = 1/√π
    0.56419
    """
    rule = _GAUSSIAN.get(type(p))
    if rule is None:
        raise TypeError(f"unknown protocol {p!r}")
    if not isinstance(p, MajorityVote | FilterVote):
        _check_pool("agents * per_agent" if isinstance(p, Align) else "n", p.n)
    return float(rule(model, p))
