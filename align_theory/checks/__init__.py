r"""The statement checks of ``align verify``, and :func:`all_checks`, the one list of its rows.

Modules (none imports another in a circle; all build on :mod:`align_theory.exact`,
:mod:`align_theory.montecarlo`, the models' own numpy laws and :mod:`align_theory.games`):

* :mod:`~align_theory.checks.selection` — selection rules applied literally to drawn candidates;
* :mod:`~align_theory.checks.statements` — T1–T5 (and the published majority value);
* :mod:`~align_theory.checks.diversity` — T6 (Gaussian, Bernoulli, against Shortlist);
* :mod:`~align_theory.checks.laws` — T2 on non-Gaussian, non-exchangeable laws;
* :mod:`~align_theory.checks.posterior` — T2 in nested model G with the true posterior mean;
* :mod:`~align_theory.checks.regimes` — the regimes where Align loses;
* :mod:`~align_theory.checks.voting` — published voting phenomena;
* :mod:`~align_theory.checks.incentives` — T7 over the delegation game.

Every check returns a :class:`~align_theory.results.Report`: two independent computations
and the statement's verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from align_theory.checks.diversity import check_t6_bernoulli, check_t6_gaussian, check_t6_shortlist
from align_theory.checks.incentives import (
    check_t7_bias,
    check_t7_team,
    check_t7_threshold,
    check_t7_tournament,
)
from align_theory.checks.laws import LAWS, check_t2_general
from align_theory.checks.posterior import NESTED_CASES, check_t2_nested, regime_linear_nested
from align_theory.checks.regimes import (
    regime_beyond_kappa_star,
    regime_biased_judge,
    regime_low_recall,
    regime_majority_easy,
    regime_reliable_agent,
    regime_shortlist_iid,
)
from align_theory.checks.statements import (
    check_majority_published,
    check_t1,
    check_t2,
    check_t3,
    check_t4,
    check_t5,
)
from align_theory.checks.voting import CHEN_SHAPES, check_beta_binomial_limit, check_chen_shape
from align_theory.models import BernoulliModel, GaussianModel
from align_theory.results import Report

__all__ = ["all_checks", "run_checks"]

Check = Callable[[], Report]


def all_checks(trials: int = 20_000) -> list[Check]:
    r"""Every row of ``align verify``, in order: T1–T6 at a few parameter points, T2 on
    non-Gaussian laws, the regimes where Align loses, the published voting phenomena, T7.

    To add a row, append a zero-argument callable returning a
    :class:`~align_theory.results.Report` (usually ``partial(check, ..., trials=t)``) to
    the list below; nothing else lists the rows.

    Parameters
    ----------
    trials : int
        Monte Carlo trials per row.

    Returns
    -------
    list of callables
        Each returns one :class:`~align_theory.results.Report` when called.

    Examples
    --------
    >>> rows = all_checks(trials=1000)
    >>> len(rows) >= 38, rows[0]().statement
    (True, 'T1')
    """
    t = trials
    diverse = GaussianModel(rho_between=0.2, rho_within=0.7, tau=0.5)
    rows: list[Check] = []
    # T1: dominance on common random numbers
    for gm in (
        GaussianModel(),
        GaussianModel(rho_between=0.2, rho_within=0.6, tau=0.5, kappa=1.0),
        GaussianModel(tau=0.3, kappa=2.0, agent_offsets=(0.0, 0.5, -0.5, 1.0)),
    ):
        rows.append(partial(check_t1, gm, 4, 4, trials=t))
    bt1 = BernoulliModel(1.05, 1.283, agent_tpr=0.8, agent_fpr=0.3)
    rows.append(partial(check_t1, bt1, 4, 4, trials=t))
    # T2: information dominance (homogeneous model G)
    for kappa in (0.0, 1.0, 3.0):
        rows.append(partial(check_t2, GaussianModel(kappa=kappa), 4, 4, trials=t))
    gm2 = GaussianModel(rho_between=0.5, rho_within=0.5, tau=0.5, kappa=0.7)
    rows.append(partial(check_t2, gm2, 8, 2, trials=t))
    # T2 in nested model G: the true posterior mean (no closed form), JAX vs numpy
    rows += [
        partial(check_t2_nested, gm, m, k, name=nm, trials=t)
        for nm, (gm, m, k) in NESTED_CASES.items()
    ]
    # T3: correlation enters through sigma_w
    rows += [partial(check_t3, 16, rho, 1.0, trials=t) for rho in (0.0, 0.5, 0.9)]
    # T5: model B closed forms
    for bm in (
        BernoulliModel(
            1.05, 1.283, agent_tpr=0.8, agent_fpr=0.3, principal_tpr=0.9, principal_fpr=0.2
        ),
        BernoulliModel.from_mean_icc(
            0.3, 0.2, agent_tpr=0.7, agent_fpr=0.2, principal_tpr=0.8, principal_fpr=0.1
        ),
    ):
        rows.append(partial(check_t5, bm, 4, 4, trials=t))
    rows.append(partial(check_majority_published, trials=t))
    # T4: the judge-noise crossover
    rows += [
        partial(check_t4, m, k, tau, trials=t)
        for m, k, tau in ((4, 4, 0.5), (2, 8, 1.0), (8, 2, 0.25))
    ]
    # T6: agent diversity
    rows.append(partial(check_t6_gaussian, diverse, 4, 4, trials=t))
    # E θ = 0.3 ≠ ½: a Beta(cθ, c(1−θ)) with its arguments swapped changes the coverage
    for bm in (BernoulliModel(2.0, 2.0, diversity=2.0), BernoulliModel(1.2, 2.8, diversity=1.5)):
        rows.append(partial(check_t6_bernoulli, bm, 4, 4, trials=t))
    rows.append(partial(check_t6_shortlist, diverse, 4, 4, trials=t))
    # T2 on non-Gaussian, non-exchangeable laws
    rows += [partial(check_t2_general, law, 4, 4, name=nm, trials=t) for nm, law in LAWS.items()]
    # regimes where Align loses
    rows += [
        partial(regime_reliable_agent, trials=t),
        partial(regime_beyond_kappa_star, trials=t),
        partial(regime_low_recall, trials=t),
        partial(regime_biased_judge, trials=t),
        partial(regime_shortlist_iid, trials=t),
        partial(regime_majority_easy, trials=t),
        partial(regime_linear_nested, trials=t),
    ]
    # published voting phenomena
    rows += [partial(check_chen_shape, case, trials=t) for case in CHEN_SHAPES]
    rows.append(partial(check_beta_binomial_limit, trials=t))
    # T7: incentives
    rows += [
        partial(check_t7_team, trials=t),
        partial(check_t7_tournament, trials=t),
        partial(check_t7_bias, trials=t),
        partial(check_t7_threshold, False, trials=t),
        partial(check_t7_threshold, True, trials=t),
    ]
    return rows


def run_checks(checks: list[Check]) -> list[Report]:
    """Evaluate each check in order.

    Parameters
    ----------
    checks : list of callables
        Rows as returned by :func:`all_checks`.

    Returns
    -------
    list of Report
        One report per row.

    Examples
    --------
    >>> [r.statement for r in run_checks(all_checks(trials=500)[:1])]
    ['T1']
    """
    return [c() for c in checks]
