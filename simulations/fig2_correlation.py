"""Study for figure 2: the gain of Align over SingleAgent against candidate correlation ρ (T3).

Homogeneous model G (ρ_b = ρ_w = ρ), with the agents' and the judge's noise either scaled
with σ_w = σ√(1−ρ) or fixed. One :func:`~align_theory.sweep.sweep` over the grid
(ρ, scaled) of Align(4, 4, judge) and SingleAgent(16); closed forms of both on a fine ρ grid.
Tables: ``mc`` (sweep rows), ``exact`` (closed forms).

Run ``python simulations/fig2_correlation.py [--quick] [--trials N] [--out DIR]``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from align_theory import Align, GaussianModel, SingleAgent, expected_utility
from align_theory.montecarlo.sweep import sweep
from align_theory.pipeline import study_args, write_study
from align_theory.protocols import Protocol

M, K = 4, 4
TAU0, KAPPA0 = 1.0, 0.5
SEED = 7
PROTOCOLS: dict[str, Protocol] = {"Align": Align(M, K, "judge"), "SingleAgent": SingleAgent(M * K)}


def model(rho: float, scaled: bool) -> GaussianModel:
    """Homogeneous model G at correlation ρ; noise scaled by √(1−ρ) when ``scaled``."""
    f = math.sqrt(1.0 - rho) if scaled else 1.0
    return GaussianModel(rho_between=rho, rho_within=rho, tau=TAU0 * f, kappa=KAPPA0 * f)


def main(argv: Sequence[str] | None = None) -> int:
    args = study_args(__doc__.split("\n")[0], argv)
    trials = args.trials_or(20_000, 4_000)
    mc_rhos = [0.0, 0.3, 0.6, 0.9] if args.quick else [round(0.1 * i, 1) for i in range(10)]
    t0 = time.perf_counter()
    names = {repr(p): n for n, p in PROTOCOLS.items()}
    rows = sweep(
        model,
        list(PROTOCOLS.values()),
        {"scaled": [True, False], "rho": mc_rhos},
        trials=trials,
        seed=SEED,
        batch=2 * len(mc_rhos),
        progress=False,
    )
    mc = [{**r, "name": names[r["protocol"]]} for r in rows]
    exact = [
        {"rho": float(r), "scaled": s, "name": n, "mean": expected_utility(model(float(r), s), p)}
        for s in (True, False)
        for r in np.linspace(0.0, 0.99, 100)
        for n, p in PROTOCOLS.items()
    ]
    write_study(
        args,
        __file__,
        {"mc": mc, "exact": exact},
        parameters={"M": M, "K": K, "tau0": TAU0, "kappa0": KAPPA0, "mc_rhos": mc_rhos},
        seeds={"sweep": SEED},
        trials=trials,
        seconds=time.perf_counter() - t0,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
