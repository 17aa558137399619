"""Runs against a real local HTTP server: faults, resume, SIGKILL, no lost/duplicated samples."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from align_theory.llm.agents import default_agents, sample_seed
from align_theory.llm.datasets import Question
from align_theory.llm.runner import RunConfig, run_sync
from align_theory.llm.store import read_records

QS = [Question(str(i), f"What is 40 + {i} - {i} + 2?", "42") for i in range(3)]


def _cfg(url: str, **kw) -> RunConfig:
    base = dict(
        dataset="toy",
        agents=default_agents(2),
        per_agent=2,
        model="fake",
        base_url=url,
        backoff_base=0.01,
        timeout_s=0.5,
        max_retries=3,
    )
    base.update(kw)
    return RunConfig(**base)


def _ok(path: Path) -> list[dict]:
    return [r for r in read_records(path) if not r.get("error")]


def test_run_survives_every_fault(fake_server, tmp_path):
    srv = fake_server(faults=["429", "500", "timeout", "truncated", "empty"], retry_after="0.05")
    s = run_sync(_cfg(srv.base_url), QS, tmp_path, progress=False)
    assert (s.issued_samples, s.failed_samples, s.issued_judge, s.failed_judge) == (12, 0, 12, 0)
    samples = _ok(tmp_path / "samples.jsonl")
    assert len({r["key"] for r in samples}) == 12
    assert all(r["answer"] is not None and r["completion_tokens"] > 0 for r in samples)
    judges = _ok(tmp_path / "judge.jsonl")
    assert {j["sample_key"] for j in judges} == {r["key"] for r in samples}
    assert all(0.0 <= j["xhat"] <= 1.0 for j in judges)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["config_hash"] and manifest["versions"]["httpx"]
    assert "OPENAI_API_KEY" == manifest["config"]["api_key_env"]


def test_failed_samples_are_recorded_then_retried_on_resume(fake_server, tmp_path):
    bad = sample_seed(0, "toy", "1", default_agents(2)[1].name, 0)
    srv = fake_server(always_fail_seeds={bad})
    s = run_sync(_cfg(srv.base_url), QS, tmp_path, progress=False)
    assert s.failed_samples == 1 and s.issued_samples == 11
    failed = [r for r in read_records(tmp_path / "samples.jsonl") if r.get("error")]
    assert len(failed) == 1 and failed[0]["error"]["kind"] == "http_500"
    srv.always_fail_seeds.clear()
    n_before = len(srv.requests)
    s2 = run_sync(_cfg(srv.base_url), QS, tmp_path, progress=False)
    assert s2.issued_samples == 1 and s2.issued_judge == 1  # only the missing ones
    assert len(srv.requests) - n_before == 2
    assert len(_ok(tmp_path / "samples.jsonl")) == 12


def test_distinct_indices_get_distinct_seeds_and_keys(fake_server, tmp_path):
    srv = fake_server()
    run_sync(_cfg(srv.base_url, per_agent=4), QS[:1], tmp_path, progress=False)
    recs = _ok(tmp_path / "samples.jsonl")
    assert len({r["seed"] for r in recs}) == len(recs) == 8
    assert len({r["key"] for r in recs}) == 8
    bodies = [b for b in srv.requests if b["max_tokens"] != 1]
    assert len({b["seed"] for b in bodies}) == 8


def test_sigkill_mid_run_then_resume_loses_and_duplicates_nothing(fake_server, tmp_path):
    srv = fake_server(delay_s=0.05)
    qpath = tmp_path / "q.jsonl"
    qpath.write_text(
        "".join(json.dumps({"question": f"q{i}", "answer": "#### 42"}) + "\n" for i in range(6))
    )
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "align_theory.llm",
        "llm",
        "run",
        "--dataset",
        "gsm8k",
        "--source",
        str(qpath),
        "--agents",
        "2",
        "--per-agent",
        "3",
        "--model",
        "fake",
        "--base-url",
        srv.base_url,
        "--out",
        str(out),
        "--concurrency",
        "2",
    ]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    samples = out / "samples.jsonl"
    while time.monotonic() < deadline:
        if samples.exists() and len(list(read_records(samples))) >= 10:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    killed_at = len(list(read_records(samples)))
    assert 10 <= killed_at < 36, killed_at  # really killed mid-run
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    recs = list(read_records(samples))
    counts = collections.Counter(r["key"] for r in recs if not r.get("error"))
    assert len(counts) == 36  # 6 questions × 2 agents × 3 samples: none lost
    assert max(counts.values()) == 1  # none duplicated
    slots = {(r["qid"], r["agent"], r["index"]) for r in recs}
    assert len(slots) == 36
    jcounts = collections.Counter(r["key"] for r in read_records(out / "judge.jsonl"))
    assert len(jcounts) == 36 and max(jcounts.values()) == 1


def test_judge_on_its_own_server_and_samples_without_logprobs(fake_server, tmp_path):
    gen, judge = fake_server(), fake_server()
    cfg = _cfg(gen.base_url, sample_logprobs=False, judge_base_url=judge.base_url)
    run_sync(cfg, QS[:2], tmp_path, progress=False)
    assert len(gen.requests) == 8 and all(b["max_tokens"] != 1 for b in gen.requests)
    assert "logprobs" not in gen.requests[0]
    assert len(judge.requests) == 8 and all(b["max_tokens"] == 1 for b in judge.requests)
    assert all(b["top_logprobs"] == 10 for b in judge.requests)
