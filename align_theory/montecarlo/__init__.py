r"""Monte Carlo engine: ``simulate(model, protocol, trials=..., seed=...) -> Estimate``.

The engine estimates E[x of the protocol's output] under a candidate model (DESIGN's
sections 1–2) by streaming trials (questions) through a jitted JAX program in chunks;
memory is bounded by the chunk, whatever ``trials`` is. It runs on JAX's default device
(CPU here; unchanged on a GPU). Small runs go to a numpy backend of the same sufficient
statistics that never imports JAX (``backend="auto"``, :mod:`.backend`); importing this
package loads no JAX.

Modules
    :mod:`.backend` the entry points and the backend choice (no JAX);
    :mod:`.numpy_sufficient` the numpy backend's samplers and loop (no JAX);
    :mod:`.run` the JAX engine's one run loop (blocks, chunks, accumulation, interruption) behind
    :func:`simulate`, :func:`simulate_each` and :func:`compare`; :mod:`.sweep` grids of
    models over the same loop; :mod:`.specs` the typed model specs (static structure +
    float32 parameters); :mod:`.kernels` the dispatch by model and protocol class;
    :mod:`.gaussian`, :mod:`.bernoulli`, :mod:`.empirical` the kernels per model;
    :mod:`.common` the shared draws and selection rules.

Samplers (``sampler=``)
    ``candidates`` draws every candidate's (x, y, x̂): needed for common random numbers and
    for T1's draw-by-draw check, and the only sampler for empirical pools. ``sufficient``
    draws sufficient statistics only; one protocol at a time. ``auto`` (the default of
    :func:`simulate`) uses ``sufficient`` where the protocol has it.

Examples
--------
>>> from align_theory import Align, GaussianModel
>>> est = simulate(GaussianModel(tau=0.0), Align(2, 2), trials=2048, seed=0, progress=False)
>>> est.trials, 0.8 < est.mean < 1.2   # E[max of 4 N(0, 1)] = 1.029
(2048, True)
"""

from typing import TYPE_CHECKING, Any

from align_theory.montecarlo import config

config.apply()  # before JAX is imported: compile cache, CPU devices (see config); no JAX

from align_theory.montecarlo.backend import (  # noqa: E402
    BACKENDS,
    SimulationInterrupted,
    compare,
    resolve_backend,
    simulate,
    simulate_each,
)
from align_theory.montecarlo.specs import (  # noqa: E402
    MAX_WRONG_ANSWERS,
    BernoulliStatic,
    EmpiricalStatic,
    GaussianStatic,
    ModelSpec,
    model_spec,
)
from align_theory.results import CompareResult, Estimate  # noqa: E402

if TYPE_CHECKING:
    from align_theory.montecarlo.run import (
        BLOCK,
        CHUNK_BYTES,
        chunk_trials,
        resolve_sampler,
        root_key,
    )

_JAX_NAMES = ("BLOCK", "CHUNK_BYTES", "chunk_trials", "resolve_sampler", "root_key")


def __getattr__(name: str) -> Any:
    """The JAX engine's names, imported on first use (PEP 562), so that the numpy backend
    never loads JAX."""
    if name in _JAX_NAMES:
        from align_theory.montecarlo import run

        return getattr(run, name)
    raise AttributeError(f"module 'align_theory.montecarlo' has no attribute {name!r}")


__all__ = [
    "BACKENDS",
    "BLOCK",
    "CHUNK_BYTES",
    "MAX_WRONG_ANSWERS",
    "BernoulliStatic",
    "CompareResult",
    "EmpiricalStatic",
    "Estimate",
    "GaussianStatic",
    "ModelSpec",
    "SimulationInterrupted",
    "chunk_trials",
    "compare",
    "model_spec",
    "resolve_backend",
    "resolve_sampler",
    "root_key",
    "simulate",
    "simulate_each",
]
