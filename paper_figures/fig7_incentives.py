"""Figure 7: the principal's equilibrium utility under team, tournament and misaligned
incentives (statement T7).

Model G with ρ = 0, τ = 1, κ = 1 and M = K = 4. For each incentive scheme the agents play a
symmetric best-response equilibrium on the finite strategy grid of
:mod:`align_theory.games` (which candidate to propose, how to report), computed by Monte
Carlo on common random numbers. Two principals: one that keeps full trust in reports (the
T2 Bayes weights) whatever the agents do, and one that announces its best trust factor
against the agents' response. Reference lines: the closed forms of Align with the Bayes
principal (T2's value under truthful reports), Align with the judge only, and SingleAgent.

Run ``python paper_figures/fig7_incentives.py [--quick] [--trials N]``.
"""

from __future__ import annotations

import time

import numpy as np

from align_theory import Align, GaussianModel, SingleAgent, expected_utility
from align_theory.games import equilibrium_utilities
from align_theory.plotting import figure_args, save, subplots

M, K = 4, 4
MODEL = GaussianModel(rho_between=0.0, rho_within=0.0, tau=1.0, kappa=1.0)
SCHEMES = [
    ("team", "team"),
    ("tournament", "tourn."),
    ("tournament_correct", "tourn.\ncorrect"),
    ("misaligned(0.5)", "misal.\nλ=0.5"),
    ("misaligned(2)", "misal.\nλ=2"),
]


def main() -> int:
    args = figure_args(__doc__.split("\n")[0], default_trials=20_000, quick_trials=4_000)
    t0 = time.perf_counter()
    util = equilibrium_utilities(MODEL, M, K, trials=args.trials, seed=7)
    missing = [k for k, _ in SCHEMES if k not in util]
    if missing:
        raise SystemExit(f"fig7_incentives: equilibrium_utilities lacks schemes {missing}")
    refs = {
        "Align, Bayes principal (closed form)": expected_utility(MODEL, Align(M, K, "bayes")),
        "Align, judge only (closed form)": expected_utility(MODEL, Align(M, K, "judge")),
        f"SingleAgent N = {M * K} (closed form)": expected_utility(MODEL, SingleAgent(M * K)),
    }
    fig, ax = subplots(height=2.7)
    x = np.arange(len(SCHEMES))
    width = 0.38
    for offset, suffix, color, label in (
        (-width / 2, "/naive", "#BBBBBB", "principal keeps full trust"),
        (width / 2, "", "#0072B2", "principal's best trust"),
    ):
        means = [util[k + suffix].mean for k, _ in SCHEMES]
        ses = [util[k + suffix].stderr for k, _ in SCHEMES]
        ax.bar(
            x + offset,
            means,
            width,
            color=color,
            label=label,
            yerr=[2 * s for s in ses],
            capsize=1.5,
            error_kw={"elinewidth": 0.8},
        )
    for (name, value), ls in zip(refs.items(), ("-", "--", ":"), strict=True):
        ax.axhline(value, color="black", linestyle=ls, linewidth=0.8, label=name)
    ax.set_xticks(x, [lab for _, lab in SCHEMES])
    lo = min(min(u.mean for u in util.values()), *refs.values())
    hi = max(max(u.mean for u in util.values()), *refs.values())
    ax.set_ylim(lo - 0.25 * (hi - lo) - 0.05, hi + 0.55 * (hi - lo) + 0.05)
    ax.set_ylabel("principal's utility E[x] (σ units)")
    ax.set_xlabel("incentive (tourn. = tournament, misal. = misaligned)")
    ax.legend(loc="upper right", ncols=1, fontsize=5.5)
    seconds = time.perf_counter() - t0
    rows = "; ".join(
        f"{k}: {util[k].mean:.3f} ± {util[k].stderr:.3f} (full trust {util[k + '/naive'].mean:.3f})"
        for k, _ in SCHEMES
    )
    caption = f"""
Figure 7. The principal's equilibrium utility (σ units, mean ± 2 standard errors) under
each incentive scheme, model G with rho = 0, tau = 1, kappa = 1, M = {M} agents x K = {K}.
Agents play a symmetric best-response equilibrium on the strategy grid of
align_theory.games (proposal weight on the judge feature and private taste, report
truthful/shifted/scaled); grey bars: the principal keeps the T2 Bayes trust in reports,
blue: it announces its best trust factor against the agents' response. Lines: closed forms
of Align with the Bayes principal ({refs["Align, Bayes principal (closed form)"]:.4f}), Align
with the judge only ({refs["Align, judge only (closed form)"]:.4f}) and SingleAgent
({refs[f"SingleAgent N = {M * K} (closed form)"]:.4f}). Values: {rows}.
Monte Carlo with {args.trials} trials per point (common random numbers across schemes),
seed 7. Generated in {seconds:.0f} s.
"""
    for p in save(fig, "fig7_incentives", caption, args.out):
        print(p)
    print(f"fig7_incentives: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
