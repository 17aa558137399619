"""align-theory: aligned delegation (ALIGN) for multi-agent LLM reasoning.

Exact and Monte Carlo performance of ALIGN and its baselines under correlated candidates,
the statements of docs/model.md checked numerically, paper figures, and an LLM adapter.

The public API is flat: models, protocols, :func:`expected_utility` (closed forms, no JAX)
and the Monte Carlo entry points :func:`simulate`, :func:`simulate_each` and
:func:`compare`, which import the JAX engine on first use only.
"""

from typing import TYPE_CHECKING, Any

from align_theory.exact import expected_utility
from align_theory.models import BernoulliModel, EmpiricalPool, GaussianModel
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
from align_theory.results import CompareResult, Estimate, Report

__version__ = "0.1.0"

if TYPE_CHECKING:
    from align_theory.montecarlo import compare, simulate, simulate_each

_LAZY = {"compare", "simulate", "simulate_each"}


def __getattr__(name: str) -> Any:
    """Import the JAX engine on first use of one of its entry points (PEP 562)."""
    if name in _LAZY:
        from align_theory import montecarlo

        return getattr(montecarlo, name)
    raise AttributeError(f"module 'align_theory' has no attribute {name!r}")


__all__ = [
    "Align",
    "BernoulliModel",
    "CompareResult",
    "Cost",
    "EmpiricalPool",
    "Estimate",
    "FilterVote",
    "GaussianModel",
    "MajorityVote",
    "Oracle",
    "PrincipalBestOfN",
    "RandomPick",
    "Report",
    "Shortlist",
    "SingleAgent",
    "__version__",
    "compare",
    "expected_utility",
    "simulate",
    "simulate_each",
]
