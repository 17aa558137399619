"""Figure 7 (pending): the principal's equilibrium utility under team, tournament and
misaligned incentives (statement T7).

This script is named ``pending_…`` so that ``align reproduce`` (which runs
``paper_figures/fig*.py``) does not pick it up while the incentives module
(``align_theory.incentives``, issue 5) has not landed: a fresh clone's main command must
exit 0. Until then it says so and exits 1. Once the module exists, this figure is to be
drawn from its equilibrium solver and the file renamed ``fig7_incentives.py``; until that
wiring is written the script exits 2 and says what is missing rather than drawing a
placeholder.

Run ``python paper_figures/pending_fig7_incentives.py [--quick] [--trials N]``.
"""

from __future__ import annotations

import importlib.util
import sys

from align_theory.plotting import figure_args


def main() -> int:
    figure_args(__doc__.split("\n")[0], default_trials=20_000, quick_trials=4_000)
    if importlib.util.find_spec("align_theory.incentives") is None:
        print(
            "fig7_incentives: the incentives module (align_theory.incentives, issue 5) has not "
            "landed; no figure drawn",
            file=sys.stderr,
        )
        return 1
    print(
        "fig7_incentives: align_theory.incentives exists but this figure is not yet wired to "
        "its equilibrium solver; see the module docstring",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
