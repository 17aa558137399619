r"""Monte Carlo engine (JAX): simulate(model, protocol, *, trials, seed) -> Estimate.

The engine estimates E[x of the protocol's output] under a candidate model (docs/design.md
sections 1–2) by streaming trials (questions) through a jitted, vmapped JAX program in
chunks; memory is bounded by the chunk, whatever ``trials`` is. It runs on JAX's default
device (CPU here; unchanged on a GPU).

Samplers (``sampler=``; see :mod:`align_theory.montecarlo.kernels` for the math)
    ``candidates`` draws every candidate's (x, y, x̂): needed for common random numbers and
    for T1's draw-by-draw check, and the only sampler for empirical pools.
    ``sufficient`` draws sufficient statistics only (in model G the agent's pick
    V = Φ⁻¹(U^{1/K}) and the Gaussian conditionals of x | y and x̂ | x; in model B binomial
    counts); one protocol at a time. ``auto`` (the default of :func:`simulate`) uses
    ``sufficient`` where the protocol has it and ``candidates`` otherwise.

Seeds, blocks and chunks
    Trials are grouped in blocks of ``BLOCK`` = 1024: trials b·1024 … b·1024+1023 form block
    b, whose random numbers come only from the key ``fold_in(root, b)``, where
    ``root = jax.random.key(seed mod 2³²)`` folded with each further 32-bit word of the seed.
    A chunk is a run of consecutive blocks evaluated in one device call; the last block is
    drawn whole and its trials beyond ``trials`` are masked out. So results do not depend on
    the chunk size, and a run of n trials is the prefix of a longer run with the same seed.
    Each block's count, mean and centred cross-product matrix are computed on the device
    (float32) and merged on the host in float64 (Chan's parallel formula). Same seed, same
    numbers on the same backend and JAX version.

Progress and interruption
    A tqdm bar appears for runs longer than about two seconds (``progress=None``); ``True``
    always shows it, ``False`` never. A KeyboardInterrupt (also one raised inside
    ``on_chunk``) after at least one chunk raises :class:`SimulationInterrupted`, a
    KeyboardInterrupt that carries the partial result over the completed chunks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import combinations
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P
from tqdm.auto import tqdm

from align_theory.models import Model
from align_theory.montecarlo import config
from align_theory.montecarlo.guards import SimulationInterrupted, check_run
from align_theory.montecarlo.kernels import (
    SAMPLERS,
    as_device_params,
    block_utilities,
    check_supported,
    supports_sufficient,
    trial_width,
)
from align_theory.montecarlo.specs import ModelSpec, model_spec
from align_theory.protocols import Align, Protocol, SingleAgent
from align_theory.results import CompareResult, Estimate

__all__ = [
    "BLOCK",
    "CHUNK_BYTES",
    "CompareResult",
    "Estimate",
    "SimulationInterrupted",
    "chunk_trials",
    "compare",
    "resolve_sampler",
    "simulate",
    "simulate_each",
]

BLOCK = 1024
"""Trials per random-number block (the unit that makes results chunk-size independent)."""

CHUNK_BYTES = 192 * 2**20
"""Default device-memory budget of one chunk's working arrays (float32 words × trials); with
the JAX runtime (~0.3 GiB) this keeps the process's peak RSS under 1 GiB."""


GPU_MAP_BATCH = 256
"""Blocks per vmapped step on GPU/TPU (262,144 trials), see :func:`map_batch`."""


# ---------------------------------------------------------------------------- planning


def map_batch() -> int:
    """Blocks evaluated together (vmapped) per step of a chunk's sequential map.

    Returns
    -------
    int
        1 on CPU (one block's arrays stay in cache), ``GPU_MAP_BATCH`` on accelerators (wide
        kernels). Fixed per backend, so results stay independent of the chunk size.

    Examples
    --------
    >>> map_batch() in (1, GPU_MAP_BATCH)
    True
    """
    return 1 if jax.default_backend() == "cpu" else GPU_MAP_BATCH


def resolve_sampler(model: Model, protocols: Sequence[Protocol], sampler: str) -> str:
    """The sampler a run uses: ``auto`` → ``sufficient`` when every protocol has it, else
    ``candidates``.

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocols : sequence of Protocol
        The protocols of the run.
    sampler : {"auto", "sufficient", "candidates"}
        The requested sampler.

    Returns
    -------
    str
        ``"sufficient"`` or ``"candidates"``.

    Raises
    ------
    ValueError
        An unknown sampler, or ``sufficient`` where it is not defined.

    Examples
    --------
    >>> from align_theory import Align, BernoulliModel, Shortlist
    >>> resolve_sampler(BernoulliModel(1.0, 1.0), [Align(2, 8)], "auto")
    'sufficient'
    >>> resolve_sampler(BernoulliModel(1.0, 1.0), [Align(2, 8), Shortlist(8, 2)], "auto")
    'candidates'
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    every = all(supports_sufficient(model, p) for p in protocols)
    if sampler == "sufficient" and not every:
        bad = [p for p in protocols if not supports_sufficient(model, p)]
        raise ValueError(
            f"sampler='sufficient' is not defined for {bad} in {type(model).__name__}; "
            "use sampler='candidates'"
        )
    if sampler == "auto":
        return "sufficient" if every else "candidates"
    return sampler


def chunk_trials(
    model: Model, protocols: Sequence[Protocol], sampler: str, *, batch: int = 1
) -> int:
    """Default trials per chunk: the largest multiple of ``BLOCK`` whose working set,
    ``trial_width`` float32 words per trial (× ``batch`` grid points), fits ``CHUNK_BYTES``;
    at least one block. The peak memory of a run is therefore independent of ``trials``.

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocols : sequence of Protocol
        The protocols of one program.
    sampler : {"auto", "sufficient", "candidates"}
        The sampler.
    batch : int
        Grid points evaluated together (sweeps).

    Returns
    -------
    int
        Trials per chunk, a positive multiple of ``BLOCK``.

    Examples
    --------
    >>> from align_theory import Align, GaussianModel
    >>> chunk_trials(GaussianModel(), [Align(8, 8, "judge")], "sufficient") % BLOCK
    0
    """
    spec = model_spec(model, max(p.n for p in protocols))
    width = trial_width(spec.static, list(protocols), resolve_sampler(model, protocols, sampler))
    blocks = CHUNK_BYTES // (4 * width * batch * BLOCK)
    if map_batch() > 1:  # accelerators: whole vmapped steps (device memory is plentiful)
        blocks = map_batch() * max(1, int(blocks) // map_batch())
    return BLOCK * max(1, int(blocks))


def _t1_pairs(protocols: Sequence[Protocol]) -> tuple[tuple[int, int], ...]:
    return tuple(
        (i, j)
        for i, p in enumerate(protocols)
        for j, q in enumerate(protocols)
        if isinstance(p, Align)
        and p.principal == "exact"
        and isinstance(q, SingleAgent)
        and (q.n, q.agents) == (p.n, p.agents)
    )


@lru_cache(maxsize=128)
def _program(
    static: Any,
    protocols: tuple[Protocol, ...],
    sampler: str,
    nb: int,
    batched: bool,
    ndev: int = 1,
) -> Callable[..., tuple[jax.Array, ...]]:
    """The jitted chunk program: (params, root key, block indices (nb,), valid (nb,)) →
    per-block (count, mean (P,), centred cross-products (P, P), T1 violations (pairs,)).

    With ``ndev`` > 1 the blocks are split over the first ``ndev`` local devices
    (``jax.shard_map`` over a one-axis mesh; parameters and key replicated): one compiled
    program, each device mapping over its own blocks. ``nb`` must be a multiple of ndev."""
    block = block_utilities(static, protocols, sampler)
    pairs = _t1_pairs(protocols)

    def chunk(
        params: dict[str, jax.Array], root: jax.Array, idx: jax.Array, valid: jax.Array
    ) -> tuple[jax.Array, ...]:
        keys = jax.vmap(lambda i: jax.random.fold_in(root, i))(idx)

        def full_block(kv: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, ...]:
            # one block per step of a sequential map: the same compiled body (hence the same
            # float32 rounding) whatever the chunk size, and one block's memory at a time
            key, nvalid = kv
            # the barrier keeps the reductions below out of the kernel's fusion, so they round
            # alike in every compiled form (one device or several, any chunk size)
            u = jax.lax.optimization_barrier(block(params, key, BLOCK))  # (P, BLOCK)
            mask = jnp.arange(BLOCK) < nvalid
            w = mask.astype(jnp.float32)
            cnt = w.sum()
            mean = (u * w).sum(axis=1) / jnp.maximum(cnt, 1.0)
            d = (u - mean[:, None]) * w
            cov = d @ d.T
            if pairs:
                viol = jnp.stack([((u[i] < u[j]) & mask).sum() for i, j in pairs])
            else:
                viol = jnp.zeros((0,), jnp.int32)
            return cnt, mean, cov, viol.astype(jnp.int32)

        def empty_block(kv: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, ...]:
            p = len(protocols)
            return (
                jnp.float32(0.0),
                jnp.zeros((p,), jnp.float32),
                jnp.zeros((p, p), jnp.float32),
                jnp.zeros((len(pairs),), jnp.int32),
            )

        def one_block(kv: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, ...]:
            # padding blocks of the last chunk (the program's shape does not depend on
            # ``trials``) are skipped: lax.cond runs one branch on the CPU
            return jax.lax.cond(kv[1] > 0, full_block, empty_block, kv)

        mb = min(map_batch(), nb)
        if mb > 1:  # accelerators: wide vmapped steps, padding computed and masked
            return jax.lax.map(full_block, (keys, valid), batch_size=mb)
        return jax.lax.map(one_block, (keys, valid))

    body = jax.vmap(chunk, in_axes=(0, None, None, None)) if batched else chunk
    if ndev == 1:
        return jax.jit(body)
    mesh = Mesh(np.array(jax.local_devices()[:ndev]), ("d",))
    spread = jax.shard_map(
        body,
        mesh=mesh,
        in_specs=(P(), P(), P("d"), P("d")),
        out_specs=P(None, "d") if batched else P("d"),
        check_vma=False,
    )
    return jax.jit(spread)


def devices_for(chunk_blocks: int) -> int:
    """Devices a chunk of ``chunk_blocks`` blocks is spread over: every local device of the
    default backend (several host devices on the CPU, see
    :mod:`align_theory.montecarlo.config`), at most one per block.

    Examples
    --------
    >>> devices_for(1)
    1
    """
    return max(1, min(len(jax.local_devices()), chunk_blocks))


def root_key(seed: int, impl: str | None = None) -> jax.Array:
    """The run's root key.

    ``jax.random.key(seed mod 2³², impl)`` folded with each further 32-bit word of ``seed``
    (low to high), so every non-negative integer seed is distinct.

    Parameters
    ----------
    seed : int
        A non-negative integer of any size.
    impl : str, optional
        ``threefry2x32``, ``rbg`` or ``unsafe_rbg``; default
        :func:`align_theory.montecarlo.config.prng_impl` (``ALIGN_THEORY_PRNG``).

    Returns
    -------
    jax.Array
        A typed PRNG key.

    Examples
    --------
    >>> import jax
    >>> a, b = root_key(5), root_key(5 + 2**32)
    >>> bool((jax.random.key_data(a) == jax.random.key_data(b)).all())
    False
    """
    key = jax.random.key(int(seed) & 0xFFFFFFFF, impl=impl or config.prng_impl())
    rest = int(seed) >> 32
    while rest:
        key = jax.random.fold_in(key, rest & 0xFFFFFFFF)
        rest >>= 32
    return key


class _Acc:
    """Running count, means and centred cross-product matrix (float64), merged by Chan's
    parallel formula: for groups (n_b, m_b, C_b), n = Σ n_b, m = Σ n_b m_b / n,
    C = Σ C_b + Σ n_b (m_b − m)(m_b − m)ᵀ."""

    def __init__(self, p: int, pairs: int) -> None:
        self.n = 0.0
        self.mean = np.zeros(p)
        self.cov = np.zeros((p, p))
        self.viol = np.zeros(pairs, dtype=np.int64)

    def add(self, cnt: np.ndarray, mean: np.ndarray, cov: np.ndarray, viol: np.ndarray) -> None:
        cnt = cnt.astype(np.float64)
        nb = float(cnt.sum())
        if nb == 0.0:
            return
        mean = mean.astype(np.float64)
        mb = (cnt[:, None] * mean).sum(axis=0) / nb
        dev = mean - mb
        cb = cov.astype(np.float64).sum(axis=0) + np.einsum("b,bp,bq->pq", cnt, dev, dev)
        n = self.n + nb
        delta = mb - self.mean
        self.cov = self.cov + cb + np.outer(delta, delta) * (self.n * nb / n)
        self.mean = self.mean + delta * (nb / n)
        self.n = n
        self.viol += viol.astype(np.int64).sum(axis=0)

    def estimate(self, i: int, shift: float) -> Estimate:
        n = int(self.n)
        var = self.cov[i, i] / (n - 1) if n > 1 else math.inf
        return Estimate(float(self.mean[i] + shift), float(math.sqrt(max(var, 0.0) / n)), n)

    def diff(self, i: int, j: int) -> Estimate:
        n = int(self.n)
        c = self.cov[i, i] + self.cov[j, j] - 2.0 * self.cov[i, j]
        var = c / (n - 1) if n > 1 else math.inf
        return Estimate(float(self.mean[i] - self.mean[j]), float(math.sqrt(max(var, 0.0) / n)), n)


_check_run = check_run


def run_stream(
    specs: Sequence[ModelSpec],
    protocols: tuple[Protocol, ...],
    sampler: str,
    *,
    trials: int,
    seed: int,
    chunk: int,
    progress: bool | None,
    on_chunk: Callable[[int], None] | None,
    desc: str = "simulate",
) -> tuple[list[_Acc], BaseException | None]:
    """Stream ``trials`` trials in chunks of ``chunk`` (a multiple of BLOCK) for one or more
    models of the same static structure (vmapped over ``specs``). Returns one accumulator per
    spec and the interruption that stopped the run early, if any."""
    if chunk % BLOCK or chunk <= 0:
        raise ValueError(f"chunk must be a positive multiple of BLOCK={BLOCK}, got {chunk!r}")
    total_blocks = -(-trials // BLOCK)
    nb = chunk // BLOCK  # the program's shape: independent of ``trials`` (no recompiles)
    ndev = devices_for(nb)
    nb = ndev * -(-nb // ndev)
    batched = len(specs) > 1
    static = specs[0].static
    prog = _program(static, protocols, sampler, nb, batched, ndev)
    if batched:
        host_params = {k: np.stack([s.params[k] for s in specs]) for k in specs[0].params}
    else:
        host_params = specs[0].params
    params = as_device_params(host_params)
    root = root_key(seed)
    # blocks are dealt to the devices in turn (device d gets blocks d, d + D, ...), so a
    # short last chunk still keeps every device busy; outputs are put back in block order
    order = np.arange(nb).reshape(-1, ndev).T.reshape(-1)
    back = np.argsort(order)
    pairs = len(_t1_pairs(protocols))
    accs = [_Acc(len(protocols), pairs) for _ in specs]
    starts = range(0, total_blocks, nb)
    bar = tqdm(
        total=trials,
        desc=desc,
        unit="trial",
        unit_scale=True,
        disable=progress is False,
        delay=0.0 if progress else 2.0,
        leave=False,
    )

    def launch(c: int) -> tuple[int, tuple[jax.Array, ...]]:
        b0 = starts[c]
        blocks = b0 + order
        valid = np.clip(trials - blocks * BLOCK, 0, BLOCK).astype(np.int32)
        return b0, prog(params, root, jnp.asarray(blocks, jnp.uint32), jnp.asarray(valid))

    stop: BaseException | None = None
    try:
        pending = [launch(0)]
        nxt = 1
        while pending:
            b0, out = pending.pop(0)
            if nxt < len(starts):
                pending.append(launch(nxt))  # dispatch the next chunk before reading this one
                nxt += 1
            ax = 1 if batched else 0
            host = [np.take(np.asarray(a), back, axis=ax) for a in out]
            for s, acc in enumerate(accs):
                acc.add(*(h[s] if batched else h for h in host))
            done = min(trials, (b0 + nb) * BLOCK)
            bar.update(done - bar.n)
            if on_chunk is not None:
                on_chunk(done)
    except KeyboardInterrupt as exc:
        if accs[0].n < 2:
            raise
        stop = exc
    finally:
        bar.close()
    return accs, stop


def simulate(
    model: Model,
    protocol: Protocol,
    *,
    trials: int,
    seed: int = 0,
    sampler: str = "auto",
    chunk: int | None = None,
    progress: bool | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> Estimate:
    """Monte Carlo estimate of E[x of the protocol's output] under ``model``.

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocol : Protocol
        Any registered protocol the model defines.
    trials : int
        Independent questions (≥ 2).
    seed : int
        Non-negative; same seed, same numbers (same backend and JAX version).
    sampler : {"auto", "sufficient", "candidates"}
        See the module docstring.
    chunk : int, optional
        Trials per device call, a multiple of ``BLOCK`` (default :func:`chunk_trials`);
        results do not depend on it.
    progress : bool, optional
        Progress bar: None shows it for runs longer than about two seconds.
    on_chunk : callable, optional
        Called with the number of trials done after each chunk.

    Returns
    -------
    Estimate
        The mean and its standard error (sample standard deviation over √trials).

    Raises
    ------
    SimulationInterrupted
        On a KeyboardInterrupt after the first chunk (``.partial`` holds the estimate).

    Examples
    --------
    >>> from align_theory import GaussianModel, RandomPick
    >>> est = simulate(GaussianModel(mu=1.0), RandomPick(4), trials=2048, progress=False)
    >>> est.trials, abs(est.mean - 1.0) < 4 * est.stderr
    (2048, True)
    """
    _check_run(trials, seed)
    check_supported(model, [protocol])
    smp = resolve_sampler(model, [protocol], sampler)
    spec = model_spec(model, protocol.n)
    ch = chunk if chunk is not None else chunk_trials(model, [protocol], smp)
    accs, stop = run_stream(
        [spec],
        (protocol,),
        smp,
        trials=trials,
        seed=seed,
        chunk=ch,
        progress=progress,
        on_chunk=on_chunk,
    )
    est = accs[0].estimate(0, spec.shift)
    if stop is not None:
        raise SimulationInterrupted(est) from stop
    return est


def simulate_each(
    model: Model,
    protocols: Sequence[Protocol],
    *,
    trials: int,
    seed: int = 0,
    sampler: str = "auto",
    chunk: int | None = None,
    progress: bool | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[Estimate, ...]:
    """One :class:`Estimate` per protocol from a single compiled program (one compile for
    the lot).

    With the ``sufficient`` sampler (``auto`` when every protocol has it) protocol j draws
    from its own stream, ``fold_in(block key, j)``, so ``simulate_each(m, [p, …])[0]``
    equals ``simulate(m, p)``; with ``candidates`` the protocols share their draws as in
    :func:`compare`.

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocols : sequence of Protocol
        Non-empty.
    trials, seed, sampler, chunk, progress, on_chunk
        As in :func:`simulate`.

    Returns
    -------
    tuple of Estimate
        One per protocol, in order.

    Examples
    --------
    >>> from align_theory import Align, GaussianModel, SingleAgent
    >>> a, s = simulate_each(GaussianModel(), [Align(2, 2), SingleAgent(4, 2)],
    ...                      trials=2048, progress=False)
    >>> a.trials == s.trials == 2048
    True
    """
    if not protocols:
        raise ValueError("protocols must be a non-empty sequence")
    _check_run(trials, seed)
    protos = tuple(protocols)
    check_supported(model, protos)
    smp = resolve_sampler(model, protos, sampler)
    spec = model_spec(model, max(p.n for p in protos))
    ch = chunk if chunk is not None else chunk_trials(model, protos, smp)
    accs, stop = run_stream(
        [spec],
        protos,
        smp,
        trials=trials,
        seed=seed,
        chunk=ch,
        progress=progress,
        on_chunk=on_chunk,
    )
    ests = tuple(accs[0].estimate(i, spec.shift) for i in range(len(protos)))
    if stop is not None:
        raise SimulationInterrupted(ests[0]) from stop
    return ests


def _compare_result(protocols: tuple[Protocol, ...], acc: _Acc, shift: float) -> CompareResult:
    ests = tuple(acc.estimate(i, shift) for i in range(len(protocols)))
    diffs = {(i, j): acc.diff(i, j) for i, j in combinations(range(len(protocols)), 2)}
    return CompareResult(protocols, ests, diffs, int(acc.viol.sum()), _t1_pairs(protocols))


def compare(
    model: Model,
    protocols: Sequence[Protocol],
    *,
    trials: int,
    seed: int = 0,
    sampler: str = "candidates",
    chunk: int | None = None,
    progress: bool | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> CompareResult:
    """Evaluate every protocol on the same draws (common random numbers).

    Returns per-protocol estimates, the paired difference E[u_i − u_j] for every pair i < j
    with its own standard error, and the number of draws violating T1's pointwise order
    x_Align ≥ x_SA for each (Align exact, SingleAgent) pair reading the same pool. Uses the
    exact-candidates sampler (``sampler='auto'`` means the same).

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocols : sequence of Protocol
        Non-empty.
    trials, seed, chunk, progress, on_chunk
        As in :func:`simulate`.
    sampler : {"candidates", "auto"}
        Common random numbers need every candidate drawn.

    Returns
    -------
    CompareResult
        Estimates, paired differences and T1 violation counts.

    Examples
    --------
    >>> from align_theory import Align, GaussianModel, SingleAgent
    >>> res = compare(GaussianModel(), [Align(2, 2), SingleAgent(4, 2)], trials=2048,
    ...               progress=False)
    >>> res.t1_pairs, res.t1_violations, res.diffs[(0, 1)].mean >= 0
    (((0, 1),), 0, True)
    """
    if not protocols:
        raise ValueError("protocols must be a non-empty sequence")
    _check_run(trials, seed)
    protos = tuple(protocols)
    check_supported(model, protos)
    if sampler not in SAMPLERS or sampler == "sufficient":
        raise ValueError(
            "compare draws every candidate once for all protocols (common random numbers): "
            f"sampler must be 'candidates' or 'auto', got {sampler!r}"
        )
    spec = model_spec(model, max(p.n for p in protos))
    ch = chunk if chunk is not None else chunk_trials(model, protos, "candidates")
    accs, stop = run_stream(
        [spec],
        protos,
        "candidates",
        trials=trials,
        seed=seed,
        chunk=ch,
        progress=progress,
        on_chunk=on_chunk,
        desc="compare",
    )
    res = _compare_result(protos, accs[0], spec.shift)
    if stop is not None:
        raise SimulationInterrupted(res) from stop
    return res
