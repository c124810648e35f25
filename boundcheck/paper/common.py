"""What the paper's declarations share: classes, priors of their parameters, distance symbols."""
from __future__ import annotations

import numpy as np
import sympy as sp

from boundcheck.lang import CONVEX_QUADRATIC, SMOOTH_CONVEX, Integers, Interval, beta, gamma

__all__ = ["CLOSED_FORM", "CONVEX", "QUADRATICS", "STEP", "STEP0", "STEP_PROX", "STEP0_PROX", "GAMMA", "LAMBDA_INIT",
           "K_SMALL", "d0", "d1"]

CONVEX = SMOOTH_CONVEX
QUADRATICS = CONVEX_QUADRATIC
#: families with Definition 1's supremum over Ξ in closed form (linear, quadratic)
CLOSED_FORM = SMOOTH_CONVEX.restrict(("linear", "quadratic"), name="smooth convex (closed-form Ξ)")

#: 0 < η ≤ 1/β: the fraction u = ηβ, u = 1 (the edge) for 30 % of the draws
STEP = Interval(0, 1 / beta, left_open=True, edge=0.3)
#: 0 ≤ η ≤ 1/β as printed in Lemmas 6 and 12 (η = 0 is trivial and never drawn)
STEP0 = Interval(0, 1 / beta, edge=0.3)
#: 0 ≤ η ≤ 1/(β + γ) as printed in Lemma 9
STEP0_PROX = Interval(0, 1 / (beta + gamma), edge=0.3)
#: 0 < η ≤ 1/(β + γ) (prox-GD); γ must be declared before η
STEP_PROX = Interval(0, 1 / (beta + gamma), left_open=True, edge=0.3)
#: γ ≥ 0 on the scale of β (drawn log-uniform over e^±4 times β)
GAMMA = Interval(0, sp.oo, scale=beta, log_range=(-4, 4), edge=0.0)


def _lam0_prior(rng: np.random.Generator, C: int) -> np.ndarray:
    """λ_init = 1 (the usual start), λ_init ≫ 1 (γ_j → 1) and λ_init ∈ [0, 1) (a negative first momentum)."""
    r = rng.random(C)
    return np.where(r < 0.25, 1.0, np.where(r < 0.6, np.exp(rng.uniform(0, 10, C)), rng.uniform(0, 1, C)))


#: λ_init ≥ 0, any initial AGD state
LAMBDA_INIT = Interval(0, sp.oo, prior=_lam0_prior)
#: K small half the time: one step from the initial state is where λ_init matters most
K_SMALL = Integers(1, 100, tiers=((0.5, 3), (0.2, 5), (0.175, 20)))

d0 = sp.Symbol("d_init", nonnegative=True)  # ‖w_init − w*‖
d1 = sp.Symbol("d_out", nonnegative=True)   # ‖w_out − w*‖
