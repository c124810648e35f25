"""Gradient descent on smooth convex functions (Drori & Teboulle 2014, tight).

    f(w_N) − f* ≤ β‖w_0 − w*‖² / (4N + 2)   for N steps of GD with η = 1/β.

Tight: a one-dimensional Huber function attains it, so the search should come within a hair of
ratio 1.  The false variant asks for a slightly smaller bound, β‖w_0 − w*‖²/(4N + 4),
which the same Huber function breaks (its ratio is (4N + 4)/(4N + 2) > 1).

    boundcheck verify --module examples/drori_teboulle_gd.py
"""
from boundcheck import REALISABLE_SMOOTH_CONVEX, Defined, K, beta, eta, f, norm, one_batch, statement, w_out, w_star, w_init
import sympy as sp

D0 = sp.Symbol("D0", nonnegative=True)  # ‖w_0 − w*‖, w* a minimiser

GD_RATE = statement(
    "drori_teboulle_gd", "Drori–Teboulle 2014, Thm 3.1", title="GD on smooth convex f: βD²/(4N+2)",
    printed=r"f(x_N) − f* ≤ L‖x_0 − x*‖²/(4N + 2) for gradient descent with step 1/L (N steps).",
    cls=REALISABLE_SMOOTH_CONVEX, method="gd", setting=one_batch(comparator="minimizer"),
    params={eta: Defined(1 / beta)}, lhs=f(w_out) - f(w_star), where={D0: norm(w_init - w_star)},
    bound=beta * D0**2 / (4 * K + 2), reference="Drori & Teboulle, Math. Program. 145 (2014), Thm 3.1",
)
GD_RATE_FALSE = GD_RATE.copy(id="drori_teboulle_gd_false", title="the same with 4N + 4 (false)",
                             bound=beta * D0**2 / (4 * K + 4))

STATEMENTS = [GD_RATE, GD_RATE_FALSE]
