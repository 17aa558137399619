"""The ``align`` command: reproduce, verify, exact, simulate, and the LLM adapter.

    align reproduce [--quick] [--trials N]   statement checks, then every paper figure
    align verify [--trials N] [--json]       one row per statement; exit 1 if any fails
    align exact MODEL PROTOCOL [--set k=v]   closed form / quadrature
    align simulate MODEL PROTOCOL --trials N Monte Carlo estimate ± stderr
    align llm ...                            run ALIGN against real LLM endpoints

MODEL is ``gaussian`` or ``bernoulli`` with parameters given by ``--set name=value``;
PROTOCOL is written as in Python, e.g. ``"Align(4, 4, 'judge')"`` or ``"SingleAgent(16)"``.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import io
import json
import math
import re
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import MISSING, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from align_theory.protocols import REGISTRY, parse_protocol

if TYPE_CHECKING:
    from align_theory.models import BernoulliModel, GaussianModel
    from align_theory.results import Report

__all__ = ["all_checks", "main", "parse_protocol"]

# The range of every model parameter, as ``--help`` lists it (the constructors enforce
# them; tests/test_cli.py checks that these names are exactly the dataclass fields).
GAUSSIAN_PARAMETERS: dict[str, str] = {
    "mu": "mean utility, |mu| <= 1e100 (default 0)",
    "sigma": "total standard deviation, 0 < sigma <= 1e100 (default 1)",
    "rho_between": "correlation across agents, 0 <= rho_between <= rho_within (default 0)",
    "rho_within": "correlation within one agent, 0 <= rho_within <= 1 (default 0)",
    "tau": "agent-score noise, 0 <= tau <= 1e100 (default 1)",
    "kappa": "principal (judge) noise, 0 <= kappa <= 1e100 (default 0)",
    "beta": "judge bias loading, 0 <= beta <= 1e100 (default 0)",
    "agent_offsets": "per-agent score offsets, a tuple such as (0.5,-0.5) (default none)",
}
BERNOULLI_PARAMETERS: dict[str, str] = {
    "a": "Beta shape, 1e-12 <= a <= 1e100 (or give mean= and icc=)",
    "b": "Beta shape, 1e-12 <= b <= 1e100",
    "agent_tpr": "agent verifier's true-positive rate in [0, 1] (default 1)",
    "agent_fpr": "agent verifier's false-positive rate in [0, 1] (default 0)",
    "principal_tpr": "principal verifier's true-positive rate in [0, 1] (default 1)",
    "principal_fpr": "principal verifier's false-positive rate in [0, 1] (default 0)",
    "diversity": "agent-level concentration c in [1e-12, 1e100] (default none)",
    "wrong_answers": "number m >= 1 of distinct wrong answers (default 1)",
    "wrong_concentration": "Dirichlet concentration over wrong answers, needs m >= 2",
}
MEAN_ICC_PARAMETERS: dict[str, str] = {
    "mean": "mean accuracy a/(a+b) in (0, 1), with icc= instead of a= and b=",
    "icc": "intra-class correlation 1/(a+b+1) in (0, 1)",
}


def _parse_sets(items: Sequence[str]) -> dict[str, Any]:
    """``--set name=value`` pairs as a dict; a value is a Python literal or a word."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set takes name=value, got {item!r}")
        key, raw = (part.strip() for part in item.split("=", 1))
        if not key:
            raise ValueError(f"--set needs a parameter name before '=', got {item!r}")
        if not raw:
            raise ValueError(f"--set {key}= needs a value")
        if key in out:
            raise ValueError(f"--set {key} given twice")
        try:
            out[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            out[key] = raw
    return out


def _check_names(params: dict[str, Any], valid: Sequence[str], kind: str) -> None:
    for key in params:
        if key not in valid:
            close = difflib.get_close_matches(key, list(valid), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(
                f"{kind} has no parameter {key!r}{hint}; valid names: {', '.join(valid)}"
            )


def _model(kind: str, sets: Sequence[str]) -> GaussianModel | BernoulliModel:
    """The model named by ``kind`` with the ``--set`` parameters (ValueError naming the
    parameter on a bad one)."""
    from align_theory.models import BernoulliModel, GaussianModel

    params = _parse_sets(sets)
    if isinstance(params.get("agent_offsets"), list):
        params["agent_offsets"] = tuple(params["agent_offsets"])
    if kind in ("gaussian", "G", "g"):
        _check_names(params, list(GAUSSIAN_PARAMETERS), "gaussian")
        return GaussianModel(**params)
    if kind in ("bernoulli", "B", "b"):
        _check_names(params, [*BERNOULLI_PARAMETERS, *MEAN_ICC_PARAMETERS], "bernoulli")
        by_mean = [k for k in ("mean", "icc") if k in params]
        by_shape = [k for k in ("a", "b") if k in params]
        if by_mean and by_shape:
            raise ValueError(
                f"bernoulli takes a= and b= or mean= and icc=, not both "
                f"(got {', '.join([*by_shape, *by_mean])})"
            )
        if by_mean:
            if len(by_mean) < 2:
                raise ValueError("give both mean= and icc= (or a= and b=) for bernoulli")
            mean, icc = params.pop("mean"), params.pop("icc")
            return BernoulliModel.from_mean_icc(mean, icc, **params)
        if len(by_shape) < 2:
            raise ValueError(
                "bernoulli needs a= and b= (or mean= and icc=), e.g. --set a=1 --set b=1"
            )
        return BernoulliModel(**params)
    raise ValueError(f"MODEL must be 'gaussian' or 'bernoulli', got {kind!r}")


def _fmt_params(p: dict[str, Any]) -> str:
    keys = [k for k in p if k != "trials"]
    return " ".join(f"{k}={p[k]:g}" if isinstance(p[k], float) else f"{k}={p[k]}" for k in keys)


def print_table(reports: Sequence[Report], file: Any = None) -> None:
    """Print one row per report: statement, parameters (never cut), A, B, difference ±
    stderr, verdict."""
    out = file or sys.stdout
    params = [_fmt_params(r.params) for r in reports]
    width = max([len("parameters"), *map(len, params)])
    head = (
        f"{'stmt':8s} {'parameters':{width}s} {'value A':>10s} {'value B':>10s} "
        f"{'A-B ± se':>20s}  verdict"
    )
    print(head, file=out)
    print("-" * len(head), file=out)
    for r, par in zip(reports, params, strict=True):
        verdict = "PASS" if r.passed else ("FAIL(agree)" if not r.agrees else "FAIL(claim)")
        diff = f"{r.diff:+.5f} ± {r.stderr_b:.5f}"
        print(
            f"{r.statement:8s} {par:{width}s} {r.value_a:10.6f} "
            f"{r.value_b:10.6f} {diff:>20s}  {verdict}  {r.detail}",
            file=out,
        )


def all_checks(trials: int) -> list[Callable[[], Report]]:
    """Every row of ``align verify``: :func:`align_theory.checks.all_checks` (imported
    lazily, so the other commands load no JAX).

    Examples
    --------
    >>> len(all_checks(1000)) >= 38
    True
    """
    from align_theory.checks import all_checks as rows

    return rows(trials)


_BAR = re.compile(r"\d+%\||\d+/\d+ \[|it/s\]|trial/s\]")


@contextlib.contextmanager
def _progress_to_tty() -> Iterator[Callable[[str], None]]:
    """Progress on stderr only when it is a terminal; otherwise hold back the progress bars
    of the checks (keeping any other message, written once the checks are done) so that a
    log of ``align verify 2>&1`` holds the table alone. Yields ``say(text)``."""
    real = sys.stderr
    if real.isatty():

        def say(text: str) -> None:
            real.write(f"\r\033[K{text}")
            real.flush()

        try:
            yield say
        finally:
            real.write("\r\033[K")
        return
    buf = io.StringIO()
    try:
        with contextlib.redirect_stderr(buf):
            yield lambda text: None
    finally:
        for part in re.split(r"[\r\n]", buf.getvalue()):
            if part.strip() and not _BAR.search(part):
                print(part, file=real)


def _verify(args: argparse.Namespace) -> int:
    checks = all_checks(args.trials)
    t0 = time.perf_counter()
    reports = []
    with _progress_to_tty() as say:
        for i, check in enumerate(checks, 1):
            say(f"check {i}/{len(checks)} ({time.perf_counter() - t0:.0f} s)")
            reports.append(check())
    elapsed = time.perf_counter() - t0
    failed = [r for r in reports if not r.passed]
    if args.json:
        json.dump(
            {"reports": [r.as_dict() for r in reports], "failed": len(failed), "seconds": elapsed},
            sys.stdout,
            indent=2,
            default=float,
        )
        print()
    else:
        print_table(reports)
        print(f"\n{len(reports) - len(failed)}/{len(reports)} checks passed in {elapsed:.1f} s")
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([r.as_dict() for r in reports], indent=2, default=float))
    return 1 if failed else 0


def _echo(model: object, proto: object) -> None:
    print(f"model:    {model!r}")
    print(f"protocol: {proto!r}")


def _finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise ValueError(
            f"the {what} is {value} for these parameters (outside what the numerics "
            "resolve); move the parameters toward the ranges in 'align exact --help'"
        )
    return value


def _exact(args: argparse.Namespace) -> int:
    from align_theory.exact import expected_utility

    model = _model(args.model, args.set)
    proto = parse_protocol(args.protocol)
    value = _finite(expected_utility(model, proto), "closed form")
    _echo(model, proto)
    print(f"expected utility (closed form): {value:.10f}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    model = _model(args.model, args.set)
    proto = parse_protocol(args.protocol)
    from align_theory.montecarlo import simulate

    est = simulate(model, proto, trials=args.trials, seed=args.seed, backend=args.backend)
    _finite(est.mean, "Monte Carlo mean")
    _echo(model, proto)
    print(
        f"expected utility (Monte Carlo): {est.mean:.6f} ± {est.stderr:.6f}  "
        f"(trials={est.trials}, seed={args.seed})"
    )
    return 0


def _first_sentence(doc: str | None) -> str:
    text = " ".join((doc or "").split())
    cut = text.find(". ")
    return text if cut < 0 else text[: cut + 1]


def model_help() -> str:
    """The ``--help`` epilog of ``exact`` and ``simulate``: every model parameter with its
    range and every protocol of :data:`align_theory.protocols.REGISTRY`."""
    lines = ["MODEL gaussian (model G), --set NAME=VALUE for:"]
    lines += [f"  {k:20s} {v}" for k, v in GAUSSIAN_PARAMETERS.items()]
    lines += ["", "MODEL bernoulli (model B), --set NAME=VALUE for:"]
    lines += [f"  {k:20s} {v}" for k, v in (BERNOULLI_PARAMETERS | MEAN_ICC_PARAMETERS).items()]
    lines += ["", "PROTOCOL, written as a Python call with literal arguments:"]
    for name, spec in REGISTRY.items():
        params = ", ".join(
            f.name if f.default is MISSING else f"{f.name}={f.default!r}" for f in fields(spec.cls)
        )
        lines.append(f"  {name}({params})")
        lines += textwrap.wrap(
            _first_sentence(spec.cls.__doc__) or spec.summary,
            width=88,
            initial_indent="      ",
            subsequent_indent="      ",
        )
    lines += [
        "",
        "examples:",
        "  align exact gaussian \"Align(4, 4, 'judge')\" --set kappa=1.0",
        '  align exact bernoulli "MajorityVote(15)" --set mean=0.45 --set icc=0.3',
    ]
    return "\n".join(lines)


def _reproduce(args: argparse.Namespace) -> int:
    from align_theory import pipeline

    root = Path(args.root).resolve()
    trials = 5_000 if args.quick else args.trials
    checks = pipeline.StoredChecks(root / "results" / "verify.json", {"trials": trials})
    force = bool(args.force)
    if not force and checks.current():
        rc = checks.status()
        print(f"== statement checks: current ({checks.path}, exit status {rc})")
    else:
        print(f"== statement checks ({trials} trials per row)")
        rc = _verify(argparse.Namespace(trials=trials, json=False, out=str(checks.path)))
        checks.record(rc)
    failed = pipeline.reproduce(root, quick=args.quick, trials=args.fig_trials, force=force)
    print(f"statement checks written to {checks.path}")
    if failed:
        print(f"scripts that failed: {', '.join(failed)}")
    return 1 if rc or failed else 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``align`` command."""
    parser = argparse.ArgumentParser(prog="align", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("verify", help="check every statement on the default grid")
    p.add_argument("--trials", type=int, default=20_000, help="Monte Carlo trials per row")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--out", default=None, help="also write the reports to this JSON file")
    p.set_defaults(func=_verify)

    p = sub.add_parser("reproduce", help="statement checks and every paper figure")
    p.add_argument("--quick", action="store_true", help="small trial counts (under 2 minutes)")
    p.add_argument("--trials", type=int, default=20_000, help="trials per statement check")
    p.add_argument("--fig-trials", type=int, default=None, help="trials per figure point")
    p.add_argument("--root", default=".", help="repository root (default: current dir)")
    p.add_argument(
        "--force", action="store_true", help="recompute every study and the checks, even if current"
    )
    p.set_defaults(func=_reproduce)

    for name, fn, helptext in (
        ("exact", _exact, "closed-form expected utility"),
        ("simulate", _simulate, "Monte Carlo expected utility"),
    ):
        p = sub.add_parser(
            name,
            help=helptext,
            description=f"{helptext[0].upper()}{helptext[1:]} of PROTOCOL under MODEL; "
            "prints the model and protocol (every parameter), then the value.",
            epilog=model_help(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("model", help="gaussian | bernoulli (parameters below)")
        p.add_argument("protocol", help="e.g. \"Align(4, 4, 'judge')\" (protocols below)")
        p.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a model parameter (repeat the flag for several)",
        )
        if name == "simulate":
            p.add_argument("--trials", type=int, default=100_000, help="Monte Carlo trials")
            p.add_argument("--seed", type=int, default=0, help="random seed")
            p.add_argument(
                "--backend",
                choices=("auto", "jax", "numpy"),
                default="auto",
                help="auto (default): numpy for small runs with sufficient statistics "
                "(never imports JAX), JAX otherwise; the two draw different streams",
            )
        p.set_defaults(func=fn)

    try:
        from align_theory.llm.cli import register
    except ImportError:  # the LLM extra is optional
        pass
    else:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``align``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        rc: int = args.func(args)
    except (ValueError, NotImplementedError) as err:
        print(f"align: error: {err}", file=sys.stderr)
        return 2
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
