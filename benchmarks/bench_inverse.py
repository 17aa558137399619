"""CPU cost of the float32 inverse normal of the Monte Carlo kernels (one core).

Times a jitted ``lax.map`` over blocks of 1024 trials (as the engine's chunks are run) of

* the previous ``normal_from_log`` (Cephes-port ``ndtri``, kept here only),
* the current :func:`align_theory.montecarlo.common.normal_from_log` (polynomial pieces),

each on precomputed blocks of log U / 8 (the arguments of ``max_normal(U, 8)``), net of the
same loop with the identity; ``jax.random.normal`` drawing the same count, for scale; and the
whole Align(8, 8, "judge") sufficient block of model G with the new inverse, the old one and
none (the identity in its place, to size the inverse's share). Run on one pinned core:

    taskset -c 0 env ALIGN_THEORY_CPU_DEVICES=1 python benchmarks/bench_inverse.py
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

os.environ.setdefault("ALIGN_THEORY_JAX_CACHE", "off")
os.environ.setdefault("ALIGN_THEORY_CPU_DEVICES", "1")

import jax
import jax.numpy as jnp
from bench_selection import cpu_per_1e7  # the same timing loop (this directory)
from jax.scipy.special import ndtri

import align_theory.montecarlo  # noqa: F401  (configures JAX before it is imported)
from align_theory import Align, GaussianModel
from align_theory.montecarlo import common
from align_theory.montecarlo.common import normal_from_log, uniform
from align_theory.montecarlo.kernels import as_device_params, block_utilities
from align_theory.montecarlo.specs import model_spec

B = 1024  # trials per block
WIDTH = 8  # values per trial (Align(8, 8)'s eight maxima)
NB = 64  # blocks per call


def old_normal_from_log(logp: jax.Array) -> jax.Array:
    """The ndtri-based inverse this benchmark compares against (main before this change)."""
    p = jnp.exp(logp)
    low = p < 0.5
    tail = jnp.where(low, p, -jnp.expm1(logp))
    z = ndtri(jnp.maximum(tail, jnp.finfo(jnp.float32).tiny))
    return jnp.where(low, z, -z)


def transform_seconds(fn: Callable[[jax.Array], jax.Array], lp: jax.Array, calls: int) -> float:
    """CPU seconds per value of ``fn`` alone on the precomputed blocks ``lp`` (NB, B, WIDTH);
    the blocks come back whole (a fused ``.sum()`` would stop XLA vectorizing the polynomials,
    which the kernels, where the draws feed further arithmetic, do not do)."""
    f = jax.jit(lambda a: jax.lax.map(fn, a))
    f(lp).block_until_ready()
    t0 = time.process_time()
    for _ in range(calls):
        f(lp).block_until_ready()
    return (time.process_time() - t0) / (calls * lp.size)


def main() -> None:
    shape = (B, WIDTH)
    lp = jnp.log(uniform(jax.random.key(1), (NB, *shape))) / WIDTH  # log U / 8, float32
    t = {
        "identity (loop + copy)": transform_seconds(lambda x: x, lp, 300) * 1e8,
        "old (ndtri) normal_from_log": transform_seconds(old_normal_from_log, lp, 300) * 1e8,
        "new normal_from_log": transform_seconds(normal_from_log, lp, 300) * 1e8,
    }
    per = 1e8 / (B * WIDTH)  # blocks per 10^8 values
    t["jax.random.normal (drawing)"] = (
        cpu_per_1e7(lambda k: jax.random.normal(k, shape, jnp.float32), 40) * B / 1e7 * per
    )
    for name, v in t.items():
        print(f"{name:30s} {v:7.3f} CPU-s per 1e8 values")
    base = t["identity (loop + copy)"]
    old, new = t["old (ndtri) normal_from_log"] - base, t["new normal_from_log"] - base
    print(f"net inverse: old {old:.3f}, new {new:.3f} CPU-s per 1e8; ratio old/new {old / new:.2f}")

    spec = model_spec(GaussianModel(rho_between=0.3, rho_within=0.3, tau=1.0, kappa=0.5), 64)
    params = as_device_params(spec.params)
    blk = block_utilities(spec.static, (Align(8, 8, "judge"),), "sufficient")
    kernels = {}
    variants: list[tuple[str, Callable[[jax.Array], jax.Array]]] = [
        ("new", normal_from_log),
        ("old", old_normal_from_log),
        ("none", lambda lp: lp),
    ]
    for name, inv in variants:
        # max_normal looks normal_from_log up in common at trace time; swap it per variant
        common.normal_from_log = inv  # type: ignore[assignment]
        try:
            kernels[name] = cpu_per_1e7(lambda k: blk(params, k, B), 40)
        finally:
            common.normal_from_log = normal_from_log
    for name, v in kernels.items():
        print(f"Align(8, 8, 'judge') sufficient block, {name:4s} inverse: {v:.3f} CPU-s/1e7 trials")
    share_old, share_new = (1 - kernels["none"] / kernels[v] for v in ("old", "new"))
    print(
        f"kernel ratio old/new {kernels['old'] / kernels['new']:.2f}; inverse share of the kernel:"
    )
    print(f"old {share_old:.0%}, new {share_new:.0%}")


if __name__ == "__main__":
    main()
