r"""Maximum-likelihood fits of model B and of the continuous-score extension to a pool.

Each part of the model has its own likelihood, and the parts share no parameter, so the joint
maximum-likelihood estimate is the collection of the separate ones (docs/model.md,
"Calibrating the model to a recorded pool"):

* **difficulty and diversity** (a, b, c) from the per-agent correct counts C_{q,a} ∈ 0..K:
  θ_q ~ Beta(a, b), θ_{q,a} | θ_q ~ Beta(cθ_q, c(1−θ_q)), C_{q,a} | θ_{q,a} ~ Bin(K, θ_{q,a}),
  so given θ_q each agent's count is beta-binomial BB(K, cθ_q, c(1−θ_q)) and

  .. math:: L_q = \int_0^1 \mathrm{Beta}(θ; a, b) \prod_a \mathrm{BB}(C_{q,a}; K, cθ, c(1−θ))\,dθ,

  integrated by Gauss–Jacobi quadrature with the Beta(a, b) weight. Without diversity
  (c → ∞) it is the beta-binomial of the question's total C_q = Σ_a C_{q,a} over N = M·K
  (times the fixed multinomial factor of the split across agents).
* **wrong-answer dispersion** (m, α) from the answer classes of the wrong candidates: with
  w ~ Dirichlet(α, …, α) over m alternatives, the n wrong candidates of a question fall into
  j distinct classes of sizes n_1..n_j with probability (an unlabelled Dirichlet-multinomial)

  .. math:: \frac{m!}{(m-j)!}\,\frac{Γ(mα)}{Γ(mα+n)} \prod_{i=1}^{j} \frac{Γ(α+n_i)}{Γ(α)}.

* **a score law** (agent or principal) on a transformed scale z = g(s):
  z_{q,i} = u_q + μ_{c} + σ_{c} ε_{q,i} with c = 1{candidate correct}, ε iid N(0, 1) and a
  question effect u_q ~ N(0, τ²) shared by the question's candidates (a binormal ROC with a
  random intercept). Each question's z-vector is Gaussian with covariance D + τ²·11ᵀ, whose
  log-density has a closed form (matrix determinant lemma).

Every fit returns the estimate in natural units, the maximised log-likelihood, and the
inverse observed information in the optimiser's unconstrained coordinates (log-scales), from
a central-difference Hessian: the standard errors of the continuous parameters. It has no
entry for the integer m, so the prediction band does not draw from it: it refits the whole
model on bootstrap resamples of the questions
(:func:`align_theory.calibrate.calibration.bootstrap_fits`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from align_theory.calibrate.model import AGENT_SCORE_MODES, ExtendedModel, ScoreLaw
from align_theory.exact.quadrature import beta_nodes
from align_theory.models import BernoulliModel, EmpiricalPool

__all__ = [
    "DIVERSITY_MAX",
    "WRONG_MAX",
    "FitResult",
    "ModelFit",
    "beta_binomial_logpmf",
    "fit_difficulty",
    "fit_model",
    "fit_score_law",
    "fit_wrong_answers",
    "observed_information",
    "partition_sizes",
    "score_law_loglik",
    "transform_scores",
]

DIVERSITY_MAX = 1e4
"""Largest agent concentration c fitted; an estimate at this bound means "no diversity"
(agents share the question's θ), and the model is fitted without it."""

WRONG_MAX = 4096
"""Largest number m of wrong alternatives fitted (m → ∞ with mα fixed is the Chinese
restaurant limit; at this size the two are indistinguishable on N ≤ 64 candidates)."""

_NODES = 96  # Gauss–Jacobi nodes for the diversity integral (smooth, non-polynomial)
_EPS = 1e-6  # clip of [0, 1] scores before the logit transform


@dataclass(frozen=True)
class FitResult:
    """One part's maximum-likelihood fit.

    Attributes
    ----------
    params : dict of str to float
        The estimate in natural units (names as in the model's dataclasses).
    loglik : float
        The maximised log-likelihood.
    coords : tuple of str
        Names of the unconstrained coordinates the optimiser used (for example ``log_a``).
    point : numpy.ndarray
        The estimate in those coordinates.
    covariance : numpy.ndarray
        Inverse observed information in those coordinates (a pseudo-inverse where the
        likelihood is flat along a direction).
    """

    params: dict[str, float]
    loglik: float
    coords: tuple[str, ...]
    point: np.ndarray
    covariance: np.ndarray


def beta_binomial_logpmf(
    x: np.ndarray | float, n: int, alpha: np.ndarray | float, beta: np.ndarray | float
) -> np.ndarray:
    r"""log BB(x; n, α, β) = log C(n, x) + log B(x+α, n−x+β) − log B(α, β), broadcast.

    Examples
    --------
    >>> round(float(np.exp(beta_binomial_logpmf(1, 2, 1.0, 1.0))), 12)  # uniform on 0..2
    0.333333333333
    """
    x = np.asarray(x, dtype=float)
    comb = special.gammaln(n + 1.0) - special.gammaln(x + 1.0) - special.gammaln(n - x + 1.0)
    return np.asarray(comb + special.betaln(x + alpha, n - x + beta) - special.betaln(alpha, beta))


def observed_information(
    nll: Callable[[np.ndarray], float], point: np.ndarray, step: float = 1e-4
) -> np.ndarray:
    """Central-difference Hessian of ``nll`` at ``point`` and its (pseudo-)inverse.

    Returns the covariance matrix H⁻¹ (symmetrised; eigenvalues ≤ 1e-9 are dropped, so a
    flat direction gets zero variance rather than an infinite one).

    Examples
    --------
    >>> cov = observed_information(lambda v: float(0.5 * (v @ v) / 4.0), np.zeros(2))
    >>> np.round(cov, 6).tolist()  # N(0, 4·I): H = I/4, H⁻¹ = 4·I
    [[4.0, 0.0], [0.0, 4.0]]
    """
    p = np.asarray(point, dtype=float)
    d = p.size
    h = step * np.maximum(1.0, np.abs(p))
    hess = np.zeros((d, d))
    f0 = nll(p)
    for i in range(d):
        for j in range(i, d):
            if i == j:
                e = np.zeros(d)
                e[i] = h[i]
                val = (nll(p + e) - 2.0 * f0 + nll(p - e)) / h[i] ** 2
            else:
                ei, ej = np.zeros(d), np.zeros(d)
                ei[i], ej[j] = h[i], h[j]
                val = (
                    nll(p + ei + ej) - nll(p + ei - ej) - nll(p - ei + ej) + nll(p - ei - ej)
                ) / (4.0 * h[i] * h[j])
            hess[i, j] = hess[j, i] = val
    w, v = np.linalg.eigh(0.5 * (hess + hess.T))
    inv = np.where(w > 1e-9, 1.0 / np.where(w > 1e-9, w, 1.0), 0.0)
    return np.asarray((v * inv) @ v.T)


def _counts(correct: np.ndarray) -> tuple[np.ndarray, int]:
    arr = np.asarray(correct)
    if arr.ndim != 3 or min(arr.shape) < 1:
        raise ValueError(f"correct must have shape (Q, A, K) with Q, A, K >= 1, got {arr.shape}")
    if arr.dtype != bool and not np.isin(arr, (0, 1)).all():
        raise ValueError("correct must hold booleans (or 0/1) only")
    return arr.astype(bool).sum(axis=2), int(arr.shape[2])


def _patterns(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct per-question count vectors (sorted across agents: the likelihood is
    symmetric in the agents) and their multiplicities."""
    rows, mult = np.unique(np.sort(counts, axis=1), axis=0, return_counts=True)
    return rows, mult.astype(float)


def _nested_loglik(
    counts: np.ndarray, mult: np.ndarray, k: int, a: float, b: float, c: float | None
) -> float:
    """Σ_q log L_q for per-agent count patterns (P, A) of K with multiplicities (P,),
    Beta(a, b) difficulty and diversity c (None: no diversity)."""
    agents = counts.shape[1]
    if c is None:
        tot = counts.sum(axis=1)
        split = special.gammaln(k + 1.0) - special.gammaln(counts + 1.0)
        split = split - special.gammaln(k - counts + 1.0)
        n = agents * k
        per = special.betaln(a + tot, b + n - tot) - special.betaln(a, b) + split.sum(axis=1)
        return float(per @ mult)
    theta, w = beta_nodes(a, b, 2 * _NODES)
    th = np.clip(theta, 1e-300, 1.0 - 1e-16)
    # (P, A, nodes): each agent's beta-binomial given θ at every node
    lp = beta_binomial_logpmf(counts[:, :, None], k, c * th, c * (1.0 - th))
    per_node = lp.sum(axis=1) + np.log(w)[None, :]
    return float(special.logsumexp(per_node, axis=1) @ mult)


def fit_difficulty(correct: np.ndarray, *, diversity: bool = True) -> FitResult:
    r"""Fit (a, b) and, with ``diversity``, the agent concentration c by maximum likelihood.

    Parameters
    ----------
    correct : array of bool, shape (Q, A, K)
        Correctness of every candidate (question, agent, sample).
    diversity : bool
        Fit the nested model (agents have their own θ_a | θ ~ Beta(cθ, c(1−θ))); if the
        estimate reaches :data:`DIVERSITY_MAX`, or with ``diversity=False``, the model without
        diversity is returned (``params["diversity"]`` is NaN).

    Returns
    -------
    FitResult
        ``params`` a, b, diversity; coordinates (log_a, log_b[, log_c]).

    Examples
    --------
    >>> from align_theory.models import BernoulliModel
    >>> d = BernoulliModel(2.0, 6.0).sample(np.random.default_rng(0), 4, 4, trials=4000)
    >>> fit = fit_difficulty(d.correct, diversity=False)
    >>> abs(fit.params["a"] / (fit.params["a"] + fit.params["b"]) - 0.25) < 0.02
    True
    """
    counts, k = _counts(correct)
    if counts.sum() == 0 or counts.sum() == counts.size * k:
        raise ValueError(
            "correct must hold both right and wrong candidates to fit the difficulty "
            f"law, got all {'wrong' if counts.sum() == 0 else 'right'}"
        )
    tot = counts.sum(axis=1) / (counts.shape[1] * k)
    mean = float(np.clip(tot.mean(), 1e-3, 1 - 1e-3))
    var = float(max(tot.var(), 1e-4))
    s0 = float(np.clip(mean * (1 - mean) / var - 1.0, 0.05, 1e3))
    start_ab = np.log([mean * s0, (1 - mean) * s0])
    pats, mult = _patterns(counts)

    def nll_plain(v: np.ndarray) -> float:
        a, b = np.exp(np.clip(v, -12, 12))
        return -_nested_loglik(pats, mult, k, float(a), float(b), None)

    res = optimize.minimize(
        nll_plain,
        start_ab,
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000},
    )
    plain_point = np.asarray(res.x)
    best: tuple[np.ndarray, float, Callable[[np.ndarray], float] | None] = (
        plain_point,
        float(-res.fun),
        None,
    )
    if diversity and counts.shape[1] > 1:

        def nll_div(v: np.ndarray) -> float:
            a, b, c = np.exp(np.clip(v, -12, math.log(DIVERSITY_MAX)))
            return -_nested_loglik(pats, mult, k, float(a), float(b), float(c))

        starts = [np.r_[plain_point, math.log(c0)] for c0 in (2.0, 50.0)]
        fits = [
            optimize.minimize(
                nll_div,
                s,
                method="Nelder-Mead",
                options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 2000},
            )
            for s in starts
        ]
        top = min(fits, key=lambda r: float(r.fun))
        if float(np.exp(top.x[2])) < 0.999 * DIVERSITY_MAX and -float(top.fun) > best[1]:
            best = (np.asarray(top.x), float(-top.fun), nll_div)
    point, loglik, nll_used = best
    if nll_used is None:
        cov = observed_information(nll_plain, point)
        a, b = np.exp(point)
        params = {"a": float(a), "b": float(b), "diversity": float("nan")}
        coords: tuple[str, ...] = ("log_a", "log_b")
    else:
        cov = observed_information(nll_used, point)
        a, b, c = np.exp(point)
        params = {"a": float(a), "b": float(b), "diversity": float(c)}
        coords = ("log_a", "log_b", "log_c")
    return FitResult(params, loglik, coords, point, cov)


def partition_sizes(correct: np.ndarray, answers: np.ndarray) -> list[np.ndarray]:
    """Per question, the sizes n_1..n_j of the wrong candidates' answer classes.

    Examples
    --------
    >>> c = np.zeros((1, 2, 2), bool); c[0, 0, 0] = True
    >>> ans = np.array([[[0, 5], [5, 7]]])
    >>> [s.tolist() for s in partition_sizes(c, ans)]
    [[2, 1]]
    """
    c = np.asarray(correct, dtype=bool)
    ans = np.asarray(answers)
    if ans.shape != c.shape:
        raise ValueError(f"answers must have shape {c.shape} like correct, got {ans.shape}")
    out = []
    for q in range(c.shape[0]):
        wrong = ans[q][~c[q]]
        _, sizes = np.unique(wrong, return_counts=True)
        out.append(np.sort(sizes)[::-1])
    return out


def _partition_stats(sizes: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Sufficient statistics of the partition likelihood: distinct (n, j) per question with
    their multiplicities, and distinct class sizes with theirs."""
    nj = np.array([(int(x.sum()), int(x.size)) for x in sizes if x.size], dtype=float)
    pairs, pair_w = np.unique(nj, axis=0, return_counts=True)
    all_sizes = np.concatenate([x for x in sizes if x.size]).astype(float)
    vals, val_w = np.unique(all_sizes, return_counts=True)
    return pairs[:, 0], pairs[:, 1], pair_w.astype(float), vals, val_w.astype(float)


def _partition_loglik(stats: tuple[np.ndarray, ...], m: int, alpha: float) -> float:
    n, j, w, vals, vw = stats
    per_q = (
        special.gammaln(m + 1.0)
        - special.gammaln(m - j + 1.0)
        + special.gammaln(m * alpha)
        - special.gammaln(m * alpha + n)
    )
    per_class = special.gammaln(alpha + vals) - special.gammaln(alpha)
    return float(per_q @ w + per_class @ vw)


def fit_wrong_answers(correct: np.ndarray, answers: np.ndarray) -> FitResult:
    r"""Fit the number m of wrong alternatives and their Dirichlet concentration α.

    m is profiled over integers from the largest number of distinct wrong answers seen in a
    question up to :data:`WRONG_MAX` (a log-spaced grid refined around the best value); α is
    fitted for each m. The covariance is for log α at the fitted m (conditional on m; the
    joint uncertainty of (m, α) comes from refitting bootstrap resamples,
    :func:`align_theory.calibrate.calibration.bootstrap_fits`).

    Returns
    -------
    FitResult
        ``params`` wrong_answers (m) and wrong_concentration (α); coordinate (log_alpha,).

    Examples
    --------
    >>> from align_theory.models import BernoulliModel
    >>> mdl = BernoulliModel(1.0, 3.0, wrong_answers=4, wrong_concentration=1.0)
    >>> d = mdl.sample(np.random.default_rng(1), 4, 4, trials=3000)
    >>> fit = fit_wrong_answers(d.correct, d.answer)
    >>> int(fit.params["wrong_answers"]), abs(fit.params["wrong_concentration"] - 1.0) < 0.25
    (4, True)
    """
    sizes = partition_sizes(correct, answers)
    if not any(s.size for s in sizes):
        raise ValueError("correct must hold wrong candidates to fit the wrong-answer law")
    j_max = max(int(s.size) for s in sizes)
    stats = _partition_stats(sizes)

    def best_alpha(m: int) -> tuple[float, float]:
        if m == 1:
            return 1.0, _partition_loglik(stats, 1, 1.0)  # α is irrelevant with one class
        res = optimize.minimize_scalar(
            lambda la: -_partition_loglik(stats, m, float(np.exp(la))),
            bounds=(-12.0, 8.0),
            method="bounded",
            options={"xatol": 1e-8},
        )
        return float(np.exp(res.x)), float(-res.fun)

    grid = sorted({int(v) for v in np.unique(np.geomspace(max(j_max, 1), WRONG_MAX, 40).round())})
    grid = sorted({max(j_max, 1), *grid})
    scored = {m: best_alpha(m) for m in grid}
    m_best = max(scored, key=lambda m: scored[m][1])
    i = grid.index(m_best)
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    for m in range(lo, hi + 1):
        if m not in scored:
            scored[m] = best_alpha(m)
    m_best = max(scored, key=lambda m: scored[m][1])
    alpha, loglik = scored[m_best]
    point = np.array([math.log(alpha)])
    if m_best == 1:
        cov = np.zeros((1, 1))
    else:
        cov = observed_information(
            lambda v: -_partition_loglik(stats, m_best, float(np.exp(v[0]))), point
        )
    return FitResult(
        {"wrong_answers": float(m_best), "wrong_concentration": alpha},
        loglik,
        ("log_alpha",),
        point,
        cov,
    )


def transform_scores(scores: np.ndarray, transform: str) -> np.ndarray:
    """z = g(s): ``"logit"`` log(s/(1−s)) after clipping s to [1e-6, 1 − 1e-6] (scores in
    [0, 1]), ``"identity"`` s.

    Examples
    --------
    >>> transform_scores(np.array([0.5, 0.0]), "logit").round(3).tolist()
    [0.0, -13.816]
    """
    s = np.asarray(scores, dtype=float)
    if transform == "logit":
        if s.size and (s.min() < 0.0 or s.max() > 1.0):
            raise ValueError(
                f"scores must lie in [0, 1] for transform='logit', got range "
                f"[{s.min():g}, {s.max():g}]"
            )
        p = np.clip(s, _EPS, 1.0 - _EPS)
        return np.asarray(np.log(p) - np.log1p(-p))
    if transform == "identity":
        return s
    raise ValueError(f"transform must be 'logit' or 'identity', got {transform!r}")


def score_law_loglik(z: np.ndarray, correct: np.ndarray, v: np.ndarray) -> float:
    r"""Σ_q log N(z_q; μ_c, D + τ²11ᵀ) for z, correct of shape (Q, n) and the coordinates
    v = (μ_wrong, μ_correct, log σ_wrong, log σ_correct, log τ).

    Examples
    --------
    >>> z = np.array([[0.0, 1.0]]); c = np.array([[False, True]])
    >>> round(score_law_loglik(z, c, np.array([0.0, 1.0, 0.0, 0.0, -30.0])), 6)  # two N(0,1) at 0
    -1.837877
    """
    mu0, mu1, ls0, ls1, lt = (float(x) for x in v)
    d = np.where(correct, math.exp(2 * ls1), math.exp(2 * ls0))
    r = z - np.where(correct, mu1, mu0)
    tau2 = math.exp(2 * lt)
    s = (1.0 / d).sum(axis=1)
    rd = (r / d).sum(axis=1)
    n = z.shape[1]
    quad = (r * r / d).sum(axis=1) - tau2 * rd * rd / (1.0 + tau2 * s)
    logdet = np.log(d).sum(axis=1) + np.log1p(tau2 * s)
    return float(np.sum(-0.5 * (n * math.log(2 * math.pi) + logdet + quad)))


def fit_score_law(scores: np.ndarray, correct: np.ndarray, transform: str = "logit") -> FitResult:
    r"""Fit the binormal score law with a question random intercept by maximum likelihood.

    Parameters
    ----------
    scores : array, shape (Q, A, K)
        One score per candidate (the principal's x̂, or an agent's continuous score).
    correct : array of bool, shape (Q, A, K)
        Correctness of the candidates.
    transform : {"logit", "identity"}
        The scale z = g(s) on which the law is binormal (see :func:`transform_scores`).

    Returns
    -------
    FitResult
        ``params`` mean_wrong, mean_correct, sd_wrong, sd_correct, question_sd; coordinates
        (mu0, mu1, log_sd0, log_sd1, log_tau).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> c = rng.random((3000, 2, 2)) < 0.4
    >>> z = rng.normal(0, 0.5, (3000, 1, 1)) + np.where(c, 1.0, 0.0) + rng.normal(0, 1, c.shape)
    >>> p = fit_score_law(z, c, "identity").params
    >>> round(p["mean_correct"] - p["mean_wrong"], 1), round(p["question_sd"], 1)
    (1.0, 0.5)
    """
    c = np.asarray(correct, dtype=bool)
    s = np.asarray(scores, dtype=float)
    if s.shape != c.shape or s.ndim != 3:
        raise ValueError(f"scores must have shape (Q, A, K) like correct {c.shape}, got {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite everywhere")
    if c.all() or not c.any():
        raise ValueError("correct must hold both right and wrong candidates to fit a score law")
    z = transform_scores(s, transform).reshape(c.shape[0], -1)
    cc = c.reshape(c.shape[0], -1)
    sd0 = max(float(z[~cc].std()), 1e-3)
    sd1 = max(float(z[cc].std()), 1e-3) if cc.sum() > 1 else sd0
    start = np.array(
        [z[~cc].mean(), z[cc].mean(), math.log(sd0), math.log(sd1), math.log(0.5 * sd0)]
    )

    def nll(v: np.ndarray) -> float:
        vv = np.asarray(v, dtype=float).copy()
        vv[2:] = np.clip(vv[2:], -15.0, 10.0)
        return -score_law_loglik(z, cc, vv)

    res = optimize.minimize(nll, start, method="L-BFGS-B")
    res = optimize.minimize(
        nll, res.x, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000}
    )
    point = np.asarray(res.x)
    cov = observed_information(nll, point)
    mu0, mu1, ls0, ls1, lt = point
    params = {
        "mean_wrong": float(mu0),
        "mean_correct": float(mu1),
        "sd_wrong": float(np.exp(ls0)),
        "sd_correct": float(np.exp(ls1)),
        "question_sd": float(np.exp(lt)),
    }
    return FitResult(
        params, float(-res.fun), ("mu0", "mu1", "log_sd0", "log_sd1", "log_tau"), point, cov
    )


def _score_transform(scores: np.ndarray) -> str:
    return "logit" if scores.min() >= 0.0 and scores.max() <= 1.0 else "identity"


@dataclass(frozen=True)
class ModelFit:
    """The fitted extended model and each part's likelihood fit.

    Attributes
    ----------
    model : ExtendedModel
        The maximum-likelihood model.
    difficulty, wrong, principal, agent : FitResult
        The parts' fits (:func:`fit_difficulty`, :func:`fit_wrong_answers`,
        :func:`fit_score_law` for x̂ and for the agent score or its tie-break).
    questions : int
        Questions the fit used.
    """

    model: ExtendedModel
    difficulty: FitResult
    wrong: FitResult
    principal: FitResult
    agent: FitResult
    questions: int


def fit_model(
    pool: EmpiricalPool, *, agent_score: str = "auto", diversity: bool = True
) -> ModelFit:
    r"""Fit the extended model B (:class:`ExtendedModel`) to a pool by maximum likelihood.

    Parameters
    ----------
    pool : EmpiricalPool
        Recorded (or synthetic) candidates, shape (Q, A, K).
    agent_score : {"auto", "vote", "law"}
        ``"vote"``: agents rank by vote share, ``pool.agent_score`` breaks ties (the pool's
        ``vote_share="primary"``, the recorded runs' rule); ``"law"``: ``pool.agent_score``
        is the agent's score y. Either way the agent law is fitted to ``pool.agent_score``.
        ``"auto"`` follows the pool's ``vote_share``.
    diversity : bool
        Fit the agent concentration c (:func:`fit_difficulty`).

    Returns
    -------
    ModelFit

    Examples
    --------
    >>> from align_theory.models import BernoulliModel
    >>> law = ScoreLaw(-1.0, 0.0, 1.0, 1.0, 0.2)
    >>> truth = ExtendedModel(BernoulliModel(1.0, 2.0, wrong_answers=3), law, law, "vote")
    >>> fit = fit_model(truth.sample_pool(np.random.default_rng(0), 400, 4, 4))
    >>> fit.model.agent_score, round(fit.model.principal.auc, 1)
    ('vote', 0.8)
    """
    if not isinstance(pool, EmpiricalPool):
        raise ValueError(f"pool must be an EmpiricalPool, got {type(pool).__name__}")
    if agent_score not in ("auto", *AGENT_SCORE_MODES):
        raise ValueError(f"agent_score must be one of ('auto', 'vote', 'law'), got {agent_score!r}")
    primary = pool.vote_share == "primary"
    mode = ("vote" if primary else "law") if agent_score == "auto" else agent_score
    if mode == "vote" and not primary:
        raise ValueError(
            "agent_score='vote' needs a pool that ranks by vote share "
            f"(vote_share='primary'), got vote_share={pool.vote_share!r}"
        )
    dfit = fit_difficulty(pool.correct, diversity=diversity)
    wfit = fit_wrong_answers(pool.correct, pool.answers)
    ptrans = _score_transform(pool.principal_score)
    pfit = fit_score_law(pool.principal_score, pool.correct, ptrans)
    atrans = _score_transform(pool.agent_score)
    afit = fit_score_law(pool.agent_score, pool.correct, atrans)
    m = int(wfit.params["wrong_answers"])
    div = dfit.params["diversity"]
    verdicts = BernoulliModel(
        a=dfit.params["a"],
        b=dfit.params["b"],
        diversity=None if math.isnan(div) else div,
        wrong_answers=m,
        wrong_concentration=None if m == 1 else wfit.params["wrong_concentration"],
    )

    def law(f: FitResult, transform: str) -> ScoreLaw:
        p = f.params
        return ScoreLaw(
            p["mean_wrong"],
            p["mean_correct"],
            p["sd_wrong"],
            p["sd_correct"],
            p["question_sd"],
            transform,
        )

    model = ExtendedModel(verdicts, law(pfit, ptrans), law(afit, atrans), mode)  # type: ignore[arg-type]
    return ModelFit(model, dfit, wfit, pfit, afit, pool.shape[0])
