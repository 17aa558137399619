"""Time every closed form of align_theory.exact for budgets N ≤ 256 (target ≤ 5 ms per call).

Each (model, protocol, N) is called once to warm caches (quadrature rules, Gauss–Jacobi
nodes), then timed as the median of ``--repeats`` calls. Prints one row per case and a
summary: the slowest call and how many exceed the target. Exit status 0 always: this is a
measurement, recorded in docs/benchmarks.md, not a test.

    python benchmarks/bench_exact.py [--repeats 7] [--target-ms 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

from align_theory import (
    Align,
    BernoulliModel,
    GaussianModel,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
    expected_utility,
)
from align_theory.protocols import Protocol


def _split(n: int) -> tuple[int, int]:
    m = 1
    while m * m < n:
        m *= 2
    return m, n // m


def cases(n: int) -> list[tuple[str, object, Protocol]]:
    """Every closed form at budget n (M·K = n with M ≈ √n)."""
    m, k = _split(n)
    g = GaussianModel(tau=0.7, kappa=0.8)
    g_nested = GaussianModel(rho_between=0.2, rho_within=0.6, tau=0.7, kappa=0.8)
    g_offsets = GaussianModel(rho_between=0.2, rho_within=0.6, agent_offsets=(0.0, 0.4, -0.2, 0.9))
    b = BernoulliModel(
        1.05, 1.283, agent_tpr=0.8, agent_fpr=0.3, principal_tpr=0.9, principal_fpr=0.2
    )
    b_div = BernoulliModel(1.05, 1.283, agent_tpr=0.8, agent_fpr=0.3, diversity=3.0)
    out: list[tuple[str, object, Protocol]] = []
    for rule in ("exact", "judge", "bayes"):
        out.append(("G", g, Align(m, k, rule)))  # type: ignore[arg-type]
        # nested 'bayes' (the true posterior mean) has no closed form; 'linear' has
        nested_rule = "linear" if rule == "bayes" else rule
        out.append(("G nested", g_nested, Align(m, k, nested_rule)))  # type: ignore[arg-type]
        out.append(("G", g, Shortlist(n, m, rule)))  # type: ignore[arg-type]
    out += [
        ("G", g, SingleAgent(n)),
        ("G", g, RandomPick(n)),
        ("G", g, Oracle(n)),
        ("G", g, PrincipalBestOfN(n)),
        ("G nested", g_nested, SingleAgent(n, agents=m)),
        ("G nested", g_nested, Oracle(n, agents=m)),
        ("G offsets", g_offsets, SingleAgent(n, agents=m)),
        ("B", b, Align(m, k, "exact")),
        ("B", b, Align(m, k, "judge")),
        ("B", b, SingleAgent(n)),
        ("B", b, RandomPick(n)),
        ("B", b, Oracle(n)),
        ("B", b, PrincipalBestOfN(n)),
        ("B", b, Shortlist(n, m, "judge")),
        ("B", b, MajorityVote(n - 1 + n % 2)),
        ("B diversity", b_div, Align(m, k, "judge")),
        ("B diversity", b_div, SingleAgent(n)),
        ("B diversity", b_div, Oracle(n, agents=m)),
    ]
    return out


def time_call(fn: Callable[[], float], repeats: int) -> float:
    """Median wall time of ``repeats`` calls after one warm-up call, in milliseconds."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--target-ms", type=float, default=5.0)
    ap.add_argument("--budgets", default="4,16,64,256")
    args = ap.parse_args()
    print(
        f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'N':>4s}  {'model':12s} {'protocol':52s} {'ms':>7s}")
    rows = []
    for n in (int(x) for x in args.budgets.split(",")):
        for label, model, proto in cases(n):
            ms = time_call(lambda m=model, p=proto: expected_utility(m, p), args.repeats)  # type: ignore[misc]
            rows.append((n, label, proto, ms))
            print(f"{n:4d}  {label:12s} {proto!s:52s} {ms:7.2f}")
    worst = max(rows, key=lambda r: r[3])
    over = [r for r in rows if r[3] > args.target_ms]
    print(
        f"\n{len(rows)} calls; median {statistics.median(r[3] for r in rows):.2f} ms; "
        f"slowest {worst[3]:.2f} ms ({worst[2]}, N={worst[0]}); "
        f"{len(over)} over the {args.target_ms:g} ms target"
    )


if __name__ == "__main__":
    main()
