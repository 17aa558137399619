"""How the Monte Carlo kernels select: argmax + gather against a running maximum.

The diagnosis behind ``align_theory.montecarlo.common.take_max`` (docs/benchmarks.md,
"Selection without a gather"): the Align(8, 8, "judge") sufficient block of model G
(ρ_b = ρ_w = 0.3, τ = 1, κ = 0.5) written with each selection variant, timed as a jitted
``lax.map`` over 1,024-trial blocks, in CPU-seconds per 10⁷ trials. Pin it to one core for
a clean figure::

    ALIGN_THEORY_CPU_DEVICES=1 taskset -c 0 python benchmarks/bench_selection.py

Variants: ``argmax`` (``jnp.argmax`` then ``take_along_axis``, the kernels before),
``running`` (the unrolled running maximum of ``take_max``), ``running_t`` (the same with
agents on the leading axis), ``maxeq`` (maximum, then the value where the score equals
it), ``tree`` (pairwise halves), ``no_inverse`` (``running`` without Φ⁻¹), ``engine``
(the package's own block function), ``raw`` (threefry for the 25 numbers only).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("ALIGN_THEORY_JAX_CACHE", "off")
import jax
import jax.numpy as jnp
import numpy as np

import align_theory.montecarlo  # noqa: F401  (the engine's device settings)
from align_theory import Align, GaussianModel
from align_theory.montecarlo.common import normal, normal_from_log, take, uniform
from align_theory.montecarlo.kernels import as_device_params, block_utilities
from align_theory.montecarlo.specs import model_spec

M = K = 8
B = 1024
RHO, TAU, KAPPA = 0.3, 1.0, 0.5
C0 = np.float32(np.sqrt(RHO))
SW = np.float32(np.sqrt(1 - RHO))
R = np.float32(SW / np.hypot(SW, TAU))
RC = np.float32(np.sqrt(1 - R * R))
KE = np.float32(KAPPA)


def _draws(key: jax.Array, leading: bool, inverse: bool = True) -> tuple[jax.Array, jax.Array]:
    ks = jax.random.split(key, 4)
    shape = (M, B) if leading else (B, M)
    lev = C0 * normal(ks[0], (1, B) if leading else (B, 1))
    lu = jnp.log(uniform(ks[1], shape)) / K
    v = normal_from_log(lu) if inverse else lu
    x = lev + SW * (R * v + RC * normal(ks[2], shape))
    return x + KE * normal(ks[3], shape), x  # (x̂, x)


def _running(score: jax.Array, val: jax.Array, axis: int) -> jax.Array:
    s, v = jnp.moveaxis(score, axis, 0), jnp.moveaxis(val, axis, 0)
    best, out = s[0], v[0]
    for i in range(1, s.shape[0]):
        up = s[i] > best
        best, out = jnp.where(up, s[i], best), jnp.where(up, v[i], out)
    return out


def _tree(score: jax.Array, val: jax.Array) -> jax.Array:
    while score.shape[-1] > 1:
        h = score.shape[-1] // 2
        up = score[..., h:] > score[..., :h]
        score = jnp.where(up, score[..., h:], score[..., :h])
        val = jnp.where(up, val[..., h:], val[..., :h])
    return val[..., 0]


def _maxeq(score: jax.Array, val: jax.Array) -> jax.Array:
    m = score.max(axis=-1, keepdims=True)
    return jnp.where(score == m, val, -jnp.inf).max(axis=-1)


def variants() -> dict[str, object]:
    spec = model_spec(GaussianModel(rho_between=RHO, rho_within=RHO, tau=TAU, kappa=KAPPA), 64)
    params = as_device_params(spec.params)
    block = block_utilities(spec.static, (Align(M, K, "judge"),), "sufficient")

    def raw(k: jax.Array) -> jax.Array:
        k1, k2 = jax.random.split(k)
        return normal(k1, (B, 17)).sum() + uniform(k2, (B, 8)).sum()

    return {
        "argmax": lambda k: take(*(lambda xh, x: (x, jnp.argmax(xh, axis=-1)))(*_draws(k, False))),
        "running": lambda k: _running(*_draws(k, False), axis=-1),
        "running_t": lambda k: _running(*_draws(k, True), axis=0),
        "maxeq": lambda k: _maxeq(*_draws(k, False)),
        "tree": lambda k: _tree(*_draws(k, False)),
        "no_inverse": lambda k: _running(*_draws(k, False, inverse=False), axis=-1),
        "engine": lambda k: block(params, k, B),
        "raw": raw,
    }


def cpu_per_1e7(fn: object, calls: int, nb: int = 64) -> float:
    """CPU-seconds per 10⁷ trials of ``fn`` (key → per-trial values) over ``calls`` calls."""

    def body(root: jax.Array, idx: jax.Array) -> jax.Array:
        keys = jax.vmap(lambda i: jax.random.fold_in(root, i))(idx)
        return jax.lax.map(lambda k: fn(k).sum(), keys)  # type: ignore[operator]

    f = jax.jit(body)
    root = jax.random.key(0)
    f(root, jnp.arange(nb, dtype=jnp.uint32)).block_until_ready()
    c = time.process_time()
    for s in range(calls):
        f(root, jnp.arange(s * nb, (s + 1) * nb, dtype=jnp.uint32)).block_until_ready()
    return (time.process_time() - c) / (calls * nb * B) * 1e7


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variants", nargs="*", help="default: all")
    ap.add_argument("--calls", type=int, default=60, help="calls of 65,536 trials each")
    a = ap.parse_args()
    table = variants()
    print(f"load average {os.getloadavg()[0]:.2f}")
    for name in a.variants or list(table):
        print(
            f"{name:12s} {cpu_per_1e7(table[name], a.calls):6.3f} CPU-s per 1e7 trials", flush=True
        )
