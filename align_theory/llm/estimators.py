"""Every protocol at every budget from one run: subsampling estimators and bootstrap CIs.

A question's candidates form an M×K grid. For a budget the protocol reads a random
sub-pool; its accuracy on the question is the average, over sub-pools, of the (expected)
correctness of its output. Averaging over *all* sub-pools (exact enumeration when their
number is at most ``cap``) gives the unbiased estimator of the accuracy of the protocol run
with that budget (a U-statistic); above ``cap`` a uniform random sample of ``cap`` sub-pools
gives an unbiased Monte Carlo estimate of the same quantity. Sub-pools:

* ``grid(m, k)``: m of the M agents (uniformly), k of each chosen agent's K samples.
  Align with m agents × k per agent, and every baseline at n = m·k on the same candidates
  (the fair comparison of T1);
* ``uniform(n)``: n of the N pooled candidates, uniformly (baselines at every n ≤ N).

Scores and rules (tie rules documented here, used everywhere):

* agent score y of a candidate (``agent_score``, :func:`agent_scores`), from its vote
  share s (the share of its answer among the candidates its agent holds; within-group,
  pooled for a single pipeline), its mean token log-probability ℓ and, when the run has
  self-verification calls, the agent's confidence v = P(yes) in it:

  - ``"vote"`` (default): y = s + 10⁻³·σ(ℓ), report r = s (log-prob breaks share ties;
    shares differ by ≥ 1/K ≫ 10⁻³);
  - ``"vote+verify"``: y = s + 10⁻³·v, r = s (self-verification breaks share ties);
  - ``"verify"``: y = v + 10⁻⁶·s, r = v (the agent's own verdict is its score).

  A candidate without v (call failed, or no yes/no in the reply) has v = 1/2. The agent
  proposes its argmax-y candidate (uniformly among ties: the estimator averages over the
  agents' tied combinations) and reports r.
* Align principal rules: ``judge`` argmax x̂ over proposals; ``bayes`` argmax of the
  fitted logistic score w_r·r + w_x·x̂ (:func:`fit_bayes`); ``vote`` the class with the
  largest sum of reports; ``exact`` any proposal correct (reference upper bound).
* SingleAgent: argmax y over the sub-pool with pooled vote shares. RandomPick: mean
  correctness. MajorityVote: plurality class. Shortlist: top-m by pooled y (a tie at the
  cut is a uniform choice among the tied), then argmax x̂.
  PrincipalBestOfN: argmax x̂ over all n (n judge calls). Oracle: any correct (pass@n).
* Every argmax tie (equal keys) is broken uniformly at random: the estimator takes the
  mean correctness over the tied set, its exact expectation.

pass@k uses the unbiased estimator 1 − C(N−c, k)/C(N, k) (Chen et al. 2021, Codex).
Bootstrap CIs resample questions with replacement (same resamples for every protocol, so
paired differences have CIs too); percentile intervals.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from align_theory.llm.scoring import QuestionTable

__all__ = [
    "AGENT_SCORES",
    "ALIGN_RULES",
    "BASELINES",
    "BayesWeights",
    "Estimate",
    "agent_scores",
    "bootstrap",
    "evaluate_grid",
    "evaluate_uniform",
    "fit_bayes",
    "pass_at_k",
    "protocol_costs",
]

ALIGN_RULES: tuple[str, ...] = ("judge", "bayes", "vote", "exact")
AGENT_SCORES: tuple[str, ...] = ("vote", "vote+verify", "verify")
BASELINES: tuple[str, ...] = (
    "RandomPick",
    "SingleAgent",
    "MajorityVote",
    "Shortlist",
    "PrincipalBestOfN",
    "Oracle",
)


@dataclass(frozen=True)
class BayesWeights:
    """Logistic P(correct | r, x̂) = σ(b + w_r·r + w_x·x̂)."""

    b: float
    w_r: float
    w_x: float

    def score(self, r: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The ranking score w_r·r + w_x·x̂ (σ and b do not change the argmax)."""
        return self.w_r * r + self.w_x * x


def fit_bayes(
    tables: Sequence[QuestionTable], ridge: float = 1e-2, *, agent_score: str = "vote"
) -> BayesWeights:
    """Fit σ(b + w_r·r + w_x·x̂) to correctness by ridge-penalized Newton iterations.

    Features per candidate: r = the report its agent would make for it under
    ``agent_score`` (its answer's vote share within the agent's K samples, or its
    self-verification v), x̂ = judge P(yes). Fitted on a calibration split of questions,
    applied to the others.
    """
    feats, ys = [], []
    for t in tables:
        m, _ = t.shape
        for a in range(m):
            _, r = agent_scores(t.cls[a], t.logprob[a], t.verify[a], agent_score)
            for i in range(len(r)):
                feats.append((1.0, float(r[i]), float(t.xhat[a, i])))
                ys.append(float(t.correct[a, i]))
    if not feats:
        return BayesWeights(0.0, 1.0, 1.0)
    x = np.asarray(feats)
    y = np.asarray(ys)
    w = np.zeros(3)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) + ridge * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + ridge * np.eye(3)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return BayesWeights(float(w[0]), float(w[1]), float(w[2]))


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(v, -50, 50)))


def _argmax_mean(keys: np.ndarray, values: np.ndarray) -> float:
    """Mean of ``values`` over the argmax set of ``keys`` (uniform tie-break expectation)."""
    best = keys.max()
    mask = keys >= best - 1e-12
    return float(values[mask].mean())


def _shares(cls: np.ndarray) -> np.ndarray:
    """Vote share of each entry's class within the 1-D array ``cls``."""
    return (cls[:, None] == cls[None, :]).mean(axis=1)


def _plurality(cls: np.ndarray, correct: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Expected correctness of the (weighted) plurality class, ties uniformly at random."""
    labels = np.unique(cls)
    w = np.ones(len(cls)) if weights is None else weights
    tot = np.array([w[cls == c].sum() for c in labels])
    acc = np.array([correct[cls == c].mean() for c in labels])
    return _argmax_mean(tot, acc)


def agent_scores(
    cls: np.ndarray, logprob: np.ndarray, verify: np.ndarray, agent_score: str = "vote"
) -> tuple[np.ndarray, np.ndarray]:
    """(y, r) of the candidates one agent (or one pooled pipeline) holds.

    ``cls``, ``logprob``, ``verify``: 1-D arrays over those candidates (answer class, mean
    token log-prob ℓ, self-verification v, NaN when absent). With s = vote share of the
    candidate's class among them: ``"vote"`` y = s + 10⁻³·σ(ℓ), r = s; ``"vote+verify"``
    y = s + 10⁻³·v, r = s; ``"verify"`` y = v + 10⁻⁶·s, r = v; a missing v counts as 1/2.
    """
    _check_agent_score(agent_score)
    share = _shares(cls)
    if agent_score == "vote":
        return share + 1e-3 * _sigmoid(logprob), share
    v = np.where(np.isfinite(verify), verify, 0.5)
    if agent_score == "vote+verify":
        return share + 1e-3 * v, share
    return v + 1e-6 * share, v  # "verify"


TIE_CAP = 256
"""Most combinations of agents' tied proposals enumerated per pool; above it, that many are
drawn uniformly (an unbiased Monte Carlo estimate of the same tie-break expectation)."""


def _align_once(
    proposals: Sequence[tuple[float, float, float, int]], bayes: BayesWeights
) -> np.ndarray:
    c = np.fromiter((p[0] for p in proposals), dtype=float)
    x = np.fromiter((p[1] for p in proposals), dtype=float)
    r = np.fromiter((p[2] for p in proposals), dtype=float)
    cls = np.fromiter((p[3] for p in proposals), dtype=int)
    return np.array(
        [
            _argmax_mean(x + 1e-6 * r, c),
            _argmax_mean(bayes.score(r, x), c),
            _plurality(cls, c, r),
            float(c.max()),
        ]
    )


def _align(
    t: QuestionTable,
    groups: Sequence[tuple[int, Sequence[int]]],
    bayes: BayesWeights,
    rng: np.random.Generator,
    agent_score: str = "vote",
) -> dict[str, float]:
    """Align's expected correctness on one pool, every rule.

    Each agent proposes an argmax-y candidate, uniformly among tied ones (y ties need equal
    vote shares *and* equal mean log-probabilities, so they arise mainly in runs without
    log-probabilities). The outcome is averaged over every combination of the agents'
    tied proposals (the exact expectation when there are ≤ :data:`TIE_CAP` combinations,
    else an unbiased estimate from that many uniform draws of ``rng``).
    """
    options: list[list[tuple[float, float, float, int]]] = []
    for a, idx in groups:
        ix = np.asarray(idx)
        y, r = agent_scores(t.cls[a, ix], t.logprob[a, ix], t.verify[a, ix], agent_score)
        tied = np.flatnonzero(y >= y.max() - 1e-12)
        options.append(
            [
                (
                    float(t.correct[a, ix[j]]),
                    float(t.xhat[a, ix[j]]),
                    float(r[j]),
                    int(t.cls[a, ix[j]]),
                )
                for j in tied
            ]
        )
    n_combos = math.prod(len(o) for o in options)
    if n_combos <= TIE_CAP:
        combos: Iterator[tuple[tuple[float, float, float, int], ...]] = itertools.product(*options)
    else:
        picks = [rng.integers(0, len(o), size=TIE_CAP) for o in options]
        combos = (
            tuple(o[int(p[s])] for o, p in zip(options, picks, strict=True)) for s in range(TIE_CAP)
        )
    vals = np.mean([_align_once(c, bayes) for c in combos], axis=0)
    names = ("Align-judge", "Align-bayes", "Align-vote", "Align-exact")
    return dict(zip(names, vals.tolist(), strict=True))


def _shortlist(
    y: np.ndarray, x: np.ndarray, c: np.ndarray, m: int, rng: np.random.Generator
) -> float:
    """Shortlist's expected correctness: the principal judges the top ``m`` by y and
    picks argmax x̂; a tie at the cut is a uniformly random choice among the tied
    candidates (averaged over all choices when ≤ :data:`TIE_CAP`, else sampled)."""
    m = min(m, len(y))
    cut = np.sort(y)[::-1][m - 1]
    sure = np.flatnonzero(y > cut + 1e-12)
    tied = np.flatnonzero(np.abs(y - cut) <= 1e-12)
    need = m - len(sure)
    vals = []
    for pick in _subsets(len(tied), need, TIE_CAP, rng):
        chosen = np.concatenate([sure, tied[list(pick)]])
        vals.append(_argmax_mean(x[chosen], c[chosen]))
    return float(np.mean(vals))


def _baselines(
    t: QuestionTable,
    cells: Sequence[tuple[int, int]],
    shortlist: int,
    rng: np.random.Generator,
    agent_score: str = "vote",
) -> dict[str, float]:
    a_idx = np.fromiter((a for a, _ in cells), dtype=int)
    i_idx = np.fromiter((i for _, i in cells), dtype=int)
    cls = t.cls[a_idx, i_idx]
    c = t.correct[a_idx, i_idx].astype(float)
    x = t.xhat[a_idx, i_idx]
    y, _ = agent_scores(cls, t.logprob[a_idx, i_idx], t.verify[a_idx, i_idx], agent_score)
    return {
        "RandomPick": float(c.mean()),
        "SingleAgent": _argmax_mean(y, c),
        "MajorityVote": _plurality(cls, c),
        "Shortlist": _shortlist(y, x, c, shortlist, rng),
        "PrincipalBestOfN": _argmax_mean(x, c),
        "Oracle": float(c.max()),
    }


def _subsets(n: int, r: int, cap: int, rng: np.random.Generator) -> Iterator[tuple[int, ...]]:
    """All r-subsets of range(n) when there are ≤ cap, else cap uniform random ones."""
    if math.comb(n, r) <= cap:
        yield from itertools.combinations(range(n), r)
    else:
        for _ in range(cap):
            yield tuple(sorted(rng.choice(n, size=r, replace=False).tolist()))


def _grid_pools(
    m_all: int, k_all: int, m: int, k: int, cap: int, rng: np.random.Generator
) -> Iterator[list[tuple[int, tuple[int, ...]]]]:
    total = math.comb(m_all, m) * math.comb(k_all, k) ** m
    if total <= cap:
        per = list(itertools.combinations(range(k_all), k))
        for agents in itertools.combinations(range(m_all), m):
            for picks in itertools.product(per, repeat=m):
                yield list(zip(agents, picks, strict=True))
    else:
        for _ in range(cap):
            chosen = sorted(rng.choice(m_all, size=m, replace=False).tolist())
            yield [
                (a, tuple(sorted(rng.choice(k_all, size=k, replace=False).tolist())))
                for a in chosen
            ]


def evaluate_grid(
    t: QuestionTable,
    m: int,
    k: int,
    bayes: BayesWeights,
    *,
    cap: int = 2048,
    seed: int = 0,
    agent_score: str = "vote",
) -> dict[str, float]:
    """Per-question accuracy of Align (every rule) and every baseline on grid(m, k) pools.

    Shortlist sends the top m (the principal's budget equals Align's). ``agent_score``
    picks the agents' y and r (:func:`agent_scores`).
    """
    _check_agent_score(agent_score)
    m_all, k_all = t.shape
    rng = np.random.default_rng(seed)
    sums: dict[str, float] = {}
    count = 0
    for pool in _grid_pools(m_all, k_all, m, k, cap, rng):
        res = _align(t, pool, bayes, rng, agent_score)
        cells = [(a, i) for a, idx in pool for i in idx]
        res |= _baselines(t, cells, shortlist=m, rng=rng, agent_score=agent_score)
        for key, v in res.items():
            sums[key] = sums.get(key, 0.0) + v
        count += 1
    return {key: v / count for key, v in sums.items()}


def evaluate_uniform(
    t: QuestionTable,
    n: int,
    shortlist: int,
    *,
    cap: int = 512,
    seed: int = 0,
    agent_score: str = "vote",
) -> dict[str, float]:
    """Per-question accuracy of every baseline on uniform n-subsets of the pooled N."""
    _check_agent_score(agent_score)
    m_all, k_all = t.shape
    cells_all = [(a, i) for a in range(m_all) for i in range(k_all)]
    rng = np.random.default_rng(seed)
    sums: dict[str, float] = {}
    count = 0
    for sub in _subsets(len(cells_all), n, cap, rng):
        res = _baselines(
            t,
            [cells_all[j] for j in sub],
            shortlist=min(shortlist, n),
            rng=rng,
            agent_score=agent_score,
        )
        for key, v in res.items():
            sums[key] = sums.get(key, 0.0) + v
        count += 1
    return {key: v / count for key, v in sums.items()}


def _check_agent_score(agent_score: str) -> None:
    if agent_score not in AGENT_SCORES:
        raise ValueError(f"agent_score must be one of {AGENT_SCORES}, got {agent_score!r}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct: 1 − C(n−c, k)/C(n, k)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError("need 0 ≤ c ≤ n and 1 ≤ k ≤ n")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


@dataclass(frozen=True)
class Estimate:
    """Mean over questions with a bootstrap percentile interval."""

    mean: float
    lo: float
    hi: float


def bootstrap(
    values: dict[str, np.ndarray], *, reps: int = 2000, level: float = 0.95, seed: int = 0
) -> dict[str, Estimate]:
    """Percentile bootstrap over questions; one resample of questions shared by all keys."""
    if not values:
        return {}
    q = len(next(iter(values.values())))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, q, size=(reps, q))
    alpha = (1 - level) / 2
    out = {}
    for key, v in values.items():
        arr = np.asarray(v, dtype=float)
        means = arr[idx].mean(axis=1)
        lo, hi = np.quantile(means, [alpha, 1 - alpha])
        out[key] = Estimate(float(arr.mean()), float(lo), float(hi))
    return out


def protocol_costs(
    tables: Sequence[QuestionTable], protocol: str, n: int, m: int
) -> dict[str, float]:
    """Mean per-question cost at budget n (m = proposals / shortlist size).

    Candidates generated n; judge calls: Align m, Shortlist m, PrincipalBestOfN n, else 0;
    tokens: n × mean generation tokens (prompt + completion) + judge calls × mean judge
    tokens, both averaged over the question's candidates.
    """
    gen = float(np.mean([t.gen_tokens.mean() for t in tables])) if tables else 0.0
    jud = float(np.mean([t.judge_tokens.mean() for t in tables])) if tables else 0.0
    if protocol.startswith("Align") or protocol == "Shortlist":
        calls = 0 if protocol == "Align-exact" else m
    elif protocol == "PrincipalBestOfN":
        calls = n
    else:
        calls = 0
    return {"candidates": n, "judge_calls": calls, "tokens": n * gen + calls * jud}
