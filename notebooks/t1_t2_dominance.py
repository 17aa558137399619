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
# # T1–T2: dominance of Align over SingleAgent
#
# **T1 (any dependence).** On the same N = M·K candidates with the same agent scores y,
# SingleAgent outputs the global argmax y; each Align agent proposes its group's argmax y and
# an exact principal picks the best proposal. The global argmax-y candidate is one of the
# proposals, so x_Align ≥ x_SA **on every draw**, for any joint law.
#
# **T2 (noisy principal).** With truthful reports and a principal that selects by the
# posterior mean given (reports, x̂), E[x_Align] ≥ E[x_SA] for any principal noise κ,
# because "pick the largest report" (= SingleAgent) is one of its feasible rules. The judge
# principal, which ignores reports, has no such guarantee.
#
# These are the toolkit's own statements (docs/design.md §3). Trials per Monte Carlo estimate
# come from the environment variable `ALIGN_NB_TRIALS` (default 20000).


# %% [markdown]
# ## Intuition
#
# Splitting the N candidates into M groups and letting each agent propose its group's best
# by y can only *add* options for the principal: the candidate SingleAgent would output (the
# global argmax of y) is the argmax of its own group, so it is always among the proposals.
# An exact principal never picks something worse than it (T1). A noisy principal might, but
# one that still sees the reports can always fall back to "take the largest report", which
# is SingleAgent's rule; the Bayes posterior mean does at least as well as that fallback
# (T2). A judge that ignores the reports has no such fallback.

# %%
import os

import numpy as np
from matplotlib import pyplot as plt

from align_theory import Align, GaussianModel, SingleAgent, compare, expected_utility
from align_theory.plotting import NOTEBOOK_WIDTH, protocol_style, subplots

TRIALS = int(os.environ.get("ALIGN_NB_TRIALS", "20000"))
M, K = 4, 4

# %% [markdown]
# ## T1 draw by draw
# A non-exchangeable law: correlated candidates (ρ_b = 0.2, ρ_w = 0.6) and agents with
# different score offsets c_a. Both protocols read the same 4-agent pool on common random
# numbers; `t1_violations` counts draws with x_Align < x_SA.

# %%
g1 = GaussianModel(rho_between=0.2, rho_within=0.6, tau=1.5, agent_offsets=(0.0, 0.7, -0.4, 1.2))
res = compare(
    g1, [Align(M, K, "exact"), SingleAgent(M * K, agents=M)], trials=TRIALS, seed=1, progress=False
)
gap = res.diffs[(0, 1)]
print(f"E[x_Align - x_SA] = {gap}  violations of x_Align >= x_SA: {res.t1_violations}")

# %% [markdown]
# ## T2: Bayes principal against the judge, closed form and Monte Carlo
# Homogeneous model G (ρ = 0, τ = 1). D(κ) = E[x_Align] − E[x_SA] for both principal rules.

# %%
kappas = np.linspace(0.0, 4.0, 41)
sa = expected_utility(GaussianModel(tau=1.0), SingleAgent(M * K))
d_bayes = np.array(
    [expected_utility(GaussianModel(tau=1.0, kappa=k), Align(M, K, "bayes")) - sa for k in kappas]
)
d_judge = np.array(
    [expected_utility(GaussianModel(tau=1.0, kappa=k), Align(M, K, "judge")) - sa for k in kappas]
)
g2 = GaussianModel(tau=1.0, kappa=3.0)
mc = compare(
    g2,
    [Align(M, K, "bayes"), Align(M, K, "judge"), SingleAgent(M * K)],
    trials=TRIALS,
    seed=2,
    progress=False,
)
mc_bayes, mc_judge = mc.diffs[(0, 2)], mc.diffs[(1, 2)]
print(f"kappa=3: Bayes gap closed form {d_bayes[30]:+.4f}, Monte Carlo {mc_bayes}")
print(f"kappa=3: judge gap closed form {d_judge[30]:+.4f}, Monte Carlo {mc_judge}")

# %%
fig, ax = subplots(height=3.0, width=NOTEBOOK_WIDTH)
ax.plot(kappas, d_bayes, **protocol_style("AlignBayes", marker=None))
ax.plot(kappas, d_judge, **protocol_style("Align", marker=None, label="Align (judge)"))
ax.errorbar(
    [3.0, 3.0],
    [mc_bayes.mean, mc_judge.mean],
    yerr=[2 * mc_bayes.stderr, 2 * mc_judge.stderr],
    fmt="o",
    color="black",
    label="Monte Carlo ± 2 s.e.",
)
ax.axhline(0.0, color="gray", linewidth=0.8)
ax.set_xlabel("judge noise κ (σ units)")
ax.set_ylabel("E[x_Align] − E[x_SA] (σ units)")
ax.legend()
plt.show()

# %% [markdown]
# ## Where the statement fails
#
# T2 needs the reports. A judge that ignores them, with noise κ beyond the crossover κ*
# (here κ = 3σ), loses to SingleAgent, while the Bayes principal on the same model does not.

# %%
noisy = GaussianModel(tau=1.0, kappa=3.0)
sa_noisy = expected_utility(noisy, SingleAgent(M * K))
judge_gap = expected_utility(noisy, Align(M, K, "judge")) - sa_noisy
bayes_gap = expected_utility(noisy, Align(M, K, "bayes")) - sa_noisy
print(f"kappa = 3: Align(judge) - SA = {judge_gap:+.4f}, Align(bayes) - SA = {bayes_gap:+.4f}")
assert judge_gap < 0.0 <= bayes_gap + 1e-12, "the judge should lose and the Bayes rule not"


# %% [markdown]
# ## The check: every claim, asserted

# %%
assert res.t1_violations == 0, "T1 fails: some draw has x_Align < x_SA"
assert gap.mean > 4 * gap.stderr, "T1 strictness: Align should beat SA on this law"
assert np.all(d_bayes >= -1e-9), "T2 fails: the Bayes principal falls below SingleAgent"
assert abs(mc_bayes.mean - d_bayes[30]) < 4 * mc_bayes.stderr, "closed form and MC disagree"
assert abs(mc_judge.mean - d_judge[30]) < 4 * mc_judge.stderr, "closed form and MC disagree"
assert d_judge[-1] < 0, "the judge principal should lose to SingleAgent at large κ"
print("T1 and T2 hold")
