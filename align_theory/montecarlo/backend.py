r"""The Monte Carlo entry points and their backend choice (this module imports no JAX).

``simulate``, ``simulate_each`` and ``compare`` take ``backend=``:

``"jax"``
    The JAX engine (:mod:`align_theory.montecarlo.run`): compiled, chunked, on every core
    or an accelerator; the fastest per trial, but a process pays about a second (warm
    compile cache) to a few seconds (cold) to import JAX, start the XLA client and compile.
``"numpy"``
    The numpy backend (:mod:`align_theory.montecarlo.numpy_sufficient`): the same
    sufficient statistics as the JAX ``sufficient`` sampler, vectorized in chunks on one
    core, never importing JAX; protocols without a sufficient form (Shortlist in model B,
    recorded pools) and ``sampler="candidates"`` fall back to :mod:`align_theory.reference`,
    which draws every candidate (slow, but exact in law).
``"auto"`` (the default)
    numpy when every protocol has a numpy sufficient sampler, none uses the ``bayes``
    principal (its posterior integration per proposal runs far slower in numpy than
    compiled), the sampler allows it (``auto`` or ``sufficient``) and ``trials`` ≤ the
    threshold
    :func:`align_theory.montecarlo.config.numpy_max_trials` (default
    :data:`align_theory.montecarlo.config.NUMPY_MAX_TRIALS`, chosen by measurement in
    docs/benchmarks.md, Issue 16; ``ALIGN_THEORY_NUMPY_MAX_TRIALS`` overrides it); JAX
    otherwise. ``compare`` (common random numbers over every candidate) always picks JAX on
    ``auto``.

The two backends draw different random streams (PCG64 per protocol vs threefry per block):
each is seeded and reproducible on its own, and they agree in law (within standard errors,
tested), not digit for digit. ``chunk`` and ``progress`` are the JAX engine's; the numpy
backend ignores them.

Examples
--------
>>> import os
>>> from align_theory import Align, GaussianModel
>>> saved = os.environ.pop("ALIGN_THEORY_NUMPY_MAX_TRIALS", None)  # the default threshold
>>> resolve_backend(GaussianModel(), [Align(8, 8, "judge")], 100_000, "auto")
'numpy'
>>> resolve_backend(GaussianModel(), [Align(8, 8, "judge")], 10**8, "auto")
'jax'
>>> if saved is not None:
...     os.environ["ALIGN_THEORY_NUMPY_MAX_TRIALS"] = saved
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from align_theory.models import Model
from align_theory.montecarlo import config, numpy_sufficient
from align_theory.montecarlo.guards import SimulationInterrupted, check_run
from align_theory.montecarlo.specs import check_supported
from align_theory.protocols import Protocol
from align_theory.results import CompareResult, Estimate

__all__ = [
    "BACKENDS",
    "SimulationInterrupted",
    "check_run",
    "compare",
    "resolve_backend",
    "simulate",
    "simulate_each",
]

BACKENDS: tuple[str, ...] = ("auto", "jax", "numpy")


def resolve_backend(
    model: Model, protocols: Sequence[Protocol], trials: int, backend: str, sampler: str = "auto"
) -> str:
    """The backend a run uses (module docstring): ``"jax"`` or ``"numpy"``.

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocols : sequence of Protocol
        The protocols of the run.
    trials : int
        Trials of the run.
    backend : {"auto", "jax", "numpy"}
        The requested backend.
    sampler : {"auto", "sufficient", "candidates"}
        The requested sampler (``candidates`` keeps ``auto`` on JAX).

    Returns
    -------
    str
        ``"jax"`` or ``"numpy"``.

    Raises
    ------
    ValueError
        An unknown backend.

    Examples
    --------
    >>> from align_theory import BernoulliModel, Shortlist
    >>> resolve_backend(BernoulliModel(1.0, 1.0), [Shortlist(8, 2)], 1000, "auto")
    'jax'
    >>> resolve_backend(BernoulliModel(1.0, 1.0), [Shortlist(8, 2)], 1000, "numpy")
    'numpy'
    >>> from align_theory import Align, GaussianModel
    >>> resolve_backend(GaussianModel(), [Align(4, 4, "bayes")], 1000, "auto")
    'jax'
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend != "auto":
        return backend
    small = trials <= config.numpy_max_trials()
    every = all(
        numpy_sufficient.supports_sufficient(model, p)
        and getattr(p, "principal", "exact") != "bayes"
        for p in protocols
    )
    return "numpy" if small and every and sampler in ("auto", "sufficient") else "jax"


def _numpy_each(
    model: Model,
    protos: tuple[Protocol, ...],
    trials: int,
    seed: int,
    sampler: str,
    on_chunk: Callable[[int], None] | None,
) -> tuple[Estimate, ...]:
    every = all(numpy_sufficient.supports_sufficient(model, p) for p in protos)
    if sampler not in ("auto", "sufficient", "candidates"):
        raise ValueError(
            f"sampler must be one of ('auto', 'sufficient', 'candidates'), got {sampler!r}"
        )
    if sampler == "sufficient" and not every:
        bad = [p for p in protos if not numpy_sufficient.supports_sufficient(model, p)]
        raise ValueError(
            f"sampler='sufficient' is not defined for {bad} in {type(model).__name__}; "
            "use sampler='candidates'"
        )
    if sampler == "candidates" or not every:
        from align_theory import reference

        return reference.compare(model, protos, trials=trials, seed=seed).estimates
    try:
        return numpy_sufficient.simulate_each(
            model, protos, trials=trials, seed=seed, on_chunk=on_chunk
        )
    except KeyboardInterrupt as exc:
        partial = getattr(exc, "partial", None)
        if partial is None:
            raise
        raise SimulationInterrupted(partial[0]) from exc


def simulate(
    model: Model,
    protocol: Protocol,
    *,
    trials: int,
    seed: int = 0,
    sampler: str = "auto",
    backend: str = "auto",
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
        Non-negative; same seed, same numbers (same backend; module docstring).
    sampler : {"auto", "sufficient", "candidates"}
        See :mod:`align_theory.montecarlo`.
    backend : {"auto", "jax", "numpy"}
        See the module docstring.
    chunk, progress
        The JAX engine's chunk size and progress bar (:func:`.run.simulate`).
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
    >>> est = simulate(GaussianModel(mu=1.0), RandomPick(4), trials=2048, backend="numpy")
    >>> est.trials, abs(est.mean - 1.0) < 4 * est.stderr
    (2048, True)
    """
    check_run(trials, seed)
    check_supported(model, [protocol])
    if resolve_backend(model, [protocol], trials, backend, sampler) == "numpy":
        return _numpy_each(model, (protocol,), trials, seed, sampler, on_chunk)[0]
    from align_theory.montecarlo import run

    return run.simulate(
        model,
        protocol,
        trials=trials,
        seed=seed,
        sampler=sampler,
        chunk=chunk,
        progress=progress,
        on_chunk=on_chunk,
    )


def simulate_each(
    model: Model,
    protocols: Sequence[Protocol],
    *,
    trials: int,
    seed: int = 0,
    sampler: str = "auto",
    backend: str = "auto",
    chunk: int | None = None,
    progress: bool | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[Estimate, ...]:
    """One :class:`Estimate` per protocol (one compiled program on JAX, one stream per
    protocol with the sufficient samplers, so ``simulate_each(m, [p, …])[0]`` equals
    ``simulate(m, p)`` on either backend).

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocols : sequence of Protocol
        Non-empty.
    trials, seed, sampler, backend, chunk, progress, on_chunk
        As in :func:`simulate`.

    Returns
    -------
    tuple of Estimate
        One per protocol, in order.

    Examples
    --------
    >>> from align_theory import Align, GaussianModel, SingleAgent
    >>> a, s = simulate_each(GaussianModel(), [Align(2, 2), SingleAgent(4, 2)],
    ...                      trials=2048, backend="numpy")
    >>> a.trials == s.trials == 2048
    True
    """
    if not protocols:
        raise ValueError("protocols must be a non-empty sequence")
    check_run(trials, seed)
    protos = tuple(protocols)
    check_supported(model, protos)
    if resolve_backend(model, protos, trials, backend, sampler) == "numpy":
        return _numpy_each(model, protos, trials, seed, sampler, on_chunk)
    from align_theory.montecarlo import run

    return run.simulate_each(
        model,
        protos,
        trials=trials,
        seed=seed,
        sampler=sampler,
        chunk=chunk,
        progress=progress,
        on_chunk=on_chunk,
    )


def compare(
    model: Model,
    protocols: Sequence[Protocol],
    *,
    trials: int,
    seed: int = 0,
    sampler: str = "candidates",
    backend: str = "auto",
    chunk: int | None = None,
    progress: bool | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> CompareResult:
    """Evaluate every protocol on the same draws (common random numbers).

    Returns per-protocol estimates, the paired difference E[u_i − u_j] for every pair
    i < j with its own standard error, and the number of draws violating T1's pointwise
    order x_Align ≥ x_SA for each (Align exact, SingleAgent) pair reading the same pool.
    Every candidate is drawn: ``backend="auto"`` is JAX; ``"numpy"`` is the reference
    engine :func:`align_theory.reference.compare`.

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocols : sequence of Protocol
        Non-empty.
    trials, seed, chunk, progress, on_chunk
        As in :func:`simulate` (``on_chunk``, ``chunk`` and ``progress``: JAX only).
    sampler : {"candidates", "auto"}
        Common random numbers need every candidate drawn.
    backend : {"auto", "jax", "numpy"}
        See above.

    Returns
    -------
    CompareResult
        Estimates, paired differences and T1 violation counts.

    Examples
    --------
    >>> from align_theory import Align, GaussianModel, SingleAgent
    >>> res = compare(GaussianModel(), [Align(2, 2), SingleAgent(4, 2)], trials=2048,
    ...               backend="numpy")
    >>> res.t1_pairs, res.t1_violations, res.diffs[(0, 1)].mean >= 0
    (((0, 1),), 0, True)
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "numpy":
        if not protocols:
            raise ValueError("protocols must be a non-empty sequence")
        check_run(trials, seed)
        check_supported(model, protocols)
        if sampler not in ("candidates", "auto"):
            raise ValueError(
                "compare draws every candidate once for all protocols (common random "
                f"numbers): sampler must be 'candidates' or 'auto', got {sampler!r}"
            )
        from align_theory import reference

        return reference.compare(model, protocols, trials=trials, seed=seed)
    from align_theory.montecarlo import run

    return run.compare(
        model,
        protocols,
        trials=trials,
        seed=seed,
        sampler=sampler,
        chunk=chunk,
        progress=progress,
        on_chunk=on_chunk,
    )
