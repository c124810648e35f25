"""Two-trajectory PEPs for uniform stability (Definition 1): Lemma 6, Lemma 9, Section 6's conjecture.

Model
-----
Neighbouring batches S, S' of B examples differ in example 1:

    f̄ = h + f_1/B,    f̄' = h + f'_1/B,    h = (1/B) Σ_{i≥2} f_i.

Classes: f_1 and f'_1 are β-smooth convex ρ-Lipschitz; h is ((B−1)/B)β-smooth convex and
((B−1)/B)ρ-Lipschitz (every such h is (1/B)Σ_{i≥2} f_i with f_i = B·h/(B−1) in the class, so this
is exactly the class of the common part).  Three PEP functions (h, f_1, f'_1); h is queried on
both trajectories, f_1 only on the first, f'_1 only on the second.  Both runs start from the
same w_0 and the same initial state: prox-GD the same pivot (w_0, or a free common vector),
AGD λ_init (default 1) and d_init = 0 (or, ``free_momentum``, one free common d_init).  The
classes and the quantity are translation invariant, so w_0 sits at the origin.  The algorithms
of :mod:`boundcheck.core.algorithms` run unchanged on the coefficient vectors.

Quantity: Definition 1's sup_ξ |f(A(S), ξ) − f(A(S'), ξ)| ≤ ρ‖w_K − w'_K‖ for ρ-Lipschitz losses,
with equality for the linear losses ρ⟨u, ·⟩ (u = (w_K − w'_K)/‖w_K − w'_K‖).  So the PEP maximises
‖w_K − w'_K‖² and ε_upper = ρ·√value.  The objective is scaled by (B/(ηρ))² (a well-conditioned
number of order K²); ``value`` is always reported unscaled.

β = ρ = 1 by default, without loss of generality: w ↦ (β/ρ)·w maps the class (β, ρ) onto (1, 1)
and ηβ is the only step-size parameter that remains, so ε scales as ρ²/β times a function of
(ηβ, γ/β, K, B, λ_init).

The Lipschitz smooth convex class has no known interpolation theorem: the conditions used
(smooth-convex interpolation plus ‖∇‖ ≤ ρ at every queried point) are only necessary, so the
SDP value is an **upper bound** on the true worst case — valid for proofs, never a refutation.

* Lemma 6 (GD, Hardt–Recht–Singer): the PEP value is exactly (2ηKρ/B)², ε = 2ηKρ²/B.  Proved
  exactly by :func:`gd_prox_certificate` (rational multipliers, the F-identity and the constant
  exact, the residual PSD by exact LDLᵀ in ``flint.fmpq``) and attained by the linear-loss
  instance (f_1 = ρ⟨u, ·⟩, f'_1 = −ρ⟨u, ·⟩, h = 0) checked exactly by :func:`linear_instance`.
* Lemma 9 (prox-GD): the same with ‖δ_{k+1}‖ ≤ (1 − ηγ)‖δ_k‖ + 2ηρ/B:
  ε = 2ρ²/(Bγ)(1 − (1 − ηγ)^K), proved and attained exactly likewise.
* AGD on smooth convex losses (Section 6's conjecture, ε = O(ηρ²K²/B)): the PEP's value is an
  upper bound only; :func:`boundcheck.experiments.sandwich.sandwich` puts it next to explicit lower bounds
  (:func:`~boundcheck.experiments.sandwich.agd_lower_bound`: curvature-switching instances of
  :mod:`boundcheck.lang.designs`, the linear-loss instance) evaluated by the engine's
  high-precision re-check at the same (η, B, λ_init, d_init).

Owns: the two-trajectory PEP (:func:`stability_pep`), the closed forms of Lemmas 6 and 9, their
exact certificate and attaining instance (:func:`gd_prox_certificate`, :func:`check_certificate`,
:func:`linear_instance`), the float bound (:func:`stability_bound`) and the sandwich table
(:mod:`boundcheck.experiments.sandwich`, which also evaluates the lower bounds).  The exact
PSD test :func:`exact_psd` in :mod:`boundcheck.pep.exact`; both are re-exported here.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from boundcheck.core.algorithms import METHODS, AGDState
from boundcheck.pep.exact import exact_psd
from boundcheck.pep.forms import Form, Vec, to_exact
from boundcheck.pep.functions import Combination, PepFunction, SmoothConvex, Space, Triple
from boundcheck.pep.problem import ConstraintRef, Problem

__all__ = ["StabilityMeta", "StabilityResult", "stability_pep", "stability_bound", "lemma6_bound", "lemma9_bound",
           "gd_prox_certificate", "check_certificate", "linear_instance", "exact_psd"]

_METHODS = ("gd", "prox", "agd")


# ----------------------------------------------------------------------------- the PEP
@dataclass
class StabilityMeta:
    """What :func:`stability_pep` built besides the Problem: the functions, the two runs'
    iterates (coefficient vectors), the objective's scale and the parameters (exact where given)."""

    method: str
    K: int
    params: dict                  # eta, B, beta, rho, gamma, lambda_init (Fractions where rational)
    h: PepFunction
    f1: PepFunction
    f1p: PepFunction
    iterates: list                # w_0..w_K (first batch)
    iterates_p: list              # w'_0..w'_K (second batch)
    scale: Any                    # objective = scale·‖w_K − w'_K‖²
    free_vectors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    h_refs: list = field(default_factory=list)          # extra inequality k ↔ h's (i, j) (j = −1: point)
    shadow_vectors: list = field(default_factory=list)  # basis indices of the e_k (second-run h perturbations)


def _rational(x: Any, name: str) -> Fraction:
    if isinstance(x, bool):
        raise ValueError(f"{name}: a boolean is not a number")
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"{name} must be finite, got {x!r}")
        return Fraction(x).limit_denominator(10**12) if Fraction(x).denominator > 10**12 else Fraction(x)
    if isinstance(x, str):
        return Fraction(x.strip())
    if hasattr(x, "p") and hasattr(x, "q"):
        return Fraction(int(x.p), int(x.q))
    raise ValueError(f"{name} must be a rational number, got {x!r}")


def _check_params(method: str, K: int, eta: Any, B: Any, gamma: Any, beta: Any, rho: Any, lambda_init: Any) -> dict:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise ValueError(f"K must be a positive integer, got {K!r}")
    if isinstance(B, bool) or not isinstance(B, (int, np.integer)) or B < 2:
        raise ValueError(f"B must be an integer ≥ 2 (two batches differing in one of B examples), got {B!r}")
    p = {"eta": _rational(eta, "eta"), "B": int(B), "beta": _rational(beta, "beta"), "rho": _rational(rho, "rho"),
         "K": int(K)}
    if p["beta"] <= 0 or p["rho"] <= 0:
        raise ValueError("beta and rho must be > 0")
    if p["eta"] <= 0:
        raise ValueError(f"eta must be > 0, got {eta!r}")
    if method == "prox":
        if gamma is None:
            raise ValueError("prox: give gamma (γ > 0)")
        p["gamma"] = _rational(gamma, "gamma")
        if p["gamma"] <= 0:
            raise ValueError(f"gamma must be > 0 (γ = 0 is Lemma 6: method 'gd'), got {gamma!r}")
        if p["eta"] > 1 / (p["beta"] + p["gamma"]):
            raise ValueError(f"Lemma 9 needs η ≤ 1/(β + γ) = {1 / (p['beta'] + p['gamma'])}, got η = {p['eta']}")
    elif gamma is not None:
        raise ValueError(f"gamma is a prox-GD parameter, not one of {method!r}")
    elif p["eta"] > 1 / p["beta"]:
        raise ValueError(f"{'Lemma 6' if method == 'gd' else 'Section 6'} takes η ≤ 1/β = {1 / p['beta']}, "
                         f"got η = {p['eta']}")
    if method == "agd":
        lam = lambda_init
        if isinstance(lam, bool):
            raise ValueError("lambda_init: a boolean is not a number")
        p["lambda_init"] = _rational(lam, "lambda_init") if not isinstance(lam, float) else lam
        if not float(p["lambda_init"]) >= 0:
            raise ValueError(f"lambda_init must be ≥ 0, got {lambda_init!r}")
    elif lambda_init != 1:
        raise ValueError("lambda_init is an AGD parameter")
    return p


class _Shadow:
    """h on the second trajectory, written as a perturbation of the first (a change of
    variables, exact in every arithmetic): at the k-th query y'_k of the second run,

        ∇h(y'_k) = ∇h(y_k) + e_k/B,   h(y'_k) = h(y_k) + ⟨∇h(y_k), y'_k − y_k⟩ + ψ_k/B²

    with a fresh basis vector e_k and a fresh value ψ_k (y'_k = y_k: the same triple).  The
    difference of the runs is O(1/B) while the runs move O(1): in the plain basis the SDP would
    have to resolve O(1/B²) differences of O(1) Gram entries (Clarabel fails from B ≈ 10³); here
    every variable of the worst case is O(1)."""

    def __init__(self, h: PepFunction, first: list, inv_b: Any, shadow_vectors: list) -> None:
        self.h, self.first, self.inv_b, self.k = h, first, inv_b, 0
        self.shadow_vectors = shadow_vectors

    def grad(self, x: Any) -> Any:
        x = x.c if isinstance(x, Vec) else x
        h, k = self.h, self.k
        self.k += 1
        t1 = h.triples[self.first[k]]
        if np.array_equal(t1.x, x):
            return t1.g
        sp_ = h.space
        e = sp_.new_vector(f"e_h{k}")
        self.shadow_vectors.append(sp_.d - 1)
        psi = sp_.new_value(f"ψ_h{k}")
        g = t1.g + e * self.inv_b
        f = t1.f + Vec(t1.g).dot(Vec(x - t1.x)) + psi * (self.inv_b * self.inv_b)
        h.triples.append(Triple(x, g, f, f"h'{k}"))
        return g

    __call__ = grad


class _Recorder:
    """h on the first trajectory: the plain oracle, remembering which triple each query hit."""

    def __init__(self, h: PepFunction) -> None:
        self.h, self.first = h, []

    def grad(self, x: Any) -> Any:
        g = self.h.grad(x)
        xs = x.c if isinstance(x, Vec) else x
        self.first.append(next(i for i, t in enumerate(self.h.triples) if np.array_equal(t.x, xs)))
        return g

    __call__ = grad


def stability_pep(method: str, K: int, *, eta: Any, B: int, gamma: Any = None, lambda_init: Any = 1,
                  free_momentum: bool = False, free_pivot: bool = False, beta: Any = 1, rho: Any = 1,
                  arith: str = "float") -> tuple[Problem, StabilityMeta]:
    """The two-trajectory PEP of K steps of ``method`` ("gd", "prox" or "agd") on neighbouring
    batches (module docstring: the model): maximise (B/(ηρ))²‖w_K − w'_K‖².

    Lemma 6 (gd, η ≤ 1/β), Lemma 9 (prox, γ > 0, η ≤ 1/(β + γ)), Section 6's conjecture (agd,
    η ≤ 1/β, λ_init ≥ 0, d_init = 0 or a free common vector).  ``arith``: "float" to solve,
    "exact" (flint.fmpq; gd and prox) for certificates, "ball" (flint.arb; agd's irrational λ's).
    The constraint order is the same in every arithmetic (:attr:`Problem.inequalities`)."""
    p = _check_params(method, K, eta, B, gamma, beta, rho, lambda_init)
    if arith == "exact" and method == "agd":
        raise ValueError("AGD's λ-sequence is irrational: use arith='ball' (or 'float')")
    if free_momentum and method != "agd":
        raise ValueError("free_momentum is an AGD option")
    if free_pivot and method != "prox":
        raise ValueError("free_pivot is a prox-GD option")
    space = Space(capacity=4 * K + 2, arith=arith, value_capacity=4 * K + 2)
    num = space.number if arith != "ball" else (lambda x: space.number(to_exact(x)))
    Bn, betan, rhon, etan = num(Fraction(p["B"])), num(p["beta"]), num(p["rho"]), num(p["eta"])
    frac_h = num(Fraction(p["B"] - 1, p["B"]))
    h = PepFunction(space, SmoothConvex(frac_h * betan, frac_h * rhon), "h")
    f1 = PepFunction(space, SmoothConvex(betan, rhon), "f1")
    f1p = PepFunction(space, SmoothConvex(betan, rhon), "f1'")
    inv_b = num(Fraction(1, p["B"]))
    rec = _Recorder(h)
    shadow_vectors: list[int] = []
    shadow = _Shadow(h, rec.first, inv_b, shadow_vectors)
    batch, batch_p = Combination([(space.one, rec), (inv_b, f1)]), Combination([(space.one, shadow), (inv_b, f1p)])
    w0 = space.zeros()
    free: list[str] = []
    M = METHODS[method]()
    if method == "gd":
        s0 = M.init(eta=etan)
    elif method == "prox":
        pivot = space.new_vector("pivot") if free_pivot else w0
        free += ["pivot"] if free_pivot else []
        s0 = M.init(eta=etan, gamma=num(p["gamma"]), pivot=pivot)
    else:
        d0 = space.new_vector("d_init") if free_momentum else space.zeros()
        free += ["d_init"] if free_momentum else []
        lam = p["lambda_init"]
        lam = float(lam) if arith == "float" else (num(lam) if not isinstance(lam, float) else num(Fraction(lam)))
        s0 = AGDState(etan, d0, lam)
    run = M.run(w0, s0, batch, K)
    run_p = M.run(w0, s0, batch_p, K)
    scale = (Bn / (etan * rhon)) ** 2
    delta = Vec(run.w_out - run_p.w_out)
    objective = delta.dot(delta) * scale
    meta = StabilityMeta(method, int(K), p, h, f1, f1p, run.iterates, run_p.iterates, scale, free,
                         notes=["Lipschitz smooth convex classes: necessary conditions only — the value is an upper "
                                "bound", "w_0 at the origin (translation invariance); β = ρ = 1 w.l.o.g. by scaling"])
    # h's conditions as extra inequalities (its second-trajectory values are Forms, not single
    # value variables): every ordered pair, then every point (the order Problem uses for a function)
    nh = len(h.triples)
    h_refs = [(i, j) for i in range(nh) for j in range(nh) if i != j] + [(i, -1) for i in range(nh)]
    if arith == "exact":
        extra = _LazyConditions(h, h_refs)
    else:
        extra = [(f"h: ({h.triples[i].name}, {h.triples[j].name})" if j >= 0 else f"h: ‖g_{h.triples[i].name}‖ ≤ ρ_h",
                  h.condition(i, j) if j >= 0 else h.point_condition(i)) for i, j in h_refs]
    meta.h_refs = h_refs
    meta.shadow_vectors = shadow_vectors
    prob = Problem(space, [f1, f1p], objective, extra=extra if arith != "exact" else [])
    if arith == "exact":
        prob.extra = extra
    return prob, meta


class _LazyConditions(list):
    """h's conditions in exact arithmetic, built on first use (a certificate needs few of them;
    building all (2K)² rational Forms up front costs seconds for nothing)."""

    def __init__(self, h: PepFunction, refs: list) -> None:
        super().__init__([None] * len(refs))
        self.h, self.refs = h, refs

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        v = super().__getitem__(k)
        if v is None:
            i, j = self.refs[k]
            h = self.h
            v = (f"h: ({h.triples[i].name}, {h.triples[j].name})" if j >= 0 else f"h: ‖g_{h.triples[i].name}‖ ≤ ρ_h",
                 h.condition(i, j) if j >= 0 else h.point_condition(i))
            super().__setitem__(k, v)
        return v

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))


# ----------------------------------------------------------------------------- closed forms
def lemma6_bound(K: int, eta: Any, B: int, rho: Any = 1) -> Fraction:
    """Lemma 6's ε = 2ηKρ²/B (exact for rational η, ρ)."""
    return 2 * _rational(eta, "eta") * K * _rational(rho, "rho") ** 2 / B


def lemma9_bound(K: int, eta: Any, B: int, gamma: Any, rho: Any = 1) -> Fraction:
    """Lemma 9's ε = 2ρ²/(Bγ)(1 − (1 − ηγ)^K) (exact for rational η, γ, ρ)."""
    e, g, r = _rational(eta, "eta"), _rational(gamma, "gamma"), _rational(rho, "rho")
    return 2 * r**2 / (B * g) * (1 - (1 - e * g) ** K)


# ----------------------------------------------------------------------------- exact checks
def _trim(problem: Problem, form: Form) -> tuple[list, list, Any]:
    d, m = problem.d, problem.m
    Q = [[form.Q[i][j] if form.Q is not None else problem.space.zero for j in range(d)] for i in range(d)]
    a = [form.a[i] if form.a is not None else problem.space.zero for i in range(m)]
    return Q, a, form.c


def check_certificate(problem: Problem, lam: dict, bound: Any) -> dict:
    """Exact check of a dual certificate of ``objective ≤ bound`` for an exact-arithmetic PEP.

    ``lam`` maps inequality positions (:attr:`Problem.inequalities` order) to rational λ ≥ 0
    (absent: 0).  Checked exactly: λ ≥ 0; the F-part of objective + Σ λ_k q_k vanishes; its
    constant equals ``bound``; S = −(Gram part) is PSD (:func:`exact_psd`).  Then
    objective = −⟨S, G⟩ + bound − Σ λ_k q_k ≤ bound for every feasible (G, F): a proof."""
    if problem.space.arith != "exact":
        raise ValueError("check_certificate needs a PEP built in arith='exact'")
    from flint import fmpq
    refs = problem.inequalities
    d, m = problem.d, problem.m
    Q, a, c = _trim(problem, problem.objective)
    Q = [[fmpq(x) for x in row] for row in Q]
    a = [fmpq(x) for x in a]
    c = fmpq(c)
    negative = [k for k, v in lam.items() if to_exact(v) < 0]
    for k, v in lam.items():
        v = to_exact(v)
        if v == 0:
            continue
        f = problem.form(refs[k])
        if f.Q is not None:
            for i in range(d):
                for j in range(d):
                    if f.Q[i][j] != 0:
                        Q[i][j] += v * f.Q[i][j]
        if f.a is not None:
            for i in range(m):
                if f.a[i] != 0:
                    a[i] += v * f.a[i]
        c += v * to_exact(f.c)
    S = [[-x for x in row] for row in Q]
    psd, rank = exact_psd(S)
    f_ok = all(x == 0 for x in a)
    c_ok = c == to_exact(bound)
    return {"valid": bool(psd and f_ok and c_ok and not negative), "psd": psd, "rank_S": rank, "d": d,
            "f_identity": f_ok, "constant": str(c), "bound": str(to_exact(bound)), "constant_ok": c_ok,
            "negative_multipliers": negative, "nonzero_multipliers": sum(1 for v in lam.values() if to_exact(v) != 0),
            "inequalities": len(refs)}


def _triple_index(fn: PepFunction, x: np.ndarray) -> int:
    for k, t in enumerate(fn.triples):
        if np.array_equal(t.x, x):
            return k
    raise ValueError(f"{fn.name} was never queried at that point")


def gd_prox_certificate(problem: Problem, meta: StabilityMeta) -> tuple[dict, Fraction]:
    """Rational multipliers proving ‖w_K − w'_K‖ ≤ a_K (Lemma 6: a_K = 2ηKρ/B; Lemma 9:
    a_K = 2ρ/(Bγ)(1 − (1 − ηγ)^K)) for the exact PEP of :func:`stability_pep` — Hardt–Recht–
    Singer's argument written as a dual certificate.  With δ_k = w_k − w'_k, q = 1 − ηγ (q = 1
    for GD), c = 2ηρ/B and Δh_k = ∇h(w_k) − ∇h(w'_k):

        δ_{k+1} = A_k − b_k,  A_k = qδ_k − ηΔh_k,  b_k = (η/B)(∇f_1(w_k) − ∇f'_1(w'_k));
        ‖A_k‖² = q²‖δ_k‖² − 2ηq(q_ij + q_ji) − η(2q/L_h − η)‖Δh_k‖²      (the h pair (w_k, w'_k));
        ‖b_k‖² = c² − 2(η/B)²(p_k + p'_k) − (η/B)²‖∇f_1 + ∇f'_1‖²       (p = ρ² − ‖∇‖² ≥ 0);
        ‖A − b‖² = (1 + t)‖A‖² + (1 + 1/t)‖b‖² − ‖√t A + b/√t‖²,  t_k = c/(q a_k).

    Chained with weights ω_K = 1, ω_k = ω_{k+1}(1 + t_k)q², the constants add up to a_K² and
    every remainder is a square: the residual S is PSD (checked exactly by
    :func:`check_certificate`, not assumed).  Returns (λ by inequality position, bound) for the
    scaled objective (B/(ηρ))²‖δ_K‖²."""
    if meta.method not in ("gd", "prox"):
        raise ValueError("gd_prox_certificate: Lemma 6 (gd) and Lemma 9 (prox) only")
    p, K = meta.params, meta.K
    eta, rho, B = p["eta"], p["rho"], Fraction(p["B"])
    q = 1 - eta * p.get("gamma", 0)
    c = 2 * eta * rho / B
    a = [Fraction(0)]
    for _ in range(K):
        a.append(q * a[-1] + c)
    omega = [Fraction(0)] * (K + 1)
    omega[K] = Fraction(1)
    t = [None] * K
    for k in range(K - 1, 0, -1):
        t[k] = c / (q * a[k])
        omega[k] = omega[k + 1] * (1 + t[k]) * q * q
    scale = (B / (eta * rho)) ** 2
    pos = {ref: n for n, ref in enumerate(problem.inequalities)}
    fidx = {id(fn): n for n, fn in enumerate(problem.functions)}  # f1, f1'
    lam: dict[int, Fraction] = {}

    def add(ref: ConstraintRef, v: Fraction) -> None:
        lam[pos[ref]] = lam.get(pos[ref], Fraction(0)) + v * scale

    eb2 = (eta / B) ** 2
    for k in range(K):
        W = omega[k + 1]
        x, xp = meta.iterates[k], meta.iterates_p[k]
        i1, i1p = _triple_index(meta.f1, x), _triple_index(meta.f1p, xp)
        tail = W * (1 + 1 / t[k]) if k >= 1 else W
        add(ConstraintRef(fidx[id(meta.f1)], i1, -1), 2 * eb2 * tail)
        add(ConstraintRef(fidx[id(meta.f1p)], i1p, -1), 2 * eb2 * tail)
        if k >= 1:
            i, j = _triple_index(meta.h, x), _triple_index(meta.h, xp)
            if i != j:  # h's conditions are the extra inequalities (meta.h_refs)
                add(ConstraintRef(-1, meta.h_refs.index((i, j)), -1), W * (1 + t[k]) * 2 * eta * q)
                add(ConstraintRef(-1, meta.h_refs.index((j, i)), -1), W * (1 + t[k]) * 2 * eta * q)
    return lam, (a[K] / (eta * rho / B)) ** 2


def linear_instance(problem: Problem, meta: StabilityMeta) -> dict:
    """The Hardt–Recht–Singer lower bound as an exact primal point of the PEP: h = 0,
    f_1 = ρ⟨u, ·⟩, f'_1 = −ρ⟨u, ·⟩ in one dimension (free vectors at 0).  Every inequality of
    the PEP is evaluated exactly at its Gram matrix and values; returns the objective (exact),
    ‖w_K − w'_K‖ = ε/ρ of the instance (exact, by running the algorithm on the explicit linear
    losses in rationals) and whether every constraint holds."""
    if problem.space.arith != "exact":
        raise ValueError("linear_instance needs a PEP built in arith='exact'")
    from flint import fmpq
    d, m = problem.d, problem.m
    rho = to_exact(meta.params["rho"])
    V = [fmpq(0)] * d               # the 1-D value of every basis vector (h's, e_k's, free vectors: 0)
    F = [fmpq(0)] * m               # every value variable (h's values and ψ_k: 0)
    names = problem.space.vector_names
    slopes = ((meta.f1, rho), (meta.f1p, -rho))
    for fn, slope in slopes:
        for tr in fn.triples:
            k = [i for i in range(d) if tr.g[i] != 0]
            if len(k) != 1 or tr.g[k[0]] != 1:
                raise ValueError("unexpected gradient coefficients")
            V[k[0]] = slope
    G = [[V[i] * V[j] for j in range(d)] for i in range(d)]

    def at(v: np.ndarray) -> Any:  # the 1-D value of a coefficient vector
        return sum((v[i] * V[i] for i in range(d) if v[i] != 0), fmpq(0))

    def ev(f: Form) -> Any:
        s = to_exact(f.c)
        if f.Q is not None:
            s += sum((f.Q[i][j] * G[i][j] for i in range(d) for j in range(d) if f.Q[i][j] != 0), fmpq(0))
        if f.a is not None:
            s += sum((f.a[i] * F[i] for i in range(m) if f.a[i] != 0), fmpq(0))
        return s

    for fn, slope in slopes:
        for tr in fn.triples:
            F[[i for i in range(m) if tr.f.a[i] != 0][0]] = slope * at(tr.x)

    def cond(fn: PepFunction, i: int, j: int) -> Any:  # from the class's one definition (terms)
        ti = fn.triples[i]
        if j < 0:
            return to_exact(fn.cls.rho) ** 2 - at(ti.g) ** 2
        tj = fn.triples[j]
        return ev(ti.f) - ev(tj.f) + sum((to_exact(cf) * u * v for cf, u, v in
                                          fn.cls.terms(at(ti.x), at(ti.g), at(tj.x), at(tj.g))), fmpq(0))

    viol = []
    for n, ref in enumerate(problem.inequalities):
        val = cond(meta.h, *meta.h_refs[ref.i]) if ref.fn < 0 else cond(problem.functions[ref.fn], ref.i, ref.j)
        if val < 0:
            viol.append(n)
    obj = ev(problem.objective)
    # the same instance run directly: explicit losses, Fractions, the algorithm unchanged
    p = meta.params
    M = METHODS[meta.method]()
    g1 = lambda w: np.array([Fraction(1, p["B"]) * p["rho"]], dtype=object) + 0 * w  # noqa: E731
    g2 = lambda w: np.array([-Fraction(1, p["B"]) * p["rho"]], dtype=object) + 0 * w  # noqa: E731
    w0 = np.array([Fraction(0)], dtype=object)
    s0 = M.init(eta=p["eta"]) if meta.method == "gd" else M.init(eta=p["eta"], gamma=p["gamma"], pivot=w0)
    dK = M.run(w0, s0, g1, meta.K).w_out[0] - M.run(w0, s0, g2, meta.K).w_out[0]
    return {"objective": Fraction(int(obj.p), int(obj.q)), "feasible": not viol, "violated": viol, "gap": abs(Fraction(dK)),
            "epsilon": abs(Fraction(dK)) * p["rho"], "vectors": names}


# ----------------------------------------------------------------------------- results
@dataclass
class StabilityResult:
    """ε_upper = ρ·√(PEP value) for K steps of ``method`` (Definition 1's quantity), with the
    solver status; for gd/prox, ``exact`` is True when a rational certificate of the closed
    form (Lemma 6 / Lemma 9) checked exactly and the linear-loss instance attains it exactly."""

    method: str
    K: int
    params: dict
    upper: float                 # ε_upper = ρ·√value
    value: float                 # max ‖w_K − w'_K‖² (unscaled), float SDP
    status: str
    exact: bool = False
    closed_form: Fraction | None = None     # Lemma 6 / Lemma 9's ε (exact)
    certificate: dict | None = None         # check_certificate's report
    instance: dict | None = None            # linear_instance's report (exact ε of the attaining instance)
    seconds: float = 0.0
    solver: str = ""
    tol: float = 1e-8                       # the solver tolerance of the reported solve

    @property
    def ratio_rate(self) -> float:
        """ε_upper / (ηρ²K²/B) (Section 6's rate)."""
        p = self.params
        return self.upper / (float(p["eta"]) * float(p["rho"]) ** 2 * self.K**2 / p["B"])


#: Clarabel settings for the largest AGD PEPs (K = 20 at B = 1000 stops with a NumericalError at
#: every tolerance otherwise): more equilibration, a larger static regularisation, more iterations
_ROBUST = {"equilibrate_max_iter": 50, "static_regularization_constant": 1e-7, "max_iter": 400}


def _solve(prob: Problem, solver: str) -> tuple[Any, float]:
    """Clarabel at tolerance 1e-8; where it stops short ("inaccurate") or fails numerically, again
    at 1e-7 and 1e-6, then at 1e-8 with more robust settings (the large-K AGD PEPs; the tolerance
    is reported), keeping the first answer if no retry is better."""
    from boundcheck.core.errors import SolverError
    try:
        sol = prob.solve(solver, tol=1e-8)
    except SolverError:
        sol = None
    if sol is not None and sol.status == "optimal":
        return sol, 1e-8
    for tol, extra in ((1e-7, None), (1e-6, None), (1e-8, _ROBUST)):
        try:
            retry = prob.solve(solver, tol=tol, settings=extra if solver == "clarabel" else None)
        except SolverError:
            continue
        if sol is None or retry.status == "optimal":
            return retry, tol
    if sol is None:
        raise SolverError(f"{solver}: no solution at tolerances 1e-8, 1e-7, 1e-6")
    return sol, 1e-8


def stability_bound(method: str, K: int, eta: Any, B: int, *, gamma: Any = None, lambda_init: Any = 1,
                    free_momentum: bool = False, free_pivot: bool = False, beta: Any = 1, rho: Any = 1,
                    certify: bool = True, solver: str = "clarabel") -> StabilityResult:
    """Solve the stability PEP in float (an upper bound on ε: the Lipschitz class is a
    relaxation); for gd (Lemma 6) and prox (Lemma 9) with ``certify``, also prove the closed
    form exactly (:func:`gd_prox_certificate` + :func:`check_certificate`) and attain it with
    the exact linear-loss instance (:func:`linear_instance`): ``exact`` is then True and the
    PEP's value *is* the closed form.  AGD (Section 6's conjecture): float upper bound only."""
    t0 = time.perf_counter()
    kw = dict(eta=eta, B=B, gamma=gamma, lambda_init=lambda_init, free_momentum=free_momentum,
              free_pivot=free_pivot, beta=beta, rho=rho)
    prob, meta = stability_pep(method, K, **kw)
    sol, tol = _solve(prob, solver)
    scale = float(meta.scale)
    value = max(sol.value, 0.0) / scale if math.isfinite(sol.value) else sol.value
    p = meta.params
    res = StabilityResult(method, int(K), p, float(p["rho"]) * math.sqrt(value), value, sol.status, solver=sol.solver,
                          tol=tol)
    if method in ("gd", "prox") and certify:
        cf = lemma6_bound(K, p["eta"], p["B"], p["rho"]) if method == "gd" else \
            lemma9_bound(K, p["eta"], p["B"], p["gamma"], p["rho"])
        eprob, emeta = stability_pep(method, K, arith="exact", **kw)
        lam, bound = gd_prox_certificate(eprob, emeta)
        cert = check_certificate(eprob, lam, bound)
        inst = linear_instance(eprob, emeta)
        eps_cert = to_exact(bound)  # scaled: (B/(ηρ))²·(ε/ρ)² = bound  ⇒  ε = ρ·(ηρ/B)·√bound
        scaled_cf = (cf / p["rho"] * p["B"] / (p["eta"] * p["rho"])) ** 2
        res.closed_form = cf
        res.certificate = {**cert, "bound_is_closed_form": eps_cert == to_exact(scaled_cf)}
        res.instance = {"feasible": inst["feasible"], "epsilon": str(inst["epsilon"]),
                        "objective": str(inst["objective"]), "attains": inst["epsilon"] == cf
                        and inst["objective"] == scaled_cf}
        res.exact = bool(cert["valid"] and res.certificate["bound_is_closed_form"] and inst["feasible"]
                         and res.instance["attains"])
    res.seconds = time.perf_counter() - t0
    return res



