"""Elementwise functions that work on float arrays and on object arrays.

The algorithms and loss families are written once; float64 evaluation uses numpy,
high-precision re-evaluation passes object arrays of ``mpmath.mpf`` (or exact
``Fraction``) through the same code.  Transcendental functions on object arrays are
evaluated with mpmath at the precision currently set in ``mpmath.mp``.
"""
from __future__ import annotations

from contextlib import contextmanager
from fractions import Fraction
from typing import Any, Iterator

import mpmath
import numpy as np

__all__ = ["exp", "log1p", "sqrt", "log", "sigmoid", "to_mp", "to_float", "is_exact", "mp_precision"]

#: Default precision (decimal digits) for high-precision re-evaluation.
HIGH_PRECISION_DPS = 60


def _mp(x: Any) -> Any:
    if isinstance(x, Fraction):
        return mpmath.mpf(x.numerator) / x.denominator
    return mpmath.mpf(x)


def is_exact(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype == object


def _obj(fn):
    vf = np.vectorize(lambda v: fn(_mp(v)), otypes=[object])
    return vf


_exp = _obj(mpmath.exp)
_log1p = _obj(mpmath.log1p)
_log = _obj(mpmath.log)
_sqrt = _obj(mpmath.sqrt)


def exp(x: Any) -> Any:
    if is_exact(x):
        return _exp(x)
    if isinstance(x, (mpmath.mpf, Fraction)):
        return mpmath.exp(_mp(x))
    return np.exp(x)


def log1p(x: Any) -> Any:
    if is_exact(x):
        return _log1p(x)
    if isinstance(x, (mpmath.mpf, Fraction)):
        return mpmath.log1p(_mp(x))
    return np.log1p(x)


def log(x: Any) -> Any:
    if is_exact(x):
        return _log(x)
    if isinstance(x, (mpmath.mpf, Fraction)):
        return mpmath.log(_mp(x))
    return np.log(x)


def _is_ball(x: Any) -> bool:
    return type(x).__name__ == "arb" and type(x).__module__.startswith("flint")


def sqrt(x: Any) -> Any:
    if _is_ball(x):  # rigorous ball arithmetic (python-flint): the exact worst-case engine's AGD
        return x.sqrt()
    if is_exact(x):
        return _sqrt(x)
    if isinstance(x, (mpmath.mpf, Fraction)):
        return mpmath.sqrt(_mp(x))
    return np.sqrt(x)


def sigmoid(x: Any) -> Any:
    """Numerically stable logistic function 1/(1+exp(-x))."""
    if is_exact(x) or isinstance(x, (mpmath.mpf, Fraction)):
        return 1 / (1 + exp(-x))
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def softplus(x: Any) -> Any:
    """log(1 + exp(x)), stable for large |x|."""
    if is_exact(x) or isinstance(x, (mpmath.mpf, Fraction)):
        return log1p(exp(x))
    x = np.asarray(x, dtype=float)
    return np.logaddexp(0.0, x)


def to_mp(a: Any) -> np.ndarray:
    """Convert floats/Fractions (scalar or array) to an object array of mpf.

    Floats convert exactly (every binary64 is an mpf), so a re-evaluation starts
    from exactly the numbers the float computation used.
    """
    arr = np.asarray(a, dtype=object) if not is_exact(a) else a
    return np.vectorize(_mp, otypes=[object])(arr) if arr.size else arr.astype(object)


def to_float(a: Any) -> Any:
    if is_exact(a):
        return np.vectorize(float, otypes=[float])(a)
    if isinstance(a, (mpmath.mpf, Fraction)):
        return float(a)
    return a


@contextmanager
def mp_precision(dps: int = HIGH_PRECISION_DPS) -> Iterator[None]:
    """Temporarily set mpmath's working precision (restored afterwards)."""
    old = mpmath.mp.dps
    mpmath.mp.dps = dps
    try:
        yield
    finally:
        mpmath.mp.dps = old
