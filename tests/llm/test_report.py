"""Replay and report on a stored run (made against the local test server): no model needed."""

from __future__ import annotations

import json

from align_theory.llm.agents import default_agents
from align_theory.llm.datasets import Question
from align_theory.llm.report import replay, report
from align_theory.llm.runner import RunConfig, run_sync

QS = [Question(str(i), f"q{i}", "42") for i in range(6)]


def test_replay_and_report(fake_server, tmp_path):
    srv = fake_server(p_correct=0.5)
    cfg = RunConfig(
        dataset="toy", agents=default_agents(2), per_agent=2, model="fake", base_url=srv.base_url
    )
    run_sync(cfg, QS, tmp_path, progress=False)
    n_requests = len(srv.requests)
    srv.stop()  # replay must not need the server
    res = replay(tmp_path, bootstrap=200)
    assert res["questions"] == 6 and res["candidates"] == 24
    assert res["unparsed"] == 0 and res["failed_samples"] == 0
    full = res["grid"]["2x2"]["estimates"]
    for name in (
        "Align-judge",
        "Align-bayes",
        "Align-vote",
        "SingleAgent",
        "MajorityVote",
        "Shortlist",
        "PrincipalBestOfN",
        "RandomPick",
        "Oracle",
    ):
        e = full[name]
        assert 0.0 <= e["lo"] <= e["mean"] <= e["hi"] <= 1.0
    assert full["Align-exact"]["mean"] >= full["Align-judge"]["mean"]
    assert full["Oracle"]["mean"] >= full["PrincipalBestOfN"]["mean"]
    # pass@k equals the oracle on uniform subsets at every n
    for n, est in res["uniform"].items():
        assert abs(est["pass@k"]["mean"] - est["Oracle"]["mean"]) < 1e-9, n
    text = report(tmp_path, bootstrap=200)
    assert "Align-judge" in text and "n = 4" in text
    assert (tmp_path / "report.png").stat().st_size > 1000
    assert json.loads((tmp_path / "results.json").read_text())["M"] == 2
    assert n_requests == 48
