"""Grade a stored run: per-question candidate tables for the estimators.

For each question the M×K grid of candidates carries: the extracted answer, its verdict
against the gold answer (math-verify; only "equal" is correct), an answer class for voting,
the mean token log-probability, the judge's x̂, the agent's self-verification confidence v
(NaN when the run has none), and token counts.

Answer classes: candidates with the same normalized answer share a class; distinct
normalized answers that math-verify finds equal are merged (union-find), so ``0.5`` and
``\\frac12`` vote together. An unparsed answer, or a sample that failed after every retry,
is wrong and forms a class of its own (it never wins a vote with another unparsed one).
A missing or unreadable judge verdict is x̂ = 0.5 (counted in :class:`GradedRun`).

Grading is stored once: every verdict the checker gives (gold vs answer, answer vs answer for
the classes) is written to ``RUN/grading.json`` keyed by :func:`checker_version`, and later
gradings read it instead of calling math-verify (``regrade=True`` ignores it), so a replay
gives the same numbers on a loaded machine and starts no worker process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from align_theory.llm.answers import AnswerChecker, Verdict, normalize_answer
from align_theory.llm.datasets import Question
from align_theory.llm.records import (
    ExtraRecord,
    JudgeRecord,
    Manifest,
    SampleRecord,
    SamplingParams,
)
from align_theory.llm.store import load_records, read_manifest, write_json_atomic
from align_theory.llm.usc import parse_choice

__all__ = [
    "GRADING_FILE",
    "GradedRun",
    "QuestionTable",
    "StoredChecker",
    "checker_version",
    "grade_run",
    "load_run",
]

GRADING_FILE = "grading.json"
NORMALIZE_VERSION = 2
"""Bumped whenever :func:`~align_theory.llm.answers.normalize_answer` changes."""


class _Checks(Protocol):
    def check(self, gold: str, pred: str | None) -> Verdict: ...


def checker_version() -> str:
    """The grader's identity: math-verify's version and the normalisation's version."""
    try:
        mv = metadata.version("math-verify")
    except metadata.PackageNotFoundError:  # pragma: no cover - the llm extra installs it
        mv = "absent"
    return f"math-verify {mv}; normalize v{NORMALIZE_VERSION}"


class StoredChecker:
    """A checker that answers from the verdicts stored in the run folder, asking the real
    checker (math-verify in a worker process, started only then) for the rest."""

    def __init__(self, run_dir: Path, checker: _Checks | None = None, regrade: bool = False):
        self.path = Path(run_dir) / GRADING_FILE
        self.version = checker_version()
        self._inner = checker
        self._own = checker is None
        self.verdicts: dict[tuple[str, str], Verdict] = {}
        self.asked = 0
        if not regrade and self.path.exists():
            data = json.loads(self.path.read_text())
            if data.get("checker") == self.version:
                self.verdicts = {(g, p): v for g, p, v in data.get("verdicts", [])}
        self._loaded = len(self.verdicts)

    def check(self, gold: str, pred: str | None) -> Verdict:
        """The stored verdict, else the real checker's (then stored)."""
        if pred is None:
            return "not_equal"
        key = (gold, pred)
        if key not in self.verdicts:
            if self._inner is None:
                self._inner = AnswerChecker()
            self.asked += 1
            self.verdicts[key] = self._inner.check(gold, pred)
        return self.verdicts[key]

    def save(self) -> None:
        """Write the verdicts when new ones were computed (errors are not stored)."""
        if len(self.verdicts) == self._loaded and self.path.exists():
            return
        rows = sorted([g, p, v] for (g, p), v in self.verdicts.items() if v != "error")
        write_json_atomic(self.path, {"checker": self.version, "verdicts": rows})

    def close(self) -> None:
        """Stop the real checker if this object started it."""
        if self._own and isinstance(self._inner, AnswerChecker):
            self._inner.close()


@dataclass
class QuestionTable:
    """One question's candidates as (M, K) arrays (agent × sample index)."""

    qid: str
    gold: str
    correct: np.ndarray  # bool
    cls: np.ndarray  # int answer class
    logprob: np.ndarray  # float, mean token logprob (−inf when unknown)
    xhat: np.ndarray  # float in [0, 1]
    gen_tokens: np.ndarray  # prompt + completion tokens of the sample
    completion_tokens: np.ndarray
    judge_tokens: np.ndarray  # prompt + completion tokens of the judge call
    answers: list[list[str | None]]
    keys: list[list[str | None]] = field(default_factory=list)
    usc: dict[int, float] = field(default_factory=dict)
    usc_calls: dict[int, int] = field(default_factory=dict)  # USC calls per k
    usc_unusable: dict[int, int] = field(default_factory=dict)  # replies naming no response
    # answered USC calls per k by the rule of parse_choice that read them (number, quote,
    # answer, none = unusable)
    usc_rules: dict[int, dict[str, int]] = field(default_factory=dict)
    texts: list[list[str | None]] = field(default_factory=list)  # the samples' texts
    debate: dict[int, float] = field(default_factory=dict)
    # v = P(yes) of the agent's self-verification (NaN if absent) and that call's tokens;
    # default: no self-verification (shaped like ``correct`` after init)
    verify: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    verify_tokens: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def __post_init__(self) -> None:
        if self.verify.shape != self.correct.shape:
            self.verify = np.full(self.correct.shape, np.nan)
        if self.verify_tokens.shape != self.correct.shape:
            self.verify_tokens = np.zeros(self.correct.shape)

    @property
    def shape(self) -> tuple[int, int]:
        """(M, K)."""
        m, k = self.correct.shape
        return int(m), int(k)


@dataclass
class GradedRun:
    """A graded run and the counts a report states."""

    config: dict[str, Any]
    manifest: Manifest
    tables: list[QuestionTable]
    candidates: int = 0
    failed_samples: int = 0
    unparsed: int = 0
    verify_errors: int = 0
    missing_judge: int = 0
    verified: int = 0  # candidates with a self-verification confidence v
    usc_context_exceeded: int = 0  # USC calls whose prompt did not fit: a uniform pick
    incomplete_questions: list[str] = field(default_factory=list)
    checker_calls: int = 0  # verdicts not found in the stored grading
    truncated: int = 0  # samples that stopped at max_tokens (finish_reason "length")


def load_run(
    run_dir: Path,
) -> tuple[Manifest, list[Question], list[SampleRecord], list[JudgeRecord]]:
    """(manifest, questions, sample records, judge records) of a run folder.

    Reads ``samples.jsonl`` or ``samples.jsonl.gz`` (likewise for judge), typed by
    :mod:`align_theory.llm.records`.
    """
    manifest = read_manifest(run_dir / "manifest.json")
    questions = []
    with (run_dir / "questions.jsonl").open() as fh:
        for line in fh:
            d = json.loads(line)
            questions.append(Question(d["qid"], d["text"], d["gold"], d.get("meta", {})))
    samples = load_records(run_dir / "samples.jsonl", SampleRecord)
    return manifest, questions, samples, load_records(run_dir / "judge.jsonl", JudgeRecord)


def _context_exceeded(rec: ExtraRecord) -> bool:
    """A request refused because its prompt does not fit the server's context window."""
    if rec.error is None:
        return False
    msg = rec.error.message.lower()
    return rec.error.kind == "http_400" and "context" in msg and "exceed" in msg


def _usc_and_debate(t: QuestionTable, gold: str, extras: list[ExtraRecord], chk: _Checks) -> int:
    """Fill ``t.usc[k]`` (mean over reps) and ``t.debate[round]`` (plurality accuracy).

    USC: the reply is re-parsed from its stored text by
    :func:`~align_theory.llm.usc.parse_choice` (the runner's parser, at this version), so an
    older run gains from a better parser; the pick's correctness is the mean correctness of
    the responses it picks (one, or several that share one final answer: a uniform pick
    among them). An unusable reply is a uniform pick among all n (the pool's mean
    correctness), and so is a call the server refused because the n responses do not fit
    its context window (USC cannot be run there; the count is returned and reported). A
    call that failed otherwise is left out (a resume retries it). Debate round
    0 is every agent's sample 0; round r uses each agent's round-r answer (its previous one
    when that call failed); plurality over agents with ties uniformly at random.
    """
    m, k = t.shape
    cells = [(a, i) for a in range(m) for i in range(k) if t.keys[a][i]]
    correct = {t.keys[a][i]: bool(t.correct[a, i]) for a, i in cells}
    answer = {t.keys[a][i]: t.answers[a][i] for a, i in cells}
    text = {t.keys[a][i]: t.texts[a][i] if t.texts else None for a, i in cells}
    by_key: dict[str, list[ExtraRecord]] = {}
    for r in extras:
        if r.kind == "usc":
            by_key.setdefault(r.key, []).append(r)
    usc: dict[int, list[float]] = {}
    too_long = 0
    for recs in by_key.values():
        ok = [r for r in recs if r.ok]
        r = ok[-1] if ok else recs[-1]
        if not ok and not any(_context_exceeded(x) for x in recs):
            continue
        pool = r.sample_keys
        if any(key not in correct for key in pool):
            continue
        kk = int(r.k or 0)
        picked: tuple[int, ...] = ()
        if r.output is not None:
            choice = parse_choice(
                r.output.text,
                [str(text[x] or "") for x in pool],
                [answer[x] for x in pool],
            )
            picked = choice.indices
            rules = t.usc_rules.setdefault(kk, {})
            rules[choice.rule] = rules.get(choice.rule, 0) + 1
        too_long += not ok
        t.usc_unusable[kk] = t.usc_unusable.get(kk, 0) + int(bool(ok) and not picked)
        t.usc_calls[kk] = t.usc_calls.get(kk, 0) + 1
        chosen = [pool[i] for i in picked] or list(pool)
        usc.setdefault(kk, []).append(float(np.mean([correct[x] for x in chosen])))
    t.usc = {kk: float(np.mean(v)) for kk, v in usc.items()}
    rounds: dict[int, dict[str, str | None]] = {0: {}}
    names = sorted({str(r.agent) for r in extras if r.kind == "debate"})
    for r in extras:
        if r.kind == "debate" and r.output is not None:
            rounds.setdefault(int(r.round or 0), {})[str(r.agent)] = r.output.answer
    if len(rounds) == 1:
        return too_long
    first = {f"a{a}": t.answers[a][0] for a in range(m)}
    current: dict[str, str | None] = {}
    for name in names:
        idx = int(name.split("-")[0][1:])
        current[name] = first.get(f"a{idx}")
    for rnd in range(0, max(rounds) + 1):
        current.update(rounds.get(rnd, {}))
        answers = [current[n] for n in names]
        t.debate[rnd] = _plurality_accuracy(gold, answers, chk)
    return too_long


def _self_verify(t: QuestionTable, extras: list[ExtraRecord]) -> None:
    """Fill ``t.verify[a, i]`` with the agent's v = P(yes) on its candidate (a, i).

    Matched by sample key; a failed call or a reply whose first token has neither yes nor
    no among its alternatives leaves NaN.
    """
    where = {key: (a, i) for a, row in enumerate(t.keys) for i, key in enumerate(row) if key}
    for r in extras:
        if r.kind != "verify" or r.output is None:
            continue
        cell = where.get(r.sample_key or "")
        if cell is None:
            continue
        if r.output.v is not None:
            t.verify[cell] = float(r.output.v)
        t.verify_tokens[cell] = r.output.prompt_tokens + r.output.completion_tokens


def _plurality_accuracy(gold: str, answers: list[str | None], chk: _Checks) -> float:
    """Expected correctness of the plurality answer (ties uniformly at random)."""
    groups: dict[str, list[str]] = {}
    for ans in answers:
        if ans is not None:
            groups.setdefault(normalize_answer(ans), []).append(ans)
    if not groups:
        return 0.0
    top = max(len(v) for v in groups.values())
    leaders = [v[0] for v in groups.values() if len(v) == top]
    return float(np.mean([chk.check(gold, a) == "equal" for a in leaders]))


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.p = list(range(n))

    def find(self, i: int) -> int:
        while self.p[i] != i:
            self.p[i] = self.p[self.p[i]]
            i = self.p[i]
        return i

    def union(self, i: int, j: int) -> None:
        self.p[self.find(i)] = self.find(j)


def grade_run(
    run_dir: Path, checker: _Checks | None = None, *, regrade: bool = False, store: bool = True
) -> GradedRun:
    """Grade every question of a run that has all its M×K samples recorded (ok or failed).

    The latest successful record per key wins (there is at most one by construction); a key
    with only failed records is a failed sample. Questions lacking samples are listed in
    ``incomplete_questions`` and left out. Verdicts come from ``RUN/grading.json`` when it
    was written by the same :func:`checker_version` (unless ``regrade``); new ones are
    written back (``store``).
    """
    manifest, questions, samples, judges = load_run(run_dir)
    extras = load_records(run_dir / "extras.jsonl", ExtraRecord)
    extras_by_q: dict[str, list[ExtraRecord]] = {}
    for x in extras:
        extras_by_q.setdefault(x.qid, []).append(x)
    cfg = manifest.config
    agents = list(manifest.agent_names)
    k = int(cfg["per_agent"])
    by_slot: dict[tuple[str, str, int], SampleRecord] = {}
    logprobs = bool(cfg.get("sample_logprobs", True))
    want = {
        a["name"]: SamplingParams(
            temperature=a["temperature"],
            top_p=cfg["top_p"],
            max_tokens=cfg["max_tokens"],
            logprobs=logprobs,
            top_logprobs=1 if logprobs else 0,
        )
        for a in cfg["agents"]
    }
    for r in samples:
        if r.key_fields.params != want.get(r.agent):
            continue  # a sample drawn under other parameters (an earlier config)
        slot = (r.qid, r.agent, r.index)
        if slot not in by_slot or (not by_slot[slot].ok and r.ok):
            by_slot[slot] = r
    xhat_by_sample: dict[str, tuple[float | None, int]] = {}
    for j in judges:
        if j.output is not None:
            tok = j.output.prompt_tokens + j.output.completion_tokens
            xhat_by_sample[j.sample_key] = (j.output.xhat, tok)
    chk = StoredChecker(run_dir, checker, regrade=regrade)
    out = GradedRun(cfg, manifest, [])
    try:
        for q in questions:
            slots = [[by_slot.get((q.qid, a, i)) for i in range(k)] for a in agents]
            if any(s is None for row in slots for s in row):
                out.incomplete_questions.append(q.qid)
                continue
            table = _table(q, slots, xhat_by_sample, chk, out)
            out.usc_context_exceeded += _usc_and_debate(
                table, q.gold, extras_by_q.get(q.qid, []), chk
            )
            _self_verify(table, extras_by_q.get(q.qid, []))
            out.verified += int(np.isfinite(table.verify).sum())
            out.tables.append(table)
    finally:
        chk.close()
    if store:
        chk.save()
    out.checker_calls = chk.asked
    return out


def _table(
    q: Question,
    slots: list[list[SampleRecord | None]],
    xhat_by_sample: dict[str, tuple[float | None, int]],
    chk: _Checks,
    out: GradedRun,
) -> QuestionTable:
    m, k = len(slots), len(slots[0])
    correct = np.zeros((m, k), dtype=bool)
    logprob = np.full((m, k), -np.inf)
    xhat = np.full((m, k), 0.5)
    gen_tok = np.zeros((m, k))
    comp_tok = np.zeros((m, k))
    judge_tok = np.zeros((m, k))
    answers: list[list[str | None]] = [[None] * k for _ in range(m)]
    for a in range(m):
        for i in range(k):
            r = slots[a][i]
            assert r is not None
            out.candidates += 1
            if r.output is None:
                out.failed_samples += 1
                continue
            got = r.output
            out.truncated += got.finish_reason == "length"
            ans = got.answer
            answers[a][i] = ans
            if ans is None:
                out.unparsed += 1
            verdict = chk.check(q.gold, ans)
            out.verify_errors += verdict == "error"
            correct[a, i] = verdict == "equal"
            if got.mean_logprob is not None:
                logprob[a, i] = float(got.mean_logprob)
            gen_tok[a, i] = got.prompt_tokens + got.completion_tokens
            comp_tok[a, i] = got.completion_tokens
            xj = xhat_by_sample.get(r.key)
            if xj is None or xj[0] is None:
                out.missing_judge += 1
            else:
                xhat[a, i] = float(xj[0])
            if xj is not None:
                judge_tok[a, i] = xj[1]
    cls = _classes(answers, chk)
    keys = [[s.key if s is not None and s.ok else None for s in row] for row in slots]
    texts = [[s.output.text if s is not None and s.output else None for s in row] for row in slots]
    return QuestionTable(
        q.qid,
        q.gold,
        correct,
        cls,
        logprob,
        xhat,
        gen_tok,
        comp_tok,
        judge_tok,
        answers,
        keys,
        texts=texts,
    )


def _classes(answers: list[list[str | None]], chk: _Checks) -> np.ndarray:
    m, k = len(answers), len(answers[0])
    norm_ids: dict[str, int] = {}
    reps: list[str] = []
    raw = np.full((m, k), -1, dtype=int)
    for a in range(m):
        for i in range(k):
            ans = answers[a][i]
            if ans is None:
                continue
            key = normalize_answer(ans)
            if key not in norm_ids:
                norm_ids[key] = len(reps)
                reps.append(ans)
            raw[a, i] = norm_ids[key]
    uf = _UnionFind(len(reps))
    for x in range(len(reps)):
        for y in range(x + 1, len(reps)):
            if uf.find(x) != uf.find(y) and chk.check(reps[x], reps[y]) == "equal":
                uf.union(x, y)
    cls = np.empty((m, k), dtype=int)
    nxt = len(reps)
    for a in range(m):
        for i in range(k):
            if raw[a, i] < 0:
                cls[a, i] = nxt  # unparsed / failed: a class of its own
                nxt += 1
            else:
                cls[a, i] = uf.find(int(raw[a, i]))
    return cls
