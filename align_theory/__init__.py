"""align-theory: aligned delegation (ALIGN) for multi-agent LLM reasoning.

Exact and Monte Carlo performance of ALIGN and its baselines under correlated candidates,
the statements of docs/model.md checked numerically, paper figures, and an LLM adapter.

The public API is flat: models, protocols, :func:`expected_utility` (closed forms, no JAX)
and the Monte Carlo entry points :func:`simulate`, :func:`simulate_each` and
:func:`compare`. The closed forms (SciPy) and the JAX engine are imported on first use, so
``import align_theory`` and ``align --help`` stay fast.
"""

from typing import TYPE_CHECKING, Any

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
    from align_theory.exact import expected_utility
    from align_theory.montecarlo import compare, simulate, simulate_each

_LAZY = {
    "compare": "montecarlo",
    "simulate": "montecarlo",
    "simulate_each": "montecarlo",
    "expected_utility": "exact",
}


def __getattr__(name: str) -> Any:
    """Import the closed forms or the JAX engine on first use of an entry point (PEP 562)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"align_theory.{_LAZY[name]}"), name)
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
