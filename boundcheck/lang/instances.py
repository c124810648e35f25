"""Numeric helpers the settings share (float64 arrays and object arrays of mpmath alike)."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.losses import per_example_constants

__all__ = ["norm", "cand_constants"]


def norm(v: Any, axis: int = -1) -> Any:
    if nm.is_exact(v):
        return nm.sqrt((v * v).sum(axis=axis))
    return np.sqrt(np.sum(v * v, axis=axis))


def cand_constants(family: str, ex: Mapping[str, Any], radius: Any) -> tuple[np.ndarray, np.ndarray]:
    """Certified (β, ρ) per candidate: the max over every example axis after the candidate axis."""
    b, r = per_example_constants(family, ex, radius)
    axes = tuple(range(1, b.ndim))
    return np.max(b, axis=axes), np.max(r, axis=axes)
