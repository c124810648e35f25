"""Loss families f(w, ξ): per-example value, gradient and instance sampler, vectorised; the registry.

Examples are dicts of arrays whose *example axis* is the first axis of a single batch (``x`` has
shape ``(B, n)``); any further leading axes are independent candidate instances (``(C, B, n)``),
which is how the search engine evaluates many instances per array operation.  ``w`` has shape
``(..., n)`` with the same leading axes.  The certified constants of each family are in
``boundcheck.core.losses.constants``.

Owns: ``LossFamily``, ``FAMILIES``, ``FAMILY_GROUPS``, ``get_family``, ``per_example_constants``.
May import: numpy, ``boundcheck.core.numerics``, ``boundcheck.core.validate`` and the ``arith`` and
``constants`` modules of this package.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.losses.arith import dot
from boundcheck.core.losses.constants import BATCH_CONSTANTS, HUBER_DELTA, Constants, per_example
from boundcheck.core.validate import check_array, check_nonnegative

__all__ = ["LossFamily", "FAMILIES", "FAMILY_GROUPS", "TRAILING", "get_family", "family_names", "per_example_constants"]


@dataclass(frozen=True)
class LossFamily:
    """A loss family: value/gradient per example and certified constants.

    Attributes:
        name: registry name.
        fields: names of the arrays that make one example.
        convex, quadratic: structural facts the statements' hypotheses refer to.
        global_lipschitz: ρ does not depend on the radius of the domain.
    """

    name: str
    fields: tuple[str, ...]
    convex: bool
    quadratic: bool
    global_lipschitz: bool
    description: str
    _value: Callable[[Any, Mapping[str, Any]], Any] = field(repr=False)
    _grad: Callable[[Any, Mapping[str, Any]], Any] = field(repr=False)
    _constants: Callable[[Mapping[str, Any], float], Constants] = field(repr=False)
    _sample: Callable[..., dict] = field(repr=False)

    def value(self, w: Any, ex: Mapping[str, Any]) -> Any:
        """Per-example loss f(w, ξ_i), shape (..., B)."""
        return self._value(w, ex)

    def grad(self, w: Any, ex: Mapping[str, Any]) -> Any:
        """Per-example gradient ∇f(w, ξ_i), shape (..., B, n)."""
        return self._grad(w, ex)

    def mean_value(self, w: Any, ex: Mapping[str, Any]) -> Any:
        """f̄_ξ(w) = (1/|ξ|) Σ_i f(w, ξ_i) (Section 2.1), shape (...)."""
        v = self.value(w, ex)
        return v.sum(axis=-1) / v.shape[-1]

    def mean_grad(self, w: Any, ex: Mapping[str, Any]) -> Any:
        g = self.grad(w, ex)
        return g.sum(axis=-2) / g.shape[-2]

    def constants(self, ex: Mapping[str, Any], radius: float = 1.0) -> Constants:
        """Certified (β, ρ) over all examples in ``ex`` and the ball ‖w‖ ≤ radius."""
        check_nonnegative("radius", radius)
        ex = {k: np.asarray(nm.to_float(np.asarray(v)), dtype=float) for k, v in ex.items()}
        return self._constants(ex, float(radius))

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...] | int, n: int, **kw: Any) -> dict:
        """Random examples with leading ``shape`` (e.g. (B,) or (C, B)) in dimension n."""
        if isinstance(shape, int):
            shape = (shape,)
        return self._sample(rng, tuple(shape), int(n), **kw)

    def validate(self, ex: Mapping[str, Any], n: int | None = None) -> dict:
        """Check an example dict: right fields, finite, non-empty, consistent shapes."""
        if not isinstance(ex, Mapping):
            raise ValueError(f"batch must be a mapping of arrays with fields {self.fields}")
        missing = [f for f in self.fields if f not in ex]
        if missing:
            raise ValueError(f"batch is missing field(s) {missing} for family {self.name!r}")
        out = {f: check_array(f"batch[{f!r}]", ex[f], min_ndim=1) for f in self.fields}
        lead = out[self.fields[0]].shape[: self._lead_ndim(out)]
        for f, a in out.items():
            if a.shape[: len(lead)] != lead:
                raise ValueError(f"batch[{f!r}] has shape {a.shape}, inconsistent with {lead} examples")
        if n is not None:
            dims = self._dim(out)
            if dims != n:
                raise ValueError(f"batch examples have dimension {dims}, but w has dimension {n}")
        return out

    def _lead_ndim(self, ex: Mapping[str, np.ndarray]) -> int:
        f0 = self.fields[0]
        return ex[f0].ndim - TRAILING[self.name][0]

    def _dim(self, ex: Mapping[str, np.ndarray]) -> int:
        return int(ex[self.fields[0]].shape[-1])


# number of trailing (non-example) axes of the first field of each family
TRAILING: dict[str, tuple[int, ...]] = {}


# --------------------------------------------------------------------------- linear
def _lin_value(w, ex):
    return dot(ex["a"], w)


def _lin_grad(w, ex):
    a = ex["a"]
    shape = np.broadcast_shapes(np.shape(a), np.shape(w)[:-1] + (1, np.shape(w)[-1]))
    return np.broadcast_to(a, shape)


def _lin_sample(rng, shape, n, scale=1.0):
    return {"a": scale * rng.standard_normal(shape + (n,))}


# --------------------------------------------------------------------------- least squares
def _ls_value(w, ex):
    r = dot(ex["x"], w) - ex["y"]
    return r * r / 2


def _ls_grad(w, ex):
    r = dot(ex["x"], w) - ex["y"]
    return r[..., None] * ex["x"]


def _xy_sample(rng, shape, n, scale=1.0, noise=0.1, labels="real"):
    x = scale * rng.standard_normal(shape + (n,)) / np.sqrt(n)
    wt = rng.standard_normal(shape[:-1] + (n,)) if len(shape) else rng.standard_normal(n)
    y = np.einsum("...bn,...n->...b", x, wt) + noise * rng.standard_normal(shape)
    if labels == "sign":
        y = np.where(y >= 0, 1.0, -1.0)
    return {"x": x, "y": y}


# --------------------------------------------------------------------------- convex quadratic
def _quad_value(w, ex):
    A, b = ex["A"], ex["b"]
    if nm.is_exact(A) or nm.is_exact(w):
        W = np.asarray(w, dtype=object)[..., None, :]
        Aw = (np.asarray(A, dtype=object) * W[..., None, :]).sum(axis=-1)
        return (W * Aw).sum(axis=-1) / 2 - (b * W).sum(axis=-1)
    Aw = np.einsum("...bij,...j->...bi", A, w)
    return np.einsum("...bi,...i->...b", Aw, w) / 2 - np.einsum("...bi,...i->...b", b, w)


def _quad_grad(w, ex):
    A, b = ex["A"], ex["b"]
    if nm.is_exact(A) or nm.is_exact(w):
        W = np.asarray(w, dtype=object)[..., None, None, :]
        return (np.asarray(A, dtype=object) * W).sum(axis=-1) - b
    return np.einsum("...bij,...j->...bi", A, w) - b


def _quad_sample(rng, shape, n, scale=1.0, rank=None):
    r = n if rank is None else rank
    L = rng.standard_normal(shape + (n, r)) / np.sqrt(max(r, 1))
    A = scale * np.einsum("...ik,...jk->...ij", L, L)
    b = scale * rng.standard_normal(shape + (n,)) / np.sqrt(n)
    return {"A": A, "b": b}


# --------------------------------------------------------------------------- logistic
def _logitmargin(w, ex):
    return ex["y"] * dot(ex["x"], w)


def _logistic_value(w, ex):
    return nm.softplus(-_logitmargin(w, ex))


def _logistic_grad(w, ex):
    m = _logitmargin(w, ex)
    s = nm.sigmoid(-m)
    return (-(ex["y"] * s))[..., None] * ex["x"]


# --------------------------------------------------------------------------- huber
def _huber_value(w, ex):
    r = dot(ex["x"], w) - ex["y"]
    d = ex.get("delta", HUBER_DELTA)
    a = abs(r) if nm.is_exact(r) else np.abs(r)
    quad = r * r / 2
    lin = d * (a - d / 2)
    return np.where(a <= d, quad, lin)


def _huber_grad(w, ex):
    r = dot(ex["x"], w) - ex["y"]
    d = ex.get("delta", HUBER_DELTA)
    if nm.is_exact(r):
        c = np.where(r > d, d, np.where(r < -d, -d, r))
    else:
        c = np.clip(r, -d, d)
    return c[..., None] * ex["x"]


# --------------------------------------------------------------------------- softplus
def _softplus_value(w, ex):
    return nm.softplus(dot(ex["x"], w) - ex["y"])


def _softplus_grad(w, ex):
    return nm.sigmoid(dot(ex["x"], w) - ex["y"])[..., None] * ex["x"]


# --------------------------------------------------------------------------- squared hinge
def _sqhinge_value(w, ex):
    r = dot(ex["x"], w) - ex["y"]
    p = np.where(r > 0, r, 0 * r)
    return p * p / 2


def _sqhinge_grad(w, ex):
    r = dot(ex["x"], w) - ex["y"]
    p = np.where(r > 0, r, 0 * r)
    return p[..., None] * ex["x"]


# --------------------------------------------------------------------------- piecewise-quadratic ridge
def _pwq_psi(z, h):
    """∫ (clip(s, −h, h) + h) ds from −∞: 0 (z ≤ −h), (z + h)²/2 (|z| ≤ h), 2hz (z ≥ h)."""
    return np.where(z <= -h, 0 * z, np.where(z >= h, 2 * h * z, (z + h) * (z + h) / 2))


def _pwq_slope(r, ex):
    """θ'(r) = −ρ₀ + κ Σ_k (clip(r − c_k, −h_k, h_k) + h_k): non-decreasing (convex θ)."""
    c, h = ex["c"], ex["h"]
    z = r[..., None] - c
    cl = np.where(z > h, h, np.where(z < -h, -h, z))
    return -ex["rho0"] + ex["kappa"] * (cl + h).sum(axis=-1)


def _pwq_value(w, ex):
    r = dot(ex["x"], w)
    c, h = ex["c"], ex["h"]
    win = (_pwq_psi(r[..., None] - c, h) - _pwq_psi(-c, h)).sum(axis=-1)
    return -ex["rho0"] * r + ex["kappa"] * win


def _pwq_grad(w, ex):
    r = dot(ex["x"], w)
    return _pwq_slope(r, ex)[..., None] * ex["x"]


def _pwq_sample(rng, shape, n, windows=4, scale=1.0):
    x = rng.standard_normal(shape + (n,))
    x *= scale / np.linalg.norm(x, axis=-1, keepdims=True)
    c = rng.standard_normal(shape + (windows,))
    h = np.abs(rng.standard_normal(shape + (windows,))) / (4 * windows)
    return {"x": x, "c": c, "h": h, "rho0": np.ones(shape), "kappa": np.ones(shape)}


def _make() -> dict[str, LossFamily]:
    fams = [
        LossFamily("linear", ("a",), True, True, True, "f(w, a) = ⟨a, w⟩ (β = 0)",
                   _lin_value, _lin_grad, BATCH_CONSTANTS["linear"], _lin_sample),
        LossFamily("least-squares", ("x", "y"), True, True, False, "f(w, (x, y)) = ½(⟨x, w⟩ − y)²",
                   _ls_value, _ls_grad, BATCH_CONSTANTS["least-squares"], _xy_sample),
        LossFamily("quadratic", ("A", "b"), True, True, False, "f(w, (A, b)) = ½wᵀAw − bᵀw, A ⪰ 0",
                   _quad_value, _quad_grad, BATCH_CONSTANTS["quadratic"], _quad_sample),
        LossFamily("logistic", ("x", "y"), True, False, True, "f(w, (x, y)) = log(1 + exp(−y⟨x, w⟩)), y ∈ {±1}",
                   _logistic_value, _logistic_grad, BATCH_CONSTANTS["logistic"],
                   lambda rng, shape, n, **kw: _xy_sample(rng, shape, n, labels="sign", **kw)),
        LossFamily("huber", ("x", "y"), True, False, True, "f(w, (x, y)) = Huber_δ(⟨x, w⟩ − y), δ = 1",
                   _huber_value, _huber_grad, BATCH_CONSTANTS["huber"], _xy_sample),
        LossFamily("softplus", ("x", "y"), True, False, True, "f(w, (x, y)) = log(1 + exp(⟨x, w⟩ − y))",
                   _softplus_value, _softplus_grad, BATCH_CONSTANTS["softplus"], _xy_sample),
        LossFamily("squared-hinge", ("x", "y"), True, False, False, "f(w, (x, y)) = ½ max(0, ⟨x, w⟩ − y)²",
                   _sqhinge_value, _sqhinge_grad, BATCH_CONSTANTS["squared-hinge"], _xy_sample),
        LossFamily("pwq-ridge", ("x", "c", "h", "rho0", "kappa"), True, False, True,
                   "f(w, ξ) = θ(⟨x, w⟩), θ' = −ρ₀ + κΣ_k(clip(r − c_k, −h_k, h_k) + h_k): a sum of Huber pieces "
                   "(curvature κ on windows [c_k ± h_k]; linear when every h_k = 0)",
                   _pwq_value, _pwq_grad, BATCH_CONSTANTS["pwq-ridge"], _pwq_sample),
    ]
    for f in fams:
        TRAILING[f.name] = (2,) if f.name == "quadratic" else (1,)
    return {f.name: f for f in fams}


FAMILIES: dict[str, LossFamily] = _make()

#: Named groups of families, used by ``--family`` (e.g. the conjecture probe of Section 6).
FAMILY_GROUPS: dict[str, tuple[str, ...]] = {
    "quadratics": ("linear", "least-squares", "quadratic"),
    "smooth-convex": ("huber", "softplus", "squared-hinge", "logistic"),
    "all": tuple(FAMILIES),
}


def family_names() -> list[str]:
    return list(FAMILIES)


def get_family(name: str) -> LossFamily:
    """The loss family ``name`` (a key of :data:`FAMILIES`) with its certified constants β, ρ over
    a ball.  Raises ValueError for an unknown name."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown loss family {name!r}; choose from {sorted(FAMILIES)}") from None


def per_example_constants(family: LossFamily | str, ex: Mapping[str, Any], radius: Any) -> tuple[np.ndarray, np.ndarray]:
    """Certified per-example (β_i, ρ_i) with leading axes kept, shape (..., B).

    ``radius`` broadcasts against the leading (candidate) axes, shape (...).  Float64
    with the same rounding margins as :meth:`LossFamily.constants`; the search engine
    uses it to get one (β, ρ) per candidate instance (max over the example axis).
    """
    fam = get_family(family) if isinstance(family, str) else family
    f = {k: np.asarray(nm.to_float(np.asarray(v)), dtype=float) for k, v in ex.items()}
    R = np.asarray(nm.to_float(np.asarray(radius)), dtype=float)[..., None]
    return per_example(fam.name, f, R)
