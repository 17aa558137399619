"""Study for figure 4: the M × K split of a fixed budget N = M·K against judge noise κ.

Closed forms on a κ grid (no Monte Carlo): U_M(κ) = E[x_Align(M, N/M, rule)] in homogeneous
model G (ρ = 0, τ = 1) for every divisor M of N, for the judge and the Bayes principal.
Table ``grid`` (rule, M, K, κ, mean).

Run ``python simulations/fig4_split.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from align_theory import Align, GaussianModel, expected_utility
from align_theory.pipeline import study_args, write_study

N = 64
SPLITS = [m for m in range(1, N + 1) if N % m == 0]
TAU = 1.0


def main(argv: Sequence[str] | None = None) -> int:
    args = study_args(__doc__.split("\n")[0], argv)
    kappas = np.linspace(0.0, 3.0, 31 if args.quick else 121)
    t0 = time.perf_counter()
    grid = [
        {
            "rule": rule,
            "M": m,
            "K": N // m,
            "kappa": float(k),
            "mean": expected_utility(
                GaussianModel(tau=TAU, kappa=float(k)),
                Align(m, N // m, rule),
            ),
        }
        for rule in ("judge", "bayes")
        for m in SPLITS
        for k in kappas
    ]
    write_study(
        args,
        __file__,
        {"grid": grid},
        parameters={"N": N, "splits": SPLITS, "tau": TAU},
        trials=0,
        seconds=time.perf_counter() - t0,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
