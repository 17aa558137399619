r"""Selection rules applied literally to drawn candidates, shared by the statement checks.

Every function takes arrays of shape (trials, M, K) (or (trials, M)) from a model's own
numpy law (:func:`align_theory.models.sample`) and applies an argmax literally, so a check
that compares these against a closed form compares two independent computations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from align_theory.exact import expected_utility
from align_theory.models import BernoulliModel, GaussianDraws, GaussianModel
from align_theory.protocols import Align, Shortlist
from align_theory.results import Estimate, paired_difference

__all__ = [
    "align_vs_shortlist",
    "bernoulli_params",
    "gaussian_params",
    "one_agent_pools",
    "pick",
    "proposals",
    "single_agent",
    "take",
]


def take(arr: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``arr[..., idx]`` along the last axis, with ``idx`` of arr's shape minus that axis.

    Parameters
    ----------
    arr : numpy.ndarray
        Values, shape (..., n).
    idx : numpy.ndarray
        Integer indices, shape (...).

    Returns
    -------
    numpy.ndarray
        Shape (...).

    Examples
    --------
    >>> take(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1, 0])).tolist()
    [2.0, 3.0]
    """
    return np.take_along_axis(arr, idx[..., None], axis=-1)[..., 0]


def proposals(
    d: GaussianDraws, select_on: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Each agent's proposal k*_a = argmax_k of ``select_on`` (default y: truthful).

    Parameters
    ----------
    d : GaussianDraws
        Candidates, arrays (trials, M, K).
    select_on : numpy.ndarray, optional
        The agents' selection score, shape (trials, M, K).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        (x*, y*, x̂*) of the proposals, each (trials, M).

    Examples
    --------
    >>> d = GaussianModel(tau=0.0).sample(np.random.default_rng(0), 2, 3, 4)
    >>> xs, ys, _ = proposals(d)
    >>> bool(np.allclose(xs, d.x.max(-1))), xs.shape
    (True, (4, 2))
    """
    idx = np.argmax(d.y if select_on is None else select_on, axis=-1)
    return take(d.x, idx), take(d.y, idx), take(d.xhat, idx)


def pick(values: np.ndarray, score: np.ndarray) -> np.ndarray:
    """``values`` at argmax of ``score`` along the last axis (one value per trial).

    Parameters
    ----------
    values, score : numpy.ndarray
        Same shape (..., n).

    Returns
    -------
    numpy.ndarray
        Shape (...).

    Examples
    --------
    >>> pick(np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 5.0, 1.0]])).tolist()
    [2.0]
    """
    return take(values, np.argmax(score, axis=-1))


def single_agent(d: GaussianDraws) -> np.ndarray:
    """SingleAgent on the pool: x at the global argmax y over all M·K candidates.

    Parameters
    ----------
    d : GaussianDraws
        Candidates (trials, M, K).

    Returns
    -------
    numpy.ndarray
        x_{argmax y} per trial, shape (trials,).

    Examples
    --------
    >>> d = GaussianModel(tau=0.0).sample(np.random.default_rng(0), 2, 3, 4)
    >>> bool(np.allclose(single_agent(d), d.x.reshape(4, -1).max(-1)))
    True
    """
    t = d.x.shape[0]
    return pick(d.x.reshape(t, -1), d.y.reshape(t, -1))


def one_agent_pools(
    model: GaussianModel, agents: int, per_agent: int, trials: int, seed: int
) -> tuple[GaussianDraws, GaussianDraws]:
    """An M-agent pool and a one-agent pool of the same N = M·K candidates on common random
    numbers (same generator state; the one-agent pool shares agent 1's shift and offset).

    Parameters
    ----------
    model : GaussianModel
        The law.
    agents, per_agent, trials, seed : int
        M, K, questions and the numpy seed.

    Returns
    -------
    (GaussianDraws, GaussianDraws)
        The M-agent pool and the one-agent pool.

    Examples
    --------
    >>> multi, single = one_agent_pools(GaussianModel(rho_within=0.5), 2, 2, 3, 0)
    >>> bool(np.allclose(multi.x[:, 0], single.x[:, 0]))  # agent 1 is shared
    True
    """
    multi = model.sample(np.random.default_rng(seed), agents, per_agent, trials)
    single = model.sample(np.random.default_rng(seed), agents, per_agent, trials, one_agent=True)
    return multi, single


def align_vs_shortlist(
    model: GaussianModel,
    agents: int,
    per_agent: int,
    *,
    trials: int,
    seed: int,
) -> tuple[float, Estimate]:
    """Closed and Monte Carlo E[x_Align(M, K, exact)] − E[x_Shortlist(N, M, exact)].

    Align reads an M-agent pool (max over the agents' argmax-y proposals), Shortlist one
    agent's N candidates (top M by y, then the best x), on common random numbers.

    Parameters
    ----------
    model : GaussianModel
        The law.
    agents, per_agent : int
        M and K.
    trials, seed : int
        Monte Carlo size and seed.

    Returns
    -------
    (float, Estimate)
        The closed-form difference and its paired Monte Carlo estimate.

    Examples
    --------
    >>> closed, mc = align_vs_shortlist(GaussianModel(), 2, 2, trials=4000, seed=0)
    >>> closed < 0, abs(closed - mc.mean) < 4 * mc.stderr
    (True, True)
    """
    n = agents * per_agent
    closed = expected_utility(model, Align(agents, per_agent)) - expected_utility(
        model, Shortlist(n, agents)
    )
    multi, single = one_agent_pools(model, agents, per_agent, trials, seed)
    xs, _, _ = proposals(multi)
    t = single.x.shape[0]
    y1, x1 = single.y.reshape(t, -1), single.x.reshape(t, -1)
    top = np.argpartition(-y1, agents - 1, axis=-1)[:, :agents]
    sl = np.take_along_axis(x1, top, axis=-1).max(-1)
    return closed, paired_difference(xs.max(-1), sl)


def gaussian_params(model: GaussianModel) -> dict[str, Any]:
    """The model G parameters a report shows: ρ_b, ρ_w, τ, κ, β.

    Examples
    --------
    >>> gaussian_params(GaussianModel())["tau"]
    1.0
    """
    return {
        "rho_b": model.rho_between,
        "rho_w": model.rho_within,
        "tau": model.tau,
        "kappa": model.kappa,
        "beta": model.beta,
    }


def bernoulli_params(model: BernoulliModel) -> dict[str, Any]:
    """The model B parameters a report shows: a, b, s, f, s′, f′.

    Examples
    --------
    >>> bernoulli_params(BernoulliModel(2.0, 3.0))["s'"]
    1.0
    """
    return {
        "a": model.a,
        "b": model.b,
        "s": model.agent_tpr,
        "f": model.agent_fpr,
        "s'": model.principal_tpr,
        "f'": model.principal_fpr,
    }
