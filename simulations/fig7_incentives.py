"""Study for figure 7: the principal's equilibrium utility under team, tournament and
misaligned incentives (statement T7).

Model G with ρ = 0, τ = 1, κ = 1 and M = K = 4: the symmetric best-response equilibrium of
each incentive scheme on the strategy grid of :mod:`align_theory.games`
(:func:`~align_theory.games.equilibrium_utilities`, Monte Carlo on common random
numbers), for a principal that keeps full trust in reports and one that announces its best
trust factor; closed-form references. Tables: ``schemes``, ``references``.

Run ``python simulations/fig7_incentives.py [--quick] [--trials N] [--out DIR]``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from align_theory import Align, GaussianModel, SingleAgent, expected_utility
from align_theory.games import equilibrium_utilities
from align_theory.pipeline import study_args, write_study

M, K = 4, 4
SEED = 7
MODEL = GaussianModel(rho_between=0.0, rho_within=0.0, tau=1.0, kappa=1.0)
SCHEMES = ["team", "tournament", "tournament_correct", "misaligned(0.5)", "misaligned(2)"]


def main(argv: Sequence[str] | None = None) -> int:
    args = study_args(__doc__.split("\n")[0], argv)
    trials = args.trials_or(20_000, 4_000)
    t0 = time.perf_counter()
    util = equilibrium_utilities(MODEL, M, K, trials=trials, seed=SEED)
    missing = [k for k in SCHEMES if k not in util]
    if missing:
        raise ValueError(f"equilibrium_utilities lacks schemes {missing}")
    rows = [
        {
            "scheme": k,
            "principal": trust,
            "mean": util[k + suffix].mean,
            "stderr": util[k + suffix].stderr,
            "trials": util[k + suffix].trials,
        }
        for k in SCHEMES
        for suffix, trust in (("/naive", "full trust"), ("", "best trust"))
    ]
    refs = [
        {"name": "Align, Bayes principal", "mean": expected_utility(MODEL, Align(M, K, "bayes"))},
        {"name": "Align, judge only", "mean": expected_utility(MODEL, Align(M, K, "judge"))},
        {"name": f"SingleAgent N = {M * K}", "mean": expected_utility(MODEL, SingleAgent(M * K))},
    ]
    write_study(
        args,
        __file__,
        {"schemes": rows, "references": refs},
        parameters={"M": M, "K": K, "model": repr(MODEL), "schemes": SCHEMES},
        seeds={"equilibrium_utilities": SEED},
        trials=trials,
        seconds=time.perf_counter() - t0,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
