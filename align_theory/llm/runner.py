"""Issue the missing samples and judge calls of a run, question by question.

For each question the runner draws the N = M·K agent samples (one request each, seeded by
:func:`~align_theory.llm.agents.sample_seed`), then asks the judge about every successful
sample (N judge calls: PrincipalBestOfN needs them all, and every Align subset's proposals
are among them). Keys already present with a successful record are skipped, so a resumed
run re-issues only what is missing. Questions run in a window of ⌈concurrency / N⌉, so a
remote server stays busy while each question's records land together.

Optional extra baselines, behind the same store: universal self-consistency
(``usc_reps`` USC calls per question and budget n = M·k, on random grid sub-pools) and
multi-agent debate (``debate_rounds`` rounds started from each agent's sample 0). With
``self_verify`` each agent also verifies each of its successful candidates (one greedy
one-token call per candidate, :func:`~align_theory.llm.agents.verify_messages`); its
confidence v = P(yes) is an alternative agent score (:mod:`.report`).

Run folder layout: ``manifest.json``, ``questions.jsonl`` (what was asked, with gold
answers, so replay needs no dataset), ``samples.jsonl``, ``judge.jsonl``, and, when USC,
debate or self-verification is asked for, ``extras.jsonl``; their records are the typed ones
of :mod:`align_theory.llm.records`, written through :mod:`align_theory.llm.store`.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from align_theory._validate import in_range, positive_int
from align_theory.llm.agents import (
    AgentSpec,
    agent_messages,
    judge_messages,
    prompt_hash,
    sample_seed,
    verify_messages,
    yes_probability,
)
from align_theory.llm.answers import extract_answer, normalize_answer
from align_theory.llm.client import (
    ChatClient,
    Completion,
    CompletionError,
    SamplingParams,
    check_base_url,
    redact,
    strip_credentials,
)
from align_theory.llm.datasets import Question
from align_theory.llm.debate import debate_messages
from align_theory.llm.lock import RunLock
from align_theory.llm.records import (
    SCHEMA_VERSION,
    CallError,
    ExtraOutput,
    ExtraRecord,
    Invocation,
    JudgeOutput,
    JudgeRecord,
    KeyFields,
    Manifest,
    SampleOutput,
    SampleRecord,
    key_hash,
)
from align_theory.llm.store import (
    JsonlStore,
    StoreStats,
    load_records,
    read_manifest,
    read_records,
    write_manifest,
)
from align_theory.llm.usc import (
    USC_PROMPT_VERSION,
    USC_PROMPTS,
    Choice,
    parse_choice,
    presentation_order,
    usc_messages,
)

__all__ = [
    "ConfigMismatch",
    "RunConfig",
    "RunSummary",
    "run",
    "run_sync",
    "sample_key_fields",
]


class ConfigMismatch(ValueError):
    """The run folder holds a run of another configuration: resuming would mix records."""


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
    sample_logprobs: bool = True
    judge_base_url: str | None = None
    usc_reps: int = 0
    usc_prompt: int = USC_PROMPT_VERSION
    debate_rounds: int = 0
    self_verify: bool = False
    api_key_env: str | None = "OPENAI_API_KEY"
    concurrency: int = 2
    timeout_s: float = 180.0
    max_retries: int = 5
    backoff_base: float = 0.5
    model_file_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse values outside their ranges, naming the parameter (before any request)."""
        if not self.agents:
            raise ValueError("agents must hold at least one agent, got none")
        for a in self.agents:
            in_range(f"temperature of agent {a.name}", a.temperature, 0.0, 2.0)
        positive_int("per_agent", self.per_agent)
        positive_int("max_tokens", self.max_tokens)
        in_range("top_p", self.top_p, 0.0, 1.0, lo_open=True)
        positive_int("judge_top_logprobs", self.judge_top_logprobs, 2, 20)
        positive_int("usc_reps", self.usc_reps, 0)
        if self.usc_prompt not in USC_PROMPTS:
            raise ValueError(f"usc_prompt must be one of {USC_PROMPTS}, got {self.usc_prompt!r}")
        positive_int("debate_rounds", self.debate_rounds, 0)
        positive_int("concurrency", self.concurrency)
        in_range("timeout_s", self.timeout_s, 0.0, lo_open=True)
        positive_int("max_retries", self.max_retries, 0)
        in_range("backoff_base", self.backoff_base, 0.0)
        if self.base_url:
            check_base_url(self.base_url, "base_url")
        if self.judge_base_url:
            check_base_url(self.judge_base_url, "judge_base_url")

    def sampling(self, agent: AgentSpec) -> SamplingParams:
        """The agent's sampling parameters (``top_logprobs=1``: llama.cpp's server returns
        token log-probabilities in chat completions only when top_logprobs is set). Without
        ``sample_logprobs`` the agent score's tie-break is uniform instead of by log-prob."""
        return SamplingParams(
            temperature=agent.temperature,
            top_p=self.top_p,
            max_tokens=self.max_tokens,
            logprobs=self.sample_logprobs,
            top_logprobs=1 if self.sample_logprobs else 0,
        )

    def judge_sampling(self) -> SamplingParams:
        """Judge and self-verification: greedy, one token, top log-probabilities for P(yes)."""
        return SamplingParams(
            temperature=0.0, top_p=1.0, max_tokens=1, top_logprobs=self.judge_top_logprobs
        )

    def config_dict(self) -> dict[str, Any]:
        """JSON-able config (base URLs included without any ``user:password@``)."""
        d = asdict(self)
        d["agents"] = [asdict(a) for a in self.agents]
        for name in ("base_url", "judge_base_url"):
            if d[name]:
                d[name] = strip_credentials(d[name])
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
) -> tuple[KeyFields, list[dict[str, str]]]:
    """(key fields, messages) of one agent sample (the seed is ``fields.seed``)."""
    messages = agent_messages(agent, q.text)
    fields = KeyFields(
        "sample",
        cfg.dataset,
        q.qid,
        agent.model or cfg.model,
        cfg.sampling(agent),
        prompt_hash(messages),
        seed=sample_seed(cfg.seed, cfg.dataset, q.qid, agent.name, index),
        agent=agent.name,
        index=index,
    )
    return fields, messages


_OPERATIONAL = frozenset(
    {
        "base_url",
        "judge_base_url",
        "api_key_env",
        "concurrency",
        "timeout_s",
        "max_retries",
        "backoff_base",
    }
)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("align-theory", "httpx", "math-verify", "llama_cpp_python", "numpy"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """``name: old -> new`` for every differing entry (nested dicts by dotted name)."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} -> {b!r}")
    return out


def check_resumable(out: Path, cfg: RunConfig, source: str) -> None:
    """Raise :class:`ConfigMismatch` naming what differs when ``out`` holds a run whose
    configuration (everything but where and how fast it is fetched) or dataset source is
    not this one; resuming the same configuration passes."""
    path = out / "manifest.json"
    if not path.exists():
        return
    try:
        old = read_manifest(path)
    except ValueError as err:
        raise ConfigMismatch(f"{err}; use another --out") from None
    new = {k: v for k, v in cfg.config_dict().items() if k not in _OPERATIONAL}
    was = {k: v for k, v in old.config.items() if k not in _OPERATIONAL}
    was["usc_prompt"] = old.usc_prompt  # 1 for runs made before the field existed
    if not was.get("usc_reps") and not new.get("usc_reps"):
        was.pop("usc_prompt")  # no USC call: the prompt's version does not matter
        new.pop("usc_prompt")
    diff = _differences(was, new)
    if old.dataset_source != source:
        diff.append(f"dataset_source: {old.dataset_source!r} -> {source!r}")
    if diff:
        raise ConfigMismatch(
            f"{out} holds a run of another configuration ({'; '.join(diff)}); "
            "resuming would mix its records with these: use another --out, or the same "
            "options to resume"
        )


def _write_manifest(out: Path, cfg: RunConfig, questions: list[Question], source: str) -> None:
    path = out / "manifest.json"
    old = read_manifest(path) if path.exists() else None
    cfg_d = cfg.config_dict()
    manifest = Manifest(
        config=cfg_d,
        # what determines the samples; where and how fast they were fetched does not count
        config_hash=key_hash({k: v for k, v in cfg_d.items() if k not in _OPERATIONAL}),
        dataset_source=source,
        questions=len(questions),
        versions=_versions(),
        model_file_sha256=cfg.model_file_sha256,
        created=old.created if old else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        invocations=old.invocations if old else (),
        records_schema=SCHEMA_VERSION,
    )
    write_manifest(path, manifest)
    qpath = out / "questions.jsonl"
    with qpath.with_name("questions.jsonl.tmp").open("w") as fh:
        for q in questions:
            fh.write(json.dumps(asdict(q), ensure_ascii=False) + "\n")
    qpath.with_name("questions.jsonl.tmp").replace(qpath)


def _log_invocation(out: Path, summary: RunSummary) -> None:
    path = out / "manifest.json"
    manifest = read_manifest(path)
    inv = Invocation(
        **asdict(summary),
        tokens_per_s=summary.tokens_per_s,
        finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    write_manifest(path, replace(manifest, invocations=(*manifest.invocations, inv)))


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
    """Issue every missing sample and judge call of ``questions`` into ``out``.

    Holds the folder's :class:`~align_theory.llm.lock.RunLock` (a second process raises
    :class:`~align_theory.llm.lock.RunLocked`), refuses a folder of another configuration
    (:class:`ConfigMismatch`) and checks every endpoint once before the first record
    (:class:`~align_theory.llm.client.EndpointDown` when one cannot be reached).
    """
    out.mkdir(parents=True, exist_ok=True)
    with RunLock(out):
        check_resumable(out, cfg, source)
        for url in {cfg.base_url, cfg.judge_base_url or cfg.base_url}:
            probe = ChatClient(url, cfg.model, api_key_env=cfg.api_key_env)
            await probe.check(timeout_s=min(cfg.timeout_s, 10.0))
        _write_manifest(out, cfg, questions, source)
        summary = RunSummary(questions=len(questions))
        t0 = time.monotonic()
        try:
            await _run(cfg, questions, out, summary, progress)
        finally:  # interrupted invocations are logged too
            summary.wall_s = time.monotonic() - t0
            _log_invocation(out, summary)
    return summary


def _warn_unreadable(path: Path) -> None:
    stats = StoreStats()
    for _ in read_records(path, stats):
        pass
    if stats.partial_lines:
        print(
            f"warning: {path}: skipped {stats.partial_lines} unreadable line(s)",
            file=sys.stderr,
        )


async def _run(
    cfg: RunConfig, questions: list[Question], out: Path, summary: RunSummary, progress: bool
) -> None:
    samples = JsonlStore(out / "samples.jsonl").open()
    judges = JsonlStore(out / "judge.jsonl").open()
    extras = JsonlStore(out / "extras.jsonl").open()
    try:
        for path in (samples.path, judges.path, extras.path):
            _warn_unreadable(path)
        done_x = {r.key: r for r in load_records(extras.path, ExtraRecord) if r.ok}
        done_s = samples.done_keys()
        done_j = judges.done_keys()
        ok_samples = {r.key: r for r in load_records(samples.path, SampleRecord) if r.ok}
        n_total = len(cfg.agents) * cfg.per_agent * len(questions)
        per_q_extra = cfg.usc_reps * cfg.per_agent + cfg.debate_rounds * len(cfg.agents)
        per_q_extra += len(cfg.agents) * cfg.per_agent if cfg.self_verify else 0
        todo = max(0, n_total - len(done_s)) + (max(0, n_total - len(done_j)) if cfg.judge else 0)
        todo += max(0, per_q_extra * len(questions) - len(done_x))
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
        judge_client = (
            ChatClient(
                cfg.judge_base_url,
                cfg.judge_model or cfg.model,
                api_key_env=cfg.api_key_env,
                concurrency=cfg.concurrency,
                timeout_s=cfg.timeout_s,
                max_retries=cfg.max_retries,
                backoff_base=cfg.backoff_base,
            )
            if cfg.judge_base_url
            else client
        )
        n = len(cfg.agents) * cfg.per_agent
        by_name = {a.name: a for a in cfg.agents}
        # questions in flight: enough to keep `concurrency` requests busy, and no more, so
        # that an interrupted run leaves complete questions (samples and judge calls)
        window = asyncio.Semaphore(max(1, -(-cfg.concurrency // n)))
        async with client:

            async def do_sample(q: Question, agent: AgentSpec, k: int) -> SampleRecord | None:
                fields, messages = sample_key_fields(cfg, q, agent, k)
                key = fields.key()
                if key in done_s:
                    return ok_samples.get(key)
                try:
                    c = await _complete(client, agent.model, messages, fields.params, _seed(fields))
                except CompletionError as err:
                    samples.append(SampleRecord(fields, err.attempts, error=_error(err)))
                    summary.failed_samples += 1
                    bar.update(0, None)
                    return None
                ans, method = extract_answer(c.text)
                out = SampleOutput(
                    text=c.text,
                    answer=ans,
                    answer_method=method,
                    mean_logprob=c.mean_logprob,
                    prompt_tokens=c.prompt_tokens,
                    completion_tokens=c.completion_tokens,
                    finish_reason=c.finish_reason,
                    latency_s=round(c.latency_s, 4),
                    finished_at=round(time.time(), 3),
                )
                rec = SampleRecord(fields, c.attempts, output=out)
                samples.append(rec)
                done_s.add(key)
                summary.issued_samples += 1
                summary.completion_tokens += c.completion_tokens
                summary.prompt_tokens += c.prompt_tokens
                quick = ans is not None and normalize_answer(ans) == normalize_answer(q.gold)
                bar.update(c.completion_tokens, quick)
                return rec

            async def do_judge(q: Question, srec: SampleRecord) -> None:
                messages = judge_messages(q.text, _text(srec))
                params = cfg.judge_sampling()
                jmodel = cfg.judge_model or cfg.model
                fields = KeyFields(
                    "judge",
                    cfg.dataset,
                    q.qid,
                    jmodel,
                    params,
                    prompt_hash(messages),
                    seed=0,
                    sample_key=srec.key,
                )
                key = fields.key()
                if key in done_j:
                    return
                try:
                    c = await _complete(judge_client, jmodel, messages, params, 0)
                except CompletionError as err:
                    judges.append(JudgeRecord(fields, srec.agent, srec.index, error=_error(err)))
                    summary.failed_judge += 1
                    bar.update(0, None)
                    return
                out = JudgeOutput(
                    xhat=yes_probability(c.first_top_logprobs),
                    reply=c.text,
                    top_logprobs=c.first_top_logprobs,
                    prompt_tokens=c.prompt_tokens,
                    completion_tokens=c.completion_tokens,
                    latency_s=round(c.latency_s, 4),
                    finished_at=round(time.time(), 3),
                )
                judges.append(JudgeRecord(fields, srec.agent, srec.index, output=out))
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
                    ok = [r for r in recs if r is not None]
                    await asyncio.gather(
                        *(do_judge(q, r) for r in ok if cfg.judge),
                        *(do_verify(q, r) for r in ok if cfg.self_verify),
                    )
                    grid = [
                        [recs[a * cfg.per_agent + k] for k in range(cfg.per_agent)]
                        for a in range(len(cfg.agents))
                    ]
                    if cfg.usc_reps:
                        await asyncio.gather(
                            *(
                                do_usc(q, grid, k, rep)
                                for k in range(1, cfg.per_agent + 1)
                                for rep in range(cfg.usc_reps)
                            )
                        )
                    if cfg.debate_rounds:
                        await do_debate(q, [row[0] for row in grid])

            async def do_extra(
                fields: KeyFields,
                messages: list[dict[str, str]],
                info: dict[str, Any],
                via: ChatClient,
                pick: Callable[[str], Choice] | None = None,
            ) -> ExtraRecord | None:
                """One USC / debate / verify call on ``via`` with the model in ``fields``;
                ``info`` holds the record's other fields (:class:`ExtraRecord`) and ``pick``
                reads a USC reply (:func:`~align_theory.llm.usc.parse_choice`)."""
                key = fields.key()
                if key in done_x:
                    return done_x[key]
                try:
                    c = await _complete(via, fields.model, messages, fields.params, _seed(fields))
                except CompletionError as err:
                    extras.append(ExtraRecord(fields, **info, error=_error(err)))
                    bar.update(0, None)
                    return None
                by_kind: dict[str, Any] = {}
                if fields.kind == "usc":
                    # scoring re-parses the stored text with the same parse_choice
                    choice = pick(c.text).unique if pick is not None else None
                    chosen = None if choice is None else (fields.sample_keys or ())[choice]
                    by_kind = {"choice": choice, "chosen_key": chosen}
                elif fields.kind == "verify":
                    by_kind = {
                        "v": yes_probability(c.first_top_logprobs),
                        "top_logprobs": c.first_top_logprobs,
                    }
                else:
                    by_kind = {"answer": extract_answer(c.text)[0]}
                out = ExtraOutput(c.text, c.prompt_tokens, c.completion_tokens, **by_kind)
                rec = ExtraRecord(fields, **info, output=out)
                extras.append(rec)
                done_x[key] = rec
                summary.prompt_tokens += c.prompt_tokens
                summary.completion_tokens += c.completion_tokens
                bar.update(c.completion_tokens, None)
                return rec

            async def do_usc(
                q: Question, grid: list[list[SampleRecord | None]], k: int, rep: int
            ) -> None:
                rng = random.Random(f"{cfg.seed}|usc|{q.qid}|{k}|{rep}")
                pool = [
                    grid[a][i]
                    for a in range(len(grid))
                    for i in sorted(rng.sample(range(cfg.per_agent), k))
                ]
                drawn = [r for r in pool if r is not None]
                if len(drawn) < len(pool):
                    return  # a failed sample: retried on resume, and USC with it
                # the responses in the order shown (version 3 permutes them); the record's
                # sample_keys and choice are in this order
                order = presentation_order([r.key for r in drawn], cfg.usc_prompt)
                shown = [drawn[j] for j in order]
                texts = [_text(r) for r in shown]
                keys = tuple(r.key for r in shown)
                answers = [_answer(r) for r in shown]
                messages = usc_messages(q.text, texts, version=cfg.usc_prompt)
                fields = KeyFields(
                    "usc",
                    cfg.dataset,
                    q.qid,
                    cfg.judge_model or cfg.model,
                    SamplingParams(temperature=0.0, max_tokens=48, logprobs=False),
                    prompt_hash(messages),
                    sample_keys=keys,
                )
                await do_extra(
                    fields,
                    messages,
                    {"k": k, "rep": rep},
                    judge_client,
                    lambda text: parse_choice(text, texts, answers),
                )

            async def do_verify(q: Question, srec: SampleRecord) -> None:
                agent = by_name[srec.agent]
                messages = verify_messages(agent, q.text, _text(srec))
                fields = KeyFields(
                    "verify",
                    cfg.dataset,
                    q.qid,
                    agent.model or cfg.model,
                    cfg.judge_sampling(),
                    prompt_hash(messages),
                    seed=0,
                    sample_key=srec.key,
                )
                info = {"agent": agent.name, "index": srec.index}
                await do_extra(fields, messages, info, client)

            async def do_debate(q: Question, first: list[SampleRecord | None]) -> None:
                if any(r is None for r in first):
                    return
                texts = [_text(r) for r in first if r is not None]
                for rnd in range(1, cfg.debate_rounds + 1):
                    calls = []
                    for a, agent in enumerate(cfg.agents):
                        others = texts[:a] + texts[a + 1 :]
                        messages = debate_messages(agent, q.text, texts[a], others)
                        fields = KeyFields(
                            "debate",
                            cfg.dataset,
                            q.qid,
                            agent.model or cfg.model,
                            cfg.sampling(agent),
                            prompt_hash(messages),
                            seed=sample_seed(cfg.seed, cfg.dataset, q.qid, agent.name, -rnd),
                            agent=agent.name,
                            round=rnd,
                        )
                        calls.append(do_extra(fields, messages, {"agent": agent.name}, client))
                    got = await asyncio.gather(*calls)
                    # a failed call keeps the agent's previous solution for the next round
                    texts = [
                        g.output.text if g is not None and g.output is not None else t
                        for g, t in zip(got, texts, strict=True)
                    ]

            if judge_client is not client:
                await judge_client.__aenter__()
            try:
                await asyncio.gather(*(do_question(q) for q in questions))
            finally:
                if judge_client is not client:
                    await judge_client.__aexit__(None, None, None)
        bar.close()
    finally:
        samples.close()
        judges.close()
        extras.close()


def _error(err: CompletionError) -> CallError:
    """The stored form of a failed call, with any credential redacted."""
    return CallError(err.kind, redact(err.message))


def _seed(fields: KeyFields) -> int:
    """The request seed of a call: its key's seed (0 for USC, which has none)."""
    return fields.seed if fields.seed is not None else 0


def _text(rec: SampleRecord) -> str:
    """A successful sample's text."""
    assert rec.output is not None, "only successful samples are passed on"
    return rec.output.text


def _answer(rec: SampleRecord) -> str | None:
    """A successful sample's extracted answer (None when it has none)."""
    assert rec.output is not None, "only successful samples are passed on"
    return rec.output.answer


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
