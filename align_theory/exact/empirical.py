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
  proposals is weighted by its probability.
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

_CHUNK = 4_000_000  # elements per working array (bounds memory; numpy stays vectorized)
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


def _counts(cls: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """For each entry, the (weighted) number of entries of its class along the last axis."""
    eq = cls[..., :, None] == cls[..., None, :]
    if weight is None:
        return eq.sum(axis=-1)
    return (eq * weight[..., None, :]).sum(axis=-1)


def _plurality(cls: np.ndarray, c: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Expected correctness of the (weighted) plurality class, ties uniformly at random.

    With per-class totals T and sizes n_L, the value is (1/#leading) Σ_leading mean c over the
    class = Σ_{i leading} (c_i/n_i) / Σ_{i leading} (1/n_i).
    """
    size = _counts(cls)
    tot = size if weight is None else _counts(cls, weight)
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
    """Per-question flattened pool arrays (Q, A·K)."""

    c: np.ndarray
    cls: np.ndarray
    yrank: np.ndarray
    yraw: np.ndarray
    xhat: np.ndarray


def _flat(pool: EmpiricalPool) -> _Flat:
    q, a, k = pool.shape
    return _Flat(
        pool.correct.reshape(q, a * k).astype(float),
        pool.answer_classes().reshape(q, a * k),
        _dense_rank(pool.agent_score.reshape(q, a * k)),
        pool.agent_score.reshape(q, a * k),
        pool.principal_score.reshape(q, a * k),
    )


def _agent_keys(pool: EmpiricalPool, fl: _Flat, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(y key, report r) of each sub-pool candidate, shape (Q, S, g, k)."""
    n_all = fl.c.shape[1]
    yr = fl.yrank[:, idx]
    if pool.vote_share is None:
        return yr, fl.yraw[:, idx]
    cnt = _counts(fl.cls[:, idx])
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


def _align_rule(
    rule: str, c: np.ndarray, cls: np.ndarray, r: np.ndarray, x: np.ndarray, w: np.ndarray | None
) -> np.ndarray:
    """The principal's expected correctness over given proposals (last axis)."""
    if rule == "vote":
        return _plurality(cls, c, r)
    return _tie_mean(_principal_key(rule, c, x, r, w), c)


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

    Rows where every agent's argmax is unique read the proposals directly; rows with tied
    proposals average over every combination of the agents' tied choices.
    """
    tied = y == y.max(axis=-1, keepdims=True)
    ntied = tied.sum(axis=-1, keepdims=True)
    prob = tied / ntied
    if proto.principal == "exact":
        return 1.0 - np.prod(1.0 - (prob * c).sum(axis=-1), axis=-1)
    out = np.empty(c.shape[0])
    multi = (ntied[..., 0] > 1).any(axis=-1)
    one = ~multi
    if one.any():
        j = np.argmax(tied[one], axis=-1)[..., None]

        def take(a: np.ndarray) -> np.ndarray:
            return np.take_along_axis(a[one], j, axis=-1)[..., 0]

        out[one] = _align_rule(
            proto.principal, take(c), take(cls), take(r), take(x), None if w is None else w[one]
        )
    if multi.any():
        m, k = proto.agents, proto.per_agent
        combos = np.indices((k,) * m).reshape(m, -1).T  # (k^m, m)
        ar = np.arange(m)[None, :]

        def pick(a: np.ndarray) -> np.ndarray:
            return a[multi][:, ar, combos]  # (R', k^m, m)

        weight = np.prod(pick(prob), axis=-1)
        val = _align_rule(
            proto.principal,
            pick(c),
            pick(cls),
            pick(r),
            pick(x),
            None if w is None else w[multi],
        )
        out[multi] = (weight * val).sum(axis=-1)
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


def _shortlist(size: int, c: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Shortlist's value per row (arrays (R, n)): rows without a tie at the cut read their
    top ``size`` directly; the others use the closed form of :func:`_shortlist_ties`."""
    n = y.shape[-1]
    cut = np.sort(y, axis=-1)[..., n - size, None]
    listed = y >= cut
    plain = listed.sum(axis=-1) == size
    out = np.empty(y.shape[0])
    if plain.any():
        pk = np.where(listed[plain], p[plain], -np.inf)
        out[plain] = _tie_mean(pk, c[plain] * listed[plain])
    rest = ~plain
    if rest.any():
        out[rest] = _shortlist_ties(size, c[rest], y[rest], p[rest])
    return out


def _shortlist_ties(size: int, c: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Shortlist's value: top ``size`` of y (cut ties uniformly), then argmax p with ties.

    For candidate j with (among the others) sure ones G_s above / E_s equal in p and tied-at-
    the-cut ones t_G above, t_E equal, t_L below: P(j chosen) = P(j listed) · 1{G_s = 0} ·
    Σ_x C(t_E, x) C(t_L, d−x) / C(t_G+t_E+t_L, d) / (1 + E_s + x), d the tied places left.
    Arrays (..., n).
    """
    n = y.shape[-1]
    cut = np.sort(y, axis=-1)[..., n - size, None]
    sure = y > cut
    tied = y == cut
    ns = sure.sum(axis=-1, keepdims=True)
    nt = tied.sum(axis=-1, keepdims=True)
    r = size - ns
    off = ~np.eye(n, dtype=bool)
    gt = p[..., None, :] > p[..., :, None]  # [j, i]: p_i > p_j
    eq = (p[..., None, :] == p[..., :, None]) & off
    lt = (p[..., None, :] < p[..., :, None]) & off
    s_i, t_i = sure[..., None, :], tied[..., None, :]
    gs = (gt & s_i).sum(-1)
    es = (eq & s_i).sum(-1)
    te, tl = (eq & t_i).sum(-1), (lt & t_i).sum(-1)
    d = r - tied
    tp = nt - tied
    b = _binom_table(n)
    xs = np.arange(n)
    dx = d[..., None] - xs
    ok = (dx >= 0) & (xs <= te[..., None])
    num = b[te[..., None], np.minimum(xs, n)] * b[tl[..., None], np.clip(dx, 0, n)] * ok
    den = b[tp, np.clip(d, 0, n)]
    sel = (num / (1.0 + es[..., None] + xs)).sum(-1) / den
    listed = np.where(sure, 1.0, np.where(tied, r / nt, 0.0))
    return (c * listed * sel * (gs == 0)).sum(axis=-1)


def _evaluate(
    proto: Protocol,
    pool: EmpiricalPool,
    fl: _Flat,
    idx: np.ndarray,
    w: np.ndarray | None,
    cache: dict[str, tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Sum over the sub-pools ``idx`` (S, g, k) of the protocol's value: (Q,). ``cache``
    holds the agents' keys of this chunk for the other protocols of the same layout."""
    if "agent" not in cache:
        cache["agent"] = _agent_keys(pool, fl, idx)
    c = fl.c[:, idx]
    q, s = c.shape[:2]
    wr = None if w is None else np.repeat(w, s, axis=0)  # per row (question-major)
    if isinstance(proto, Align):
        y, r = cache["agent"]
        rows = (q * s, proto.agents, proto.per_agent)

        def rw(a: np.ndarray) -> np.ndarray:
            return a.reshape(rows)

        v = _align(proto, rw(c), rw(fl.cls[:, idx]), rw(y), rw(r), rw(fl.xhat[:, idx]), wr)
        return v.reshape(q, s).sum(axis=1)
    flat = (q, s, -1)
    cf = c.reshape(flat)
    if isinstance(proto, MajorityVote):
        return _plurality(fl.cls[:, idx].reshape(flat), cf).sum(axis=1)
    if isinstance(proto, FilterVote):
        cls = fl.cls[:, idx].reshape(flat)
        acc = (fl.yraw[:, idx] > 0.5).reshape(flat)
        cnt = _counts(cls, acc.astype(float))
        any_acc = acc.any(axis=-1)
        lead = acc & (cnt == np.where(acc, cnt, -1).max(axis=-1, keepdims=True))
        with np.errstate(invalid="ignore", divide="ignore"):
            inv = np.where(lead, 1.0 / np.maximum(cnt, 1e-300), 0.0)
            filt = (cf * inv).sum(-1) / inv.sum(-1)
        return np.where(any_acc, filt, _plurality(cls, cf)).sum(axis=1)
    if isinstance(proto, PrincipalBestOfN):
        return _tie_mean(fl.xhat[:, idx].reshape(flat), cf).sum(axis=1)
    y, r = cache["agent"]
    if isinstance(proto, SingleAgent):
        return _tie_mean(y.reshape(flat), cf).sum(axis=1)
    if isinstance(proto, Shortlist):
        if proto.principal == "vote":
            raise ValueError("Shortlist's principal must be 'exact', 'judge' or 'bayes' on a pool")
        rows2 = (q * s, -1)
        pk = _principal_key(
            proto.principal, cf.reshape(rows2), fl.xhat[:, idx].reshape(rows2), r.reshape(rows2), wr
        )
        v = _shortlist(proto.size, cf.reshape(rows2), y.reshape(rows2), pk)
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
        for p in group:
            if isinstance(p, Align) and p.principal != "exact":
                width = max(width, p.per_agent**p.agents * p.agents)
            if isinstance(p, Shortlist | MajorityVote | FilterVote):
                width = max(width, (g * k) ** 2 * 2)
        step = max(1, _CHUNK // max(1, q * width))
        tot = {p: np.zeros(q) for p in group}
        for lo in range(0, s_all, step):
            cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # shared by the group
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
