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
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from align_theory.exact import expected_utility
from align_theory.models import BernoulliModel, GaussianModel
from align_theory.protocols import parse_protocol
from align_theory.results import Report

__all__ = ["all_checks", "main", "parse_protocol"]


def _parse_sets(items: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set takes name=value, got {item!r}")
        key, raw = item.split("=", 1)
        try:
            out[key.strip()] = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            out[key.strip()] = raw.strip()
    return out


def _model(kind: str, sets: Sequence[str]) -> GaussianModel | BernoulliModel:
    params = _parse_sets(sets)
    if kind in ("gaussian", "G", "g"):
        return GaussianModel(**params)
    if kind in ("bernoulli", "B", "b"):
        if "mean" in params or "icc" in params:
            mean, icc = params.pop("mean", None), params.pop("icc", None)
            if mean is None or icc is None:
                raise ValueError("give both mean= and icc= (or a= and b=) for bernoulli")
            return BernoulliModel.from_mean_icc(mean, icc, **params)
        return BernoulliModel(**params)
    raise ValueError(f"MODEL must be 'gaussian' or 'bernoulli', got {kind!r}")


def _fmt_params(p: dict[str, Any]) -> str:
    keys = [k for k in p if k != "trials"]
    return " ".join(f"{k}={p[k]:g}" if isinstance(p[k], float) else f"{k}={p[k]}" for k in keys)


def print_table(reports: Sequence[Report], file: Any = None) -> None:
    """Print one row per report: statement, parameters, A, B, difference ± stderr, verdict."""
    out = file or sys.stdout
    head = (
        f"{'stmt':8s} {'parameters':44s} {'value A':>10s} {'value B':>10s} "
        f"{'A-B ± se':>20s}  verdict"
    )
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in reports:
        verdict = "PASS" if r.passed else ("FAIL(agree)" if not r.agrees else "FAIL(claim)")
        diff = f"{r.diff:+.5f} ± {r.stderr_b:.5f}"
        print(
            f"{r.statement:8s} {_fmt_params(r.params)[:44]:44s} {r.value_a:10.6f} "
            f"{r.value_b:10.6f} {diff:>20s}  {verdict}  {r.detail}",
            file=out,
        )


def all_checks(trials: int) -> list[Callable[[], Report]]:
    """Every row of ``align verify``: statements T1–T6 and the regimes
    (:func:`align_theory.guarantees.default_checks`), then the incentive rows of T7."""
    from align_theory.guarantees import default_checks
    from align_theory.incentives import incentive_checks

    return default_checks(trials=trials) + incentive_checks(trials=trials)


def _verify(args: argparse.Namespace) -> int:
    checks = all_checks(args.trials)
    t0 = time.perf_counter()
    reports = [c() for c in checks]
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


def _exact(args: argparse.Namespace) -> int:
    model = _model(args.model, args.set)
    proto = parse_protocol(args.protocol)
    print(f"{expected_utility(model, proto):.10f}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    model = _model(args.model, args.set)
    proto = parse_protocol(args.protocol)
    from align_theory.montecarlo import simulate

    est = simulate(model, proto, trials=args.trials, seed=args.seed)
    print(f"{est.mean:.6f} ± {est.stderr:.6f}  (trials={est.trials}, seed={args.seed})")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from align_theory import pipeline

    root = Path(args.root).resolve()
    trials = 5_000 if args.quick else args.trials
    checks = pipeline.StoredChecks(root / "results" / "verify.json", {"trials": trials})
    force = bool(getattr(args, "force", False))
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
    p.set_defaults(func=_reproduce)

    for name, fn, helptext in (
        ("exact", _exact, "closed-form expected utility"),
        ("simulate", _simulate, "Monte Carlo expected utility"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("model", help="gaussian | bernoulli")
        p.add_argument("protocol", help="e.g. \"Align(4, 4, 'judge')\"")
        p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
        if name == "simulate":
            p.add_argument("--trials", type=int, default=100_000)
            p.add_argument("--seed", type=int, default=0)
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
