"""Parameter sweeps: a grid of models × protocols → a tidy table, written incrementally.

``sweep(model_factory, protocols, grid, trials=..., seed=..., out="runs/x.csv")`` evaluates
``model_factory(**point)`` for every grid point and every protocol with the Monte Carlo
engine of :mod:`align_theory.montecarlo`, and returns one row per (grid point, protocol):
the point's parameters, ``protocol`` (its repr), ``mean``, ``stderr``, ``trials``,
``sampler``.

* Grid points whose models share a static structure (same model class and the same discrete
  options) are evaluated together by one vmapped, compiled program, ``batch`` points at a
  time; the chunk is divided by the batch so memory stays bounded.
* Every grid point uses the same ``seed``: common random numbers across the grid, so curves
  are smooth and differences between neighbouring points have small variance. With the
  ``candidates`` sampler, all protocols of a point also share their draws (as in
  :func:`align_theory.montecarlo.compare`); with ``sufficient`` (the ``auto`` choice when
  every protocol has it) each protocol has its own draws, exactly those of
  :func:`align_theory.montecarlo.simulate_each` for the point.
* With ``out``, the rows of each finished batch are appended to a CSV file (flushed and
  fsynced) next to a JSON manifest (``<out>.manifest.json``) holding the configuration. A
  killed sweep rerun with the same arguments reads both and evaluates only the missing
  points; a different configuration is refused rather than mixed in.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jax

from align_theory import __version__
from align_theory.models import Model
from align_theory.montecarlo.kernels import check_supported
from align_theory.montecarlo.run import (
    BLOCK,
    _check_run,
    chunk_trials,
    resolve_sampler,
    run_stream,
)
from align_theory.montecarlo.specs import model_spec
from align_theory.protocols import Protocol

__all__ = ["FIELDS", "expand_grid", "sweep"]

FIELDS = ("point", "protocol", "mean", "stderr", "trials", "sampler")
"""Columns every row has, after the grid parameters."""


def expand_grid(grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]) -> list[dict]:
    """Grid points: the Cartesian product of a mapping name → values (first name slowest), or
    an explicit sequence of mappings."""
    if isinstance(grid, Mapping):
        names = list(grid)
        return [dict(zip(names, vals, strict=True)) for vals in itertools.product(*grid.values())]
    return [dict(pt) for pt in grid]


def _manifest(
    points: list[dict], protocols: Sequence[Protocol], trials: int, seed: int, sampler: str
) -> dict[str, Any]:
    return {
        "format": "align-theory sweep v1",
        "protocols": [repr(p) for p in protocols],
        "points": points,
        "trials": trials,
        "seed": seed,
        "sampler": sampler,
        "block": BLOCK,
        "align_theory": __version__,
        "jax": jax.__version__,
        "backend": jax.default_backend(),
    }


def _same_config(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("protocols", "points", "trials", "seed", "sampler", "block")
    return all(json.dumps(a.get(k), default=str) == json.dumps(b.get(k), default=str) for k in keys)


def _read_done(path: Path, columns: list[str]) -> dict[int, dict[str, dict[str, str]]]:
    """Rows already on disk, by point and protocol; a torn last line is cut off."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with path.open("r+b") as fh:
            fh.truncate(cut)
    done: dict[int, dict[str, dict[str, str]]] = {}
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is not None and list(reader.fieldnames) != columns:
            raise ValueError(f"{path} has columns {reader.fieldnames}, expected {columns}")
        for row in reader:
            done.setdefault(int(row["point"]), {})[row["protocol"]] = row
    return done


def sweep(
    model_factory: Callable[..., Model],
    protocols: Sequence[Protocol],
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    *,
    trials: int,
    seed: int = 0,
    out: str | os.PathLike[str] | None = None,
    sampler: str = "auto",
    batch: int = 8,
    progress: bool | None = None,
) -> list[dict[str, Any]]:
    """Evaluate every protocol at every grid point; return the tidy table (list of rows).

    ``sampler``: ``auto`` (``sufficient`` when every protocol has it in every model of the
    grid, else ``candidates``), ``sufficient`` or ``candidates``. ``batch``: grid points
    evaluated together by one vmapped program. ``out``: CSV path written incrementally and
    resumed on rerun (module docstring). A KeyboardInterrupt stops the sweep with every
    finished batch on disk.
    """
    _check_run(trials, seed)
    protos = tuple(protocols)
    if not protos:
        raise ValueError("protocols must be a non-empty sequence")
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch!r}")
    points = expand_grid(grid)
    if not points:
        raise ValueError("grid has no points")
    models = [model_factory(**pt) for pt in points]
    for m in models:
        check_supported(m, protos)
    if sampler == "auto":
        every = all(resolve_sampler(m, [p], "auto") == "sufficient" for m in models for p in protos)
        mode = "sufficient" if every else "candidates"
    else:
        mode = sampler
        for m in models:
            for p in protos if mode == "sufficient" else [protos[0]]:
                resolve_sampler(m, [p] if mode == "sufficient" else list(protos), mode)
    names = [repr(p) for p in protos]
    columns = [*points[0].keys(), *FIELDS]
    for pt in points:
        if list(pt) != list(points[0]):
            raise ValueError("every grid point must have the same parameter names")

    done: dict[int, dict[str, dict[str, str]]] = {}
    path = Path(out) if out is not None else None
    man = _manifest(points, protos, trials, seed, mode)
    if path is not None:
        mpath = path.with_name(path.name + ".manifest.json")
        if path.exists() and mpath.exists():
            old = json.loads(mpath.read_text())
            if not _same_config(old, man):
                raise ValueError(
                    f"{path} holds a sweep with a different configuration; "
                    "use another out path or delete it"
                )
            done = _read_done(path, columns)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            mpath.write_text(json.dumps(man, indent=1, default=str))
            with path.open("w", newline="") as fh:
                csv.writer(fh).writerow(columns)

    todo = [i for i in range(len(points)) if set(done.get(i, {})) != set(names)]
    results: dict[int, list[tuple[float, float, int]]] = {}
    # batches of consecutive points with one static structure
    groups: list[list[int]] = []
    for i in todo:
        n_max = max(p.n for p in protos)
        key = model_spec(models[i], n_max).static
        if (
            groups
            and len(groups[-1]) < batch
            and model_spec(models[groups[-1][0]], n_max).static == key
        ):
            groups[-1].append(i)
        else:
            groups.append([i])
    evals = [protos]  # one compiled program for all protocols (see simulate_each)
    for grp in groups:
        row_vals: dict[int, list[tuple[float, float, int]]] = {i: [] for i in grp}
        for ev in evals:
            spec_ev = [model_spec(models[i], max(p.n for p in ev)) for i in grp]
            ch = chunk_trials(models[grp[0]], list(ev), mode, batch=len(grp))
            accs, stop = run_stream(
                spec_ev,
                ev,
                mode,
                trials=trials,
                seed=seed,
                chunk=ch,
                progress=progress,
                on_chunk=None,
                desc=f"sweep {grp[0]}..{grp[-1]}",
            )
            if stop is not None:
                raise stop
            for i, acc, sp in zip(grp, accs, spec_ev, strict=True):
                for j in range(len(ev)):
                    e = acc.estimate(j, sp.shift)
                    row_vals[i].append((e.mean, e.stderr, e.trials))
        results.update(row_vals)
        if path is not None:
            with path.open("a", newline="") as fh:
                w = csv.writer(fh)
                for i in grp:
                    for name, (mu, se, n) in zip(names, row_vals[i], strict=True):
                        w.writerow([*points[i].values(), i, name, repr(mu), repr(se), n, mode])
                fh.flush()
                os.fsync(fh.fileno())

    table: list[dict[str, Any]] = []
    for i, pt in enumerate(points):
        for j, name in enumerate(names):
            if i in results:
                mu, se, n = results[i][j]
            else:
                r = done[i][name]
                mu, se, n = float(r["mean"]), float(r["stderr"]), int(r["trials"])
            table.append(
                {
                    **pt,
                    "point": i,
                    "protocol": name,
                    "mean": mu,
                    "stderr": se,
                    "trials": n,
                    "sampler": mode,
                }
            )
    return table
