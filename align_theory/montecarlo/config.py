r"""Runtime settings of the engine, applied once when :mod:`align_theory.montecarlo` loads.

Environment variables (read at import; each can be switched off):

``ALIGN_THEORY_JAX_CACHE``
    Directory of JAX's persistent compilation cache, so a program compiled once is loaded
    from disk by every later process (default ``$XDG_CACHE_HOME/align-theory/jax``, i.e.
    ``~/.cache/align-theory/jax``; ``off`` disables it). Left alone when the user has set
    ``jax_compilation_cache_dir`` themselves.
``ALIGN_THEORY_CPU_DEVICES``
    On the CPU backend, the number of host devices XLA exposes
    (``--xla_force_host_platform_device_count``), each running its programs on one thread
    (``--xla_cpu_multi_thread_eigen=false``): the run loop spreads chunks over the devices
    instead of splitting one program over intra-op threads (default: the number of CPUs,
    at most 8; ``off`` leaves ``XLA_FLAGS`` untouched). Only applied when JAX's backends are
    not initialised yet and ``XLA_FLAGS`` does not already set these flags; GPU and TPU
    settings are never touched.
``ALIGN_THEORY_PRNG``
    The PRNG implementation of the run's keys: ``threefry2x32`` (JAX's default, counter
    based, identical on every backend), ``rbg`` or ``unsafe_rbg`` (XLA's RngBitGenerator;
    JAX documents ``rbg`` as a sound generator whose streams may differ across backends
    and versions). Default: see :data:`PRNG_DEFAULT`.
``ALIGN_THEORY_NUMPY_MAX_TRIALS``
    The ``auto`` backend's threshold: runs of at most this many trials whose protocols all
    have a sufficient-statistics sampler go to the numpy backend, which never imports JAX
    (:mod:`align_theory.montecarlo.backend`; default :data:`NUMPY_MAX_TRIALS`; ``0`` or
    ``off`` sends every run to JAX).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = [
    "NUMPY_MAX_TRIALS",
    "PRNG_DEFAULT",
    "PRNG_IMPLS",
    "apply",
    "cache_dir",
    "numpy_max_trials",
    "prng_impl",
]

PRNG_IMPLS = ("threefry2x32", "rbg", "unsafe_rbg")
PRNG_DEFAULT = "threefry2x32"
"""The default key implementation (kept for reproducibility across backends)."""

NUMPY_MAX_TRIALS = 2_000_000
"""Default threshold of the ``auto`` backend (trials), chosen by measurement in
docs/benchmarks.md (Issue 16): below it JAX's import, client start and compile (or cache
load) cost more than the numpy backend's whole run."""

_OFF = {"off", "0", "false", "no", "none", ""}


def cache_dir() -> Path | None:
    """The persistent compilation cache directory, or None when switched off.

    Examples
    --------
    >>> import os
    >>> saved = os.environ.get("ALIGN_THEORY_JAX_CACHE")
    >>> os.environ["ALIGN_THEORY_JAX_CACHE"] = "off"
    >>> cache_dir() is None
    True
    >>> os.environ["ALIGN_THEORY_JAX_CACHE"] = "/tmp/x"
    >>> str(cache_dir())
    '/tmp/x'
    >>> _ = os.environ.pop("ALIGN_THEORY_JAX_CACHE")
    >>> if saved is not None:
    ...     os.environ["ALIGN_THEORY_JAX_CACHE"] = saved
    """
    val = os.environ.get("ALIGN_THEORY_JAX_CACHE")
    if val is not None:
        return None if val.strip().lower() in _OFF else Path(val).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "align-theory" / "jax"


def prng_impl() -> str:
    """The PRNG implementation of the run keys (``ALIGN_THEORY_PRNG``).

    Examples
    --------
    >>> prng_impl() in PRNG_IMPLS
    True
    """
    val = os.environ.get("ALIGN_THEORY_PRNG", PRNG_DEFAULT).strip()
    if val not in PRNG_IMPLS:
        raise ValueError(f"ALIGN_THEORY_PRNG must be one of {PRNG_IMPLS}, got {val!r}")
    return val


def numpy_max_trials() -> int:
    """The ``auto`` backend's threshold in trials (``ALIGN_THEORY_NUMPY_MAX_TRIALS``).

    Examples
    --------
    >>> import os
    >>> saved = os.environ.pop("ALIGN_THEORY_NUMPY_MAX_TRIALS", None)
    >>> numpy_max_trials() == NUMPY_MAX_TRIALS
    True
    >>> os.environ["ALIGN_THEORY_NUMPY_MAX_TRIALS"] = "off"
    >>> numpy_max_trials()
    0
    >>> _ = os.environ.pop("ALIGN_THEORY_NUMPY_MAX_TRIALS")
    >>> if saved is not None:
    ...     os.environ["ALIGN_THEORY_NUMPY_MAX_TRIALS"] = saved
    """
    val = os.environ.get("ALIGN_THEORY_NUMPY_MAX_TRIALS")
    if val is None:
        return NUMPY_MAX_TRIALS
    if val.strip().lower() in _OFF:
        return 0
    try:
        n = int(float(val))
    except ValueError:
        raise ValueError(
            f"ALIGN_THEORY_NUMPY_MAX_TRIALS must be a non-negative integer or 'off', got {val!r}"
        ) from None
    if n < 0:
        raise ValueError(f"ALIGN_THEORY_NUMPY_MAX_TRIALS must be >= 0, got {val!r}")
    return n


def _cpu_flags() -> None:
    val = os.environ.get("ALIGN_THEORY_CPU_DEVICES")
    if val is not None and val.strip().lower() in _OFF:
        return
    try:
        n = int(val) if val is not None else min(8, len(os.sched_getaffinity(0)))
    except (ValueError, AttributeError):
        n = min(8, os.cpu_count() or 1)
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" in flags or "multi_thread_eigen" in flags:
        return
    bridge = sys.modules.get("jax._src.xla_bridge")  # loaded only if JAX is
    if bridge is not None and getattr(bridge, "_backends", None):
        return  # too late: the CPU client exists already
    extra = f"--xla_force_host_platform_device_count={max(1, n)} --xla_cpu_multi_thread_eigen=false"
    os.environ["XLA_FLAGS"] = f"{flags} {extra}".strip()


def apply() -> None:
    """Apply the settings above (idempotent; called by :mod:`align_theory.montecarlo`).

    Imports no JAX: before JAX is imported the cache settings go to the environment
    variables JAX reads at import (``JAX_COMPILATION_CACHE_DIR``,
    ``JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS``, ``JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES``),
    so the numpy backend never loads it; once JAX is loaded they go to ``jax.config``.

    Examples
    --------
    >>> apply()  # a second call changes nothing
    """
    _cpu_flags()
    path = cache_dir()
    if path is None:
        return
    jax = sys.modules.get("jax")
    if jax is None:
        if "JAX_COMPILATION_CACHE_DIR" in os.environ:
            return  # the user's own setting
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        os.environ["JAX_COMPILATION_CACHE_DIR"] = str(path)
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
        return
    if not getattr(jax.config, "jax_compilation_cache_dir", None):
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        jax.config.update("jax_compilation_cache_dir", str(path))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
