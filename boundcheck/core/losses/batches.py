"""Batch objectives f̄_ξ (Section 2.1) and neighbouring batches (Definition 1) of a loss family,
the reduced mean gradient, and batches realised with a chosen minimiser.

Owns: ``Objective`` and the batch helpers below.  May import: numpy, ``boundcheck.core.numerics``
and the ``arith`` and ``families`` modules of this package.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.losses.arith import dot
from boundcheck.core.losses.families import TRAILING, LossFamily, get_family

__all__ = ["Objective", "batch_objective", "batch_size", "neighbour", "examples_at", "mean_grad_fn", "REALISABLE", "realise"]


@dataclass(frozen=True)
class Objective:
    """The batch objective f̄_ξ (Section 2.1) of a family on a batch of examples."""

    family: LossFamily
    examples: Mapping[str, Any]

    def value(self, w: Any) -> Any:
        return self.family.mean_value(self._check_w(w), self.examples)

    def grad(self, w: Any) -> Any:
        return self.family.mean_grad(self._check_w(w), self.examples)

    def _check_w(self, w: Any) -> Any:
        n = self.family._dim(self.examples)
        if np.ndim(w) == 0 or np.shape(w)[-1] != n:
            raise ValueError(f"w has shape {np.shape(w)}, but the batch examples have dimension {n}")
        return w

    @property
    def batch_size(self) -> int:
        return batch_size(self.family, self.examples)


def batch_objective(family: LossFamily | str, examples: Mapping[str, Any]) -> Objective:
    """f̄_ξ for ``examples``; validates the batch (non-empty, finite, consistent)."""
    fam = get_family(family) if isinstance(family, str) else family
    return Objective(fam, fam.validate(examples))


def batch_size(family: LossFamily | str, examples: Mapping[str, Any]) -> int:
    fam = get_family(family) if isinstance(family, str) else family
    a = np.asarray(examples[fam.fields[0]]) if not nm.is_exact(examples[fam.fields[0]]) else examples[fam.fields[0]]
    return int(a.shape[a.ndim - TRAILING[fam.name][0] - 1])


def neighbour(family: LossFamily | str, examples: Mapping[str, Any], index: int, replacement: Mapping[str, Any]) -> dict:
    """A batch ξ' that differs from ``examples`` in exactly example ``index`` (Definition 1).

    ``replacement`` holds one example (fields without the example axis).
    """
    fam = get_family(family) if isinstance(family, str) else family
    B = batch_size(fam, examples)
    if isinstance(index, bool) or not (isinstance(index, (int, np.integer)) and 0 <= int(index) < B):
        raise ValueError(f"index must be an integer in [0, {B}), got {index!r}")
    axis = np.ndim(examples[fam.fields[0]]) - TRAILING[fam.name][0] - 1  # the example axis
    out = dict(examples)
    for f in fam.fields:
        a = np.array(examples[f], copy=True)
        idx = [slice(None)] * a.ndim
        idx[axis] = int(index)
        a[tuple(idx)] = np.asarray(replacement[f], dtype=a.dtype)
        out[f] = a
    return out


def examples_at(family: LossFamily | str, examples: Mapping[str, Any], index: Any) -> dict:
    """Select examples along the example axis (keeps the axis)."""
    fam = get_family(family) if isinstance(family, str) else family
    lead = np.asarray(examples[fam.fields[0]]).ndim - TRAILING[fam.name][0] - 1
    out = {}
    for f in fam.fields:
        a = examples[f]
        idx = [slice(None)] * a.ndim
        idx[lead] = index
        out[f] = a[tuple(idx)]
    return out


def mean_grad_fn(family: str, ex: Mapping[str, Any], weights: Any = None) -> Callable[[Any], Any]:
    """∇f̄ as a callable of w, with the batch reduced once: for quadratic families the mean
    Hessian is formed once (O(n²) per step instead of O(Bn²)).  ``weights`` (shape (E, m)):
    a weighted batch over m support points (examples on axis −2 after the candidate axis,
    w of shape (C, E, n)); None: the plain mean over the example axis (w of shape (C, n))."""
    fam = get_family(family)
    exact = any(nm.is_exact(v) for v in ex.values())
    if family in ("quadratic", "least-squares"):
        if family == "quadratic":
            H, c = ex["A"], ex["b"]
        else:
            x, y = ex["x"], ex["y"]
            H = x[..., :, None] * x[..., None, :]
            c = y[..., None] * x
        if weights is None:
            Hm = H.sum(axis=1) / H.shape[1]
            cm_ = c.sum(axis=1) / c.shape[1]
        else:
            W = np.asarray(weights, dtype=object if exact else float)
            # H: (C, m, n, n), W: (E, m) → (C, E, n, n)
            Hm = (W[None, :, :, None, None] * H[:, None]).sum(axis=2)
            cm_ = (W[None, :, :, None] * c[:, None]).sum(axis=2)
        if exact:
            return lambda w: (Hm * np.asarray(w, dtype=object)[..., None, :]).sum(axis=-1) - cm_
        return lambda w: np.einsum("...ij,...j->...i", Hm, w) - cm_
    if weights is None:
        return lambda w: fam.mean_grad(w, ex)
    sup = {k: v[:, None] for k, v in ex.items()}

    def g(w):
        gr = fam.grad(w, sup)  # (C, E, m, n)
        return (gr * np.asarray(weights)[None, :, :, None]).sum(axis=2)
    return g


# --------------------------------------------------------------------------- a minimiser by construction
#: families whose examples can all be made to attain their minimum at a chosen point w*
REALISABLE = ("least-squares", "quadratic", "huber", "squared-hinge")


def realise(family: str, ex: Mapping[str, Any], w_star: Any) -> dict:
    """The examples changed so that every one is minimised at ``w_star`` (so f̄ is, with f̄* = f̄(w*)):
    least squares and Huber y := ⟨x, w*⟩; squared hinge y := ⟨x, w*⟩ + |y| (the residual at w* is
    ≤ 0, where the loss is flat); a quadratic b := A w*.  The other fields are kept."""
    if family not in REALISABLE:
        raise ValueError(f"family {family!r} has no minimiser by construction; realisable: {list(REALISABLE)}")
    out = dict(ex)
    if family == "quadratic":
        A = ex["A"]
        W = np.asarray(w_star, dtype=object if nm.is_exact(A) or nm.is_exact(w_star) else float)
        if nm.is_exact(A) or nm.is_exact(W):
            out["b"] = (np.asarray(A, dtype=object) * W[:, None, None, :]).sum(axis=-1)
        else:
            out["b"] = np.einsum("cbij,cj->cbi", A, W)
        return out
    r = dot(ex["x"], w_star)  # (C, B)
    if family == "squared-hinge":
        y = ex["y"]
        out["y"] = r + (np.vectorize(abs, otypes=[object])(y) if nm.is_exact(y) else np.abs(y))
    else:
        out["y"] = r
    return out
