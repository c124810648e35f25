"""Section 6's AGD stability sandwich: explicit lower bounds next to the PEP's upper bound.

An experiment that joins two layers: the lower side is a set of explicit instances (linear losses, and
the curvature-switching designs of :mod:`boundcheck.lang.designs` on the pwq-ridge family), each
evaluated by the engine's high-precision re-check of ``lemma12_smooth_convex``; the upper side is the
two-trajectory PEP over the Lipschitz smooth convex relaxation
(:func:`boundcheck.pep.stability.stability_bound`), a float upper bound, not a certificate.
``boundcheck pep lemma12_smooth_convex --sandwich`` prints :func:`sandwich`.
"""
from __future__ import annotations

import math
import time
from typing import Any, Iterable

import numpy as np

from boundcheck.core.errors import SolverError
from boundcheck.pep.stability import StabilityResult, _rational, stability_bound

__all__ = ["agd_lower_bound", "sandwich"]


def _switching_instance(K: int, B: int, pattern: np.ndarray, lambda_init: float, frac: float) -> tuple[dict, dict]:
    """A curvature-switching instance (boundcheck.lang.designs) of the pwq-ridge family in one
    dimension, for the ``lemma12_smooth_convex`` declaration: example 0 is ρ⟨u, w⟩ (replaced by
    −ρ⟨u, w⟩), the base example (B − 1 copies) has windows of curvature κ = β = 1 at the queries
    of the pattern's steps; w_init = d_init = 0, η = 1/β.  ``pattern`` all zero: the linear
    losses (Hardt–Recht–Singer's instance)."""
    from boundcheck.lang.designs import switch_design
    des = switch_design(pattern, lambda_init, frac=frac)
    W = des["centres"].size
    c, h = np.zeros((1, 2, K)), np.zeros((1, 2, K))
    c[0, 1, :W], h[0, 1, :W] = des["centres"], des["halfwidths"]
    params = {"ex.x": np.ones((1, 2, 1)), "ex.c": c, "ex.h": h, "ex.rho0": np.array([[-1.0, 1.0]]),
              "ex.kappa": np.array([[0.0, 1.0]]), "rep.x": np.ones((1, 1, 1)), "rep.c": np.zeros((1, 1, K)),
              "rep.h": np.zeros((1, 1, K)), "rep.rho0": np.array([[1.0]]), "rep.kappa": np.zeros((1, 1)),
              "w0": np.zeros((1, 1)), "d0": np.zeros((1, 1)), "u": np.ones(1), "lam0": np.full(1, float(lambda_init))}
    return {"family": "pwq-ridge", "n": 1, "K": int(K), "B": int(B), "method": "agd"}, params


def agd_lower_bound(K: int, B: int, *, lambda_init: float = 1.0, seed: int = 0, trials: int = 4) -> dict:
    """An explicit lower bound on AGD's ε at (η = 1/β, B, λ_init, d_init = 0), β = ρ = 1: the best
    of the linear-loss instance and ``trials`` curvature-switching designs (the pattern of
    :func:`boundcheck.lang.designs.best_pattern`, window widths frac ∈ [0.2, 0.4] drawn from
    ``seed``), each evaluated by the engine's high-precision re-check of the
    ``lemma12_smooth_convex`` declaration (hypotheses checked: a violating instance is not
    counted).  Returns ε, ε/(ηρ²K²/B), the pattern and the instance."""
    from boundcheck.engine.recheck import recheck
    from boundcheck.lang.designs import best_pattern
    from boundcheck.paper import get_statement
    st = get_statement("lemma12_smooth_convex")
    rng = np.random.default_rng(seed)
    P, _ = best_pattern(int(K), float(lambda_init), 1.0, rng)
    cands = [(np.zeros(K, dtype=bool), 0.3, "linear")]
    fracs = [0.3] + list(rng.uniform(0.2, 0.4, size=max(trials - 1, 0)))
    if P.any():
        cands += [(P, float(fr), "switching") for fr in fracs[:trials]]
    best = None
    for pat, fr, kind in cands:
        s, p = _switching_instance(K, B, pat, lambda_init, fr)
        chk = recheck(st, s, p, 1.0)
        if chk["ratio"] is None or chk["violated_hypotheses"]:
            continue
        rate = float(chk["ratio"]) * (K + 1) / K     # the declaration's ratio is against ηρ²K(K+1)/B
        if best is None or rate > best["ratio_rate"]:
            best = {"K": int(K), "B": int(B), "epsilon": rate * K**2 / B, "ratio_rate": rate, "kind": kind,
                    "pattern": "".join("1" if b else "0" for b in pat), "frac": fr, "structure": s,
                    "params": {k: v.tolist() for k, v in p.items()}}
    if best is None:
        raise RuntimeError("no admissible lower-bound instance")
    return best


def sandwich(Ks: Iterable[int] = range(1, 21), eta: Any = 1, B: int = 1000, *, seed: int = 0, trials: int = 4,
             lambda_init: Any = 1, free_momentum: bool = False, solver: str = "clarabel",
             progress: Any = None) -> list[dict]:
    """Section 6's conjecture (AGD is O(ηρ²K²/B)-uniformly stable on smooth convex losses) at
    fixed (η = 1/β, B, λ_init, d_init = 0), β = ρ = 1: per K the explicit lower bound
    (:func:`agd_lower_bound`, exact up to the re-check's precision) and the PEP upper bound
    (:func:`stability_bound`, float SDP over the Lipschitz relaxation), both as ε and as ratios
    to ηρ²K²/B, next to Lemma 12's quadratic constant K(K+1)/K² (the sharp constant for
    quadratics with λ_init ≥ 0).  The lower bounds are built for η = 1/β only."""
    if _rational(eta, "eta") != 1:
        raise ValueError("the sandwich's lower bounds are designed for η = 1/β (β = 1): eta = 1")
    rows = []
    for K in Ks:
        t0 = time.perf_counter()
        try:
            up = stability_bound("agd", int(K), eta, B, lambda_init=lambda_init, free_momentum=free_momentum,
                                 certify=False, solver=solver)
        except SolverError as exc:  # no upper bound at this K (e.g. Clarabel NumericalError at K = 20)
            up = StabilityResult("agd", int(K), {}, math.nan, math.nan, f"failed: {exc}", solver=solver, tol=math.nan)
        t1 = time.perf_counter()
        lo = agd_lower_bound(int(K), B, lambda_init=float(lambda_init), seed=seed, trials=trials)
        t2 = time.perf_counter()
        rate = float(eta) * K**2 / B
        rows.append({"K": int(K), "B": int(B), "lower": lo["epsilon"], "upper": up.upper,
                     "lower_ratio": lo["ratio_rate"], "upper_ratio": up.upper / rate,
                     "quadratic_constant": (K + 1) / K, "gap": up.upper / lo["epsilon"],
                     "lower_kind": lo["kind"], "pattern": lo["pattern"], "status": up.status, "solver": up.solver,
                     "tol": up.tol,
                     "pep_seconds": t1 - t0, "lower_seconds": t2 - t1, "d": 4 * K - 2 + (1 if free_momentum else 0)})
        if progress:
            progress(rows[-1])
    return rows
