"""Step sizes and bounds of Theorems 7, 10, 13 and Table 2, read from the statement registry.

Nothing here is re-typed: a variant's step size is the right-hand side of its statement's
hypothesis ``sp.Eq(eta, …)`` (and ``sp.Eq(gamma, …)`` for prox, evaluated first, since η
depends on γ); a bound is the statement's ``.explicit`` (a big-O statement with derived
constants) or ``.bound``; Table 2's rates are the rows of ``table2``'s ``.bound`` (constant
1).  The formulas are compiled once with ``sympy.lambdify`` and evaluated on NumPy arrays.

* the "cap" rule is the B → ∞ limit of the corrected rule, evaluated at B = ∞ (η = 1/β,
  prox's γ = 0);
* the split of a corrected bound into its curvature term and its statistical term is the
  bound at ρ = 0 (the statistical term carries every ρ) and the rest;
* Θ-constants (Theorem 13's ``c``) are 1.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

__all__ = ["VARIANTS", "STEP_STATEMENT", "TABLE2_EXPONENTS", "TABLE2_TEXT", "step_sizes", "bound_value",
           "bound_split", "table2_rate"]

#: (variant, statement id whose bound is checked, Algorithm-1 output) per method; None: a
#: big-O statement with no constant to check (its rate is reported against Table 2 instead)
VARIANTS: dict[str, tuple] = {
    "gd": (("corrected", "theorem7_corrected", "proof"), ("printed", "theorem7", "printed")),
    "prox": (("corrected", "theorem10_corrected", "proof"), ("printed", "theorem10", "printed")),
    "agd": (("corrected", "theorem13_corrected", "final"), ("printed", None, "final")),
}

#: the statement whose hypotheses give each variant's step size ("cap": the corrected one at B = ∞)
STEP_STATEMENT: dict[str, dict[str, str]] = {
    "gd": {"printed": "theorem7", "corrected": "theorem7_corrected", "cap": "theorem7_corrected"},
    "prox": {"printed": "theorem10", "corrected": "theorem10_corrected", "cap": "theorem10_corrected"},
    "agd": {"printed": "theorem13", "corrected": "theorem13_corrected", "cap": "theorem13_corrected"},
}

#: Table 2's exponents: curvature term in K and T, statistical term in B and T (read off its rows)
TABLE2_EXPONENTS: dict[str, dict[str, float]] = {
    "gd": {"K": -1.0, "T_curv": -1.0, "B": -0.5, "T_noise": -0.5},
    "prox": {"K": -1.0, "T_curv": -1.0, "B": -0.5, "T_noise": -0.5},
    "agd": {"K": -2.0, "T_curv": -2.0, "B": -0.5, "T_noise": -0.5},
}
TABLE2_TEXT = {
    "gd": "O(βD²/(KT) + ρD/√(BT))", "prox": "O(βD²/(KT) + ρD/√(BT))", "agd": "O(βD²/(K²T²) + ρD/√(BT))",
}
_TABLE2_ROW = {"gd": 0, "prox": 1, "agd": 2}
_ARGS = ("beta", "rho", "D", "K", "T", "B", "eta", "gamma", "c")


def _min(*a: Any) -> Any:
    return functools.reduce(np.minimum, a)


def _max(*a: Any) -> Any:
    return functools.reduce(np.maximum, a)


@functools.lru_cache(maxsize=None)
def _compiled(sid: str, what: str) -> Callable[..., Any]:
    """``what``: "bound" (explicit if the statement has one), "curvature" (the bound at ρ = 0),
    "eta" / "gamma" (the right-hand side of the step-size hypothesis), "table2:<row>"."""
    import sympy as sp

    from boundcheck.lang.declaration import SYMBOLS
    from boundcheck.paper import get_statement

    st = get_statement(sid)
    syms = [SYMBOLS[a] for a in _ARGS]
    if what.startswith("table2:"):
        expr = st.bound[int(what.split(":")[1])]
    elif what in ("bound", "curvature"):
        expr = st.explicit if st.explicit is not None else st.bound
        if what == "curvature":
            expr = expr.subs(SYMBOLS["rho"], 0)
    else:
        hyps = [h for h in st.hypotheses if isinstance(h, sp.Eq) and h.lhs == SYMBOLS[what]]
        if not hyps:
            raise ValueError(f"{sid} has no hypothesis {what} = …")
        expr = hyps[0].rhs
    return sp.lambdify(syms, expr, modules=[{"Min": _min, "Max": _max}, "numpy"])


def _call(f: Callable[..., Any], p: dict) -> np.ndarray:
    vals = [np.asarray(p.get(a, 1.0 if a == "c" else 0.0), dtype=float) for a in _ARGS]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(f(*vals), dtype=float)


def step_sizes(method: str, variant: str, *, beta: float, rho: float, D: float, B: Any, K: Any, T: Any
               ) -> tuple[np.ndarray, np.ndarray | None]:
    """(η, γ) of a statement variant as its hypotheses prescribe: "printed", "corrected" or "cap"
    (the corrected rule's B → ∞ limit).  γ is None except for prox."""
    if method not in STEP_STATEMENT:
        raise ValueError(f"unknown method {method!r}")
    if variant not in STEP_STATEMENT[method]:
        raise ValueError(f"unknown step rule {variant!r}; choose from printed, corrected, cap")
    sid = STEP_STATEMENT[method][variant]
    B, K, T = (np.asarray(x, dtype=float) for x in (B, K, T))
    if variant == "cap":
        B = np.full_like(B, np.inf)
    shape = np.broadcast_shapes(B.shape, K.shape, T.shape)
    p = {"beta": beta, "rho": rho, "D": D, "B": B, "K": K, "T": T}
    gam = None
    if method == "prox":
        gam = np.broadcast_to(_call(_compiled(sid, "gamma"), p), shape).copy()
        p["gamma"] = gam
    eta = np.broadcast_to(_call(_compiled(sid, "eta"), p), shape).copy()
    return eta, gam


def bound_value(statement_id: str, params: dict) -> np.ndarray:
    """The statement's bound (its explicit form if big-O) at ``params`` (arrays broadcast)."""
    return _call(_compiled(statement_id, "bound"), params)


def bound_split(method: str, p: dict) -> tuple[np.ndarray, np.ndarray]:
    """(curvature term, statistical term) of the method's corrected bound: the bound at ρ = 0
    and the rest (for plots and for telling the regimes apart)."""
    sid = VARIANTS[method][0][1]
    curv = _call(_compiled(sid, "curvature"), p)
    return curv, bound_value(sid, p) - curv


def table2_rate(method: str, p: dict) -> np.ndarray:
    """Table 2's echoed rate (constant 1) for ``method``: its row of ``table2``'s bound."""
    return _call(_compiled("table2", f"table2:{_TABLE2_ROW[method]}"), p)
