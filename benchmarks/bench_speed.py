"""Issue-16 speed targets, engine vs a strong numpy script, before/after in one run.

Workload: Align(8, 8, "judge") in homogeneous model G (ρ_b = ρ_w = 0.3, τ = 1, κ = 0.5);
a trial counts 64 candidate draws. Every figure is measured in child processes of this
run, so the ratios compare numbers taken under the same machine load:

* ``engine`` (``--after``, default this checkout) and ``before`` (``--before``, e.g. a
  checkout of main before the change) at ``--trials`` (10⁷), warm (compiled beforehand at
  3·10⁵ trials): wall and CPU seconds (all threads) of ``simulate(..., "sufficient")``;
* ``numpy_strong``: :func:`numpy_strong.strong_numpy` (same sufficient statistics);
* ``raw_rng``: the engine's PRNG generating only the 25 numbers per trial it draws
  (1 + 3·8 normals/uniforms), blocked like the engine, spread over the same devices; and
  numpy's PCG64 generating the same numbers;
* whole process: ``align simulate ... --trials 100000`` with an empty compilation cache
  (cold) and a filled one (warm), and ``python benchmarks/numpy_strong.py --trials 100000``;
* peak RSS (``ru_maxrss``) of a child running ``--rss-trials`` (10⁸) trials.

Run: ``python benchmarks/bench_speed.py [--before /path/to/old/checkout] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHILD_ENGINE = """
import json, resource, sys, time
from align_theory import Align, GaussianModel
from align_theory.montecarlo import simulate
m = GaussianModel(rho_between=0.3, rho_within=0.3, tau=1.0, kappa=0.5)
p = Align(8, 8, "judge")
n = int(float(sys.argv[1])); warm = sys.argv[2] == "1"
if warm:
    simulate(m, p, trials=300_000, seed=9, sampler="sufficient", progress=False)
w, c = time.perf_counter(), time.process_time()
e = simulate(m, p, trials=n, seed=1, sampler="sufficient", progress=False)
print(json.dumps({"wall": time.perf_counter() - w, "cpu": time.process_time() - c,
    "mean": e.mean, "stderr": e.stderr,
    "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
CHILD_RAW = """
import json, sys, time
import jax, jax.numpy as jnp
import align_theory.montecarlo  # the engine's device and PRNG settings
from align_theory.montecarlo.run import root_key
n = int(float(sys.argv[1])); nb = 236; ndev = len(jax.local_devices())
nb = ndev * -(-nb // ndev)
def one(key):
    k1, k2 = jax.random.split(key)
    return (jax.random.normal(k1, (1024, 17), jnp.float32).sum()
            + jax.random.uniform(k2, (1024, 8), jnp.float32).sum())
def body(root, idx):
    return jax.lax.map(one, jax.vmap(lambda i: jax.random.fold_in(root, i))(idx))
from jax.sharding import Mesh, PartitionSpec as P
import numpy as np
mesh = Mesh(np.array(jax.local_devices()), ("d",))
f = jax.jit(jax.shard_map(body, mesh=mesh, in_specs=(P(), P("d")), out_specs=P("d")))
root = root_key(0)
f(root, jnp.arange(nb, dtype=jnp.uint32)).block_until_ready()
w, c = time.perf_counter(), time.process_time()
acc = 0.0
for s in range(0, -(-n // 1024), nb):
    acc += float(f(root, jnp.arange(s, s + nb, dtype=jnp.uint32)).sum())
print(json.dumps({"wall": time.perf_counter() - w, "cpu": time.process_time() - c}))
"""


def _child(code: str, args: list[str], pythonpath: Path, env: dict[str, str] | None = None) -> Any:
    e = {**os.environ, "PYTHONPATH": str(pythonpath), **(env or {})}
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=e, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _wall(cmd: list[str], pythonpath: Path, env: dict[str, str]) -> float:
    e = {**os.environ, "PYTHONPATH": str(pythonpath), **env}
    t = time.perf_counter()
    subprocess.run(cmd, env=e, capture_output=True, check=True, cwd=ROOT)
    return time.perf_counter() - t


def _numpy_strong(trials: int) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    from numpy_strong import raw_pcg64, strong_numpy

    w, c = time.perf_counter(), time.process_time()
    mu, _ = strong_numpy(trials, seed=1)
    out = {"wall": time.perf_counter() - w, "cpu": time.process_time() - c, "mean": mu}
    w, c = time.perf_counter(), time.process_time()
    raw_pcg64(trials, seed=1)
    out["raw_cpu"] = time.process_time() - c
    out["raw_wall"] = time.perf_counter() - w
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=float, default=1e7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", type=Path, default=None)
    ap.add_argument("--rss-trials", type=float, default=1e8)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    n = int(a.trials)
    draws = 64 * n
    res: dict[str, Any] = {"trials": n, "load_before": os.getloadavg()}
    paths = {"after": ROOT} | ({"before": a.before} if a.before else {})
    for name, path in paths.items():
        runs = [_child(CHILD_ENGINE, [str(n), "1"], path) for _ in range(a.repeat)]
        res[name] = {
            "cpu_rate": statistics.median(draws / r["cpu"] for r in runs),
            "wall_rate": statistics.median(draws / r["wall"] for r in runs),
            "runs": runs,
        }
    for impl in ("rbg", "unsafe_rbg"):
        runs = [
            _child(CHILD_ENGINE, [str(n), "1"], ROOT, {"ALIGN_THEORY_PRNG": impl})
            for _ in range(a.repeat)
        ]
        res[f"after_{impl}"] = {
            "cpu_rate": statistics.median(draws / r["cpu"] for r in runs),
            "wall_rate": statistics.median(draws / r["wall"] for r in runs),
            "runs": runs,
        }
    one = [
        _child(CHILD_ENGINE, [str(n), "1"], ROOT, {"ALIGN_THEORY_CPU_DEVICES": "off"})
        for _ in range(a.repeat)
    ]
    res["after_one_device_intra_op"] = {
        "cpu_rate": statistics.median(draws / r["cpu"] for r in one),
        "wall_rate": statistics.median(draws / r["wall"] for r in one),
        "runs": one,
    }
    np_runs = [_numpy_strong(n) for _ in range(a.repeat)]
    res["numpy_strong"] = {
        "cpu_rate": statistics.median(draws / r["cpu"] for r in np_runs),
        "wall_rate": statistics.median(draws / r["wall"] for r in np_runs),
        "raw_pcg64_cpu_rate": statistics.median(draws / r["raw_cpu"] for r in np_runs),
        "runs": np_runs,
    }
    raw = [_child(CHILD_RAW, [str(n)], ROOT) for _ in range(a.repeat)]
    res["raw_rng"] = {"cpu_rate": statistics.median(draws / r["cpu"] for r in raw), "runs": raw}
    cli = [
        sys.executable, "-m", "align_theory.cli", "simulate", "gaussian", "Align(8, 8, 'judge')",
        "--set", "rho_between=0.3", "--set", "rho_within=0.3", "--set", "tau=1",
        "--set", "kappa=0.5", "--trials", "100000",
    ]  # fmt: skip
    script = [sys.executable, str(HERE / "numpy_strong.py"), "--trials", "100000"]
    for name, path in paths.items():
        cold, warm = [], []
        for _ in range(a.repeat):
            with tempfile.TemporaryDirectory() as d:
                env = {"ALIGN_THEORY_JAX_CACHE": d, "XDG_CACHE_HOME": d}
                cold.append(_wall(cli, path, env))
                warm.append(_wall(cli, path, env))
        res[f"process_{name}"] = {"cold": statistics.median(cold), "warm": statistics.median(warm)}
    res["process_numpy"] = statistics.median(_wall(script, ROOT, {}) for _ in range(a.repeat))
    if a.rss_trials:
        res["rss"] = _child(CHILD_ENGINE, [str(int(a.rss_trials)), "0"], ROOT)
    res["load_after"] = os.getloadavg()
    e, s = res["after"], res["numpy_strong"]
    res["ratios"] = {
        "engine/numpy_strong per CPU-s": e["cpu_rate"] / s["cpu_rate"],
        "engine/raw rng of its numbers per CPU-s": e["cpu_rate"] / res["raw_rng"]["cpu_rate"],
        "process cold / numpy": res["process_after"]["cold"] / res["process_numpy"],
        "process warm / numpy": res["process_after"]["warm"] / res["process_numpy"],
    }
    if "before" in res:
        b = res["before"]
        res["ratios"]["before/numpy_strong per CPU-s"] = b["cpu_rate"] / s["cpu_rate"]
        res["ratios"]["before process / numpy (cold)"] = (
            res["process_before"]["cold"] / res["process_numpy"]
        )
    print(json.dumps(res, indent=1, default=float))
    if a.json:
        a.json.write_text(json.dumps(res, indent=1, default=float))


if __name__ == "__main__":
    main()
