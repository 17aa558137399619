"""Parameter validation shared by models and protocols.

Every check raises :class:`ValueError` whose message names the parameter, the value
received and the allowed range, so that a bad value in a long sweep is found at once.
"""

from __future__ import annotations

import math

import numpy as np


def finite(name: str, value: float) -> float:
    """Return ``float(value)`` or raise unless it is a finite real number.

    Only real numbers are accepted: ``int``, ``float`` and NumPy integer / floating scalars.
    Booleans, strings, bytes, complex numbers and arrays are refused (``mu='0.5'`` or
    ``kappa=True`` is a mistake, not a number); an integer too large for a float is refused.

    Examples
    --------
    >>> finite("mu", 2)
    2.0
    >>> finite("kappa", True)
    Traceback (most recent call last):
    ...
    ValueError: kappa must be a finite real number, got True
    """
    real = isinstance(value, int | float | np.integer | np.floating)
    if not real or isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be a finite real number, got {_show(value)}")
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a finite real number, got {_show(value)}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite real number, got {_show(value)}")
    return v


def _show(value: object) -> str:
    """``repr(value)``, shortened to 60 characters (a 400-digit number stays one line)."""
    if isinstance(value, int) and abs(value) >= 10**50:
        return f"an integer of {int(value.bit_length() * 0.30103) + 1} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def in_range(
    name: str,
    value: float,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Return ``float(value)`` or raise unless it lies in the interval [lo, hi]
    (open at an end where asked)."""
    v = finite(name, value)
    bad = (lo is not None and (v < lo or (lo_open and v == lo))) or (
        hi is not None and (v > hi or (hi_open and v == hi))
    )
    if bad:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        if lo is None:
            left = "("
        if hi is None:
            right = ")"
        raise ValueError(f"{name} must lie in {left}{lo_s}, {hi_s}{right}, got {_show(value)}")
    return v


def positive_int(name: str, value: int, lo: int = 1, hi: int | None = None) -> int:
    """Return ``value`` or raise unless it is an integer with lo <= value <= hi."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer >= {lo}, got {_show(value)}")
    v = int(value)
    if v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} must be an integer {rng}, got {_show(value)}")
    return v
