"""Answer extraction and math-verify equivalence in a process pool with a timeout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_checker_timeout_returns_error_after_one_retry_and_recovers():
    with AnswerChecker(timeout_s=1e-4) as chk:
        # no math-verify check finishes in 0.1 ms: timed out, retried once, then "error"
        assert chk.check("2", "\\frac{4}{2}") == "error"
        assert chk.retries == 1
        chk.timeout_s = 30.0
        assert chk.check("3", "\\frac{6}{2}") == "equal"


def test_worker_start_and_import_are_not_timed():
    """The timeout covers the check alone: starting the worker and importing math-verify
    (seconds, more under load) must not turn a correct answer into "error"."""
    with AnswerChecker(timeout_s=2.0) as chk:
        assert chk.check("0.5", "\\frac{1}{2}") == "equal"
        assert chk.check("0.25", "\\frac{1}{4}") == "equal"
        assert chk.retries == 0


def test_checker_needs_no_main_guard_in_a_user_script(tmp_path):
    script = tmp_path / "grade.py"
    script.write_text(
        "from align_theory.llm.answers import AnswerChecker\n"
        "chk = AnswerChecker(timeout_s=30)\n"
        "print(chk.check('0.5', '\\\\frac{1}{2}'))\n"
        "chk.close()\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "equal"
