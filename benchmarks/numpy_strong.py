"""A strong numpy baseline: what a careful researcher writes for Align(8, 8, "judge").

Same workload as ``bench_montecarlo.py`` (homogeneous model G, ρ_b = ρ_w = 0.3, τ = 1,
κ = 0.5) and the same sufficient statistics as the engine's ``sufficient`` sampler: per
trial Z₀ and, per agent, the pick's V = Φ⁻¹(U^{1/K}) (the maximum of K normals), ε (x | y)
and ν (x̂ | x): 25 numbers, float32 where numpy has it, in chunks of 2¹⁶ trials (memory
bounded), PCG64. The estimate is E[x of the selected proposal] with its standard error.

Run as a whole process (the "time to first result" baseline):
``python benchmarks/numpy_strong.py --trials 100000``.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy.special import ndtri

M, K = 8, 8
RHO, TAU, KAPPA = 0.3, 1.0, 0.5


SWEEP_KAPPAS = [0.1 * (i + 1) for i in range(20)]
SWEEP_TAUS = [0.25, 0.5, 1.0, 2.0, 4.0]
"""The 100-point sweep of the benchmarks: 20 κ × 5 τ."""


def strong_numpy(
    trials: int,
    seed: int = 0,
    chunk: int = 1 << 16,
    tau: float = TAU,
    kappa: float = KAPPA,
) -> tuple[float, float]:
    """(mean, stderr) of Align(M, K, judge) by sufficient statistics, chunked."""
    sw = math.sqrt(1.0 - RHO)
    s_y = math.hypot(sw, tau)
    r = sw / s_y
    rc = math.sqrt(1.0 - r * r)
    c0 = math.sqrt(RHO)
    rng = np.random.default_rng(seed)
    s1 = s2 = 0.0
    done = 0
    while done < trials:
        t = min(chunk, trials - done)
        z0 = rng.standard_normal((t, 1), dtype=np.float32)
        u = np.maximum(rng.random((t, M), dtype=np.float32), np.float32(1e-37))
        v = -ndtri(-np.expm1(np.log(u) / np.float32(K)))  # max of K normals, tail-exact
        eps = rng.standard_normal((t, M), dtype=np.float32)
        nu = rng.standard_normal((t, M), dtype=np.float32)
        x = c0 * z0 + sw * (r * v + rc * eps)
        xh = x + kappa * nu
        pick = np.take_along_axis(x, xh.argmax(axis=1)[:, None], axis=1)[:, 0]
        s1 += float(pick.sum(dtype=np.float64))
        s2 += float((pick.astype(np.float64) ** 2).sum())
        done += t
    mean = s1 / trials
    var = (s2 / trials - mean * mean) * trials / (trials - 1)
    return mean, math.sqrt(max(var, 0.0) / trials)


def sweep_loop(trials: int, seed: int = 0) -> list[tuple[float, float, float, float]]:
    """The researcher's sweep: a loop of :func:`strong_numpy` over 20 κ × 5 τ
    (κ slowest), ``trials`` per point; rows (κ, τ, mean, stderr)."""
    return [
        (k, t, *strong_numpy(trials, seed, tau=t, kappa=k))
        for k in SWEEP_KAPPAS
        for t in SWEEP_TAUS
    ]


def raw_pcg64(trials: int, seed: int = 0, chunk: int = 1 << 16) -> float:
    """Only the 25 numbers per trial the baseline draws (1 + 3·8 normals/uniforms)."""
    rng = np.random.default_rng(seed)
    acc = 0.0
    done = 0
    while done < trials:
        t = min(chunk, trials - done)
        acc += float(rng.standard_normal((t, 1 + 2 * M), dtype=np.float32).sum())
        acc += float(rng.random((t, M), dtype=np.float32).sum())
        done += t
    return acc


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=float, default=1e5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sweep", action="store_true", help="the 20 κ × 5 τ sweep instead")
    a = ap.parse_args()
    t0 = time.perf_counter()
    if a.sweep:
        rows = sweep_loop(int(a.trials), a.seed)
        print(f"{len(rows)} points (trials={int(a.trials)}, {time.perf_counter() - t0:.3f} s)")
        raise SystemExit(0)
    mu, se = strong_numpy(int(a.trials), a.seed)
    print(f"{mu:.6f} ± {se:.6f}  (trials={int(a.trials)}, {time.perf_counter() - t0:.3f} s)")
