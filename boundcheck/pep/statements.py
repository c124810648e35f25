"""A declared statement as a PEP: its algorithm run on symbolic points, its terms as forms.

For a one-batch statement (Lemma 5, Lemma 8, Lemma 11, a user's lemma on ``one_batch()``) the
declaration gives everything: the function class (its ``pep`` key: interpolation conditions),
the method and its parameters with their domains (a grid point must satisfy the declared
hypotheses exactly: the same hypotheses ``verify``, ``search`` and ``replay`` enforce), the
free state vectors (a pivot, an initial momentum), the comparator (free or a minimiser), and
the quantity and bound as terms, which evaluate symbolically (:meth:`Term.symbolic`).

The comparator sits at the origin: the classes and the quantities are translation
invariant (checked: a quantity that is not, e.g. ‖w_init‖, is refused).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import sympy as sp

from boundcheck.core.algorithms import METHODS, AGDState
from boundcheck.lang.domains import Defined, Fixed, Interval
from boundcheck.lang.settings import STATE_SCALARS, OneBatch, _iter_name
from boundcheck.pep.forms import Form, NotAPepQuantity, Norm, Vec, to_exact
from boundcheck.pep.functions import PepFunction, Space, interpolation_class
from boundcheck.pep.problem import Problem

__all__ = ["PepInstance", "build", "resolve_params", "parse_number", "arith_for", "evaluate_sym"]


def parse_number(text: Any, name: str = "value") -> sp.Rational:
    """A rational from '3/2', '0.5', 2 (exact: '0.1' is 1/10); anything else is refused."""
    if isinstance(text, sp.Rational):
        return text
    if isinstance(text, bool):
        raise ValueError(f"{name}: a boolean is not a number")
    if isinstance(text, int):
        return sp.Integer(text)
    s = str(text).strip()
    if not s or len(s) > 64 or any(ch not in "0123456789+-./eE" for ch in s):
        raise ValueError(f"{name} must be a rational number such as 1/2 or 0.25, got {text!r}")
    try:
        v = sp.Rational(s)
    except (TypeError, ValueError, SyntaxError):
        raise ValueError(f"{name} must be a rational number such as 1/2 or 0.25, got {text!r}") from None
    return v


def arith_for(method: str) -> str:
    """The exact arithmetic of a method's PEP: rationals, or balls where the coefficients are
    irrational (AGD's λ_{j+1} = (1 + √(1 + 4λ_j²))/2)."""
    return "ball" if method == "agd" else "exact"


@dataclass
class PepInstance:
    """A statement's PEP at one parameter point: the problem (without an objective yet), the
    quantity and the bound as forms, and what was resolved."""

    statement: str
    method: str
    K: int
    params: dict            # name → sympy number (the resolved parameters, β included)
    space: Space
    functions: list
    lhs: Form
    rhs: Form
    exact_class: bool
    class_name: str
    notes: list = field(default_factory=list)

    def problem(self, formulation: str) -> Problem:
        """"ratio": max LHS s.t. RHS = 1 (the worst ratio); "difference": max LHS − RHS s.t.
        tr G ≤ 1 (≤ 0 iff the bound holds; its dual is the certificate)."""
        sp_ = self.space
        if formulation == "ratio":
            return Problem(sp_, self.functions, self.lhs, equalities=[("RHS = 1", self.rhs - sp_.one)])
        if formulation == "difference":
            return Problem(sp_, self.functions, self.lhs - self.rhs, extra=[("tr G ≤ 1", normalisation(sp_))])
        raise ValueError(f"formulation must be 'ratio' or 'difference', got {formulation!r}")


def normalisation(space: Space) -> Form:
    """1 − tr G ≥ 0 over the used basis: bounds every instance (a well-conditioned scale)."""
    Q = np.empty((space.capacity, space.capacity), dtype=object if space.arith != "float" else float)
    Q[...] = space.zero
    for k in range(space.d):
        Q[k, k] = -space.one
    return Form(Q=Q, c=space.one)


def _to_space(space: Space, v: sp.Basic) -> Any:
    v = sp.nsimplify(v) if isinstance(v, sp.Float) else sp.sympify(v)
    if space.arith == "float":
        return float(v)
    if v.is_Rational:
        return to_exact(v)
    if space.arith == "ball":
        from flint import arb
        return arb(str(sp.N(v, 60)))  # not rigorous for non-rationals: refused below
    raise ValueError(f"the value {v} is irrational: exact rational arithmetic cannot carry it")


def evaluate_sym(expr: Any, env: Mapping[str, Any], space: Space) -> Any:
    """A sympy expression over symbolic values (vectors, forms, norms) and numbers, walked
    with Python's operators: only quadratic-affine results survive (forms.NotAPepQuantity)."""
    expr = sp.sympify(expr)
    if expr.is_Symbol:
        if expr.name not in env:
            raise ValueError(f"the bound's symbol {expr.name} has no value at this PEP point")
        return env[expr.name]
    if expr.is_Rational:
        return space.number(to_exact(expr)) if space.arith != "float" else float(expr)
    if expr.is_number:
        if space.arith == "ball":
            return _ball_of(expr, space)
        return _to_space(space, expr)
    if expr.is_Add:
        out = None
        for a in expr.args:
            v = evaluate_sym(a, env, space)
            out = v if out is None else out + v
        return out
    if expr.is_Mul:
        out = None
        for a in expr.args:
            v = evaluate_sym(a, env, space)
            out = v if out is None else _mul(out, v)
        return out
    if expr.is_Pow:
        base, ex = expr.args
        if ex.free_symbols:  # an exponent in the parameters (e.g. (1 − ημ)^K): numbers only
            vals = {s_: env.get(s_.name) for s_ in ex.free_symbols}
            if any(v is None or not isinstance(v, (int, float)) and type(v).__name__ not in ("fmpq", "arb")
                   for v in vals.values()):
                raise NotAPepQuantity(f"{expr}: the exponent must be a number at the PEP point")
            ex = sp.nsimplify(ex.xreplace({k: sp.Rational(str(v)) if type(v).__name__ == "fmpq" else
                                           sp.nsimplify(float(v)) for k, v in vals.items()}))
        b = evaluate_sym(base, env, space)
        if ex.is_Integer:
            e = int(ex)
            if isinstance(b, Norm):
                return b ** e
            if isinstance(b, Form) and not b.constant:
                if e == 1:
                    return b
                raise NotAPepQuantity(f"{expr}: a power of a non-constant quantity")
            return b ** e if e >= 0 else 1 / (b ** (-e))
        if isinstance(b, (Norm, Form, Vec)):
            raise NotAPepQuantity(f"{expr}: a non-integer power of a quantity")
        if space.arith == "float":
            return float(b) ** float(ex)
        if space.arith == "ball":
            return _ball_pow(b, ex, space)
        raise ValueError(f"{expr}: a non-integer power is irrational in exact arithmetic")
    if isinstance(expr, (sp.Min, sp.Max)):
        vals = [evaluate_sym(a, env, space) for a in expr.args]
        if any(isinstance(v, (Form, Norm, Vec)) for v in vals):
            raise NotAPepQuantity(f"{expr}: min/max of quantities is not quadratic-affine")
        fl = [float(v) for v in vals]
        k = int(np.argmin(fl) if isinstance(expr, sp.Min) else np.argmax(fl))
        return vals[k]
    raise NotAPepQuantity(f"{expr}: not supported in a PEP bound")


def _mul(x: Any, y: Any) -> Any:
    if isinstance(x, (Form, Vec)) or not isinstance(y, (Form, Vec)):
        return x * y
    return y * x


def _ball_of(expr: sp.Basic, space: Space) -> Any:
    """A rigorous ball for a numeric sympy expression built from rationals, +, ×, ^ and √."""
    if expr.is_Rational:
        return space.number(to_exact(expr))
    if expr.is_Add:
        out = space.zero
        for a in expr.args:
            out = out + _ball_of(a, space)
        return out
    if expr.is_Mul:
        out = space.one
        for a in expr.args:
            out = out * _ball_of(a, space)
        return out
    if expr.is_Pow:
        return _ball_pow(_ball_of(expr.args[0], space), expr.args[1], space)
    raise ValueError(f"cannot enclose {expr} rigorously")


def _ball_pow(b: Any, ex: sp.Basic, space: Space) -> Any:
    if ex.is_Integer:
        return b ** int(ex)
    if ex.is_Rational and ex.q == 2:
        r = b.sqrt()
        return r ** int(ex.p) if ex.p > 0 else 1 / (r ** int(-ex.p))
    raise ValueError(f"cannot enclose the power {ex} rigorously")


def resolve_params(st: Any, method: str, values: Mapping[str, Any], K: int) -> dict[str, sp.Basic]:
    """Every parameter of ``st`` at a PEP point, exactly (sympy numbers), with the declared
    hypotheses checked exactly.  ``values`` gives a free parameter in natural units (``eta``)
    or as the fraction of its interval's upper end (``eta_frac``: η = lo + u·(hi − lo))."""
    allowed = {"beta", "mu", "rho", "B"}
    env: dict[str, sp.Basic] = {"K": sp.Integer(K), "beta": parse_number(values.get("beta", 1), "beta")}
    if env["beta"] <= 0:
        raise ValueError("beta must be > 0")
    declared = {sym.name for sym, _ in st.param_domains(method)}
    if st.cls is not None and st.cls.strongly_convex and "mu" not in declared:
        if "mu" not in values:
            raise ValueError(f"{st.id}: the class is strongly convex: give mu (μ > 0)")
        env["mu"] = parse_number(values["mu"], "mu")
        if env["mu"] <= 0:
            raise ValueError("mu must be > 0")
    for extra in ("rho", "B"):
        if extra in values:
            env[extra] = parse_number(values[extra], extra)
    for sym, dom in st.param_domains(method):
        name = sym.name
        allowed |= {name, name + "_frac"}
        if isinstance(dom, Fixed):
            v = sp.sympify(dom.value)
        elif isinstance(dom, Defined):
            v = _subs_all(dom.expr, env)
        elif isinstance(dom, Interval):
            if name in values and name + "_frac" in values:
                raise ValueError(f"give {name} or {name}_frac, not both")
            if name + "_frac" in values:
                u = parse_number(values[name + "_frac"], name + "_frac")
                lo, hi = _subs_all(dom.lo, env), _subs_all(dom.hi, env)
                if hi == sp.oo:
                    raise ValueError(f"{name}_frac: {name}'s interval has no upper end; give {name}")
                v = lo + u * (hi - lo)
            elif name in values:
                v = parse_number(values[name], name)
            else:
                raise ValueError(f"{st.id}: give {name} (or {name}_frac, a fraction of its upper end) for the PEP")
        else:
            raise ValueError(f"{st.id}: parameter {name} has a domain the PEP cannot resolve ({type(dom).__name__})")
        v = sp.nsimplify(v) if isinstance(v, sp.Float) else sp.simplify(v)
        for h in dom.hypotheses(sym):
            ok = _subs_all(h, {**env, name: v})
            if ok is not sp.true and ok is not True:
                raise ValueError(f"{st.id}: {name} = {v} violates the hypothesis {h} (at β = {env['beta']})")
        env[name] = v
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValueError(f"{st.id}: unknown PEP parameter(s) {', '.join(unknown)}; this statement takes "
                         f"{', '.join(sorted(allowed))}")
    return env


def _subs_all(expr: Any, env: Mapping[str, Any]) -> Any:
    """``expr`` (a number, expression or relation) with the env's values put in exactly: a relation
    between numbers evaluates to sympy's true/false."""
    e = sp.sympify(expr)
    return e.xreplace({s: env[s.name] for s in e.free_symbols if s.name in env})


class _Ctx:
    """What a statement's terms read, symbolically."""

    def __init__(self, space: Space, method: str, fn: Any, points: dict, states: dict, env: dict) -> None:
        self.space, self.method_name, self.fn = space, method, fn
        self.points, self.states, self.env = points, states, env

    def sym_point(self, name: str) -> Vec:
        if name.startswith("w[") and name not in self.points:  # w(j): the numeric settings' one index rule
            its = self.points["_iterates"]
            return Vec(its[int(_iter_name(int(name[2:-1]), len(its))[2:-1])])
        try:
            return Vec(self.points[name])
        except KeyError:
            raise ValueError(f"this PEP has no point {name!r}") from None

    def sym_state(self, field: str, when: str) -> Any:
        try:
            v = self.states[when][field]
        except KeyError:
            raise ValueError(f"the method {self.method_name!r} has no state field {field!r}") from None
        return Vec(v) if isinstance(v, np.ndarray) and v.ndim == 1 else v

    def sym_objective(self, v: Vec) -> Form:
        return self.fn.value(v.c)

    def sym_constant(self, c: Any) -> Any:
        return evaluate_sym(c, {}, self.space)

    def sym_expression(self, expr: Any) -> Any:
        return evaluate_sym(expr, self.env, self.space)


def build(st: Any, K: int, values: Mapping[str, Any], arith: str = "float", method: str | None = None) -> PepInstance:
    """The PEP of a one-batch statement at K steps and the parameter point ``values``."""
    if st.setting is None or st.lhs is None:
        raise ValueError(f"{st.id} is not a checkable statement")
    if not isinstance(st.setting, OneBatch):
        raise ValueError(f"{st.id}: the PEP engine takes one-batch statements (f̄ deterministic); "
                         f"its setting is {type(st.setting).__name__} (stability: pep.stability)")
    methods = st.methods
    method = method or (methods[0] if len(methods) == 1 else None)
    if method is None or method not in methods:
        raise ValueError(f"{st.id}: choose the method ({', '.join(methods)})")
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise ValueError(f"K must be a positive integer, got {K!r}")
    K = int(K)
    kdom = st.structure_domains().get("K")
    if kdom is not None and hasattr(kdom, "contains") and not kdom.contains(K):
        raise ValueError(f"{st.id}: K = {K} is outside the declared range of K")
    env_exact = resolve_params(st, method, values, K)
    space = Space(capacity=K + 6, arith=arith, value_capacity=K + 4)
    num = {k: _to_space(space, v) if arith != "ball" else _ball_of(sp.sympify(v), space) for k, v in env_exact.items()}
    beta = num["beta"]
    key = st.cls.pep
    L = beta + num["mu"] if st.cls.strongly_convex else beta
    cls = interpolation_class(key, L=L, mu=num.get("mu", 0), rho=num.get("rho"))
    if key == "lipschitz-smooth-convex" and "rho" not in num:
        raise ValueError(f"{st.id}: the class is Lipschitz: give rho")
    fn = PepFunction(space, cls, "f")
    w0 = space.new_vector("w_init")
    ws = space.zeros()  # the comparator: the origin
    minimiser = st.setting.comparator == "minimizer" or st.cls.strongly_convex
    if minimiser:
        fn.stationary_point(ws, "*")
    vectors = {}
    if method == "prox":
        vectors["pivot"] = space.new_vector("pivot") if st.state_spec("pivot") == "free" else w0
    if method == "agd":
        vectors["d"] = space.new_vector("d_init") if st.state_spec("d") == "free" else space.zeros()
    sc = {name: num[pname] for name, pname in STATE_SCALARS[method].items()}
    M = METHODS[method]()
    if method == "gd":
        s0 = M.init(eta=sc["eta"])
    elif method == "prox":
        s0 = M.init(eta=sc["eta"], gamma=sc["gamma"], pivot=vectors["pivot"])
    else:
        s0 = AGDState(sc["eta"], vectors["d"], sc["lam"])
    run = M.run(w0, s0, fn, K)
    fields = {"gd": ("eta",), "prox": ("eta", "gamma", "pivot"), "agd": ("eta", "d", "lam")}[method]
    states = {"init": {f_: getattr(s0, f_) for f_ in fields}, "out": {f_: getattr(run.s_out, f_) for f_ in fields}}
    points = {"w_init": w0, "w_out": run.w_out, "w_star": ws, "_iterates": run.iterates}
    ctx = _Ctx(space, method, fn, points, states, num)
    env = dict(num)
    for sym, t in st.where.items():
        env[sym.name] = t.symbolic(ctx)
    lhs = _as_form(st.lhs.symbolic(ctx), space)
    rhs = _as_form(evaluate_sym(st.bound_expr(), env, space), space)
    if st.relation == ">=":
        lhs, rhs = rhs, lhs
    return PepInstance(st.id, method, K, env_exact, space, [fn], lhs, rhs, cls.exact_class, cls.describe(),
                       notes=["comparator: a minimiser (∇f(w*) = 0)" if minimiser else "comparator: free (any w*)"])


def _as_form(v: Any, space: Space) -> Form:
    if isinstance(v, Form):
        return v
    if isinstance(v, (Vec, Norm)):
        raise NotAPepQuantity("the quantity is a vector or an unsquared norm, not a scalar")
    return Form(c=v)
