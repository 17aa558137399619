"""Checks of a run's arguments and the interruption of a run, shared by both backends (no
JAX)."""

from __future__ import annotations

import numpy as np

from align_theory._validate import positive_int
from align_theory.results import CompareResult, Estimate

__all__ = ["SimulationInterrupted", "check_run"]


class SimulationInterrupted(KeyboardInterrupt):
    """Raised when a run is interrupted after at least one chunk; ``partial`` is the
    :class:`Estimate` (or :class:`CompareResult`) over the completed trials."""

    def __init__(self, partial: Estimate | CompareResult) -> None:
        n = partial.trials if isinstance(partial, Estimate) else partial.estimates[0].trials
        super().__init__(f"interrupted; partial result over {n} trials")
        self.partial = partial


def check_run(trials: int, seed: int) -> None:
    """Validate ``trials`` (an integer ≥ 2) and ``seed`` (a non-negative integer).

    Examples
    --------
    >>> check_run(1, 0)
    Traceback (most recent call last):
    ...
    ValueError: trials must be an integer >= 2, got 1
    """
    positive_int("trials", trials, 2)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
