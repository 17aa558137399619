"""align-theory: aligned delegation (ALIGN) for multi-agent LLM reasoning.

Exact and Monte Carlo performance of ALIGN and its baselines under correlated candidates,
the statements of DESIGN.md checked numerically, paper figures, and an LLM adapter.
"""

from align_theory.exact import expected_utility
from align_theory.models import BernoulliModel, EmpiricalPool, GaussianModel
from align_theory.montecarlo import Estimate, compare, simulate
from align_theory.protocols import (
    Align,
    Cost,
    FilterVote,
    MajorityVote,
    Oracle,
    PrincipalBestOfN,
    RandomPick,
    Shortlist,
    SingleAgent,
)

__version__ = "0.1.0"

__all__ = [
    "Align",
    "BernoulliModel",
    "Cost",
    "EmpiricalPool",
    "Estimate",
    "FilterVote",
    "GaussianModel",
    "MajorityVote",
    "Oracle",
    "PrincipalBestOfN",
    "RandomPick",
    "Shortlist",
    "SingleAgent",
    "__version__",
    "compare",
    "expected_utility",
    "simulate",
]
