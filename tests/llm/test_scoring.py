"""Grading rules of align_theory.llm.scoring on hand-built records."""

from __future__ import annotations

import numpy as np
import pytest

from align_theory.llm.records import CallError, ExtraOutput, ExtraRecord, KeyFields, SamplingParams
from align_theory.llm.scoring import QuestionTable, _usc_and_debate

CONTEXT_400 = CallError(
    "http_400",
    '{"error":{"code":400,"message":"request (2132 tokens) exceeds the available '
    'context size (2048 tokens), try increasing it","type":"exceed_context_size_error"}}',
)


class _NoChecker:
    def check(self, gold, answer):  # debate is not exercised here
        raise AssertionError("not called")


def _table() -> QuestionTable:
    correct = np.array([[True, False], [False, False]])
    z = np.zeros((2, 2))
    answers = [["1", "2"], ["2", "1"]]  # s11 gives the right answer but is graded wrong
    t = QuestionTable("q", "1", correct, z.astype(int), z, z, z, z, z, answers)
    t.keys = [["s00", "s01"], ["s10", "s11"]]
    t.texts = [[f"solution {a}{i} \\boxed{{{answers[a][i]}}}" for i in range(2)] for a in range(2)]
    return t


def _usc(prompt, k, pool, *, chosen=None, error=None, text=None, stored=None):
    """A USC record; records of the same ``prompt`` and pool share their key. ``chosen`` is
    written as the reply "Response N" (scoring re-parses the text); ``stored`` is the
    record's stored ``choice`` (default: the one ``chosen`` names)."""
    kf = KeyFields("usc", "toy", "q", "m", SamplingParams(), prompt, sample_keys=tuple(pool))
    if error:
        return ExtraRecord(kf, k=k, rep=0, error=error)
    if text is None:
        text = f"The most consistent response is Response {pool.index(chosen) + 1}."
    if stored is None and chosen is not None:
        stored = pool.index(chosen)
    key = None if stored is None else pool[stored]
    return ExtraRecord(kf, k=k, rep=0, output=ExtraOutput(text, 9, 3, stored, key))


def test_usc_scores_pick_context_refusal_as_uniform_and_skips_transient_failures():
    t = _table()
    extras = [
        _usc("u1", 1, ["s00", "s10"], chosen="s00"),  # picks the right one: 1
        # k = 2: refused twice for its length, never answered: a uniform pick, 1/4 right
        _usc("u2", 2, ["s00", "s01", "s10", "s11"], error=CONTEXT_400),
        _usc("u2", 2, ["s00", "s01", "s10", "s11"], error=CONTEXT_400),
    ]
    assert _usc_and_debate(t, "1", extras, _NoChecker()) == 1  # one refused call counted
    assert t.usc == {1: 1.0, 2: 0.25}
    # a transient failure is left out (a resume retries it); a later success wins
    t2 = _table()
    extras2 = [
        _usc("u1", 1, ["s00", "s10"], error=CallError("timeout", "read timeout")),
        _usc("u3", 2, ["s00", "s01", "s10", "s11"], error=CallError("http_500", "")),
        _usc("u3", 2, ["s00", "s01", "s10", "s11"], chosen="s11"),
    ]
    assert _usc_and_debate(t2, "1", extras2, _NoChecker()) == 0
    assert t2.usc == {2: 0.0}


def test_usc_reparses_the_stored_reply_and_counts_each_rule():
    t = _table()
    pool = ["s00", "s01", "s10", "s11"]
    extras = [
        # the stored choice is ignored: the reply is read again (a placeholder: uniform)
        _usc("u1", 2, pool, text="The most consistent response is Response X.", stored=0),
        # a quote of response 2's text: response 2 (wrong)
        _usc("u2", 2, pool, text='Response X: "…solution 01 \\boxed{2}"'),
        # the stated answer 1: responses 1 and 4 share it, one right: 1/2
        _usc("u3", 2, pool, text="The answer is \\boxed{1}."),
        _usc("u4", 1, ["s00", "s10"], chosen="s10"),  # by number: wrong
    ]
    assert _usc_and_debate(t, "1", extras, _NoChecker()) == 0
    assert t.usc == {2: pytest.approx((0.25 + 0.0 + 0.5) / 3), 1: 0.0}
    assert t.usc_rules == {2: {"none": 1, "quote": 1, "answer": 1}, 1: {"number": 1}}
    assert t.usc_unusable == {2: 1, 1: 0} and t.usc_calls == {2: 3, 1: 1}


def test_grading_is_stored_once_and_keyed_by_the_checker_version(tmp_path):
    import json

    from align_theory.llm.scoring import StoredChecker

    class Counting:
        calls = 0

        def check(self, gold, pred):
            Counting.calls += 1
            return "equal" if gold == pred else "not_equal"

    first = StoredChecker(tmp_path, Counting())
    assert first.check("1", "1") == "equal" and first.check("1", "2") == "not_equal"
    first.save()
    again = StoredChecker(tmp_path, Counting())
    assert again.check("1", "2") == "not_equal" and Counting.calls == 2  # read, not asked
    assert StoredChecker(tmp_path, Counting(), regrade=True).check("1", "2") == "not_equal"
    assert Counting.calls == 3
    data = json.loads((tmp_path / "grading.json").read_text())
    data["checker"] = "another version"
    (tmp_path / "grading.json").write_text(json.dumps(data))
    StoredChecker(tmp_path, Counting()).check("1", "2")
    assert Counting.calls == 4  # a different checker version re-grades
