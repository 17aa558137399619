"""Calibration outputs: the table (markdown and JSON) and the predicted-vs-observed figure.

:func:`calibrate_run` is what ``align llm calibrate RUN`` does: fit the extended model to a
stored run, predict every cell held out, and write ``calibration.md``, ``calibration.json``
and ``calibration.png`` into ``RUN/calibration/`` (or ``--out``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from align_theory.calibrate.calibration import (
    Calibration,
    calibrate,
    calibration_cells,
    observed_from_results,
)
from align_theory.calibrate.fit import ModelFit
from align_theory.models import EmpiricalPool

__all__ = [
    "calibrate_run",
    "fit_summary",
    "render_figure",
    "render_markdown",
    "run_pool",
    "to_json",
]

FAMILIES = ("ALIGN (all agents)", "baselines", "references", "ALIGN m x k")


def run_pool(run_dir: Path) -> EmpiricalPool:
    """A stored run's candidates as a pool (:meth:`EmpiricalPool.from_run`: the stored
    grading, agents ranking by vote share with the mean token log-probability as tie-break,
    the judge's P(yes) as principal score)."""
    return EmpiricalPool.from_run(Path(run_dir))


def _f(v: float) -> str:
    return "nan" if not math.isfinite(v) else f"{v:.3f}"


def fit_summary(fit: ModelFit) -> dict[str, float | None]:
    """The parameters of a fitted model that the band's refits vary, in natural units
    (None where the fit dropped a part: no diversity, one wrong alternative).

    Examples
    --------
    >>> from align_theory.calibrate import ExtendedModel, ScoreLaw, fit_model
    >>> from align_theory.models import BernoulliModel
    >>> law = ScoreLaw(-1.0, 0.0, 1.0, 1.0, 0.2)
    >>> truth = ExtendedModel(BernoulliModel(1.0, 2.0, wrong_answers=3), law, law, "vote")
    >>> s = fit_summary(fit_model(truth.sample_pool(np.random.default_rng(0), 300, 2, 2)))
    >>> s["wrong_answers"], abs(s["mean"] - 1 / 3) < 0.05
    (3, True)
    """
    v = fit.model.verdicts
    alpha = v.wrong_concentration
    return {
        "a": v.a,
        "b": v.b,
        "mean": v.mean,
        "diversity": v.diversity,
        "wrong_answers": v.wrong_answers,
        "wrong_concentration": alpha,
        "wrong_mass": None if alpha is None else v.wrong_answers * alpha,
        "judge_auc": fit.model.principal.auc,
        "tiebreak_auc": fit.model.agent.auc,
    }


def _spread(draws: list[dict[str, float | None]]) -> dict[str, list[float] | None]:
    """Per parameter: [min, median, max] over the refits that have it."""
    out: dict[str, list[float] | None] = {}
    for key in draws[0] if draws else ():
        vals = np.array([d[key] for d in draws if d[key] is not None], dtype=float)
        out[key] = (
            [float(vals.min()), float(np.median(vals)), float(vals.max())] if vals.size else None
        )
    return out


def to_json(cal: Calibration) -> dict[str, Any]:
    """Every cell, every summary figure, the fitted parameters, the band's refits and the
    assumption checks."""
    fit = cal.fit
    band = [fit_summary(bf) for bf in cal.band_fits]
    cells = []
    for i, c in enumerate(cal.cells):
        cells.append(
            {
                "name": c.name,
                "label": c.label,
                "family": c.family,
                "m": c.m,
                "k": c.k,
                "n": c.n,
                "protocol": repr(c.protocol),
                "observed": float(cal.observed[i]),
                "observed_lo": float(cal.observed_lo[i]),
                "observed_hi": float(cal.observed_hi[i]),
                "predicted_heldout": float(cal.predicted[i]),
                "predicted_full": float(cal.predicted_full[i]),
                "predicted_lo": float(cal.predicted_lo[i]),
                "predicted_hi": float(cal.predicted_hi[i]),
                "mc_stderr": float(cal.mc_stderr[i]),
                "inside_ci": bool(cal.inside[i]),
                **{f"pilot_{q}": float(v[i]) for q, v in cal.pilots.items()},
            }
        )
    return {
        "settings": cal.settings,
        "summary": {
            "mae": cal.mae,
            "coverage": cal.coverage,
            "cells": len(cal.cells),
            "pilot_mae": {str(q): cal.pilot_mae(q) for q in cal.pilots},
            "best_protocol_agreement": float(np.mean([b["agree"] for b in cal.best_protocols()])),
            "best_split_agreement": float(np.mean([b["agree"] for b in cal.best_splits()]))
            if cal.best_splits()
            else float("nan"),
        },
        "best_protocols": cal.best_protocols(),
        "best_splits": cal.best_splits(),
        "fit": {
            "difficulty": fit.difficulty.params,
            "difficulty_loglik": fit.difficulty.loglik,
            "wrong_answers": fit.wrong.params,
            "principal": fit.principal.params,
            "principal_auc_within": fit.model.principal.auc,
            "agent_tiebreak": fit.agent.params,
            "agent_score": fit.model.agent_score,
        },
        "band": {
            "method": "refit of every parameter (m included) on bootstrap resamples of the "
            "questions; band = 2.5% and 97.5% quantiles of the refits' predictions",
            "refits": len(cal.band_fits),
            "range": _spread(band),
            "draws": band,
        },
        "diagnostics": cal.diagnostics,
        "cells": cells,
    }


def _band_lines(band: dict[str, Any]) -> list[str]:
    """The markdown line of the band's refits: each parameter's range over them."""
    if not band["refits"]:
        return []
    r = band["range"]

    def rng(key: str, fmt: str) -> str:
        v = r.get(key)
        if v is None:
            return "absent in every refit"
        have = sum(d[key] is not None for d in band["draws"])
        lo, med, hi = (format(x, fmt) for x in v)
        tail = "" if have == band["refits"] else f", fitted in {have} of {band['refits']}"
        return f"{lo}–{hi} (median {med}{tail})"

    ms = sorted({int(d["wrong_answers"]) for d in band["draws"]})
    return [
        f"* Band refits ({band['refits']} question-bootstrap resamples, every parameter "
        f"refitted): m ∈ {{{', '.join(str(m) for m in ms)}}}, m·α {rng('wrong_mass', '.1f')}, "
        f"mean difficulty {rng('mean', '.3f')}, diversity c {rng('diversity', '.1f')}, "
        f"judge AUC {rng('judge_auc', '.3f')}.",
    ]


def render_markdown(cal: Calibration, title: str = "pool") -> str:
    """The calibration table and its summary as markdown."""
    js = to_json(cal)
    sm = js["summary"]
    q, m_all, k_all = cal.settings["pool_shape"]
    fit = js["fit"]
    d = fit["difficulty"]
    w = fit["wrong_answers"]
    pr = fit["principal"]
    dg = cal.diagnostics
    lines = [
        f"# Calibration of model B (extended) to `{title}`",
        "",
        f"{q} questions, M = {m_all} agents × K = {k_all}. Held-out predictions: "
        f"{cal.settings['folds']}-fold over questions (each fold predicted by the model fitted on "
        f"the others); synthetic pools of {cal.settings['questions']} questions per layout; "
        f"parametric band: 2.5% and 97.5% quantiles of the predictions of "
        f"{cal.settings['draws']} refits of every parameter (m included) on bootstrap "
        f"resamples of the questions ({cal.settings['draw_questions']} synthetic questions "
        "per layout each).",
        "",
        "## Summary",
        "",
        "| figure | value |",
        "|---|---|",
        f"| mean absolute error, held out ({sm['cells']} cells) | {sm['mae']:.3f} |",
        f"| cells whose prediction is inside the empirical 95% CI | {sm['coverage']:.3f} "
        f"({round(sm['coverage'] * sm['cells'])} of {sm['cells']}) |",
        f"| best protocol agrees (budgets) | {sm['best_protocol_agreement']:.2f} |",
        f"| best m × k split agrees (budgets × rules) | {sm['best_split_agreement']:.2f} |",
        *[
            f"| pilot: fit on the first {p} questions, MAE on the whole run | {v:.3f} |"
            for p, v in sm["pilot_mae"].items()
        ],
        "",
        "## Fitted model",
        "",
        f"* Difficulty θ ~ Beta({d['a']:.3f}, {d['b']:.3f}) "
        f"(mean {d['a'] / (d['a'] + d['b']):.3f}),"
        f" agent diversity c = {_f(d['diversity'])}.",
        f"* Wrong answers: m = {int(w['wrong_answers'])} alternatives, Dirichlet α = "
        f"{w['wrong_concentration']:.4g} "
        f"(m·α = {w['wrong_answers'] * w['wrong_concentration']:.2f}).",
        f"* Judge, logit x̂: wrong N({pr['mean_wrong']:.3f}, {pr['sd_wrong']:.3f}²), right "
        f"N({pr['mean_correct']:.3f}, {pr['sd_correct']:.3f}²), question sd "
        f"{pr['question_sd']:.3f}; within-question AUC {fit['principal_auc_within']:.3f} "
        f"(observed {dg['judge_auc_within']:.3f}).",
        f"* Agent score: `{fit['agent_score']}` (vote share, tie-break by the mean token "
        "log-probability, fitted binormal).",
        f"* Judge vs popularity among wrong candidates (mean within-question correlation of "
        f"logit x̂ with the answer's share, {dg['judge_vs_share_questions']} questions): "
        f"{dg['judge_vs_share_wrong']:.3f} (0 under the model).",
        f"* Two wrong candidates give the same answer with probability "
        f"{dg['wrong_match_within_agent']:.3f} from one agent and "
        f"{dg['wrong_match_between_agents']:.3f} from two agents (equal under the model).",
        f"* Per-agent accuracy: {', '.join(f'{a:.3f}' for a in dg['agent_accuracy'])} "
        "(exchangeable agents under the model).",
        *_band_lines(js["band"]),
        "",
        "## Best protocol at each budget (references excluded)",
        "",
        "| n | observed | predicted |",
        "|---|---|---|",
        *[f"| {b['n']} | {b['observed']} | {b['predicted']} |" for b in js["best_protocols"]],
        "",
        "## Best m × k split of ALIGN at each budget",
        "",
        "| rule | n | observed | predicted |",
        "|---|---|---|---|",
        *[
            f"| {b['rule']} | {b['n']} | {b['observed']} | {b['predicted']} |"
            for b in js["best_splits"]
        ],
        "",
        "## Every cell",
        "",
        "Observed: the run's value [95% bootstrap CI]; predicted: held out (k-fold), the "
        "full-data fit [95% parametric band]; ✓ = held-out prediction inside the CI.",
        "",
        "| cell | n | observed | held out | full fit [band] | "
        + " | ".join(f"pilot {p}" for p in cal.pilots)
        + " | in CI |",
        "|---|---|---|---|---|" + "---|" * len(cal.pilots) + "---|",
    ]
    for c in js["cells"]:
        pil = " | ".join(_f(c[f"pilot_{p}"]) for p in cal.pilots)
        lines.append(
            f"| {c['label']} | {c['n']} | {_f(c['observed'])} [{_f(c['observed_lo'])}, "
            f"{_f(c['observed_hi'])}] | {_f(c['predicted_heldout'])} | "
            f"{_f(c['predicted_full'])} [{_f(c['predicted_lo'])}, {_f(c['predicted_hi'])}] | "
            + (pil + " | " if pil else "")
            + ("✓" if c["inside_ci"] else "✗")
            + " |"
        )
    return "\n".join(lines) + "\n"


def render_figure(cal: Calibration, path: Path, title: str = "") -> None:
    """One panel per protocol family: observed points with 95% CIs (dodged), predicted
    held-out lines with the full fit's parametric band (the refits of
    :func:`~align_theory.calibrate.calibration.bootstrap_fits`), each labelled in the
    panel's legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from align_theory.plotting import STYLE

    colours = [
        "#D55E00",
        "#CC79A7",
        "#009E73",
        "#0072B2",
        "#E69F00",
        "#56B4E9",
        "#999999",
        "#000000",
    ]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 2, figsize=(7.0, 5.4), constrained_layout=True, sharey=True)
        for ax, fam in zip(axes.ravel(), FAMILIES, strict=True):
            idx = [i for i, c in enumerate(cal.cells) if c.family == fam]
            groups: dict[str, list[int]] = {}
            if fam == "ALIGN m x k":
                for i in idx:
                    c = cal.cells[i]
                    if c.name == "Align-judge":
                        groups.setdefault(f"judge, m = {c.m}", []).append(i)
            else:
                for i in idx:
                    groups.setdefault(cal.cells[i].name, []).append(i)
            for j, (name, ii) in enumerate(groups.items()):
                col = colours[j % len(colours)]
                x = np.array([cal.cells[i].n for i in ii], dtype=float)
                order = np.argsort(x)
                x, ii = x[order], [ii[o] for o in order]
                dx = (j - (len(groups) - 1) / 2) * 0.18
                ob = cal.observed[ii]
                err = np.vstack([ob - cal.observed_lo[ii], cal.observed_hi[ii] - ob])
                ax.errorbar(
                    x + dx,
                    ob,
                    yerr=err,
                    fmt="o",
                    ms=3,
                    color=col,
                    capsize=1.5,
                    lw=0.8,
                    label=f"{name}",
                )
                ax.plot(x, cal.predicted[ii], "-", color=col, lw=1.2)
                ax.fill_between(
                    x, cal.predicted_lo[ii], cal.predicted_hi[ii], color=col, alpha=0.18, lw=0
                )
            ax.set_title(
                fam if fam != "ALIGN m x k" else "ALIGN-judge with m agents × k (x = n = m·k)"
            )
            ax.set_xlabel("candidate budget n")
            ax.set_ylabel("accuracy")
            handles, _ = ax.get_legend_handles_labels()
            handles += [
                Line2D([], [], color="0.3", lw=1.2, label="predicted, held out"),
                Patch(color="0.3", alpha=0.25, lw=0, label="95% band (bootstrap refits)"),
            ]
            ax.legend(handles=handles, fontsize=6, ncol=2, loc="upper left")
        fig.suptitle(
            (title + ": " if title else "")
            + "observed (points, 95% bootstrap CI over questions) vs predicted held out (lines)\n"
            + "bands: 95% of the full fit's prediction over refits of every parameter "
            + "(m included) on resampled questions",
            fontsize=8,
        )
        fig.savefig(path, dpi=160)
        plt.close(fig)


def calibrate_run(
    run_dir: Path,
    out: Path | None = None,
    *,
    folds: int = 5,
    draws: int = 10,
    questions: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Calibrate a stored run and write its table and figure; returns the JSON summary.

    The observed values and intervals are the run report's own (``results.json``, written by
    ``align llm replay``); the fit reads the graded candidates (:func:`run_pool`).
    """
    run_dir = Path(run_dir)
    res_path = run_dir / "results.json"
    if not res_path.exists():
        raise ValueError(f"run_dir {run_dir} has no results.json: run `align llm replay` first")
    pool = run_pool(run_dir)
    _, m_all, k_all = pool.shape
    obs = observed_from_results(json.loads(res_path.read_text()), calibration_cells(m_all, k_all))
    cal = calibrate(
        pool, obs, folds=folds, draws=draws, questions=questions, draw_questions=400, seed=seed
    )
    dest = Path(out) if out is not None else run_dir / "calibration"
    dest.mkdir(parents=True, exist_ok=True)
    js = to_json(cal)
    (dest / "calibration.json").write_text(json.dumps(js, indent=1, sort_keys=True) + "\n")
    (dest / "calibration.md").write_text(render_markdown(cal, run_dir.name))
    render_figure(cal, dest / "calibration.png", run_dir.name)
    return js
