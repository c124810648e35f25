"""Input validation shared by the whole library.

Every public entry point validates its arguments here so that bad input raises a
``ValueError`` that names the offending argument (the CLI turns it into a one-line
message and exit code 2).  Exact rationals (``fractions.Fraction``, ``flint.fmpq``), sympy numbers,
mpmath numbers and ``flint.arb`` balls are accepted wherever a real number is expected.
"""
from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = [
    "check_positive",
    "check_nonnegative",
    "check_positive_int",
    "check_array",
    "check_finite_real",
]


def _is_real(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, numbers.Real):
        return True
    mod = type(x).__module__
    if mod.startswith(("mpmath", "sympy", "flint")):  # flint: fmpq (exact) and arb (rigorous balls), for PEPs
        try:
            return bool(getattr(x, "is_real", True)) and float(x) == float(x)
        except (TypeError, ValueError):
            return False
    return False


def check_finite_real(name: str, x: Any) -> Any:
    """Return ``x`` if it is a finite real scalar (float, int, Fraction, mpf, sympy)."""
    if isinstance(x, np.ndarray) and x.shape == ():
        x = x[()]
    if not _is_real(x):
        raise ValueError(f"{name} must be a real number, got {x!r}")
    fx = float(x)
    if not np.isfinite(fx):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return x


def check_positive(name: str, x: Any) -> Any:
    """``x > 0``; returns x unchanged (exact types are kept exact)."""
    x = check_finite_real(name, x)
    if not x > 0:
        raise ValueError(f"{name} must be > 0, got {x!r}")
    return x


def check_nonnegative(name: str, x: Any) -> Any:
    x = check_finite_real(name, x)
    if not x >= 0:
        raise ValueError(f"{name} must be >= 0, got {x!r}")
    return x


def check_positive_int(name: str, k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, (numbers.Integral, np.integer)):
        if isinstance(k, Fraction) and k.denominator == 1:
            k = int(k)
        else:
            raise ValueError(f"{name} must be a positive integer, got {k!r}")
    if int(k) < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {k!r}")
    return int(k)


def check_array(
    name: str,
    a: Any,
    *,
    ndim: int | None = None,
    min_ndim: int | None = None,
    last: int | None = None,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return ``a`` as an ndarray; reject NaN/inf, empty arrays and wrong shapes.

    Object arrays (Fractions, mpf) are kept as object arrays so exact and
    high-precision evaluation go through the same code path as float64.
    """
    if isinstance(a, np.ndarray) and a.dtype == object:
        arr = a
    else:
        try:
            arr = np.asarray(a)
        except Exception as exc:  # pragma: no cover - defensive
            raise ValueError(f"{name} could not be read as an array: {exc}") from None
        if arr.dtype == object:
            pass
        elif not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
            raise ValueError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
        else:
            arr = arr.astype(np.float64, copy=False) if not np.issubdtype(arr.dtype, np.floating) else arr
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if last is not None and (arr.ndim == 0 or arr.shape[-1] != last):
        raise ValueError(f"{name} must have last dimension {last}, got shape {arr.shape}")
    if arr.dtype == object:
        for v in arr.flat:
            check_finite_real(name + " entry", v)
    elif not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr
