"""Loaders: GSM8K offline copy, GSM-Hard and MATH from files the tests write."""

from __future__ import annotations

import json

import pytest

from align_theory.llm.datasets import MalformedRow, load_dataset


def _write(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def test_gsm8k_offline_default():
    res = load_dataset("gsm8k")
    assert len(res.questions) == 1319 and not res.errors
    q = res.questions[0]
    assert q.gold == "18" and "Janet" in q.text
    assert len(load_dataset("gsm8k", limit=5).questions) == 5


def test_gsm8k_malformed_rows_fail_or_skip_with_line_numbers(tmp_path):
    path = _write(
        tmp_path / "g.jsonl",
        [
            {"question": "1+1?", "answer": "so\n#### 2"},
            "{not json",
            {"question": "no marker", "answer": "3"},
            {"question": "big", "answer": "#### 1,234"},
        ],
    )
    with pytest.raises(MalformedRow) as info:
        load_dataset("gsm8k", path)
    assert info.value.line == 2
    res = load_dataset("gsm8k", path, on_error="skip")
    assert [q.gold for q in res.questions] == ["2", "1234"]
    assert [e.line for e in res.errors] == [2, 3]


def test_gsm_hard(tmp_path):
    path = _write(
        tmp_path / "h.jsonl",
        [{"input": "x?", "target": 12345678.0}, {"input": "y?", "target": -2.5}, {"input": 3}],
    )
    res = load_dataset("gsm-hard", path, on_error="skip")
    assert [q.gold for q in res.questions] == ["12345678", "-2.5"]
    assert res.errors[0].line == 3


def test_math_boxed_answer_and_meta(tmp_path):
    path = _write(
        tmp_path / "m.jsonl",
        [
            {
                "problem": "p1",
                "solution": "thus $\\boxed{\\frac{1}{2}}$.",
                "level": "Level 2",
                "type": "Algebra",
            },
            {"problem": "p2", "solution": "no box here"},
            {
                "problem": "p3",
                "solution": "ignored \\boxed{1}",
                "answer": "\\sqrt{2}",
                "unique_id": "test/x.json",
            },
        ],
    )
    res = load_dataset("math", path, on_error="skip")
    assert [q.gold for q in res.questions] == ["\\frac{1}{2}", "\\sqrt{2}"]
    assert res.questions[0].meta == {"level": "Level 2", "type": "Algebra"}
    assert res.questions[1].qid == "test/x.json"
    assert res.errors[0].line == 2
    with pytest.raises(ValueError, match="no offline copy"):
        load_dataset("math-500")


def test_hf_source_uses_the_datasets_package(monkeypatch):
    import sys
    import types

    calls = []

    def fake_load(name, config, split):
        calls.append((name, config, split))
        return [{"problem": "p", "solution": "\\boxed{3}", "level": "Level 1", "type": "Algebra"}]

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=fake_load))
    res = load_dataset("math-500", "hf")
    assert calls == [("HuggingFaceH4/MATH-500", None, "test")]
    assert res.questions[0].gold == "3" and res.source == "hf:HuggingFaceH4/MATH-500"
    load_dataset("gsm8k", "hf:my/gsm8k:main:train", on_error="skip")
    assert calls[-1] == ("my/gsm8k", "main", "train")
