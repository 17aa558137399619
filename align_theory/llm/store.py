"""Append-only JSONL store of samples and judge calls, and the run manifest.

One record per line. A record's ``key`` is the SHA-256 of the canonical JSON of its key
fields: for a sample (kind, dataset, question id, agent, sample index, model, every sampling
parameter, seed, prompt hash); for a judge call the same plus the judged sample's key. A
successful record is written once per key: the runner asks :meth:`JsonlStore.done_keys` and
issues only missing keys, so a resumed run neither loses nor duplicates a sample. Failed
attempts are recorded too (``error`` set) and retried on resume.

A writer killed mid-line (SIGKILL) leaves a partial last line; :meth:`JsonlStore.open`
truncates it before appending, and :func:`read_records` reports and skips it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "JsonlStore",
    "StoreStats",
    "canonical_json",
    "key_hash",
    "read_records",
    "write_json_atomic",
]


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no spaces: equal objects give equal strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_hash(fields: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of the key fields."""
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


@dataclass
class StoreStats:
    """What reading a store found."""

    lines: int = 0
    ok: int = 0
    failed: int = 0
    partial_lines: int = 0
    duplicate_ok: int = 0


def read_records(path: Path, stats: StoreStats | None = None) -> Iterator[dict[str, Any]]:
    """Yield each complete record of a JSONL store (a missing file yields nothing).

    A line that does not parse (only possible as the last line of a killed writer) is
    counted in ``stats.partial_lines`` and skipped.
    """
    st = stats if stats is not None else StoreStats()
    if not path.exists():
        return
    with path.open("rb") as fh:
        for raw in fh:
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
            yield rec


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

    def append(self, record: dict[str, Any]) -> None:
        """Write one record as one line, in a single write, then flush and fsync."""
        if self._fh is None:
            raise RuntimeError("store is not open")
        line = (canonical_json(record) + "\n").encode()
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
