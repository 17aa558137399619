"""A run's pool (report.pool_of) read by the one pool engine, on hand-built question tables."""

from __future__ import annotations

import numpy as np
import pytest

from align_theory import Align, MajorityVote, Oracle, PrincipalBestOfN, RandomPick, SingleAgent
from align_theory.exact.empirical import pool_values
from align_theory.llm.report import pass_at_k, pool_of, protocol_costs
from align_theory.llm.scoring import GradedRun, QuestionTable

W = np.array([[1.0, 1.0]])


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


def value(t: QuestionTable, proto, score: str = "vote") -> float:
    pool = pool_of(GradedRun({}, {}, [t]), score)
    return float(pool_values(pool, proto, bayes=W)[0])


def test_pass_at_k_formula():
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)
    assert pass_at_k(5, 0, 3) == 0.0
    assert pass_at_k(5, 3, 3) == 1.0
    with pytest.raises(ValueError, match="need 0 <= c <= n"):
        pass_at_k(3, 4, 1)


def test_oracle_on_the_pooled_pipeline_is_pass_at_k():
    t = table([[0, 1, 2, 0], [3, 4, 0, 5]], [[1, 0, 0, 1], [0, 0, 1, 0]])
    pooled = pool_of(GradedRun({}, {}, [t])).pooled()
    for n in range(1, 9):
        assert pool_values(pooled, Oracle(n))[0] == pytest.approx(pass_at_k(8, 3, n))
        assert pool_values(pooled, RandomPick(n))[0] == pytest.approx(3 / 8)


def test_majority_vote_tie_rule_is_half():
    t = table([[0], [1]], [[1], [0]])
    assert value(t, MajorityVote(2, agents=2)) == pytest.approx(0.5)
    assert value(t, Align(2, 1, "exact")) == 1.0


def test_align_judge_uses_judge_and_singleagent_uses_votes():
    # agent 0: wrong answer 9 three times (share 1.0); agent 1: correct 1 once, others distinct
    cls = [[9, 9, 9], [1, 5, 6]]
    correct = [[0, 0, 0], [1, 0, 0]]
    xhat = [[0.2, 0.2, 0.2], [0.9, 0.1, 0.1]]
    logprob = [[-1, -1, -1], [-0.1, -2, -2]]  # the correct one wins agent 1's tie-break
    t = table(cls, correct, xhat, logprob)
    assert value(t, Align(2, 3, "judge")) == 1.0  # proposals: 9 (x̂ .2) and 1 (x̂ .9)
    assert value(t, SingleAgent(6, agents=2)) == 0.0  # share 1 (agent 0) beats 1/3
    assert value(t, MajorityVote(6, agents=2)) == 0.0
    assert value(t, PrincipalBestOfN(6, agents=2)) == 1.0
    assert value(t, Align(2, 3, "vote")) == 0.0  # reports 1.0 for 9 vs 1/3 for 1


def test_self_verification_changes_proposals_as_defined():
    # one agent, two answers one vote each: log-prob favours the wrong one (index 1),
    # self-verification favours the correct one (index 0)
    t = table([[1, 2]], [[1, 0]], [[0.5, 0.5]], [[-3.0, -0.1]], verify=[[0.8, 0.3]])
    assert value(t, Align(1, 2, "judge")) == 0.0
    assert value(t, Align(1, 2, "judge"), "vote+verify") == 1.0
    assert value(t, SingleAgent(2), "verify") == 1.0
    t3 = table([[5, 5, 1]], [[0, 0, 1]], None, None, verify=[[0.1, 0.1, 0.99]])
    assert value(t3, SingleAgent(3), "vote+verify") == 0.0  # the share still dominates
    assert value(t3, SingleAgent(3), "verify") == 1.0
    t2 = table([[5, 5], [1, 2]], [[0, 0], [1, 0]], None, None, verify=[[0.1, 0.2], [0.9, 0.3]])
    assert value(t2, Align(2, 2, "vote")) == 0.0  # report 1.0 vs 0.5
    assert value(t2, Align(2, 2, "vote"), "verify") == 1.0  # .2 vs .9


def test_unknown_agent_score_is_refused():
    with pytest.raises(ValueError, match="agent_score must be one of"):
        pool_of(GradedRun({}, {}, [table([[0]], [[1]])]), "judge")


def test_costs():
    pool = pool_of(GradedRun({}, {}, [table([[0, 1]], [[1, 0]])]))
    assert protocol_costs(pool, 10.0, "Align-judge", 2, 1) == {
        "candidates": 2,
        "judge_calls": 1,
        "tokens": 210.0,
    }
    assert protocol_costs(pool, 10.0, "PrincipalBestOfN", 2, 1)["judge_calls"] == 2
    assert protocol_costs(pool, 10.0, "Align-exact", 2, 1)["judge_calls"] == 0
