"""Uniform stability as defined (Definition 1), for one batch and one neighbour.

    sup_{ξ ∈ Ξ} |f(A(ξ), ξ) − f(A(ξ'), ξ)|

where ξ' replaces exactly one example of ξ.  The domain Ξ of evaluation examples is a
norm ball of the family's examples (``Domain``).  Computed

* in closed form for linear losses (Ξ = {a : ‖a‖ ≤ r}) and convex quadratics
  (Ξ = {(A, b) : 0 ⪯ A ⪯ β̂I, ‖b‖ ≤ r_b}; the sup is attained by a rank-one A);
* by optimisation for generalised linear losses f = φ(⟨x, w⟩ − y) or φ(y⟨x, w⟩)
  (Ξ = {(x, y) : ‖x‖ ≤ r_x, |y| ≤ r_y}): only the part of x in span{w, w'} matters,
  so the sup is over a 3-dimensional compact set; a grid followed by a bounded
  quasi-Newton polish gives a value that is attained by an explicit ξ (a certified
  *lower* bound on the sup; the method says so).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import scipy.optimize

from boundcheck.core.algorithms import InnerMethod, State
from boundcheck.core.losses import batch_objective, get_family, neighbour
from boundcheck.core import numerics as nm
from boundcheck.core.losses import per_example_constants
from boundcheck.core.validate import check_nonnegative, check_positive_int

__all__ = ["Domain", "StabilityResult", "uniform_stability", "closed_form_sup", "domain_radii", "rho_over_domain"]


# ----------------------------------------------------------------------------- closed forms (one Definition 1 sup)
def _norm(v: Any) -> Any:
    if nm.is_exact(v):
        return nm.sqrt((v * v).sum(axis=-1))
    return np.sqrt(np.sum(v * v, axis=-1))


def _xmax(a: Any, axis: int) -> Any:
    return np.max(a, axis=axis)


def closed_form_sup(family: str, w: Any, w2: Any, ex_domain: Mapping[str, Any]) -> tuple[Any, str]:
    """sup_{ξ∈Ξ} |f(w, ξ) − f(w2, ξ)| (Definition 1) in closed form.

    Ξ is the set of examples whose constants do not exceed the certified ones of the
    instance: linear Ξ = {a : ‖a‖ ≤ r_a} (sup = r_a‖w − w2‖); quadratic
    Ξ = {(A, b) : 0 ⪯ A ⪯ β̂ I, ‖b‖ ≤ r_b} (sup = β̂(‖u‖‖v‖ + |⟨u, v⟩|)/2 + r_b‖u‖ with
    u = w − w2, v = (w + w2)/2, attained by a rank-one A).
    ``ex_domain`` holds the per-candidate radii: {"r_a"} or {"beta_hat", "r_b"}.
    """
    u = w - w2
    if family == "linear":
        return ex_domain["r_a"] * _norm(u), "closed form: r_a‖u‖"
    if family == "quadratic":
        v = (w + w2) / 2
        nu, nv = _norm(u), _norm(v)
        uv = (u * v).sum(axis=-1)
        auv = np.vectorize(abs, otypes=[object])(uv) if nm.is_exact(uv) else np.abs(uv)
        return ex_domain["beta_hat"] * (nu * nv + auv) / 2 + ex_domain["r_b"] * nu, \
            "closed form: β̂(‖u‖‖v‖+|⟨u,v⟩|)/2 + r_b‖u‖ (rank-one A)"
    raise ValueError(f"no closed-form stability sup for family {family!r}")


def domain_radii(family: str, ex: Mapping[str, Any], ex2: Mapping[str, Any]) -> dict:
    """Per-candidate radii of Ξ covering both neighbouring batches (examples on axis 1).

    Exact (object) inputs give exact radii; β̂ of a quadratic is the certified float
    upper bound of λ_max (a valid, slightly larger Ξ)."""
    if family == "linear":
        return {"r_a": np.maximum(_xmax(_norm(ex["a"]), 1), _xmax(_norm(ex2["a"]), 1))}
    if family == "quadratic":
        b1, _ = per_example_constants("quadratic", ex, 0.0)
        b2, _ = per_example_constants("quadratic", ex2, 0.0)
        bh = np.maximum(b1.max(axis=1), b2.max(axis=1))
        if nm.is_exact(ex["b"]):
            bh = nm.to_mp(bh)
        rb = np.maximum(_xmax(_norm(ex["b"]), 1), _xmax(_norm(ex2["b"]), 1))
        return {"beta_hat": bh, "r_b": rb}
    raise ValueError(family)


def rho_over_domain(family: str, dom: Mapping[str, Any], R: Any) -> Any:
    """Lipschitz constant over W = {‖w‖ ≤ R} for every ξ ∈ Ξ (matches stability_sup's Ξ)."""
    if family == "linear":
        return dom["r_a"]
    return dom["beta_hat"] * R + dom["r_b"]



@dataclass(frozen=True)
class Domain:
    """The evaluation domain Ξ: radii of the example ball.

    linear: r (‖a‖ ≤ r); quadratic: beta_hat, r_b; GLMs: r_x (‖x‖ ≤ r_x), r_y (|y| ≤ r_y).
    """

    r: float | None = None
    beta_hat: float | None = None
    r_b: float | None = None
    r_x: float | None = None
    r_y: float | None = None


@dataclass(frozen=True)
class StabilityResult:
    value: float           # sup_ξ |f(A(ξ), ξ) − f(A(ξ'), ξ)|  (or a certified lower bound, see method)
    method: str            # "closed form: …" or "optimisation: …"
    exact: bool            # True for a closed form; False for an attained lower bound
    argmax: dict | None    # an evaluation example attaining ``value`` (optimisation) or None
    w: np.ndarray
    w_neighbour: np.ndarray


def _domain_from_batches(family: str, ex: Mapping[str, Any], ex2: Mapping[str, Any]) -> Domain:
    if family == "linear":
        return Domain(r=float(max(np.linalg.norm(ex["a"], axis=-1).max(), np.linalg.norm(ex2["a"], axis=-1).max())))
    if family == "quadratic":
        ev = np.concatenate([np.linalg.eigvalsh(ex["A"]).ravel(), np.linalg.eigvalsh(ex2["A"]).ravel()])
        return Domain(beta_hat=float(max(ev.max(), 0.0)),
                      r_b=float(max(np.linalg.norm(ex["b"], axis=-1).max(), np.linalg.norm(ex2["b"], axis=-1).max())))
    xs = np.concatenate([ex["x"], ex2["x"]])
    ys = np.concatenate([ex["y"], ex2["y"]])
    return Domain(r_x=float(np.linalg.norm(xs, axis=-1).max()), r_y=float(np.abs(ys).max()))


def _glm_sup(family: str, w: np.ndarray, w2: np.ndarray, dom: Domain) -> tuple[float, dict]:
    fam = get_family(family)
    # orthonormal basis of span{w, w2}
    M = np.stack([w, w2], axis=1)
    Q, R = np.linalg.qr(M)
    rank = int(np.sum(np.abs(np.diag(R)) > 1e-14 * max(1.0, np.abs(R).max())))
    Q = Q[:, : max(rank, 1)]
    k = Q.shape[1]
    ylo, yhi = (-1.0, 1.0) if family == "logistic" else (-dom.r_y, dom.r_y)

    def unpack(z):
        c = z[:k]
        nc = np.linalg.norm(c)
        if nc > dom.r_x:
            c = c * (dom.r_x / nc)
        x = Q @ c
        y = np.sign(z[k]) if family == "logistic" else z[k]
        return x, (1.0 if y == 0 and family == "logistic" else y)

    def neg(z):
        x, y = unpack(z)
        ex = {"x": x[None, :], "y": np.array([y])}
        return -abs(float(fam.value(w, ex)[0] - fam.value(w2, ex)[0]))

    # grid over the disc (polar) × y, then polish the best points
    best = (0.0, None)
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    radii = dom.r_x * np.array([0.25, 0.5, 0.75, 1.0])
    ygrid = np.array([-1.0, 1.0]) if family == "logistic" else np.linspace(ylo, yhi, 9)
    starts = []
    for r in radii:
        for a in angles:
            c = np.array([r * np.cos(a), r * np.sin(a)])[:k]
            for y in ygrid:
                z = np.concatenate([c, [y]])
                v = neg(z)
                starts.append((v, z))
    starts.sort(key=lambda s: s[0])
    x0, y0 = unpack(starts[0][1])
    best = (-starts[0][0], {"x": x0.tolist(), "y": float(y0)})
    for v, z in starts[:6]:
        bounds = [(-dom.r_x, dom.r_x)] * k + [(ylo, yhi)]
        res = scipy.optimize.minimize(neg, z, method="L-BFGS-B", bounds=bounds)
        for cand in (res.x, z):
            val = -neg(cand)
            if val > best[0]:
                x, y = unpack(cand)
                best = (val, {"x": x.tolist(), "y": float(y)})
    return best[0], best[1]


def uniform_stability(method: InnerMethod, state: State, w_init: Any, family: str, batch: Mapping[str, Any],
                      index: int, replacement: Mapping[str, Any], k: int, domain: Domain | None = None) -> StabilityResult:
    """Definition 1 for one pair of neighbouring batches: run A for k steps on ``batch`` and on
    the batch with example ``index`` replaced, from the same (w_init, state), and return
    sup_{ξ∈Ξ} |f(A(ξ), ξ) − f(A(ξ'), ξ)| with the method used.

    ``domain`` defaults to the smallest Ξ-ball holding the examples of both batches.
    """
    k = check_positive_int("k", k)
    fam = get_family(family)
    ex = fam.validate(batch)
    ex2 = neighbour(fam, ex, index, replacement)
    w1 = method.run(w_init, state, batch_objective(fam, ex), k).w_out
    w2 = method.run(w_init, state, batch_objective(fam, ex2), k).w_out
    dom = domain or _domain_from_batches(family, ex, ex2)
    if family in ("linear", "quadratic"):
        radii = {"r_a": np.asarray(dom.r)} if family == "linear" else \
            {"beta_hat": np.asarray(dom.beta_hat), "r_b": np.asarray(dom.r_b)}
        if family == "linear":
            check_nonnegative("domain.r", dom.r)
        val, how = closed_form_sup(family, np.asarray(w1, float), np.asarray(w2, float), radii)
        return StabilityResult(float(val), how, True, None, np.asarray(w1), np.asarray(w2))
    if dom.r_x is None or dom.r_y is None:
        raise ValueError("domain: give r_x and r_y for a generalised linear family")
    val, arg = _glm_sup(family, np.asarray(w1, float), np.asarray(w2, float), dom)
    return StabilityResult(val, "optimisation over span{w, w'} × y (grid + L-BFGS-B); attained lower bound of the sup",
                           False, arg, np.asarray(w1), np.asarray(w2))
