"""The align command: parsing, errors that name the parameter, and exit codes."""

from __future__ import annotations

import json

import pytest

from align_theory import Align, Shortlist, SingleAgent
from align_theory.cli import main, parse_protocol


def test_parse_protocol_accepts_python_like_calls() -> None:
    assert parse_protocol("Align(4, 4, 'judge')") == Align(4, 4, "judge")
    assert parse_protocol("Align(agents=2, per_agent=3, principal=bayes)") == Align(2, 3, "bayes")
    assert parse_protocol(" SingleAgent(16, agents=4) ") == SingleAgent(16, agents=4)
    assert parse_protocol("Shortlist(8, 2)") == Shortlist(8, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Align(", "protocol must look like"),
        ("os.system('x')", "protocol must look like"),
        ("Foo(3)", "protocol must be one of"),
        ("Align(0, 4)", "agents must be an integer"),
    ],
)
def test_parse_protocol_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_protocol(text)


def test_exact_prints_closed_form(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exact", "gaussian", "SingleAgent(16)", "--set", "tau=0"]) == 0
    assert float(capsys.readouterr().out) == pytest.approx(1.765991, abs=1e-6)
    assert (
        main(["exact", "bernoulli", "MajorityVote(15)", "--set", "a=1.05", "--set", "b=1.283"]) == 0
    )
    assert float(capsys.readouterr().out) == pytest.approx(0.431337, abs=1e-6)


def test_bad_parameters_exit_2_with_the_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exact", "gaussian", "Align(2, 2)", "--set", "kappa=-1"]) == 2
    assert "kappa must lie in [0, inf)" in capsys.readouterr().err
    assert main(["exact", "bernoulli", "MajorityVote(3)", "--set", "mean=0.3"]) == 2
    assert "give both mean= and icc=" in capsys.readouterr().err
    assert main(["exact", "bernoulli", "Align(2, 2, bayes)", "--set", "a=1", "--set", "b=1"]) == 2
    assert "use align_theory.simulate" in capsys.readouterr().err


def test_simulate_prints_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "gaussian", "RandomPick(4)", "--trials", "2000", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    mean, stderr = float(out.split("±")[0]), float(out.split("±")[1].split()[0])
    assert abs(mean) < 4 * stderr + 1e-12
    assert 0.015 < stderr < 0.03


def test_verify_json_has_one_passing_row_per_check(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["verify", "--trials", "4000", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == (1 if data["failed"] else 0)
    statements = {r["statement"] for r in data["reports"]}
    assert {"T1", "T2", "T3", "T5"} <= statements
    assert data["failed"] == 0, [r for r in data["reports"] if not r["passed"]]
