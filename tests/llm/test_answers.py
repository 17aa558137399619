"""Answer extraction and math-verify equivalence in a process pool with a timeout."""

from __future__ import annotations

import pytest

from align_theory.llm.answers import AnswerChecker, extract_answer, last_boxed, normalize_answer


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("x \\boxed{\\frac{a}{b}} and \\boxed{7}", ("7", "boxed")),
        ("nested \\boxed{\\sqrt{\\frac{1}{2}}}", ("\\sqrt{\\frac{1}{2}}", "boxed")),
        ("So the answer is $1,250.", ("1,250", "answer_is")),
        ("#### 42", ("42", "answer_is")),
        ("we get 3 apples, then 11 pears", ("11", "last_number")),
        ("no digits", (None, "none")),
    ],
)
def test_extract(text, want):
    assert extract_answer(text) == want


def test_unbalanced_box_falls_back():
    assert last_boxed("\\boxed{3") is None
    assert extract_answer("\\boxed{3") == ("3", "last_number")


def test_normalize():
    assert normalize_answer("$1,200.00") == "1200"
    assert normalize_answer("18 dollars") == "18"
    assert normalize_answer("\\text{18}") == "18"
    assert normalize_answer("\\dfrac{1}{2}") == "\\frac{1}{2}"


def test_checker_verdicts():
    with AnswerChecker(timeout_s=20) as chk:
        assert chk.check("0.5", "\\frac{1}{2}") == "equal"
        assert chk.check("18", "18.0") == "equal"
        assert chk.check("18", "19") == "not_equal"
        assert chk.check("18", None) == "not_equal"
        assert chk.check("x^2", "\\frac{") in {"not_equal", "error"}


def test_checker_timeout_returns_error_and_recovers():
    with AnswerChecker(timeout_s=1e-4) as chk:
        # the first worker call cannot finish in 0.1 ms (process start alone is slower)
        assert chk.check("2", "\\frac{4}{2}") == "error"
        chk.timeout_s = 30.0
        assert chk.check("3", "\\frac{6}{2}") == "equal"
