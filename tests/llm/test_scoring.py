"""Grading rules of align_theory.llm.scoring on hand-built records."""

from __future__ import annotations

import numpy as np

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
    t = QuestionTable("q", "1", correct, z.astype(int), z, z, z, z, z, [[None] * 2] * 2)
    t.keys = [["s00", "s01"], ["s10", "s11"]]
    return t


def _usc(prompt, k, pool, *, chosen=None, error=None):
    """A USC record; records of the same ``prompt`` and pool share their key."""
    kf = KeyFields("usc", "toy", "q", "m", SamplingParams(), prompt, sample_keys=tuple(pool))
    if error:
        return ExtraRecord(kf, k=k, rep=0, error=error)
    choice = None if chosen is None else pool.index(chosen)
    return ExtraRecord(kf, k=k, rep=0, output=ExtraOutput("Response", 9, 3, choice, chosen))


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
