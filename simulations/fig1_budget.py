"""Study for figure 1: Align and its baselines as the candidate budget N grows, models G and B.

One :func:`~align_theory.sweep.sweep` per model over every (protocol, N) pair (Monte Carlo,
common seed), the closed form of every pair, and each protocol's cost (candidates and
principal evaluations). Tables: ``mc`` (sweep rows), ``exact`` (closed forms and costs).

Run ``python simulations/fig1_budget.py [--quick] [--trials N] [--out DIR]``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

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
    expected_utility,
)
from align_theory.montecarlo.sweep import sweep
from align_theory.pipeline import study_args, write_study
from align_theory.protocols import Protocol

M = 4
NS = [4, 8, 16, 32, 64, 128]
SEED = 1
G = GaussianModel(mu=0.0, sigma=1.0, tau=1.0, kappa=0.5)
B = BernoulliModel.from_mean_icc(
    0.6, 0.2, agent_tpr=0.8, agent_fpr=0.3, principal_tpr=0.9, principal_fpr=0.1
)
MODELS: dict[str, GaussianModel | BernoulliModel] = {"G": G, "B": B}


def protocols(n: int, votes: bool) -> dict[str, Protocol]:
    """The compared protocols at budget n (MajorityVote only where answers are discrete;
    at even n its ties between the two leading answers are broken uniformly at random)."""
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


def main(argv: Sequence[str] | None = None) -> int:
    args = study_args(__doc__.split("\n")[0], argv)
    trials = args.trials_or(6_000, 2_000)
    t0 = time.perf_counter()
    mc: list[dict] = []
    exact: list[dict] = []
    for key, model in MODELS.items():
        named = [(name, n, p) for n in NS for name, p in protocols(n, key == "B").items()]
        by_repr = {repr(p): (name, n) for name, n, p in named}
        rows = sweep(
            lambda model=model: model,
            [p for _, _, p in named],
            [{}],
            trials=trials,
            seed=SEED,
            progress=False,
        )
        for r in rows:
            name, n = by_repr[r["protocol"]]
            mc.append({"model": key, "name": name, "n": n, **r})
        for name, n, p in named:
            cost = p.cost
            exact.append(
                {
                    "model": key,
                    "name": name,
                    "n": n,
                    "protocol": repr(p),
                    "mean": expected_utility(model, p),
                    "candidates": cost.candidates,
                    "principal_evaluations": cost.principal_evaluations,
                }
            )
    write_study(
        args,
        __file__,
        {"mc": mc, "exact": exact},
        parameters={"M": M, "NS": NS, "G": repr(G), "B": repr(B), "B_a": B.a, "B_b": B.b},
        seeds={"sweep": SEED},
        trials=trials,
        seconds=time.perf_counter() - t0,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
