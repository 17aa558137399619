"""Result types shared by every engine: estimates, paired comparisons and checked reports.

One home for what a computation returns, so the closed forms, the Monte Carlo engines, the
statement checks and the recorded-run estimators speak the same types:

* :class:`Estimate` — a mean with its standard error (Monte Carlo) or its interval
  (bootstrap over questions);
* :class:`CompareResult` — several protocols evaluated on common random numbers;
* :class:`Report` — one checked statement (two independent computations and a verdict);
* :func:`estimate` and :func:`paired_difference` — the sample mean ± standard error of
  draws and of paired differences;
* :func:`bootstrap` — percentile intervals over questions, one resample shared by every
  series (so differences of series are paired).

Nothing here imports JAX.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from align_theory.protocols import Protocol

__all__ = [
    "Z_TOL",
    "CompareResult",
    "Estimate",
    "Report",
    "bootstrap",
    "estimate",
    "paired_difference",
]

Z_TOL = 4.0
"""Two computations agree when they differ by at most Z_TOL standard errors."""


@dataclass(frozen=True)
class Estimate:
    """A mean with its standard error (sample sd / √trials) over ``trials`` draws.

    ``lo`` and ``hi`` hold an interval when one was computed (a bootstrap percentile
    interval over questions for recorded runs); they are ``None`` otherwise.

    Examples
    --------
    >>> print(Estimate(0.5, 0.01, 100))
    0.500000 ± 0.010000 (n=100)
    """

    mean: float
    stderr: float
    trials: int
    lo: float | None = None
    hi: float | None = None

    def __str__(self) -> str:
        if self.lo is None or self.hi is None:
            return f"{self.mean:.6f} ± {self.stderr:.6f} (n={self.trials})"
        return f"{self.mean:.6f} [{self.lo:.6f}, {self.hi:.6f}] (n={self.trials})"


def estimate(values: np.ndarray) -> Estimate:
    r"""Sample mean ± standard error of iid draws: (x̄, s/√n, n), s the sample sd (ddof 1).

    Parameters
    ----------
    values : array_like
        n ≥ 2 draws (flattened).

    Examples
    --------
    >>> e = estimate(np.array([0.0, 1.0, 0.0, 1.0]))
    >>> e.mean, round(e.stderr, 6), e.trials
    (0.5, 0.288675, 4)
    """
    v = np.asarray(values, dtype=float).ravel()
    if v.size < 2:
        raise ValueError(f"values must hold at least 2 draws, got {v.size}")
    return Estimate(float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)), int(v.size))


def paired_difference(u: np.ndarray, v: np.ndarray) -> Estimate:
    r"""E[u − v] from paired draws (common random numbers): :func:`estimate` of u − v.

    Examples
    --------
    >>> paired_difference(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0]))
    Estimate(mean=1.0, stderr=0.0, trials=3, lo=None, hi=None)
    """
    uu, vv = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(v, dtype=float))
    return estimate(uu - vv)


@dataclass(frozen=True)
class CompareResult:
    """Per-protocol estimates on common random numbers, paired differences
    ``diffs[(i, j)]`` = estimate of E[u_i − u_j] (i < j), and ``t1_violations``: draws on
    which an ``Align(principal="exact")`` fell below a ``SingleAgent`` reading the same
    pool (``t1_pairs`` lists those index pairs)."""

    protocols: tuple[Protocol, ...]
    estimates: tuple[Estimate, ...]
    diffs: dict[tuple[int, int], Estimate]
    t1_violations: int
    t1_pairs: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Report:
    """One checked statement: value A (closed form or published) against value B (Monte
    Carlo, with its standard error), the difference and its standard error, and the
    verdict of the statement's own inequality or identity (``holds``).

    Examples
    --------
    >>> r = Report("T0", "demo", {}, "closed", 1.0, "MC", 1.01, 0.01, holds=True)
    >>> round(r.z, 6), r.agrees, r.passed
    (-1.0, True, True)
    """

    statement: str
    claim: str
    params: dict[str, Any]
    label_a: str
    value_a: float
    label_b: str
    value_b: float
    stderr_b: float
    holds: bool
    detail: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def diff(self) -> float:
        """value_a − value_b."""
        return self.value_a - self.value_b

    @property
    def z(self) -> float:
        """(value_a − value_b)/stderr_b (0 when both agree exactly with zero error)."""
        if self.stderr_b == 0.0:
            return 0.0 if abs(self.diff) < 1e-12 else math.inf
        return self.diff / self.stderr_b

    @property
    def agrees(self) -> bool:
        """The two computations agree within Z_TOL standard errors."""
        return abs(self.z) <= Z_TOL

    @property
    def passed(self) -> bool:
        """Agreement of the two computations and the statement's verdict."""
        return self.agrees and self.holds

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of every field and derived quantity."""
        return {
            "statement": self.statement,
            "claim": self.claim,
            "params": self.params,
            "label_a": self.label_a,
            "value_a": self.value_a,
            "label_b": self.label_b,
            "value_b": self.value_b,
            "stderr_b": self.stderr_b,
            "diff": self.diff,
            "z": self.z,
            "agrees": self.agrees,
            "holds": self.holds,
            "passed": self.passed,
            "detail": self.detail,
            "extra": self.extra,
        }


def bootstrap(
    values: Mapping[str, np.ndarray],
    *,
    reps: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Estimate]:
    r"""Percentile bootstrap over questions for several per-question series at once.

    Resample b = 1..``reps`` draws Q question indices with replacement
    (``default_rng(seed).integers(0, Q, (reps, Q))``, the same for every series, so the
    interval of u − v is that of paired differences); the interval is the (α/2, 1 − α/2)
    quantiles of the resampled means, α = 1 − ``level``; ``stderr`` is their standard
    deviation. Vectorized: one (reps × Q) count matrix times the (Q × series) values.

    Parameters
    ----------
    values : mapping of name -> array (Q,)
        Per-question values, all of the same length Q ≥ 1.
    reps : int
        Bootstrap resamples, ≥ 1.
    level : float
        Interval level in (0, 1).
    seed : int
        Resampling seed.

    Examples
    --------
    >>> est = bootstrap({"a": np.array([0.0, 1.0, 1.0, 0.0])}, reps=500)
    >>> est["a"].mean, est["a"].lo <= 0.5 <= est["a"].hi
    (0.5, True)
    """
    if not values:
        return {}
    if int(reps) < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    names = list(values)
    mat = np.stack([np.asarray(values[k], dtype=float).ravel() for k in names], axis=1)
    q = mat.shape[0]
    for k in names:
        if np.asarray(values[k]).size != q:
            raise ValueError(
                f"values[{k!r}] has {np.asarray(values[k]).size} entries, expected {q}"
            )
    if q == 0:
        raise ValueError("values must hold at least one question")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, q, size=(int(reps), q))
    counts = np.bincount(
        (np.arange(int(reps))[:, None] * q + idx).ravel(), minlength=int(reps) * q
    ).reshape(int(reps), q)
    means = counts @ mat / q  # (reps, series)
    alpha = (1.0 - float(level)) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha], axis=0)
    sd = means.std(axis=0, ddof=1) if reps > 1 else np.zeros(len(names))
    center = mat.mean(axis=0)
    return {
        k: Estimate(float(center[i]), float(sd[i]), q, float(lo[i]), float(hi[i]))
        for i, k in enumerate(names)
    }
