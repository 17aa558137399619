"""Figure 4: the M × K split at fixed budget N = M·K, and which split is best for each κ.

Reads the study ``simulations/fig4_split.py`` (closed forms, no Monte Carlo). For every
divisor M of N, Align(M, N/M) with the judge principal has utility U_M(κ). More agents give
the principal more proposals to choose among (good when its judge is accurate); fewer
agents let the agents' own scores do the selecting (good when the judge is noisy). M = 1 is
SingleAgent; M = N is PrincipalBestOfN. The grey band marks the best split at each κ.

Run ``python paper_figures/fig4_split.py [--results DIR] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from align_theory.pipeline import load_study, records
from align_theory.plotting import figure_args, save, subplots

# Okabe & Ito colours (no yellow: too faint on white) with distinct markers and dashes.
LOOKS = [
    ("#0072B2", "s", "-"),
    ("#56B4E9", "v", "--"),
    ("#009E73", "^", "-."),
    ("#000000", "D", ":"),
    ("#E69F00", "o", "-"),
    ("#D55E00", "P", "--"),
    ("#CC79A7", "X", "-."),
]


def main(argv: Sequence[str] | None = None) -> int:
    args = figure_args(__doc__.split("\n")[0], default_trials=2, quick_trials=2, argv=argv)
    st = load_study("fig4_split", args.results)
    par = st.parameters
    n, splits, tau = par["N"], par["splits"], par["tau"]
    judge = records(st["grid"], rule="judge")
    kappas = np.unique([r["kappa"] for r in judge])
    u = np.array([[r["mean"] for r in records(judge, M=m)] for m in splits])
    fig, ax = subplots(height=3.2)
    ax.plot(kappas, u.max(axis=0), color="#BBBBBB", linewidth=5.0, zorder=1, label="best split")
    every = max(1, kappas.size // 8)
    for i, m in enumerate(splits):
        color, marker, ls = LOOKS[i % len(LOOKS)]
        label = f"{m} × {n // m}" + (" (SA)" if m == 1 else " (PBoN)" if m == n else "")
        ax.plot(
            kappas,
            u[i],
            color=color,
            linestyle=ls,
            marker=marker,
            markevery=(i % every, every),
            markersize=3.0,
            label=label,
            zorder=2,
        )
    ax.set_ylabel("expected utility E[x] (σ)")
    ax.set_xlabel("judge noise κ (σ)")
    ax.set_ylim(0.6, None)
    ax.set_xlim(0, float(kappas.max()))
    ax.set_title(f"Align, judge principal, N = {n}, τ = {tau:g}σ", loc="left")
    fig.legend(loc="outside right center", title="agents M × K", title_fontsize=6.5)
    best = np.array(splits)[u.argmax(axis=0)]
    switch = [
        f"{kappas[j]:.2f}->{best[j]}" for j in range(1, kappas.size) if best[j] != best[j - 1]
    ]
    caption = f"""
Figure 4. The split of a fixed budget N = {n} candidates into M agents x K = N/M candidates.
Homogeneous model G: mu=0, sigma=1, rho=0, tau={tau}, beta=0; utility in sigma units;
judge noise kappa in sigma units on [0, {kappas.max():g}]. Expected utility of Align with
the judge principal (argmax of x_hat over the M proposals, M judge calls) for each divisor
M of N; M = 1 is SingleAgent (SA; the principal sees one proposal), M = N is
PrincipalBestOfN (PBoN). The grey band is the best split's utility. With an exact judge the
principal wants every candidate proposed (M = N); as kappa grows the best split moves
toward fewer agents with more candidates each (switch points kappa->M*: {", ".join(switch)};
best at kappa = 0: M = {best[0]}, at kappa = {kappas.max():g}: M = {best[-1]}). The Bayes
principal's best split is not shown: its judge calls cost nothing in this model, so it
always prefers M = N. Closed forms on {kappas.size} kappa values; no Monte Carlo (0 trials).
"""
    for p in save(fig, "fig4_split", caption, args.out):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
