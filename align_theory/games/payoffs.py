r"""Payoffs of the delegation game (T7): proposals, the principal's selection and each
agent's payment under a scheme, for whole strategy profiles or every grid deviation of one
agent on common random numbers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from align_theory.games.draws import GameDraws
from align_theory.games.strategies import Rule, Scheme, Strategy, StrategyGrid

__all__ = ["deviation_payoffs", "judge_overestimate", "principal_utility"]


def _propose(d: GameDraws, a: int, props: np.ndarray) -> tuple[np.ndarray, ...]:
    """Agent a's proposal under each (w_b, w_t) row of ``props`` (P, 2): arrays (P, T) of
    the proposed candidate's x, y, x̂, t."""
    score = (
        d.y[None, :, a, :]
        + props[:, 0, None, None] * d.b[None, :, a, :]
        + props[:, 1, None, None] * d.t[None, :, a, :]
    )
    k = np.argmax(score, axis=2)[..., None]

    def g(arr: np.ndarray) -> np.ndarray:
        return np.take_along_axis(np.broadcast_to(arr[None, :, a, :], score.shape), k, 2)[..., 0]

    return g(d.x), g(d.y), g(d.xh), g(d.t)


def _score(
    d: GameDraws, a: int, y: np.ndarray, xh: np.ndarray, s: float, sh: float, rule: Rule
) -> np.ndarray:
    """The principal's ranking score of agent a's proposal with report μ + s(y − μ) + δ."""
    mu = d.model.mu
    return rule.w_r * (mu + s * (y - mu) + sh - d.c[a]) + rule.w_x * xh


def _profile_outcome(
    d: GameDraws, profile: Sequence[Strategy], rule: Rule
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For a full profile: (score, x, x̂) of every agent's proposal, arrays (T, M), and the
    selected agent a* (T,)."""
    cols = []
    for a, st in enumerate(profile):
        px, py, pxh, _ = _propose(d, a, np.array([[st.w_b, st.w_t]]))
        cols.append((_score(d, a, py[0], pxh[0], st.scale, st.shift, rule), px[0], pxh[0]))
    score = np.stack([c[0] for c in cols], 1)
    x = np.stack([c[1] for c in cols], 1)
    xh = np.stack([c[2] for c in cols], 1)
    return score, x, xh, np.argmax(score, axis=1)


def principal_utility(d: GameDraws, profile: Sequence[Strategy], rule: Rule) -> np.ndarray:
    r"""Per-trial principal utility x_{a*} of a profile under a rule.

    a* = argmax_a w_r(r_a − c_a) + w_x x̂_a, with agent a proposing
    k*_a = argmax_k y + w_b b + w_t t and reporting r_a = μ + s(y_{a,k*} − μ) + δ.

    Parameters
    ----------
    d : GameDraws
        The draws.
    profile : sequence of Strategy
        One strategy per agent.
    rule : Rule
        The principal's announced rule.

    Returns
    -------
    numpy.ndarray
        x_{a*} per trial, shape (trials,).

    Examples
    --------
    >>> from align_theory.games.draws import draw_game
    >>> from align_theory.models import GaussianModel
    >>> d = draw_game(GaussianModel(tau=0.0), 3, 2, trials=4, seed=0)
    >>> u = principal_utility(d, (Strategy(),) * 3, Rule(1.0, 0.0))
    >>> bool(np.allclose(u, d.x.reshape(4, -1).max(1)))  # τ = 0, trust y: the pool's best
    True
    """
    _, x, _, sel = _profile_outcome(d, profile, rule)
    return np.take_along_axis(x, sel[:, None], 1)[:, 0]


def judge_overestimate(d: GameDraws, profile: Sequence[Strategy], rule: Rule) -> np.ndarray:
    """Per-trial x̂_{a*} − x_{a*} = βb_{a*} + κν_{a*}: how much the judge overrates the
    selected proposal (its mean measures selection on the bias feature b).

    Parameters
    ----------
    d, profile, rule
        As in :func:`principal_utility`.

    Returns
    -------
    numpy.ndarray
        x̂_{a*} − x_{a*} per trial, shape (trials,).

    Examples
    --------
    >>> from align_theory.games.draws import draw_game
    >>> from align_theory.models import GaussianModel
    >>> d = draw_game(GaussianModel(kappa=0.0), 2, 2, trials=3, seed=0)
    >>> judge_overestimate(d, (Strategy(),) * 2, Rule(0.0, 1.0)).tolist()  # x̂ = x
    [0.0, 0.0, 0.0]
    """
    _, x, xh, sel = _profile_outcome(d, profile, rule)
    return np.take_along_axis(xh - x, sel[:, None], 1)[:, 0]


def _pay(
    scheme: Scheme, d: GameDraws, win: np.ndarray, x_sel: np.ndarray, t_own: np.ndarray
) -> np.ndarray:
    if scheme.kind == "team":
        return x_sel
    if scheme.kind == "tournament":
        return win.astype(float)
    if scheme.kind == "tournament_correct":
        bar = d.model.mu + scheme.correct_sd * d.model.sigma
        return (win & (x_sel > bar)).astype(float)
    return win * (1.0 + scheme.lam * t_own)


def deviation_payoffs(
    d: GameDraws,
    profile: Sequence[Strategy],
    agent: int,
    scheme: Scheme,
    rule: Rule,
    grid: StrategyGrid,
) -> np.ndarray:
    """Per-trial payoff of ``agent`` for every grid strategy while the others play
    ``profile``; all rows use the same draws (CRN), so row differences are paired. Agent a
    wins iff its score w_r(r_a − c_a) + w_x x̂_a exceeds every other proposal's score (ties
    have probability 0) and is paid as ``scheme`` says.

    Parameters
    ----------
    d : GameDraws
        The draws.
    profile : sequence of Strategy
        The others' strategies (the entry of ``agent`` is ignored).
    agent : int
        The deviating agent, 0 ≤ agent < M.
    scheme : Scheme
        The incentive scheme.
    rule : Rule
        The principal's rule.
    grid : StrategyGrid
        The deviations evaluated, in grid order.

    Returns
    -------
    numpy.ndarray
        Payoffs of shape (len(grid), trials).

    Examples
    --------
    >>> from align_theory.games.draws import draw_game
    >>> from align_theory.models import GaussianModel
    >>> d = draw_game(GaussianModel(kappa=1.0), 2, 2, trials=400, seed=0)
    >>> g = StrategyGrid(w_b=(0.0,), w_t=(0.0,), shifts=(5.0,), scales=())
    >>> pay = deviation_payoffs(d, (Strategy(),) * 2, 0, Scheme.tournament(), Rule(1.0, 0.0), g)
    >>> pay.shape, bool(pay[1].mean() > pay[0].mean())  # inflating the report wins more
    ((2, 400), True)
    """
    others = [j for j in range(d.agents) if j != agent]
    if others:
        score, x, _, _ = _profile_outcome(d, profile, rule)
        so, xo = score[:, others], x[:, others]
        j = np.argmax(so, axis=1)[:, None]
        best_s = np.take_along_axis(so, j, 1)[:, 0]
        best_x = np.take_along_axis(xo, j, 1)[:, 0]
    else:
        best_s = np.full(d.trials, -np.inf)
        best_x = np.zeros(d.trials)
    props = np.array(grid.proposals)
    px, py, pxh, pt = _propose(d, agent, props)
    rows = []
    for p in range(len(props)):
        for s, sh in grid.reports:
            win = _score(d, agent, py[p], pxh[p], s, sh, rule) > best_s
            x_sel = np.where(win, px[p], best_x)
            rows.append(_pay(scheme, d, win, x_sel, pt[p]))
    return np.stack(rows)
