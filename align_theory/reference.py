"""The independent numpy engine, kept as a reference for the JAX engine's tests.

The JAX engine of :mod:`align_theory.montecarlo` is cross-checked against it in the tests;
it is not used by the public API. Every candidate of every trial is drawn (the
"exact-candidates" mode), in fixed blocks of ``BLOCK`` trials; block i uses the random
stream ``SeedSequence(seed).spawn(...)[i]``, split into a law stream and a tie-break
stream. Models G and B are drawn by their one numpy law (``GaussianModel.sample``,
``BernoulliModel.sample`` in :mod:`align_theory.models`), independent of the JAX kernels'
sampling; recorded pools are replayed by a uniformly drawn question. :func:`compare`
evaluates several protocols on the same draws (common random numbers): protocols of one
pool layout (n candidates from g agents) read the same candidates.

Examples
--------
>>> from align_theory import GaussianModel, RandomPick
>>> est = simulate(GaussianModel(mu=1.0), RandomPick(4), trials=2048, seed=0)
>>> abs(est.mean - 1.0) < 4 * est.stderr
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from align_theory._validate import positive_int
from align_theory.exact.posterior import posterior_mean
from align_theory.models import BernoulliModel, EmpiricalPool, GaussianModel, Model
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
from align_theory.results import CompareResult, Estimate

__all__ = ["BLOCK", "compare", "simulate"]

BLOCK = 1024
"""Trials per random-number block (the unit that makes results chunk-size independent)."""


# ---------------------------------------------------------------------------- draws


@dataclass(frozen=True)
class _Pool:
    """One chunk of candidates laid out as (trials, agents g, per-agent k)."""

    x: np.ndarray
    y: np.ndarray
    xhat: np.ndarray
    offsets: np.ndarray  # (g,) agent score offsets (model G), zeros otherwise
    answer: np.ndarray | None  # model B / pools: answer ids, 0 = the correct answer
    tie: np.ndarray  # uniforms for the agents' tie-breaks
    tie2: np.ndarray  # uniforms for the principal's tie-breaks
    vote_tie: np.ndarray | None  # (trials, answers) uniforms for vote ties
    discrete: bool


def _ties(model: Model, rng: np.random.Generator, t: int, n: int) -> dict[str, np.ndarray]:
    """Tie-break uniforms (and, for a recorded pool, the drawn questions) of one block."""
    base: dict[str, np.ndarray] = {"tie": rng.random((t, n)), "tie2": rng.random((t, n))}
    if isinstance(model, BernoulliModel):
        base["vote_tie"] = rng.random((t, model.wrong_answers + 1))
    elif isinstance(model, EmpiricalPool):
        q, a, k = model.shape
        base["question"] = rng.integers(0, q, size=t)
        # a uniform sub-pool: a random order of the agents and of each agent's samples
        base["agent_order"] = np.argsort(rng.random((t, a)), axis=1)
        base["sample_order"] = np.argsort(rng.random((t, a, k)), axis=2)
        base["vote_tie"] = rng.random((t, int(model.answers.max()) + 2 + a * k))
    return base


def _layout(
    model: Model, law: np.random.SeedSequence, base: dict[str, np.ndarray], n: int, g: int
) -> _Pool:
    """The pool of n = g·k candidates of one block. Models G and B are drawn by their one
    numpy law, ``model.sample`` (:mod:`align_theory.models`), from a generator started
    afresh at the block's law seed for every layout, so protocols of one layout share
    their draws (and layouts share what the law draws first)."""
    t = base["tie"].shape[0]
    k = n // g

    def shape(a: np.ndarray) -> np.ndarray:
        return a.reshape(t, g, k)

    tie, tie2 = shape(base["tie"][:, :n]), shape(base["tie2"][:, :n])
    if isinstance(model, GaussianModel):
        gd = model.sample(np.random.default_rng(law), g, k, t)
        return _Pool(gd.x, gd.y, gd.xhat, model.offsets(g), None, tie, tie2, None, False)
    if isinstance(model, BernoulliModel):
        bd = model.sample(np.random.default_rng(law), g, k, t)
        return _Pool(
            bd.correct.astype(float),
            bd.y,
            bd.xhat,
            np.zeros(g),
            bd.answer,
            tie,
            tie2,
            base["vote_tie"],
            True,
        )
    # empirical pool
    _, a_rec, k_rec = model.shape
    qi = base["question"]
    if g > a_rec or k > k_rec:
        raise ValueError(
            f"a layout of {g} agent(s) x {k} candidate(s) exceeds the recorded {a_rec} x "
            f"{k_rec}; choose agents= so that n/agents <= {k_rec}, or use pool.pooled()"
        )
    agents = base["agent_order"][:, :g]
    samples = np.take_along_axis(base["sample_order"], agents[:, :, None], axis=1)[:, :, :k]

    def pick(arr: np.ndarray) -> np.ndarray:
        rows = np.take_along_axis(arr[qi], agents[:, :, None], axis=1)
        return np.take_along_axis(rows, samples, axis=2)

    correct = pick(model.correct)
    ans = pick(model.answers)
    # re-code answers so that 0 = the correct answer, positives = wrong ones, and each
    # unparsed candidate a class of its own
    corr_id = np.where(correct.any(axis=(1, 2)), _first_correct_id(correct, ans), -2)
    own = int(model.answers.max()) + 2 + np.arange(n).reshape(1, g, k)
    recoded = np.where(ans == corr_id[:, None, None], 0, np.where(ans < 0, own, ans + 1))
    return _Pool(
        correct.astype(float),
        pick(model.agent_score),
        pick(model.principal_score),
        np.zeros(g),
        recoded,
        tie * model.tie_scale("agent_score"),  # recorded scores may be continuous: the
        tie2 * model.tie_scale("principal_score"),  # tie-break orders equal scores only
        base["vote_tie"],
        True,
    )


def _first_correct_id(correct: np.ndarray, ans: np.ndarray) -> np.ndarray:
    flat_c = correct.reshape(correct.shape[0], -1)
    flat_a = ans.reshape(ans.shape[0], -1)
    return flat_a[np.arange(flat_a.shape[0]), flat_c.argmax(axis=1)]


# ---------------------------------------------------------------------------- selection


def _key(score: np.ndarray, tie: np.ndarray, discrete: bool) -> np.ndarray:
    """Ranking key: the score, with ties broken uniformly at random (discrete scores
    take values on a grid of spacing >= 1 in every model that has ties)."""
    return score + tie if discrete else score


def _take(a: np.ndarray, idx: np.ndarray, axis: int) -> np.ndarray:
    return np.take_along_axis(a, np.expand_dims(idx, axis), axis=axis).squeeze(axis)


def _principal_pick(
    model: Model,
    rule: str,
    x: np.ndarray,
    y: np.ndarray,
    xhat: np.ndarray,
    offsets: np.ndarray,
    tie2: np.ndarray,
    discrete: bool,
    per_agent: int | None = None,
) -> np.ndarray:
    """Index (along the last axis) of the proposal the principal selects. ``per_agent``:
    each proposal is the best of that many of its own agent's candidates (Align); None for
    one agent's shortlist, where ``bayes`` ranks as ``linear`` (one shared level)."""
    if rule == "exact":
        score = x
    elif rule == "judge":
        score = xhat
    else:
        if not isinstance(model, GaussianModel):
            raise NotImplementedError(
                f"the {rule!r} principal is defined for model G only; use principal='judge'"
            )
        if rule == "bayes" and per_agent is not None:
            score = posterior_mean(model, y, xhat, per_agent)
        else:
            wy, wx = model.linear_weights
            score = wy * (y - offsets) + wx * xhat
    return np.argmax(_key(score, tie2, discrete), axis=-1)


def _vote(answer: np.ndarray, mask: np.ndarray | None, vote_tie: np.ndarray) -> np.ndarray:
    """1.0 where the plurality answer (over ``mask``-ed candidates) is the correct one (id 0).
    Negative ids never win (recorded pools give each unparsed candidate an id of its own).
    Ties broken by the per-trial uniforms."""
    t = answer.shape[0]
    ids = answer.reshape(t, -1)
    w = np.ones(ids.shape) if mask is None else mask.reshape(t, -1).astype(float)
    w = np.where(ids < 0, 0.0, w)
    width = vote_tie.shape[1]
    counts = np.zeros((t, width))
    np.add.at(counts, (np.arange(t)[:, None], np.clip(ids, 0, width - 1)), w)
    win = np.argmax(counts + vote_tie * 0.5, axis=1)
    return ((win == 0) & (counts.max(axis=1) > 0)).astype(float)


def _utility(model: Model, proto: Protocol, pool: _Pool) -> np.ndarray:
    t = pool.x.shape[0]
    x, y, xh, d = pool.x, pool.y, pool.xhat, pool.discrete
    if isinstance(proto, Align):
        idx = np.argmax(_key(y, pool.tie, d), axis=2)
        px, py, pxh = _take(x, idx, 2), _take(y, idx, 2), _take(xh, idx, 2)
        pick = _principal_pick(
            model,
            proto.principal,
            px,
            py,
            pxh,
            pool.offsets[None, :],
            pool.tie2[:, :, 0],
            d,
            proto.per_agent,
        )
        return _take(px, pick, 1)
    fx, fy, fxh = x.reshape(t, -1), y.reshape(t, -1), xh.reshape(t, -1)
    ftie = pool.tie.reshape(t, -1)
    if isinstance(proto, SingleAgent):
        return _take(fx, np.argmax(_key(fy, ftie, d), axis=1), 1)
    if isinstance(proto, RandomPick):
        return fx[:, 0].copy()
    if isinstance(proto, Oracle):
        return fx.max(axis=1)
    if isinstance(proto, PrincipalBestOfN):
        return _take(fx, np.argmax(_key(fxh, pool.tie2.reshape(t, -1), d), axis=1), 1)
    if isinstance(proto, Shortlist):
        order = np.argsort(-_key(fy, ftie, d), axis=1, kind="stable")[:, : proto.size]
        sx, sy, sxh = (np.take_along_axis(a, order, axis=1) for a in (fx, fy, fxh))
        offs = np.zeros((1, proto.size))
        pick = _principal_pick(
            model, proto.principal, sx, sy, sxh, offs, pool.tie2.reshape(t, -1)[:, : proto.size], d
        )
        return _take(sx, pick, 1)
    if isinstance(proto, MajorityVote | FilterVote):
        if pool.answer is None or pool.vote_tie is None:
            raise ValueError(
                f"{type(proto).__name__} needs discrete answers: "
                "use BernoulliModel or EmpiricalPool"
            )
        if isinstance(proto, MajorityVote):
            return _vote(pool.answer, None, pool.vote_tie)
        acc = fy > 0.5  # verdicts in model B; recorded scores above 1/2 in a pool
        none = ~acc.any(axis=1, keepdims=True)
        mask = acc | none
        return _vote(pool.answer, mask, pool.vote_tie)
    raise TypeError(f"unknown protocol {proto!r}")


# ---------------------------------------------------------------------------- drivers


def _check_run(trials: int, seed: int) -> None:
    positive_int("trials", trials, 2)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def _blocks(trials: int, seed: int) -> list[tuple[np.random.SeedSequence, int]]:
    nblocks = -(-trials // BLOCK)
    seqs = np.random.SeedSequence(int(seed)).spawn(nblocks)
    sizes = [BLOCK] * (nblocks - 1) + [trials - BLOCK * (nblocks - 1)]
    return list(zip(seqs, sizes, strict=True))


def _run(
    model: Model, protocols: Sequence[Protocol], trials: int, seed: int
) -> tuple[np.ndarray, np.ndarray, int, list[tuple[int, int]]]:
    """Sums and cross-products of the per-trial utilities, and T1 violations."""
    _check_run(trials, seed)
    n_max = max(pool_layout(p)[0] for p in protocols)
    pairs = [
        (i, j)
        for i, p in enumerate(protocols)
        for j, q in enumerate(protocols)
        if isinstance(p, Align)
        and p.principal == "exact"
        and isinstance(q, SingleAgent)
        and (q.n, q.agents) == (p.n, p.agents)
    ]
    np_ = len(protocols)
    s1 = np.zeros(np_)
    s2 = np.zeros((np_, np_))
    violations = 0
    for seq, size in _blocks(trials, seed):
        law, ties = seq.spawn(2)
        base = _ties(model, np.random.default_rng(ties), size, n_max)
        pools: dict[tuple[int, int], _Pool] = {}
        us = []
        for p in protocols:
            lay = pool_layout(p)
            if lay not in pools:
                pools[lay] = _layout(model, law, base, *lay)
            us.append(_utility(model, p, pools[lay]))
        u = np.stack(us)
        s1 += u.sum(axis=1)
        s2 += u @ u.T
        for i, j in pairs:
            violations += int(np.sum(u[i] < u[j] - 1e-12))
    return s1, s2, violations, pairs


def _estimate(s: float, ss: float, n: int) -> Estimate:
    mean = s / n
    var = max(ss / n - mean * mean, 0.0) * n / (n - 1)
    return Estimate(float(mean), float(math.sqrt(var / n)), n)


def simulate(model: Model, protocol: Protocol, *, trials: int, seed: int = 0) -> Estimate:
    """Monte Carlo estimate of E[x of the protocol's output] under ``model`` (numpy).

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocol : Protocol
        Any registered protocol the model defines.
    trials : int
        Independent questions (≥ 2), each with all candidates drawn.
    seed : int
        Non-negative; same seed, same numbers.

    Returns
    -------
    Estimate
        Mean and standard error (sample standard deviation over √trials).

    Examples
    --------
    >>> from align_theory import BernoulliModel, Oracle
    >>> est = simulate(BernoulliModel(1.0, 1.0), Oracle(3), trials=2048)
    >>> abs(est.mean - 0.75) < 4 * est.stderr   # E[1 − (1 − θ)³] = 3/4
    True
    """
    s1, s2, _, _ = _run(model, [protocol], trials, seed)
    return _estimate(s1[0], s2[0, 0], trials)


def compare(
    model: Model, protocols: Sequence[Protocol], *, trials: int, seed: int = 0
) -> CompareResult:
    """Evaluate every protocol on the same draws (common random numbers).

    Returns per-protocol estimates, the paired difference E[u_i − u_j] for every pair i < j
    with its own standard error, and the number of draws violating T1's pointwise order
    x_Align ≥ x_SA for each (Align exact, SingleAgent) pair reading the same pool.

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocols : sequence of Protocol
        Non-empty.
    trials, seed : int
        As in :func:`simulate`.

    Returns
    -------
    CompareResult
        Estimates, paired differences and T1 violation counts.

    Examples
    --------
    >>> from align_theory import Align, GaussianModel, SingleAgent
    >>> res = compare(GaussianModel(), [Align(2, 2), SingleAgent(4, 2)], trials=2048)
    >>> res.t1_violations
    0
    """
    if not protocols:
        raise ValueError("protocols must be a non-empty sequence")
    s1, s2, viol, pairs = _run(model, list(protocols), trials, seed)
    ests = tuple(_estimate(s1[i], s2[i, i], trials) for i in range(len(protocols)))
    diffs = {}
    for i, j in combinations(range(len(protocols)), 2):
        sd = s1[i] - s1[j]
        ssd = s2[i, i] + s2[j, j] - 2 * s2[i, j]
        diffs[(i, j)] = _estimate(sd, ssd, trials)
    return CompareResult(tuple(protocols), ests, diffs, viol, tuple(pairs))
