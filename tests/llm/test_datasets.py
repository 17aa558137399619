"""Loaders: GSM8K offline copy, GSM-Hard and MATH from files the tests write."""

from __future__ import annotations

import json
import re

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


@pytest.mark.parametrize(
    ("dataset", "row", "reason"),
    [
        ("gsm8k", {"question": "q", "answer": "#### abc"}, "must be a number"),
        ("gsm8k", {"question": "q", "answer": "#### 4.5.6"}, "must be a number"),
        ("gsm8k", {"question": "q", "answer": "#### NaN"}, "must be a number"),
        ("gsm8k", {"question": "  ", "answer": "#### 4"}, "'question' is empty"),
        ("gsm-hard", {"input": "q", "target": "abc"}, "'target' must be a number"),
        ("gsm-hard", {"input": "q", "target": "NaN"}, "finite"),
        ("gsm-hard", {"input": "q", "target": "inf"}, "finite"),
        ("gsm-hard", {"input": "", "target": 3}, "'input' is empty"),
        ("math", {"problem": "", "answer": "3"}, "'problem' is empty"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_gold_answers_and_empty_questions_are_malformed_rows(tmp_path, dataset, row, reason):
    path = tmp_path / "d.jsonl"
    good = {"gsm8k": {"question": "q", "answer": "#### 4"}, "gsm-hard": {"input": "q", "target": 4}}
    good["math"] = {"problem": "p", "answer": "4"}
    path.write_text(json.dumps(good[dataset]) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(MalformedRow, match=r":2: .*" + re.escape(reason)):
        load_dataset(dataset, path)
    skipped = load_dataset(dataset, path, on_error="skip")
    assert len(skipped.questions) == 1 and skipped.errors[0].line == 2


def test_nan_float_target_is_refused(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"input": "q", "target": NaN}\n')  # Python's json reads NaN
    with pytest.raises(MalformedRow, match=r":1: .*finite"):
        load_dataset("gsm-hard", path)


def test_byte_order_mark_is_accepted_and_invalid_utf8_is_a_skippable_row(tmp_path):
    path = tmp_path / "d.jsonl"
    row = json.dumps({"question": "q", "answer": "#### 4"}).encode()
    path.write_bytes(
        b"\xef\xbb\xbf" + row + b"\n" + b'{"question": "\xff\xfe", "answer": "#### 1"}\n'
    )
    with pytest.raises(MalformedRow, match=r"d.jsonl:2: invalid UTF-8"):
        load_dataset("gsm8k", path)
    loaded = load_dataset("gsm8k", path, on_error="skip")
    assert [q.gold for q in loaded.questions] == ["4"]
    assert [e.line for e in loaded.errors] == [2]
