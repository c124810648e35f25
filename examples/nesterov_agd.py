"""Nesterov's accelerated gradient method (FISTA form, as in the paper's Section 3.1).

    f(w_N) − f* ≤ 2β‖w_0 − w*‖² / (N + 1)²   for N steps from λ_0 = 1, d_0 = 0, η = 1/β

(Beck & Teboulle 2009, Thm 4.4; the paper's AGD with λ_{j+1}² − λ_{j+1} = λ_j² is this method).
The bound is not tight (the search's worst ratio is about 0.8).  The false variant drops the step
size's hypothesis (η up to 3/β), and AGD then diverges on a quadratic.

    boundcheck verify --module examples/nesterov_agd.py
"""
import sympy as sp

from boundcheck import (REALISABLE_SMOOTH_CONVEX, Defined, Interval, K, beta, eta, f, lambda_init, norm, one_batch,
                        statement, w_init, w_out, w_star)

D0 = sp.Symbol("D0", nonnegative=True)  # ‖w_0 − w*‖, w* a minimiser

AGD_RATE = statement(
    "nesterov_agd", "Beck–Teboulle 2009, Thm 4.4", title="AGD on smooth convex f: 2βD²/(N+1)²",
    printed=r"F(x_k) − F(x*) ≤ 2L‖x_0 − x*‖²/(k + 1)² for FISTA with step 1/L.",
    cls=REALISABLE_SMOOTH_CONVEX, method="agd", setting=one_batch(comparator="minimizer"), state={"d": 0},
    params={eta: Defined(1 / beta), lambda_init: 1}, lhs=f(w_out) - f(w_star), where={D0: norm(w_init - w_star)},
    bound=2 * beta * D0**2 / (K + 1) ** 2, reference="Beck & Teboulle, SIAM J. Imaging Sci. 2 (2009), Thm 4.4",
)
AGD_RATE_FALSE = AGD_RATE.copy(id="nesterov_agd_false", title="the same with η up to 3/β (false)",
                               params={eta: Interval(0, 3 / beta, left_open=True), lambda_init: 1})

STATEMENTS = [AGD_RATE, AGD_RATE_FALSE]
