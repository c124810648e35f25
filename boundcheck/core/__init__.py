"""Mathematical objects: numerics, input validation, loss families, the paper's methods and
algorithms, problems with closed-form risk, exact optima (cvxpy) and Definition 1.

Owns: everything the statements are *about*.  May import: numpy, scipy, mpmath, cvxpy
(``optima`` only) and ``boundcheck.outputs``; nothing else of boundcheck.
"""
