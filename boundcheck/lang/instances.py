"""Shared numeric machinery of the statements: drawing admissible instances, running
the algorithms on many candidates at once, finite-support expectations, and the
closed-form uniform-stability supremum (Definition 1) for linear and quadratic losses.

All functions accept float arrays or object arrays (mpmath), so the same code gives
float64 search results and their high-precision re-evaluation.
"""
from __future__ import annotations

import itertools
import math
from typing import Any, Mapping, Sequence

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.algorithms import AGDState, GDState, ProxState, accelerated_gradient_descent, gradient_descent, proximal_gradient_descent
from boundcheck.core.losses import get_family, per_example_constants
from boundcheck.core.stability import closed_form_sup as stability_sup, domain_radii, rho_over_domain  # noqa: F401

GD = gradient_descent()
PROX = proximal_gradient_descent()
AGD = accelerated_gradient_descent()

#: families with a closed-form sup over the evaluation domain Ξ (Definition 1)
CLOSED_FORM_SUP = ("linear", "quadratic")
CONVEX = ("linear", "least-squares", "quadratic", "logistic", "huber", "softplus", "squared-hinge")
QUADRATIC = ("linear", "least-squares", "quadratic")


def norm(v: Any, axis: int = -1) -> Any:
    if nm.is_exact(v):
        return nm.sqrt((v * v).sum(axis=axis))
    return np.sqrt(np.sum(v * v, axis=axis))


def sqnorm(v: Any, axis: int = -1) -> Any:
    return (v * v).sum(axis=axis)


def maxabs(a: Any, axis: int) -> Any:
    if nm.is_exact(a):
        return np.max(np.vectorize(abs, otypes=[object])(a), axis=axis)
    return np.max(np.abs(a), axis=axis)


def xmax(a: Any, axis: int) -> Any:
    return np.max(a, axis=axis)


def draw_examples(rng: np.random.Generator, family: str, shape: tuple[int, ...], n: int) -> dict:
    """Random examples with leading ``shape`` and a random per-candidate scale (log-uniform)."""
    fam = get_family(family)
    ex = fam.sample(rng, shape, n)
    C = shape[0]
    s = np.exp(rng.uniform(-2, 2, size=(C,)))
    for k in ex:
        if k == "y" and family == "logistic":
            continue
        extra = ex[k].ndim - 1
        ex[k] = ex[k] * s.reshape((C,) + (1,) * extra)
    return ex


def cand_constants(family: str, ex: Mapping[str, Any], radius: Any, example_axis: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Certified (β, ρ) per candidate: max over every axis after the candidate axis
    that indexes examples (examples live on axes 1..example_axis)."""
    b, r = per_example_constants(family, ex, radius)
    axes = tuple(range(1, b.ndim))
    return np.max(b, axis=axes), np.max(r, axis=axes)


def eta_from_u(u: Any, beta: Any) -> Any:
    """η = u/β with u ∈ (0, 1] (η ≤ 1/β by construction); β = 0 ⇒ η = u (any η is admissible)."""
    if nm.is_exact(u) or nm.is_exact(beta):
        return np.asarray([ui / bi if bi > 0 else ui for ui, bi in zip(u, nm.to_mp(beta) if not nm.is_exact(beta) else beta)], dtype=object)
    beta = np.asarray(beta, dtype=float)
    return np.where(beta > 0, u / np.where(beta > 0, beta, 1.0), u)


def clip_u(u: Any) -> Any:
    """Project the raw step fraction into (0, 1]."""
    if nm.is_exact(u):
        return u
    return np.clip(np.abs(u), 1e-6, 1.0)


def add_axis(a: Any, axis: int) -> Any:
    return np.expand_dims(a, axis)


def col(x: Any, nd: int) -> Any:
    """Reshape a per-candidate array (C,) to broadcast against arrays with nd dims."""
    x = np.asarray(x, dtype=object) if nm.is_exact(x) else np.asarray(x)
    return x.reshape(x.shape + (1,) * (nd - x.ndim))


# ----------------------------------------------------------------------------- finite support
def count_vectors(m: int, B: int) -> np.ndarray:
    """All (k_1..k_m) ≥ 0 with Σ k = B: the distinct batches (as multisets) of B draws."""
    out = [c for c in itertools.product(range(B + 1), repeat=m) if sum(c) == B]
    return np.array(out, dtype=int)


def multinomial_log_coeff(counts: np.ndarray) -> np.ndarray:
    B = counts.sum(axis=-1)
    return np.vectorize(math.lgamma)(B + 1.0) - np.sum(np.vectorize(math.lgamma)(counts + 1.0), axis=-1)


def weighted_grad(family: str, w: Any, support: Mapping[str, Any], weights: Any) -> Any:
    """∇f̄ for a batch given as weights over the support points.

    w: (C, E, n); support fields: (C, 1, m, …); weights: (E, m) (= counts/B)."""
    fam = get_family(family)
    g = fam.grad(w, support)  # (C, E, m, n)
    return (g * weights[None, :, :, None]).sum(axis=2)


def weighted_value(family: str, w: Any, support: Mapping[str, Any], weights: Any) -> Any:
    fam = get_family(family)
    v = fam.value(w, support)  # (C, E, m)
    return (v * weights[None]).sum(axis=2)


def population_value(family: str, w: Any, support: Mapping[str, Any], p: Any) -> Any:
    """F(w) = Σ_i p_i f(w, s_i).  w: (C, E, n); p: (C, m)."""
    fam = get_family(family)
    v = fam.value(w, support)  # (C, E, m)
    return (v * p[:, None, :]).sum(axis=2)
