"""Figure 1: Align and its baselines as the candidate budget N grows, models G and B, and
what each protocol costs in principal (judge) evaluations.

Reads the study ``simulations/fig1_budget.py`` (``results/sim/fig1_budget.*``): lines are
closed forms, points with ±2 standard-error bars are the study's Monte Carlo estimates.

Run ``python paper_figures/fig1_budget.py [--results DIR] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence

from align_theory.pipeline import load_study, records
from align_theory.plotting import band, figure_args, mc_handle, protocol_style, save, subplots

ORDER = [
    "Oracle",
    "PrincipalBestOfN",
    "Shortlist",
    "Align",
    "SingleAgent",
    "MajorityVote",
    "RandomPick",
]


def main(argv: Sequence[str] | None = None) -> int:
    args = figure_args(__doc__.split("\n")[0], default_trials=2, quick_trials=2, argv=argv)
    st = load_study("fig1_budget", args.results)
    par = st.parameters
    ns, m = par["NS"], par["M"]
    trials = st.manifest["trials"]
    fig, axes = subplots(3, 1, height=6.6, gridspec_kw={"height_ratios": [2.0, 2.0, 1.15]})
    for ax, key, scale in ((axes[0], "G", 1.0), (axes[1], "B", 100.0)):
        for name in ORDER:
            ex = records(st["exact"], model=key, name=name)
            if not ex:
                continue
            sty = protocol_style(name)
            ax.plot(
                [r["n"] for r in ex],
                [scale * r["mean"] for r in ex],
                **protocol_style(name, marker=None),
            )
            mc = records(st["mc"], model=key, name=name)
            band(
                ax,
                [r["n"] for r in mc],
                [scale * r["mean"] for r in mc],
                [scale * r["stderr"] for r in mc],
                color=sty["color"],
                marker=sty["marker"],
                markerfacecolor="white" if name in ("Shortlist", "SingleAgent") else None,
            )
        ax.set_xscale("log", base=2)
        ax.set_xticks(ns, [str(n) for n in ns])
    axes[0].set_ylabel("expected utility E[x] (σ)")
    axes[0].set_title("(a) model G: ρ = 0, τ = 1σ, judge noise κ = 0.5σ", loc="left")
    axes[1].set_ylabel("accuracy (%)")
    axes[1].set_title("(b) model B: mean 0.6, ICC 0.2 (even N: vote ties at random)", loc="left")
    axes[1].set_ylim(50, 101)
    # (c) the cost: principal evaluations per question
    for name in ("PrincipalBestOfN", "Shortlist", "Align"):
        ex = records(st["exact"], model="G", name=name)
        kw = protocol_style(name)
        if name == "Align":
            kw["label"] = f"Align and Shortlist ({m} calls)"
        elif name == "Shortlist":
            kw["linewidth"] = 3.0
        axes[2].plot([r["n"] for r in ex], [r["principal_evaluations"] for r in ex], **kw)
    axes[2].set_xscale("log", base=2)
    axes[2].set_yscale("log", base=2)
    axes[2].set_xticks(ns, [str(n) for n in ns])
    axes[2].set_yticks([4, 16, 64], ["4", "16", "64"])
    axes[2].minorticks_off()
    axes[2].set_ylabel("judge calls\nper question")
    axes[2].set_xlabel("candidate budget N (candidates per question)")
    axes[2].set_title("(c) cost (SingleAgent, vote, RandomPick: 0 calls)", loc="left")
    handles, labels = axes[1].get_legend_handles_labels()
    handles.append(mc_handle())
    labels.append("Monte Carlo ± 2 s.e.")
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    g = {r["name"]: r["mean"] for r in records(st["exact"], model="G", n=ns[-1])}
    caption = f"""
Figure 1. Expected utility of Align and its baselines as the candidate budget N grows, at
equal N, and their cost. Lines: closed forms. Points with bars: Monte Carlo means ± 2
standard errors ({trials} trials per point, at every N in {ns}; seed
{st.manifest["seeds"]["sweep"]}). Align: M = {m} agents × K = N/{m} candidates, each agent
proposes its argmax of its score y, the principal picks the largest judge score x̂ ({m}
judge calls). Shortlist: one agent sends its top {m} by y to the same judge ({m} judge
calls); PrincipalBestOfN: the judge scores all N (N judge calls); Oracle: best of N (an
upper bound, no real evaluation); SingleAgent: argmax y over N; RandomPick: one candidate.
(a) Model G, utility in units of σ: mu=0, sigma=1, rho=0, tau=1, kappa=0.5, beta=0.
Align is below PrincipalBestOfN, which spends N judge calls instead of {m}, and below
Shortlist: with independent candidates (rho_b = rho_w) the single agent's top {m} by y are
better than {m} per-agent maxima (the iid case of statement T6; Align wins only through
diversity, Figure 6). At N = {ns[-1]}: Align {g["Align"]:.3f}, Shortlist
{g["Shortlist"]:.3f}, PrincipalBestOfN {g["PrincipalBestOfN"]:.3f}, SingleAgent
{g["SingleAgent"]:.3f}. MajorityVote is not defined for real-valued quality and is
omitted. (b) Model B, accuracy in %: theta ~ Beta with mean 0.6 and intra-class
correlation 0.2 (a={par["B_a"]:.4g}, b={par["B_b"]:.4g}), one wrong answer (worst case for
voting), agent verifier (tpr, fpr) = (0.8, 0.3), principal verifier (0.9, 0.1).
MajorityVote at even N can tie between the two answers; a tie is broken uniformly at
random. (c) Principal (judge) evaluations per question.
"""
    for p in save(fig, "fig1_budget", caption, args.out):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
