r"""Competition in threshold delegation: two agents with anti-aligned tastes, each holding
half of the candidates, propose one each and the principal takes the more valuable one.

Agent a proposes its j_a-th most valuable candidate and is paid 1{selected}(1 + λu) with
u = (j_a − 1)/(K − 1) ∈ [0, 1] (its taste prefers *less* valuable candidates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from align_theory.results import Z_TOL, Estimate, estimate

__all__ = ["CompetitionResult", "competing_agents"]


@dataclass(frozen=True)
class CompetitionResult:
    """Two competing agents with anti-aligned tastes: the equilibrium ranks (j_0, j_1)
    (1 = propose own most valuable candidate), convergence, the ε-check (max unilateral gain
    and its paired stderr), the principal's payoff and the ratio to E[max v] of all n."""

    ranks: tuple[int, int]
    converged: bool
    gain: float
    gain_stderr: float
    payoff: Estimate
    emax: float

    @property
    def ratio(self) -> float:
        """payoff / E[max over all candidates]."""
        return self.payoff.mean / self.emax

    @property
    def is_equilibrium(self) -> bool:
        """No unilateral rank deviation gains beyond Z_TOL paired standard errors."""
        return self.gain <= Z_TOL * self.gain_stderr


def competing_agents(
    values: np.ndarray, *, lam: float = 1.0, emax: float, symmetric: bool = False
) -> CompetitionResult:
    r"""Two agents split the n candidates of each trial (columns :n/2 and n/2:); agent a
    proposes its j_a-th most valuable candidate; the principal selects the more valuable
    proposal (exact evaluation, no threshold). Agent a is paid 1{selected}(1 + λu) with
    u = (j_a − 1)/(K − 1) ∈ [0, 1]: its taste prefers *less* valuable candidates.

    Payoffs of every rank pair are computed on the same draws; best-response iteration
    starts from the taste-optimal profile (K, K) (symmetric: both move together), and the
    ε-check takes the max unilateral gain over both agents' ranks.

    Parameters
    ----------
    values : numpy.ndarray
        Values (trials, n), n even ≥ 4.
    lam : float
        Weight λ of the taste.
    emax : float
        E[max of all n values] (for the ratio).
    symmetric : bool
        Both agents move together in the iteration.

    Returns
    -------
    CompetitionResult
        Ranks, convergence, the ε-check and the principal's payoff.

    Examples
    --------
    >>> v = np.random.default_rng(0).exponential(size=(4000, 8))
    >>> res = competing_agents(v, lam=1.0, emax=sum(1 / j for j in range(1, 9)))
    >>> res.ranks, res.is_equilibrium
    ((1, 1), True)
    """
    t, n = values.shape
    k = n // 2
    if k < 2 or 2 * k != n:
        raise ValueError(f"competing_agents needs an even n >= 4, got {n}")
    srt = -np.sort(-values.reshape(t, 2, k), axis=2)  # descending per agent
    u = np.arange(k) / (k - 1)
    # pay[a][j0, j1, trial]
    win0 = srt[:, 0, :, None] > srt[:, 1, None, :]  # (T, K, K)
    pay0 = np.moveaxis(win0 * (1 + lam * u[None, :, None]), 0, 2)
    pay1 = np.moveaxis(~win0 * (1 + lam * u[None, None, :]), 0, 2)
    m0, m1 = pay0.mean(2), pay1.mean(2)
    j = [k - 1, k - 1]
    converged = False
    for _ in range(4 * k):
        if symmetric:
            nj = int(np.argmax(m0[:, j[1]]))
            new = [nj, nj]
        else:
            new = [int(np.argmax(m0[:, j[1]])), j[1]]
            new[1] = int(np.argmax(m1[new[0], :]))
        if new == j:
            converged = True
            break
        j = new
    d0 = np.delete(pay0[:, j[1], :] - pay0[j[0], j[1], :], j[0], axis=0)
    d1 = np.delete(pay1[j[0], :, :] - pay1[j[0], j[1], :], j[1], axis=0)
    gains = np.concatenate([d0.mean(1), d1.mean(1)])
    ses = np.concatenate([d0.std(1, ddof=1), d1.std(1, ddof=1)]) / math.sqrt(t)
    i = int(np.argmax(gains))
    prin = np.maximum(srt[:, 0, j[0]], srt[:, 1, j[1]])
    return CompetitionResult(
        (j[0] + 1, j[1] + 1), converged, float(gains[i]), float(ses[i]), estimate(prin), emax
    )
