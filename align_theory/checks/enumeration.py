r"""Model B selection probabilities by brute-force enumeration, independent of the closed-form
stage operator of :mod:`align_theory.exact.bernoulli`.

A selector with verifier (s, f) reads K candidates, each correct with probability p
independently, and picks uniformly among those it accepts (uniformly among all when it
accepts none). Each candidate falls into one of four cells — accepted correct, accepted
wrong, rejected correct, rejected wrong — with probabilities ps, (1−p)f, p(1−s), (1−p)(1−f);
the counts (n₁, n₂, n₃, n₄) are multinomial. Summing, over every composition of K into
four counts, the multinomial probability times the selector's chance of a correct output,

    P(correct) = Σ P(n) · [n₁/(n₁+n₂) if n₁+n₂ > 0 else n₃/K],

gives the selection probability without the closed form Φ_{s,f,K}(p) (the quantity a
wrong stage exponent would corrupt).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from align_theory._validate import positive_int

__all__ = ["stage_by_enumeration"]


def stage_by_enumeration(p: np.ndarray | float, tpr: float, fpr: float, k: int) -> np.ndarray:
    r"""P(a verifier selector outputs a correct candidate) by enumerating count patterns.

    Parameters
    ----------
    p : float or numpy.ndarray
        Probability that each candidate is correct (vectorized).
    tpr, fpr : float
        The verifier's P(accept | correct) = s and P(accept | wrong) = f.
    k : int
        Number of candidates K (C(K+3, 3) patterns are summed; keep K ≲ 64).

    Returns
    -------
    numpy.ndarray
        P(correct output), the shape of ``p``.

    Examples
    --------
    >>> round(float(stage_by_enumeration(0.3, 1.0, 0.0, 2)), 12)  # exact verifier: 1 − 0.7²
    0.51
    >>> round(float(stage_by_enumeration(0.3, 0.5, 0.5, 5)), 12)  # uninformative verifier: p
    0.3
    """
    kk = positive_int("k", k)
    pa = np.asarray(p, dtype=float)
    cells = np.array(
        [
            (a, b, c, kk - a - b - c)
            for a, b, c in itertools.product(range(kk + 1), repeat=3)
            if a + b + c <= kk
        ],
        dtype=float,
    )
    logcoef = np.array(
        [math.lgamma(kk + 1) - sum(math.lgamma(n + 1) for n in row) for row in cells]
    )
    acc = cells[:, 0] + cells[:, 1]
    win = np.where(acc > 0, cells[:, 0] / np.maximum(acc, 1.0), cells[:, 2] / kk)
    probs = np.stack(
        [pa * tpr, (1 - pa) * fpr, pa * (1 - tpr), (1 - pa) * (1 - fpr)], axis=-1
    )  # (..., 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.log(probs)
        # 0·log 0 = 0: a zero count contributes nothing whatever its cell probability
        terms = np.where(cells == 0, 0.0, cells * logp[..., None, :])
    weight = np.exp(logcoef + terms.sum(-1))
    return np.asarray((weight * win).sum(-1))
