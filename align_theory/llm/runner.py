"""Issue the missing samples and judge calls of a run, question by question.

For each question the runner draws the N = M·K agent samples (one request each, seeded by
:func:`~align_theory.llm.agents.sample_seed`), then asks the judge about every successful
sample (N judge calls: PrincipalBestOfN needs them all, and every Align subset's proposals
are among them). Keys already present with a successful record are skipped, so a resumed
run re-issues only what is missing. Questions run in a small window so a remote server stays
busy while each question's records land together.

Run folder layout: ``manifest.json``, ``questions.jsonl`` (what was asked, with gold
answers, so replay needs no dataset), ``samples.jsonl``, ``judge.jsonl``.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from align_theory.llm.agents import (
    AgentSpec,
    agent_messages,
    judge_messages,
    prompt_hash,
    sample_seed,
    yes_probability,
)
from align_theory.llm.answers import extract_answer, normalize_answer
from align_theory.llm.client import ChatClient, Completion, CompletionError, SamplingParams
from align_theory.llm.datasets import Question
from align_theory.llm.store import JsonlStore, key_hash, read_records, write_json_atomic

__all__ = ["RunConfig", "RunSummary", "run", "run_sync", "sample_key_fields"]


@dataclass
class RunConfig:
    """Everything that defines a run (the API key is not here: only its variable's name)."""

    dataset: str
    agents: list[AgentSpec]
    per_agent: int
    model: str
    base_url: str
    max_tokens: int = 384
    top_p: float = 1.0
    seed: int = 0
    judge: bool = True
    judge_model: str | None = None
    judge_top_logprobs: int = 10
    api_key_env: str | None = "OPENAI_API_KEY"
    concurrency: int = 2
    timeout_s: float = 180.0
    max_retries: int = 5
    backoff_base: float = 0.5
    model_file_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def sampling(self, agent: AgentSpec) -> SamplingParams:
        """The agent's sampling parameters (``top_logprobs=1``: llama.cpp's server returns
        token log-probabilities in chat completions only when top_logprobs is set)."""
        return SamplingParams(
            temperature=agent.temperature,
            top_p=self.top_p,
            max_tokens=self.max_tokens,
            top_logprobs=1,
        )

    def judge_sampling(self) -> SamplingParams:
        """Judge: greedy, one token, top log-probabilities for P(yes)."""
        return SamplingParams(
            temperature=0.0, top_p=1.0, max_tokens=1, top_logprobs=self.judge_top_logprobs
        )

    def config_dict(self) -> dict[str, Any]:
        """JSON-able config (base URL included; it identifies the server, not a secret)."""
        d = asdict(self)
        d["agents"] = [asdict(a) for a in self.agents]
        return d


@dataclass
class RunSummary:
    """Counts of one invocation."""

    questions: int = 0
    issued_samples: int = 0
    failed_samples: int = 0
    issued_judge: int = 0
    failed_judge: int = 0
    completion_tokens: int = 0
    prompt_tokens: int = 0
    wall_s: float = 0.0

    @property
    def tokens_per_s(self) -> float:
        """Completion tokens per wall-clock second of this invocation."""
        return self.completion_tokens / self.wall_s if self.wall_s > 0 else 0.0


def sample_key_fields(
    cfg: RunConfig, q: Question, agent: AgentSpec, index: int
) -> tuple[dict[str, Any], list[dict[str, str]], int]:
    """(key fields, messages, seed) of one agent sample."""
    messages = agent_messages(agent, q.text)
    seed = sample_seed(cfg.seed, cfg.dataset, q.qid, agent.name, index)
    fields = {
        "kind": "sample",
        "dataset": cfg.dataset,
        "qid": q.qid,
        "agent": agent.name,
        "index": index,
        "model": agent.model or cfg.model,
        "params": cfg.sampling(agent).as_dict(),
        "seed": seed,
        "prompt": prompt_hash(messages),
    }
    return fields, messages, seed


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("align-theory", "httpx", "math-verify", "llama_cpp_python", "numpy"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _write_manifest(out: Path, cfg: RunConfig, questions: list[Question], source: str) -> None:
    path = out / "manifest.json"
    old: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    cfg_d = cfg.config_dict()
    manifest = {
        "config": cfg_d,
        "config_hash": key_hash(cfg_d),
        "dataset_source": source,
        "questions": len(questions),
        "versions": _versions(),
        "model_file_sha256": cfg.model_file_sha256,
        "created": old.get("created", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
        "invocations": old.get("invocations", []),
    }
    write_json_atomic(path, manifest)
    qpath = out / "questions.jsonl"
    with qpath.with_name("questions.jsonl.tmp").open("w") as fh:
        for q in questions:
            fh.write(json.dumps(asdict(q), ensure_ascii=False) + "\n")
    qpath.with_name("questions.jsonl.tmp").replace(qpath)


def _log_invocation(out: Path, summary: RunSummary) -> None:
    path = out / "manifest.json"
    manifest = json.loads(path.read_text())
    inv = asdict(summary)
    inv["tokens_per_s"] = summary.tokens_per_s
    inv["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    manifest["invocations"].append(inv)
    write_json_atomic(path, manifest)


class _Progress:
    """tqdm bar with running accuracy (quick normalized match) and tokens/s."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = tqdm(total=total, disable=not enabled, unit="call", dynamic_ncols=True)
        self.t0 = time.monotonic()
        self.correct = 0
        self.graded = 0
        self.tokens = 0

    def update(self, tokens: int, correct: bool | None) -> None:
        self.tokens += tokens
        if correct is not None:
            self.graded += 1
            self.correct += int(correct)
        dt = max(time.monotonic() - self.t0, 1e-9)
        acc = self.correct / self.graded if self.graded else 0.0
        self.bar.set_postfix(acc=f"{acc:.3f}", tok_s=f"{self.tokens / dt:.1f}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


async def run(
    cfg: RunConfig,
    questions: list[Question],
    out: Path,
    *,
    source: str = "",
    progress: bool = True,
) -> RunSummary:
    """Issue every missing sample and judge call of ``questions`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    _write_manifest(out, cfg, questions, source)
    summary = RunSummary(questions=len(questions))
    t0 = time.monotonic()
    samples = JsonlStore(out / "samples.jsonl").open()
    judges = JsonlStore(out / "judge.jsonl").open()
    try:
        done_s = samples.done_keys()
        done_j = judges.done_keys()
        ok_samples: dict[str, dict[str, Any]] = {
            r["key"]: r for r in read_records(samples.path) if not r.get("error")
        }
        n_total = len(cfg.agents) * cfg.per_agent * len(questions)
        todo = max(0, n_total - len(done_s)) + (max(0, n_total - len(done_j)) if cfg.judge else 0)
        bar = _Progress(todo, progress)
        client = ChatClient(
            cfg.base_url,
            cfg.model,
            api_key_env=cfg.api_key_env,
            concurrency=cfg.concurrency,
            timeout_s=cfg.timeout_s,
            max_retries=cfg.max_retries,
            backoff_base=cfg.backoff_base,
        )
        n = len(cfg.agents) * cfg.per_agent
        window = asyncio.Semaphore(max(1, -(-cfg.concurrency // n)) + 1)
        async with client:

            async def do_sample(q: Question, agent: AgentSpec, k: int) -> dict[str, Any] | None:
                fields, messages, seed = sample_key_fields(cfg, q, agent, k)
                key = key_hash(fields)
                if key in done_s:
                    return ok_samples.get(key)
                base: dict[str, Any] = {"key": key, "key_fields": fields, "kind": "sample"}
                base["qid"] = q.qid
                base |= {"agent": agent.name, "index": k, "seed": seed}
                params = cfg.sampling(agent)
                try:
                    c = await _complete(client, agent.model, messages, params, seed)
                except CompletionError as err:
                    rec = base | {"error": {"kind": err.kind, "message": err.message}}
                    rec["attempts"] = err.attempts
                    samples.append(rec)
                    summary.failed_samples += 1
                    bar.update(0, None)
                    return None
                ans, method = extract_answer(c.text)
                rec = base | {
                    "text": c.text,
                    "answer": ans,
                    "answer_method": method,
                    "mean_logprob": c.mean_logprob,
                    "prompt_tokens": c.prompt_tokens,
                    "completion_tokens": c.completion_tokens,
                    "finish_reason": c.finish_reason,
                    "latency_s": round(c.latency_s, 4),
                    "attempts": c.attempts,
                    "error": None,
                }
                samples.append(rec)
                done_s.add(key)
                summary.issued_samples += 1
                summary.completion_tokens += c.completion_tokens
                summary.prompt_tokens += c.prompt_tokens
                quick = ans is not None and normalize_answer(ans) == normalize_answer(q.gold)
                bar.update(c.completion_tokens, quick)
                return rec

            async def do_judge(q: Question, srec: dict[str, Any]) -> None:
                messages = judge_messages(q.text, srec["text"])
                params = cfg.judge_sampling()
                jmodel = cfg.judge_model or cfg.model
                fields = {
                    "kind": "judge",
                    "dataset": cfg.dataset,
                    "qid": q.qid,
                    "sample_key": srec["key"],
                    "model": jmodel,
                    "params": params.as_dict(),
                    "seed": 0,
                    "prompt": prompt_hash(messages),
                }
                key = key_hash(fields)
                if key in done_j:
                    return
                base: dict[str, Any] = {"key": key, "key_fields": fields, "kind": "judge"}
                base["qid"] = q.qid
                base |= {"agent": srec["agent"], "index": srec["index"]}
                base["sample_key"] = srec["key"]
                try:
                    c = await _complete(client, jmodel, messages, params, 0)
                except CompletionError as err:
                    rec = base | {"error": {"kind": err.kind, "message": err.message}}
                    judges.append(rec)
                    summary.failed_judge += 1
                    bar.update(0, None)
                    return
                xhat = yes_probability(c.first_top_logprobs)
                judges.append(
                    base
                    | {
                        "xhat": xhat,
                        "reply": c.text,
                        "top_logprobs": c.first_top_logprobs,
                        "prompt_tokens": c.prompt_tokens,
                        "completion_tokens": c.completion_tokens,
                        "latency_s": round(c.latency_s, 4),
                        "error": None,
                    }
                )
                done_j.add(key)
                summary.issued_judge += 1
                summary.prompt_tokens += c.prompt_tokens
                summary.completion_tokens += c.completion_tokens
                bar.update(c.completion_tokens, None)

            async def do_question(q: Question) -> None:
                async with window:
                    recs = await asyncio.gather(
                        *(do_sample(q, a, k) for a in cfg.agents for k in range(cfg.per_agent))
                    )
                    if cfg.judge:
                        await asyncio.gather(*(do_judge(q, r) for r in recs if r is not None))

            await asyncio.gather(*(do_question(q) for q in questions))
        bar.close()
    finally:
        samples.close()
        judges.close()
    summary.wall_s = time.monotonic() - t0
    _log_invocation(out, summary)
    return summary


async def _complete(
    client: ChatClient,
    model: str | None,
    messages: list[dict[str, str]],
    params: SamplingParams,
    seed: int,
) -> Completion:
    return await client.complete(messages, params, seed, model=model)


def run_sync(
    cfg: RunConfig, questions: list[Question], out: Path, *, source: str = "", progress: bool = True
) -> RunSummary:
    """:func:`run` from synchronous code."""
    return asyncio.run(run(cfg, questions, out, source=source, progress=progress))
