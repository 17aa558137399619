"""Figure 1: Align and its baselines as the candidate budget N grows, models G and B.

Lines are closed forms (:func:`align_theory.expected_utility`); points with ±2 standard-error
bars are Monte Carlo estimates (:func:`align_theory.compare`, common random numbers across
the protocols of one N). Align uses M = 4 agents with K = N/4 candidates each and the judge
principal; Shortlist sends the single agent's top 4 to the same judge.

Run ``python paper_figures/fig1_budget.py [--quick] [--trials N]``.
"""

from __future__ import annotations

import time

from align_theory import (
    Align,
    BernoulliModel,
    GaussianModel,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
    compare,
    expected_utility,
)
from align_theory.plotting import band, figure_args, mc_handle, protocol_style, save, subplots
from align_theory.protocols import Protocol

M = 4
NS = [4, 8, 16, 32, 64, 128]
G = GaussianModel(mu=0.0, sigma=1.0, tau=1.0, kappa=0.5)
B = BernoulliModel.from_mean_icc(
    0.6, 0.2, agent_tpr=0.8, agent_fpr=0.3, principal_tpr=0.9, principal_fpr=0.1
)


def protocols(n: int, votes: bool) -> dict[str, Protocol]:
    """The compared protocols at budget n (MajorityVote only where answers are discrete)."""
    out: dict[str, Protocol] = {
        "Oracle": Oracle(n),
        "PrincipalBestOfN": PrincipalBestOfN(n),
        "Shortlist": Shortlist(n, M, "judge"),
        "Align": Align(M, n // M, "judge"),
        "SingleAgent": SingleAgent(n),
    }
    if votes:
        out["MajorityVote"] = MajorityVote(n)
    out["RandomPick"] = RandomPick(n)
    return out


def main() -> int:
    args = figure_args(__doc__.split("\n")[0], default_trials=10_000, quick_trials=2_000)
    mc_ns = [32] if args.quick else [8, 64]
    t0 = time.perf_counter()
    fig, axes = subplots(2, 1, height=4.7)
    for ax, model, votes, scale in ((axes[0], G, False, 1.0), (axes[1], B, True, 100.0)):
        names = list(protocols(NS[0], votes))
        for name in names:
            y = [scale * expected_utility(model, protocols(n, votes)[name]) for n in NS]
            ax.plot(NS, y, **protocol_style(name, marker=None))
        for n in mc_ns:
            protos = protocols(n, votes)
            res = compare(model, list(protos.values()), trials=args.trials, seed=n, progress=False)
            for name, est in zip(protos, res.estimates, strict=True):
                st = protocol_style(name)
                band(
                    ax,
                    [n],
                    [scale * est.mean],
                    [scale * est.stderr],
                    color=st["color"],
                    marker=st["marker"],
                )
        ax.set_xscale("log", base=2)
        ax.set_xticks(NS, [str(n) for n in NS])
        ax.set_xlabel("candidate budget N (candidates per question)")
    axes[0].set_ylabel("expected utility E[x] (σ units)")
    axes[0].set_title("(a) model G: ρ = 0, τ = 1σ, judge noise κ = 0.5σ", loc="left")
    axes[1].set_ylabel("accuracy (%)")
    axes[1].set_title("(b) model B: mean 0.6, ICC 0.2, verifiers (0.8, 0.3)/(0.9, 0.1)", loc="left")
    axes[1].set_ylim(50, 101)
    handles, labels = axes[1].get_legend_handles_labels()
    handles.append(mc_handle())
    labels.append("Monte Carlo ± 2 s.e.")
    fig.legend(handles, labels, loc="outside lower center", ncol=4)
    seconds = time.perf_counter() - t0
    caption = f"""
Figure 1. Expected utility of Align and its baselines as the candidate budget N grows, at
equal N. Lines: closed forms. Points with bars: Monte Carlo means ± 2 standard errors
({args.trials} trials per point, common random numbers across protocols at each N,
N in {mc_ns}). Align: M = {M} agents × K = N/{M} candidates, each agent proposes its argmax
of its score y, the principal picks the largest judge score x̂. Shortlist: one agent sends
its top {M} by y to the same judge; PrincipalBestOfN: the judge scores all N; Oracle: best
of N; SingleAgent: argmax y over N; RandomPick: one candidate.
(a) Model G, utility in units of σ: mu=0, sigma=1, rho_between=rho_within=0, tau=1,
kappa=0.5, beta=0. MajorityVote is not defined for real-valued quality and is omitted.
(b) Model B, accuracy in %: theta ~ Beta with mean 0.6 and intra-class correlation 0.2
(a={B.a:.4g}, b={B.b:.4g}), one wrong answer (worst case for voting), agent verifier
(tpr, fpr) = (0.8, 0.3), principal verifier (0.9, 0.1).
Budgets N = {NS}. Generated in {seconds:.0f} s.
"""
    for p in save(fig, "fig1_budget", caption, args.out):
        print(p)
    print(f"fig1_budget: {seconds:.1f} s ({args.trials} trials per Monte Carlo point)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
