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
* ``after_numpy_backend``: the numpy backend (``backend="numpy"``) at the same trials;
* whole process: ``align simulate ... --trials 100000`` (the default ``auto`` backend,
  and ``--backend jax``) with an empty compilation cache (cold) and a filled one (warm),
  and ``python benchmarks/numpy_strong.py --trials 100000``: wall, CPU seconds (user +
  system of the child, ``wait4``) and peak RSS;
* the auto backend's threshold: ``align simulate`` with ``--backend numpy`` and with
  ``--backend jax`` (warm cache) at ``--threshold-trials`` (10⁵, 10⁶, 3·10⁶);
* a 100-point sweep (20 κ × 5 τ, ``--sweep-trials`` 10⁵ per point), whole processes:
  :func:`align_theory.montecarlo.sweep.sweep` with ``batch`` 8 (its default) and 100, cold
  and warm cache; a loop of the numpy backend; and the numpy loop baseline
  ``python benchmarks/numpy_strong.py --sweep``;
* peak RSS (``ru_maxrss``) of a JAX child running ``--rss-trials`` (10⁸) trials, on an
  empty and on a filled compilation cache.

Run: ``python benchmarks/bench_speed.py [--repeat 2] [--quick] [--before /old/checkout]
[--json out.json]`` (``--quick``: 10⁶ trials, one repeat, no PRNG/device variants).
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
kw = {} if len(sys.argv) < 4 else {"backend": sys.argv[3]}  # older checkouts: no backend
if warm:
    simulate(m, p, trials=300_000, seed=9, sampler="sufficient", progress=False, **kw)
w, c = time.perf_counter(), time.process_time()
e = simulate(m, p, trials=n, seed=1, sampler="sufficient", progress=False, **kw)
print(json.dumps({"wall": time.perf_counter() - w, "cpu": time.process_time() - c,
    "mean": e.mean, "stderr": e.stderr,
    "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
CHILD_SWEEP = """
import json, sys, time
sys.path.insert(0, sys.argv[4])
from numpy_strong import SWEEP_KAPPAS, SWEEP_TAUS
from align_theory import Align, GaussianModel
mode, n, batch = sys.argv[1], int(float(sys.argv[2])), int(sys.argv[3])
p = Align(8, 8, "judge")
def model(kappa, tau):
    return GaussianModel(rho_between=0.3, rho_within=0.3, tau=tau, kappa=kappa)
if mode == "sweep":
    from align_theory.montecarlo.sweep import sweep
    rows = sweep(model, [p], {"kappa": SWEEP_KAPPAS, "tau": SWEEP_TAUS}, trials=n,
                 progress=False, batch=batch)
else:  # a loop of the numpy backend
    from align_theory.montecarlo import simulate
    rows = [simulate(model(k, t), p, trials=n, backend="numpy")
            for k in SWEEP_KAPPAS for t in SWEEP_TAUS]
print(json.dumps({"rows": len(rows), "jax": "jax" in sys.modules}))
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


def _process(cmd: list[str], pythonpath: Path, env: dict[str, str]) -> dict[str, float]:
    """Wall and CPU seconds (user + system, all threads) and peak RSS of a whole child."""
    e = {**os.environ, "PYTHONPATH": str(pythonpath), **env}
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    cpu = ru.ru_utime + ru.ru_stime
    return {"wall": wall, "cpu": cpu, "rss_mib": ru.ru_maxrss / 1024}


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def _wall(cmd: list[str], pythonpath: Path, env: dict[str, str]) -> float:
    return _process(cmd, pythonpath, env)["wall"]


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


def _rates(runs: list[dict[str, Any]], draws: int) -> dict[str, Any]:
    return {
        "cpu_rate": statistics.median(draws / r["cpu"] for r in runs),
        "wall_rate": statistics.median(draws / r["wall"] for r in runs),
        "runs": runs,
    }


def _cli(trials: int, backend: str | None) -> list[str]:
    cmd = [
        sys.executable, "-m", "align_theory.cli", "simulate", "gaussian", "Align(8, 8, 'judge')",
        "--set", "rho_between=0.3", "--set", "rho_within=0.3", "--set", "tau=1",
        "--set", "kappa=0.5", "--trials", str(trials),
    ]  # fmt: skip
    return cmd + (["--backend", backend] if backend else [])


def _cold_warm(cmd: list[str], path: Path, repeat: int) -> dict[str, Any]:
    """Median whole-process figures on an empty compilation cache, then on the filled one."""
    cold, warm = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as d:
            env = {"ALIGN_THEORY_JAX_CACHE": d, "XDG_CACHE_HOME": d}
            cold.append(_process(cmd, path, env))
            warm.append(_process(cmd, path, env))
    return {"cold": _median(cold), "warm": _median(warm)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=float, default=1e7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", type=Path, default=None)
    ap.add_argument("--rss-trials", type=float, default=1e8)
    ap.add_argument("--sweep-trials", type=float, default=1e5, help="trials per sweep point")
    ap.add_argument(
        "--threshold-trials",
        type=float,
        nargs="*",
        default=[1e5, 1e6, 3e6],
        help="whole-process numpy vs JAX at these trial counts (the auto backend's threshold)",
    )
    ap.add_argument(
        "--quick", action="store_true", help="10^6 trials, one repeat, no PRNG/device variants"
    )
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    if a.quick:
        a.trials, a.repeat, a.rss_trials = min(a.trials, 1e6), 1, min(a.rss_trials, 1e7)
    n = int(a.trials)
    draws = 64 * n
    res: dict[str, Any] = {"trials": n, "repeat": a.repeat, "load_before": os.getloadavg()}
    paths = {"after": ROOT} | ({"before": a.before} if a.before else {})
    for name, path in paths.items():
        extra = ["jax"] if name == "after" else []
        runs = [_child(CHILD_ENGINE, [str(n), "1", *extra], path) for _ in range(a.repeat)]
        res[name] = _rates(runs, draws)
    variants = {} if a.quick else {
        "after_rbg": {"ALIGN_THEORY_PRNG": "rbg"},
        "after_unsafe_rbg": {"ALIGN_THEORY_PRNG": "unsafe_rbg"},
        "after_one_device_intra_op": {"ALIGN_THEORY_CPU_DEVICES": "off"},
    }  # fmt: skip
    for name, env in variants.items():
        runs = [_child(CHILD_ENGINE, [str(n), "1", "jax"], ROOT, env) for _ in range(a.repeat)]
        res[name] = _rates(runs, draws)
    runs = [_child(CHILD_ENGINE, [str(n), "1", "numpy"], ROOT) for _ in range(a.repeat)]
    res["after_numpy_backend"] = _rates(runs, draws)
    np_runs = [_numpy_strong(n) for _ in range(a.repeat)]
    res["numpy_strong"] = _rates(np_runs, draws)
    res["numpy_strong"]["raw_pcg64_cpu_rate"] = statistics.median(
        draws / r["raw_cpu"] for r in np_runs
    )
    raw = [_child(CHILD_RAW, [str(n)], ROOT) for _ in range(a.repeat)]
    res["raw_rng"] = {"cpu_rate": statistics.median(draws / r["cpu"] for r in raw), "runs": raw}

    # whole process, 10^5 trials: the default (auto: numpy) and JAX, cold and warm cache
    script = [sys.executable, str(HERE / "numpy_strong.py"), "--trials", "100000"]
    res["process_numpy"] = _median([_process(script, ROOT, {}) for _ in range(a.repeat)])
    res["process_after"] = _cold_warm(_cli(100_000, None), ROOT, a.repeat)
    res["process_after_jax"] = _cold_warm(_cli(100_000, "jax"), ROOT, a.repeat)
    if a.before:
        res["process_before"] = _cold_warm(_cli(100_000, None), a.before, a.repeat)

    # the auto backend's threshold: whole process, numpy vs JAX (warm cache) per trial count
    thr: dict[str, Any] = {}
    for t in (int(x) for x in a.threshold_trials):
        with tempfile.TemporaryDirectory() as d:
            env = {"ALIGN_THEORY_JAX_CACHE": d, "XDG_CACHE_HOME": d}
            _process(_cli(t, "jax"), ROOT, env)  # fills the cache
            jx = _median([_process(_cli(t, "jax"), ROOT, env) for _ in range(a.repeat)])
        nm = _median([_process(_cli(t, "numpy"), ROOT, {}) for _ in range(a.repeat)])
        thr[str(t)] = {"jax_warm": jx, "numpy": nm}
    res["threshold"] = thr

    # a 100-point sweep (20 kappa x 5 tau, Align(8, 8, judge)): whole processes
    st = str(int(a.sweep_trials))
    loop = [sys.executable, str(HERE / "numpy_strong.py"), "--sweep", "--trials", st]
    res["sweep_numpy_loop"] = _median([_process(loop, ROOT, {}) for _ in range(a.repeat)])
    for batch in (8, 100):
        cmd = [sys.executable, "-c", CHILD_SWEEP, "sweep", st, str(batch), str(HERE)]
        res[f"sweep_engine_batch{batch}"] = _cold_warm(cmd, ROOT, a.repeat)
    cmd = [sys.executable, "-c", CHILD_SWEEP, "numpy", st, "0", str(HERE)]
    res["sweep_numpy_backend"] = _median([_process(cmd, ROOT, {}) for _ in range(a.repeat)])

    if a.rss_trials:  # peak RSS of the JAX path, fresh processes, empty and filled cache
        with tempfile.TemporaryDirectory() as d:
            env = {"ALIGN_THEORY_JAX_CACHE": d}
            rt = str(int(a.rss_trials))
            res["rss_cold_cache"] = _child(CHILD_ENGINE, [rt, "0", "jax"], ROOT, env)
            res["rss"] = _child(CHILD_ENGINE, [rt, "0", "jax"], ROOT, env)
    res["load_after"] = os.getloadavg()
    e, s = res["after"], res["numpy_strong"]
    pn, pa, pj = res["process_numpy"], res["process_after"], res["process_after_jax"]
    sl = res["sweep_numpy_loop"]
    res["ratios"] = {
        "engine/numpy_strong per CPU-s": e["cpu_rate"] / s["cpu_rate"],
        "engine/raw rng of its numbers per CPU-s": e["cpu_rate"] / res["raw_rng"]["cpu_rate"],
        "numpy backend/numpy_strong per CPU-s": res["after_numpy_backend"]["cpu_rate"]
        / s["cpu_rate"],
        "process cold / numpy (wall)": pa["cold"]["wall"] / pn["wall"],
        "process warm / numpy (wall)": pa["warm"]["wall"] / pn["wall"],
        "process cold / numpy (CPU)": pa["cold"]["cpu"] / pn["cpu"],
        "process warm / numpy (CPU)": pa["warm"]["cpu"] / pn["cpu"],
        "process jax cold / numpy (CPU)": pj["cold"]["cpu"] / pn["cpu"],
        "process jax warm / numpy (CPU)": pj["warm"]["cpu"] / pn["cpu"],
    }
    for batch in (8, 100):
        sw = res[f"sweep_engine_batch{batch}"]
        for k in ("cold", "warm"):
            for u in ("wall", "cpu"):
                res["ratios"][f"sweep batch {batch} {k} / numpy loop ({u})"] = sw[k][u] / sl[u]
    for u in ("wall", "cpu"):
        res["ratios"][f"sweep numpy backend / numpy loop ({u})"] = (
            res["sweep_numpy_backend"][u] / sl[u]
        )
    if "before" in res:
        b = res["before"]
        res["ratios"]["before/numpy_strong per CPU-s"] = b["cpu_rate"] / s["cpu_rate"]
        res["ratios"]["before process / numpy (cold, wall)"] = (
            res["process_before"]["cold"]["wall"] / pn["wall"]
        )
    print(json.dumps(res, indent=1, default=float))
    if a.json:
        a.json.write_text(json.dumps(res, indent=1, default=float))


if __name__ == "__main__":
    main()
