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
"""
from __future__ import annotations

import time
from boundcheck.pep.forms import Form, Vec
from boundcheck.pep.functions import PepFunction, SmoothConvex, Space
from boundcheck.pep.problem import Problem, Solution

__all__ = ["gd_problem", "gd_worst_case", "gd_closed_form"]


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

