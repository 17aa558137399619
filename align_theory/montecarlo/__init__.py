r"""Monte Carlo engine (JAX): ``simulate(model, protocol, trials=..., seed=...) -> Estimate``.

The engine estimates E[x of the protocol's output] under a candidate model (DESIGN's
sections 1–2) by streaming trials (questions) through a jitted JAX program in chunks;
memory is bounded by the chunk, whatever ``trials`` is. It runs on JAX's default device
(CPU here; unchanged on a GPU).

Modules
    :mod:`.run` the one run loop (blocks, chunks, accumulation, interruption) behind
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

from align_theory.montecarlo import config

config.apply()  # before any JAX computation: compile cache, CPU devices, PRNG (see config)

from align_theory.montecarlo.run import (  # noqa: E402
    BLOCK,
    CHUNK_BYTES,
    SimulationInterrupted,
    chunk_trials,
    compare,
    resolve_sampler,
    root_key,
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

__all__ = [
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
    "resolve_sampler",
    "root_key",
    "simulate",
    "simulate_each",
]
