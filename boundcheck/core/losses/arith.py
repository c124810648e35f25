"""Arithmetic shared by the loss families: rounding margins, norms and inner products that work
on float64 arrays and on object arrays of mpmath numbers alike.

Owns: the three helpers below.  May import: numpy and ``boundcheck.core.numerics``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from boundcheck.core import numerics as nm

__all__ = ["EPS", "margin", "norm", "dot"]

EPS = np.finfo(float).eps


def margin(x: float, n_ops: int = 8) -> float:
    """Upper rounding margin for a float quantity computed with ~n_ops roundings."""
    if np.ndim(x):
        return np.asarray(x, dtype=float) * (1.0 + 4 * n_ops * EPS) + 1e-300
    return float(x) * (1.0 + 4 * n_ops * EPS) + 1e-300


def norm(v: Any, axis: int = -1) -> Any:
    if nm.is_exact(v):
        return nm.sqrt((v * v).sum(axis=axis))
    return np.sqrt(np.sum(np.asarray(v, dtype=float) ** 2, axis=axis))


def dot(x: Any, w: Any) -> Any:
    """<x_i, w> for x (..., B, n) and w (..., n) -> (..., B)."""
    if nm.is_exact(x) or nm.is_exact(w):
        return (np.asarray(x, dtype=object) * np.asarray(w, dtype=object)[..., None, :]).sum(axis=-1)
    return np.einsum("...bn,...n->...b", x, w)
