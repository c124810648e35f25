"""The raw parameterisation of examples: what a search perturbs and a counterexample file stores.

The raw fields need not be the family's fields: a quadratic's Hessian is stored as a factor L with
A = LLᵀ, which makes every instance convex *by construction* in every arithmetic (no projection, no
tolerance).  Files written before that store A itself ("legacy" fields); their A is checked PSD
exactly (rational LDLᵀ).

Owns: the raw/legacy field tables and their decoding, sampling and hypothesis checks.  May import:
numpy, ``boundcheck.core.numerics`` and ``boundcheck.core.losses.families``.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.losses.families import get_family

__all__ = ["raw_fields", "field_axes", "is_legacy", "decode_raw", "sample_raw", "raw_violations"]

_RAW_FIELDS: dict[str, tuple[str, ...]] = {"quadratic": ("L", "b")}
_LEGACY_FIELDS: dict[str, tuple[str, ...]] = {"quadratic": ("A", "b")}
#: trailing axes of each field, in units of the dimension n (() = one number per example)
_FIELD_AXES: dict[str, tuple[str, ...]] = {"a": ("n",), "x": ("n",), "y": (), "A": ("n", "n"), "L": ("n", "n"),
                                           "b": ("n",), "c": ("K",), "h": ("K",), "rho0": (), "kappa": ()}


def raw_fields(family: str, legacy: bool = False) -> tuple[str, ...]:
    """The fields a search perturbs and a file stores for one example of ``family``."""
    if legacy:
        return _LEGACY_FIELDS.get(family, get_family(family).fields)
    return _RAW_FIELDS.get(family, get_family(family).fields)


def field_axes(name: str) -> tuple[str, ...]:
    """Trailing axes of an example field ("n" = the dimension)."""
    return _FIELD_AXES[name]


def is_legacy(family: str, raw: Mapping[str, Any]) -> bool:
    return family in _LEGACY_FIELDS and set(_LEGACY_FIELDS[family]) <= set(raw) and not set(_RAW_FIELDS[family]) <= set(raw)


def decode_raw(family: str, raw: Mapping[str, Any]) -> dict:
    """The family's example fields from raw fields (A = LLᵀ), in the arithmetic of ``raw``."""
    if family == "quadratic" and "L" in raw:
        L = raw["L"]
        if nm.is_exact(L):
            A = (L[..., :, None, :] * L[..., None, :, :]).sum(axis=-1)
        else:
            A = np.einsum("...ik,...jk->...ij", L, L)
        return {"A": A, "b": raw["b"]}
    return {k: raw[k] for k in get_family(family).fields}


def sample_raw(family: str, rng: np.random.Generator, shape: tuple[int, ...], n: int) -> dict:
    """Random raw examples with leading ``shape`` (quadratics: a factor L of random rank)."""
    if family == "quadratic":
        r = int(rng.integers(1, n + 1))
        L = np.zeros(shape + (n, n))
        L[..., :r] = rng.standard_normal(shape + (n, r)) / np.sqrt(r)
        b = rng.standard_normal(shape + (n,)) / np.sqrt(n)
        return {"L": L, "b": b}
    return get_family(family).sample(rng, shape, n)


def _psd_exact(A: np.ndarray) -> tuple[bool, bool]:
    """(symmetric, PSD) of one float matrix, exactly: symmetric LDLᵀ over the rationals."""
    from fractions import Fraction
    n = A.shape[0]
    M = [[Fraction(float(A[i, j])) for j in range(n)] for i in range(n)]
    if any(M[i][j] != M[j][i] for i in range(n) for j in range(i)):
        return False, False
    for k in range(n):
        d = M[k][k]
        if d < 0:
            return True, False
        if d == 0:
            if any(M[k][j] != 0 for j in range(k + 1, n)):
                return True, False
            continue
        for i in range(k + 1, n):
            if M[i][k] == 0:
                continue
            c = M[i][k] / d
            for j in range(k + 1, i + 1):
                M[i][j] -= c * M[j][k]
                M[j][i] = M[i][j]
    return True, True


def raw_violations(family: str, raw: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Hypotheses of the function class a raw batch can violate, per candidate (leading axis).

    Only legacy quadratic files (A stored directly) can: their A must be symmetric PSD exactly;
    and a piecewise-quadratic ridge loss needs κ ≥ 0 and h_k ≥ 0 (else it is not convex).
    Other instances in raw fields are admissible by construction."""
    if family == "pwq-ridge":
        kap = np.asarray(nm.to_float(np.asarray(raw["kappa"])), dtype=float)
        h = np.asarray(nm.to_float(np.asarray(raw["h"])), dtype=float)
        bad = (kap < 0) | np.any(h < 0, axis=-1)
        return {"each example's loss is convex (κ ≥ 0, h_k ≥ 0)": bad.reshape(bad.shape[0], -1).any(axis=1)}
    if not is_legacy(family, raw):
        return {}
    A = np.asarray(nm.to_float(np.asarray(raw["A"])), dtype=float)
    C = A.shape[0]
    flat = A.reshape((C, -1) + A.shape[-2:])
    sym = np.ones(C, dtype=bool)
    psd = np.ones(C, dtype=bool)
    for c in range(C):
        for M in flat[c]:
            s, p = _psd_exact(M)
            sym[c] &= s
            psd[c] &= p
    return {"each example's Hessian A is symmetric": ~sym, "each example's loss is convex (A ⪰ 0)": sym & ~psd}
