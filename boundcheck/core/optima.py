"""Exact optima with cvxpy (Clarabel by default, SCS as fallback), checked, never guessed.

Every solve returns the solver status and optimality residuals; an inaccurate solution
raises ``SolverError`` instead of being returned.  Where a closed form exists
(unconstrained or ball-constrained quadratics: the trust-region secular equation) the
result is cross-checked against it.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any, Mapping

import cvxpy as cp
import numpy as np
import scipy.optimize

from boundcheck.core.errors import SolverError
from boundcheck.core.losses import LossFamily, get_family
from boundcheck.core.validate import check_array, check_positive

__all__ = ["Optimum", "SolverError", "minimize_batch", "minimize_quadratic", "quadratic_ball_closed_form", "SOLVERS"]

#: Solvers tried in order: open-source only.
SOLVERS = ("CLARABEL", "SCS")


_SOLVER_OPTS = {
    "CLARABEL": {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10, "max_iter": 500},
    "SCS": {"eps_abs": 1e-10, "eps_rel": 1e-10, "max_iters": 200000},
}


@dataclass(frozen=True)
class Optimum:
    """A certified minimiser.

    w: the minimiser; value: the objective there; status: solver status;
    solver: which solver produced it; residual: KKT residual (norm of the projected
    gradient step); gap_bound: an upper bound on value − optimum where one is available
    (convex + residual ⇒ bound), else nan; closed_form_error: distance to the closed form
    (nan when there is none).
    """

    w: np.ndarray
    value: float
    status: str
    solver: str
    residual: float
    gap_bound: float
    closed_form_error: float


def _solve(problem: cp.Problem, solvers: tuple[str, ...] = SOLVERS) -> tuple[str, str]:
    outcomes = []
    installed = set(cp.installed_solvers())
    for s in solvers:
        if s not in installed:
            continue
        try:
            with warnings.catch_warnings():  # status is checked below; no noisy warning
                warnings.simplefilter("ignore")
                problem.solve(solver=s, **_SOLVER_OPTS.get(s, {}))
        except (cp.error.SolverError, ValueError) as exc:  # try the fallback (SCS raises ValueError on cone-free problems)
            outcomes.append(f"{s}: {exc}")
            continue
        if problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) and problem.status == cp.OPTIMAL:
            return problem.status, s
        outcomes.append(f"{s}: {problem.status}")
    raise SolverError(f"no solver reached an optimal solution ({'; '.join(outcomes) or 'none installed'}); tried {solvers}")


def _project_ball(w: np.ndarray, radius: float | None) -> np.ndarray:
    if radius is None:
        return w
    nrm = np.linalg.norm(w)
    return w if nrm <= radius else w * (radius / nrm)


def _kkt_residual(grad: np.ndarray, w: np.ndarray, radius: float | None) -> float:
    # ‖w − Π_W(w − ∇)‖: zero exactly at a minimiser of a convex function over W.
    return float(np.linalg.norm(w - _project_ball(w - grad, radius)))


def _cvx_objective(fam: LossFamily, ex: Mapping[str, np.ndarray], w: cp.Variable) -> cp.Expression:
    name = fam.name
    if name == "linear":
        return cp.sum(ex["a"] @ w) / ex["a"].shape[0]
    if name == "quadratic":
        A = ex["A"].mean(axis=0)
        A = (A + A.T) / 2
        return 0.5 * cp.quad_form(w, cp.psd_wrap(A)) - ex["b"].mean(axis=0) @ w
    X, y = ex["x"], ex["y"]
    B = X.shape[0]
    r = X @ w - y
    if name == "least-squares":
        return 0.5 * cp.sum_squares(r) / B
    if name == "logistic":
        return cp.sum(cp.logistic(-cp.multiply(y, X @ w))) / B
    if name == "huber":
        return 0.5 * cp.sum(cp.huber(r, 1.0)) / B
    if name == "softplus":
        return cp.sum(cp.logistic(r)) / B
    if name == "squared-hinge":
        return 0.5 * cp.sum_squares(cp.pos(r)) / B
    raise ValueError(f"family {name!r} has no cvxpy form")


def quadratic_ball_closed_form(H: np.ndarray, c: np.ndarray, radius: float | None) -> np.ndarray:
    """argmin ½wᵀHw − cᵀw over ‖w‖ ≤ R (H ⪰ 0), via the trust-region secular equation.

    Solution w(μ) = (H + μI)⁻¹c with μ ≥ 0 and μ(‖w(μ)‖ − R) = 0.
    """
    H = (H + H.T) / 2
    ev, V = np.linalg.eigh(H)
    cv = V.T @ c
    def w_of(mu: float) -> np.ndarray:
        return V @ (cv / (ev + mu))
    if radius is None or (ev[0] > 1e-12 and np.linalg.norm(w_of(0.0)) <= radius):
        if ev[0] <= 1e-12 * max(1.0, abs(ev[-1])):
            w = np.linalg.lstsq(H, c, rcond=None)[0]
            if radius is None or np.linalg.norm(w) <= radius:
                return w
        else:
            return w_of(0.0)
    f = lambda mu: np.linalg.norm(w_of(mu)) - radius
    lo = max(0.0, -ev[0]) + 1e-15
    hi = max(1.0, np.linalg.norm(c) / radius)
    while f(hi) > 0:
        hi *= 2
    if f(lo) <= 0:
        return w_of(lo)
    mu = scipy.optimize.brentq(f, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=500)
    return w_of(mu)


def minimize_quadratic(H: Any, c: Any, radius: float | None = None, *, tol: float = 1e-6) -> Optimum:
    """Minimise ½wᵀHw − cᵀw (H ⪰ 0) over the ball ‖w‖ ≤ radius (or ℝⁿ) with cvxpy.

    Cross-checked against :func:`quadratic_ball_closed_form`; raises SolverError when the
    residual or the closed-form disagreement exceeds ``tol`` (relative).
    """
    H = check_array("H", H, ndim=2)
    n = H.shape[0]
    if H.shape != (n, n):
        raise ValueError(f"H must be square, got shape {H.shape}")
    c = check_array("c", c, ndim=1, last=n)
    if radius is not None:
        radius = float(check_positive("radius", radius))
    Hs = (H + H.T) / 2
    if np.linalg.eigvalsh(Hs)[0] < -1e-10 * max(1.0, np.abs(Hs).max()):
        raise ValueError("H must be positive semidefinite")
    w = cp.Variable(n)
    cons = [cp.norm(w, 2) <= radius] if radius is not None else []
    prob = cp.Problem(cp.Minimize(0.5 * cp.quad_form(w, cp.psd_wrap(Hs)) - c @ w), cons)
    status, solver = _solve(prob)
    wv = np.asarray(w.value, dtype=float)
    wc = quadratic_ball_closed_form(Hs, c, radius)
    scale = 1.0 + np.linalg.norm(wc)
    err = float(np.linalg.norm(wv - wc))
    # on a ball constraint cvxpy's w is only accurate to ~√(gap) (1e-5 seen), the closed form to
    # rounding: a disagreement is an error only if cvxpy's (projected) point is also lower in value
    fv, fc = (float(0.5 * v @ Hs @ v - c @ v) for v in (_project_ball(wv, radius), wc))
    if err > tol * scale and fc > fv + tol * (1.0 + abs(fv)):
        raise SolverError(f"cvxpy ({solver}) disagrees with the closed form by {err:.3e} "
                          f"and reaches a lower value ({fv:.17g} < {fc:.17g})")
    # report the closed form (exact up to eigen-solver error), certified by the residual
    g = Hs @ wc - c
    res = _kkt_residual(g / max(1.0, np.linalg.eigvalsh(Hs)[-1]), wc, radius)
    if res > tol * scale:
        raise SolverError(f"KKT residual {res:.3e} exceeds tolerance")
    return Optimum(wc, float(0.5 * wc @ Hs @ wc - c @ wc), status, solver, res, float("nan"), err)


def minimize_batch(family: LossFamily | str, examples: Mapping[str, Any], radius: float | None = None,
                   *, tol: float = 1e-6) -> Optimum:
    """Minimiser of the batch objective f̄_ξ over ‖w‖ ≤ radius (or ℝⁿ) with cvxpy.

    Raises SolverError if the KKT residual (scaled by the certified smoothness β) exceeds
    ``tol``·(1 + ‖w‖), and ValueError if the problem is unbounded (a linear loss needs a radius).
    """
    fam = get_family(family) if isinstance(family, str) else family
    ex = fam.validate(examples)
    ex = {k: np.asarray(v, dtype=float) for k, v in ex.items()}
    if radius is not None:
        radius = float(check_positive("radius", radius))
    if fam.name == "linear" and radius is None:
        raise ValueError("radius: a linear loss is unbounded below on ℝⁿ; give a radius")
    n = ex[fam.fields[0]].shape[-1]
    if fam.name == "quadratic":
        return minimize_quadratic(ex["A"].mean(axis=0), ex["b"].mean(axis=0), radius, tol=tol)
    if fam.name == "least-squares":
        X, y = ex["x"], ex["y"]
        B = X.shape[0]
        o = minimize_quadratic(X.T @ X / B, X.T @ y / B, radius, tol=tol)
        # value = f̄_ξ(w), not ½wᵀHw − cᵀw (which drops the constant ½·mean y²)
        return replace(o, value=float(fam.mean_value(o.w, ex)))
    w = cp.Variable(n)
    cons = [cp.norm(w, 2) <= radius] if radius is not None else []
    prob = cp.Problem(cp.Minimize(_cvx_objective(fam, ex, w)), cons)
    status, solver = _solve(prob)
    if w.value is None:
        raise SolverError(f"{solver} returned no solution (status {status})")
    wv = np.asarray(w.value, dtype=float)
    beta = max(fam.constants(ex, radius or np.linalg.norm(wv) + 1).beta, 1e-12)
    g = fam.mean_grad(wv, ex)
    res = _kkt_residual(g / beta, wv, radius)
    if res > tol * (1 + np.linalg.norm(wv)):
        raise SolverError(f"{solver}: KKT residual {res:.3e} exceeds tolerance {tol:g}")
    # convexity: f(w) − f* ≤ ⟨∇f(w), w − w*⟩ ≤ ‖∇f(w)‖ · diam; for unconstrained problems
    # we report the gradient-norm certificate only (gap bound needs a diameter)
    gap = float(np.linalg.norm(g) * 2 * radius) if radius is not None else float("nan")
    return Optimum(wv, float(fam.mean_value(wv, ex)), status, solver, res, gap, float("nan"))
