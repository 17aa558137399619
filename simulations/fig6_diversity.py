"""Study for figure 6: the diversity channel (T6), Align against Shortlist as ρ_b falls
below ρ_w.

Model G with ρ_w = 0.5 fixed, exact principal. One :func:`~align_theory.sweep.sweep` over
ρ_b of Align(4, 4), Shortlist(16, 4) and the Oracle of Align's pool; closed forms on a fine
ρ_b grid, the Oracle of one agent's pool, and the crossing ρ_b where Align overtakes
Shortlist (Brent's method). Tables: ``mc``, ``exact``, ``crossing``.

Run ``python simulations/fig6_diversity.py [--quick] [--trials N] [--out DIR]``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq

from align_theory import Align, GaussianModel, Oracle, Shortlist, expected_utility
from align_theory.montecarlo.sweep import sweep
from align_theory.pipeline import study_args, write_study
from align_theory.protocols import Protocol

M, K = 4, 4
RHO_W = 0.5
TAU = 1.0
SEED = 11
PROTOCOLS: dict[str, Protocol] = {
    "Align": Align(M, K, "exact"),
    "Shortlist": Shortlist(M * K, M, "exact"),
    "Oracle": Oracle(M * K, agents=M),
}


def model(rho_b: float) -> GaussianModel:
    """Model G with ρ_w = RHO_W, ρ_b = rho_b, agent noise τ = TAU, exact principal."""
    return GaussianModel(rho_between=rho_b, rho_within=RHO_W, tau=TAU)


def gap(rho_b: float) -> float:
    """E[x_Align] − E[x_Shortlist] at ρ_b (closed forms)."""
    m = model(rho_b)
    return expected_utility(m, PROTOCOLS["Align"]) - expected_utility(m, PROTOCOLS["Shortlist"])


def main(argv: Sequence[str] | None = None) -> int:
    args = study_args(__doc__.split("\n")[0], argv)
    trials = args.trials_or(10_000, 4_000)
    mc_rhos = [0.0, 0.25, 0.5] if args.quick else [round(0.05 * i, 2) for i in range(11)]
    t0 = time.perf_counter()
    names = {repr(p): n for n, p in PROTOCOLS.items()}
    rows = sweep(
        model,
        list(PROTOCOLS.values()),
        {"rho_b": mc_rhos},
        trials=trials,
        seed=SEED,
        batch=len(mc_rhos),
        progress=False,
    )
    mc = [{**r, "name": names[r["protocol"]]} for r in rows]
    exact = [
        {"rho_b": float(r), "name": n, "mean": expected_utility(model(float(r)), p)}
        for r in np.linspace(0.0, RHO_W, 51)
        for n, p in PROTOCOLS.items()
    ]
    exact.append(
        {"rho_b": RHO_W, "name": "Oracle1", "mean": expected_utility(model(RHO_W), Oracle(M * K))}
    )
    cross = float(brentq(gap, 0.0, RHO_W)) if gap(0.0) > 0.0 > gap(RHO_W) else float("nan")
    write_study(
        args,
        __file__,
        {"mc": mc, "exact": exact, "crossing": [{"rho_b": cross}]},
        parameters={"M": M, "K": K, "rho_w": RHO_W, "tau": TAU, "mc_rhos": mc_rhos},
        seeds={"sweep": SEED},
        trials=trials,
        seconds=time.perf_counter() - t0,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
