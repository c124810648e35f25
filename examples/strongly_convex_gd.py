"""Gradient descent on a μ-strongly convex function contracts towards its minimiser.

    ‖w_N − w*‖² ≤ (1 − ημ)^N ‖w_0 − w*‖²   for η ≤ 1/L, f μ-strongly convex and L-smooth

(e.g. Nesterov 2004, Thm 2.1.15; here f̄ = g + (μ/2)‖w − w*‖² with g convex and β-smooth, so
L = β + μ).  The false variant claims the rate (1 − 2ημ)^N, which a quadratic along its
μ-direction breaks: its contraction is (1 − ημ)² > 1 − 2ημ.

    boundcheck verify --module examples/strongly_convex_gd.py
"""
import sympy as sp

from boundcheck import SMOOTH_STRONGLY_CONVEX, Interval, K, beta, eta, mu, one_batch, sqnorm, statement, w_init, w_out, w_star

D0 = sp.Symbol("D0", nonnegative=True)  # ‖w_0 − w*‖

CONTRACTION = statement(
    "strongly_convex_gd", "Nesterov 2004, Thm 2.1.15", title="GD contracts at rate 1 − ημ",
    printed=r"‖x_N − x*‖² ≤ (1 − ημ)^N ‖x_0 − x*‖² for η ≤ 1/L.",
    cls=SMOOTH_STRONGLY_CONVEX, method="gd", setting=one_batch(comparator="minimizer"),
    params={mu: Interval(0, sp.oo, left_open=True, scale=beta, log_range=(-6, 2)),
            eta: Interval(0, 1 / (beta + mu), left_open=True)},
    lhs=sqnorm(w_out - w_star), where={D0: (sqnorm(w_init - w_star)) ** 0.5}, bound=(1 - eta * mu) ** K * D0**2,
    reference="Y. Nesterov, Introductory Lectures on Convex Optimization (2004), Thm 2.1.15",
)
CONTRACTION_FALSE = CONTRACTION.copy(id="strongly_convex_gd_false", title="rate 1 − 2ημ (false)",
                                     bound=(1 - 2 * eta * mu) ** K * D0**2)

STATEMENTS = [CONTRACTION, CONTRACTION_FALSE]
