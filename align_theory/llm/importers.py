"""Existing evaluation logs as pools, without new sampling.

* :func:`from_lm_eval` — lm-evaluation-harness ``--log_samples`` output (``samples_<task>_*.jsonl``:
  one JSON object per document with ``doc_id``, ``target`` and ``resps``, the model's
  responses; self-consistency tasks log their repeated samples in ``resps``). Each response
  is one candidate of one agent (the model), graded against ``target`` with the toolkit's
  answer extraction and checker.
* :func:`from_inspect` — an inspect_ai eval log (``.json`` written by ``inspect eval``
  with ``--log-format json``): each sample's ``id``, ``target`` and ``epochs`` repeats; one
  candidate per (sample, epoch), its completion ``output.completion`` graded likewise.

Both return an :class:`~align_theory.models.EmpiricalPool` with one agent, K = the number of
responses (the smallest count over documents; extra ones are dropped and counted), agent
score 0 (agents rank by vote share: ``vote_share="primary"``) and principal score 1/2
(no judge: PrincipalBestOfN is a random pick). ``align llm import FORMAT PATH --out DIR``
writes the tidy table ``DIR/candidates.parquet`` (and ``.csv``) and an analysis of every
protocol at every budget.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from align_theory.llm.answers import AnswerChecker, extract_answer, normalize_answer
from align_theory.models import EmpiricalPool

__all__ = ["FORMATS", "from_inspect", "from_lm_eval", "pool_from_responses"]


def _flatten(resps: Any) -> list[str]:
    """lm-eval's ``resps`` is a list (per request) of lists (per repeat) of strings."""
    out: list[str] = []
    stack = [resps]
    while stack:
        item = stack.pop(0)
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, list | tuple):
            stack = list(item) + stack
    return out


def pool_from_responses(
    docs: Iterable[tuple[str, str, list[str]]], name: str, checker: AnswerChecker | None = None
) -> EmpiricalPool:
    """(question id, gold answer, responses) per document → a one-agent pool.

    Answers are extracted (:func:`~align_theory.llm.answers.extract_answer`), graded against
    the gold answer, and grouped into classes by normalized string.
    """
    rows = [(q, str(g), list(r)) for q, g, r in docs]
    if not rows:
        raise ValueError("the log has no documents with responses")
    k = min(len(r) for _, _, r in rows)
    if k < 1:
        bad = next(q for q, _, r in rows if not r)
        raise ValueError(f"document {bad!r} has no responses")
    own = checker is None
    chk = checker or AnswerChecker()
    correct = np.zeros((len(rows), 1, k), dtype=bool)
    answers = np.full((len(rows), 1, k), -1, dtype=np.int64)
    try:
        for i, (_, gold, resps) in enumerate(rows):
            ids: dict[str, int] = {}
            for j, text in enumerate(resps[:k]):
                ans = extract_answer(text)[0]
                if ans is None:
                    continue
                answers[i, 0, j] = ids.setdefault(normalize_answer(ans), len(ids))
                gold_ans = extract_answer(gold)[0] or gold
                correct[i, 0, j] = chk.check(gold_ans, ans) == "equal"
    finally:
        if own:
            chk.close()
    z = np.zeros(correct.shape)
    return EmpiricalPool(
        correct,
        answers,
        z,
        z + 0.5,
        name=name,
        questions=tuple(q for q, _, _ in rows),
        agents=("model",),
        vote_share="primary",
    )


def _jsonl(path: Path) -> list[dict[str, Any]]:
    out = []
    with path.open() as fh:
        for i, line in enumerate(fh):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    raise ValueError(f"{path}: line {i + 1} is not JSON") from None
    return out


def from_lm_eval(path: str | Path, checker: AnswerChecker | None = None) -> EmpiricalPool:
    """A pool from lm-evaluation-harness ``--log_samples`` JSON lines (one file or a folder
    of ``samples_*.jsonl``; documents keyed by file stem and ``doc_id``)."""
    p = Path(path)
    files = sorted(p.glob("**/samples_*.jsonl")) if p.is_dir() else [p]
    if not files:
        raise FileNotFoundError(f"no samples_*.jsonl under {p}")
    docs = []
    for f in files:
        for i, rec in enumerate(_jsonl(f)):
            for key in ("doc_id", "target", "resps"):
                if key not in rec:
                    raise ValueError(f"{f}: record {i} lacks {key!r} (not a --log_samples file?)")
            docs.append((f"{f.stem}:{rec['doc_id']}", str(rec["target"]), _flatten(rec["resps"])))
    return pool_from_responses(docs, name=f"lm-eval {p.name}", checker=checker)


def from_inspect(path: str | Path, checker: AnswerChecker | None = None) -> EmpiricalPool:
    """A pool from an inspect_ai eval log in JSON form (``samples`` with ``id``, ``epoch``,
    ``target`` and ``output.completion``)."""
    p = Path(path)
    data = json.loads(p.read_text())
    samples = data.get("samples")
    if not isinstance(samples, list):
        raise ValueError(f"{p}: no 'samples' list (write the log with --log-format json)")
    by_id: dict[str, tuple[str, list[tuple[int, str]]]] = {}
    for i, s in enumerate(samples):
        try:
            sid, target = str(s["id"]), s["target"]
            text = s["output"]["completion"]
        except (KeyError, TypeError):
            raise ValueError(f"{p}: sample {i} lacks id, target or output.completion") from None
        gold = target[0] if isinstance(target, list) else target
        by_id.setdefault(sid, (str(gold), []))[1].append((int(s.get("epoch", 1)), str(text)))
    docs = [(sid, g, [t for _, t in sorted(r)]) for sid, (g, r) in by_id.items()]
    task = (data.get("eval") or {}).get("task", p.stem)
    return pool_from_responses(docs, name=f"inspect {task}", checker=checker)


FORMATS = {"lm-eval": from_lm_eval, "inspect": from_inspect}
"""``align llm import FORMAT``: the log formats read."""
