# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # T7: incentives
#
# **Claim.** (a) Under the *team* incentive (every agent is paid the principal's realized
# utility) truthful proposal and report is an equilibrium, and the principal then attains
# T2's Bayes value. (b) Under a *tournament* (paid 1 if selected) reports inflate, so a
# principal that keeps trusting them loses to one that discounts them. (c) With correlated
# candidates single-agent threshold delegation loses the ½ guarantee of Kleinberg &
# Kleinberg (2018) that it has with independent candidates, and two competing agents restore
# it. Equilibria are *computed* on finite strategy grids (see docs/incentives.md), not
# assumed; the Bayes value and E[max] come from closed forms.
# Trials: `ALIGN_NB_TRIALS` (default 20000).


# %% [markdown]
# ## Intuition
#
# If every agent is paid what the principal gets (team), the agents want exactly what the
# principal wants, so telling the truth is optimal. If agents are paid only for being
# selected (tournament), each one wants its proposal to look best: it still proposes what
# the principal will rank highest, but inflates its report, so a principal that keeps
# trusting reports is misled and one that discounts them recovers. A private taste that
# the principal does not share (misaligned) pulls proposals away from quality.

# %%
import os

import numpy as np
from matplotlib import pyplot as plt

from align_theory import Align, GaussianModel, SingleAgent, expected_utility
from align_theory.games import (
    competing_agents,
    equilibrium_utilities,
    kk_delegation,
    mixture_emax,
    mixture_values,
)
from align_theory.plotting import NOTEBOOK_WIDTH, subplots

TRIALS = int(os.environ.get("ALIGN_NB_TRIALS", "20000"))
M, K = 4, 4
MODEL = GaussianModel(tau=1.0, kappa=1.0)

# %% [markdown]
# ## (a), (b): the principal's utility at equilibrium, by incentive

# %%
util = equilibrium_utilities(MODEL, M, K, trials=TRIALS, seed=7)
bayes = expected_utility(MODEL, Align(M, K, "bayes"))
for k in ("team", "tournament", "misaligned(2)"):
    print(f"{k:14s} best trust {util[k]}   full trust {util[k + '/naive']}")
print(f"closed form Align(bayes) = {bayes:.4f}")

# %% [markdown]
# ## (c): threshold delegation, independent vs correlated candidates

# %%
N_MIX, EPS, BIG = 8, 0.05, 100.0
ratios = {}
for corr in (False, True):
    res = kk_delegation(N_MIX, trials=TRIALS, seed=3, eps=EPS, big=BIG, correlated=corr)
    v = mixture_values(N_MIX, trials=TRIALS, seed=3, eps=EPS, big=BIG, correlated=corr)
    emax = mixture_emax(N_MIX, EPS, BIG, correlated=corr)
    comp = competing_agents(v, lam=1.0, emax=emax)
    ratios[corr] = {r.rule: r.ratio for r in res} | {"two agents": comp.ratio}
    print(
        "correlated" if corr else "independent", {k: round(x, 3) for k, x in ratios[corr].items()}
    )

# %%
fig, ax = subplots(height=3.0, width=NOTEBOOK_WIDTH)
labels = list(ratios[False])
x = np.arange(len(labels))
ax.bar(x - 0.2, [ratios[False][k] for k in labels], 0.4, label="independent candidates")
ax.bar(x + 0.2, [ratios[True][k] for k in labels], 0.4, label="correlated (scale mixture)")
ax.axhline(0.5, color="black", linestyle="--", linewidth=0.8, label="½ guarantee")
ax.set_xticks(x, ["median θ", "E[max]/2 θ", "two agents"])
ax.set_ylabel("principal payoff / E[max]")
ax.legend(fontsize=6)
plt.show()

# %% [markdown]
# ## Where the statement fails
#
# Under a strongly misaligned incentive (paid (1 + 2·taste) if selected) no trust factor
# saves the principal: its utility falls far below the Bayes value T2 promises under truthful
# reports, and near or below plain SingleAgent.

# %%
mis = util["misaligned(2)"]
sa16 = expected_utility(MODEL, SingleAgent(M * K))
print(f"misaligned(2): {mis}  Bayes value {bayes:.4f}  SingleAgent {sa16:.4f}")
assert mis.mean < bayes - 4 * mis.stderr


# %% [markdown]
# ## The check: every claim, asserted

# %%
team = util["team"]
assert abs(team.mean - bayes) < 4 * team.stderr, "team equilibrium misses T2's Bayes value"
assert util["tournament/naive"].mean < util["tournament"].mean - 2 * util["tournament"].stderr, (
    "a trusting principal should lose under the tournament"
)
assert min(ratios[False]["median"], ratios[False]["half_mean"]) >= 0.5, "K&K fails (iid)"
assert max(ratios[True]["median"], ratios[True]["half_mean"]) < 0.5, "no loss when correlated"
assert ratios[True]["two agents"] >= 0.5, "competition should restore the 1/2 guarantee"
print("T7 holds")
