"""The align command: parsing, errors that name the parameter, and exit codes."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import fields

import pytest

from align_theory import Align, BernoulliModel, GaussianModel, Shortlist, SingleAgent
from align_theory.cli import (
    BERNOULLI_PARAMETERS,
    GAUSSIAN_PARAMETERS,
    main,
    parse_protocol,
    print_table,
)
from align_theory.protocols import REGISTRY
from align_theory.results import Report


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


def _value(out: str) -> float:
    return float(out.strip().splitlines()[-1].split(":")[1].split("±")[0])


def test_exact_prints_closed_form(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exact", "gaussian", "SingleAgent(16)", "--set", "tau=0"]) == 0
    assert _value(capsys.readouterr().out) == pytest.approx(1.765991, abs=1e-6)
    assert (
        main(["exact", "bernoulli", "MajorityVote(15)", "--set", "a=1.05", "--set", "b=1.283"]) == 0
    )
    assert _value(capsys.readouterr().out) == pytest.approx(0.431337, abs=1e-6)


@pytest.mark.parametrize("command", ["exact", "simulate"])
def test_exact_and_simulate_echo_the_model_and_the_protocol(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [command, "gaussian", "Align(2, 2, judge)", "--set", "kappa=0.5", "--set", "tau=0"]
    assert main([*argv, "--trials", "2048"] if command == "simulate" else argv) == 0
    model, proto, _ = capsys.readouterr().out.splitlines()
    assert model == "model:    " + repr(GaussianModel(kappa=0.5, tau=0.0))
    assert proto == "protocol: " + repr(Align(2, 2, "judge"))


def test_help_lists_every_model_parameter_and_every_protocol(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert list(GAUSSIAN_PARAMETERS) == [f.name for f in fields(GaussianModel)]
    assert list(BERNOULLI_PARAMETERS) == [f.name for f in fields(BernoulliModel)]
    with pytest.raises(SystemExit):
        main(["exact", "--help"])
    text = capsys.readouterr().out
    for name in [*GAUSSIAN_PARAMETERS, *BERNOULLI_PARAMETERS, "mean", "icc"]:
        assert f"\n  {name} " in text, name
    for name, spec in REGISTRY.items():
        assert f"  {name}({', '.join(spec.parameters[:1])}" in text, name
    assert "1e-12 <= a <= 1e100" in text and "|mu| <= 1e100" in text


# Bad input to `align exact` / `align simulate`: each exits 2 with one line on stderr
# that names the parameter (and, for a typo, the valid names).
BAD_CLI = [
    ("kapa", ["gaussian", "Align(4, 4)", "--set", "kapa=1"], "did you mean kappa?"),
    ("empty-key", ["gaussian", "Align(4, 4)", "--set", "=1"], "parameter name before"),
    ("empty-value", ["gaussian", "Align(4, 4)", "--set", "mu="], "--set mu= needs a value"),
    ("no-equals", ["gaussian", "Align(4, 4)", "--set", "mu"], "--set takes name=value"),
    ("twice", ["gaussian", "Align(4, 4)", "--set", "mu=1", "--set", "mu=2"], "mu given twice"),
    ("gauss-a", ["gaussian", "Align(4, 4)", "--set", "a=1"], "valid names: mu, sigma"),
    ("bern-none", ["bernoulli", "Align(4, 4)"], "bernoulli needs a= and b="),
    ("bern-a-only", ["bernoulli", "Align(4, 4)", "--set", "a=1"], "bernoulli needs a= and b="),
    (
        "mean-icc-a",
        ["bernoulli", "Align(4, 4)", "--set", "mean=0.3", "--set", "icc=0.2", "--set", "a=1"],
        "not both",
    ),
    ("bern-typo", ["bernoulli", "Align(4, 4)", "--set", "agent_tp=1"], "did you mean agent_tpr?"),
    ("offsets-scalar", ["gaussian", "Align(4, 4)", "--set", "agent_offsets=0.5"], "agent_offsets"),
    ("mu-400-digits", ["gaussian", "Align(4, 4)", "--set", "mu=" + "1" * 400], "mu must be"),
    ("kappa-true", ["gaussian", "Align(4, 4)", "--set", "kappa=True"], "kappa must be a finite"),
    ("mu-word", ["gaussian", "Align(4, 4)", "--set", "mu=abc"], "mu must be a finite"),
    ("sigma-huge", ["gaussian", "Align(4, 4)", "--set", "sigma=1e155"], "sigma must lie in"),
    ("a-huge", ["bernoulli", "Align(4, 4)", "--set", "a=1e300", "--set", "b=1e300"], "a must lie"),
    ("a-tiny", ["bernoulli", "Align(4, 4)", "--set", "a=1e-17", "--set", "b=1"], "a must lie"),
    ("too-few-args", ["gaussian", "Align(4)"], "per_agent"),
    ("too-many-args", ["gaussian", "Align(4, 4, 'judge', 1)"], "at most 3 arguments"),
    ("unknown-kw", ["gaussian", "Align(4, 4, princpal='judge')"], "valid names: agents"),
    ("star-star", ["gaussian", "Align(4, 4, **{'principal': 'judge'})"], "**-unpacking"),
    ("repeated-kw", ["gaussian", "Align(4, 4, principal='judge', principal='exact')"], "twice"),
    ("unknown-protocol", ["gaussian", "Alig(4, 4)"], "did you mean Align?"),
    ("expression", ["gaussian", "SingleAgent(10**30)"], "must be literals"),
    ("code", ["gaussian", "__import__('os')"], "protocol must be one of"),
    ("model", ["gausian", "Align(4, 4)"], "MODEL must be"),
]


@pytest.mark.parametrize("command", ["exact", "simulate"])
@pytest.mark.parametrize(("argv", "message"), [c[1:] for c in BAD_CLI], ids=[c[0] for c in BAD_CLI])
def test_bad_input_exits_2_with_one_line(
    command: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("align: error: "), captured.err
    assert message in lines[0]


def test_star_star_protocol_is_not_silently_the_exact_principal() -> None:
    with pytest.raises(ValueError, match=r"\*\*-unpacking"):
        parse_protocol("Align(4, 4, **{'principal': 'judge'})")
    with pytest.raises(ValueError, match="given twice"):
        parse_protocol("Align(4, 4, principal='judge', principal='exact')")


def test_verify_table_keeps_long_parameters_whole() -> None:
    params = {"model": "G", "rho_between": 0.25, "rho_within": 0.5, "tau": 1.5, "kappa": 0.75}
    params |= {"protocols": "Align(8, 8, 'bayes') vs PrincipalBestOfN(64)"}
    reports = [Report("T1", "c", params, "A", 1.0, "B", 1.0, 0.01, holds=True)]
    buf = io.StringIO()
    print_table(reports, file=buf)
    assert "Align(8, 8, 'bayes') vs PrincipalBestOfN(64)" in buf.getvalue()


def test_bad_parameters_exit_2_with_the_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exact", "gaussian", "Align(2, 2)", "--set", "kappa=-1"]) == 2
    assert "kappa must lie in [0, 1e+100], got -1" in capsys.readouterr().err
    assert main(["exact", "bernoulli", "MajorityVote(3)", "--set", "mean=0.3"]) == 2
    assert "give both mean= and icc=" in capsys.readouterr().err
    nested = ["--set", "rho_within=0.5", "--set", "kappa=1"]
    assert main(["exact", "gaussian", "Align(2, 2, 'bayes')", *nested]) == 2
    assert "use align_theory.simulate" in capsys.readouterr().err


def test_simulate_prints_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "gaussian", "RandomPick(4)", "--trials", "2000", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1].split(":")[1]
    mean, stderr = float(last.split("±")[0]), float(last.split("±")[1].split()[0])
    assert abs(mean) < 4 * stderr + 1e-12
    assert 0.015 < stderr < 0.03


def test_verify_json_has_one_passing_row_per_check(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["verify", "--trials", "4000", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == (1 if data["failed"] else 0)
    statements = {r["statement"] for r in data["reports"]}
    assert {"T1", "T2", "T3", "T5"} <= statements
    assert data["failed"] == 0, [r for r in data["reports"] if not r["passed"]]


def test_progress_bars_are_held_back_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from align_theory.cli import _progress_to_tty

    with _progress_to_tty() as say:
        say("check 1/2")
        sys.stderr.write("\rsimulate:  50%|#####     | 1.00k/2.00k [00:01<00:01, 1.00ktrial/s]")
        sys.stderr.write("\nUserWarning: something real\n")
    err = capsys.readouterr().err
    assert "trial/s" not in err and "check 1/2" not in err
    assert "UserWarning: something real" in err
