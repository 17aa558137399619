"""Study for figure 3: Align − SingleAgent over judge noise κ and agent noise τ, and the
crossover κ*(τ) of statement T4.

Closed forms on a grid (no Monte Carlo): D(κ, τ) = E[x_Align(M, K, rule)] − E[x_SA(M·K)] in
homogeneous model G for the judge and the Bayes principal, and κ*(τ) by Brent's method
(:func:`~align_theory.exact.crossover_kappa`). Tables: ``grid`` (τ, κ, rule, gap) and
``kstar`` (τ, κ*).

Run ``python simulations/fig3_noise_heatmap.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from align_theory import Align, GaussianModel, SingleAgent, expected_utility
from align_theory.exact import crossover_kappa
from align_theory.pipeline import study_args, write_study

M, K = 4, 4
KAPPA_MAX, TAU_MAX = 5.0, 3.0


def main(argv: Sequence[str] | None = None) -> int:
    args = study_args(__doc__.split("\n")[0], argv)
    n = 21 if args.quick else 51
    kappas = np.linspace(0.0, KAPPA_MAX, n)
    taus = np.linspace(0.0, TAU_MAX, n)
    t0 = time.perf_counter()
    grid = []
    for tau in taus:
        sa = expected_utility(GaussianModel(tau=float(tau)), SingleAgent(M * K))
        for kappa in kappas:
            m = GaussianModel(tau=float(tau), kappa=float(kappa))
            for rule in ("judge", "bayes"):
                gap = expected_utility(m, Align(M, K, rule)) - sa
                grid.append({"tau": float(tau), "kappa": float(kappa), "rule": rule, "gap": gap})
    tau_line = np.linspace(0.0, TAU_MAX, 13 if args.quick else 31)
    kstar = [
        {"tau": float(t), "kstar": crossover_kappa(GaussianModel(tau=float(t)), M, K)}
        for t in tau_line
    ]
    write_study(
        args,
        __file__,
        {"grid": grid, "kstar": kstar},
        parameters={"M": M, "K": K, "kappa_max": KAPPA_MAX, "tau_max": TAU_MAX, "n": n},
        trials=0,
        seconds=time.perf_counter() - t0,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
