"""Figure 7: the principal's equilibrium utility under team, tournament and misaligned
incentives (statement T7).

Reads the study ``simulations/fig7_incentives.py``: for each incentive scheme, the
principal's utility at the agents' symmetric best-response equilibrium (Monte Carlo, ± 2
s.e.), for a principal that keeps full trust in the reports and one that announces its best
trust factor; closed-form references.

Run ``python paper_figures/fig7_incentives.py [--results DIR] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from align_theory.pipeline import load_study, records
from align_theory.plotting import figure_args, save, subplots

LABELS = {
    "team": "team",
    "tournament": "tournament",
    "tournament_correct": "tournament\nwith bar\nx > μ + σ",
    "misaligned(0.5)": "misaligned\nλ = 0.5",
    "misaligned(2)": "misaligned\nλ = 2",
}
TRUST = {"full trust": ("#999999", "s", -0.12), "best trust": ("#0072B2", "o", 0.12)}


def main(argv: Sequence[str] | None = None) -> int:
    args = figure_args(__doc__.split("\n")[0], default_trials=2, quick_trials=2, argv=argv)
    st = load_study("fig7_incentives", args.results)
    par = st.parameters
    schemes = par["schemes"]
    fig, ax = subplots(height=3.0)
    x = np.arange(len(schemes))
    for trust, (color, marker, dx) in TRUST.items():
        rows = [records(st["schemes"], scheme=s, principal=trust)[0] for s in schemes]
        ax.errorbar(
            x + dx,
            [r["mean"] for r in rows],
            yerr=[2 * r["stderr"] for r in rows],
            color=color,
            marker=marker,
            linestyle="none",
            capsize=2.0,
            elinewidth=0.9,
            label=f"principal keeps {trust}" if trust == "full trust" else "principal's best trust",
        )
    for ref, ls in zip(st["references"], ("-", "--", ":"), strict=True):
        ax.axhline(ref["mean"], color="black", linestyle=ls, linewidth=0.8, label=ref["name"])
    ax.set_xticks(x, [LABELS.get(s, s) for s in schemes], fontsize=6.5)
    ax.set_xlim(-0.5, len(schemes) - 0.5)
    ax.set_ylabel("principal's utility E[x] (σ)")
    ax.set_xlabel("incentive scheme (how agents are paid)")
    ax.set_title("Equilibrium utility, model G, ρ = 0, τ = κ = 1, M = K = 4", loc="left")
    fig.legend(loc="outside lower center", ncol=2)
    values = "; ".join(
        f"{s}: {records(st['schemes'], scheme=s, principal='best trust')[0]['mean']:.3f}"
        f" ± {records(st['schemes'], scheme=s, principal='best trust')[0]['stderr']:.3f}"
        f" (full trust {records(st['schemes'], scheme=s, principal='full trust')[0]['mean']:.3f})"
        for s in schemes
    )
    refs = {r["name"]: r["mean"] for r in st["references"]}
    sa = refs[f"SingleAgent N = {par['M'] * par['K']}"]
    caption = f"""
Figure 7. The principal's equilibrium utility (sigma units, points with +- 2 standard
errors; the axis does not start at 0, so compare against the reference lines) under each
incentive scheme, model G with rho = 0, tau = 1, kappa = 1, M = {par["M"]} agents x
K = {par["K"]}. Schemes: team (every agent paid the principal's realized utility),
tournament (paid 1 if selected), tournament with a correctness bar (paid if selected and
x > mu + sigma), misaligned (paid (1 + lambda*taste) if selected, with the agent's private
taste of its proposal, lambda = 0.5 and 2). Agents play a symmetric best-response
equilibrium on the strategy grid of align_theory.games (proposal weight on the judge
feature and private taste, report truthful/shifted/scaled); grey squares: the principal
keeps the T2 Bayes trust in reports, blue circles: it announces its best trust factor
against the agents' response. Lines: closed forms of Align with the Bayes principal
({refs["Align, Bayes principal"]:.4f}), Align with the judge only
({refs["Align, judge only"]:.4f}) and SingleAgent ({sa:.4f}).
Values: {values}. Monte Carlo with {st.manifest["trials"]} trials per point (common random
numbers across schemes), seed {st.manifest["seeds"]["equilibrium_utilities"]}.
"""
    for p in save(fig, "fig7_incentives", caption, args.out):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
