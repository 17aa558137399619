r"""Common-random-number draws of one delegation game (T7) in model G.

The candidates (x, y, x̂, b) come from the model's own numpy law
(:meth:`align_theory.models.GaussianModel.sample`); the agents' private taste t_{a,k} ~ N(0, 1)
iid is drawn after them from the same stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from align_theory._validate import positive_int
from align_theory.models import GaussianModel

__all__ = ["GameDraws", "draw_game"]


@dataclass(frozen=True)
class GameDraws:
    """CRN draws of one game: arrays of shape (trials, M, K) and the offsets c (M,)."""

    model: GaussianModel
    x: np.ndarray
    y: np.ndarray
    xh: np.ndarray
    b: np.ndarray
    t: np.ndarray
    c: np.ndarray

    @property
    def trials(self) -> int:
        """Number of trials (questions)."""
        return int(self.x.shape[0])

    @property
    def agents(self) -> int:
        """Number of agents M."""
        return int(self.x.shape[1])


def draw_game(
    model: GaussianModel, agents: int, per_agent: int, *, trials: int, seed: int
) -> GameDraws:
    r"""Draw ``trials`` questions of the game: model G candidates and a private taste.

    x_{a,k} = μ + σ(√ρ_b Z₀ + √(ρ_w−ρ_b) A_a + √(1−ρ_w) Z_{a,k}), y = x + c_a + τη,
    x̂ = x + βb + κν (``model.sample``), then t_{a,k} ~ N(0, 1) iid.

    Parameters
    ----------
    model : GaussianModel
        The candidate law.
    agents, per_agent, trials : int
        M, K and the number of questions, each ≥ 1.
    seed : int
        Seed of the numpy PCG64 stream.

    Returns
    -------
    GameDraws
        Arrays x, y, x̂, b, t of shape (trials, M, K) and the offsets c_a.

    Examples
    --------
    >>> d = draw_game(GaussianModel(tau=0.0), 2, 3, trials=5, seed=0)
    >>> d.x.shape, d.agents, bool(np.allclose(d.x, d.y))
    ((5, 2, 3), 2, True)
    """
    m, k = positive_int("agents", agents), positive_int("per_agent", per_agent)
    n = positive_int("trials", trials)
    rng = np.random.default_rng(seed)
    g = model.sample(rng, m, k, n)
    t = rng.standard_normal((n, m, k))
    return GameDraws(model, g.x, g.y, g.xhat, g.b, t, model.offsets(m))
