"""End to end on the real offline model: llama.cpp server + Qwen2.5-Coder-0.5B-Instruct.

The full sample-judge-replay run is `-m slow` (`make test-slow`, which .ci/run runs when time
allows); the server start-up test runs in `make test`. Needs the ``llm`` extra, which the
Makefile installs. Kept short: 2 GSM8K questions, M = K = 2, at most 128 new tokens.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from align_theory.llm.agents import default_agents
from align_theory.llm.datasets import load_dataset
from align_theory.llm.local_model import MODEL_SHA256, assemble_model
from align_theory.llm.report import replay
from align_theory.llm.runner import RunConfig, run_sync
from align_theory.llm.server import LocalServer
from align_theory.llm.store import read_records


@pytest.mark.slow  # 83 s on 2 cores: the real model samples, judges and is replayed;
# the default suite keeps the real model's logits and server tests (test_llama_server.py)
def test_two_gsm8k_questions_with_judge(tmp_path):
    questions = load_dataset("gsm8k", limit=2).questions
    model = assemble_model()
    # the configuration of the stored run: samples from a stock server without
    # log-probabilities, the judge on align_theory.llm.llama_server (P(yes) from logprobs)
    sampler = LocalServer(model, n_threads=2, logprobs="none", log_path=tmp_path / "s.log")
    judge = LocalServer(model, n_threads=2, log_path=tmp_path / "j.log")
    with sampler as server, judge:
        cfg = RunConfig(
            dataset="gsm8k",
            agents=default_agents(2),
            per_agent=2,
            model="local",
            base_url=server.base_url,
            max_tokens=128,
            concurrency=1,
            model_file_sha256=MODEL_SHA256,
            sample_logprobs=False,
            judge_base_url=judge.base_url,
        )
        summary = run_sync(cfg, questions, tmp_path / "run", progress=False)
    assert not server.running and not judge.running
    assert (summary.issued_samples, summary.failed_samples) == (8, 0)
    assert (summary.issued_judge, summary.failed_judge) == (8, 0)
    samples = list(read_records(tmp_path / "run" / "samples.jsonl"))
    assert len(samples) == 8 and len({r["key"] for r in samples}) == 8
    assert len({r["seed"] for r in samples}) == 8
    for r in samples:
        assert r["error"] is None and r["text"].strip()
        assert 0 < r["completion_tokens"] <= 128 and r["prompt_tokens"] > 0
        assert r["mean_logprob"] is None  # not asked for
    assert sum(r["answer"] is not None for r in samples) >= 4
    judges = list(read_records(tmp_path / "run" / "judge.jsonl"))
    assert len(judges) == 8
    assert {j["sample_key"] for j in judges} == {r["key"] for r in samples}
    for j in judges:
        assert j["xhat"] is not None and 0.0 <= j["xhat"] <= 1.0
    res = replay(tmp_path / "run", bootstrap=100)
    assert res["questions"] == 2 and res["candidates"] == 8
    assert res["model_file_sha256"] == MODEL_SHA256


def test_serve_local_command_starts_answers_and_stops():
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "align_theory.llm", "llm", "serve-local"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/v1", line)
        assert url, line
        resp = httpx.get(url.group(0) + "/models", timeout=10)
        assert resp.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "server stopped" in proc.stdout.read()
        time.sleep(0.5)
        try:
            httpx.get(url.group(0) + "/models", timeout=2)
            still_up = True
        except httpx.HTTPError:
            still_up = False
        assert not still_up
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
