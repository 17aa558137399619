"""Subsampling estimators on hand-built candidate grids, checked against direct counts."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from align_theory.llm.estimators import (
    BayesWeights,
    agent_scores,
    bootstrap,
    evaluate_grid,
    evaluate_uniform,
    fit_bayes,
    pass_at_k,
    protocol_costs,
)
from align_theory.llm.scoring import QuestionTable


def table(cls, correct, xhat=None, logprob=None, verify=None) -> QuestionTable:
    cls = np.asarray(cls)
    shape = cls.shape
    extra = {} if verify is None else {"verify": np.asarray(verify, float)}
    return QuestionTable(
        qid="q",
        gold="1",
        correct=np.asarray(correct, dtype=bool),
        cls=cls,
        logprob=np.zeros(shape) if logprob is None else np.asarray(logprob, float),
        xhat=np.full(shape, 0.5) if xhat is None else np.asarray(xhat, float),
        gen_tokens=np.full(shape, 100.0),
        completion_tokens=np.full(shape, 80.0),
        judge_tokens=np.full(shape, 10.0),
        answers=[[None] * shape[1] for _ in range(shape[0])],
        **extra,
    )


W = BayesWeights(0.0, 1.0, 1.0)


def test_pass_at_k_formula():
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)
    assert pass_at_k(5, 0, 3) == 0.0
    assert pass_at_k(5, 3, 3) == 1.0
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)


def test_oracle_on_uniform_subsets_is_pass_at_k():
    # class 0 correct; 3 of 8 candidates correct
    t = table([[0, 1, 2, 0], [3, 4, 0, 5]], [[1, 0, 0, 1], [0, 0, 1, 0]])
    for n in range(1, 9):
        got = evaluate_uniform(t, n, shortlist=2, cap=10**6)
        assert got["Oracle"] == pytest.approx(pass_at_k(8, 3, n))
        assert got["RandomPick"] == pytest.approx(3 / 8)


def test_majority_vote_tie_rule_is_half():
    # two answers, one vote each: a fair coin between them
    t = table([[0], [1]], [[1], [0]])
    got = evaluate_grid(t, 2, 1, W)
    assert got["MajorityVote"] == pytest.approx(0.5)
    assert got["Align-exact"] == 1.0


def test_align_judge_uses_judge_and_singleagent_uses_votes():
    # agent 0: wrong answer 9 three times (share 1.0); agent 1: correct 1 once, others distinct
    cls = [[9, 9, 9], [1, 5, 6]]
    correct = [[0, 0, 0], [1, 0, 0]]
    xhat = [[0.2, 0.2, 0.2], [0.9, 0.1, 0.1]]
    logprob = [[-1, -1, -1], [-0.1, -2, -2]]  # the correct one wins agent 1's tie-break
    t = table(cls, correct, xhat, logprob)
    got = evaluate_grid(t, 2, 3, W)
    assert got["Align-judge"] == 1.0  # proposals: 9 (x̂ .2) and 1 (x̂ .9)
    assert got["SingleAgent"] == 0.0  # pooled plurality is 9
    assert got["MajorityVote"] == 0.0
    assert got["PrincipalBestOfN"] == 1.0
    # Align-vote: reports 1.0 for 9 vs 1/3 for 1: the vote goes to 9
    assert got["Align-vote"] == 0.0


def test_grid_enumeration_matches_brute_force():
    rng = np.random.default_rng(3)
    cls = rng.integers(0, 3, size=(3, 3))
    correct = cls == 0
    xhat = rng.uniform(size=(3, 3))
    logprob = rng.normal(size=(3, 3))
    t = table(cls, correct, xhat, logprob)
    got = evaluate_grid(t, 2, 2, W, cap=10**6)
    # brute force Align-judge by direct enumeration
    vals = []
    for agents in itertools.combinations(range(3), 2):
        for picks in itertools.product(itertools.combinations(range(3), 2), repeat=2):
            props = []
            for a, idx in zip(agents, picks, strict=True):
                ix = list(idx)
                share = [np.mean(cls[a, ix] == cls[a, i]) for i in ix]
                y = [
                    s + 1e-3 / (1 + math.exp(-logprob[a, i]))
                    for s, i in zip(share, ix, strict=True)
                ]
                j = ix[int(np.argmax(y))]
                props.append((xhat[a, j], correct[a, j]))
            vals.append(max(props)[1])
    assert got["Align-judge"] == pytest.approx(np.mean(vals))
    # sampling mode (cap below the count) stays close to the exact value
    approx = evaluate_grid(t, 2, 2, W, cap=2000, seed=1)
    assert abs(approx["Align-judge"] - got["Align-judge"]) < 0.05


def test_bootstrap_interval_brackets_mean():
    est = bootstrap({"a": np.array([0.0, 1.0, 1.0, 0.0, 1.0])}, reps=500)["a"]
    assert est.lo <= est.mean <= est.hi
    assert est.mean == pytest.approx(0.6)
    assert est.hi - est.lo > 0.2


def test_fit_bayes_orders_features():
    rng = np.random.default_rng(0)
    tables = []
    for _ in range(40):
        correct = rng.uniform(size=(2, 4)) < 0.5
        xhat = np.clip(0.5 + 0.4 * (correct - 0.5) + rng.normal(0, 0.1, (2, 4)), 0, 1)
        cls = np.where(correct, 0, rng.integers(1, 50, (2, 4)))
        tables.append(table(cls, correct, xhat))
    w = fit_bayes(tables)
    assert w.w_x > 0 and w.w_r > 0


def test_costs():
    t = table([[0, 1], [0, 1]], [[1, 0], [1, 0]])
    assert protocol_costs([t], "Align-judge", 4, 2) == {
        "candidates": 4,
        "judge_calls": 2,
        "tokens": 4 * 100 + 2 * 10,
    }
    assert protocol_costs([t], "PrincipalBestOfN", 4, 2)["judge_calls"] == 4
    assert protocol_costs([t], "MajorityVote", 4, 2)["judge_calls"] == 0


def test_tied_proposals_are_averaged_not_first_taken():
    # each agent holds one correct and one wrong answer, one vote each, equal log-probs:
    # its proposal is a fair coin between them
    one = table([[1, 2]], [[1, 0]], [[0.5, 0.5]], [[-1.0, -1.0]])
    got = evaluate_grid(one, 1, 2, W)
    assert got["Align-judge"] == pytest.approx(0.5)
    assert got["Align-exact"] == pytest.approx(0.5)
    two = table([[1, 2], [1, 3]], [[1, 0], [1, 0]], [[0.5, 0.5], [0.5, 0.5]], [[-1.0] * 2] * 2)
    got = evaluate_grid(two, 2, 2, W)
    assert got["Align-exact"] == pytest.approx(1 - 0.25)  # some proposal correct
    # equal x̂ and reports: the judge's pick is a coin too, so Align-judge = RandomPick
    assert got["Align-judge"] == pytest.approx(0.5)


def test_shortlist_tie_at_the_cut_is_a_uniform_choice():
    # three distinct answers, one vote each, equal log-probs: the shortlist of one is a
    # uniform pick, so Shortlist equals RandomPick (the old stable sort always took index 0)
    t = table([[1, 2, 3]], [[1, 0, 0]], [[0.9, 0.1, 0.1]], [[-1.0, -1.0, -1.0]])
    got = evaluate_uniform(t, 3, shortlist=1)
    assert got["Shortlist"] == pytest.approx(1 / 3)
    assert got["PrincipalBestOfN"] == 1.0  # the judge alone finds it
    got2 = evaluate_uniform(t, 3, shortlist=2)  # two of three shortlisted: P(correct in) = 2/3
    assert got2["Shortlist"] == pytest.approx(2 / 3)


def test_agent_scores_by_hand():
    cls = np.array([7, 7, 3, 4])
    lp = np.array([-1.0, -2.0, -0.1, -3.0])
    v = np.array([0.2, 0.9, 0.7, np.nan])
    y, r = agent_scores(cls, lp, v, "vote")
    assert r.tolist() == [0.5, 0.5, 0.25, 0.25]
    assert y[0] == pytest.approx(0.5 + 1e-3 / (1 + math.exp(1.0)))
    y, r = agent_scores(cls, lp, v, "vote+verify")
    assert r.tolist() == [0.5, 0.5, 0.25, 0.25]
    assert y.tolist() == pytest.approx([0.5002, 0.5009, 0.2507, 0.2505])  # missing v: 1/2
    y, r = agent_scores(cls, lp, v, "verify")
    assert r.tolist() == [0.2, 0.9, 0.7, 0.5]
    assert int(np.argmax(y)) == 1
    with pytest.raises(ValueError, match="agent_score must be one of"):
        agent_scores(cls, lp, v, "judge")
    with pytest.raises(ValueError, match="agent_score"):
        evaluate_grid(table([[0]], [[1]]), 1, 1, W, agent_score="oops")


def test_self_verification_changes_proposals_as_defined():
    # one agent, two answers one vote each: log-prob favours the wrong one (index 1),
    # self-verification favours the correct one (index 0)
    t = table([[1, 2]], [[1, 0]], [[0.5, 0.5]], [[-3.0, -0.1]], verify=[[0.8, 0.3]])
    assert evaluate_grid(t, 1, 2, W)["Align-judge"] == 0.0
    assert evaluate_grid(t, 1, 2, W, agent_score="vote+verify")["Align-judge"] == 1.0
    assert evaluate_grid(t, 1, 2, W, agent_score="verify")["SingleAgent"] == 1.0
    # the vote share still dominates under vote+verify: a 2-vote wrong answer beats it
    t3 = table([[5, 5, 1]], [[0, 0, 1]], None, None, verify=[[0.1, 0.1, 0.99]])
    assert evaluate_grid(t3, 1, 3, W, agent_score="vote+verify")["SingleAgent"] == 0.0
    assert evaluate_grid(t3, 1, 3, W, agent_score="verify")["SingleAgent"] == 1.0
    # Align-vote weights proposals by reports: under "verify" the report is P(yes)
    t2 = table([[5, 5], [1, 2]], [[0, 0], [1, 0]], None, None, verify=[[0.1, 0.2], [0.9, 0.3]])
    assert evaluate_grid(t2, 2, 2, W)["Align-vote"] == 0.0  # report 1.0 vs 0.5
    assert evaluate_grid(t2, 2, 2, W, agent_score="verify")["Align-vote"] == 1.0  # .2 vs .9
