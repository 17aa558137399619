"""Study for figure 5: model B accuracy against N for majority vote and Align on easy, hard
and mixed items.

Closed forms (no Monte Carlo): MajorityVote(N) at every N = 1..128 (even N: ties broken
uniformly at random) and Align(4, N/4) with agent and principal verifiers at N = 4..128,
on Beta item populations and their 50/50 mixture (a mixture's accuracy is the average of
its components'). Table ``curves`` (items, name, n, mean).

Run ``python simulations/fig5_majority.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from align_theory import Align, BernoulliModel, MajorityVote, expected_utility
from align_theory.pipeline import study_args, write_study
from align_theory.protocols import Protocol

M = 4
EASY = {"a": 17.0, "b": 3.0}  # mean 0.85
HARD = {"a": 12.0, "b": 18.0}  # mean 0.40
VERIFIERS = {"agent_tpr": 0.7, "agent_fpr": 0.2, "principal_tpr": 0.85, "principal_fpr": 0.1}
ITEMS = {"easy": [EASY], "hard": [HARD], "mixed": [EASY, HARD]}


def accuracy(components: list[dict[str, float]], protocol: Protocol) -> float:
    """Accuracy on an equal-weight mixture of Beta item populations (closed form)."""
    vals = [
        expected_utility(BernoulliModel(**c, **VERIFIERS), protocol)  # type: ignore[arg-type]
        for c in components
    ]
    return float(np.mean(vals))


def main(argv: Sequence[str] | None = None) -> int:
    args = study_args(__doc__.split("\n")[0], argv)
    vote_ns = list(range(1, 129))
    align_ns = [4, 8, 16, 32, 64, 128]
    t0 = time.perf_counter()
    rows = []
    for items, comps in ITEMS.items():
        for n in vote_ns:
            rows.append(
                {
                    "items": items,
                    "name": "MajorityVote",
                    "n": n,
                    "mean": accuracy(comps, MajorityVote(n)),
                }
            )
        for n in align_ns:
            rows.append(
                {
                    "items": items,
                    "name": "Align",
                    "n": n,
                    "mean": accuracy(comps, Align(M, n // M, "judge")),
                }
            )
    write_study(
        args,
        __file__,
        {"curves": rows},
        parameters={"M": M, "easy": EASY, "hard": HARD, "verifiers": VERIFIERS},
        trials=0,
        seconds=time.perf_counter() - t0,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
