r"""Every protocol on a recorded pool: the exact average over sub-pools, in numpy.

A pool (:class:`~align_theory.models.EmpiricalPool`) holds, for each of Q questions, an
A × K grid of recorded candidates (A agents, K samples each). A protocol with budget n read
from g agents (:func:`~align_theory.protocols.pool_layout`) reads a *sub-pool*: g of the A
agents, chosen uniformly, and k = n/g of each chosen agent's K samples, chosen uniformly.
Its value on a question is the average, over every sub-pool, of the expected correctness of
its output (ties broken uniformly at random, so the expectation over the tie-break is taken
exactly). Averaged over questions this is the unbiased estimator (a U-statistic) of the
accuracy of the protocol run with that budget on a new draw of those candidates.

Sub-pools are enumerated when there are at most ``cap`` of them (default
:data:`DEFAULT_CAP`); above it ``cap`` sub-pools are drawn uniformly (an unbiased Monte
Carlo estimate of the same average) and :func:`is_sampled` says so. ``Oracle`` and
``RandomPick`` use their closed forms (hypergeometric: Oracle is pass@k exactly) and are
never sampled.

Scores. The agent's score y of a candidate is ``pool.agent_score`` unless the pool ranks by
vote share (``pool.vote_share``): with ``"primary"`` y is the share of the candidate's
answer class among the candidates its agent holds *in the sub-pool*, ties broken by
``agent_score``; with ``"tiebreak"`` y is ``agent_score``, ties broken by that share. The
report r an agent sends with its proposal is the share (``"primary"``) or ``agent_score``.
The principal's evaluation x̂ is ``pool.principal_score``.

Rules (the tie rules of :mod:`align_theory.protocols`; ties are equal scores, nothing else):

* ``Align(m, k, rule)``: each of the m agents proposes an argmax-y candidate of its k,
  uniformly among its tied ones; the principal picks ``exact`` any correct proposal,
  ``judge`` argmax x̂, ``bayes`` argmax w_r·r + w_x̂·x̂ (a logistic fit, :func:`fit_bayes`,
  cross-fitted over questions unless weights are given), ``vote`` the answer class with the
  largest sum of reports (sums within 1e-9 tie). Every combination of the agents' tied
  proposals is weighted by its probability: in closed form for ``judge`` and ``bayes``, by
  enumerating the classes of the tied proposals for ``vote``.
* ``SingleAgent``: argmax y over the sub-pool (each candidate's y from its own agent, the
  scores of T1). ``PrincipalBestOfN``: argmax x̂. ``MajorityVote``: plurality class.
  ``FilterVote``: plurality over candidates with ``agent_score > 1/2`` (all when none).
  ``Shortlist(n, size, rule)``: the top ``size`` by y (a uniformly random choice among those
  tied at the cut, computed in closed form), then the principal's rule (not ``vote``).
* ``Oracle``: any candidate correct; ``RandomPick``: the mean correctness.

Nothing here imports JAX.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from align_theory.models import EmpiricalPool
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
    protocol_spec,
)

__all__ = [
    "DEFAULT_CAP",
    "BayesFit",
    "cross_fit_bayes",
    "fit_bayes",
    "is_sampled",
    "pool_utility",
    "pool_values",
    "pool_values_many",
    "subpool_count",
]

DEFAULT_CAP = 16384
"""Most sub-pools enumerated per (protocol layout); above it that many are drawn."""

_CHUNK = 1_000_000  # elements per working array (bounds memory; numpy stays vectorized)
_VOTE_TOL = 1e-9


# ------------------------------------------------------------------------ layouts


def _grid(pool: EmpiricalPool, protocol: Protocol) -> tuple[int, int]:
    """(g, k): g agents × k candidates each, checked against the pool's A × K."""
    n, g = pool_layout(protocol)
    k = n // g
    _, a_all, k_all = pool.shape
    if g > a_all or k > k_all:
        raise ValueError(
            f"{protocol!r} reads {g} agent(s) x {k} candidate(s) but the pool holds "
            f"{a_all} agent(s) x {k_all}; choose agents= so that n/agents <= {k_all}, or use "
            "pool.pooled() to read all candidates as one pipeline"
        )
    return g, k


def subpool_count(pool: EmpiricalPool, protocol: Protocol) -> int:
    """Number of distinct sub-pools the protocol reads: C(A, g)·C(K, k)^g.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.zeros((1, 4, 4))
    >>> pool = EmpiricalPool(z, z, z, z)
    >>> subpool_count(pool, Align(4, 2)), subpool_count(pool.pooled(), SingleAgent(8))
    (1296, 12870)
    """
    g, k = _grid(pool, protocol)
    _, a_all, k_all = pool.shape
    return math.comb(a_all, g) * math.comb(k_all, k) ** g


def is_sampled(pool: EmpiricalPool, protocol: Protocol, cap: int = DEFAULT_CAP) -> bool:
    """True when :func:`pool_values` samples ``cap`` sub-pools instead of enumerating all.

    Oracle and RandomPick are exact closed forms and never sampled.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.zeros((1, 4, 4))
    >>> is_sampled(EmpiricalPool(z, z, z, z), Align(4, 2), cap=1000)
    True
    """
    if isinstance(protocol, Oracle | RandomPick):
        _grid(pool, protocol)
        return False
    return subpool_count(pool, protocol) > cap


def _subpools(
    a_all: int, k_all: int, g: int, k: int, cap: int, rng: np.random.Generator
) -> np.ndarray:
    """Sub-pool index array (S, g, k) into the flattened A·K candidates."""
    total = math.comb(a_all, g) * math.comb(k_all, k) ** g
    if total <= cap:
        agents = np.array(list(itertools.combinations(range(a_all), g)), dtype=np.int64)
        picks = np.array(list(itertools.combinations(range(k_all), k)), dtype=np.int64)
        choice = np.indices((len(picks),) * g).reshape(g, -1).T  # (Ck^g, g)
        samp = picks[choice]  # (Ck^g, g, k)
        idx = agents[:, None, :, None] * k_all + samp[None, :, :, :]
        return idx.reshape(-1, g, k)
    agents = np.sort(np.argsort(rng.random((cap, a_all)), axis=1)[:, :g], axis=1)
    samp = np.sort(np.argsort(rng.random((cap, g, k_all)), axis=2)[:, :, :k], axis=2)
    return agents[:, :, None] * k_all + samp


# ------------------------------------------------------------------------ helpers


def _dense_rank(a: np.ndarray) -> np.ndarray:
    """Dense rank (0 = smallest) of each entry along the last axis; equal values equal rank."""
    order = np.argsort(a, axis=-1, kind="stable")
    srt = np.take_along_axis(a, order, axis=-1)
    step = np.concatenate(
        [np.zeros((*a.shape[:-1], 1), dtype=np.int64), (np.diff(srt, axis=-1) > 0)], axis=-1
    )
    ranks_sorted = np.cumsum(step, axis=-1)
    out = np.empty_like(ranks_sorted)
    np.put_along_axis(out, order, ranks_sorted, axis=-1)
    return out


def _tie_mean(key: np.ndarray, val: np.ndarray) -> np.ndarray:
    """Mean of ``val`` over the argmax set of ``key`` along the last axis."""
    top = key == key.max(axis=-1, keepdims=True)
    return (val * top).sum(axis=-1) / top.sum(axis=-1)


def _pairwise(n: int, labels: int | None) -> bool:
    """Whether rows of n class ids are counted by pairwise comparisons (n² per row) rather
    than one bincount (n + ``labels`` per row, needs ids in [0, ``labels``))."""
    return labels is None or n * n <= 2 * (n + labels)


def _counts(
    cls: np.ndarray, weight: np.ndarray | None = None, labels: int | None = None
) -> np.ndarray:
    """For each entry, the (weighted) number of entries of its class along the last axis.

    ``labels``: when every class id lies in [0, ``labels``), one ``bincount`` over (row,
    class) counts each row in O(n + labels), used when that beats the pairwise
    comparisons, O(n²) per row.

    Examples
    --------
    >>> cls = np.array([[2, 0, 2, 1, 0, 2, 2, 1]])
    >>> _counts(cls).tolist(), _counts(cls, labels=3).tolist()
    ([[4, 2, 4, 2, 2, 4, 4, 2]], [[4, 2, 4, 2, 2, 4, 4, 2]])
    >>> _counts(cls, np.arange(8.0), labels=3).tolist()
    [[13.0, 5.0, 13.0, 10.0, 5.0, 13.0, 13.0, 10.0]]
    """
    n = cls.shape[-1]
    if _pairwise(n, labels):
        eq = cls[..., :, None] == cls[..., None, :]
        if weight is None:
            return eq.sum(axis=-1)
        return (eq * weight[..., None, :]).sum(axis=-1)
    rows = cls.size // max(n, 1)
    off = cls.reshape(rows, n) + (np.arange(rows) * labels)[:, None]
    wt = None if weight is None else np.broadcast_to(weight, cls.shape).reshape(rows, n).ravel()
    tot = np.bincount(off.ravel(), weights=wt, minlength=rows * labels)
    return tot[off].reshape(cls.shape)


def _plurality(
    cls: np.ndarray,
    c: np.ndarray,
    weight: np.ndarray | None = None,
    labels: int | None = None,
) -> np.ndarray:
    """Expected correctness of the (weighted) plurality class, ties uniformly at random.

    With per-class totals T and sizes n_L, the value is (1/#leading) Σ_leading mean c over the
    class = Σ_{i leading} (c_i/n_i) / Σ_{i leading} (1/n_i). ``labels`` as in :func:`_counts`.
    """
    if weight is not None and _pairwise(cls.shape[-1], labels):  # one comparison for both
        eq = cls[..., :, None] == cls[..., None, :]
        size, tot = eq.sum(axis=-1), (eq * weight[..., None, :]).sum(axis=-1)
    else:
        size = _counts(cls, labels=labels)
        tot = size if weight is None else _counts(cls, weight, labels)
    if weight is None:
        lead = tot == tot.max(axis=-1, keepdims=True)
    else:
        best = tot.max(axis=-1, keepdims=True)
        lead = tot >= best - _VOTE_TOL * np.maximum(1.0, np.abs(best))
    inv = lead / size
    return (c * inv).sum(axis=-1) / inv.sum(axis=-1)


@dataclass(frozen=True)
class BayesFit:
    """Logistic P(correct | r, x̂) = σ(b + w_r·r + w_x·x̂); ranking uses w_r·r + w_x·x̂."""

    b: float
    w_r: float
    w_x: float


def _full_reports(pool: EmpiricalPool) -> np.ndarray:
    """Report r of each candidate when its agent holds all K samples: (Q, A, K)."""
    if pool.vote_share == "primary":
        return _counts(pool.answer_classes()) / pool.shape[2]
    return pool.agent_score


def fit_bayes(
    pool: EmpiricalPool, questions: np.ndarray | None = None, ridge: float = 1e-2
) -> BayesFit:
    """Fit σ(b + w_r·r + w_x·x̂) to correctness by ridge-penalized Newton iterations.

    Features per candidate: r = the report its agent would make with all K samples (vote
    share or agent score) and x̂; ``questions`` (indices) restricts the fit.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> c = rng.random((40, 2, 3)) < 0.5
    >>> pool = EmpiricalPool(c, c.astype(int), rng.random(c.shape), c + 0.1 * rng.random(c.shape))
    >>> fit_bayes(pool).w_x > 0
    True
    """
    r = _full_reports(pool)
    sel = slice(None) if questions is None else np.asarray(questions, dtype=np.int64)
    rr, xx = r[sel].ravel(), pool.principal_score[sel].ravel()
    y = pool.correct[sel].ravel().astype(float)
    if y.size == 0:
        return BayesFit(0.0, 1.0, 1.0)
    x = np.stack([np.ones_like(rr), rr, xx], axis=1)
    w = np.zeros(3)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        grad = x.T @ (p - y) + ridge * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + ridge * np.eye(3)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return BayesFit(float(w[0]), float(w[1]), float(w[2]))


def _fold(qid: str) -> int:
    return hashlib.sha256(qid.encode()).digest()[0] & 1


def cross_fit_bayes(pool: EmpiricalPool) -> tuple[np.ndarray, tuple[BayesFit, BayesFit]]:
    """Two-fold cross-fitted bayes weights: (Q, 2) array of (w_r, w_x) per question, and the
    two fits. Fold of a question: the low bit of SHA-256(question id) (index parity when the
    pool has no ids); weights fitted on one fold score the other (on itself if it is empty).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> c = rng.random((10, 2, 2)) < 0.5
    >>> w, fits = cross_fit_bayes(EmpiricalPool(c, c.astype(int), c * 1.0, c * 1.0))
    >>> w.shape
    (10, 2)
    """
    q = pool.shape[0]
    ids = pool.questions or tuple(str(i) for i in range(q))
    fold = np.array([_fold(s) if pool.questions else int(s) & 1 for s in ids])
    fits = []
    for f in (0, 1):
        other = np.flatnonzero(fold != f)
        fits.append(fit_bayes(pool, other if other.size else np.flatnonzero(fold == f)))
    w = np.array([[fits[f].w_r, fits[f].w_x] for f in fold], dtype=float).reshape(q, 2)
    return w, (fits[0], fits[1])


# ------------------------------------------------------------------------ the engine


@dataclass(frozen=True)
class _Flat:
    """Per-question flattened pool arrays (Q, A·K); ``cls`` relabelled 0..A·K−1 per question,
    ``yrank`` and ``xrank`` the dense ranks of the agent's and the principal's scores."""

    c: np.ndarray
    cls: np.ndarray
    yrank: np.ndarray
    yraw: np.ndarray
    xhat: np.ndarray
    xrank: np.ndarray

    @property
    def labels(self) -> int:
        """Bound on the class ids: every ``cls`` lies in [0, A·K)."""
        return int(self.cls.shape[1])


def _flat(pool: EmpiricalPool) -> _Flat:
    q, a, k = pool.shape
    return _Flat(
        pool.correct.reshape(q, a * k).astype(float),
        _dense_rank(pool.answer_classes().reshape(q, a * k)),
        _dense_rank(pool.agent_score.reshape(q, a * k)),
        pool.agent_score.reshape(q, a * k),
        pool.principal_score.reshape(q, a * k),
        _dense_rank(pool.principal_score.reshape(q, a * k)),
    )


def _agent_keys(
    pool: EmpiricalPool, fl: _Flat, idx: np.ndarray, cls: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(y key, report r) of each sub-pool candidate, shape (Q, S, g, k); ``cls`` = its class."""
    n_all = fl.c.shape[1]
    yr = fl.yrank[:, idx]
    if pool.vote_share is None:
        return yr, fl.yraw[:, idx]
    cnt = _counts(cls, labels=fl.labels)
    if pool.vote_share == "primary":
        return cnt * (n_all + 1) + yr, cnt / idx.shape[-1]
    return yr * (idx.shape[-1] + 1) + cnt, fl.yraw[:, idx]


def _principal_key(
    rule: str, c: np.ndarray, x: np.ndarray, r: np.ndarray, w: np.ndarray | None
) -> np.ndarray:
    if rule == "exact":
        return c
    if rule == "judge":
        return x
    if rule == "bayes":
        assert w is not None
        shape = (w.shape[0],) + (1,) * (x.ndim - 1)
        return w[:, 0].reshape(shape) * r + w[:, 1].reshape(shape) * x
    raise ValueError(f"principal rule {rule!r} has no argmax key")


def _principal_rank(
    rule: str, key: np.ndarray, given: np.ndarray | None, levels: int
) -> tuple[np.ndarray, int]:
    """Dense ranks of the principal's key per row (R, n) (same order, same ties) and a bound.

    ``given``: the ranks when they are known per question (``judge``: x̂'s, in
    [0, ``levels``)); ``exact``: correctness 0/1; otherwise (``bayes``) ranked in each row.

    Examples
    --------
    >>> _principal_rank("bayes", np.array([[0.5, 0.2, 0.5]]), None, 0)[0].tolist()
    [[1, 0, 1]]
    """
    if rule == "exact":
        return key.astype(np.int64), 2
    if given is not None:
        return given, levels
    return _dense_rank(key), key.shape[-1]


def _proposal_argmax(key: np.ndarray, c: np.ndarray, prob: np.ndarray) -> np.ndarray:
    r"""Expected correctness of the argmax-``key`` proposal, each agent proposing at random.

    Rows (R, m, k). Agent i proposes its candidate j with probability ``prob``\ :sub:`ij`
    (independently across agents); the principal takes the proposal of largest key, ties
    uniformly at random. Conditioning on agent i proposing j (key v), with
    A_l = P(agent l's key < v) and B_l = P(= v), the chance it is taken is
    E[1{others ≤ v} / (1 + #others at v)] = ∫₀¹ Π_{l≠i} (A_l + B_l z) dz, since
    1/(1 + t) = ∫₀¹ z^t dz. Value: Σ_ij prob_ij c_ij ∫₀¹ Π_{l≠i}(A_l + B_l z) dz, exact,
    summed over the candidates with prob_ij c_ij ≠ 0 only: O((mk)²) per row at most
    instead of the k^m combinations of tied proposals.

    Examples
    --------
    Two agents, each with two tied candidates (keys 1, 0 and 1, 1; correct 1, 0 and 0, 1):

    >>> key = np.array([[[1.0, 0.0], [1.0, 1.0]]])
    >>> c = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> float(_proposal_argmax(key, c, np.full((1, 2, 2), 0.5))[0])
    0.625

    (The four equally likely pairs give 1/2, 1, 0, 1: mean 0.625.)
    """
    rows, m, _ = key.shape
    gain = prob * c
    rr, ii, jj = np.nonzero(gain)
    v = key[rr, ii, jj][:, None, None]
    kr, pr = key[rr], prob[rr]  # (E, m, k): every agent's candidates, for each term
    own = ii[:, None] == np.arange(m)[None, :]
    lower = np.where(own, 1.0, ((kr < v) * pr).sum(axis=-1))  # (E, m): A_l, 1 for l = i
    equal = np.where(own, 0.0, ((kr == v) * pr).sum(axis=-1))  # B_l, 0 for l = i
    poly = np.zeros((rr.size, m + 1))  # coefficients of Π_l (A_l + B_l z)
    poly[:, 0] = 1.0
    for ell in range(m):
        shifted = np.concatenate([np.zeros((rr.size, 1)), poly[:, :-1]], axis=-1)
        poly = poly * lower[:, ell, None] + shifted * equal[:, ell, None]
    taken = poly @ (1.0 / np.arange(1, m + 2))  # ∫₀¹ Σ_t poly_t z^t dz
    return np.bincount(rr, weights=gain[rr, ii, jj] * taken, minlength=rows)


def _proposal_vote(
    cls: np.ndarray, c: np.ndarray, r: np.ndarray, tied: np.ndarray, prob: np.ndarray
) -> np.ndarray:
    """Align's ``vote`` rule, each agent proposing one of its tied candidates at random.

    Rows (R, m, k); ``r`` (R, m) is each agent's report, equal across its tied candidates
    (they tie in y, and the report is a function of y's key). The plurality depends on the
    proposals only through their classes, and its value is linear in their correctness, so
    each agent's tied candidates of one class merge into one option: probability the sum
    of theirs, correctness their mean. Rows are grouped by their agents' option counts
    (u_1 ≥ … ≥ u_m, agents sorted: the rule is symmetric in agents), and each group
    enumerates its Π u_i class combinations, weighted by their probabilities.

    Examples
    --------
    Agent 0 proposes class 0 (correct) or 1, agent 1 class 1, reports 1:

    >>> cls = np.array([[[0, 1], [1, 1]]])
    >>> c = np.array([[[1.0, 0.0], [0.0, 0.0]]])
    >>> tied = np.array([[[True, True], [True, False]]])
    >>> prob = tied / tied.sum(axis=-1, keepdims=True)
    >>> float(_proposal_vote(cls, c, np.ones((1, 2)), tied, prob)[0])
    0.25

    (Class 0 vs 1 ties half the time: 1/2 · 1/2 = 0.25.)
    """
    rows, m, k = cls.shape
    same = (cls[..., :, None] == cls[..., None, :]) & tied[..., None, :]  # [.., j, j']
    first = tied & ~(same & np.tri(k, k, -1, dtype=bool)).any(axis=-1)
    merged = np.matmul(same.astype(float), np.stack([prob, prob * c], axis=-1))
    mass = merged[..., 0]  # P(the agent proposes j's class); then its mean correctness
    cmean = merged[..., 1] / np.where(first, mass, 1.0)
    mass = np.where(first, mass, 0.0)
    opt = np.argsort(~first, axis=-1, kind="stable")  # each agent's options first
    u = first.sum(axis=-1)
    ag = np.argsort(-u, axis=-1, kind="stable")[..., None]  # agents by option count
    cls, mass, cmean = (
        np.take_along_axis(np.take_along_axis(a, opt, axis=-1), ag, axis=1)
        for a in (cls, mass, cmean)
    )
    r = np.take_along_axis(r, ag[..., 0], axis=1)
    u = np.take_along_axis(u, ag[..., 0], axis=1)
    code = (u * (k + 1) ** np.arange(m)).sum(axis=-1)
    out = np.empty(rows)
    ar = np.arange(m)
    for val in np.unique(code):
        group = np.flatnonzero(code == val)
        combos = np.indices(tuple(u[group[0]])).reshape(m, -1).T  # (Π u_i, m)
        pick = (slice(None), ar, combos)
        step = max(1, _CHUNK // (combos.size * m))
        for lo in range(0, group.size, step):
            sel = group[lo : lo + step]
            weight = np.prod(mass[sel][pick], axis=-1)
            v = _plurality(cls[sel][pick], cmean[sel][pick], r[sel][:, None, :])
            out[sel] = (weight * v).sum(axis=-1)
    return out


def _align(
    proto: Align,
    c: np.ndarray,
    cls: np.ndarray,
    y: np.ndarray,
    r: np.ndarray,
    x: np.ndarray,
    w: np.ndarray | None,
) -> np.ndarray:
    """Align's value per row; arrays (R, m, k), w (R, 2) or None.

    Each agent proposes an argmax-y candidate, uniformly among its tied ones. ``exact``:
    1 − Π_i P(agent i's proposal is wrong). ``judge``/``bayes``: rows where every agent's
    argmax is unique read the proposals directly, the others use
    :func:`_proposal_argmax`; ``vote``: :func:`_proposal_vote`.
    """
    tied = y == y.max(axis=-1, keepdims=True)
    ntied = tied.sum(axis=-1, keepdims=True)
    prob = tied / ntied
    if proto.principal == "exact":
        return 1.0 - np.prod(1.0 - (prob * c).sum(axis=-1), axis=-1)
    if proto.principal == "vote":
        j = np.argmax(tied, axis=-1)[..., None]
        return _proposal_vote(cls, c, np.take_along_axis(r, j, axis=-1)[..., 0], tied, prob)
    key = _principal_key(proto.principal, c, x, r, w)
    out = np.empty(c.shape[0])
    multi = (ntied[..., 0] > 1).any(axis=-1)
    one = ~multi
    if one.any():
        j = np.argmax(tied[one], axis=-1)[..., None]
        out[one] = _tie_mean(
            np.take_along_axis(key[one], j, axis=-1)[..., 0],
            np.take_along_axis(c[one], j, axis=-1)[..., 0],
        )
    if multi.any():
        out[multi] = _proposal_argmax(key[multi], c[multi], prob[multi])
    return out


_BINOM_CACHE: dict[int, np.ndarray] = {}


def _binom_table(n: int) -> np.ndarray:
    """C(a, b) for 0 ≤ a, b ≤ n as floats (0 when b > a)."""
    if n not in _BINOM_CACHE:
        t = np.zeros((n + 1, n + 1))
        for a in range(n + 1):
            for b in range(a + 1):
                t[a, b] = math.comb(a, b)
        _BINOM_CACHE[n] = t
    return _BINOM_CACHE[n]


def _shortlist(
    size: int, c: np.ndarray, y: np.ndarray, prank: np.ndarray, levels: int
) -> np.ndarray:
    """Shortlist's value per row (arrays (R, n); ``prank`` the principal's key as dense
    ranks in [0, ``levels``)): rows without a tie at the cut read their top ``size``
    directly; the others use the closed form of :func:`_shortlist_ties`."""
    n = y.shape[-1]
    cut = np.partition(y, n - size, axis=-1)[..., n - size, None]
    listed = y >= cut
    plain = listed.sum(axis=-1) == size
    out = np.empty(y.shape[0])
    if plain.any():
        pk = np.where(listed[plain], prank[plain], -1)
        out[plain] = _tie_mean(pk, c[plain] * listed[plain])
    rest = ~plain
    if rest.any():
        out[rest] = _shortlist_ties(size, c[rest], y[rest], prank[rest], levels, cut[rest])
    return out


def _shortlist_ties(
    size: int, c: np.ndarray, y: np.ndarray, prank: np.ndarray, levels: int, cut: np.ndarray
) -> np.ndarray:
    """Shortlist's value: top ``size`` of y (cut ties uniformly), then argmax p with ties.

    For candidate j with (among the others) sure ones G_s above / E_s equal in p and tied-at-
    the-cut ones t_E equal, t_L below: P(j chosen) = P(j listed) · 1{G_s = 0} ·
    Σ_x C(t_E, x) C(t_L, d−x) / C(t_P, d) / (1 + E_s + x), d the tied places left to fill
    and t_P the tied ones other than j. Arrays (R, n); p given as dense ranks ``prank`` in
    [0, ``levels``); ``cut`` (R, 1) the y of the ``size``-th largest. The sure and tied
    ones are counted per p level by one ``bincount`` each (cumulated for "below"), and the
    sum is taken only for the candidates that can be chosen (listed, correct, G_s = 0):
    O(n + levels) per row instead of pairwise comparisons.

    Examples
    --------
    y = (1, 0, 0), size 2: candidate 0 is listed, one of 1, 2 joins it; p = (0, 1, 0), c =
    (0, 1, 0): half the time 1 joins and wins.

    >>> c, y, p = np.array([[0.0, 1.0, 0.0]]), np.array([[1, 0, 0]]), np.array([[0, 1, 0]])
    >>> float(_shortlist_ties(2, c, y, p, 2, np.array([[0]]))[0])
    0.5
    """
    rows, n = y.shape
    sure = y > cut
    tied = y == cut
    ns = sure.sum(axis=-1)
    nt = tied.sum(axis=-1)
    r = size - ns
    lin = prank + (np.arange(rows) * levels)[:, None]
    sure_g = np.bincount(lin[sure], minlength=rows * levels).reshape(rows, levels)
    tied_g = np.bincount(lin[tied], minlength=rows * levels).reshape(rows, levels)
    top_sure = np.where(sure, prank, -1).max(axis=-1, keepdims=True)
    rr, jj = np.nonzero((sure | tied) & (c != 0) & (prank >= top_sure))  # G_s = 0
    v = prank[rr, jj]
    s_j, t_j = sure[rr, jj], tied[rr, jj]
    es = sure_g[rr, v] - s_j
    te = tied_g[rr, v] - t_j
    tl = (np.cumsum(tied_g, axis=-1) - tied_g)[rr, v]
    d = r[rr] - t_j
    b = _binom_table(n)
    acc = np.zeros(rr.size)
    for x in range(int(d.max(initial=0)) + 1):
        dx = d - x
        acc += b[te, x] * b[tl, np.clip(dx, 0, n)] * (dx >= 0) / (1.0 + es + x)
    sel = acc / b[nt[rr] - t_j, d]
    listed = np.where(s_j, 1.0, r[rr] / nt[rr])
    return np.bincount(rr, weights=c[rr, jj] * listed * sel, minlength=rows)


def _evaluate(
    proto: Protocol,
    pool: EmpiricalPool,
    fl: _Flat,
    idx: np.ndarray,
    w: np.ndarray | None,
    cache: dict[str, np.ndarray],
) -> np.ndarray:
    """Sum over the sub-pools ``idx`` (S, g, k) of the protocol's value: (Q,). ``cache``
    holds this chunk's gathered arrays (Q, S, g, k) for the other protocols of the layout."""

    def get(name: str) -> np.ndarray:
        if name not in cache:
            if name in ("y", "r"):
                cache["y"], cache["r"] = _agent_keys(pool, fl, idx, get("cls"))
            else:
                cache[name] = getattr(fl, name)[:, idx]
        return cache[name]

    c = get("c")
    q, s = c.shape[:2]
    wr = None if w is None else np.repeat(w, s, axis=0)  # per row (question-major)
    if isinstance(proto, Align):
        rows = (q * s, proto.agents, proto.per_agent)
        x = get("xhat") if proto.principal in ("judge", "bayes") else c
        v = _align(
            proto,
            c.reshape(rows),
            get("cls").reshape(rows),
            get("y").reshape(rows),
            get("r").reshape(rows),
            x.reshape(rows),
            wr,
        )
        return v.reshape(q, s).sum(axis=1)
    flat = (q, s, -1)
    cf = c.reshape(flat)
    if isinstance(proto, MajorityVote):
        return _plurality(get("cls").reshape(flat), cf, labels=fl.labels).sum(axis=1)
    if isinstance(proto, FilterVote):
        cls = get("cls").reshape(flat)
        acc = (get("yraw") > 0.5).reshape(flat)
        cnt = _counts(cls, acc.astype(float), fl.labels)
        any_acc = acc.any(axis=-1)
        lead = acc & (cnt == np.where(acc, cnt, -1).max(axis=-1, keepdims=True))
        with np.errstate(invalid="ignore", divide="ignore"):
            inv = np.where(lead, 1.0 / np.maximum(cnt, 1e-300), 0.0)
            filt = (cf * inv).sum(-1) / inv.sum(-1)
        return np.where(any_acc, filt, _plurality(cls, cf, labels=fl.labels)).sum(axis=1)
    if isinstance(proto, PrincipalBestOfN):
        return _tie_mean(get("xhat").reshape(flat), cf).sum(axis=1)
    if isinstance(proto, SingleAgent):
        return _tie_mean(get("y").reshape(flat), cf).sum(axis=1)
    if isinstance(proto, Shortlist):
        if proto.principal == "vote":
            raise ValueError("Shortlist's principal must be 'exact', 'judge' or 'bayes' on a pool")
        rows2 = (q * s, -1)
        x = get("xhat") if proto.principal in ("judge", "bayes") else c
        pk = _principal_key(
            proto.principal, cf.reshape(rows2), x.reshape(rows2), get("r").reshape(rows2), wr
        )
        xr = get("xrank").reshape(rows2) if proto.principal == "judge" else None
        rank, lv = _principal_rank(proto.principal, pk, xr, fl.labels)
        v = _shortlist(proto.size, cf.reshape(rows2), get("y").reshape(rows2), rank, lv)
        return v.reshape(q, s).sum(axis=1)
    raise TypeError(f"no pool rule for {proto!r}")  # pragma: no cover - registry guards


def _closed_form(proto: Oracle | RandomPick, pool: EmpiricalPool) -> np.ndarray:
    """Oracle (1 − mean over agent subsets of Π C(K−c_a, k)/C(K, k)) and RandomPick."""
    g, k = _grid(pool, proto)
    _, a_all, k_all = pool.shape
    per = pool.correct.sum(axis=2)  # (Q, A)
    if isinstance(proto, RandomPick):
        return per.mean(axis=1) / k_all
    miss = np.array([math.comb(k_all - cc, k) for cc in range(k_all + 1)]) / math.comb(k_all, k)
    subsets = np.array(list(itertools.combinations(range(a_all), g)), dtype=np.int64)
    none = np.prod(miss[per][:, subsets], axis=-1)  # (Q, C(A, g))
    return 1.0 - none.mean(axis=1)


def _check(pool: EmpiricalPool, proto: Protocol) -> None:
    protocol_spec(proto)
    if not isinstance(pool, EmpiricalPool):
        raise TypeError(f"pool must be an EmpiricalPool, got {type(pool).__name__}")
    _grid(pool, proto)
    if isinstance(proto, Shortlist) and proto.principal == "vote":
        raise ValueError("Shortlist's principal must be 'exact', 'judge' or 'bayes' on a pool")


def pool_values_many(
    pool: EmpiricalPool,
    protocols: Iterable[Protocol],
    *,
    cap: int = DEFAULT_CAP,
    seed: int = 0,
    bayes: np.ndarray | None = None,
) -> dict[Protocol, np.ndarray]:
    """:func:`pool_values` of several protocols, sharing the sub-pools of equal layouts.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> c = rng.random((5, 2, 2)) < 0.5
    >>> pool = EmpiricalPool(c, c.astype(int), rng.random(c.shape), rng.random(c.shape))
    >>> out = pool_values_many(pool, [Oracle(4, agents=2), RandomPick(4, agents=2)])
    >>> bool(np.all(out[Oracle(4, agents=2)] >= out[RandomPick(4, agents=2)]))
    True
    """
    protos = list(dict.fromkeys(protocols))
    for p in protos:
        _check(pool, p)
    if cap < 1:
        raise ValueError(f"cap must be >= 1, got {cap}")
    out: dict[Protocol, np.ndarray] = {}
    fl = _flat(pool) if protos else None
    w = bayes
    if any(getattr(p, "principal", None) == "bayes" for p in protos) and w is None:
        w = cross_fit_bayes(pool)[0]
    if w is not None:
        w = np.asarray(w, dtype=float)
        if w.shape != (pool.shape[0], 2):
            raise ValueError(f"bayes must have shape (Q, 2) = ({pool.shape[0]}, 2), got {w.shape}")
    by_layout: dict[tuple[int, int], list[Protocol]] = {}
    for p in protos:
        if isinstance(p, Oracle | RandomPick):
            out[p] = _closed_form(p, pool)
        else:
            by_layout.setdefault(_grid(pool, p), []).append(p)
    q, a_all, k_all = pool.shape
    for (g, k), group in by_layout.items():
        assert fl is not None
        rng = np.random.default_rng([seed, g, k])
        idx = _subpools(a_all, k_all, g, k, cap, rng)
        s_all = idx.shape[0]
        width = g * k
        for p in group:  # elements per row of the largest working array
            if isinstance(p, Align) and p.principal == "vote":  # its combinations: batched
                width = max(width, g * k * k * 2)
            elif isinstance(p, Align) and p.principal != "exact":
                width = max(width, (g * k) ** 2)
            elif isinstance(p, Shortlist):
                width = max(width, g * k * 4)
        step = max(1, _CHUNK // max(1, q * width))
        tot = {p: np.zeros(q) for p in group}
        for lo in range(0, s_all, step):
            cache: dict[str, np.ndarray] = {}  # shared by the group
            for p in group:
                tot[p] += _evaluate(p, pool, fl, idx[lo : lo + step], w, cache)
        for p in group:
            out[p] = tot[p] / s_all
    return {p: out[p] for p in protos}


def pool_values(
    pool: EmpiricalPool,
    protocol: Protocol,
    *,
    cap: int = DEFAULT_CAP,
    seed: int = 0,
    bayes: np.ndarray | None = None,
) -> np.ndarray:
    """The protocol's expected correctness on each question: array (Q,).

    The exact average over every sub-pool the protocol reads (or over ``cap`` uniform
    draws of them, :func:`is_sampled`), ties broken uniformly at random in expectation.
    ``bayes``: (Q, 2) weights (w_r, w_x̂) for the ``bayes`` rule; default
    :func:`cross_fit_bayes`. ``seed`` fixes the sampled sub-pools.

    Examples
    --------
    One agent, two candidates scored 0.6 (correct) and 0.4 by agent and principal:

    >>> c = np.array([[[True, False]]])
    >>> s = np.array([[[0.6, 0.4]]])
    >>> pool = EmpiricalPool(c, np.array([[[0, 1]]]), s, s)
    >>> float(pool_values(pool, PrincipalBestOfN(2))[0]), float(pool_values(pool, Align(1, 2))[0])
    (1.0, 1.0)
    """
    return pool_values_many(pool, [protocol], cap=cap, seed=seed, bayes=bayes)[protocol]


def pool_utility(pool: EmpiricalPool, protocol: Protocol, **kwargs: object) -> float:
    """Mean over questions of :func:`pool_values`: ``expected_utility(pool, protocol)``.

    Examples
    --------
    >>> c = np.array([[[True, False]], [[False, False]]])
    >>> pool = EmpiricalPool(c, np.zeros((2, 1, 2), int), c * 1.0, c * 1.0)
    >>> pool_utility(pool, Oracle(2))
    0.5
    """
    return float(np.mean(pool_values(pool, protocol, **kwargs)))  # type: ignore[arg-type]
