"""Figure 3: Align − SingleAgent over judge noise κ and agent noise τ, with the crossover κ*.

Reads the study ``simulations/fig3_noise_heatmap.py`` (closed forms on a grid, no Monte
Carlo): filled contours of D(κ, τ) = E[x_Align(M, K)] − E[x_SA(M·K)] in homogeneous model G.
(a) judge principal: D changes sign on the crossover curve κ*(τ) of statement T4.
(b) Bayes principal (T2): D ≥ 0 everywhere, so it has no crossover; κ* drawn for reference.

Run ``python paper_figures/fig3_noise_heatmap.py [--results DIR] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.colors import TwoSlopeNorm

from align_theory.pipeline import load_study, records
from align_theory.plotting import figure_args, save, subplots


def surface(rows: list[dict], rule: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """κ values, τ values and D[τ, κ] of one principal rule."""
    sel = records(rows, rule=rule)
    kappas = np.unique([r["kappa"] for r in sel])
    taus = np.unique([r["tau"] for r in sel])
    d = np.array([r["gap"] for r in sel]).reshape(taus.size, kappas.size)
    return kappas, taus, d


def main(argv: Sequence[str] | None = None) -> int:
    args = figure_args(__doc__.split("\n")[0], default_trials=2, quick_trials=2, argv=argv)
    st = load_study("fig3_noise_heatmap", args.results)
    par = st.parameters
    m, k = par["M"], par["K"]
    kap, tau, judge = surface(st["grid"], "judge")
    _, _, bayes = surface(st["grid"], "bayes")
    kt = np.array([r["tau"] for r in st["kstar"]])
    ks = np.array([r["kstar"] for r in st["kstar"]])
    fig, axes = subplots(2, 1, height=5.0, sharex=True)
    lim = float(np.abs(judge).max())
    levels_a = np.linspace(-lim, lim, 17)
    cs_a = axes[0].contourf(
        kap, tau, judge, levels=levels_a, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -lim, lim)
    )
    levels_b = np.linspace(0.0, float(bayes.max()), 11)
    cs_b = axes[1].contourf(kap, tau, bayes, levels=levels_b, cmap="Reds")
    axes[0].plot(ks, kt, color="black", linewidth=1.4, label="crossover κ*(τ): D = 0")
    axes[1].plot(
        ks, kt, color="black", linewidth=1.2, linestyle="--", label="judge's κ*(τ), reference"
    )
    for ax in axes:
        ax.set_xlim(0, par["kappa_max"])
        ax.set_ylim(0, par["tau_max"])
        ax.set_ylabel("agent score noise τ (σ)")
        ax.grid(False)
    axes[0].set_title("(a) judge principal (argmax x̂): sign changes at κ*", loc="left")
    axes[1].set_title("(b) Bayes principal E[x | reports, x̂]: D ≥ 0 everywhere", loc="left")
    axes[1].set_xlabel("judge noise κ (σ)")
    h = [axes[0].get_legend_handles_labels()[0][0], axes[1].get_legend_handles_labels()[0][0]]
    fig.legend(h, [str(x.get_label()) for x in h], loc="outside lower center", ncol=2)
    cb_a = fig.colorbar(cs_a, ax=axes[0], location="right", aspect=25, ticks=levels_a[::4])
    cb_a.set_label("D (σ); red: Align better")
    cb_b = fig.colorbar(cs_b, ax=axes[1], location="right", aspect=25, ticks=levels_b[::2])
    cb_b.set_label("D (σ)")
    cb_b.ax.yaxis.set_major_formatter("{x:.2f}")
    cb_a.ax.yaxis.set_major_formatter("{x:.2f}")
    finite = ks[np.isfinite(ks)]
    caption = f"""
Figure 3. Difference D = E[x_Align] - E[x_SA] (utility in sigma units) at equal budget
N = {m * k} over judge noise kappa in [0, {par["kappa_max"]:g}] and agent score noise tau in
[0, {par["tau_max"]:g}], homogeneous model G (mu=0, sigma=1, rho=0, beta=0). Align: M = {m}
agents x K = {k} candidates; SingleAgent: argmax of y over {m * k}. (a) Judge principal
(argmax of x_hat, reports ignored), diverging scale centred at 0 (red: Align better; blue:
SingleAgent better): the solid curve is the crossover kappa*(tau) of statement T4 (root of
D in kappa by Brent's method; kappa* = 0 at tau = 0, where the agent ranks perfectly;
kappa* ranges over [{finite.min():.2f}, {finite.max():.2f}] on tau in [0, {par["tau_max"]:g}],
inside the kappa axis). (b) Bayes principal (posterior mean given the reports y and x_hat,
statement T2), sequential scale: D >= 0 on the whole grid (min {bayes.min():.2e}, max
{bayes.max():.3f}), so there is no crossover; the dashed curve repeats the judge's kappa*
for reference. Filled contours of closed forms on a {kap.size} x {tau.size} grid; no Monte
Carlo (0 trials).
"""
    for p in save(fig, "fig3_noise_heatmap", caption, args.out):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
