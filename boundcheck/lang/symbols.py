"""The paper's symbols (Section 2 onwards), one sympy Symbol each, shared by every declaration."""
from __future__ import annotations

import sympy as sp

__all__ = ["SYMBOLS", "beta", "rho", "eta", "gamma", "lam", "lambda_init", "mu", "K", "T", "B", "D", "eps", "n", "c",
           "hypothesis_text"]

beta = sp.Symbol("beta", nonnegative=True)        # smoothness of f(·, ξ)
rho = sp.Symbol("rho", nonnegative=True)          # Lipschitz constant of f(·, ξ) over W
eta = sp.Symbol("eta", nonnegative=True)          # step size
gamma = sp.Symbol("gamma", nonnegative=True)      # prox parameter
lam = sp.Symbol("lambda", real=True)              # a generic λ (Lemma 9's printed hypothesis)
lambda_init = sp.Symbol("lambda_init", real=True)  # AGD's λ of the initial state
mu = sp.Symbol("mu", nonnegative=True)            # strong convexity
K = sp.Symbol("K", positive=True, integer=True)   # echoing factor: inner steps per batch
T = sp.Symbol("T", positive=True, integer=True)   # outer steps: fresh batches
B = sp.Symbol("B", positive=True, integer=True)   # batch size
D = sp.Symbol("D", nonnegative=True)              # ‖w_0 − w*‖
eps = sp.Symbol("epsilon", nonnegative=True)      # uniform stability (Definition 1)
n = sp.Symbol("n", positive=True, integer=True)   # dimension
c = sp.Symbol("c", positive=True)                 # a big-O / Θ constant

SYMBOLS: dict[str, sp.Symbol] = {
    "beta": beta, "rho": rho, "eta": eta, "gamma": gamma, "lambda": lam, "lambda_init": lambda_init, "mu": mu,
    "K": K, "T": T, "B": B, "D": D, "epsilon": eps, "n": n, "c": c,
}

_GREEK = [("lambda_init", "λ_init"), ("epsilon", "ε"), ("lambda", "λ"), ("beta", "β"), ("gamma", "γ"), ("rho", "ρ"),
          ("eta", "η"), ("mu", "μ"), ("sqrt", "√"), ("<=", "≤"), (">=", "≥"), ("**", "^")]


def hypothesis_text(rel: sp.Basic) -> str:
    """A relation as a person reads it: ``η ≤ 1/β`` (used as the hypothesis's name everywhere)."""
    s = str(rel)
    for a, b in _GREEK:
        s = s.replace(a, b)
    return s.replace("*", "·")
