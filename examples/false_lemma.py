"""A false "lemma" as a user module: ``boundcheck verify --module examples/false_lemma.py``.

"GD stability with ε = ηKρ²/B" is half of Lemma 6's ε = 2ηKρ²/B.  It is declared from
scratch in the statement language (public names only): the function class, the method, the
setting (two runs on neighbouring batches), the step size's domain, the quantity (Definition
1's supremum) and the bound.  Lemma 6 is attained (replace an example by its antipode on a
linear loss), so this bound is off by a factor 2 and ``verify`` refutes it:

    boundcheck verify --module examples/false_lemma.py            # exit 1, counterexample saved
    boundcheck search --module examples/false_lemma.py false_gd_stability
    boundcheck replay --module examples/false_lemma.py reports/counterexamples/false_gd_stability.json

A module defines ``STATEMENTS``, a list of statements; ``--module`` imports it (it is your
code, named on your command line; counterexample files never name code).
"""
from boundcheck import SMOOTH_CONVEX, B, Interval, K, beta, eta, neighbours, rho, stability, statement

FALSE_GD_STABILITY = statement(
    "false_gd_stability", "User lemma", title="GD stability with half of Lemma 6's constant (false)",
    printed=r"For a β-smooth convex f and 0 ≤ η ≤ 1/β, K steps of gradient descent are ε-uniformly stable "
            r"with ε = ηKρ²/B.",
    cls=SMOOTH_CONVEX.restrict(("linear", "quadratic")),  # Definition 1's sup in closed form
    method="gd", setting=neighbours(), params={eta: Interval(0, 1 / beta)},
    lhs=stability(), bound=eta * K * rho**2 / B,
)

STATEMENTS = [FALSE_GD_STABILITY]
