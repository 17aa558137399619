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
# # T5: model B closed forms
#
# With an agent verifier (s, f), the stage operator
# Φ_{s,f,K}(p) = q(p)[1−(1−α)^K] + p(1−s)(1−α)^{K−1}, α = sp + f(1−p), q = sp/α,
# is the accuracy of "pick uniformly among the accepted of K candidates (or among all if none
# is accepted)" on an item of difficulty p. It composes:
#
# * SingleAgent = E_θ Φ_{s,f,N}(θ);
# * Align with a verifier principal (s′, f′) = E_θ Φ_{s′,f′,M}(Φ_{s,f,K}(θ));
# * Align with an exact principal = E_θ[1 − (1 − Φ_{s,f,K}(θ))^M] ≥ E_θ Φ_{s,f,N}(θ);
# * majority vote under Beta(a, b) difficulty = Σ_{k>N/2} C(N,k)B(a+k, b+N−k)/B(a,b)
#   → P(θ > ½).
#
# Here E_θ is computed independently by adaptive quadrature (scipy.integrate.quad) of the
# formulas above, and compared with the toolkit's closed forms and with Monte Carlo.
# Trials: `ALIGN_NB_TRIALS` (default 20000).


# %% [markdown]
# ## Intuition
#
# With discrete answers the quality of a candidate is 0 or 1, so everything is a function of
# the item's difficulty θ: the stage operator Φ is "accuracy after one round of verified
# selection" on an item of accuracy p, and Align applies it twice (agents, then principal).
# Averaging over θ (the Beta law) gives the model's accuracy. Majority vote needs no
# verifier: on an item with θ > ½ more votes help, with θ < ½ they hurt, so in the limit
# it is right exactly on the items with θ > ½.

# %%
import math
import os

import numpy as np
from matplotlib import pyplot as plt
from scipy import integrate, special, stats

from align_theory import (
    Align,
    BernoulliModel,
    MajorityVote,
    SingleAgent,
    compare,
    expected_utility,
)
from align_theory.exact import stage_operator
from align_theory.plotting import NOTEBOOK_WIDTH, protocol_style, subplots

TRIALS = int(os.environ.get("ALIGN_NB_TRIALS", "20000"))
M, K, N = 4, 4, 16
S, F, S2, F2 = 0.75, 0.25, 0.9, 0.1
model = BernoulliModel.from_mean_icc(
    0.55, 0.15, agent_tpr=S, agent_fpr=F, principal_tpr=S2, principal_fpr=F2
)
theta = stats.beta(model.a, model.b)


def phi(p: float, s: float, f: float, k: int) -> float:
    """The stage operator, written out from its formula (independent of align_theory)."""
    alpha = s * p + f * (1 - p)
    q = s * p / alpha if alpha > 0 else 0.0
    return q * (1 - (1 - alpha) ** k) + p * (1 - s) * (1 - alpha) ** (k - 1)


def majority(a: float, b: float, n: int) -> float:
    """Σ_{k>n/2} C(n,k)B(a+k, b+n−k)/B(a,b), plus half the tie term for even n."""

    def pmf(k: int) -> float:
        return math.comb(n, k) * math.exp(special.betaln(a + k, b + n - k) - special.betaln(a, b))

    won = sum(pmf(k) for k in range(n // 2 + 1, n + 1))
    return won + (0.5 * pmf(n // 2) if n % 2 == 0 else 0.0)


def e_theta(fn) -> float:
    return integrate.quad(lambda p: fn(p) * theta.pdf(p), 0, 1, limit=200)[0]


# %%
rows = {
    "SingleAgent": (e_theta(lambda p: phi(p, S, F, N)), SingleAgent(N)),
    "Align (verifier principal)": (
        e_theta(lambda p: phi(phi(p, S, F, K), S2, F2, M)),
        Align(M, K, "judge"),
    ),
    "Align (exact principal)": (
        e_theta(lambda p: 1 - (1 - phi(p, S, F, K)) ** M),
        Align(M, K, "exact"),
    ),
    "MajorityVote": (
        majority(model.a, model.b, N),
        MajorityVote(N),
    ),
}
mc = compare(model, [proto for _, proto in rows.values()], trials=TRIALS, seed=6, progress=False)
results = {}
for (name, (quad, proto)), est in zip(rows.items(), mc.estimates, strict=True):
    closed = expected_utility(model, proto)
    results[name] = (quad, closed, est)
    print(f"{name:28s} quadrature {quad:.6f}  closed form {closed:.6f}  Monte Carlo {est}")

# %%
ps = np.linspace(0, 1, 201)
fig, ax = subplots(height=3.0, width=NOTEBOOK_WIDTH)
ax.plot(100 * ps, 100 * stage_operator(ps, S, F, N), **protocol_style("SingleAgent", marker=None))
ax.plot(
    100 * ps,
    100 * stage_operator(stage_operator(ps, S, F, K), S2, F2, M),
    **protocol_style("Align", marker=None, label="Align (verifier principal)"),
)
ax.plot(
    100 * ps,
    100 * (1 - (1 - stage_operator(ps, S, F, K)) ** M),
    **protocol_style("Oracle", marker=None, label="Align (exact principal)"),
)
ax.plot(100 * ps, 100 * ps, color="gray", linewidth=0.6, label="one candidate")
ax.set_xlabel("item difficulty θ: single-candidate accuracy (%)")
ax.set_ylabel("accuracy on the item (%)")
ax.legend()
plt.show()

# %% [markdown]
# ## Where the statement fails
#
# Majority vote is not a free lunch: on hard items (θ ~ Beta(12, 18), mean 0.4) more votes
# make it *worse*, tending to P(θ > ½). Align with verifiers does not have this limit.

# %%
hard = BernoulliModel(12.0, 18.0)
mv = {n: expected_utility(hard, MajorityVote(n)) for n in (1, 11, 101)}
p_half = float(stats.beta(12.0, 18.0).sf(0.5))
print({n: round(v, 4) for n, v in mv.items()}, f"P(theta > 1/2) = {p_half:.4f}")
assert mv[1] > mv[11] > mv[101] > p_half - 1e-3, "voting should fall toward P(theta > 1/2)"


# %% [markdown]
# ## The check: every claim, asserted

# %%
for name, (quad, closed, est) in results.items():
    assert abs(quad - closed) < 1e-6, f"{name}: quadrature and closed form disagree"
    assert abs(est.mean - closed) < 4 * est.stderr, f"{name}: Monte Carlo disagrees"
sa_fn = stage_operator(ps, S, F, N)
exact_fn = 1 - (1 - stage_operator(ps, S, F, K)) ** M
assert np.all(exact_fn >= sa_fn - 1e-12), "T5: exact-principal Align below SA pointwise in θ"
assert results["Align (exact principal)"][1] >= results["SingleAgent"][1], "T5 inequality fails"
print("T5 holds")
