"""Runs that never mix, endpoints that fail fast, secrets kept out of the run folder, and
damaged stores (issue 15), against the fake server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from align_theory.llm import cli as llm_cli
from align_theory.llm.agents import default_agents
from align_theory.llm.client import (
    ChatClient,
    EndpointDown,
    SamplingParams,
    check_base_url,
    redact,
    strip_credentials,
)
from align_theory.llm.datasets import Question
from align_theory.llm.lock import RunLock, RunLocked
from align_theory.llm.runner import ConfigMismatch, RunConfig, run_sync
from align_theory.llm.store import JsonlStore, StoreStats, read_records

QS = [Question(str(i), f"What is 40 + {i} - {i} + 2?", "42") for i in range(2)]


def _cfg(url: str, **kw) -> RunConfig:
    base = dict(
        dataset="toy",
        agents=default_agents(2),
        per_agent=2,
        model="fake",
        base_url=url,
        backoff_base=0.01,
        timeout_s=2.0,
        max_retries=2,
    )
    base.update(kw)
    return RunConfig(**base)


def _rows(path: Path, n: int = 2) -> Path:
    path.write_text(
        "".join(json.dumps({"question": f"q{i}", "answer": "#### 42"}) + "\n" for i in range(n))
    )
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# 1. another configuration into the same folder is refused; the same one resumes
@pytest.mark.parametrize(
    ("change", "named"),
    [({"seed": 1}, r"seed: 0 -> 1"), ({"model": "other"}, r"model: 'fake' -> 'other'")],
    ids=["seed", "model"],
)
def test_another_configuration_is_refused_naming_what_differs(fake_server, tmp_path, change, named):
    srv = fake_server()
    run_sync(_cfg(srv.base_url), QS, tmp_path, source="a.jsonl", progress=False)
    before = (tmp_path / "manifest.json").read_text()
    n = len(srv.requests)
    with pytest.raises(ConfigMismatch, match=named):
        run_sync(_cfg(srv.base_url, **change), QS, tmp_path, source="a.jsonl", progress=False)
    assert len(srv.requests) == n and (tmp_path / "manifest.json").read_text() == before
    with pytest.raises(ConfigMismatch, match=r"dataset_source: 'a\.jsonl' -> 'b\.jsonl'"):
        run_sync(_cfg(srv.base_url), QS, tmp_path, source="b.jsonl", progress=False)
    # the same configuration resumes (nothing left to issue); operational flags may change
    again = run_sync(
        _cfg(srv.base_url, concurrency=3), QS, tmp_path, source="a.jsonl", progress=False
    )
    assert again.issued_samples == 0 and len(srv.requests) == n


def test_cli_refuses_another_source_into_the_same_out_with_exit_2(fake_server, tmp_path, capsys):
    srv = fake_server()
    out = tmp_path / "run"
    base = ["llm", "run", "--agents", "1", "--per-agent", "2", "--base-url", srv.base_url]
    base += ["--out", str(out)]
    a, b = _rows(tmp_path / "a.jsonl"), _rows(tmp_path / "b.jsonl")
    assert llm_cli.main([*base, "--source", str(a)]) == 0
    assert llm_cli.main([*base, "--source", str(b)]) == 2
    assert "dataset_source" in capsys.readouterr().err


# 2. one process per run folder
def test_lock_refuses_a_live_owner_and_takes_over_a_stale_one(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(RunLocked):
            RunLock(tmp_path).acquire()
    assert not (tmp_path / ".lock").exists()  # released on exit
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / ".lock").write_text(
            json.dumps({"pid": sleeper.pid, "host": socket.gethostname()})
        )
        with pytest.raises(RunLocked, match=f"in use by process {sleeper.pid}"):
            RunLock(tmp_path).acquire()
    finally:
        sleeper.kill()
        sleeper.wait()
    # the owner crashed: its lock is stale and taken over
    with RunLock(tmp_path) as lock:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()


def test_second_run_on_a_locked_folder_exits_2_before_any_request(fake_server, tmp_path, capsys):
    srv = fake_server()
    out = tmp_path / "run"
    argv = ["llm", "run", "--source", str(_rows(tmp_path / "q.jsonl")), "--agents", "1"]
    argv += ["--per-agent", "2", "--base-url", srv.base_url, "--out", str(out)]
    out.mkdir()
    live = {"pid": os.getppid(), "host": socket.gethostname()}  # another live process
    (out / ".lock").write_text(json.dumps(live))
    assert llm_cli.main(argv) == 2
    assert (out / ".lock").exists()  # not ours to remove
    assert "in use by process" in capsys.readouterr().err
    assert not srv.requests


# 4. endpoints that fail fast
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("localhost:8080/v1", "must start with http"),
        ("http://127.0.0.1:99999/v1", "port outside 1..65535"),
        ("http:///v1", "no host"),
        ("ftp://host/v1", "must start with http"),
    ],
)
def test_bad_base_url_is_refused_up_front(tmp_path, capsys, url, message):
    with pytest.raises(ValueError, match=message):
        check_base_url(url)
    argv = ["llm", "run", "--source", str(_rows(tmp_path / "q.jsonl")), "--base-url", url]
    assert llm_cli.main([*argv, "--out", str(tmp_path / "r")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_run_against_a_dead_endpoint_exits_nonzero_within_30_s(tmp_path, capsys):
    url = f"http://127.0.0.1:{_free_port()}/v1"  # nothing listens there
    argv = ["llm", "run", "--source", str(_rows(tmp_path / "q.jsonl")), "--base-url", url]
    t0 = time.monotonic()
    rc = llm_cli.main([*argv, "--out", str(tmp_path / "r")])
    assert rc == 1 and time.monotonic() - t0 < 30
    err = capsys.readouterr().err
    assert url in err and "ConnectError" in err
    assert not (tmp_path / "r" / "samples.jsonl").exists()


def test_run_against_a_server_that_never_answers_exits_within_30_s(tmp_path, capsys):
    with socket.socket() as silent:  # accepts connections (backlog), never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        argv = ["llm", "run", "--source", str(_rows(tmp_path / "q.jsonl")), "--base-url", url]
        t0 = time.monotonic()
        rc = llm_cli.main([*argv, "--timeout", "600", "--out", str(tmp_path / "r")])
        assert rc == 1 and time.monotonic() - t0 < 30
    assert "Timeout" in capsys.readouterr().err


def test_consecutive_connection_failures_stop_every_request():
    url = f"http://127.0.0.1:{_free_port()}/v1"

    async def go() -> list[BaseException | object]:
        async with ChatClient(url, "m", max_retries=50, backoff_base=0.001) as c:
            calls = [
                c.complete([{"role": "user", "content": "x"}], SamplingParams(), i)
                for i in range(4)
            ]
            return await asyncio.gather(*calls, return_exceptions=True)

    t0 = time.monotonic()
    got = asyncio.run(go())
    assert all(isinstance(g, EndpointDown) for g in got), got
    assert "consecutive connection failures" in str(got[0]) and url in str(got[0])
    assert time.monotonic() - t0 < 30


# 5. secrets never reach the run folder
def test_key_and_url_credentials_stay_out_of_the_run_folder(fake_server, tmp_path, monkeypatch):
    key = "sk-test-SECRET-4242"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    srv = fake_server(faults=["echo_auth"])
    url = srv.base_url.replace("http://", "http://user:URLPASS99@")
    summary = run_sync(_cfg(url), QS[:1], tmp_path, progress=False)
    assert summary.failed_samples == 1  # the 400 that echoed the header
    stored = "".join(p.read_text() for p in tmp_path.iterdir() if p.is_file())
    assert "[redacted]" in stored
    assert key not in stored and "URLPASS99" not in stored
    assert "dXNlcjpVUkxQQVNTOTk" not in stored  # base64 of user:URLPASS99 (Basic auth)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["config"]["base_url"] == srv.base_url


def test_redaction_helpers():
    assert strip_credentials("http://u:p@h:1/v1,https://h2/v1") == "http://h:1/v1,https://h2/v1"
    text = 'Authorization: Bearer abc.def and {"auth": "bearer xyz"} http://u:pw@h/v1 KEY1234'
    out = redact(text, ["KEY1234"])
    assert "abc.def" not in out and "xyz" not in out and "pw@" not in out and "KEY1234" not in out


# 11. damaged stores and a full disk
def test_a_json_line_that_is_not_an_object_is_skipped_and_counted(fake_server, tmp_path, capsys):
    srv = fake_server()
    run_sync(_cfg(srv.base_url), QS, tmp_path, progress=False)
    with (tmp_path / "samples.jsonl").open("a") as fh:
        fh.write("[1, 2]\n" + '"text"\n' + "{}\n")
    stats = StoreStats()
    n = len(list(read_records(tmp_path / "samples.jsonl", stats)))
    assert n == 8 and stats.partial_lines == 3
    again = run_sync(_cfg(srv.base_url), QS, tmp_path, progress=False)  # resume: no crash
    assert again.issued_samples == 0
    assert "skipped 3 unreadable line(s)" in capsys.readouterr().err
    assert llm_cli.main(["llm", "replay", str(tmp_path), "--bootstrap", "20"]) == 0


def test_full_disk_ends_the_run_with_a_resume_message(fake_server, tmp_path, monkeypatch, capsys):
    srv = fake_server()

    def full(self: JsonlStore, record: dict) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(JsonlStore, "append", full)
    argv = ["llm", "run", "--source", str(_rows(tmp_path / "q.jsonl")), "--agents", "1"]
    argv += ["--base-url", srv.base_url, "--out", str(tmp_path / "r")]
    assert llm_cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "no space left" in err and "run the same command again to resume" in err
    assert not (tmp_path / "r" / ".lock").exists()  # the lock is released


# 13. a whitespace judge reply is read from its log-probabilities
def test_whitespace_judge_reply_is_read_from_its_logprobs(fake_server, tmp_path):
    srv = fake_server(judge_text=" ")
    s = run_sync(_cfg(srv.base_url), QS[:1], tmp_path, progress=False)
    assert s.failed_judge == 0 and s.issued_judge == 4
    judges = list(read_records(tmp_path / "judge.jsonl"))
    assert all(j["xhat"] is not None and 0.0 < j["xhat"] < 1.0 for j in judges)
    judge_calls = [b for b in srv.requests if b["max_tokens"] == 1]
    assert len(judge_calls) == 4  # each answered once, none retried


def test_empty_agent_sample_is_still_retried(fake_server, tmp_path):
    srv = fake_server(faults=["empty"])
    s = run_sync(_cfg(srv.base_url), QS[:1], tmp_path, progress=False)
    assert s.failed_samples == 0 and len(srv.requests) == 4 + 1 + 4


# 3 and 13: the report says what it leaves out and fails loudly on many check errors
def test_report_health_names_dropped_questions_and_fails_above_1_percent(capsys):
    ok = {"incomplete_questions": ["7", "9"], "verify_errors": 1, "candidates": 100}
    assert llm_cli._health("r", ok) == 0
    assert "2 question(s) dropped as incomplete" in capsys.readouterr().err
    bad = {"incomplete_questions": [], "verify_errors": 2, "candidates": 100}
    assert llm_cli._health("r", bad) == 1
    assert "2 of 100 answer checks ended in an error" in capsys.readouterr().err
