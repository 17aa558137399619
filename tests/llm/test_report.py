"""Replay and report on a stored run (made against the local test server): no model needed."""

from __future__ import annotations

import json

from align_theory.llm.agents import VERIFY_PROMPT, default_agents
from align_theory.llm.datasets import Question
from align_theory.llm.report import AGENT_SCORES, _aucs, auc, replay, report
from align_theory.llm.runner import RunConfig, run_sync
from align_theory.llm.store import read_records

QS = [Question(str(i), f"q{i}", "42") for i in range(6)]


def _cfg(url: str, **kw) -> RunConfig:
    """The toy run of these tests: 2 agents × 2 samples on the fake server."""
    return RunConfig(
        dataset="toy", agents=default_agents(2), per_agent=2, model="fake", base_url=url, **kw
    )


def test_replay_and_report(fake_server, tmp_path):
    srv = fake_server(p_correct=0.5)
    cfg = _cfg(srv.base_url)
    run_sync(cfg, QS, tmp_path, progress=False)
    n_requests = len(srv.requests)
    srv.stop()  # replay must not need the server
    res = replay(tmp_path, bootstrap=200)
    assert res["questions"] == 6 and res["candidates"] == 24
    assert res["unparsed"] == 0 and res["failed_samples"] == 0
    assert res["verified"] == 0 and res["agent_score_variants"] == {}  # no --self-verify
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


def test_usc_and_debate_behind_the_same_store(fake_server, tmp_path):
    srv = fake_server(p_correct=0.5)
    cfg = _cfg(srv.base_url, usc_reps=1, debate_rounds=2)
    s = run_sync(cfg, QS[:3], tmp_path, progress=False)
    # 3 questions × (4 samples + 4 judge + 2 USC budgets + 2 rounds × 2 agents)
    assert s.issued_samples == 12 and s.issued_judge == 12
    assert len(srv.requests) == 3 * (4 + 4 + 2 + 4)
    again = run_sync(cfg, QS[:3], tmp_path, progress=False)  # resume issues nothing
    assert len(srv.requests) == 3 * (4 + 4 + 2 + 4)
    assert again.issued_samples == 0
    debate_bodies = [b for b in srv.requests if "other agents" in json.dumps(b["messages"])]
    assert len(debate_bodies) == 12
    res = replay(tmp_path, bootstrap=100)
    assert set(res["usc"]) == {"1", "2"} and res["usc"]["2"]["questions"] == 3
    assert set(res["debate"]) == {"0", "1", "2"}
    assert res["debate"]["2"]["candidates"] == 6
    # USC picks Response 1 = agent 0's first pooled candidate: check against the samples
    for e in (res["usc"]["1"]["estimate"], res["debate"]["2"]["estimate"]):
        assert 0.0 <= e["lo"] <= e["mean"] <= e["hi"] <= 1.0
    assert "USC" in report(tmp_path, bootstrap=100)


def test_usc_prompt_v3_gets_usable_choices_and_v1_runs_still_resume(fake_server, tmp_path):
    # the fake answers USC like the 0.5B model: the placeholder "Response X" under prompt
    # version 1, the number of a plurality-answer response under versions 2 and 3 (number
    # only; version 3, the default, shows the responses shuffled)
    import numpy as np
    import pytest

    from align_theory.llm.runner import ConfigMismatch

    srv = fake_server(p_correct=0.5)
    new, old = tmp_path / "v3", tmp_path / "v1"
    run_sync(_cfg(srv.base_url, usc_reps=1), QS, new, progress=False)
    run_sync(_cfg(srv.base_url, usc_reps=1, usc_prompt=1), QS, old, progress=False)
    sent = len(srv.requests)
    for folder, usable in ((new, True), (old, False)):
        samples = {r["key"]: r for r in read_records(folder / "samples.jsonl")}
        usc = [r for r in read_records(folder / "extras.jsonl") if r["kind"] == "usc"]
        assert len(usc) == 12  # 6 questions × k = 1, 2
        want: dict[str, list[float]] = {"1": [], "2": []}
        for r in usc:
            pool = [samples[x] for x in r["key_fields"]["sample_keys"]]
            right = [p["answer"] == "42" for p in pool]
            if usable:  # the stored pick gives the pool's plurality answer
                votes = [p["answer"] for p in pool]
                chosen = pool[r["choice"]]
                assert r["chosen_key"] == chosen["key"] and r["text"] == str(r["choice"] + 1)
                assert votes.count(chosen["answer"]) == max(votes.count(v) for v in votes)
                want[str(r["k"])].append(float(chosen["answer"] == "42"))
            else:  # the placeholder: no pick, a uniform one in scoring
                assert r["choice"] is None and "Response X" in r["text"]
                want[str(r["k"])].append(float(np.mean(right)))
        res = replay(folder, bootstrap=100)
        for k in ("1", "2"):
            u = res["usc"][k]
            assert u["calls"] == 6 and u["unusable"] == (0 if usable else 6)
            assert u["rules"] == {"number": 6 if usable else 0, "quote": 0, "answer": 0,
                                  "none": 0 if usable else 6}  # fmt: skip
            assert u["estimate"]["mean"] == pytest.approx(np.mean(want[k]))
    # a run keeps its prompt: resuming under the other version is refused ...
    with pytest.raises(ConfigMismatch, match="usc_prompt: 1 -> 3"):
        run_sync(_cfg(srv.base_url, usc_reps=1), QS, old, progress=False)
    # ... and a run made before the versions existed (no usc_prompt in its manifest) had
    # version 1: it resumes with usc_prompt=1 and issues nothing
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["config"]["usc_prompt"]
    (old / "manifest.json").write_text(json.dumps(manifest))
    run_sync(_cfg(srv.base_url, usc_reps=1, usc_prompt=1), QS, old, progress=False)
    assert len(srv.requests) == sent
    with pytest.raises(ConfigMismatch, match="usc_prompt"):
        run_sync(_cfg(srv.base_url, usc_reps=1), QS, old, progress=False)
    # a run without USC calls resumes under any version (here: made before they existed)
    plain = tmp_path / "plain"
    run_sync(_cfg(srv.base_url), QS[:1], plain, progress=False)
    manifest = json.loads((plain / "manifest.json").read_text())
    del manifest["config"]["usc_prompt"]
    (plain / "manifest.json").write_text(json.dumps(manifest))
    sent = len(srv.requests)
    run_sync(_cfg(srv.base_url), QS[:1], plain, progress=False)
    assert len(srv.requests) == sent
    with pytest.raises(ValueError, match="usc_prompt must be one of"):
        _cfg(srv.base_url, usc_prompt=4)


def test_self_verification_behind_the_same_store(fake_server, tmp_path):
    # the fake server leans "yes" (P ≈ 0.8) on a solution holding 42, "no" (≈ 0.3) otherwise
    srv = fake_server(p_correct=0.5)
    cfg = _cfg(srv.base_url, self_verify=True)
    run_sync(cfg, QS, tmp_path, progress=False)
    assert len(srv.requests) == 6 * (4 + 4 + 4)  # samples, judge calls, self-verifications
    run_sync(cfg, QS, tmp_path, progress=False)  # resume issues nothing
    assert len(srv.requests) == 6 * 12
    samples = {r["key"]: r for r in read_records(tmp_path / "samples.jsonl")}
    ver = [r for r in read_records(tmp_path / "extras.jsonl") if r["kind"] == "verify"]
    assert sorted(r["sample_key"] for r in ver) == sorted(samples)
    bodies = [b for b in srv.requests if b["messages"][-1]["content"] == VERIFY_PROMPT]
    assert len(bodies) == 24
    texts = {r["text"] for r in samples.values()}
    assert all(b["messages"][-2]["role"] == "assistant" for b in bodies)
    assert {b["messages"][-2]["content"] for b in bodies} == texts
    for r in ver:  # v is the agent's own P(yes) on its own sample
        s = samples[r["sample_key"]]
        assert r["agent"] == s["agent"] and r["index"] == s["index"]
        assert (r["v"] > 0.5) == (s["answer"] == "42")
    srv.stop()
    res = replay(tmp_path, bootstrap=100)
    assert res["verified"] == 24
    var = res["agent_score_variants"]
    assert set(var) == set(AGENT_SCORES)
    for k in ("1", "2"):
        # the default score's variant is the main table's number
        main = res["grid"][f"2x{k}"]["estimates"]
        assert var["vote"]["by_k"][k]["Align-judge"] == main["Align-judge"]
        # a self-verification that separates right from wrong makes SingleAgent find any
        # correct candidate of the pool: it equals the oracle
        one = var["verify"]["by_k"][k]["SingleAgent"]["mean"]
        assert abs(one - main["Oracle"]["mean"]) < 1e-12
    text = report(tmp_path, bootstrap=100)
    assert "Agent score: vote share vs self-verification" in text
    assert "SingleAgent [verify] − [vote]" in text


def test_empirical_page_carries_the_stored_runs_report_verbatim():
    # docs/empirical.md's tables are runs/<run>/report.md spliced by scripts/empirical_doc.py
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location(
        "empirical_doc", root / "scripts/empirical_doc.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    doc = (root / "docs/empirical.md").read_text()
    report_md = (root / "runs/gsm8k-qwen0.5b-m4k4/report.md").read_text()
    assert mod.splice(doc, report_md) == doc, "run: python scripts/empirical_doc.py"
    results = json.loads((root / "runs/gsm8k-qwen0.5b-m4k4/results.json").read_text())
    assert f"{results['questions']} questions" in doc


def test_auc_pooled_and_within_question():
    import numpy as np

    from align_theory.llm.scoring import QuestionTable

    assert auc(np.array([0.9, 0.1, 0.5]), np.array([True, False, False])) == 1.0
    assert auc(np.array([0.5, 0.5]), np.array([True, False])) == 0.5
    assert auc(np.array([0.5]), np.array([True])) is None

    def tab(x, c):
        x, c = np.array([x], float), np.array([c], bool)
        z = np.zeros_like(x)
        return QuestionTable("q", "1", c, z.astype(int), z, x, z, z, z, [[None] * x.size])

    # each question ranks its own candidates perfectly, but the hard question's right
    # answer scores below the easy question's wrong one: pooled < within-question = 1
    easy, hard = tab([0.9, 0.8], [1, 0]), tab([0.3, 0.2], [1, 0])
    d = _aucs([easy, hard, tab([0.5], [1])], "xhat")
    assert d["within_question"] == 1.0 and d["questions_mixed"] == 2
    # right {.9, .3, .5} vs wrong {.8, .2}: 4 of the 6 pairs ordered correctly
    assert abs(d["pooled"] - 4 / 6) < 1e-12


def test_a_reward_model_or_a_callable_as_the_principal(fake_server, tmp_path):
    import numpy as np

    from align_theory.exact.empirical import pool_values
    from align_theory.llm.principals import CallableScorer, RewardModelScorer, principal_scores
    from align_theory.models import EmpiricalPool
    from align_theory.protocols import PrincipalBestOfN

    srv = fake_server(p_correct=0.5)
    run_sync(_cfg(srv.base_url), QS, tmp_path, progress=False)
    replay(tmp_path, bootstrap=20)
    pool = EmpiricalPool.from_run(tmp_path)
    base = srv.base_url.removesuffix("/v1")
    for endpoint in ("pooling", "score"):
        x = principal_scores(tmp_path, RewardModelScorer(base, "rm", endpoint=endpoint))
        judged = pool.with_scores(principal_score=x)
        # the fake reward model scores "42" (the gold answer) high: best-of-n finds it
        want = pool_values(pool, PrincipalBestOfN(4, agents=2)) * 0 + pool.correct.reshape(
            6, -1
        ).any(1)
        np.testing.assert_allclose(pool_values(judged, PrincipalBestOfN(4, agents=2)), want)
    srv.stop()
    y = principal_scores(tmp_path, CallableScorer(lambda q, r: float("42" in r)))
    np.testing.assert_array_equal(y, (x > 0.5).astype(float))


def test_usc_prompt_v3_turns_a_position_bias_into_a_uniform_pick(fake_server, tmp_path):
    """A model that always answers "1" (the 0.5B model's bias under version 2) picks the
    first agent's sample in every call of version 2, but under version 3 (the responses
    shown in presentation_order) each pooled response about 1/n of the time: its USC
    accuracy is then the sub-pools' mean accuracy, that of a uniform pick."""
    import numpy as np

    from align_theory.llm.usc import presentation_order

    srv = fake_server(p_correct=0.5, usc_reply="1")
    qs = [Question(str(i), f"q{i}", "42") for i in range(40)]
    first: dict[int, list[bool]] = {}
    for version in (2, 3):
        out = tmp_path / f"v{version}"
        cfg = _cfg(srv.base_url, usc_reps=1, usc_prompt=version)
        run_sync(cfg, qs, out, progress=False)
        sent = len(srv.requests)
        run_sync(cfg, qs, out, progress=False)  # a resume rebuilds the same (shuffled) prompts
        assert len(srv.requests) == sent
        samples = {r["key"]: r for r in read_records(out / "samples.jsonl")}
        usc = [r for r in read_records(out / "extras.jsonl") if r["kind"] == "usc"]
        assert len(usc) == 80  # 40 questions × k = 1, 2
        picked_a0, diff = [], []
        for r in usc:
            shown = r["key_fields"]["sample_keys"]
            # the pool as drawn: agent by agent (a0's samples first), in grid order
            drawn = sorted(shown, key=lambda x: (samples[x]["agent"], samples[x]["index"]))
            assert tuple(drawn[j] for j in presentation_order(drawn, version)) == tuple(shown)
            assert r["choice"] == 0 and r["chosen_key"] == shown[0]  # "1": position 1
            picked_a0.append(samples[shown[0]]["agent"] == "a0-careful")
            right = [samples[x]["answer"] == "42" for x in shown]
            diff.append(float(right[0]) - float(np.mean(right)))
        first[version] = picked_a0
        if version == 3:  # the pick is unbiased for the pool's mean: within 3 SE of it
            se = np.std(diff, ddof=1) / np.sqrt(len(diff))
            assert abs(np.mean(diff)) < 3 * se
        res = replay(out, bootstrap=50)
        assert res["usc"]["2"]["rules"]["number"] == 40  # every reply read, by number
    assert all(first[2])  # version 2: always agent a0's sample
    # version 3: a0's sample (half of each pool) first in about half the calls (sd 0.056)
    assert 0.33 < np.mean(first[3]) < 0.67
