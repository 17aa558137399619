"""Append-only JSONL store of a run's records, and its manifest: the one place that reads
and writes a run folder's ``samples.jsonl``, ``judge.jsonl``, ``extras.jsonl`` and
``manifest.json``.

One record per line, typed by :mod:`align_theory.llm.records` (the schema):
:func:`load_records` parses each line into its record class (a line that breaks the schema
raises :class:`ValueError` naming the file, the line and the field), :meth:`JsonlStore.append`
writes a record's ``to_json()``, and :func:`read_manifest` / :func:`write_manifest` do the
same for the manifest. A record's ``key`` is the SHA-256 of the canonical JSON of its key
fields (:class:`~align_theory.llm.records.KeyFields`). A successful record is written once
per key: the runner asks :meth:`JsonlStore.done_keys` and issues only missing keys, so a
resumed run neither loses nor duplicates a sample. Failed attempts are recorded too
(``error`` set) and retried on resume.

A writer killed mid-line (SIGKILL) leaves a partial last line; :meth:`JsonlStore.open`
truncates it before appending, and :func:`read_records` reports and skips it.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, TypeVar, cast

from align_theory.llm.records import (
    ExtraRecord,
    JudgeRecord,
    Manifest,
    SampleRecord,
    canonical_json,
    key_hash,
)

__all__ = [
    "JsonlStore",
    "StoreStats",
    "canonical_json",
    "key_hash",
    "load_records",
    "read_manifest",
    "read_records",
    "write_json_atomic",
    "write_manifest",
]

R = TypeVar("R", SampleRecord, JudgeRecord, ExtraRecord)


class _Record(Protocol):
    """What :meth:`JsonlStore.append` writes: a record of :mod:`~align_theory.llm.records`."""

    @property
    def key(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...


@dataclass
class StoreStats:
    """What reading a store found."""

    lines: int = 0
    ok: int = 0
    failed: int = 0
    partial_lines: int = 0
    duplicate_ok: int = 0


def read_records(path: Path, stats: StoreStats | None = None) -> Iterator[dict[str, Any]]:
    """Yield each complete record of a JSONL store as its raw JSON object (a missing file
    yields nothing; ``NAME.jsonl.gz`` is read when only it exists).

    A line that does not parse (only possible as the last line of a killed writer) is
    counted in ``stats.partial_lines`` and skipped. :func:`load_records` gives the typed
    records.
    """
    for _, rec in _numbered(path, stats):
        yield rec


def _open(path: Path) -> IO[bytes] | None:
    """``path``, or its gzipped copy ``path.gz`` when only that exists, opened for reading."""
    if path.exists():
        return path.open("rb")
    gz = path.with_name(path.name + ".gz")
    return cast(IO[bytes], gzip.open(gz, "rb")) if gz.exists() else None


def _numbered(path: Path, stats: StoreStats | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, raw record) of each complete record line (:func:`read_records`)."""
    st = stats if stats is not None else StoreStats()
    opened = _open(path)
    if opened is None:
        return
    with opened as fh:
        for number, raw in enumerate(fh, start=1):
            st.lines += 1
            if not raw.endswith(b"\n"):
                st.partial_lines += 1
                continue
            try:
                rec = json.loads(raw)
            except ValueError:
                st.partial_lines += 1
                continue
            if not isinstance(rec, dict) or not isinstance(rec.get("key"), str):
                st.partial_lines += 1  # valid JSON but not a record (e.g. [1, 2])
                continue
            if rec.get("error"):
                st.failed += 1
            else:
                st.ok += 1
            yield number, rec


def load_records(path: Path, record_type: type[R], stats: StoreStats | None = None) -> list[R]:
    """Every complete record of a store, parsed as ``record_type`` (:func:`read_records`
    for the lines read and skipped).

    Raises
    ------
    ValueError
        A line breaks the schema; the message names the file, the line and the field.

    Examples
    --------
    >>> import align_theory
    >>> run = Path(align_theory.__file__).parents[1] / "runs" / "gsm8k-qwen0.5b-m4k4"
    >>> recs = load_records(run / "judge.jsonl", JudgeRecord)
    >>> len(recs), all(r.ok for r in recs), recs[0].output.reply
    (800, True, 'no')
    >>> load_records(run / "judge.jsonl", SampleRecord)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: .../judge.jsonl, line 1: sample record field 'kind' must be 'sample', got 'judge'
    """
    out = []
    for line, rec in _numbered(path, stats):
        try:
            out.append(record_type.from_json(rec))
        except ValueError as err:
            raise ValueError(f"{path}, line {line}: {err}") from None
    return out


def read_manifest(path: Path) -> Manifest:
    """The manifest stored at ``path`` (a run folder's ``manifest.json``).

    Raises
    ------
    ValueError
        The file is not JSON or breaks the schema; the message names the file and field.

    Examples
    --------
    >>> import align_theory
    >>> run = Path(align_theory.__file__).parents[1] / "runs" / "gsm8k-qwen0.5b-m4k4"
    >>> m = read_manifest(run / "manifest.json")
    >>> m.agent_names, m.config["per_agent"], len(m.invocations)
    (('a0-careful', 'a1-teacher', 'a2-skeptic', 'a3-concise'), 4, 5)
    """
    try:
        obj = json.loads(path.read_text())
    except ValueError:
        raise ValueError(f"{path} is not readable JSON") from None
    try:
        return Manifest.from_json(obj)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Write the manifest atomically (:func:`write_json_atomic`).

    Examples
    --------
    >>> import tempfile, align_theory
    >>> run = Path(align_theory.__file__).parents[1] / "runs" / "gsm8k-qwen0.5b-m4k4"
    >>> m = read_manifest(run / "manifest.json")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_manifest(Path(tmp) / "manifest.json", m)
    ...     (Path(tmp) / "manifest.json").read_bytes() == (run / "manifest.json").read_bytes()
    True
    """
    write_json_atomic(path, manifest.to_json())


def _truncate_partial_tail(path: Path) -> int:
    """Cut a last line that lacks its newline; return the bytes removed."""
    if not path.exists():
        return 0
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return 0
        # scan back to the last newline
        pos = size - 1
        block = 1 << 16
        while pos > 0:
            start = max(0, pos - block)
            fh.seek(start)
            chunk = fh.read(pos - start)
            idx = chunk.rfind(b"\n")
            if idx >= 0:
                keep = start + idx + 1
                fh.truncate(keep)
                return size - keep
            pos = start
        fh.truncate(0)
        return size


class JsonlStore:
    """Append-only writer for one JSONL file; every append is flushed and fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fh: Any = None
        self.repaired_bytes = 0

    def open(self) -> JsonlStore:
        """Repair a partial tail, then open for appending."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.repaired_bytes = _truncate_partial_tail(self.path)
        self._fh = self.path.open("ab")
        return self

    def close(self) -> None:
        """Close the file."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> JsonlStore:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def append(self, record: _Record) -> None:
        """Write one record's ``to_json()`` as one canonical JSON line, in a single write,
        then flush and fsync.

        Examples
        --------
        >>> import tempfile
        >>> from align_theory.llm.records import CallError, KeyFields, SamplingParams
        >>> kf = KeyFields("sample", "toy", "0", "m", SamplingParams(), "p", seed=1,
        ...                agent="a0", index=0)
        >>> rec = SampleRecord(kf, attempts=3, error=CallError("timeout", "read timeout"))
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     with JsonlStore(Path(tmp) / "samples.jsonl") as store:
        ...         store.append(rec)
        ...     load_records(store.path, SampleRecord) == [rec], store.done_keys()
        (True, set())
        """
        if self._fh is None:
            raise RuntimeError("store is not open")
        line = (canonical_json(record.to_json()) + "\n").encode()
        self._fh.write(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def done_keys(self) -> set[str]:
        """Keys that already have a successful record."""
        return {r["key"] for r in read_records(self.path) if not r.get("error")}


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON to a temporary file and rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
