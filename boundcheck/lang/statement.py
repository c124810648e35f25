"""Statements as checkable objects: the one statement registry.

A :class:`Statement` records where it is printed, its hypotheses as sympy relations,
the quantity it bounds (a function of an instance and a run of its algorithm) and the
bound as a sympy expression, exactly as printed.  It also knows how to instantiate
itself numerically:

* ``sample(rng, C, family)`` draws C admissible instances of one *structure*
  (dimension, B, K, T, family, …) as raw unconstrained parameters;
* ``decode(structure, raw)`` maps raw parameters to an instance that satisfies the
  hypotheses by construction (η = u/β with u ∈ (0, 1], …);
* ``evaluate(structure, inst)`` returns (LHS, RHS) for all C instances at once.  It is
  written once and runs on float64 arrays and on object arrays of mpmath numbers, so a
  counterexample is re-evaluated in high precision by the very same code.

``verify``, ``search`` and ``report`` all go through this registry and the one search
engine in :mod:`boundcheck.engine.search`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import mpmath
import numpy as np
import sympy as sp

from boundcheck.core import numerics as nm

__all__ = ["Statement", "REGISTRY", "register", "SYMBOLS", "Structure", "CLAIM_KINDS"]

# The paper's symbols (Section 2 onwards).  All positive unless said otherwise.
beta = sp.Symbol("beta", nonnegative=True)
rho = sp.Symbol("rho", nonnegative=True)
eta = sp.Symbol("eta", nonnegative=True)
gamma = sp.Symbol("gamma", nonnegative=True)
lam = sp.Symbol("lambda", real=True)
K = sp.Symbol("K", positive=True, integer=True)
T = sp.Symbol("T", positive=True, integer=True)
B = sp.Symbol("B", positive=True, integer=True)
D = sp.Symbol("D", nonnegative=True)
eps = sp.Symbol("epsilon", nonnegative=True)
n = sp.Symbol("n", positive=True, integer=True)
c = sp.Symbol("c", positive=True)  # a big-O / Θ constant

SYMBOLS: dict[str, sp.Symbol] = {
    "beta": beta, "rho": rho, "eta": eta, "gamma": gamma, "lambda": lam, "K": K, "T": T, "B": B, "D": D,
    "epsilon": eps, "n": n, "c": c,
}

Structure = dict  # discrete choices of one instance batch: n, B, K, T, family, …


@dataclass
class Statement:
    """A statement of the paper (or a corrected version of one) as a checkable object.

    Attributes:
        id: registry id ("theorem7", "theorem7_corrected", …).
        kind: "theorem" | "lemma" | "definition" | "algorithm" | "table".
        number: as printed ("Theorem 7").  section: e.g. "4.1".
        title: short name.  printed: the statement's text as printed (LaTeX source).
        hypotheses: sympy relations over the symbols, as printed.
        quantity: what the left-hand side is (a function of an instance and a run).
        bound: the right-hand side as a sympy expression, as printed (for a big-O
            statement: the rate, with ``big_o_constants`` derived in ``proofs/``).
        algorithm: the algorithm the statement is about ("gd", "prox", "agd", …).
        families: loss families whose hypotheses hold (convex, smooth; quadratic where needed).
        expectation: "none" | "exact" (finite support, enumerated) | "monte-carlo".
        corrected_by / corrects / correction: links between a printed statement that is
            false and its corrected version, with a one-line explanation.
        readings: text-extraction artefacts resolved, and printed inconsistencies noted.
        proof: the proof module in ``proofs/`` and whether the proof is the paper's or ours.
    """

    id: str
    kind: str
    number: str
    section: str
    title: str
    printed: str
    hypotheses: tuple
    quantity: str
    bound: sp.Expr
    algorithm: str
    families: tuple[str, ...]
    expectation: str = "none"
    relation: str = "<="
    big_o: bool = False
    big_o_constants: Mapping[str, Any] = field(default_factory=dict)
    explicit: sp.Expr | None = None  # for a big-O statement: the bound with derived constants (proofs/)
    corrected_by: str | None = None
    corrects: str | None = None
    correction: str | None = None
    readings: tuple[str, ...] = ()
    proof: str = ""
    proof_module: str | None = None  # the module of proofs/ that checks this statement's proof steps
    tight_expected: bool | None = None
    # numeric instantiation (see module docstring)
    sample: Callable[..., tuple[Structure, dict]] | None = None
    decode: Callable[[Structure, dict], dict] | None = None
    evaluate: Callable[["Statement", Structure, dict], tuple[Any, Any]] | None = None
    check_hypotheses: Callable[[Structure, dict], dict[str, Any]] | None = None
    big_o_family: Callable[..., list[dict]] | None = None
    plant: float = 1.0  # multiplies the RHS; only tests change it (planted-error checks)
    notes: tuple[str, ...] = ()

    def symbols(self) -> list[sp.Symbol]:
        return sorted(self.bound.free_symbols | set().union(*[h.free_symbols for h in self.hypotheses]),
                      key=lambda s: s.name)

    def bound_value(self, params: Mapping[str, Any]) -> Any:
        """The bound evaluated at ``params`` (names as in SYMBOLS), float or mpmath.

        For a big-O statement this is the explicit bound (derived constants), which is
        what numeric checks can test; the printed rate is ``bound``."""
        return evaluate_expr(self.explicit if self.explicit is not None else self.bound, params)

    def hypotheses_hold(self, params: Mapping[str, Any]) -> dict[str, bool]:
        """Each printed hypothesis (sympy relation) evaluated at ``params``."""
        return {str(h): bool(evaluate_expr(h, params)) for h in self.hypotheses}

    def latex(self) -> str:
        return sp.latex(self.bound)

    def run(self, structure: Structure, params: dict) -> tuple:
        """Evaluate (LHS, RHS, violated hypotheses) for every candidate instance in ``params``."""
        return self.run_full(structure, params)[:3]

    def run_full(self, structure: Structure, params: dict) -> tuple:
        """Evaluate (LHS, RHS, violated hypotheses, magnitude) for every candidate in ``params``.

        ``magnitude`` is the size of the terms whose difference makes LHS − RHS (e.g. the
        potentials of a regret bound); float64 cannot resolve an excess far below it.
        Statements that do not report one get |LHS| + |RHS|."""
        out = self.evaluate(self, structure, params)
        lhs, rhs = out[0], out[1]
        viol = out[2] if len(out) > 2 else {}
        mag = out[3] if len(out) > 3 else None
        if mag is None:
            mag = abs(lhs) + abs(rhs) if not nm.is_exact(lhs) else None
        return lhs, rhs, viol, mag

    @property
    def checkable(self) -> bool:
        return self.evaluate is not None

    def summary(self) -> dict:
        return {
            "id": self.id, "kind": self.kind, "number": self.number, "section": self.section, "title": self.title,
            "hypotheses": [str(h) for h in self.hypotheses], "quantity": self.quantity, "bound": str(self.bound),
            "bound_latex": sp.latex(self.bound),
            "explicit": None if self.explicit is None else str(self.explicit), "algorithm": self.algorithm, "families": list(self.families),
            "expectation": self.expectation, "big_o": self.big_o, "corrected_by": self.corrected_by,
            "corrects": self.corrects, "correction": self.correction, "readings": list(self.readings),
            "proof": self.proof,
        }


_LAMBDIFY_CACHE: dict = {}


def _lambdified(expr: sp.Basic, kind: str):
    key = (expr, kind)
    f = _LAMBDIFY_CACHE.get(key)
    if f is None:
        syms = sorted(expr.free_symbols, key=lambda s: s.name)
        mod = "numpy" if kind == "float" else "mpmath"
        f = (syms, sp.lambdify(syms, expr, modules=mod))
        _LAMBDIFY_CACHE[key] = f
    return f


def evaluate_expr(expr: sp.Basic, params: Mapping[str, Any]) -> Any:
    """Evaluate a sympy expression or relation at named parameters.

    Float/ndarray parameters → numpy (vectorised); object arrays / mpf → mpmath,
    elementwise.  Never sympifies strings: only symbols of the statement are looked up.
    """
    exact = any(nm.is_exact(v) or isinstance(v, mpmath.mpf) for v in params.values())
    syms, f = _lambdified(expr, "mp" if exact else "float")
    try:
        args = [params[s.name] for s in syms]
    except KeyError as exc:
        raise ValueError(f"missing parameter {exc.args[0]!r} for expression {expr}") from None
    if not exact:
        with np.errstate(divide="ignore", invalid="ignore"):
            return f(*[np.asarray(a, dtype=float) for a in args])
    if not args:
        return f()
    arrs = [np.asarray(a, dtype=object) for a in args]
    shape = np.broadcast_shapes(*[a.shape for a in arrs])
    out = np.empty(shape, dtype=object)
    bs = [np.broadcast_to(a, shape) for a in arrs]
    for idx in np.ndindex(shape):
        out[idx] = f(*[nm._mp(b[idx]) if not isinstance(b[idx], mpmath.mpf) else b[idx] for b in bs])
    return out if shape else out[()]


REGISTRY: dict[str, Statement] = {}


def register(st: Statement) -> Statement:
    if st.id in REGISTRY:
        raise ValueError(f"statement id {st.id!r} is already registered")
    REGISTRY[st.id] = st
    return st


CLAIM_KINDS = ("theorem", "lemma", "table")
