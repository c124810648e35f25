"""Classical PEPs written directly with the engine's primitives (anchors and benchmarks).

:func:`gd_worst_case` is the PEP of Drori & Teboulle (2014) for gradient descent on
L-smooth convex functions — the SDP PEPit solves in its ``wc_gradient_descent`` example:

    maximise   f(x_N) − f(x*)
    subject to ‖x_0 − x*‖² ≤ 1,  ∇f(x*) = 0,  f L-smooth convex (interpolation conditions),
               x_{k+1} = x_k − η∇f(x_k).

For η = 1/L its value is L/(4N + 2) (tight, Drori–Teboulle Thm 3.1); for 0 < η ≤ 1/L it is
L/(4NLη + 2).

The minimiser x* sits at the origin (the class is translation invariant), so the Gram basis is
x_0, ∇f(x_0), …, ∇f(x_N): N + 2 vectors (PEPit keeps x* as one more leaf point: the same SDP
up to that translation, N + 3 vectors).

:func:`lemma5_certificate` is Lemma 5's certificate in closed form: the exact multipliers the
engine finds are (j + 1)/K on the condition between consecutive iterates (w_j, w_{j+1}) and 1/K
between the comparator and each iterate w_j, j < K, at every step size η ≤ 1/β — the classical
proof (the descent lemma weighted by j + 1, convexity at each iterate, telescoped) — so Lemma 5 is
checked exactly for every K one asks for, beyond the solver's grid.
"""
from __future__ import annotations

import time
from typing import Any

from boundcheck.pep.forms import Form, Vec
from boundcheck.pep.functions import PepFunction, SmoothConvex, Space
from boundcheck.pep.problem import Problem, Solution

__all__ = ["gd_problem", "gd_worst_case", "gd_closed_form", "lemma5_certificate"]


def gd_problem(N: int, L: float = 1.0, eta: float | None = None) -> Problem:
    """The GD PEP with N steps of size η (default 1/L) as a :class:`Problem` (float arithmetic)."""
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise ValueError(f"N must be a positive integer, got {N!r}")
    if not L > 0:
        raise ValueError(f"L must be > 0, got {L!r}")
    eta = 1.0 / L if eta is None else float(eta)
    if not eta > 0:
        raise ValueError(f"eta must be > 0, got {eta!r}")
    space = Space(capacity=N + 2, arith="float", value_capacity=N + 2)
    f = PepFunction(space, SmoothConvex(float(L)), "f")
    x0 = space.new_vector("x0")
    xs = space.zeros()
    fs = f.stationary_point(xs, "*")
    x = x0
    for _ in range(N):
        x = x - eta * f.grad(x)
    objective = f.value(x) - fs
    d0 = Vec(x0 - xs)
    radius = Form(c=1.0) - d0.dot(d0)  # 1 − ‖x_0 − x*‖² ≥ 0
    return Problem(space, [f], objective, extra=[("‖x0 − x*‖² ≤ 1", radius)])


def gd_worst_case(N: int, L: float = 1.0, eta: float | None = None, solver: str = "auto",
                  tol: float = 1e-8) -> Solution:
    """max f(x_N) − f* over L-smooth convex f with ‖x_0 − x*‖² ≤ 1, N GD steps of size η.

    The Solution's ``info["build_seconds"]`` is the time to run GD on the symbolic points
    (``seconds`` counts the sparse assembly and the solve)."""
    t0 = time.perf_counter()
    pb = gd_problem(N, L, eta)
    build = time.perf_counter() - t0
    sol = pb.solve(solver, tol=tol)
    sol.info["build_seconds"] = build
    return sol


def gd_closed_form(N: int, L: float = 1.0, eta: float | None = None) -> float:
    """Drori–Teboulle's tight bound L/(4NLη + 2) (η ≤ 1/L), for ‖x_0 − x*‖ = 1."""
    eta = 1.0 / L if eta is None else float(eta)
    return L / (4 * N * L * eta + 2)



def lemma5_certificate(K: int, eta_frac: str = "1") -> Any:
    """Lemma 5's closed-form certificate at K steps and η = eta_frac/β (β = 1), with the indices
    and labels of the statement's own PEP; check it with
    :func:`boundcheck.pep.certificate.check_certificate`."""
    from fractions import Fraction

    from boundcheck.paper import get_statement
    from boundcheck.pep.check import Certificate
    from boundcheck.pep.statements import build
    if isinstance(K, bool) or not isinstance(K, int) or K < 1:
        raise ValueError(f"K must be a positive integer, got {K!r}")
    st = get_statement("lemma5")
    prob = build(st, K, {"eta_frac": eta_frac}, "float").problem("difference")
    index = {ref.label(prob): i for i, ref in enumerate(prob.inequalities)}
    star = f"f{K + 1}"  # the comparator's triple is recorded after the iterates w_0..w_K
    mults = []
    for j in range(K):
        for lab, v in ((f"f: (f{j}, f{j + 1})", Fraction(j + 1, K)), (f"f: ({star}, f{j})", Fraction(1, K))):
            mults.append((index[lab], lab, v))
    eta = str(Fraction(eta_frac))
    return Certificate("lemma5", st.fingerprint(), "gd", K, {"beta": "1", "eta": eta}, "exact", Fraction(0),
                       sorted(mults), f"lemma5 at K = {K}, beta = 1, eta = {eta}: LHS ≤ RHS for every function of "
                       "the class (closed-form multipliers)")
