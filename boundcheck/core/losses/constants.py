"""Certified constants (Section 2.1: ρ-Lipschitz, β-smooth) of every loss family.

Each constant is a proven upper bound: a closed form in the data (e.g. β = max ‖x‖²/4 for
logistic loss) with an explicit floating-point rounding margin, so a reported constant is never
below the truth.  Two views: over a whole batch (``Constants``, used by ``LossFamily.constants``)
and per example with the candidate axes kept (``per_example``, used by the search engine).

Owns: ``Constants``, the closed forms, ``GLOBAL_SLOPE``.  May import: numpy,
``boundcheck.core.numerics`` and ``boundcheck.core.losses.arith``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.losses.arith import EPS, margin, norm

__all__ = ["Constants", "HUBER_DELTA", "BATCH_CONSTANTS", "per_example", "quadratic_is_convex", "GLOBAL_SLOPE"]

#: the Huber threshold δ when an example does not carry its own
HUBER_DELTA = 1.0


@dataclass(frozen=True)
class Constants:
    """Certified constants of a family on a batch of examples over the ball ‖w‖ ≤ radius.

    beta: smoothness (Lipschitz constant of ∇f(·, ξ)), an upper bound.
    rho: Lipschitz constant of f(·, ξ) on the ball, an upper bound.
    how: how each bound was obtained (the certificate).
    """

    beta: float
    rho: float
    radius: float
    how: str


def _lin_const(ex, radius):
    rho = margin(np.max(norm(ex["a"])))
    return Constants(0.0, rho, radius, "linear: β = 0 (∇f constant); ρ = max‖a‖ (global)")


def _ls_const(ex, radius):
    nx = norm(ex["x"])
    beta = margin(np.max(nx**2))
    rho = margin(np.max(nx * (nx * radius + np.abs(ex["y"]))))
    return Constants(beta, rho, radius, "least squares: β = max‖x‖² (Hessian xxᵀ); ρ = max ‖x‖(‖x‖R + |y|) on ‖w‖ ≤ R")


def _sym_eig_bounds(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Certified (lower, upper) eigenvalue bounds of symmetric matrices (..., n, n).

    eigvalsh is backward stable: each computed eigenvalue is within
    c·n·eps·‖A‖₂ ≤ c·n·eps·‖A‖_F of an exact one; we widen by 8·n·eps·‖A‖_F.
    """
    A = (A + np.swapaxes(A, -1, -2)) / 2
    ev = np.linalg.eigvalsh(A)
    pad = 8 * A.shape[-1] * EPS * np.sqrt(np.sum(A**2, axis=(-1, -2)))
    return ev[..., 0] - pad, ev[..., -1] + pad


def _quad_const(ex, radius):
    lo, hi = _sym_eig_bounds(ex["A"])
    beta = margin(max(0.0, float(np.max(hi))))
    rho = margin(np.max(np.maximum(hi, 0) * radius + norm(ex["b"])))
    return Constants(beta, rho, radius, "quadratic ½wᵀAw − bᵀw: β = max λ_max(A) (eigvalsh + backward-error pad); ρ = max(λ_max R + ‖b‖)")


def quadratic_is_convex(ex: Mapping[str, Any]) -> bool:
    """True when every per-example Hessian A_ξ is PSD (certified lower bound ≥ 0)."""
    lo, _ = _sym_eig_bounds(np.asarray(nm.to_float(np.asarray(ex["A"])), dtype=float))
    return bool(np.all(lo >= -1e-12 * (1 + np.abs(lo))))


def _logistic_const(ex, radius):
    nx = norm(ex["x"]) * np.abs(ex["y"])
    return Constants(
        margin(np.max(nx**2) / 4), margin(np.max(nx)), radius,
        "logistic log(1+e^{−y⟨x,w⟩}): σ' ≤ 1/4 ⇒ β = max‖yx‖²/4; |σ| ≤ 1 ⇒ ρ = max‖yx‖ (global)",
    )


def _huber_const(ex, radius):
    nx = norm(ex["x"])
    d = float(np.max(ex.get("delta", HUBER_DELTA)))
    rho = np.max(nx * np.minimum(d, nx * radius + np.abs(ex["y"])))
    return Constants(margin(np.max(nx**2)), margin(rho), radius,
                     "Huber ψ_δ(⟨x,w⟩−y): ψ'' ≤ 1 ⇒ β = max‖x‖²; |ψ'| ≤ min(δ, |r|) ⇒ ρ = max ‖x‖ min(δ, ‖x‖R+|y|)")


def _softplus_const(ex, radius):
    nx = norm(ex["x"])
    return Constants(margin(np.max(nx**2) / 4), margin(np.max(nx)), radius,
                     "softplus log(1+e^{⟨x,w⟩−y}): σ' ≤ 1/4 ⇒ β = max‖x‖²/4; σ ≤ 1 ⇒ ρ = max‖x‖ (global)")


def _sqhinge_const(ex, radius):
    nx = norm(ex["x"])
    return Constants(margin(np.max(nx**2)), margin(np.max(nx * (nx * radius + np.abs(ex["y"])))), radius,
                     "squared hinge ½max(0,⟨x,w⟩−y)²: piecewise quadratic, curvature kink; β = max‖x‖²; ρ = max‖x‖(‖x‖R+|y|)")


def _pwq_overlap(c: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The most windows [c_k − h_k, c_k + h_k] (h_k > 0) covering one point, per example (..., K)."""
    lo, hi = c - h, c + h
    active = h > 0
    best = np.zeros(c.shape[:-1], dtype=int)
    for k in range(c.shape[-1]):  # a point of maximal coverage can be taken at some window's left end
        cover = (active & (lo <= lo[..., k:k + 1]) & (hi >= lo[..., k:k + 1])).sum(axis=-1)
        best = np.maximum(best, np.where(active[..., k], cover, 0))
    return best


def _pwq_per_example(f: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    nx = norm(f["x"])
    kap, h = np.abs(f["kappa"]), np.maximum(f["h"], 0)
    beta = kap * nx**2 * _pwq_overlap(f["c"], h)
    slope = np.maximum(np.abs(f["rho0"]), np.abs(-f["rho0"] + 2 * kap * h.sum(axis=-1)))
    return margin(beta), margin(slope * nx)


def _pwq_const(ex, radius):
    b, r = _pwq_per_example(ex)
    return Constants(float(np.max(b)), float(np.max(r)), radius,
                     "pwq ridge θ(⟨x, w⟩), θ' = −ρ₀ + κΣ(clip(r−c_k, ±h_k) + h_k): β = κ‖x‖²·(max window overlap); "
                     "ρ = max(|ρ₀|, |−ρ₀ + 2κΣh_k|)·‖x‖ (global)")


#: whole-batch certified constants of each family, ``(examples, radius) -> Constants``
BATCH_CONSTANTS: dict[str, Callable[[Mapping[str, Any], float], Constants]] = {
    "linear": _lin_const, "least-squares": _ls_const, "quadratic": _quad_const, "logistic": _logistic_const,
    "huber": _huber_const, "softplus": _softplus_const, "squared-hinge": _sqhinge_const, "pwq-ridge": _pwq_const,
}


def per_example(name: str, f: Mapping[str, np.ndarray], R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Certified per-example (β_i, ρ_i) of family ``name`` on float64 examples ``f`` with the radius
    ``R`` already broadcast to shape (..., 1); see ``per_example_constants`` for the public entry."""
    if name == "linear":
        na = norm(f["a"])
        return np.zeros_like(na), margin(na)
    if name == "quadratic":
        lo, hi = _sym_eig_bounds(f["A"])
        hi = np.maximum(hi, 0)
        return margin(hi), margin(hi * R + norm(f["b"]))
    nx = norm(f["x"])
    if name == "least-squares" or name == "squared-hinge":
        return margin(nx**2), margin(nx * (nx * R + np.abs(f["y"])))
    if name == "logistic":
        nyx = nx * np.abs(f["y"])
        return margin(nyx**2 / 4), margin(nyx)
    if name == "softplus":
        return margin(nx**2 / 4), margin(nx)
    if name == "huber":
        d = f.get("delta", HUBER_DELTA)
        return margin(nx**2), margin(nx * np.minimum(d, nx * R + np.abs(f["y"])))
    if name == "pwq-ridge":
        return _pwq_per_example(f)
    raise ValueError(f"no per-example constants for family {name!r}")


#: the largest slope |φ'| of a globally Lipschitz ridge family, as a function of the examples: over the
#: evaluation set Ξ (directions ‖x‖ ≤ r_x, any offset) the Definition 1 supremum is r_x·slope·‖w − w'‖
GLOBAL_SLOPE = {"huber": lambda ex: np.full(np.shape(ex["y"]), HUBER_DELTA), "softplus": lambda ex: np.ones(np.shape(ex["y"])),
                "linear": None, "pwq-ridge": lambda ex: _pwq_per_example(ex)[1] / np.maximum(norm(ex["x"]), 1e-300)}
