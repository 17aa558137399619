# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Calibration: does the theory predict the stored run?
#
# **The statement.** Model B (latent Beta difficulty, agent diversity, Dirichlet wrong
# answers), extended with continuous scores — the judge's x̂ and the agents' tie-break drawn
# from binormal laws conditional on correctness (docs/model.md, section 6) — is fitted by
# maximum likelihood to the stored 50-question GSM8K run (Qwen2.5-0.5B, M = K = 4). If the
# theory describes the run, the fitted model should predict, on questions it did not see,
# every protocol's accuracy at every budget.
#
# **The intuition.** Every protocol reads the same few ingredients: how hard questions are
# (θ), how much the agents differ (c), how scattered the wrong answers are (m, α), and how
# well the two scores separate right from wrong within a question (their AUCs). Fit those
# and the protocols' curves follow — unless the run has structure the model leaves out.
#
# **The computation.** `align llm calibrate runs/gsm8k-qwen0.5b-m4k4` fitted the model on
# 4 of 5 folds of questions, predicted each held-out fold by evaluating every protocol on
# a synthetic pool drawn from the fit (the same estimators as the report), and wrote
# `runs/gsm8k-qwen0.5b-m4k4/calibration/`. This notebook reads those outputs, refits the
# model live to check the fit, and draws predicted against observed curves.

# %%
import json
import os
from pathlib import Path

import numpy as np
from matplotlib import pyplot as plt

from align_theory.calibrate import Cell, fit_model, predict
from align_theory.calibrate.report import run_pool

RUN = Path("..") / "runs" / "gsm8k-qwen0.5b-m4k4"
cal = json.loads((RUN / "calibration" / "calibration.json").read_text())
summary = cal["summary"]
for key in ("mae", "coverage", "best_protocol_agreement", "best_split_agreement"):
    print(f"{key:>25}: {summary[key]:.3f}")
for q, v in summary["pilot_mae"].items():
    print(f"{'pilot MAE, first ' + q:>25}: {v:.3f}")

# %% [markdown]
# ## The fit, recomputed
#
# The run's candidates become a pool (correctness and answer classes from the run's grader;
# y = within-agent vote share + 10⁻³·σ(mean log-prob); x̂ = the judge's P(yes)) and the
# model is refitted. The estimate must equal the stored one.

# %%
pool = run_pool(RUN)
fit = fit_model(pool)
v = fit.model.verdicts
stored = cal["fit"]["difficulty"]
print(f"Beta({v.a:.3f}, {v.b:.3f}) mean {v.mean:.3f}; diversity c = {v.diversity:.2f}")
print(f"wrong answers m = {v.wrong_answers}, alpha = {v.wrong_concentration:.4g}")
print(
    f"judge within-question AUC: model {fit.model.principal.auc:.3f}, "
    f"observed {cal['diagnostics']['judge_auc_within']:.3f}"
)
assert abs(v.a / stored["a"] - 1) < 1e-4 and abs(v.b / stored["b"] - 1) < 1e-4

# %% [markdown]
# ## Predicted against observed
#
# One panel per protocol family. Points: the run's value with its 95% bootstrap interval
# over questions; lines: the held-out prediction; bands: the full-data fit's 95% parametric
# band (the whole model refitted on 10 bootstrap resamples of the questions, every
# parameter — m, the number of wrong alternatives, included — re-estimated; plus each
# refit's Monte Carlo error).

# %%
cells = cal["cells"]
families = ["ALIGN (all agents)", "baselines", "references"]
fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), sharey=True, dpi=120)
for ax, fam in zip(axes, families, strict=True):
    names = sorted({c["name"] for c in cells if c["family"] == fam})
    for j, name in enumerate(names):
        rows = sorted(
            (c for c in cells if c["family"] == fam and c["name"] == name), key=lambda c: c["n"]
        )
        n = np.array([c["n"] for c in rows], float)
        obs = np.array([c["observed"] for c in rows])
        err = np.array(
            [[c["observed"] - c["observed_lo"], c["observed_hi"] - c["observed"]] for c in rows]
        ).T
        (line,) = ax.plot(n, [c["predicted_heldout"] for c in rows], "-", lw=1.2)
        ax.fill_between(
            n,
            [c["predicted_lo"] for c in rows],
            [c["predicted_hi"] for c in rows],
            color=line.get_color(),
            alpha=0.12,
            lw=0,
        )
        ax.errorbar(
            n + 0.25 * (j - len(names) / 2),
            obs,
            yerr=err,
            fmt="o",
            ms=3,
            capsize=2,
            color=line.get_color(),
            label=name,
        )
    ax.set_title(fam)
    ax.set_xlabel("candidate budget n = 4k")
    ax.legend(fontsize=7)
axes[0].set_ylabel("accuracy")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The check: a prediction recomputed, and the table's own figures
#
# The held-out table is recomputed from its cells, and one cell (Oracle = pass@16) is
# predicted again from the live fit on a fresh synthetic pool: it must agree with the stored
# full-data prediction within Monte Carlo error.

# %%
trials = int(os.environ.get("ALIGN_NB_TRIALS", "20000"))
q_syn = max(200, min(trials // 10, 2000))
mean, se = predict(fit.model, [Cell("Oracle", "references", 4, 4)], questions=q_syn, seed=9)
stored_oracle = next(c for c in cells if c["name"] == "Oracle" and c["n"] == 16)
print(
    f"Oracle at n = 16: live {mean[0]:.3f} ± {se[0]:.3f}, stored "
    f"{stored_oracle['predicted_full']:.3f} (MC se {stored_oracle['mc_stderr']:.3f}), "
    f"observed {stored_oracle['observed']:.3f}"
)
errors = np.array([abs(c["predicted_heldout"] - c["observed"]) for c in cells])
inside = np.array([c["observed_lo"] <= c["predicted_heldout"] <= c["observed_hi"] for c in cells])
worst = sorted(cells, key=lambda c: -abs(c["predicted_heldout"] - c["observed"]))[:5]
for c in worst:
    print(
        f"largest miss: {c['label']:>18} n={c['n']:>2}: predicted {c['predicted_heldout']:.3f}, "
        f"observed {c['observed']:.3f} [{c['observed_lo']:.3f}, {c['observed_hi']:.3f}]"
    )

# %% [markdown]
# ## Where the statement fails
#
# With 50 questions the run's intervals are wide (±0.1), so nearly every cell's held-out
# prediction falls inside them: coverage says the model is *not refuted*, not that it is
# exact. No held-out cell misses by more than 0.041, but the misses have signs
# (docs/empirical.md, "Calibration"). The run's best rule at every budget is the theory's
# SingleAgent (argmax of each candidate's own agent's vote share, ties by mean
# log-probability, over all 4·k candidates), 0.01–0.05 above MajorityVote; the model
# predicts the two level (within 0.011), so its predicted best protocol (ALIGN-vote or
# MajorityVote, a near-tie) is never the observed one. The model's agents are exchangeable;
# the run's are not: the low-temperature agents have both higher mean log-probabilities and
# higher accuracy, so a rule that ranks log-probabilities across agents picks the better
# agents' candidates — information the model does not have. The fitted judge also
# separates right from wrong within a question better than the real one (AUC 0.65 against
# 0.57), because the model's question intercept ignores that the judge tracks question
# difficulty: the judge-read rules at n = 4 are over-predicted by 0.03.

# %% [markdown]
# ## The claims, asserted

# %%
assert abs(errors.mean() - summary["mae"]) < 1e-9, "the stored MAE is not its cells' MAE"
assert abs(inside.mean() - summary["coverage"]) < 1e-9, "the stored coverage is stale"
tol = 4 * np.hypot(se[0], stored_oracle["mc_stderr"])
assert abs(mean[0] - stored_oracle["predicted_full"]) < tol, "the live prediction disagrees"
assert summary["mae"] < 0.05, "the held-out MAE is above 0.05"
print("calibration checks hold")
