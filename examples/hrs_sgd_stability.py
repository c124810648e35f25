"""Uniform stability of SGD on convex, β-smooth, ρ-Lipschitz losses (Hardt, Recht & Singer 2016).

    ε ≤ (2ρ²/n) Σ_t η_t   for T steps of SGD with η_t ≤ 2/β on n examples   (HRS, Thm 3.8)

Checked in the form the proof gives, ρ·E‖w_T − w'_T‖ ≤ (2ρ²/n)Σ_t η_t (an upper bound of ε, and ε
itself for linear losses), exactly over every sample path, with a constant step (Σ_t η_t = Tη).
Tight on linear losses when the neighbour replaces an example by its antipode.  The false
variant drops the factor 2.

    boundcheck verify --module examples/hrs_sgd_stability.py
"""
from boundcheck import B, SMOOTH_CONVEX, Interval, T, beta, eta, rho, sgd_paths, stability, statement

SGD_STABILITY = statement(
    "hrs_sgd_stability", "Hardt–Recht–Singer 2016, Thm 3.8", title="SGD is (2ρ²/n)Σ_t η_t-uniformly stable",
    printed=r"Assume f(·; z) ∈ [0, 1] is β-smooth, convex and L-Lipschitz for every z; SGD with step sizes "
            r"α_t ≤ 2/β for T steps is ε-uniformly stable with ε ≤ (2L²/n) Σ_t α_t.",
    cls=SMOOTH_CONVEX.restrict(("linear", "least-squares", "quadratic", "logistic", "huber", "softplus")),
    method="gd", setting=sgd_paths(), params={eta: Interval(0, 2 / beta, left_open=True)},
    lhs=stability(), bound=2 * rho**2 * T * eta / B, default_trials=8192,
    reference="Hardt, Recht & Singer, ICML 2016, Theorem 3.8 (n = B examples, constant step)",
)
SGD_STABILITY_FALSE = SGD_STABILITY.copy(id="hrs_sgd_stability_false", title="without the factor 2 (false)",
                                         bound=rho**2 * T * eta / B)

STATEMENTS = [SGD_STABILITY, SGD_STABILITY_FALSE]
