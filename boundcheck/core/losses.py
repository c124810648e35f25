"""Loss families f(w, ξ): per-example value and gradient, vectorised, with certified constants.

One registry (``FAMILIES``) serves the algorithms, the statements, the search engine,
the rate runner and the report.  Examples are dicts of arrays whose *example axis* is
the first axis of a single batch (``x`` has shape ``(B, n)``); any further leading axes
are independent candidate instances (``(C, B, n)``), which is how the search engine
evaluates many instances per array operation.  ``w`` has shape ``(..., n)`` with the
same leading axes.

"Certified" constants (Section 2.1: ρ-Lipschitz, β-smooth) are proven upper bounds:
closed forms in the data (e.g. β = max ‖x‖²/4 for logistic loss) with an explicit
floating-point rounding margin, so a reported constant is never below the truth.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.validate import check_array, check_nonnegative, check_positive

__all__ = [
    "Constants",
    "LossFamily",
    "FAMILIES",
    "FAMILY_GROUPS",
    "get_family",
    "family_names",
    "Objective",
    "batch_objective",
    "batch_size",
    "neighbour",
    "examples_at",
]

_EPS = np.finfo(float).eps


def _margin(x: float, n_ops: int = 8) -> float:
    """Upper rounding margin for a float quantity computed with ~n_ops roundings."""
    if np.ndim(x):
        return np.asarray(x, dtype=float) * (1.0 + 4 * n_ops * _EPS) + 1e-300
    return float(x) * (1.0 + 4 * n_ops * _EPS) + 1e-300


def _norm(v: Any, axis: int = -1) -> Any:
    if nm.is_exact(v):
        return nm.sqrt((v * v).sum(axis=axis))
    return np.sqrt(np.sum(np.asarray(v, dtype=float) ** 2, axis=axis))


def _dot(x: Any, w: Any) -> Any:
    """<x_i, w> for x (..., B, n) and w (..., n) -> (..., B)."""
    if nm.is_exact(x) or nm.is_exact(w):
        return (np.asarray(x, dtype=object) * np.asarray(w, dtype=object)[..., None, :]).sum(axis=-1)
    return np.einsum("...bn,...n->...b", x, w)


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
        return ex[f0].ndim - _TRAILING[self.name][0]

    def _dim(self, ex: Mapping[str, np.ndarray]) -> int:
        return int(ex[self.fields[0]].shape[-1])


# number of trailing (non-example) axes of the first field of each family
_TRAILING: dict[str, tuple[int, ...]] = {}


# --------------------------------------------------------------------------- linear
def _lin_value(w, ex):
    return _dot(ex["a"], w)


def _lin_grad(w, ex):
    a = ex["a"]
    shape = np.broadcast_shapes(np.shape(a), np.shape(w)[:-1] + (1, np.shape(w)[-1]))
    return np.broadcast_to(a, shape)


def _lin_const(ex, radius):
    rho = _margin(np.max(_norm(ex["a"])))
    return Constants(0.0, rho, radius, "linear: β = 0 (∇f constant); ρ = max‖a‖ (global)")


def _lin_sample(rng, shape, n, scale=1.0):
    return {"a": scale * rng.standard_normal(shape + (n,))}


# --------------------------------------------------------------------------- least squares
def _ls_value(w, ex):
    r = _dot(ex["x"], w) - ex["y"]
    return r * r / 2


def _ls_grad(w, ex):
    r = _dot(ex["x"], w) - ex["y"]
    return r[..., None] * ex["x"]


def _ls_const(ex, radius):
    nx = _norm(ex["x"])
    beta = _margin(np.max(nx**2))
    rho = _margin(np.max(nx * (nx * radius + np.abs(ex["y"]))))
    return Constants(beta, rho, radius, "least squares: β = max‖x‖² (Hessian xxᵀ); ρ = max ‖x‖(‖x‖R + |y|) on ‖w‖ ≤ R")


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


def _sym_eig_bounds(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Certified (lower, upper) eigenvalue bounds of symmetric matrices (..., n, n).

    eigvalsh is backward stable: each computed eigenvalue is within
    c·n·eps·‖A‖₂ ≤ c·n·eps·‖A‖_F of an exact one; we widen by 8·n·eps·‖A‖_F.
    """
    A = (A + np.swapaxes(A, -1, -2)) / 2
    ev = np.linalg.eigvalsh(A)
    pad = 8 * A.shape[-1] * _EPS * np.sqrt(np.sum(A**2, axis=(-1, -2)))
    return ev[..., 0] - pad, ev[..., -1] + pad


def _quad_const(ex, radius):
    lo, hi = _sym_eig_bounds(ex["A"])
    beta = _margin(max(0.0, float(np.max(hi))))
    rho = _margin(np.max(np.maximum(hi, 0) * radius + _norm(ex["b"])))
    return Constants(beta, rho, radius, "quadratic ½wᵀAw − bᵀw: β = max λ_max(A) (eigvalsh + backward-error pad); ρ = max(λ_max R + ‖b‖)")


def quadratic_is_convex(ex: Mapping[str, Any]) -> bool:
    """True when every per-example Hessian A_ξ is PSD (certified lower bound ≥ 0)."""
    lo, _ = _sym_eig_bounds(np.asarray(nm.to_float(np.asarray(ex["A"])), dtype=float))
    return bool(np.all(lo >= -1e-12 * (1 + np.abs(lo))))


def _quad_sample(rng, shape, n, scale=1.0, rank=None):
    r = n if rank is None else rank
    L = rng.standard_normal(shape + (n, r)) / np.sqrt(max(r, 1))
    A = scale * np.einsum("...ik,...jk->...ij", L, L)
    b = scale * rng.standard_normal(shape + (n,)) / np.sqrt(n)
    return {"A": A, "b": b}


# --------------------------------------------------------------------------- logistic
def _logit_margin(w, ex):
    return ex["y"] * _dot(ex["x"], w)


def _logistic_value(w, ex):
    return nm.softplus(-_logit_margin(w, ex))


def _logistic_grad(w, ex):
    m = _logit_margin(w, ex)
    s = nm.sigmoid(-m)
    return (-(ex["y"] * s))[..., None] * ex["x"]


def _logistic_const(ex, radius):
    nx = _norm(ex["x"]) * np.abs(ex["y"])
    return Constants(
        _margin(np.max(nx**2) / 4), _margin(np.max(nx)), radius,
        "logistic log(1+e^{−y⟨x,w⟩}): σ' ≤ 1/4 ⇒ β = max‖yx‖²/4; |σ| ≤ 1 ⇒ ρ = max‖yx‖ (global)",
    )


# --------------------------------------------------------------------------- huber
_HUBER_DELTA = 1.0


def _huber_value(w, ex):
    r = _dot(ex["x"], w) - ex["y"]
    d = ex.get("delta", _HUBER_DELTA)
    a = abs(r) if nm.is_exact(r) else np.abs(r)
    quad = r * r / 2
    lin = d * (a - d / 2)
    return np.where(a <= d, quad, lin)


def _huber_grad(w, ex):
    r = _dot(ex["x"], w) - ex["y"]
    d = ex.get("delta", _HUBER_DELTA)
    if nm.is_exact(r):
        c = np.where(r > d, d, np.where(r < -d, -d, r))
    else:
        c = np.clip(r, -d, d)
    return c[..., None] * ex["x"]


def _huber_const(ex, radius):
    nx = _norm(ex["x"])
    d = float(np.max(ex.get("delta", _HUBER_DELTA)))
    rho = np.max(nx * np.minimum(d, nx * radius + np.abs(ex["y"])))
    return Constants(_margin(np.max(nx**2)), _margin(rho), radius,
                     "Huber ψ_δ(⟨x,w⟩−y): ψ'' ≤ 1 ⇒ β = max‖x‖²; |ψ'| ≤ min(δ, |r|) ⇒ ρ = max ‖x‖ min(δ, ‖x‖R+|y|)")


# --------------------------------------------------------------------------- softplus
def _softplus_value(w, ex):
    return nm.softplus(_dot(ex["x"], w) - ex["y"])


def _softplus_grad(w, ex):
    return nm.sigmoid(_dot(ex["x"], w) - ex["y"])[..., None] * ex["x"]


def _softplus_const(ex, radius):
    nx = _norm(ex["x"])
    return Constants(_margin(np.max(nx**2) / 4), _margin(np.max(nx)), radius,
                     "softplus log(1+e^{⟨x,w⟩−y}): σ' ≤ 1/4 ⇒ β = max‖x‖²/4; σ ≤ 1 ⇒ ρ = max‖x‖ (global)")


# --------------------------------------------------------------------------- squared hinge
def _sqhinge_value(w, ex):
    r = _dot(ex["x"], w) - ex["y"]
    p = np.where(r > 0, r, 0 * r)
    return p * p / 2


def _sqhinge_grad(w, ex):
    r = _dot(ex["x"], w) - ex["y"]
    p = np.where(r > 0, r, 0 * r)
    return p[..., None] * ex["x"]


def _sqhinge_const(ex, radius):
    nx = _norm(ex["x"])
    return Constants(_margin(np.max(nx**2)), _margin(np.max(nx * (nx * radius + np.abs(ex["y"])))), radius,
                     "squared hinge ½max(0,⟨x,w⟩−y)²: piecewise quadratic, curvature kink; β = max‖x‖²; ρ = max‖x‖(‖x‖R+|y|)")


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
    r = _dot(ex["x"], w)
    c, h = ex["c"], ex["h"]
    win = (_pwq_psi(r[..., None] - c, h) - _pwq_psi(-c, h)).sum(axis=-1)
    return -ex["rho0"] * r + ex["kappa"] * win


def _pwq_grad(w, ex):
    r = _dot(ex["x"], w)
    return _pwq_slope(r, ex)[..., None] * ex["x"]


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
    nx = _norm(f["x"])
    kap, h = np.abs(f["kappa"]), np.maximum(f["h"], 0)
    beta = kap * nx**2 * _pwq_overlap(f["c"], h)
    slope = np.maximum(np.abs(f["rho0"]), np.abs(-f["rho0"] + 2 * kap * h.sum(axis=-1)))
    return _margin(beta), _margin(slope * nx)


def _pwq_const(ex, radius):
    b, r = _pwq_per_example(ex)
    return Constants(float(np.max(b)), float(np.max(r)), radius,
                     "pwq ridge θ(⟨x, w⟩), θ' = −ρ₀ + κΣ(clip(r−c_k, ±h_k) + h_k): β = κ‖x‖²·(max window overlap); "
                     "ρ = max(|ρ₀|, |−ρ₀ + 2κΣh_k|)·‖x‖ (global)")


def _pwq_sample(rng, shape, n, windows=4, scale=1.0):
    x = rng.standard_normal(shape + (n,))
    x *= scale / np.linalg.norm(x, axis=-1, keepdims=True)
    c = rng.standard_normal(shape + (windows,))
    h = np.abs(rng.standard_normal(shape + (windows,))) / (4 * windows)
    return {"x": x, "c": c, "h": h, "rho0": np.ones(shape), "kappa": np.ones(shape)}



def _make() -> dict[str, LossFamily]:
    fams = [
        LossFamily("linear", ("a",), True, True, True, "f(w, a) = ⟨a, w⟩ (β = 0)",
                   _lin_value, _lin_grad, _lin_const, _lin_sample),
        LossFamily("least-squares", ("x", "y"), True, True, False, "f(w, (x, y)) = ½(⟨x, w⟩ − y)²",
                   _ls_value, _ls_grad, _ls_const, _xy_sample),
        LossFamily("quadratic", ("A", "b"), True, True, False, "f(w, (A, b)) = ½wᵀAw − bᵀw, A ⪰ 0",
                   _quad_value, _quad_grad, _quad_const, _quad_sample),
        LossFamily("logistic", ("x", "y"), True, False, True, "f(w, (x, y)) = log(1 + exp(−y⟨x, w⟩)), y ∈ {±1}",
                   _logistic_value, _logistic_grad, _logistic_const,
                   lambda rng, shape, n, **kw: _xy_sample(rng, shape, n, labels="sign", **kw)),
        LossFamily("huber", ("x", "y"), True, False, True, "f(w, (x, y)) = Huber_δ(⟨x, w⟩ − y), δ = 1",
                   _huber_value, _huber_grad, _huber_const, _xy_sample),
        LossFamily("softplus", ("x", "y"), True, False, True, "f(w, (x, y)) = log(1 + exp(⟨x, w⟩ − y))",
                   _softplus_value, _softplus_grad, _softplus_const, _xy_sample),
        LossFamily("squared-hinge", ("x", "y"), True, False, False, "f(w, (x, y)) = ½ max(0, ⟨x, w⟩ − y)²",
                   _sqhinge_value, _sqhinge_grad, _sqhinge_const, _xy_sample),
        LossFamily("pwq-ridge", ("x", "c", "h", "rho0", "kappa"), True, False, True,
                   "f(w, ξ) = θ(⟨x, w⟩), θ' = −ρ₀ + κΣ_k(clip(r − c_k, −h_k, h_k) + h_k): a sum of Huber pieces "
                   "(curvature κ on windows [c_k ± h_k]; linear when every h_k = 0)",
                   _pwq_value, _pwq_grad, _pwq_const, _pwq_sample),
    ]
    for f in fams:
        _TRAILING[f.name] = (2,) if f.name == "quadratic" else (1,)
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


# --------------------------------------------------------------------------- batches
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
    return int(a.shape[a.ndim - _TRAILING[fam.name][0] - 1])


def neighbour(family: LossFamily | str, examples: Mapping[str, Any], index: int, replacement: Mapping[str, Any]) -> dict:
    """A batch ξ' that differs from ``examples`` in exactly example ``index`` (Definition 1).

    ``replacement`` holds one example (fields without the example axis).
    """
    fam = get_family(family) if isinstance(family, str) else family
    B = batch_size(fam, examples)
    if isinstance(index, bool) or not (isinstance(index, (int, np.integer)) and 0 <= int(index) < B):
        raise ValueError(f"index must be an integer in [0, {B}), got {index!r}")
    axis = np.ndim(examples[fam.fields[0]]) - _TRAILING[fam.name][0] - 1  # the example axis
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
    lead = np.asarray(examples[fam.fields[0]]).ndim - _TRAILING[fam.name][0] - 1
    out = {}
    for f in fam.fields:
        a = examples[f]
        idx = [slice(None)] * a.ndim
        idx[lead] = index
        out[f] = a[tuple(idx)]
    return out


def per_example_constants(family: LossFamily | str, ex: Mapping[str, Any], radius: Any) -> tuple[np.ndarray, np.ndarray]:
    """Certified per-example (β_i, ρ_i) with leading axes kept, shape (..., B).

    ``radius`` broadcasts against the leading (candidate) axes, shape (...).  Float64
    with the same rounding margins as :meth:`LossFamily.constants`; the search engine
    uses it to get one (β, ρ) per candidate instance (max over the example axis).
    """
    fam = get_family(family) if isinstance(family, str) else family
    f = {k: np.asarray(nm.to_float(np.asarray(v)), dtype=float) for k, v in ex.items()}
    R = np.asarray(nm.to_float(np.asarray(radius)), dtype=float)[..., None]
    name = fam.name
    if name == "linear":
        na = _norm(f["a"])
        return np.zeros_like(na), _margin(na)
    if name == "quadratic":
        lo, hi = _sym_eig_bounds(f["A"])
        hi = np.maximum(hi, 0)
        return _margin(hi), _margin(hi * R + _norm(f["b"]))
    nx = _norm(f["x"])
    if name == "least-squares" or name == "squared-hinge":
        return _margin(nx**2), _margin(nx * (nx * R + np.abs(f["y"])))
    if name == "logistic":
        nyx = nx * np.abs(f["y"])
        return _margin(nyx**2 / 4), _margin(nyx)
    if name == "softplus":
        return _margin(nx**2 / 4), _margin(nx)
    if name == "huber":
        d = f.get("delta", _HUBER_DELTA)
        return _margin(nx**2), _margin(nx * np.minimum(d, nx * R + np.abs(f["y"])))
    if name == "pwq-ridge":
        return _pwq_per_example(f)
    raise ValueError(f"no per-example constants for family {name!r}")


#: the largest slope |φ'| of a globally Lipschitz ridge family, as a function of the examples: over the
#: evaluation set Ξ (directions ‖x‖ ≤ r_x, any offset) the Definition 1 supremum is r_x·slope·‖w − w'‖
GLOBAL_SLOPE = {"huber": lambda ex: np.full(np.shape(ex["y"]), _HUBER_DELTA), "softplus": lambda ex: np.ones(np.shape(ex["y"])),
                "linear": None, "pwq-ridge": lambda ex: _pwq_per_example(ex)[1] / np.maximum(_norm(ex["x"]), 1e-300)}


# --------------------------------------------------------------------------- raw parameterisation
# What a search perturbs and a counterexample file stores ("raw" fields) need not be the family's
# fields: a quadratic's Hessian is stored as a factor L with A = LLᵀ, which makes every instance
# convex *by construction* in every arithmetic (no projection, no tolerance).  Files written before
# that store A itself ("legacy" fields); their A is checked PSD exactly (rational LDLᵀ).
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
    r = _dot(ex["x"], w_star)  # (C, B)
    if family == "squared-hinge":
        y = ex["y"]
        out["y"] = r + (np.vectorize(abs, otypes=[object])(y) if nm.is_exact(y) else np.abs(y))
    else:
        out["y"] = r
    return out
