r"""Fit the polynomial pieces of the float32 inverse normal in ``montecarlo/common.py``.

:func:`align_theory.montecarlo.common.normal_from_log` writes Φ⁻¹(p) = √2 · x · P(w) with
x = 2p − 1, w = −log(4p(1 − p)) = −log(1 − x²) and P(w) = erfinv(x)/x, an even, smooth,
positive function of x² = 1 − e^{−w} (P(0) = √π/2). This script fits P piecewise by
weighted least squares (weights 1/P, i.e. relative error) in float64 on Chebyshev nodes,
against SciPy's float64 ``ndtri`` (and ``erfinv`` where x < ½, which is exact there):

* central piece: a polynomial in t = w − c on 0 ≤ w ≤ 5;
* two tail pieces: polynomials in t = √w − c on 5 ≤ w ≤ 16.5 and 16.5 ≤ w ≤ 88.5
  (w ≤ 85.95 for float32 p ≥ tiny, the largest value the clamps let through);

with c the middle of each interval in its variable. The coefficients are rounded to float32
and the float32 Horner evaluation is checked on a dense grid; run

    python benchmarks/fit_inverse_normal.py

to print the measured relative errors and the constants pasted into common.py.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erfinv, ndtri

PIECES = (  # (w_lo, w_hi, in √w?, degree)
    (0.0, 5.0, False, 8),
    (5.0, 16.5, True, 9),
    (16.5, 88.5, True, 9),
)
NODES = 4000


def p_of_w(w: np.ndarray) -> np.ndarray:
    """P(w) = erfinv(x)/x, x = √(1 − e^{−w}), in float64."""
    w = np.asarray(w, np.float64)
    x = np.sqrt(-np.expm1(-w))
    p = np.exp(-w) / (2.0 * (1.0 + x))  # the lower p with 4p(1 − p) = e^{−w}, no cancellation
    safe = np.where(x > 0, x, 1.0)
    tail = -ndtri(p) / (np.sqrt(2.0) * safe)
    central = np.where(x > 0, erfinv(x) / safe, np.sqrt(np.pi) / 2)
    return np.where(x < 0.5, central, tail)


def fit_piece(lo: float, hi: float, in_sqrt: bool, deg: int) -> tuple[float, np.ndarray]:
    """Centre c (float32-exact) and float64 coefficients of P ≈ Σ a_j (v − c)^j."""
    a, b = (np.sqrt(lo), np.sqrt(hi)) if in_sqrt else (lo, hi)
    c = float(np.float32((a + b) / 2))
    v = (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (np.arange(NODES) + 0.5) / NODES)
    y = p_of_w(v**2 if in_sqrt else v)
    design = np.vander(v - c, deg + 1, increasing=True) / y[:, None]
    coef = np.linalg.lstsq(design, np.ones_like(y), rcond=None)[0]
    return c, coef


def horner32(coef: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Σ coef_j t^j in float32, highest degree first (as the JAX code evaluates it)."""
    cf = coef.astype(np.float32)
    t = t.astype(np.float32)
    r = np.full_like(t, cf[-1])
    for ci in cf[-2::-1]:
        r = r * t + ci
    return r


def main() -> None:
    for lo, hi, in_sqrt, deg in PIECES:
        c, coef = fit_piece(lo, hi, in_sqrt, deg)
        a, b = (np.sqrt(lo), np.sqrt(hi)) if in_sqrt else (lo, hi)
        v = np.linspace(a, b, 400_001)
        err = np.abs(horner32(coef, v - c) / p_of_w(v**2 if in_sqrt else v) - 1.0).max()
        var = "sqrt(w)" if in_sqrt else "w"
        print(f"# {lo} <= w <= {hi}: degree {deg} in {var} - {c!r}; float32 max rel err {err:.2e}")
        print(f"    ({np.float32(c)!s}, (" + ", ".join(str(np.float32(x)) for x in coef) + ")),")


if __name__ == "__main__":
    main()
