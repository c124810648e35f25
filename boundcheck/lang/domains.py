"""Parameter domains: a hypothesis on a parameter declared once, and everything derived from it.

A statement declares each of its scalar parameters (η, γ, λ_init, …) with a domain, e.g.
``eta: Interval(0, 1/beta, left_open=True)`` for "0 < η ≤ 1/β", or ``eta: sp.Min(1/beta, …)``
for a parameter the statement *defines* (η = min{…}).  From the domain the toolkit derives

* the **printed hypothesis** (a sympy relation, for display and the report);
* a **raw coordinate** the search perturbs freely (e.g. the fraction u ∈ [0, 1] of the way
  from the lower to the upper end), its prior for sampling (mass on the edges, where tight
  instances live) and its **projection** back onto the raw domain;
* the **decode** raw → value, written once in array arithmetic, so it runs in float64 and in
  mpmath on the same numbers;
* the **vectorised hypothesis check** on the decoded value (a relation evaluated in the
  arithmetic of the evaluation) and on the raw number (for files: ``replay``), whose failures
  are counted per hypothesis; and
* **relaxation**: ``relax=("eta",)`` lets the raw coordinate leave its domain (the check then
  flags every such instance: never a counterexample, only "would refute without H").

Integer structure parameters (K, B, T, n) have :class:`Integers` domains with their own priors.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

from boundcheck.core import numerics as nm

__all__ = ["Domain", "Interval", "Positive", "Fixed", "Defined", "Integers", "Choice", "as_domain", "evaluate_expr"]

_LAMBDIFY_CACHE: dict = {}
#: a scale at or below this is zero for the domains (e.g. the tiny β of a linear loss), and an
#: upper end at or above 1/NEGLIGIBLE is no limit
NEGLIGIBLE = 1e-200


def _lambdified(expr: sp.Basic, kind: str):
    key = (expr, kind)
    f = _LAMBDIFY_CACHE.get(key)
    if f is None:
        syms = sorted(expr.free_symbols, key=lambda s: s.name)
        mod = "numpy" if kind == "float" else "mpmath"
        f = (syms, sp.lambdify(syms, expr, modules=mod))
        _LAMBDIFY_CACHE[key] = f
    return f


def evaluate_expr(expr: sp.Basic, params: dict) -> Any:
    """Evaluate a sympy expression or relation at named parameters (names as the symbols').

    Float/ndarray parameters → numpy (vectorised); any object array or mpf → mpmath,
    elementwise.  Never sympifies strings: only the expression's own symbols are looked up.
    """
    import mpmath
    exact = any(nm.is_exact(v) or isinstance(v, mpmath.mpf) for v in params.values())
    syms, f = _lambdified(expr, "mp" if exact else "float")
    try:
        args = [params[s.name] for s in syms]
    except KeyError as exc:
        raise ValueError(f"missing parameter {exc.args[0]!r} for expression {expr}") from None
    if not exact:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return f(*[np.asarray(a, dtype=float) for a in args])
    if not args:
        return f()
    arrs = [np.asarray(a, dtype=object) for a in args]
    shape = np.broadcast_shapes(*[a.shape for a in arrs])
    out = np.empty(shape, dtype=object)
    bs = [np.broadcast_to(a, shape) for a in arrs]
    for idx in np.ndindex(shape):
        out[idx] = f(*[b[idx] if isinstance(b[idx], mpmath.mpf) else nm._mp(b[idx]) for b in bs])
    return out if shape else out[()]


def _mix(rng: np.random.Generator, C: int, parts: Sequence[tuple[float, Callable[[int], np.ndarray]]]) -> np.ndarray:
    """Draw C values from a mixture: ``parts`` = (probability, draw(C)) pairs."""
    r = rng.random(C)
    out = np.empty(C)
    lo = 0.0
    for p, draw in parts:
        sel = (r >= lo) & (r < lo + p)
        lo += p
        vals = draw(C)
        out[sel] = vals[sel]
    sel = r >= lo
    out[sel] = parts[-1][1](C)[sel]
    return out


@dataclass(frozen=True)
class Domain:
    """A scalar parameter's domain.  Subclasses define the raw coordinate and the decode."""

    def hypotheses(self, sym: sp.Symbol) -> tuple:
        """The printed hypotheses on ``sym`` (sympy relations)."""
        return ()

    @property
    def raw(self) -> bool:
        """Whether the parameter has a raw coordinate (False: fixed or defined by a formula)."""
        return True

    def sample(self, rng: np.random.Generator, C: int, relax: bool = False) -> np.ndarray:
        raise NotImplementedError

    def project(self, raw: np.ndarray, relax: bool = False) -> np.ndarray:
        return raw

    def raw_ok(self, raw: np.ndarray) -> np.ndarray:
        """Raw values inside the raw domain (exact comparisons on the stored floats)."""
        return np.isfinite(np.asarray(raw, dtype=float))

    def decode(self, raw: Any, env: dict) -> Any:
        raise NotImplementedError

    def describe(self, sym: sp.Symbol) -> str:
        return ", ".join(str(h) for h in self.hypotheses(sym)) or "any"


@dataclass(frozen=True)
class Interval(Domain):
    """``lo ≤ x ≤ hi`` (sympy expressions in the other parameters; ``hi`` may be ``sp.oo``).

    Bounded: raw u ∈ [0, 1], x = lo + u·(hi − lo) (u = 0 excluded if ``left_open``).  The
    prior puts ``edge`` of its mass on u = 1 (the upper end, where tight instances live) and
    ``low_edge`` on u = 0.  Unbounded above: raw r = x/scale (the value in units of ``scale``,
    e.g. γ/β; ``lo`` must then be a number), drawn as lo/scale + t with t log-uniform over
    ``log_range`` (``edge`` of the mass on t = 0, i.e. x = lo).  ``relax`` draws beyond the
    domain: u up to ``relax_to`` (bounded) or x below ``lo`` (unbounded) — never counterexamples.
    """

    lo: Any = 0
    hi: Any = sp.oo
    left_open: bool = False
    right_open: bool = False
    edge: float = 0.3
    low_edge: float = 0.0
    scale: Any = 1
    log_range: tuple[float, float] = (-4.0, 4.0)
    relax_to: float = 4.0
    prior: Callable[[np.random.Generator, int], np.ndarray] | None = None  # raw draws (else edge + uniform/log)

    def __post_init__(self) -> None:
        if not self.bounded and not sp.sympify(self.lo).is_number:
            raise ValueError(f"Interval({self.lo}, oo): an unbounded interval needs a numeric lower end")

    @property
    def bounded(self) -> bool:
        return sp.sympify(self.hi) != sp.oo

    @property
    def _raw_lo(self) -> float:
        """The lower end in raw units (x/scale) for an unbounded interval; scale counts as 1
        when it is not a number (its lower end is then 0)."""
        lo = float(sp.sympify(self.lo))
        sc = sp.sympify(self.scale)
        return lo / float(sc) if sc.is_number and lo else lo

    def hypotheses(self, sym: sp.Symbol) -> tuple:
        lo, hi = sp.sympify(self.lo), sp.sympify(self.hi)
        out = []
        # evaluate=False: the symbols carry assumptions (η ≥ 0), which would fold 0 ≤ η to True
        if hi != sp.oo:
            out.append(sp.Lt(sym, hi, evaluate=False) if self.right_open else sp.Le(sym, hi, evaluate=False))
        if lo != -sp.oo:
            out.append(sp.Gt(sym, lo, evaluate=False) if self.left_open else sp.Ge(sym, lo, evaluate=False))
        return tuple(out)

    def sample(self, rng: np.random.Generator, C: int, relax: bool = False) -> np.ndarray:
        if self.prior is not None:
            raw = np.asarray(self.prior(rng, C), dtype=float)
            if relax:
                raw = raw * np.where(rng.random(C) < 0.5, rng.uniform(1, self.relax_to, C), 1.0) if self.bounded \
                    else np.where(rng.random(C) < 0.5, self._raw_lo - rng.uniform(0, 1, C), raw)
            return raw
        if self.bounded:
            inner = 1.0 - self.edge - self.low_edge
            u = _mix(rng, C, [(self.edge, lambda c: np.ones(c)), (self.low_edge, lambda c: np.zeros(c)),
                              (inner, lambda c: rng.uniform(0, 1, c))])
            if self.left_open:
                u = np.where(u <= 0, 1e-6, u)
            if relax:
                u = u * np.where(rng.random(C) < 0.5, rng.uniform(1, self.relax_to, C), 1.0)
            return u
        a, b = self.log_range
        t = _mix(rng, C, [(self.edge, lambda c: np.zeros(c)), (1 - self.edge, lambda c: np.exp(rng.uniform(a, b, c)))])
        if self.left_open:
            t = np.where(t <= 0, math.exp(a), t)
        if relax:  # below the lower end
            t = np.where(rng.random(C) < 0.5, -rng.uniform(0, 1, C), t)
        return self._raw_lo + t

    def project(self, raw: np.ndarray, relax: bool = False) -> np.ndarray:
        raw = np.asarray(raw, dtype=float)
        if self.bounded:
            # u = 0 (x at its lower end) is kept out of the search even where admitted: a zero
            # step size is a trivial instance, and the methods take η > 0
            return np.clip(np.abs(raw), 1e-9, self.relax_to if relax else 1.0)
        lo = self._raw_lo
        if relax:
            return np.maximum(raw, lo - 1.0)
        return np.maximum(raw, lo + 1e-12 if self.left_open else lo)

    def raw_ok(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=float)
        ok = np.isfinite(raw)
        if self.bounded:
            ok &= (raw > 0) if self.left_open else (raw >= 0)
            ok &= (raw < 1) if self.right_open else (raw <= 1)
        else:
            ok &= (raw > self._raw_lo) if self.left_open else (raw >= self._raw_lo)
        return ok

    def decode(self, raw: Any, env: dict) -> Any:
        lo = evaluate_expr(sp.sympify(self.lo), env)
        if self.bounded:
            hi = evaluate_expr(sp.sympify(self.hi), env)
            # an upper end ≥ 1e200 is "no limit" (e.g. 1/β for a loss without curvature): the
            # fraction u is then the value in natural units, x = lo + u
            if nm.is_exact(raw) or nm.is_exact(hi):
                hi = np.asarray(hi, dtype=object)
                unl = np.vectorize(lambda h: bool(h >= 1 / NEGLIGIBLE), otypes=[bool])(hi) if hi.ndim else bool(hi >= 1 / NEGLIGIBLE)
            else:
                hi = np.asarray(hi, dtype=float)
                unl = ~(hi < 1 / NEGLIGIBLE)
            if sp.sympify(self.lo) == 0:
                return np.where(unl, raw, raw * hi)  # x = u·hi: u = 1 gives hi exactly, in every arithmetic
            return np.where(unl, lo + raw, lo + raw * (hi - lo))
        sc = evaluate_expr(sp.sympify(self.scale), env)
        # a negligible scale (β of a loss without curvature, ≤ 1e−200): natural units instead
        if not nm.is_exact(raw):
            sc = np.where(np.asarray(sc, dtype=float) > NEGLIGIBLE, sc, 1.0)
        else:
            sc = np.array([s if s > NEGLIGIBLE else 1 for s in np.broadcast_to(np.asarray(sc, dtype=object),
                                                                               np.shape(raw))], dtype=object)
        return raw * sc


def Positive(scale: Any = 1, *, log_range: tuple[float, float] = (-4.0, 4.0), edge: float = 0.0,
             prior: Callable[[np.random.Generator, int], np.ndarray] | None = None) -> Interval:
    """``x > 0`` on a natural scale (e.g. γ relative to β): raw x/scale, log-uniform."""
    return Interval(0, sp.oo, left_open=True, scale=scale, log_range=log_range, edge=edge, prior=prior)


@dataclass(frozen=True)
class Fixed(Domain):
    """A parameter the statement fixes (e.g. λ_init = 1): no raw coordinate."""

    value: Any = 0

    @property
    def raw(self) -> bool:
        return False

    def hypotheses(self, sym: sp.Symbol) -> tuple:
        return (sp.Eq(sym, sp.sympify(self.value)),)

    def decode(self, raw: Any, env: dict) -> Any:
        return evaluate_expr(sp.sympify(self.value), env)


@dataclass(frozen=True)
class Defined(Domain):
    """A parameter defined by a formula in the others (η = min{1/β, (ρ/(KD))√(B/T)}, as printed)."""

    expr: Any = None

    @property
    def raw(self) -> bool:
        return False

    def hypotheses(self, sym: sp.Symbol) -> tuple:
        return (sp.Eq(sym, self.expr),)

    def decode(self, raw: Any, env: dict) -> Any:
        return evaluate_expr(self.expr, env)


def as_domain(d: Any) -> Domain:
    """A Domain as given, a sympy expression → Defined, a number → Fixed."""
    if isinstance(d, Domain):
        return d
    if isinstance(d, (int, float)) or (isinstance(d, sp.Basic) and d.is_number):
        return Fixed(d)
    if isinstance(d, sp.Basic):
        return Defined(d)
    raise ValueError(f"cannot make a parameter domain of {d!r}")


@dataclass(frozen=True)
class Integers:
    """An integer structure parameter lo..hi with a prior: ``"tiers"`` (``tiers`` = (probability,
    largest value) pairs: most mass on small values, where tight instances live — K, n),
    ``"uniform"``, or ``"log"`` (log-uniform)."""

    lo: int = 1
    hi: int = 100
    prior: str = "tiers"
    tiers: tuple[tuple[float, int], ...] = ((0.4, 5), (0.35, 20))

    def sample(self, rng: np.random.Generator) -> int:
        if self.hi <= self.lo:
            return int(self.lo)
        if self.prior == "uniform":
            return int(rng.integers(self.lo, self.hi + 1))
        if self.prior == "log":
            return int(min(self.hi, max(self.lo, int(np.exp(rng.uniform(np.log(self.lo), np.log(self.hi + 1)))))))
        r = rng.random()
        acc = 0.0
        for p, top in self.tiers:
            acc += p
            if r < acc:
                return int(rng.integers(self.lo, min(self.hi, top) + 1))
        return int(rng.integers(self.lo, self.hi + 1))

    def contains(self, v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and self.lo <= v <= self.hi


@dataclass(frozen=True)
class Choice:
    """A discrete structure parameter (a loss family, an inner method)."""

    options: tuple

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def contains(self, v: Any) -> bool:
        return v in self.options
