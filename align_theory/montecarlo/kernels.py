r"""Kernel dispatch: one block of trials → per-trial utilities of each protocol.

Two samplers share the protocol semantics of DESIGN's section 2 and of the reference
engine (:mod:`align_theory.reference`):

``candidates`` (exact candidates)
    Every candidate's (x, y, x̂) is drawn, for the largest pool among the protocols; a
    protocol reading n = g·k candidates from g agents uses the first n candidate columns and
    the first g agent columns, so all protocols of one call share their randomness (common
    random numbers; T1's pointwise order holds draw by draw).
``sufficient`` (sufficient statistics; one protocol at a time)
    Only what the protocol's output depends on is drawn (see :mod:`.gaussian` and
    :mod:`.bernoulli`); protocol j draws from ``fold_in(block key, j)``.

Dispatch goes through dicts keyed by the model's static class (:data:`MODELS`) and by the
protocol class (:data:`align_theory.montecarlo.common.CANDIDATE_RULES`, each model's
``SUFFICIENT``), so adding a protocol means adding one entry per kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from align_theory.models import GaussianModel, Model
from align_theory.montecarlo import bernoulli, empirical, gaussian
from align_theory.montecarlo.common import CANDIDATE_RULES, Params, Pool
from align_theory.montecarlo.specs import (
    G_RULES,
    BernoulliStatic,
    EmpiricalStatic,
    GaussianStatic,
    Static,
    check_supported,
    model_spec,
)
from align_theory.protocols import Protocol, pool_layout, protocol_spec

__all__ = [
    "MODELS",
    "SAMPLERS",
    "ModelKernels",
    "as_device_params",
    "block_utilities",
    "check_supported",
    "supports_sufficient",
    "trial_width",
]

SAMPLERS: tuple[str, ...] = ("auto", "sufficient", "candidates")


@dataclass(frozen=True)
class ModelKernels:
    """What the engine knows of one model structure.

    Attributes
    ----------
    draw_pools : callable
        (static, params, key, T, layouts) → {(n, g): Pool}, one shared draw.
    sufficient : dict
        Protocol class → sufficient-statistics kernel (static, params, protocol, key, T).
    sufficient_width : callable or None
        (static, protocol) → float32 words per trial of the sufficient kernel.
    """

    draw_pools: Callable[..., dict[tuple[int, int], Pool]]
    sufficient: dict[type, Callable[..., jax.Array]]
    sufficient_width: Callable[..., int] | None


MODELS: dict[type, ModelKernels] = {
    GaussianStatic: ModelKernels(
        gaussian.draw_pools, gaussian.SUFFICIENT, gaussian.sufficient_width
    ),
    BernoulliStatic: ModelKernels(
        bernoulli.draw_pools, bernoulli.SUFFICIENT, bernoulli.sufficient_width
    ),
    EmpiricalStatic: ModelKernels(empirical.draw_pools, {}, None),
}
"""Static-spec class → the model's kernels."""


def _kernels(static: Static) -> ModelKernels:
    return MODELS[type(static)]


def supports_sufficient(model: Model, proto: Protocol) -> bool:
    """True when ``proto`` has a sufficient-statistics sampler in ``model``.

    Parameters
    ----------
    model : GaussianModel, BernoulliModel or EmpiricalPool
        The candidate law.
    proto : Protocol
        A registered protocol.

    Returns
    -------
    bool
        Whether ``sampler='sufficient'`` is defined for the pair.

    Examples
    --------
    >>> from align_theory import Align, BernoulliModel, Shortlist
    >>> supports_sufficient(BernoulliModel(1.0, 1.0), Align(2, 8, "judge"))
    True
    >>> supports_sufficient(BernoulliModel(1.0, 1.0), Shortlist(8, 2))
    False
    """
    if getattr(proto, "principal", "exact") in G_RULES and not isinstance(model, GaussianModel):
        return False
    static = model_spec(model, 1).static
    return type(proto) in _kernels(static).sufficient


def block_utilities(
    static: Static, protocols: tuple[Protocol, ...], sampler: str
) -> Callable[[Params, jax.Array, int], jax.Array]:
    """The function (params, key, T) → utilities (P, T) of one block of T trials.

    Parameters
    ----------
    static : GaussianStatic, BernoulliStatic or EmpiricalStatic
        The model structure (:func:`align_theory.montecarlo.specs.model_spec`).
    protocols : tuple of Protocol
        The protocols, in output order.
    sampler : {"candidates", "sufficient"}
        Shared candidate draws, or one sufficient-statistics stream per protocol
        (protocol j draws from ``fold_in(key, j)``).

    Returns
    -------
    callable
        Traceable by JAX; utilities are minus the host shift (μ in model G).

    Examples
    --------
    >>> import jax
    >>> from align_theory import Align, GaussianModel
    >>> from align_theory.montecarlo.specs import model_spec
    >>> spec = model_spec(GaussianModel(), 8)
    >>> f = block_utilities(spec.static, (Align(2, 4),), "sufficient")
    >>> f(as_device_params(spec.params), jax.random.key(0), 16).shape
    (1, 16)
    """
    kern = _kernels(static)
    if sampler == "sufficient":
        fns = [kern.sufficient[type(q)] for q in protocols]

        def suff(p: Params, key: jax.Array, t: int) -> jax.Array:
            return jnp.stack(
                [
                    fn(static, p, q, jax.random.fold_in(key, j), t)
                    for j, (fn, q) in enumerate(zip(fns, protocols, strict=True))
                ]
            )

        return suff
    layouts = sorted({pool_layout(q) for q in protocols})
    rules = [CANDIDATE_RULES[type(q)] for q in protocols]

    def cand(p: Params, key: jax.Array, t: int) -> jax.Array:
        pools = kern.draw_pools(static, p, key, t, layouts)
        return jnp.stack(
            [r(p, q, pools[pool_layout(q)]) for r, q in zip(rules, protocols, strict=True)]
        )

    return cand


def trial_width(static: Static, protocols: Sequence[Protocol], sampler: str) -> int:
    """Float32 words of device memory one trial needs, at most.

    A conservative count of the sampler's live arrays, used to size chunks (checked against
    XLA's own memory analysis in the tests).

    Parameters
    ----------
    static : GaussianStatic, BernoulliStatic or EmpiricalStatic
        The model structure.
    protocols : sequence of Protocol
        The protocols of one program.
    sampler : {"candidates", "sufficient"}
        The sampler.

    Returns
    -------
    int
        Words per trial.

    Examples
    --------
    >>> from align_theory import Align
    >>> trial_width(GaussianStatic(True, False), [Align(2, 4)], "candidates")
    208
    """
    kern = _kernels(static)
    if sampler == "sufficient":
        assert kern.sufficient_width is not None
        return sum(kern.sufficient_width(static, q) for q in protocols)
    n_max = max(pool_layout(q)[0] for q in protocols)
    width = 24 * n_max + 16
    if isinstance(static, GaussianStatic):
        width += max(gaussian.posterior_width(static, q) for q in protocols)
    if isinstance(static, BernoulliStatic | EmpiricalStatic):
        m = static.wrong_answers if isinstance(static, BernoulliStatic) else static.answer_width
        vote = max(
            (3 * q.n * (m + 1) for q in protocols if protocol_spec(q).needs_answers), default=0
        )
        width += vote + 8 * n_max
    return width


def as_device_params(params: dict[str, np.ndarray]) -> Params:
    """Parameters as device arrays.

    Examples
    --------
    >>> import numpy as np
    >>> as_device_params({"a": np.float32(1.0)})["a"].dtype
    dtype('float32')
    """
    return {k: jnp.asarray(v) for k, v in params.items()}
