r"""The delegation game of T7: incentive schemes, best responses, equilibria, trust, and
threshold delegation with and without competition.

Everything here is *computed* on finite strategy grids by Monte Carlo on common random
numbers (CRN); what is *proved* (and where) is listed in ``docs/incentives.md``.

The game in model G (one question)
----------------------------------
Candidates (x, y, x̂, b) are drawn from :class:`~align_theory.models.GaussianModel`
(``docs/model.md`` §1), plus a private *taste* t_{a,k} ~ N(0, 1) iid (used only by the
``misaligned`` scheme). Agent a sees y_{a,k}, b_{a,k} and t_{a,k} of its own K candidates.

* :mod:`~align_theory.games.strategies`: agent strategies σ_a = (w_b, w_t, s, δ), the finite
  grid, incentive schemes and the principal's rule a* = argmax_a w_r(r_a − c_a) + w_x x̂_a;
* :mod:`~align_theory.games.draws`: common-random-number draws of one game;
* :mod:`~align_theory.games.payoffs`: proposals, selection and payments;
* :mod:`~align_theory.games.equilibrium`: best responses, best-response iteration, the
  ε-equilibrium check on fresh draws, the principal's best announced trust;
* :mod:`~align_theory.games.threshold`: Kleinberg–Kleinberg threshold delegation on a scale
  mixture; :mod:`~align_theory.games.competition`: two competing agents.

This package imports nothing from :mod:`align_theory.checks` (the checks build on it).
"""

from align_theory.games.competition import CompetitionResult, competing_agents
from align_theory.games.draws import GameDraws, draw_game
from align_theory.games.equilibrium import (
    SWITCH_Z,
    TRUST_FACTORS,
    EquilibriumCheck,
    Solution,
    TrustResult,
    best_response,
    best_trust,
    check_equilibrium,
    equilibrium_utilities,
    solve_asymmetric,
    solve_symmetric,
)
from align_theory.games.payoffs import deviation_payoffs, judge_overestimate, principal_utility
from align_theory.games.strategies import Rule, Scheme, Strategy, StrategyGrid
from align_theory.games.threshold import (
    ThresholdResult,
    best_threshold,
    kk_delegation,
    kk_thresholds,
    mixture_emax,
    mixture_median_max,
    mixture_values,
    threshold_delegation,
)
from align_theory.models import GaussianModel

__all__ = [
    "SWITCH_Z",
    "TRUST_FACTORS",
    "CompetitionResult",
    "EquilibriumCheck",
    "GameDraws",
    "GaussianModel",
    "Rule",
    "Scheme",
    "Solution",
    "Strategy",
    "StrategyGrid",
    "ThresholdResult",
    "TrustResult",
    "best_response",
    "best_threshold",
    "best_trust",
    "check_equilibrium",
    "competing_agents",
    "deviation_payoffs",
    "draw_game",
    "equilibrium_utilities",
    "judge_overestimate",
    "kk_delegation",
    "kk_thresholds",
    "mixture_emax",
    "mixture_median_max",
    "mixture_values",
    "principal_utility",
    "solve_asymmetric",
    "solve_symmetric",
    "threshold_delegation",
]
