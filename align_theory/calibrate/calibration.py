r"""Does the theory predict the run? Held-out predictions of every protocol at every budget.

The prediction of a protocol under the fitted extended model B is computed by drawing a large
synthetic pool from the model (:meth:`~align_theory.calibrate.model.ExtendedModel.sample_pool`)
and evaluating the protocol on it with the same pool engine, ``expected_utility(pool,
protocol)``, that evaluates the recorded pool: one implementation of each protocol.

* **Held out** (:func:`kfold`): the questions are split into ``folds`` disjoint folds; the
  model fitted on the other folds predicts each fold, and the cross-fitted prediction of a
  cell is Σ_f (|fold f|/Q)·pred_f — every question is predicted by a model that never saw it.
  It is compared with the pool's empirical value of the cell and its 95% bootstrap interval
  over questions.
* **Pilot to scale**: the model fitted on the first 10 and 20 questions predicts the whole
  run's curves.
* **Parametric uncertainty** (:func:`bootstrap_fits`): the questions are resampled with
  replacement and the whole model is refitted on each resample — every parameter, the
  integer number m of wrong alternatives and whether agent diversity is present included —
  and each refitted model predicts each cell; the 2.5% and 97.5% quantiles over the refits
  are the band of the full-data prediction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from align_theory._validate import positive_int
from align_theory.calibrate.fit import ModelFit, fit_model
from align_theory.calibrate.model import ExtendedModel
from align_theory.exact.empirical import pool_values_many
from align_theory.models import EmpiricalPool
from align_theory.protocols import (
    Align,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    Protocol,
    RandomPick,
    Shortlist,
    SingleAgent,
)
from align_theory.results import bootstrap as bootstrap_ci

__all__ = [
    "Calibration",
    "Cell",
    "Observed",
    "assumption_checks",
    "bootstrap_fits",
    "calibrate",
    "calibration_cells",
    "kfold",
    "observed_from_pool",
    "observed_from_results",
    "predict",
    "subset",
]

REFERENCES = ("Align-exact", "Oracle")
"""Cells that are upper references, not implementable rules: excluded from "best protocol"."""

ALL_AGENT_ROWS: tuple[tuple[str, str], ...] = (
    ("Align-judge", "ALIGN (all agents)"),
    ("Align-bayes", "ALIGN (all agents)"),
    ("Align-vote", "ALIGN (all agents)"),
    ("SingleAgent", "baselines"),
    ("MajorityVote", "baselines"),
    ("Shortlist", "baselines"),
    ("PrincipalBestOfN", "baselines"),
    ("RandomPick", "baselines"),
    ("Align-exact", "references"),
    ("Oracle", "references"),
)
"""The rows evaluated on the pool of all M agents × k samples, and their figure panel."""

GRID_RULES = ("Align-judge", "Align-bayes")
"""The ALIGN rules of the m × k table (the best split at each budget)."""


@dataclass(frozen=True)
class Cell:
    """One (protocol, budget) cell of the calibration table.

    Attributes
    ----------
    name : str
        The estimator's row name (``"Align-judge"``, ``"SingleAgent"``…).
    family : str
        The figure panel (``"ALIGN (all agents)"``, ``"baselines"``, ``"references"``,
        ``"ALIGN m x k"``).
    m, k : int
        The pool: m agents × k samples each, budget n = m·k.
    """

    name: str
    family: str
    m: int
    k: int
    source: tuple[int, int] | None = None

    @property
    def layout(self) -> tuple[int, int]:
        """The pool the cell is evaluated on: ``source`` (the whole M × K pool, read as one
        pipeline by :meth:`EmpiricalPool.pooled`) for Shortlist, else m × k."""
        return self.source or (self.m, self.k)

    @property
    def n(self) -> int:
        """The candidate budget n = m·k."""
        return self.m * self.k

    @property
    def label(self) -> str:
        """``name`` for all-agent rows, ``"Align-judge 2x3"`` for the m × k rows."""
        return f"{self.name} {self.m}x{self.k}" if self.family == "ALIGN m x k" else self.name

    @property
    def protocol(self) -> Protocol:
        """The cell as a protocol object of :mod:`align_theory.protocols`, what the pool
        engine evaluates."""
        n = self.n
        rule = self.name.split("-", 1)[1] if self.name.startswith("Align-") else ""
        if rule:
            return Align(self.m, self.k, rule)  # type: ignore[arg-type]
        table: dict[str, Protocol] = {
            "SingleAgent": SingleAgent(n, agents=self.m),
            "MajorityVote": MajorityVote(n, agents=self.m),
            "RandomPick": RandomPick(n, agents=self.m),
            "Shortlist": Shortlist(n, min(self.m, n), "judge"),
            "PrincipalBestOfN": PrincipalBestOfN(n, agents=self.m),
            "Oracle": Oracle(n, agents=self.m),
        }
        return table[self.name]


def calibration_cells(agents: int, per_agent: int) -> list[Cell]:
    """Every protocol at every budget n = M·k, k = 1..K, and the m × k grid of ALIGN.

    Rows: ALIGN with all M agents under every principal rule, the baselines on the same
    pool of M agents × k samples (Shortlist, as in the run report, is one pipeline over
    uniform n-subsets of the whole pool sending its top M to the judge), the references
    (ALIGN with an exact principal; Oracle = pass@n), and ALIGN-judge/-bayes with m agents
    × k samples for every m ≤ M, k ≤ K.

    Examples
    --------
    >>> cells = calibration_cells(2, 2)
    >>> sorted({c.family for c in cells})
    ['ALIGN (all agents)', 'ALIGN m x k', 'baselines', 'references']
    >>> len(cells), cells[-1].label, cells[-1].protocol
    (28, 'Align-bayes 2x2', Align(agents=2, per_agent=2, principal='bayes'))
    """
    m_all = positive_int("agents", agents)
    k_all = positive_int("per_agent", per_agent)
    cells = [
        Cell(nm, fam, m_all, k, (m_all, k_all) if nm == "Shortlist" else None)
        for k in range(1, k_all + 1)
        for nm, fam in ALL_AGENT_ROWS
    ]
    cells += [
        Cell(rule, "ALIGN m x k", m, k)
        for m in range(1, m_all + 1)
        for k in range(1, k_all + 1)
        for rule in GRID_RULES
    ]
    return cells


def kfold(questions: int, folds: int, seed: int = 0) -> list[np.ndarray]:
    """A uniformly random split of question indices 0..Q−1 into ``folds`` disjoint folds
    of sizes differing by at most one (every question in exactly one fold).

    Examples
    --------
    >>> [f.size for f in kfold(11, 3)]
    [4, 4, 3]
    >>> sorted(np.concatenate(kfold(11, 3)).tolist()) == list(range(11))
    True
    """
    q = positive_int("questions", questions, 2)
    f = positive_int("folds", folds, 2, q)
    perm = np.random.default_rng(seed).permutation(q)
    return [np.sort(part) for part in np.array_split(perm, f)]


def subset(pool: EmpiricalPool, idx: np.ndarray) -> EmpiricalPool:
    """The pool restricted to questions ``idx`` (in that order; repeats allowed, as in a
    bootstrap resample), keeping everything else: the agents' ranking rule
    (``vote_share``), the tokens, the question and agent names.

    Examples
    --------
    >>> ok = np.ones((3, 1, 2), bool)
    >>> pool = EmpiricalPool(ok, ok.astype(int), ok * 1.0, ok * 1.0, vote_share="primary")
    >>> sub = subset(pool, np.array([0, 2, 2]))
    >>> sub.shape, sub.vote_share
    ((3, 1, 2), 'primary')
    """
    ix = np.asarray(idx, dtype=np.int64)
    if ix.ndim != 1 or ix.size == 0 or ix.min() < 0 or ix.max() >= pool.shape[0]:
        raise ValueError(
            f"idx must be a non-empty 1-D array of indices in [0, {pool.shape[0]}), got {idx!r}"
        )
    return replace(
        pool,
        correct=pool.correct[ix],
        answers=pool.answers[ix],
        agent_score=pool.agent_score[ix],
        principal_score=pool.principal_score[ix],
        tokens=None if pool.tokens is None else pool.tokens[ix],
        questions=None if pool.questions is None else tuple(pool.questions[i] for i in ix),
    )


def bootstrap_fits(
    pool: EmpiricalPool, draws: int, rng: np.random.Generator, *, diversity: bool = True
) -> list[ModelFit]:
    r"""Refits of the whole model on question-level bootstrap resamples of the pool.

    Each draw resamples the Q questions with replacement (a question keeps all its M × K
    candidates) and refits :func:`fit_model` on the resample, so every fitted parameter
    varies from draw to draw: (a, b), the diversity c (and whether the model has it), the
    number m of wrong alternatives (an integer, profiled, so no normal approximation
    covers it) with its concentration α, and both score laws. The spread of a statistic over
    the refits estimates its sampling spread (the nonparametric bootstrap over questions,
    the unit the model treats as independent); it needs no asymptotic normality and holds
    under misspecification of the parts. A resample without both right and wrong candidates
    cannot be fitted and is drawn again.

    Parameters
    ----------
    pool : EmpiricalPool
        The pool the model was fitted to.
    draws : int
        Number of refits (≥ 1).
    rng : numpy.random.Generator
        Draws the resampled question indices.
    diversity : bool
        Passed to :func:`fit_model`.

    Returns
    -------
    list of ModelFit
        One fit per resample.

    Examples
    --------
    >>> from align_theory.calibrate.model import ScoreLaw
    >>> from align_theory.models import BernoulliModel
    >>> law = ScoreLaw(-1.0, 0.0, 1.0, 1.0, 0.2)
    >>> mdl = BernoulliModel(1.0, 3.0, wrong_answers=4, wrong_concentration=0.5)
    >>> pool = ExtendedModel(mdl, law, law).sample_pool(np.random.default_rng(0), 30, 2, 2)
    >>> fits = bootstrap_fits(pool, 4, np.random.default_rng(1), diversity=False)
    >>> [f.model.verdicts.wrong_answers for f in fits]  # m is refitted on every resample
    [9, 6, 3, 4]
    """
    if not isinstance(pool, EmpiricalPool):
        raise ValueError(f"pool must be an EmpiricalPool, got {type(pool).__name__}")
    positive_int("draws", draws)
    q = pool.shape[0]
    fits: list[ModelFit] = []
    for _ in range(20 * draws):
        idx = rng.integers(0, q, size=q)
        right = pool.correct[idx]
        if right.any() and not right.all():
            fits.append(fit_model(subset(pool, idx), diversity=diversity))
            if len(fits) == draws:
                return fits
    raise ValueError(
        f"pool must hold right and wrong candidates in enough questions to resample: "
        f"{20 * draws} resamples gave {len(fits)} fittable ones"
    )


def _values(pool: EmpiricalPool, cells: Sequence[Cell]) -> np.ndarray:
    """Per-question values (cells, Q) of every cell on ``pool`` by the pool engine
    (:func:`align_theory.exact.empirical.pool_values_many`: the exact average over
    sub-pools; ``bayes`` weights cross-fitted over the pool's questions)."""
    protos = [c.protocol for c in cells]
    plain = [p for c, p in zip(cells, protos, strict=True) if c.source is None]
    pooled = [p for c, p in zip(cells, protos, strict=True) if c.source is not None]
    out = pool_values_many(pool, plain) if plain else {}
    out_pooled = pool_values_many(pool.pooled(), pooled) if pooled else {}
    return np.stack(
        [(out_pooled if c.source else out)[p] for c, p in zip(cells, protos, strict=True)]
    )


def predict(
    model: ExtendedModel,
    cells: Sequence[Cell],
    *,
    questions: int = 1000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted value of every cell under ``model`` and its Monte Carlo standard error.

    For each pool layout m × k among the cells, draws ``questions`` synthetic questions of
    exactly m agents × k samples (an m × k sub-pool of an M × K draw has this law: the
    model's agents and samples are exchangeable) and evaluates every protocol on them with
    the pool engine (:func:`align_theory.exact.empirical.pool_values_many`), the code that
    computes the observed values. The generator is seeded by ``seed`` and the layout, so
    different models see common random numbers.

    Returns
    -------
    (mean, stderr) : tuple of numpy.ndarray, shape (len(cells),)

    Examples
    --------
    >>> from align_theory.calibrate.model import ScoreLaw
    >>> from align_theory.models import BernoulliModel
    >>> law = ScoreLaw(-1.0, 0.0, 1.0, 1.0)
    >>> mdl = ExtendedModel(BernoulliModel(1.0, 1.0), law, law)
    >>> mean, se = predict(mdl, [Cell("Oracle", "references", 1, 2)], questions=400)
    >>> bool(abs(mean[0] - 2 / 3) < 4 * se[0])  # E[1 − (1 − θ)²] = 2/3 for θ ~ U(0, 1)
    True
    """
    positive_int("questions", questions, 2)
    mean = np.zeros(len(cells))
    se = np.zeros(len(cells))
    for m, k in sorted({c.layout for c in cells}):
        rng = np.random.default_rng([seed, m, k])
        idx = [i for i, c in enumerate(cells) if c.layout == (m, k)]
        vals = _values(model.sample_pool(rng, questions, m, k), [cells[i] for i in idx])
        mean[idx] = vals.mean(axis=1)
        se[idx] = vals.std(axis=1, ddof=1) / math.sqrt(questions)
    return mean, se


@dataclass(frozen=True)
class Observed:
    """The pool's value of each cell and its 95% bootstrap interval over questions."""

    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def observed_from_results(results: dict[str, Any], cells: Sequence[Cell]) -> Observed:
    """Observed values and intervals of the cells from a run's ``results.json`` (the
    report's own numbers: ``grid`` entries ``"{m}x{k}"``).

    Examples
    --------
    >>> res = {"grid": {"1x1": {"estimates": {"Oracle": {"mean": 0.5, "lo": 0.4, "hi": 0.6}}}}}
    >>> observed_from_results(res, [Cell("Oracle", "references", 1, 1)]).hi.tolist()
    [0.6]
    """
    try:
        est = [results["grid"][f"{c.m}x{c.k}"]["estimates"][c.name] for c in cells]
    except KeyError as missing:
        raise ValueError(
            f"results must hold grid estimates for every cell, missing {missing}"
        ) from None
    return Observed(*(np.array([e[key] for e in est], dtype=float) for key in ("mean", "lo", "hi")))


def observed_from_pool(
    pool: EmpiricalPool, cells: Sequence[Cell], *, bootstrap: int = 2000, seed: int = 0
) -> Observed:
    """Observed values of the cells on a pool (the pool engine, as the run report) and
    percentile-bootstrap intervals over questions (:func:`align_theory.results.bootstrap`)."""
    vals = _values(pool, cells)
    keys = [f"{c.name}@{c.m}x{c.k}" for c in cells]
    est = bootstrap_ci(dict(zip(keys, vals, strict=True)), reps=bootstrap, seed=seed)
    return Observed(
        np.array([est[key].mean for key in keys]),
        np.array([est[key].lo for key in keys]),
        np.array([est[key].hi for key in keys]),
    )


@dataclass(frozen=True)
class Calibration:
    """Predicted against observed, cell by cell (arrays indexed like ``cells``).

    Attributes
    ----------
    cells : list of Cell
    observed, observed_lo, observed_hi : numpy.ndarray
        The pool's value of each cell and its 95% bootstrap interval over questions.
    predicted : numpy.ndarray
        The held-out (k-fold cross-fitted) prediction.
    predicted_full, predicted_lo, predicted_hi : numpy.ndarray
        The prediction of the model fitted on every question and its 95% parametric band
        (quantiles over the refits of :func:`bootstrap_fits`).
    mc_stderr : numpy.ndarray
        Monte Carlo standard error of ``predicted_full`` (the synthetic pool's size).
    pilots : dict of int to numpy.ndarray
        Predictions of models fitted on the first q questions only.
    fit : ModelFit
        The fit on every question.
    fold_fits : list of ModelFit
    diagnostics : dict
        Checks of the model's assumptions on the pool (:func:`assumption_checks`).
    settings : dict
    band_fits : list of ModelFit
        The bootstrap refits behind the band (empty with ``draws=0``).
    """

    cells: list[Cell]
    observed: np.ndarray
    observed_lo: np.ndarray
    observed_hi: np.ndarray
    predicted: np.ndarray
    predicted_full: np.ndarray
    predicted_lo: np.ndarray
    predicted_hi: np.ndarray
    mc_stderr: np.ndarray
    pilots: dict[int, np.ndarray]
    fit: ModelFit
    fold_fits: list[ModelFit]
    diagnostics: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    band_fits: list[ModelFit] = field(default_factory=list)

    @property
    def mae(self) -> float:
        """Mean absolute error of the held-out prediction over all cells."""
        return float(np.mean(np.abs(self.predicted - self.observed)))

    @property
    def inside(self) -> np.ndarray:
        """Cells whose held-out prediction lies in the empirical 95% interval."""
        return (self.predicted >= self.observed_lo - 1e-12) & (
            self.predicted <= self.observed_hi + 1e-12
        )

    @property
    def coverage(self) -> float:
        """Fraction of cells whose held-out prediction lies in the empirical 95% interval."""
        return float(self.inside.mean())

    def pilot_mae(self, questions: int) -> float:
        """Mean absolute error of the pilot fitted on the first ``questions`` questions."""
        return float(np.mean(np.abs(self.pilots[questions] - self.observed)))

    def _argmax(self, names: Sequence[str], vals: np.ndarray) -> str:
        return names[int(np.argmax(vals))]

    def best_protocols(self) -> list[dict[str, Any]]:
        """At each budget n = M·k: the observed and the predicted best implementable
        protocol among the all-agent rows (references excluded)."""
        out = []
        for n in sorted(
            {c.n for c in self.cells if c.family in ("ALIGN (all agents)", "baselines")}
        ):
            idx = [
                i
                for i, c in enumerate(self.cells)
                if c.n == n
                and c.family in ("ALIGN (all agents)", "baselines")
                and c.name not in REFERENCES
            ]
            names = [self.cells[i].name for i in idx]
            obs = self._argmax(names, self.observed[idx])
            pred = self._argmax(names, self.predicted[idx])
            out.append({"n": n, "observed": obs, "predicted": pred, "agree": obs == pred})
        return out

    def best_splits(self) -> list[dict[str, Any]]:
        """At each budget n with at least two m × k splits: the observed and predicted best
        split of ALIGN, per rule of :data:`GRID_RULES`."""
        out = []
        grid = [(i, c) for i, c in enumerate(self.cells) if c.family == "ALIGN m x k"]
        for rule in GRID_RULES:
            for n in sorted({c.n for _, c in grid}):
                idx = [i for i, c in grid if c.n == n and c.name == rule]
                if len(idx) < 2:
                    continue
                names = [f"{self.cells[i].m}x{self.cells[i].k}" for i in idx]
                obs = self._argmax(names, self.observed[idx])
                pred = self._argmax(names, self.predicted[idx])
                out.append(
                    {"rule": rule, "n": n, "observed": obs, "predicted": pred, "agree": obs == pred}
                )
        return out


def _within_auc(score: np.ndarray, correct: np.ndarray) -> float:
    """Mean over questions with right and wrong candidates of the within-question AUC."""
    aucs = []
    for s, c in zip(
        score.reshape(score.shape[0], -1), correct.reshape(correct.shape[0], -1), strict=True
    ):
        if c.all() or not c.any():
            continue
        diff = s[c][:, None] - s[~c][None, :]
        aucs.append(float(np.mean((diff > 0) + 0.5 * (diff == 0))))
    return float(np.mean(aucs)) if aucs else float("nan")


def assumption_checks(pool: EmpiricalPool, fit: ModelFit) -> dict[str, Any]:
    r"""Checks of the extended model's independence assumptions on a pool.

    * ``judge_auc_within`` (observed) against ``judge_auc_model`` (the fitted law's
      Φ(Δμ/√(σ₀²+σ₁²))): does the fitted binormal carry the judge's within-question
      discrimination?
    * ``judge_vs_share_wrong``: the mean over questions of the correlation, among *wrong*
      candidates, between the judge's logit x̂ and the candidate's answer's share of the
      question's candidates. The model makes x̂ independent of everything given correctness,
      so this is 0 there; a positive value means the judge's errors follow the agents'
      (the judge likes popular wrong answers).
    * ``wrong_match_within_agent`` / ``wrong_match_between_agents``: the probability that
      two wrong candidates of one question give the same answer, when they come from the
      same agent / from two agents. The model draws every wrong answer from the question's
      one Dirichlet law, so the two are equal there; a larger within-agent value means each
      agent repeats its own mistakes, which inflates its vote shares of wrong answers.
    * ``agent_accuracy``: per-agent accuracy (the model's agents are exchangeable).

    Examples
    --------
    >>> from align_theory.calibrate.model import ScoreLaw
    >>> from align_theory.models import BernoulliModel
    >>> law = ScoreLaw(-1.0, 0.0, 1.0, 1.0, 0.2)
    >>> truth = ExtendedModel(BernoulliModel(1.0, 2.0, wrong_answers=3), law, law, "vote")
    >>> pool = truth.sample_pool(np.random.default_rng(0), 300, 4, 4)
    >>> abs(assumption_checks(pool, fit_model(pool))["judge_vs_share_wrong"]) < 0.1
    True
    """
    c = pool.correct
    q = c.shape[0]
    flat_c = c.reshape(q, -1)
    ans = pool.answers.reshape(q, -1)
    share = (ans[:, :, None] == ans[:, None, :]).mean(axis=2)
    z = np.log(np.clip(pool.principal_score, 1e-6, 1 - 1e-6))
    z = (z - np.log1p(-np.clip(pool.principal_score, 1e-6, 1 - 1e-6))).reshape(q, -1)
    cors = []
    for i in range(q):
        w = ~flat_c[i]
        if w.sum() >= 3 and np.ptp(share[i][w]) > 0 and np.ptp(z[i][w]) > 0:
            cors.append(float(np.corrcoef(share[i][w], z[i][w])[0, 1]))
    same_agent = np.kron(np.eye(pool.shape[1], dtype=bool), np.ones((pool.shape[2],) * 2, bool))
    off_diag = ~np.eye(flat_c.shape[1], dtype=bool)
    both_wrong = (~flat_c)[:, :, None] & (~flat_c)[:, None, :] & off_diag
    match = ans[:, :, None] == ans[:, None, :]
    within = both_wrong & same_agent
    between = both_wrong & ~same_agent
    return {
        "wrong_match_within_agent": float(match[within].mean()) if within.any() else float("nan"),
        "wrong_match_between_agents": float(match[between].mean())
        if between.any()
        else float("nan"),
        "judge_auc_within": _within_auc(pool.principal_score, c),
        "judge_auc_model": fit.model.principal.auc,
        "judge_vs_share_wrong": float(np.mean(cors)) if cors else float("nan"),
        "judge_vs_share_questions": len(cors),
        "agent_accuracy": [float(v) for v in c.mean(axis=(0, 2))],
    }


def calibrate(
    pool: EmpiricalPool,
    observed: Observed | None = None,
    *,
    folds: int = 5,
    pilots: Sequence[int] = (10, 20),
    draws: int = 10,
    questions: int = 1000,
    draw_questions: int = 400,
    bootstrap: int = 2000,
    seed: int = 0,
) -> Calibration:
    """Fit, predict held out, and compare with the pool (module docstring).

    Parameters
    ----------
    pool : EmpiricalPool
        The recorded pool (Q ≥ ``folds`` questions), agent score of the ``"vote"`` form.
    observed : Observed, optional
        The pool's cell values and intervals (:func:`observed_from_results` for a stored
        run); computed by :func:`observed_from_pool` when omitted.
    folds : int
        Number of folds over questions (2 ≤ folds ≤ Q).
    pilots : sequence of int
        Fit on the first q questions only and predict the whole pool (q ≥ Q is skipped).
    draws : int
        Bootstrap refits for the parametric band (:func:`bootstrap_fits`; 0: the band is
        the point prediction).
    questions, draw_questions : int
        Synthetic questions per layout for the point predictions / each refit's.
    bootstrap : int
        Bootstrap resamples of the empirical intervals (when ``observed`` is omitted).
    seed : int
        Seeds the folds, the synthetic pools (common random numbers) and the bootstrap.

    Examples
    --------
    >>> from align_theory.calibrate.model import ScoreLaw
    >>> from align_theory.models import BernoulliModel
    >>> law = ScoreLaw(-1.0, 0.0, 1.0, 1.0, 0.2)
    >>> truth = ExtendedModel(BernoulliModel(1.0, 2.0, wrong_answers=3), law, law)
    >>> pool = truth.sample_pool(np.random.default_rng(0), 40, 2, 1)
    >>> cal = calibrate(pool, folds=2, pilots=(), draws=0, questions=200, bootstrap=200)
    >>> cal.mae < 0.1, 0.0 <= cal.coverage <= 1.0
    (True, True)
    """
    if not isinstance(pool, EmpiricalPool):
        raise ValueError(f"pool must be an EmpiricalPool, got {type(pool).__name__}")
    q, m_all, k_all = pool.shape
    positive_int("folds", folds, 2, q)
    positive_int("draws", draws, 0)
    positive_int("questions", questions, 2)
    positive_int("draw_questions", draw_questions, 2)
    positive_int("bootstrap", bootstrap, 1)
    cells = calibration_cells(m_all, k_all)
    obs = observed or observed_from_pool(pool, cells, bootstrap=bootstrap, seed=seed)
    if obs.mean.shape != (len(cells),):
        raise ValueError(f"observed must hold {len(cells)} cells, got {obs.mean.shape}")

    def pred(model: ExtendedModel, nq: int) -> np.ndarray:
        return predict(model, cells, questions=nq, seed=seed + 1)[0]

    fit = fit_model(pool)
    full, mc = predict(fit.model, cells, questions=questions, seed=seed + 1)
    fold_fits = []
    cv = np.zeros(len(cells))
    for part in kfold(q, folds, seed):
        ff = fit_model(subset(pool, np.setdiff1d(np.arange(q), part)))
        fold_fits.append(ff)
        cv += part.size / q * pred(ff.model, questions)
    pil = {
        int(p): pred(fit_model(subset(pool, np.arange(p))).model, questions)
        for p in pilots
        if 2 <= p < q
    }
    band_fits = bootstrap_fits(pool, draws, np.random.default_rng(seed + 2)) if draws else []
    if band_fits:
        band = np.stack([pred(bf.model, draw_questions) for bf in band_fits])
        p_lo, p_hi = np.quantile(band, [0.025, 0.975], axis=0)
    else:
        p_lo, p_hi = full.copy(), full.copy()
    settings = {
        "folds": folds,
        "pilots": sorted(pil),
        "draws": draws,
        "questions": questions,
        "draw_questions": draw_questions,
        "band": "question-bootstrap refit of every parameter" if draws else "none",
        "bootstrap": bootstrap,
        "seed": seed,
        "pool_shape": [q, m_all, k_all],
    }
    return Calibration(
        cells,
        obs.mean,
        obs.lo,
        obs.hi,
        cv,
        full,
        np.asarray(p_lo),
        np.asarray(p_hi),
        mc,
        pil,
        fit,
        fold_fits,
        assumption_checks(pool, fit),
        settings,
        band_fits,
    )
