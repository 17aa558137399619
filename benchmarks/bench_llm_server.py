"""Throughput of the offline model's servers: agent samples and judge calls.

Starts each server configuration in turn on 127.0.0.1 with the verified offline model
(Qwen2.5-Coder-0.5B-Instruct, GGUF) and measures, on the first GSM8K test question with
the agents' prompt:

* sample throughput: ``c`` concurrent requests of ``--max-tokens`` tokens (temperature 0.7,
  distinct seeds), completion tokens per wall-clock second, for each ``c`` in ``--conc``;
* judge latency: ``--judge-calls`` sequential judge calls (one token, top-10 logprobs) on
  solutions the model wrote, seconds per call, and the prompt-processing rate: llama-server's
  own ``timings`` (tokens actually evaluated, prefix-cache hits excluded, per second of
  prompt evaluation) where it reports them, else prompt tokens per second of call (a judge
  call is almost all prompt).

Configurations: llama-cpp-python's server (``python``: one request at a time; samples
without logprobs, judge through :mod:`align_theory.llm.llama_server`) and, with
``--llama-server PATH``, llama.cpp's C++ server with ``--parallel`` slots (``cpp``). The
ratio cpp/python of the best sample throughput is printed last. A measurement recorded in
docs/empirical.md, not a test; run it on an otherwise idle machine.

    python benchmarks/bench_llm_server.py [--llama-server PATH] [--conc 1 4 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from align_theory.llm.agents import agent_messages, default_agents, judge_messages
from align_theory.llm.datasets import load_dataset
from align_theory.llm.local_model import assemble_model
from align_theory.llm.server import LocalServer


async def _samples(url: str, messages: list[dict[str, str]], conc: int, max_tokens: int) -> float:
    async def one(client: httpx.AsyncClient, seed: int) -> int:
        body: dict[str, Any] = {
            "model": "local",
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.7,
            "seed": seed,
        }
        resp = await client.post(f"{url}/chat/completions", json=body, timeout=3600)
        resp.raise_for_status()
        return int(resp.json()["usage"]["completion_tokens"])

    async with httpx.AsyncClient() as client:
        t0 = time.perf_counter()
        tokens = await asyncio.gather(*(one(client, s) for s in range(conc)))
        return sum(tokens) / (time.perf_counter() - t0)


def _judge(url: str, question: str, solutions: list[str]) -> list[tuple[float, int, float]]:
    """(seconds, prompt tokens evaluated, seconds evaluating them) per judge call, in turn."""
    out = []
    for sol in solutions:
        body = {
            "model": "local",
            "messages": judge_messages(question, sol),
            "max_tokens": 1,
            "temperature": 0.0,
            "logprobs": True,
            "top_logprobs": 10,
        }
        t0 = time.perf_counter()
        resp = httpx.post(f"{url}/chat/completions", json=body, timeout=3600)
        resp.raise_for_status()
        dt = time.perf_counter() - t0
        d = resp.json()
        tm = d.get("timings") or {}
        if "prompt_n" in tm and "prompt_ms" in tm:
            out.append((dt, int(tm["prompt_n"]), float(tm["prompt_ms"]) / 1000))
        else:
            out.append((dt, int(d["usage"]["prompt_tokens"]), dt))
    return out


def _solutions(url: str, messages: list[dict[str, str]], n: int, max_tokens: int) -> list[str]:
    texts = []
    for seed in range(n):
        body = {"model": "local", "messages": messages, "max_tokens": max_tokens, "seed": seed}
        resp = httpx.post(f"{url}/chat/completions", json=body, timeout=3600)
        texts.append(resp.json()["choices"][0]["message"]["content"])
    return texts


def main() -> None:
    """Measure each configuration and print one row per measurement."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llama-server", default=None, help="llama-server binary (cpp config)")
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--conc", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--judge-calls", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    model = assemble_model()
    q = load_dataset("gsm8k", limit=1).questions[0]
    messages = agent_messages(default_agents(1)[0], q.text)
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{args.threads} threads, load {os.getloadavg()[0]:.2f}"
    )
    best: dict[str, float] = {}
    configs: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = [
        ("python", {"logprobs": "none"}, [{"logprobs": "generated"}, {"logprobs": "all"}])
    ]
    if args.llama_server:
        cpp = {"server_bin": Path(args.llama_server), "parallel": args.parallel}
        configs.append(("cpp", cpp, [cpp]))
    for name, sample_kw, judge_kws in configs:
        with LocalServer(model, n_threads=args.threads, **sample_kw) as srv:
            for conc in args.conc:
                if name == "python" and conc > 1:
                    continue  # one slot: concurrency only queues
                tps = asyncio.run(_samples(srv.base_url, messages, conc, args.max_tokens))
                best[name] = max(best.get(name, 0.0), tps)
                print(f"{name:6s} samples  concurrency {conc:3d}: {tps:6.1f} completion tok/s")
            sols = _solutions(srv.base_url, messages, args.judge_calls, 320)
        for judge_kw in judge_kws:
            with LocalServer(model, n_threads=args.threads, **judge_kw) as srv:
                calls = _judge(srv.base_url, q.text, sols)
            lat = [t for t, _, _ in calls]
            rate = sum(n for _, n, _ in calls) / sum(e for _, _, e in calls)
            mode = judge_kw.get("logprobs", "") if name == "python" else ""
            print(
                f"{name:6s} judge {mode:9s} median {statistics.median(lat):5.2f} s per call "
                f"(min {min(lat):.2f}, max {max(lat):.2f}, {len(lat)} calls; "
                f"{rate:.0f} prompt tok/s)"
            )
    if "cpp" in best:
        print(f"ratio cpp/python best sample throughput: {best['cpp'] / best['python']:.2f}")


if __name__ == "__main__":
    main()
