"""The ``llm`` sub-commands, through the parser ``register`` builds."""

from __future__ import annotations

import argparse
import json

from align_theory.llm.cli import build_parser, main, register


def test_register_adds_llm_with_four_commands():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    register(sub)
    for argv in (
        ["llm", "run", "--out", "x", "--base-url", "http://127.0.0.1:1/v1"],
        ["llm", "report", "runs/x"],
        ["llm", "replay", "runs/x"],
        ["llm", "serve-local"],
    ):
        args = parser.parse_args(argv)
        assert callable(args.func)
    args = parser.parse_args(["llm", "run", "--out", "o", "--base-url", "u"])
    assert (args.agents, args.per_agent, args.dataset) == (4, 4, "gsm8k")


def test_run_then_report_and_replay(fake_server, tmp_path, capsys):
    srv = fake_server()
    qpath = tmp_path / "q.jsonl"
    qpath.write_text(
        "".join(json.dumps({"question": f"q{i}", "answer": "#### 42"}) + "\n" for i in range(3))
        + "{broken\n"
    )
    out = tmp_path / "run"
    base = ["llm", "run", "--source", str(qpath), "--agents", "2", "--per-agent", "2"]
    base += ["--base-url", srv.base_url, "--out", str(out)]
    assert main(base) == 2  # a malformed row fails the run by default, before any request
    assert "q.jsonl:4:" in capsys.readouterr().err
    assert not srv.requests
    assert main([*base, "--on-error", "skip"]) == 0
    err = capsys.readouterr().err
    assert "skipped malformed row" in err and ":4:" in err
    assert main(["llm", "replay", str(out), "--bootstrap", "50"]) == 0
    assert (out / "results.json").exists()
    assert main(["llm", "report", str(out), "--bootstrap", "50"]) == 0
    assert "Align-judge" in capsys.readouterr().out
    assert build_parser().prog == "align"


def test_report_on_a_run_without_complete_questions_fails_cleanly(tmp_path, capsys):
    assert main(["llm", "report", str(tmp_path / "missing")]) == 1
    assert "cannot report" in capsys.readouterr().err


def test_server_flags_that_do_not_combine_are_refused(tmp_path, capsys):
    run = ["llm", "run", "--serve-local", "--out", str(tmp_path / "r")]
    assert main([*run, "--parallel", "4"]) == 2
    assert "--parallel needs --llama-server" in capsys.readouterr().err
    binary = tmp_path / "llama-server"
    binary.write_text("")
    assert main([*run, "--llama-server", str(binary), "--servers", "2"]) == 2
    assert "with --llama-server use --parallel" in capsys.readouterr().err
    assert main([*run, "--self-verify", "--no-sample-logprobs"]) == 2
    assert "--self-verify reads P(yes)" in capsys.readouterr().err
    assert main(["llm", "serve-local", "--parallel", "2"]) == 2


def test_out_of_range_options_are_refused_by_name(tmp_path, capsys):
    run = ["llm", "run", "--base-url", "http://127.0.0.1:9", "--out", str(tmp_path / "r")]
    for flag, value, name in (
        ("--per-agent", "0", "per_agent must be an integer >= 1"),
        ("--top-p", "1.5", "top_p must lie in (0"),
        ("--usc-reps", "-1", "usc_reps must be an integer >= 0"),
        ("--concurrency", "0", "concurrency must be an integer >= 1"),
        ("--timeout", "0", "timeout_s must lie in (0"),
    ):
        assert main([*run, flag, value]) == 2
        assert name in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # refused before anything was written
