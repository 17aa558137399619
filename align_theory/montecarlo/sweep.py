"""Parameter sweeps: a grid of models × protocols → a tidy table, written incrementally.

``sweep(model_factory, protocols, grid, trials=..., seed=..., out=...)`` evaluates
``model_factory(**point)`` for every grid point and every protocol with the Monte Carlo
engine of :mod:`align_theory.montecarlo`, and returns one row per (grid point, protocol):
the point's parameters, ``point`` (its index), ``protocol`` (its repr), ``mean``,
``stderr``, ``trials``, ``sampler``.

* Grid points whose models share a static structure are evaluated together by one
  vmapped, compiled program, ``batch`` points at a time; a short batch (the last one, or
  one cut by a change of structure) is padded to the full width when that costs few
  trials (:data:`PAD_MAX_TRIALS`), so a sweep compiles one program, not two.
* Every grid point uses the same ``seed``: common random numbers across the grid. With
  the ``candidates`` sampler all protocols of a point share their draws (as in
  :func:`align_theory.montecarlo.compare`); with ``sufficient`` each protocol has its own,
  exactly those of :func:`align_theory.montecarlo.simulate_each` for the point.
* ``executor``: any :class:`concurrent.futures.Executor` (``ProcessPoolExecutor``,
  ``ThreadPoolExecutor``) or a Dask ``distributed.Client``, the documented way to scale out
  (it also runs on SLURM or Kubernetes clusters through ``dask-jobqueue`` /
  ``dask-kubernetes``). Each task evaluates one batch of grid points with the same engine
  and seeds, so the rows are those of the single-process sweep; the client streams every
  finished batch to disk. ``model_factory`` must then be picklable (a module-level
  function). A worker lost mid-task is retried by Dask; a killed client reruns with the
  same arguments and evaluates only what is missing.
* ``out``: results on disk, resumable, next to a JSON manifest ``<out>.manifest.json``
  (format, versions of align-theory / JAX / numpy / pyarrow, backend, PRNG, seed, trials,
  sampler, protocols and every grid point). A path ending in ``.parquet`` (the default
  format) gets tidy Parquet (pyarrow): each finished batch is written atomically to
  ``<out>.parts/``, and when every point is done the parts are joined into ``<out>``; a
  path ending in ``.csv`` keeps the older CSV format (appended, flushed and fsynced per
  batch) and old CSV sweeps resume as before. A rerun with another configuration is
  refused rather than mixed in.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, as_completed
from pathlib import Path
from typing import Any

import jax

from align_theory import __version__
from align_theory.models import Model
from align_theory.montecarlo import config
from align_theory.montecarlo.run import (
    BLOCK,
    _check_run,
    chunk_trials,
    resolve_sampler,
    run_stream,
)
from align_theory.montecarlo.specs import check_supported, model_spec
from align_theory.protocols import Protocol

__all__ = ["FIELDS", "PAD_MAX_TRIALS", "expand_grid", "sweep"]

PAD_MAX_TRIALS = 1 << 22
"""A sweep's short batch is padded to the full batch width (one compiled program for the
whole sweep) when the padding adds at most this many trials (about one compile's time)."""

FIELDS = ("point", "protocol", "mean", "stderr", "trials", "sampler")
"""Columns every row has, after the grid parameters."""


def expand_grid(grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]) -> list[dict]:
    """Grid points: the Cartesian product of a mapping name → values (first name slowest), or
    an explicit sequence of mappings.

    Parameters
    ----------
    grid : mapping of str to sequence, or sequence of mappings
        The grid.

    Returns
    -------
    list of dict
        One dict of parameters per point.

    Examples
    --------
    >>> expand_grid({"a": [1, 2], "b": [0]})
    [{'a': 1, 'b': 0}, {'a': 2, 'b': 0}]
    """
    if isinstance(grid, Mapping):
        names = list(grid)
        return [dict(zip(names, vals, strict=True)) for vals in itertools.product(*grid.values())]
    return [dict(pt) for pt in grid]


def _manifest(
    points: list[dict], protocols: Sequence[Protocol], trials: int, seed: int, sampler: str
) -> dict[str, Any]:
    import numpy

    try:
        import pyarrow

        pa_version: str | None = pyarrow.__version__
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        pa_version = None
    return {
        "format": "align-theory sweep v2",
        "protocols": [repr(p) for p in protocols],
        "points": points,
        "trials": trials,
        "seed": seed,
        "sampler": sampler,
        "block": BLOCK,
        "prng": config.prng_impl(),
        "align_theory": __version__,
        "jax": jax.__version__,
        "numpy": numpy.__version__,
        "pyarrow": pa_version,
        "backend": jax.default_backend(),
    }


def _same_config(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("protocols", "points", "trials", "seed", "sampler", "block")
    return all(json.dumps(a.get(k), default=str) == json.dumps(b.get(k), default=str) for k in keys)


Row = dict[str, Any]


def _read_csv(path: Path, columns: list[str]) -> list[Row]:
    """Rows of an (older) CSV sweep file; a torn last line is cut off, and a file a kill
    left empty or with a half-written header gets its header written again."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with path.open("r+b") as fh:
            fh.truncate(cut)
    if path.stat().st_size == 0:
        with path.open("w", newline="") as fh:
            csv.writer(fh).writerow(columns)
        return []
    rows = []
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is not None and list(reader.fieldnames) != columns:
            raise ValueError(f"{path} has columns {reader.fieldnames}, expected {columns}")
        for r in reader:
            rows.append(
                {
                    **r,
                    "point": int(r["point"]),
                    "mean": float(r["mean"]),
                    "stderr": float(r["stderr"]),
                    "trials": int(r["trials"]),
                }
            )
    return rows


def _parts_dir(path: Path) -> Path:
    return path.with_name(path.name + ".parts")


def _read_parquet(path: Path) -> list[Row]:
    """Rows of a finished Parquet sweep, or of its parts written so far."""
    import pyarrow.parquet as pq

    if path.exists():
        return list(pq.read_table(path).to_pylist())
    rows: list[Row] = []
    parts = _parts_dir(path)
    for part in sorted(parts.glob("part-*.parquet")) if parts.exists() else []:
        rows.extend(pq.read_table(part).to_pylist())
    return rows


def _write_part(path: Path, first: int, rows: list[Row]) -> None:
    """One finished batch, atomically (written to a temporary name, then renamed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = _parts_dir(path)
    parts.mkdir(parents=True, exist_ok=True)
    tmp = parts / f".tmp-{first:09d}-{os.getpid()}.parquet"
    pq.write_table(pa.Table.from_pylist(rows), tmp)
    os.replace(tmp, parts / f"part-{first:09d}.parquet")


def _join_parts(path: Path, rows: list[Row]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(pa.Table.from_pylist(rows), tmp)
    os.replace(tmp, path)
    parts = _parts_dir(path)
    for part in parts.glob("*.parquet"):
        part.unlink()
    parts.rmdir()


def _evaluate_batch(
    model_factory: Callable[..., Model],
    protos: tuple[Protocol, ...],
    points: list[dict[str, Any]],
    first: int,
    mode: str,
    trials: int,
    seed: int,
    progress: bool | None,
    pad_to: int = 1,
) -> list[Row]:
    """Rows of consecutive grid points ``first``, ``first + 1``, ... (one static structure):
    one vmapped program over the batch, the same seed for every point (runs on a worker).
    A batch shorter than ``pad_to`` is padded with copies of its last point (results
    dropped), so a sweep's short last batch reuses the compiled program of the full ones
    instead of compiling another shape."""
    models = [model_factory(**pt) for pt in points]
    specs = [model_spec(m, max(p.n for p in protos)) for m in models]
    width = max(len(specs), pad_to)
    padded = specs + [specs[-1]] * (width - len(specs))
    ch = chunk_trials(models[0], list(protos), mode, batch=width)
    accs, stop = run_stream(
        padded,
        protos,
        mode,
        trials=trials,
        seed=seed,
        chunk=ch,
        progress=progress,
        on_chunk=None,
        desc=f"sweep {first}..{first + len(points) - 1}",
    )
    if stop is not None:
        raise stop
    rows = []
    for i, (pt, acc, sp) in enumerate(zip(points, accs[: len(points)], specs, strict=True)):
        for j, p in enumerate(protos):
            e = acc.estimate(j, sp.shift)
            rows.append(
                {
                    **pt,
                    "point": first + i,
                    "protocol": repr(p),
                    "mean": e.mean,
                    "stderr": e.stderr,
                    "trials": e.trials,
                    "sampler": mode,
                }
            )
    return rows


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
    executor: Executor | Any | None = None,
) -> list[dict[str, Any]]:
    """Evaluate every protocol at every grid point; return the tidy table (list of rows).

    Parameters
    ----------
    model_factory : callable
        ``model_factory(**point)`` → the model of one grid point.
    protocols : sequence of Protocol
        Evaluated at every point.
    grid : mapping of name → values, or sequence of mappings
        The points (:func:`expand_grid`).
    trials, seed : int
        Trials per point and the seed every point uses (common random numbers).
    out : path, optional
        ``*.parquet`` (tidy Parquet, written per batch, resumable) or ``*.csv`` (the older
        format), with ``<out>.manifest.json`` (module docstring).
    sampler : {"auto", "sufficient", "candidates"}
        ``auto``: ``sufficient`` when every protocol has it in every model of the grid.
    batch : int
        Grid points evaluated together by one vmapped program (one task of ``executor``).
    progress : bool, optional
        Progress bars (single-process runs).
    executor : concurrent.futures.Executor or distributed.Client, optional
        Evaluates the batches in parallel (module docstring); rows and files are the same
        as without it.

    Returns
    -------
    list of dict
        One row per (point, protocol), in grid order then protocol order.

    Examples
    --------
    >>> from align_theory import Align, GaussianModel, SingleAgent
    >>> rows = sweep(lambda kappa: GaussianModel(kappa=kappa), [Align(2, 2, "judge")],
    ...              {"kappa": [0.0, 1.0]}, trials=2048, progress=False)
    >>> [(r["kappa"], r["point"]) for r in rows], rows[0]["mean"] > rows[1]["mean"]
    ([(0.0, 0), (1.0, 1)], True)
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

    path = Path(out) if out is not None else None
    as_csv = path is not None and path.suffix.lower() == ".csv"
    found: list[Row] = []
    if path is not None:  # the manifest (and pyarrow, ~0.3 s to import) only with a file
        man = _manifest(points, protos, trials, seed, mode)
        mpath = path.with_name(path.name + ".manifest.json")
        old_text = mpath.read_text() if mpath.exists() else ""
        try:
            old = json.loads(old_text) if old_text else None
        except json.JSONDecodeError:  # a kill while the manifest was written: no row is kept
            old = None
        if old is not None and (path.exists() or _parts_dir(path).exists()):
            if not _same_config(old, man):
                raise ValueError(
                    f"{path} holds a sweep with a different configuration; "
                    "use another out path or delete it"
                )
            found = _read_csv(path, columns) if as_csv else _read_parquet(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = mpath.with_name(mpath.name + ".tmp")
            tmp.write_text(json.dumps(man, indent=1, default=str))
            os.replace(tmp, mpath)
            if as_csv:
                with path.open("w", newline="") as fh:
                    csv.writer(fh).writerow(columns)
    done: dict[int, dict[str, Row]] = {}
    for r in found:
        done.setdefault(int(r["point"]), {})[str(r["protocol"])] = r

    todo = [i for i in range(len(points)) if set(done.get(i, {})) != set(names)]
    # batches of consecutive points with one static structure
    n_max = max(p.n for p in protos)
    groups: list[list[int]] = []
    for i in todo:
        key = model_spec(models[i], n_max).static
        if (
            groups
            and len(groups[-1]) < batch
            and groups[-1][-1] == i - 1
            and model_spec(models[groups[-1][0]], n_max).static == key
        ):
            groups[-1].append(i)
        else:
            groups.append([i])

    full = max((len(g) for g in groups), default=1)

    def _pad(grp: list[int]) -> int:
        # pad a short batch to the full width when the extra points cost less than
        # compiling another program (PAD_MAX_TRIALS, measured in docs/benchmarks.md)
        return full if (full - len(grp)) * trials <= PAD_MAX_TRIALS else len(grp)

    def store(rows: list[Row]) -> None:
        for r in rows:
            done.setdefault(int(r["point"]), {})[str(r["protocol"])] = r
        if path is None:
            return
        if not as_csv:
            _write_part(path, int(rows[0]["point"]), rows)
            return
        with path.open("a", newline="") as fh:
            w = csv.writer(fh)
            for r in rows:
                vals = [r[c] for c in points[0]]
                stats = [repr(r["mean"]), repr(r["stderr"]), r["trials"], r["sampler"]]
                w.writerow([*vals, r["point"], r["protocol"], *stats])
            fh.flush()
            os.fsync(fh.fileno())

    if executor is None:
        for grp in groups:
            store(
                _evaluate_batch(
                    model_factory,
                    protos,
                    [points[i] for i in grp],
                    grp[0],
                    mode,
                    trials,
                    seed,
                    progress,
                    _pad(grp),
                )
            )
    else:
        futures = [
            executor.submit(
                _evaluate_batch,
                model_factory,
                protos,
                [points[i] for i in grp],
                grp[0],
                mode,
                trials,
                seed,
                False,
                _pad(grp),
            )
            for grp in groups
        ]
        for fut in _as_completed(executor, futures):
            store(fut.result())

    table: list[dict[str, Any]] = []
    for i, pt in enumerate(points):
        for name in names:
            r = done[i][name]
            table.append(
                {
                    **pt,
                    "point": i,
                    "protocol": name,
                    "mean": float(r["mean"]),
                    "stderr": float(r["stderr"]),
                    "trials": int(r["trials"]),
                    "sampler": str(r["sampler"]),
                }
            )
    if path is not None and not as_csv and not path.exists():
        _join_parts(path, table)
    return table


def _as_completed(executor: Any, futures: list[Any]) -> Any:
    """Futures as they finish: Dask's own ``as_completed`` for a ``distributed.Client``,
    :func:`concurrent.futures.as_completed` otherwise."""
    if type(executor).__module__.startswith("distributed"):
        from distributed import as_completed as dask_completed

        return dask_completed(futures)
    return as_completed(futures)
