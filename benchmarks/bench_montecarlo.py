"""Speed and memory of the Monte Carlo engine, with its baselines measured in the same run.

Workload (issue 3): Align(M=8, K=8, principal="judge") in homogeneous model G
(ρ_b = ρ_w = 0.3, τ = 1, κ = 0.5), float32. One *candidate draw* is one candidate's
(x, y, x̂); a trial (question) is M·K = 64 candidate draws, whichever sampler produced it.

Measured, each ``--repeat`` times (median reported, min alongside), in one process:

* ``engine_fast``: ``simulate(..., sampler="sufficient")`` at ``--trials`` (10⁷), compiled
  beforehand; 25 random numbers per trial (Z₀, and per agent U, ε, ν).
* ``engine_candidates``: ``simulate(..., sampler="candidates")`` (every candidate drawn).
* ``raw_rng_naive``: the physical limit of the naive workload on the same backend: JAX
  (jit, threefry, float32) generating exactly the random numbers the naive method needs,
  1 + 3·64 = 193 standard normals per trial (Z₀; per candidate Z, η and the judge noise,
  βb + κν merged into one normal), reduced by a sum so that nothing is optimised away, and
  nothing else; generated in cache-sized blocks of 1024 trials, the fastest layout we found.
  Expressed in candidate draws/s (= trials/s × 64).
* ``raw_rng_fast``: the same for the 25 numbers the sufficient sampler needs (its own limit).
* ``numpy_naive``: a straightforward vectorized numpy (float32) implementation written here,
  drawing every candidate, in chunks of 2¹⁴ trials.
* ``python_loop``: a per-trial Python loop (numpy per trial) at 10⁴ trials.
* JIT compile time (first call minus a warm call of the same program), and peak RSS
  (``ru_maxrss`` of a fresh subprocess) for ``--rss-trials`` (10⁶, 10⁸, 10⁹ by default).

Run: ``python benchmarks/bench_montecarlo.py [--trials 1e7] [--repeat 3] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

M, K = 8, 8
N = M * K
RHO, TAU, KAPPA = 0.3, 1.0, 0.5


def _model() -> Any:
    from align_theory import GaussianModel

    return GaussianModel(rho_between=RHO, rho_within=RHO, tau=TAU, kappa=KAPPA)


def _protocol() -> Any:
    from align_theory import Align

    return Align(M, K, "judge")


def _timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


# ---------------------------------------------------------------------------- baselines


def numpy_naive(trials: int, seed: int = 0, chunk: int = 1 << 14) -> float:
    """Straightforward vectorized numpy: draw every candidate's x, y, x̂ (float32), each agent
    proposes its argmax y, the judge picks the proposal with the largest x̂. Returns the mean."""
    rng = np.random.default_rng(seed)
    s_b, s_w = np.float32(np.sqrt(RHO)), np.float32(np.sqrt(1 - RHO))
    total = 0.0
    done = 0
    while done < trials:
        t = min(chunk, trials - done)
        z0 = rng.standard_normal((t, 1, 1), dtype=np.float32)
        x = s_b * z0 + s_w * rng.standard_normal((t, M, K), dtype=np.float32)
        y = x + np.float32(TAU) * rng.standard_normal((t, M, K), dtype=np.float32)
        xh = x + np.float32(KAPPA) * rng.standard_normal((t, M, K), dtype=np.float32)
        idx = np.argmax(y, axis=2)[:, :, None]
        px = np.take_along_axis(x, idx, axis=2)[:, :, 0]
        pxh = np.take_along_axis(xh, idx, axis=2)[:, :, 0]
        pick = np.argmax(pxh, axis=1)[:, None]
        total += float(np.take_along_axis(px, pick, axis=1).sum())
        done += t
    return total / trials


def python_loop(trials: int, seed: int = 0) -> float:
    """Per-trial Python loop (numpy for each trial's 64 candidates)."""
    rng = np.random.default_rng(seed)
    s_b, s_w = np.sqrt(RHO), np.sqrt(1 - RHO)
    total = 0.0
    for _ in range(trials):
        z0 = rng.standard_normal()
        best_xh, best_x = -np.inf, 0.0
        for _a in range(M):
            x = s_b * z0 + s_w * rng.standard_normal(K)
            y = x + TAU * rng.standard_normal(K)
            xh = x + KAPPA * rng.standard_normal(K)
            k = int(np.argmax(y))
            if xh[k] > best_xh:
                best_xh, best_x = xh[k], x[k]
        total += best_x
    return total / trials


def raw_rng(trials: int, normals_per_trial: int, uniforms_per_trial: int = 0) -> Callable[[], Any]:
    """A callable generating, with JAX (jit, default threefry PRNG, float32), the given
    numbers of standard normals and uniforms per trial for ``trials`` trials, in blocks of
    1024 trials (32 per jitted call, like the engine's chunks: cache-sized blocks are faster
    than one large array), reduced by a sum (so that nothing is optimised away)."""
    import jax
    import jax.numpy as jnp

    block, nb = 1024, 32  # cache-sized blocks, as the engine does (faster than one big array)
    chunk = block * nb

    def one(key: jax.Array) -> jax.Array:
        k1, k2 = jax.random.split(key)
        s = jax.random.normal(k1, (block, normals_per_trial), jnp.float32).sum()
        if uniforms_per_trial:
            s = s + jax.random.uniform(k2, (block, uniforms_per_trial), jnp.float32).sum()
        return s

    @jax.jit
    def gen(key: jax.Array) -> jax.Array:
        return jax.lax.map(one, jax.random.split(key, nb)).sum()

    root = jax.random.key(0)
    gen(root).block_until_ready()
    n_chunks = -(-trials // chunk)

    def run() -> float:
        acc = None
        for i in range(n_chunks):
            r = gen(jax.random.fold_in(root, i))
            acc = r if acc is None else acc + r
        assert acc is not None
        return float(acc)

    return run


# ---------------------------------------------------------------------------- RSS child


def rss_child(trials: int) -> None:
    """Run the fast path once at ``trials`` and print JSON with ru_maxrss (KiB on Linux)."""
    from align_theory.montecarlo import simulate

    t = time.perf_counter()
    est = simulate(
        _model(), _protocol(), trials=trials, seed=1, sampler="sufficient", progress=False
    )
    wall = time.perf_counter() - t
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "trials": trials,
                "maxrss_mib": rss_kib / 1024,
                "wall_s": wall,
                "mean": est.mean,
                "stderr": est.stderr,
            }
        )
    )


def measure_rss(trials: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", str(trials)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=float, default=1e7)
    ap.add_argument(
        "--baseline-trials",
        type=float,
        default=None,
        help="trials for the numpy and raw-RNG baselines (default: --trials)",
    )
    ap.add_argument("--candidates-trials", type=float, default=1e6)
    ap.add_argument("--loop-trials", type=float, default=1e4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--rss-trials",
        type=str,
        default="1e6,1e8,1e9",
        help="comma-separated trial counts for the peak-RSS subprocesses ('' = none)",
    )
    ap.add_argument("--json", type=str, default=None, help="also write the results here")
    ap.add_argument("--rss-child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child is not None:
        rss_child(args.rss_child)
        return

    import jax

    from align_theory.montecarlo import chunk_trials, simulate

    trials = int(args.trials)
    base_trials = int(args.baseline_trials or args.trials)
    model, proto = _model(), _protocol()
    res: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "processor": platform.processor(),
            "jax": jax.__version__,
            "backend": jax.default_backend(),
            "devices": [str(d) for d in jax.devices()],
            "loadavg_start": os.getloadavg(),
        },
        "workload": f"Align(M={M}, K={K}, judge), GaussianModel(rho_b=rho_w={RHO}, tau={TAU}, "
        f"kappa={KAPPA}), float32",
    }
    rates: dict[str, dict[str, float]] = {}

    def record(name: str, times: list[float], n: int) -> None:
        med = statistics.median(times)
        rates[name] = {
            "trials": n,
            "seconds_median": med,
            "seconds_min": min(times),
            "cand_draws_per_s": n * N / med,
            "cand_draws_per_s_best": n * N / min(times),
        }
        print(
            f"{name:20s} {n:>12,d} trials  {med:8.3f} s (min {min(times):.3f})  "
            f"{n * N / med:10.3e} candidate-draws/s",
            flush=True,
        )

    # compile time: first call vs a warm call of the same chunk program
    ch = chunk_trials(model, [proto], "sufficient")
    t0 = time.perf_counter()
    simulate(model, proto, trials=ch, seed=0, sampler="sufficient", progress=False)
    first = time.perf_counter() - t0
    warm = min(
        _timed(
            lambda: simulate(model, proto, trials=ch, seed=0, sampler="sufficient", progress=False),
            2,
        )
    )
    res["jit_compile_s"] = {"sufficient": first - warm}
    ch_c = chunk_trials(model, [proto], "candidates")
    t0 = time.perf_counter()
    simulate(model, proto, trials=ch_c, seed=0, sampler="candidates", progress=False)
    first_c = time.perf_counter() - t0
    warm_c = min(
        _timed(
            lambda: simulate(
                model, proto, trials=ch_c, seed=0, sampler="candidates", progress=False
            ),
            2,
        )
    )
    res["jit_compile_s"]["candidates"] = first_c - warm_c
    print(f"jit compile: sufficient {first - warm:.2f} s, candidates {first_c - warm_c:.2f} s")

    record(
        "engine_fast",
        _timed(
            lambda: simulate(
                model, proto, trials=trials, seed=1, sampler="sufficient", progress=False
            ),
            args.repeat,
        ),
        trials,
    )
    ct = int(args.candidates_trials)
    record(
        "engine_candidates",
        _timed(
            lambda: simulate(model, proto, trials=ct, seed=1, sampler="candidates", progress=False),
            args.repeat,
        ),
        ct,
    )
    raw_naive = raw_rng(base_trials, 1 + 3 * N)
    record("raw_rng_naive", _timed(raw_naive, args.repeat), base_trials)
    raw_fast = raw_rng(base_trials, 1 + 2 * M, M)
    record("raw_rng_fast", _timed(raw_fast, args.repeat), base_trials)
    numpy_naive(1 << 14)  # warm
    record("numpy_naive", _timed(lambda: numpy_naive(base_trials), args.repeat), base_trials)
    lt = int(args.loop_trials)
    record("python_loop", _timed(lambda: python_loop(lt), 1), lt)

    fast = rates["engine_fast"]["cand_draws_per_s"]
    res["rates"] = rates
    res["ratios"] = {
        "fast / raw_rng_naive (target >= 0.5)": fast / rates["raw_rng_naive"]["cand_draws_per_s"],
        "fast / numpy_naive (target >= 2)": fast / rates["numpy_naive"]["cand_draws_per_s"],
        "fast / python_loop": fast / rates["python_loop"]["cand_draws_per_s"],
        "fast / raw_rng_fast (its own RNG limit)": fast / rates["raw_rng_fast"]["cand_draws_per_s"],
        "candidates / raw_rng_naive": rates["engine_candidates"]["cand_draws_per_s"]
        / rates["raw_rng_naive"]["cand_draws_per_s"],
        "candidates / numpy_naive": rates["engine_candidates"]["cand_draws_per_s"]
        / rates["numpy_naive"]["cand_draws_per_s"],
    }
    print("ratios (medians):")
    for k, v in res["ratios"].items():
        print(f"  {k:42s} {v:8.2f}")
    rss = []
    for tok in filter(None, args.rss_trials.split(",")):
        r = measure_rss(int(float(tok)))
        rss.append(r)
        print(
            f"peak RSS at {r['trials']:.0e} trials: {r['maxrss_mib']:.0f} MiB "
            f"({r['wall_s']:.0f} s, mean {r['mean']:.6f} ± {r['stderr']:.1e})",
            flush=True,
        )
    res["peak_rss"] = rss
    res["machine"]["loadavg_end"] = os.getloadavg()
    print(
        f"load average start {res['machine']['loadavg_start']}, end {res['machine']['loadavg_end']}"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
