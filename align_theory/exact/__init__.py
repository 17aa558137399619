r"""Closed forms and deterministic quadrature: ``expected_utility(model, protocol)``.

* :mod:`~align_theory.exact.quadrature` — Gauss–Legendre and Gauss–Jacobi rules and the
  density of the maximum of K normals;
* :mod:`~align_theory.exact.gaussian` — model G (nested Gaussian) by nested quadrature;
* :mod:`~align_theory.exact.bernoulli` — model B (latent Beta difficulty) by the stage
  operator of T5 and beta-binomial sums;
* :mod:`~align_theory.exact.compositions` — model B votes, filter-vote and pooled diverse
  agents by sums over answer-count compositions;
* :mod:`~align_theory.exact.crossover` — T4's judge gap and crossover κ*, model B coverage;
* :mod:`~align_theory.exact.empirical` — recorded pools: the exact average over sub-pools.

Any model/protocol pair without a closed form raises ``NotImplementedError`` pointing at
:func:`align_theory.simulate`; sizes beyond a documented maximum raise ``ValueError``.
Nothing here imports JAX.
"""

from __future__ import annotations

from align_theory.exact.bernoulli import (
    bernoulli_utility,
    beta_binomial_majority,
    stage_operator,
    verifier_select,
)
from align_theory.exact.crossover import (
    coverage_diverse,
    crossover_kappa,
    judge_gap,
    kappa_star,
    kappa_star_table,
)
from align_theory.exact.empirical import (
    is_sampled,
    pool_utility,
    pool_values,
    pool_values_many,
)
from align_theory.exact.gaussian import (
    bivariate_normal_cdf,
    expected_max_normal,
    gaussian_utility,
    group_select,
)
from align_theory.models import BernoulliModel, EmpiricalPool, GaussianModel, Model
from align_theory.protocols import Protocol, protocol_spec

__all__ = [
    "beta_binomial_majority",
    "bivariate_normal_cdf",
    "coverage_diverse",
    "crossover_kappa",
    "expected_max_normal",
    "expected_utility",
    "group_select",
    "is_sampled",
    "judge_gap",
    "kappa_star",
    "kappa_star_table",
    "pool_utility",
    "pool_values",
    "pool_values_many",
    "stage_operator",
    "verifier_select",
]


def expected_utility(model: Model, protocol: Protocol) -> float:
    r"""E[x of the protocol's output] under ``model``, in closed form or by deterministic
    quadrature (absolute error below 1e-7; typically 1e-9 to 3e-8).

    Model G: every protocol except the vote protocols (undefined for continuous answers:
    ``ValueError``), for pools up to N = 2⁴⁰ (:data:`~align_theory.exact.gaussian.G_MAX_POOL`).
    Model B: every protocol, with uniform or Dirichlet wrong answers and agent diversity,
    for N ≤ 4096 (:data:`~align_theory.exact.bernoulli.B_MAX_N`; votes over m ≥ 2 wrong
    answers N ≤ 128, :data:`~align_theory.exact.compositions.VOTE_MAX_N`; binary
    MajorityVote and Oracle without diversity any N); larger sizes raise ``ValueError``
    naming the parameter and :func:`align_theory.simulate`. The ``linear`` and ``bayes``
    principals in model B and ``bayes`` in nested model G raise ``NotImplementedError``
    naming :func:`align_theory.simulate`. A recorded pool (:class:`EmpiricalPool`): every
    protocol, the exact average over its sub-pools
    (:func:`align_theory.exact.empirical.pool_values`).

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    protocol : Protocol
        Any registered protocol (:data:`align_theory.protocols.REGISTRY`).

    Returns
    -------
    float
        The expected utility E[x] of the selected candidate.

    Examples
    --------
    e₂ = E[max of two N(0, 1)] = 1/√π for a perfect single agent:

    >>> from align_theory import GaussianModel, SingleAgent, Align, BernoulliModel, Oracle
    >>> round(expected_utility(GaussianModel(tau=0.0), SingleAgent(2)), 10)
    0.5641895835
    >>> expected_utility(GaussianModel(), Align(4, 4)) >= expected_utility(
    ...     GaussianModel(), SingleAgent(16, agents=4))
    True
    >>> round(expected_utility(BernoulliModel(1.0, 1.0), Oracle(3)), 10)  # E[1-(1-θ)³]
    0.75
    """
    protocol_spec(protocol)  # unknown protocol types fail here, with the valid names
    if isinstance(model, EmpiricalPool):
        return pool_utility(model, protocol)
    if getattr(protocol, "principal", None) == "vote":
        raise ValueError(
            "the 'vote' principal is defined on recorded pools (EmpiricalPool) only, "
            f"not under {type(model).__name__}"
        )
    if isinstance(model, GaussianModel):
        return float(gaussian_utility(model, protocol))
    if isinstance(model, BernoulliModel):
        return float(bernoulli_utility(model, protocol))
    raise TypeError(f"unknown model {model!r}")
