"""A false "lemma" as a user module: ``boundcheck verify --module examples/false_lemma.py``.

"GD stability with ε = ηKρ²/B" is half of Lemma 6's ε = 2ηKρ²/B.  It reuses Lemma 6's
instances and evaluation (the same algorithm, the same neighbouring batches, the same
closed-form supremum over Ξ) with a new bound, so boundcheck checks exactly the claim
written here.  Lemma 6 is attained (replace an example by its antipode on a linear
loss), so this bound is off by a factor 2 and ``verify`` refutes it:

    boundcheck verify --module examples/false_lemma.py            # exit 1, counterexample saved
    boundcheck search --module examples/false_lemma.py false_gd_stability
    boundcheck replay --module examples/false_lemma.py reports/counterexamples/false_gd_stability.json

A module defines ``STATEMENTS``, a list of ``Statement`` objects; ``--module`` imports
it (it is your code, named on your command line; counterexample files never name code).
"""
import dataclasses

from boundcheck.paper import SYMBOLS, get_statement

eta, K, rho, B = (SYMBOLS[s] for s in ("eta", "K", "rho", "B"))

FALSE_GD_STABILITY = dataclasses.replace(
    get_statement("lemma6"),
    id="false_gd_stability",
    number="User lemma",
    title="GD stability with half of Lemma 6's constant (false)",
    printed=r"For a β-smooth convex f and 0 ≤ η ≤ 1/β, K steps of gradient descent are ε-uniformly stable "
            r"with ε = ηKρ²/B.",
    bound=eta * K * rho**2 / B,
    corrected_by=None, corrects=None, correction=None, readings=(), proof="", tight_expected=None,
)

STATEMENTS = [FALSE_GD_STABILITY]
