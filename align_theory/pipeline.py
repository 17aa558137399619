"""Simulations as a pipeline: studies write tidy results, figures read them.

A *study* is a script ``simulations/<study>.py``: it computes everything one paper figure
shows (Monte Carlo sweeps with :func:`align_theory.sweep.sweep`, closed-form curves on a
grid) and writes its tables to ``results/sim/<study>.<table>.csv`` (one row per grid point
and protocol, with ``mean`` and ``stderr`` where the value is an estimate) and a JSON
manifest ``results/sim/<study>.json`` holding the versions, seeds, parameters, trial counts
and a *fingerprint*: SHA-256 digests of the study script and of the package's computing
modules, and the study's configuration (quick mode, trials). The figure script
``paper_figures/<study>.py`` reads the study with :func:`load_study` and only draws.

:func:`reproduce` runs every study whose manifest is missing or whose fingerprint differs
from the current one (:func:`stale_reason`), then every figure: restyling a figure
recomputes nothing, and changing a study script, the computing code or the trial count
recomputes exactly the studies concerned.

Examples
--------
>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> write_table(d / "s.curve.csv", [{"x": 0.5, "protocol": "Align(4, 4)", "mean": 1.25}])
>>> read_table(d / "s.curve.csv")
[{'x': 0.5, 'protocol': 'Align(4, 4)', 'mean': 1.25}]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import platform
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "RESULTS",
    "SIMULATIONS",
    "StoredChecks",
    "StoredStudy",
    "Study",
    "StudyArgs",
    "code_digest",
    "fingerprint",
    "load_study",
    "read_table",
    "records",
    "reproduce",
    "stale_reason",
    "studies",
    "study_args",
    "write_study",
    "write_table",
]

RESULTS = Path("results") / "sim"
"""Where studies write, relative to the repository root."""

SIMULATIONS = Path("simulations")
"""Where the study scripts live, relative to the repository root."""

# Modules whose code can change a study's numbers; plotting, the CLI, this module and the
# LLM adapter cannot, so editing them leaves every study current.
_NOT_COMPUTING = {"plotting.py", "cli.py", "pipeline.py"}
_NOT_COMPUTING_DIRS = {"llm"}

_MANIFEST_FORMAT = "align-theory study v1"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_digest(package: Path | None = None) -> str:
    """SHA-256 over the package's computing modules (every ``*.py`` of ``align_theory``
    except plotting, the CLI, this pipeline and the LLM adapter), in path order.

    Examples
    --------
    >>> len(code_digest())
    64
    """
    pkg = Path(package) if package is not None else Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(pkg.rglob("*.py")):
        rel = p.relative_to(pkg)
        if rel.parts[0] in _NOT_COMPUTING_DIRS or str(rel) in _NOT_COMPUTING:
            continue
        h.update(str(rel).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def fingerprint(script: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    """What a study's results depend on: its script, the computing code, its configuration.

    Examples
    --------
    >>> fp = fingerprint(Path(__file__), {"quick": True, "trials": None})
    >>> sorted(fp), fp["config"]
    (['code_sha256', 'config', 'script_sha256'], {'quick': True, 'trials': None})
    """
    return {
        "script_sha256": _sha256(Path(script).read_bytes()),
        "code_sha256": code_digest(),
        "config": dict(config),
    }


# ------------------------------------------------------------------------ tables


def _parse(text: str) -> Any:
    if text == "":
        return None
    if text in ("True", "False"):
        return text == "True"
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def write_table(path: Path | str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write ``rows`` (mappings; the columns are the union of their keys in first-seen
    order) as a CSV file; floats are written with ``repr`` so they read back exactly."""
    if not rows:
        raise ValueError("rows must be a non-empty sequence")
    cols: dict[str, None] = {}
    for r in rows:
        cols.update(dict.fromkeys(r))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in rows:
            w.writerow(
                [
                    "" if r.get(c) is None else repr(r[c]) if isinstance(r[c], float) else r[c]
                    for c in cols
                ]
            )


def read_table(path: Path | str) -> list[dict[str, Any]]:
    """Rows of a CSV table written by :func:`write_table` or by
    :func:`align_theory.sweep.sweep`, numbers and booleans parsed back."""
    with Path(path).open(newline="", encoding="utf-8") as fh:
        return [{k: _parse(v) for k, v in row.items()} for row in csv.DictReader(fh)]


# ------------------------------------------------------------------------ studies


@dataclass(frozen=True)
class StudyArgs:
    """Parsed command line of a study script: quick mode, trials override, output folder."""

    quick: bool
    trials: int | None
    out: Path

    def trials_or(self, default: int, quick: int) -> int:
        """The trial count: ``--trials`` if given, else ``quick`` or ``default``."""
        if self.trials is not None:
            return self.trials
        return quick if self.quick else default

    @property
    def config(self) -> dict[str, Any]:
        """The configuration that enters the fingerprint."""
        return {"quick": self.quick, "trials": self.trials}


def study_args(description: str, argv: Sequence[str] | None = None) -> StudyArgs:
    """Parse ``--quick``, ``--trials N`` and ``--out DIR`` (default ``results/sim``).

    Examples
    --------
    >>> study_args("x", ["--quick", "--trials", "64"])
    StudyArgs(quick=True, trials=64, out=PosixPath('results/sim'))
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small grids and trial counts")
    parser.add_argument("--trials", type=int, default=None, help="trials per Monte Carlo point")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    ns = parser.parse_args(argv)
    if ns.trials is not None and ns.trials < 2:
        parser.error(f"--trials must be >= 2, got {ns.trials}")
    return StudyArgs(quick=bool(ns.quick), trials=ns.trials, out=Path(ns.out))


def _versions() -> dict[str, str]:
    from align_theory import __version__

    out = {"align_theory": __version__, "python": platform.python_version()}
    for name in ("numpy", "scipy", "jax"):
        mod = sys.modules.get(name)
        if mod is not None:
            out[name] = str(getattr(mod, "__version__", "?"))
    return out


def write_study(
    args: StudyArgs,
    script: str | Path,
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    parameters: Mapping[str, Any],
    seeds: Mapping[str, int] | None = None,
    trials: int | None = None,
    seconds: float | None = None,
) -> Path:
    """Write each table to ``<out>/<study>.<table>.csv`` and then the manifest
    ``<out>/<study>.json`` (written last: a study killed midway has no manifest and is
    stale). ``script`` is the study's ``__file__``; its stem names the study."""
    script = Path(script)
    name = script.stem
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for tname, rows in tables.items():
        path = out / f"{name}.{tname}.csv"
        write_table(path, rows)
        files[tname] = path.name
    man = {
        "format": _MANIFEST_FORMAT,
        "study": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": _versions(),
        "fingerprint": fingerprint(script, args.config),
        "trials": trials,
        "seeds": dict(seeds or {}),
        "parameters": dict(parameters),
        "tables": files,
        "seconds": seconds,
    }
    mpath = out / f"{name}.json"
    mpath.write_text(json.dumps(man, indent=1, default=str) + "\n", encoding="utf-8")
    return mpath


@dataclass(frozen=True)
class StoredStudy:
    """A study read back: its manifest and its tables (lists of rows) by name."""

    manifest: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __getitem__(self, table: str) -> list[dict[str, Any]]:
        return self.tables[table]

    @property
    def parameters(self) -> dict[str, Any]:
        """The study's parameters, as stored in its manifest."""
        return dict(self.manifest["parameters"])


def load_study(name: str, results: Path | str = RESULTS) -> StoredStudy:
    """Read study ``name`` from ``results`` (manifest and every table)."""
    results = Path(results)
    mpath = results / f"{name}.json"
    if not mpath.exists():
        raise FileNotFoundError(
            f"{mpath} is missing: run `python simulations/{name}.py` or `align reproduce`"
        )
    man = json.loads(mpath.read_text(encoding="utf-8"))
    tables = {t: read_table(results / f) for t, f in man["tables"].items()}
    return StoredStudy(manifest=man, tables=tables)


@dataclass(frozen=True)
class Study:
    """A study script and the result folder it writes to."""

    name: str
    script: Path
    results: Path

    @property
    def manifest(self) -> Path:
        """The study's manifest path."""
        return self.results / f"{self.name}.json"


def studies(root: Path | str = ".") -> list[Study]:
    """Every study of the repository at ``root``: ``simulations/*.py`` (not ``_*.py``)."""
    root = Path(root)
    return [
        Study(p.stem, p, root / RESULTS)
        for p in sorted((root / SIMULATIONS).glob("*.py"))
        if not p.name.startswith("_")
    ]


def stale_reason(study: Study, config: Mapping[str, Any]) -> str | None:
    """Why ``study`` must be recomputed under ``config`` (``None`` when it is current):
    no manifest, or a different script, computing code or configuration."""
    if not study.manifest.exists():
        return "no results"
    try:
        man = json.loads(study.manifest.read_text(encoding="utf-8"))
        old = man["fingerprint"]
        missing = [f for f in man["tables"].values() if not (study.results / f).exists()]
    except (ValueError, KeyError, TypeError):
        return "unreadable manifest"
    if missing:
        return f"missing {missing[0]}"
    new = fingerprint(study.script, config)
    for key, what in (
        ("script_sha256", "study script changed"),
        ("code_sha256", "computing code changed"),
        ("config", "configuration changed"),
    ):
        if old.get(key) != new[key]:
            return what
    return None


@dataclass(frozen=True)
class StoredChecks:
    """The statement checks' stored result ``path`` (written by ``align verify --out``) and
    its fingerprint file ``<path>.fingerprint.json``: the computing code's digest, the
    configuration and the exit status. Current when both exist and match."""

    path: Path
    config: Mapping[str, Any]

    @property
    def _fp(self) -> Path:
        return self.path.with_name(self.path.name + ".fingerprint.json")

    def current(self) -> bool:
        """Whether the stored checks were computed by this code under this configuration."""
        if not (self.path.exists() and self._fp.exists()):
            return False
        try:
            old = json.loads(self._fp.read_text(encoding="utf-8"))
        except ValueError:
            return False
        return bool(
            old.get("code_sha256") == code_digest() and old.get("config") == dict(self.config)
        )

    def status(self) -> int:
        """The exit status the stored checks had."""
        return int(json.loads(self._fp.read_text(encoding="utf-8"))["status"])

    def record(self, status: int) -> None:
        """Store the fingerprint of checks just written to :attr:`path`."""
        fp = {"code_sha256": code_digest(), "config": dict(self.config), "status": int(status)}
        self._fp.write_text(json.dumps(fp, indent=1) + "\n", encoding="utf-8")


def _run_script(path: Path, argv: list[str]) -> str | None:
    """Run ``path``'s ``main(argv)`` in this process; the error text, or None on success."""
    spec = importlib.util.spec_from_file_location(f"_align_script_{path.stem}", path)
    if spec is None or spec.loader is None:
        return f"cannot load {path}"
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
        rc = mod.main(argv)
    except SystemExit as stop:
        rc = stop.code
    except Exception:
        return traceback.format_exc()
    return None if rc in (0, None) else f"exit status {rc}"


def reproduce(
    root: Path | str = ".",
    *,
    quick: bool = False,
    trials: int | None = None,
    force: bool = False,
    echo: Callable[[str], None] = print,
) -> list[str]:
    """Run the stale studies of ``root`` (all with ``force``), then every figure script of
    ``paper_figures/``; return the names of the scripts that failed.

    Scripts run in this process (``main(argv)``), so the package is imported and the JAX
    programs compiled once for all of them. ``trials`` overrides every study's trial count.
    """
    root = Path(root).resolve()
    results = root / RESULTS
    config = {"quick": quick, "trials": trials}
    argv = ["--out", str(results)] + (["--quick"] if quick else [])
    argv += ["--trials", str(trials)] if trials is not None else []
    failed: list[str] = []
    todo = [(s, "forced" if force else stale_reason(s, config)) for s in studies(root)]
    echo(f"== studies ({sum(r is not None for _, r in todo)} of {len(todo)} to run)")
    for s, reason in todo:
        if reason is None:
            echo(f"   {s.name}: current")
            continue
        for old in results.glob(f"{s.name}.*"):
            old.unlink()
        t0 = time.perf_counter()
        err = _run_script(s.script, argv)
        if err is not None or stale_reason(s, config) is not None:
            failed.append(s.script.name)
            echo(f"   {s.name}: FAILED ({reason})\n{err or 'no manifest written'}")
        else:
            echo(f"   {s.name}: {reason}, ran in {time.perf_counter() - t0:.1f} s")
    figs = _figure_scripts(root)
    echo(f"== figures ({len(figs)} scripts)")
    fargv = ["--results", str(results), "--out", str(root / "paper_figures" / "out")]
    import matplotlib

    matplotlib.use("Agg")
    for f in figs:
        t0 = time.perf_counter()
        err = _run_script(f, fargv)
        if err is not None:
            failed.append(f.name)
            echo(f"   {f.stem}: FAILED\n{err}")
        else:
            echo(f"   {f.stem}: {time.perf_counter() - t0:.1f} s")
    echo(f"figures written to {root / 'paper_figures' / 'out'}")
    return failed


def _figure_scripts(root: Path) -> list[Path]:
    return sorted((root / "paper_figures").glob("fig*.py"))


def records(rows: Iterable[Mapping[str, Any]], **match: Any) -> list[dict[str, Any]]:
    """The rows whose columns equal every ``match`` value, in order.

    Examples
    --------
    >>> records([{"a": 1, "b": 2}, {"a": 2, "b": 3}], a=2)
    [{'a': 2, 'b': 3}]
    """
    return [dict(r) for r in rows if all(r.get(k) == v for k, v in match.items())]
