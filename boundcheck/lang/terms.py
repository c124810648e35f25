"""Quantities as composable terms over the runs of an algorithm.

A statement's left-hand side, and the run-dependent symbols of its bound (``where=``), are
:class:`Term` objects built from the setting's atoms with ordinary arithmetic:

    f(w_out) - f(w_star)                              # regret against a free comparator
    norm(w_init - w_star)                             # a distance
    (lam_out**2 - lam_out) * (f(w_out) - f(w_star))   # Lemma 11's weights
    E(F(w_out)) - F(w_star)                           # exact expected excess risk (finite 𝒟)
    stability()                                       # Definition 1's supremum

Atoms (what each setting provides):

* points — ``w_init``, ``w_out``, ``w_star`` (the comparator), ``w(j)`` (inner iterate j, or
  outer iterate t in an echoed run), ``state_init(field)``/``state_out(field)`` (a method's state:
  ``"pivot"``, ``"d"`` are vectors, ``"lam"``, ``"eta"``, ``"gamma"`` scalars);
* scalars — sympy symbols of the statement's parameters and constants (η, β, K, …);
* ``f(point)`` — the batch objective f̄_ξ; ``F(point)`` — the population risk (finite 𝒟);
  ``fbar_last(point)`` — the objective of the last batch of an echoed run;
* ``E(term)`` — the exact expectation over the batch sequences (finite 𝒟);
* ``stability()`` — sup_{ξ∈Ξ} |f(A(ξ), ξ) − f(A(ξ'), ξ)| (Definition 1) between the two runs
  of a neighbouring-batches setting, or over every reached state of an echoed run.

A term evaluates on an evaluation context (float64 arrays, or object arrays of mpmath
numbers for the high-precision re-check: the same code) to (value, magnitude): the magnitude
is the size of the numbers whose difference makes the value, which tells float ties apart.
Arrays carry a candidate axis C and a sequence axis E (E = 1 unless an echoed run is expanded
over batch sequences): scalars (C, E), vectors (C, E, n).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import sympy as sp

from boundcheck.core import numerics as nm

__all__ = ["Term", "f", "F", "fbar_last", "E", "norm", "sqnorm", "dot", "w", "stability", "state_init", "state_out",
           "w_init", "w_out", "w_star", "lam_init", "lam_out", "d_init", "d_out", "pivot_init", "pivot_out", "absolute",
           "by_method", "as_term"]


def _abs(x: Any) -> Any:
    return np.vectorize(abs, otypes=[object])(x) if nm.is_exact(x) else np.abs(x)


def _norm(v: Any) -> Any:
    s = (v * v).sum(axis=-1)
    return nm.sqrt(s)


class Term:
    """A scalar or vector term (``vector`` tells which); evaluate with ``term.evaluate(ctx)``."""

    def __init__(self, label: str, fn: Callable[[Any], tuple[Any, Any]], vector: bool = False,
                 needs: frozenset = frozenset(), sym: Callable[[Any], Any] | None = None) -> None:
        self.label = label
        self._fn = fn
        self.vector = vector
        self.needs = frozenset(needs)  # atoms a setting must provide (checked at declaration)
        self._sym = sym

    def evaluate(self, ctx: Any) -> tuple[Any, Any]:
        """(value, magnitude) on the evaluation context ``ctx``."""
        return self._fn(ctx)

    def symbolic(self, ctx: Any) -> Any:
        """The term over symbolic points (the exact worst-case engine, :mod:`boundcheck.pep`):
        a vector, a quadratic form in the Gram matrix and the function values, or a number."""
        if self._sym is None:
            raise ValueError(f"the quantity {self.label} has no form over symbolic points (no PEP for it)")
        return self._sym(ctx)

    def __repr__(self) -> str:
        return self.label

    __str__ = __repr__

    # arithmetic --------------------------------------------------------------------------
    def _bin(self, other: Any, op: str, sym: str, rev: bool = False) -> "Term":
        o = as_term(other)
        a, b = (o, self) if rev else (self, o)
        if op in ("add", "sub") and a.vector != b.vector:
            raise ValueError(f"cannot {op} a vector and a scalar: {a} {sym} {b}")
        if op == "div" and b.vector:
            raise ValueError(f"cannot divide by a vector: {a} / {b}")
        if op == "mul" and a.vector and b.vector:
            raise ValueError(f"vector × vector is ambiguous, use dot({a}, {b})")
        vec = a.vector or b.vector

        def fn(ctx, a=a, b=b):
            (x, mx), (y, my) = a.evaluate(ctx), b.evaluate(ctx)
            if a.vector != b.vector:  # scalar (C, E) against vector (C, E, n)
                if not a.vector:
                    x, mx = x[..., None], mx[..., None]
                else:
                    y, my = y[..., None], my[..., None]
            if op == "add":
                return x + y, mx + my
            if op == "sub":
                return x - y, mx + my
            if op == "mul":
                return x * y, mx * my
            return x / y, mx / _abs(y)
        lab = f"({a} {sym} {b})" if op in ("add", "sub") else f"{_paren(a)} {sym} {_paren(b)}"
        return Term(lab, fn, vec, a.needs | b.needs, sym=lambda ctx: _SYM_OPS[op](a.symbolic(ctx), b.symbolic(ctx)))

    def __add__(self, o): return self._bin(o, "add", "+")
    def __radd__(self, o): return self._bin(o, "add", "+", rev=True)
    def __sub__(self, o): return self._bin(o, "sub", "−")
    def __rsub__(self, o): return self._bin(o, "sub", "−", rev=True)
    def __mul__(self, o): return self._bin(o, "mul", "·")
    def __rmul__(self, o): return self._bin(o, "mul", "·", rev=True)
    def __truediv__(self, o): return self._bin(o, "div", "/")
    def __rtruediv__(self, o): return self._bin(o, "div", "/", rev=True)

    def __neg__(self) -> "Term":
        return Term(f"−{_paren(self)}", lambda ctx: (lambda v: (-v[0], v[1]))(self.evaluate(ctx)), self.vector, self.needs,
                    sym=lambda ctx: -self.symbolic(ctx))

    def __pow__(self, p: int | float) -> "Term":
        if self.vector:
            raise ValueError(f"power of a vector term {self}: use sqnorm")
        if not isinstance(p, (int, float)) or isinstance(p, bool):
            raise ValueError(f"power of a term must be a number, got {p!r}")

        def fn(ctx):
            x, m = self.evaluate(ctx)
            return x**p, _abs(m) ** p
        return Term(f"{_paren(self)}^{p}", fn, False, self.needs, sym=lambda ctx: self.symbolic(ctx) ** p)


#: the arithmetic of symbolic values (vectors, quadratic forms, numbers): Python's operators
_SYM_OPS = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
            "div": lambda x, y: x / y}


def _paren(t: Term) -> str:
    s = str(t)
    return s if s.replace("_", "").replace("(", "").replace(")", "").isalnum() or s.startswith("(") else f"({s})"


def as_term(x: Any) -> Term:
    """A Term as given; a number or sympy expression (over the statement's symbols) → scalar term."""
    if isinstance(x, Term):
        return x
    if isinstance(x, bool):
        raise ValueError("a boolean is not a term")
    if isinstance(x, (int, float)) or (isinstance(x, sp.Basic) and x.is_number):
        c = sp.nsimplify(x) if isinstance(x, float) else sp.sympify(x)

        def const(ctx, c=c):
            v = ctx.constant(c)
            return v, _abs(v)
        return Term(str(c), const, sym=lambda ctx, c=c: ctx.sym_constant(c))
    if isinstance(x, sp.Basic):
        def sym(ctx, x=x):
            v = ctx.expression(x)
            return v, _abs(v)
        return Term(str(x), sym, needs=frozenset(f"symbol:{s.name}" for s in x.free_symbols),
                    sym=lambda ctx, x=x: ctx.sym_expression(x))
    raise ValueError(f"cannot make a term of {type(x).__name__} {x!r}")


# atoms --------------------------------------------------------------------------------------
def _point(name: str, label: str | None = None) -> Term:
    return Term(label or name, lambda ctx: (lambda v: (v, _abs(v)))(ctx.point(name)), vector=True,
                needs=frozenset({f"point:{name}"}), sym=lambda ctx: ctx.sym_point(name))


w_init = _point("w_init")
w_out = _point("w_out")
w_star = _point("w_star", "w*")


def w(j: int) -> Term:
    """Inner iterate w_j of a one-batch run (j < 0 counts from the end), or outer iterate w_t of
    an echoed run."""
    if isinstance(j, bool) or not isinstance(j, int):
        raise ValueError(f"w(j) needs an integer index, got {j!r}")
    return _point(f"w[{j}]", f"w_{j}")


def state_init(field: str) -> Term:
    """A field of the method's initial state ("pivot", "d": vectors; "lam", "eta", "gamma": scalars)."""
    return _state(field, "init")


def state_out(field: str) -> Term:
    """A field of the method's final state."""
    return _state(field, "out")


_VECTOR_FIELDS = ("pivot", "d")


def _state(field: str, when: str) -> Term:
    vec = field in _VECTOR_FIELDS
    return Term(f"{field}_{when}", lambda ctx: (lambda v: (v, _abs(v)))(ctx.state(field, when)), vector=vec,
                needs=frozenset({f"state:{field}"}), sym=lambda ctx: ctx.sym_state(field, when))


lam_init = state_init("lam")
lam_out = state_out("lam")
d_init = state_init("d")
d_out = state_out("d")
pivot_init = state_init("pivot")
pivot_out = state_out("pivot")


def f(point: Term) -> Term:
    """f̄_ξ(point): the batch objective (the mean of the batch's losses)."""
    _need_vector(point, "f")
    return Term(f"f({point})", lambda ctx: (lambda v: (v, _abs(v)))(ctx.objective(point)), needs=point.needs | {"f"},
                sym=lambda ctx: ctx.sym_objective(point.symbolic(ctx)))


def F(point: Term) -> Term:
    """F(point) = E_{ξ∼𝒟} f(point, ξ): the population risk of a finite distribution."""
    _need_vector(point, "F")
    return Term(f"F({point})", lambda ctx: (lambda v: (v, _abs(v)))(ctx.population(point)), needs=point.needs | {"F"})


def fbar_last(point: Term) -> Term:
    """f̄_ξ(point) for ξ the last batch of an echoed run (Theorem 2's empirical risk)."""
    _need_vector(point, "fbar_last")
    return Term(f"f̄_ξ({point})", lambda ctx: (lambda v: (v, _abs(v)))(ctx.last_batch_objective(point)),
                needs=point.needs | {"fbar_last"})


def E(term: Term) -> Term:
    """The exact expectation over the batch sequences of an echoed run (finite 𝒟)."""
    t = as_term(term)
    if t.vector:
        raise ValueError("E(·) of a vector term: take a scalar (e.g. F(w_out)) first")
    return Term(f"E[{t}]", lambda ctx: ctx.expect(*t.evaluate(ctx)), needs=t.needs | {"E"})


def norm(v: Term) -> Term:
    """‖v‖."""
    _need_vector(v, "norm")
    return Term(f"‖{v}‖", lambda ctx: (lambda x, m: (_norm(x), _norm(m)))(*v.evaluate(ctx)), needs=v.needs,
                sym=lambda ctx: v.symbolic(ctx).norm())


def sqnorm(v: Term) -> Term:
    """‖v‖²."""
    _need_vector(v, "sqnorm")
    return Term(f"‖{v}‖²", lambda ctx: (lambda x, m: ((x * x).sum(axis=-1), (m * m).sum(axis=-1)))(*v.evaluate(ctx)),
                needs=v.needs, sym=lambda ctx: (lambda x: x.dot(x))(v.symbolic(ctx)))


def dot(u: Term, v: Term) -> Term:
    """⟨u, v⟩."""
    _need_vector(u, "dot")
    _need_vector(v, "dot")

    def fn(ctx):
        (x, mx), (y, my) = u.evaluate(ctx), v.evaluate(ctx)
        return (x * y).sum(axis=-1), (mx * my).sum(axis=-1)
    return Term(f"⟨{u}, {v}⟩", fn, needs=u.needs | v.needs, sym=lambda ctx: u.symbolic(ctx).dot(v.symbolic(ctx)))


def absolute(t: Term) -> Term:
    """|t|."""
    t = as_term(t)
    if t.vector:
        raise ValueError("absolute value of a vector: use norm")
    return Term(f"|{t}|", lambda ctx: (lambda x, m: (_abs(x), m))(*t.evaluate(ctx)), needs=t.needs,
                sym=lambda ctx: abs(t.symbolic(ctx)))


def stability() -> Term:
    """Definition 1: sup_{ξ∈Ξ} |f(A(ξ), ξ) − f(A(ξ'), ξ)| (neighbouring batches, closed form over Ξ;
    in an echoed run, exact over every reached state with Ξ = the support of 𝒟)."""
    return Term("ε(A)", lambda ctx: (lambda v: (v, _abs(v)))(ctx.stability()), needs=frozenset({"stability"}))


def by_method(terms: dict[str, Any]) -> Term:
    """A term that depends on the inner method drawn (e.g. Theorem 4's potential V_A)."""
    ts = {k: as_term(v) for k, v in terms.items()}
    vec = {t.vector for t in ts.values()}
    if len(vec) != 1:
        raise ValueError("by_method: every branch must be a scalar, or every branch a vector")
    needs = frozenset().union(*[t.needs for t in ts.values()])

    def fn(ctx):
        m = ctx.method_name
        if m not in ts:
            raise ValueError(f"by_method has no term for method {m!r}")
        return ts[m].evaluate(ctx)
    return Term("{" + ", ".join(f"{k}: {t}" for k, t in ts.items()) + "}", fn, vec.pop(), needs,
                sym=lambda ctx: ts[ctx.method_name].symbolic(ctx))


def _need_vector(t: Any, what: str) -> None:
    if not isinstance(t, Term) or not t.vector:
        raise ValueError(f"{what}(·) takes a point (a vector term such as w_out), got {t!r}")
