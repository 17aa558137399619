"""``align llm …``: run, report, replay, serve-local.

:func:`register` adds the ``llm`` sub-command to the main ``align`` parser; every leaf
parser sets ``func(args) -> int``. ``python -m align_theory.llm`` builds a parser of its own
and calls :func:`register`, for use before the main CLI wires it.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from align_theory.llm.runner import RunConfig

__all__ = ["build_parser", "main", "register"]


def _cmd_run(args: argparse.Namespace) -> int:
    from align_theory.llm.client import EndpointDown
    from align_theory.llm.datasets import MalformedRow, load_dataset
    from align_theory.llm.local_model import MODEL_SHA256, assemble_model
    from align_theory.llm.lock import RunLocked
    from align_theory.llm.runner import ConfigMismatch, run_sync
    from align_theory.llm.server import LocalServer

    try:
        loaded = load_dataset(args.dataset, args.source, limit=args.limit, on_error=args.on_error)
    except MalformedRow as bad:
        print(f"malformed row {bad} (pass --on-error skip to skip such rows)", file=sys.stderr)
        return 2
    for skipped in loaded.errors:
        print(f"skipped malformed row {skipped}", file=sys.stderr)
    if not loaded.questions:
        print("no questions to run", file=sys.stderr)
        return 2
    if not args.base_url and not args.serve_local:
        print("give --base-url URL or --serve-local", file=sys.stderr)
        return 2
    try:
        cfg = _run_config(args)
    except ValueError as bad:
        print(f"invalid option: {bad}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if err := _server_flag_error(args):
        print(err, file=sys.stderr)
        return 2
    servers: list[LocalServer] = []
    # SIGTERM unwinds like Ctrl-C, so the finally below stops a server we started.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if args.serve_local:
            path = assemble_model()
            cfg.model_file_sha256 = MODEL_SHA256
            fast = args.no_sample_logprobs
            if args.llama_server:
                # one C++ server: continuous batching over --parallel slots serves the
                # samples and the judge (it returns generated-token logprobs when asked)
                srv = LocalServer(
                    path,
                    n_threads=args.threads,
                    model_alias=args.model,
                    server_bin=Path(args.llama_server),
                    parallel=args.parallel,
                )
                servers.append(srv.start())
                cfg.concurrency = max(cfg.concurrency, args.parallel)
                # the server's sampler defaults shape the samples: record them in the config
                cfg.extra["server"] = LLAMA_SERVER_SAMPLER
            for _ in range(0 if args.llama_server else args.servers):
                srv = LocalServer(
                    path,
                    n_threads=args.threads,
                    model_alias=args.model,
                    logprobs="none" if fast else "generated",
                )
                servers.append(srv.start())
            cfg.base_url = ",".join(s.base_url for s in servers)
            if fast and cfg.judge and not args.llama_server:
                judge = LocalServer(
                    path, n_threads=args.threads * args.servers, model_alias=args.model
                )
                servers.append(judge.start())
                cfg.judge_base_url = judge.base_url
            cfg.concurrency = max(cfg.concurrency, len(servers))
        summary = run_sync(cfg, loaded.questions, out, source=loaded.source, progress=True)
    except KeyboardInterrupt:
        print(f"\ninterrupted; run the same command again to resume into {out}", file=sys.stderr)
        return 130
    except (RunLocked, ConfigMismatch) as err:
        print(f"align llm run: {err}", file=sys.stderr)
        return 2
    except EndpointDown as err:
        print(f"align llm run: stopped: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        print(
            f"align llm run: stopped: no space left on the device holding {out} ({err}); "
            "every record written so far is kept: free some space and run the same command "
            "again to resume",
            file=sys.stderr,
        )
        return 1
    finally:
        for srv in servers:
            srv.stop()
    print(
        f"{summary.questions} questions: {summary.issued_samples} samples issued "
        f"({summary.failed_samples} failed), {summary.issued_judge} judge calls "
        f"({summary.failed_judge} failed), {summary.tokens_per_s:.1f} completion tok/s, "
        f"{summary.wall_s:.0f} s -> {out}"
    )
    return 0 if summary.failed_samples == 0 and summary.failed_judge == 0 else 1


LLAMA_SERVER_SAMPLER = (
    "llama.cpp llama-server from llama-cpp-python 0.3.36's vendored sources; sampler "
    "defaults top_k=40, min_p=0.05, repeat_penalty=1.0"
)


def _run_config(args: argparse.Namespace) -> RunConfig:
    """The :class:`RunConfig` of ``llm run``'s flags (raises ValueError on a bad value)."""
    from align_theory.llm.agents import default_agents
    from align_theory.llm.runner import RunConfig
    from align_theory.llm.usc import USC_PROMPT_VERSION

    return RunConfig(
        dataset=args.dataset,
        agents=default_agents(args.agents),
        per_agent=args.per_agent,
        model=args.model,
        base_url=args.base_url or "",
        max_tokens=args.max_tokens,
        top_p=args.top_p,
        seed=args.seed,
        judge=not args.no_judge,
        judge_model=args.judge_model,
        api_key_env=args.api_key_env,
        concurrency=args.concurrency,
        timeout_s=(
            args.timeout if args.timeout is not None else (3600.0 if args.serve_local else 180.0)
        ),
        max_retries=args.max_retries,
        usc_reps=args.usc_reps,
        usc_prompt=USC_PROMPT_VERSION if args.usc_prompt is None else args.usc_prompt,
        sample_logprobs=not args.no_sample_logprobs,
        judge_base_url=args.judge_base_url,
        debate_rounds=args.debate_rounds,
        self_verify=args.self_verify,
    )


def _server_flag_error(args: argparse.Namespace) -> str | None:
    """Why the server flags of ``run`` / ``serve-local`` do not combine, or None."""
    if args.parallel != 1 and not args.llama_server:
        return "--parallel needs --llama-server (llama-cpp-python serves one slot)"
    if args.llama_server and getattr(args, "servers", 1) != 1:
        return "--servers is for llama-cpp-python; with --llama-server use --parallel"
    if (
        getattr(args, "self_verify", False)
        and getattr(args, "serve_local", False)
        and args.no_sample_logprobs
        and not args.llama_server
    ):
        return (
            "--self-verify reads P(yes) from the agents' server, which --no-sample-logprobs "
            "starts without log-probabilities; drop one, or add --llama-server"
        )
    return None


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _cmd_serve_local(args: argparse.Namespace) -> int:
    from align_theory.llm.local_model import assemble_model
    from align_theory.llm.server import LocalServer

    if err := _server_flag_error(args):
        print(err, file=sys.stderr)
        return 2
    path = assemble_model()
    server = LocalServer(
        path,
        port=args.port,
        n_threads=args.threads,
        n_ctx=args.n_ctx,
        model_alias=args.model,
        server_bin=Path(args.llama_server) if args.llama_server else None,
        parallel=args.parallel,
    )
    stop = threading.Event()

    def _handler(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    with server:
        print(f"serving {path.name} as model '{args.model}' at {server.base_url}", flush=True)
        while not stop.wait(1.0):
            if not server.running:
                print("server exited", file=sys.stderr)
                return 1
    print("server stopped", flush=True)
    return 0


MAX_VERIFY_ERROR_RATE = 0.01
"""A run whose answer checks end in "error" (math-verify timeout or crash) for more than
this share of its candidates has no trustworthy accuracy: report and replay fail loudly."""


def _health(run: str, results: dict[str, Any]) -> int:
    """Print what the results leave out; 1 when too many answer checks failed."""
    dropped = results.get("incomplete_questions") or []
    if dropped:
        print(
            f"{len(dropped)} question(s) dropped as incomplete (samples missing; run the "
            f"same command again to resume): {', '.join(map(str, dropped[:10]))}"
            + (" ..." if len(dropped) > 10 else ""),
            file=sys.stderr,
        )
    errors, total = int(results.get("verify_errors", 0)), int(results.get("candidates", 0))
    if total and errors / total > MAX_VERIFY_ERROR_RATE:
        print(
            f"cannot trust {run}: {errors} of {total} answer checks ended in an error "
            f"({errors / total:.1%} > {MAX_VERIFY_ERROR_RATE:.0%}); they count as wrong. "
            "Re-run the report on a less loaded machine",
            file=sys.stderr,
        )
        return 1
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from align_theory.llm.report import replay

    try:
        res = replay(
            Path(args.run),
            bootstrap=args.bootstrap,
            seed=args.seed,
            quiet=False,
            regrade=args.regrade,
        )
    except (FileNotFoundError, ValueError) as err:
        print(f"cannot replay {args.run}: {err}", file=sys.stderr)
        return 1
    return _health(args.run, res)


def _cmd_report(args: argparse.Namespace) -> int:
    import json

    from align_theory.llm.report import report

    try:
        text = report(
            Path(args.run), bootstrap=args.bootstrap, seed=args.seed, replay_run=args.replay
        )
    except (FileNotFoundError, ValueError) as err:
        print(f"cannot report {args.run}: {err}", file=sys.stderr)
        return 1
    print(text)
    return _health(args.run, json.loads((Path(args.run) / "results.json").read_text()))


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from align_theory.calibrate.report import calibrate_run

    out = Path(args.out) if args.out else None
    try:
        js = calibrate_run(
            Path(args.run),
            out,
            folds=args.folds,
            draws=args.draws,
            questions=args.questions,
            seed=args.seed,
        )
    except ValueError as bad:
        print(f"calibrate: {bad}", file=sys.stderr)
        return 2
    sm = js["summary"]
    print(
        f"MAE {sm['mae']:.3f}, inside the 95% CI {sm['coverage']:.3f} of {sm['cells']} cells, "
        f"best protocol agrees {sm['best_protocol_agreement']:.2f}, best split agrees "
        f"{sm['best_split_agreement']:.2f}, pilot MAE "
        + ", ".join(f"{q}: {v:.3f}" for q, v in sm["pilot_mae"].items())
    )
    print(f"wrote {out or Path(args.run) / 'calibration'}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from align_theory.exact.empirical import pool_values_many
    from align_theory.llm.importers import FORMATS
    from align_theory.protocols import MajorityVote, Oracle, RandomPick, SingleAgent
    from align_theory.results import bootstrap

    try:
        pool = FORMATS[args.format](Path(args.path))
    except (FileNotFoundError, ValueError) as err:
        print(f"cannot import {args.path}: {err}", file=sys.stderr)
        return 1
    out = Path(args.out)
    pool.to_table(out / "candidates.parquet")
    pool.to_table(out / "candidates.csv")
    q, _, k = pool.shape
    protos = {
        f"{type(p).__name__}({n})": p
        for n in range(1, k + 1)
        for p in (RandomPick(n), SingleAgent(n), MajorityVote(n), Oracle(n))
    }
    vals = pool_values_many(pool, protos.values())
    est = bootstrap({name: vals[p] for name, p in protos.items()}, reps=args.bootstrap)
    print(f"{pool.name}: {q} questions x {k} samples -> {out / 'candidates.parquet'}")
    for name, e in est.items():
        print(f"  {name:<18} {e.mean:.3f} [{e.lo:.3f}, {e.hi:.3f}]")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``llm`` with sub-commands run, report, replay, serve-local."""
    llm = subparsers.add_parser("llm", help="run ALIGN and baselines on real LLMs")
    sub = llm.add_subparsers(dest="llm_command", required=True)

    fmt = argparse.ArgumentDefaultsHelpFormatter
    r = sub.add_parser(
        "run",
        help="sample, judge and store a run (resumable)",
        formatter_class=fmt,
        description="Sample M x K candidates per question from an OpenAI-compatible "
        "server, judge each, and store everything append-only in --out. Running the same "
        "command again resumes; another configuration into the same --out is refused.",
        epilog="datasets: --dataset gsm8k (default; an offline copy of the test split "
        "ships with the llm extra), gsm-hard, math, math-500. Sources: --source PATH.jsonl "
        "for any dataset, or --source hf[:NAME[:CONFIG[:SPLIT]]] to load from Hugging Face "
        "(needs the 'datasets' package and network), e.g. --dataset math-500 --source hf.",
    )
    r.add_argument(
        "--dataset",
        default="gsm8k",
        choices=["gsm8k", "gsm-hard", "math", "math-500"],
        help="benchmark whose row format --source holds",
    )
    r.add_argument(
        "--source",
        default=None,
        help="a JSONL path, or hf[:NAME[:CONFIG[:SPLIT]]] for Hugging Face; default: the "
        "offline GSM8K test split",
    )
    r.add_argument("--limit", type=int, default=None, help="first N questions only")
    r.add_argument(
        "--on-error",
        choices=["skip", "fail"],
        default="fail",
        help="a malformed dataset row fails the run, or is reported and skipped",
    )
    r.add_argument("--agents", type=int, default=4, help="M, the number of agents")
    r.add_argument("--per-agent", type=int, default=4, help="K, candidates per agent")
    r.add_argument("--model", default="local", help="model name sent to the server")
    r.add_argument("--judge-model", default=None, help="the judge's model name (default: --model)")
    r.add_argument("--no-judge", action="store_true", help="skip the principal's judge calls")
    r.add_argument(
        "--base-url",
        default=None,
        help="OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1 (several: comma-"
        "separated replicas); checked once before the run",
    )
    r.add_argument("--serve-local", action="store_true", help="start the offline 0.5B model")
    r.add_argument("--threads", type=int, default=2, help="threads per --serve-local server")
    r.add_argument(
        "--servers", type=int, default=1, help="--serve-local replicas (requests balanced)"
    )
    _server_args(r)
    r.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        help="environment variable holding the API key (never stored)",
    )
    r.add_argument("--max-tokens", type=int, default=384, help="completion tokens per sample")
    r.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling top_p in (0, 1]")
    r.add_argument("--seed", type=int, default=0, help="base seed of every sample's seed")
    r.add_argument("--concurrency", type=int, default=2, help="requests in flight")
    r.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="per-request timeout in s (default 180; 3600 with --serve-local, where a shared "
        "CPU can make one 400-token sample take minutes)",
    )
    r.add_argument(
        "--max-retries", type=int, default=5, help="retries of a failed request (429, 5xx, ...)"
    )
    r.add_argument("--usc-reps", type=int, default=0, help="USC calls per question and k")
    r.add_argument(
        "--usc-prompt",
        type=int,
        default=None,
        help="USC prompt version (1, 2 or 3; default 3, the number-only reply with the "
        "responses shown in a fixed shuffled order; 2 the same in drawn order; 1 resumes a "
        "run made before the versions existed)",
    )
    r.add_argument("--debate-rounds", type=int, default=0, help="multi-agent debate rounds")
    r.add_argument(
        "--self-verify",
        action="store_true",
        help="each agent also rates each of its candidates (P(yes), one 1-token call per "
        "candidate): the agent score variants of the report",
    )
    r.add_argument(
        "--no-sample-logprobs",
        action="store_true",
        help="agent samples without token log-probabilities (with --serve-local: sample "
        "servers without logits_all, about 4x faster, plus one judge server with it)",
    )
    r.add_argument(
        "--judge-base-url", default=None, help="a separate server for the judge (default: none)"
    )
    r.add_argument("--out", required=True, help="run folder (created, or resumed)")
    r.set_defaults(func=_cmd_run)

    for name, func, helptext in (
        (
            "report",
            _cmd_report,
            "report.md and report.png from the stored results.json (replays if absent)",
        ),
        ("replay", _cmd_replay, "re-score a stored run without any model (writes results.json)"),
    ):
        p = sub.add_parser(name, help=helptext, formatter_class=fmt)
        p.add_argument("run", help="run folder")
        p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples")
        p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
        if name == "replay":
            p.add_argument(
                "--regrade",
                action="store_true",
                help="ignore the stored grading (grading.json) and call math-verify again",
            )
        else:
            p.add_argument(
                "--replay",
                action="store_true",
                help="replay the run first even when results.json exists",
            )
        p.set_defaults(func=func)

    c = sub.add_parser(
        "calibrate",
        help="fit model B to a stored run and check its held-out predictions",
        formatter_class=fmt,
    )
    c.add_argument("run", help="run folder (with results.json from `align llm replay`)")
    c.add_argument("--folds", type=int, default=5, help="folds over questions")
    c.add_argument(
        "--draws",
        type=int,
        default=10,
        help=(
            "bootstrap refits over questions for the predicted 95%% band "
            "(each refits every parameter; about 5 CPU-s each)"
        ),
    )
    c.add_argument("--questions", type=int, default=1000, help="synthetic questions per layout")
    c.add_argument("--seed", type=int, default=0, help="seed of the fit's draws")
    c.add_argument("--out", default=None, help="output folder (default RUN/calibration)")
    c.set_defaults(func=_cmd_calibrate)

    im = sub.add_parser(
        "import",
        help="an lm-evaluation-harness --log_samples or inspect_ai JSON log as a pool",
        formatter_class=fmt,
    )
    im.add_argument("format", choices=["lm-eval", "inspect"], help="the log's format")
    im.add_argument("path", help="the log file (or lm-eval output folder)")
    im.add_argument("--out", required=True, help="folder for candidates.parquet/.csv")
    im.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples")
    im.set_defaults(func=_cmd_import)

    s = sub.add_parser(
        "serve-local", help="serve the offline 0.5B model on 127.0.0.1", formatter_class=fmt
    )
    s.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    s.add_argument("--threads", type=int, default=2, help="CPU threads")
    s.add_argument("--n-ctx", type=int, default=2048, help="context window in tokens")
    s.add_argument("--model", default="local", help="model name the server answers to")
    _server_args(s)
    s.set_defaults(func=_cmd_serve_local)


def _server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--llama-server",
        default=None,
        metavar="PATH",
        help="serve with llama.cpp's C++ llama-server binary (scripts/build_llama_server.sh) "
        "instead of llama-cpp-python: continuous batching over --parallel slots",
    )
    p.add_argument(
        "--parallel", type=int, default=1, help="slots of --llama-server (concurrent requests)"
    )


def build_parser() -> argparse.ArgumentParser:
    """A stand-alone parser whose only command is ``llm``."""
    parser = argparse.ArgumentParser(prog="align")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m align_theory.llm``."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))
