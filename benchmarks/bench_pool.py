"""Pool engine benchmark: every protocol at every budget on a synthetic pool, with bootstrap.

A pool of Q questions × A agents × K samples drawn from a BernoulliModel (0/1 verdicts, so
ties are everywhere: the slow path of every rule). Every (m, k) grid cell: Align with its
four principal rules and the baselines on the same candidates; every n ≤ N on the pooled
pipeline: SingleAgent, MajorityVote, Shortlist, PrincipalBestOfN, Oracle, RandomPick; then
2,000 bootstrap resamples of every series at once. Usage:

    python benchmarks/bench_pool.py [Q A K]        # default 1319 4 4
    python benchmarks/bench_pool.py --scaling      # time vs Q and vs N

Cells with more than ``cap`` = 256 sub-pools per question are sampled (256 uniform draws
per question; the report lists them); the others are exact. Each line gives the wall time
and this process's CPU time (``time.process_time``: the fairer figure on a shared machine)
and the 1-minute load average when it ended.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from align_theory import (
    Align,
    BernoulliModel,
    EmpiricalPool,
    FilterVote,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
)
from align_theory.exact.empirical import is_sampled, pool_values_many
from align_theory.protocols import Protocol
from align_theory.results import bootstrap

MODEL = BernoulliModel(
    1.0,
    3.0,
    agent_tpr=0.8,
    agent_fpr=0.3,
    principal_tpr=0.7,
    principal_fpr=0.2,
    diversity=4.0,
    wrong_answers=3,
)


def synthetic(q: int, a: int, k: int, seed: int = 0) -> EmpiricalPool:
    d = MODEL.sample(np.random.default_rng(seed), a, k, trials=q)
    return EmpiricalPool(d.correct, d.answer, d.y, d.xhat)


def run(q: int, a: int, k: int, reps: int = 2000, cap: int = 256) -> tuple[float, float, int, int]:
    """(wall s, CPU s, series, sampled series) of every protocol at every budget + bootstrap."""
    pool = synthetic(q, a, k)
    pooled = pool.pooled()
    t0, c0 = time.perf_counter(), time.process_time()
    grid: list[Protocol] = []
    for m in range(1, a + 1):
        for kk in range(1, k + 1):
            n = m * kk
            grid += [Align(m, kk, r) for r in ("exact", "judge", "bayes", "vote")]
            grid += [SingleAgent(n, agents=m), MajorityVote(n, agents=m), FilterVote(n, agents=m)]
            grid += [PrincipalBestOfN(n, agents=m), RandomPick(n, agents=m), Oracle(n, agents=m)]
    uni: list[Protocol] = []
    for n in range(1, a * k + 1):
        uni += [SingleAgent(n), MajorityVote(n), Shortlist(n, min(a, n), "judge")]
        uni += [PrincipalBestOfN(n), Oracle(n), RandomPick(n)]
    vals = pool_values_many(pool, grid, cap=cap) | pool_values_many(pooled, uni, cap=cap)
    series = {f"{i}": v for i, v in enumerate(vals.values())}
    bootstrap(series, reps=reps)
    sampled = sum(is_sampled(pool, p, cap) for p in grid) + sum(
        is_sampled(pooled, p, cap) for p in uni
    )
    return time.perf_counter() - t0, time.process_time() - c0, len(series), sampled


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> None:
    if "--scaling" in sys.argv:
        for q in (330, 660, 1319):
            t, cpu, s, _ = run(q, 4, 4)
            print(f"Q={q:5d} A=4 K=4: {t:6.1f} s wall, {cpu:6.1f} s CPU ({s} series), {_load()}")
        for a, k in ((2, 2), (2, 4), (4, 2), (4, 4), (4, 6)):
            t, cpu, s, smp = run(1319, a, k)
            print(
                f"Q=1319 A={a} K={k} (N={a * k}): {t:6.1f} s wall, {cpu:6.1f} s CPU "
                f"({s} series, {smp} sampled), {_load()}"
            )
        return
    q, a, k = (int(x) for x in sys.argv[1:4]) if len(sys.argv) >= 4 else (1319, 4, 4)
    t, cpu, s, smp = run(q, a, k)
    print(
        f"Q={q} A={a} K={k}: {t:.1f} s wall, {cpu:.1f} s CPU for {s} protocol series "
        f"(+2000 bootstrap), {smp} sampled, {_load()}"
    )


if __name__ == "__main__":
    main()
