"""Function classes of a PEP (their interpolation conditions) and the symbolic gradient oracle.

A :class:`PepFunction` stands for an unknown function of a class: each oracle call at a new
point x creates a gradient basis vector g and a function value f, and the class's
**interpolation conditions** over every pair of recorded triples (x_i, g_i, f_i) are the
constraints of the PEP.  Interpolation conditions are exact (necessary and sufficient for a
function of the class to exist through the triples) for

* L-smooth convex functions (Taylor, Hendrickx, Glineur 2017, Thm. 4):
  f_i ≥ f_j + ⟨g_j, x_i − x_j⟩ + ‖g_i − g_j‖²/(2L);
* L-smooth μ-strongly convex functions (ibid., Thm. 4):
  f_i ≥ f_j + ⟨g_j, x_i − x_j⟩ + (‖g_i − g_j‖²/L + μ‖x_i − x_j‖² − 2(μ/L)⟨g_j − g_i, x_j − x_i⟩)/(2(1 − μ/L)).

For L-smooth convex **ρ-Lipschitz** functions no interpolation theorem is known: the
smooth-convex conditions plus ‖g_i‖ ≤ ρ are only *necessary*, so such a PEP is a relaxation
(``exact_class`` False): its value is an upper bound, never a counterexample by itself.

One definition of each condition (:meth:`InterpolationClass.terms`) serves both the float
assembly of the SDP (batched over pairs) and the exact re-check of a certificate.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np

from boundcheck.pep.forms import Form, Vec

__all__ = ["Space", "InterpolationClass", "SmoothConvex", "SmoothStronglyConvex", "PepFunction", "Combination",
           "Triple", "interpolation_class"]


class Space:
    """The basis of a PEP: vectors (d of them) and function values (m), with a fixed capacity.

    ``arith`` is "float" (float64), "exact" (``flint.fmpq``) or "ball" (``flint.arb``)."""

    def __init__(self, capacity: int, arith: str = "float", value_capacity: int | None = None) -> None:
        if arith not in ("float", "exact", "ball"):
            raise ValueError(f"arith must be 'float', 'exact' or 'ball', got {arith!r}")
        self.capacity, self.arith = int(capacity), arith
        self.value_capacity = int(value_capacity or capacity)
        self.vector_names: list[str] = []
        self.value_names: list[str] = []
        if arith == "float":
            self.zero, self.one = 0.0, 1.0
        elif arith == "exact":
            from flint import fmpq
            self.zero, self.one = fmpq(0), fmpq(1)
        else:
            from flint import arb
            self.zero, self.one = arb(0), arb(1)

    @property
    def d(self) -> int:
        return len(self.vector_names)

    @property
    def m(self) -> int:
        return len(self.value_names)

    def zeros(self, n: int | None = None) -> np.ndarray:
        n = self.capacity if n is None else n
        if self.arith == "float":
            return np.zeros(n)
        out = np.empty(n, dtype=object)
        out[:] = [self.zero] * n
        return out

    def number(self, x: Any) -> Any:
        """x in this space's arithmetic (floats only in a float space)."""
        if self.arith == "float":
            return float(x)
        from boundcheck.pep.forms import to_exact
        if self.arith == "exact":
            return to_exact(x)
        from flint import arb
        return x if type(x).__name__ == "arb" else arb(to_exact(x))

    def new_vector(self, name: str) -> np.ndarray:
        if self.d >= self.capacity:
            raise ValueError(f"PEP basis capacity {self.capacity} exceeded (internal: count the oracle calls)")
        c = self.zeros()
        c[self.d] = self.one
        self.vector_names.append(name)
        return c

    def new_value(self, name: str) -> Form:
        if self.m >= self.value_capacity:
            raise ValueError(f"PEP value capacity {self.value_capacity} exceeded")
        a = self.zeros(self.value_capacity)
        a[self.m] = self.one
        self.value_names.append(name)
        return Form(a=a, c=self.zero)


class Triple(NamedTuple):
    """A recorded oracle answer: point, gradient (coefficients) and value (a Form), and names."""

    x: np.ndarray
    g: np.ndarray
    f: Form
    name: str


@dataclass(frozen=True)
class InterpolationClass:
    """A function class for the PEP: its pairwise conditions (and per-point ones).

    ``exact_class``: the conditions are sufficient as well as necessary (interpolation)."""

    name: str
    L: Any
    mu: Any = 0
    rho: Any = None

    @property
    def exact_class(self) -> bool:
        return self.rho is None

    def describe(self) -> str:
        s = f"{self.name} (L = {self.L}" + (f", μ = {self.mu}" if self.mu else "") + \
            (f", ρ = {self.rho}" if self.rho is not None else "") + ")"
        return s + ("" if self.exact_class else " — necessary conditions only: an upper bound")

    def terms(self, xi: Any, gi: Any, xj: Any, gj: Any) -> list[tuple[Any, Any, Any]]:
        """The Gram part of the condition q_ij ≥ 0 for the ordered pair (i, j), as
        [(coefficient, u, v)] meaning Σ coefficient·⟨u, v⟩ (arrays with any leading axes).
        The value part is always f_i − f_j."""
        L, mu = self.L, self.mu
        dx, dg = xi - xj, gi - gj
        if not mu:
            return [(-1, gj, dx), (-1 / (2 * L), dg, dg)]
        k = 1 / (2 * (1 - mu / L))
        return [(-1, gj, dx), (-k / L, dg, dg), (-k * mu, dx, dx), (2 * k * mu / L, dg, dx)]

    def point_terms(self, g: Any) -> list[tuple[Any, Any, Any]] | None:
        """Per-point condition ρ² − ‖g‖² ≥ 0 (Lipschitz), Gram part; None without one."""
        if self.rho is None:
            return None
        return [(-1, g, g)]


def SmoothConvex(L: Any, rho: Any = None) -> InterpolationClass:
    """L-smooth convex functions (ρ-Lipschitz too if ``rho``: necessary conditions only)."""
    return InterpolationClass("smooth convex" if rho is None else "Lipschitz smooth convex", L, 0, rho)


def SmoothStronglyConvex(mu: Any, L: Any) -> InterpolationClass:
    """L-smooth μ-strongly convex functions (0 < μ < L)."""
    return InterpolationClass("smooth strongly convex", L, mu)


def interpolation_class(key: str, *, L: Any, mu: Any = 0, rho: Any = None) -> InterpolationClass:
    """The class of a statement-language FunctionClass's ``pep`` key."""
    if key == "smooth-convex":
        return SmoothConvex(L)
    if key == "smooth-strongly-convex":
        return SmoothStronglyConvex(mu, L)
    if key == "lipschitz-smooth-convex":
        return SmoothConvex(L, rho)
    raise ValueError(f"no interpolation conditions for the class key {key!r}")


class PepFunction:
    """An unknown function of ``cls``: a symbolic first-order oracle over ``space``."""

    def __init__(self, space: Space, cls: InterpolationClass, name: str = "f") -> None:
        self.space, self.cls, self.name = space, cls, name
        self.triples: list[Triple] = []

    def _find(self, x: np.ndarray) -> Triple | None:
        for t in self.triples:
            if t.x is x:
                return t
        if self.space.arith != "ball":  # balls cannot decide equality: identity only
            for t in self.triples:
                if np.array_equal(t.x, x):
                    return t
        return None

    def _record(self, x: np.ndarray, stationary: bool = False, label: str | None = None) -> Triple:
        t = self._find(x)
        if t is not None:
            if stationary and any(v != 0 for v in t.g):
                raise ValueError(f"{self.name}: the point was already queried with a gradient")
            return t
        k = len(self.triples)
        label = label or f"{self.name}{k}"
        g = self.space.zeros() if stationary else self.space.new_vector(f"∇{label}")
        t = Triple(x, g, self.space.new_value(label), label)
        self.triples.append(t)
        return t

    # the oracle the algorithms call ---------------------------------------------------------
    def grad(self, x: Any) -> Any:
        return self._record(_coeffs(x)).g

    def __call__(self, x: Any) -> Any:
        return self.grad(x)

    def value(self, x: Any) -> Form:
        return self._record(_coeffs(x)).f

    def stationary_point(self, x: Any, label: str = "*") -> Form:
        """Declare x a stationary point (∇f(x) = 0: a minimiser of a convex f); its value."""
        return self._record(_coeffs(x), stationary=True, label=label).f

    # its constraints ----------------------------------------------------------------------------
    def pairs(self) -> list[tuple[int, int]]:
        n = len(self.triples)
        return [(i, j) for i in range(n) for j in range(n) if i != j]

    def condition(self, i: int, j: int) -> Form:
        """q_ij as a Form (in the space's arithmetic): q_ij ≥ 0 for every function of the class."""
        ti, tj = self.triples[i], self.triples[j]
        q = ti.f - tj.f
        for coef, u, v in self.cls.terms(ti.x, ti.g, tj.x, tj.g):
            q = q + Vec(u).dot(Vec(v)) * coef  # the class's constants are in the space's arithmetic
        return q

    def point_condition(self, i: int) -> Form | None:
        pt = self.cls.point_terms(self.triples[i].g)
        if pt is None:
            return None
        q = Form(c=self.cls.rho ** 2)
        for coef, u, v in pt:
            q = q + Vec(u).dot(Vec(v)) * coef
        return q


class Combination:
    """w ↦ Σ_k c_k ∇f_k(w): the oracle of a weighted sum of PEP functions (e.g. a batch mean
    f̄ = h + f_1/B of a common part and one replaced example)."""

    def __init__(self, parts: list[tuple[Any, PepFunction]]) -> None:
        self.parts = parts

    def grad(self, x: Any) -> Any:
        out = None
        for c, fn in self.parts:
            g = fn.grad(x) * c
            out = g if out is None else out + g
        return out

    def __call__(self, x: Any) -> Any:
        return self.grad(x)

    def value(self, x: Any) -> Form:
        out = None
        for c, fn in self.parts:
            v = fn.value(x) * c
            out = v if out is None else out + v
        return out


def _coeffs(x: Any) -> np.ndarray:
    if isinstance(x, Vec):
        return x.c
    if isinstance(x, np.ndarray) and x.ndim == 1:
        return x
    raise ValueError(f"a PEP oracle takes a coefficient vector, got {type(x).__name__} of shape {np.shape(x)}")


GradFn = Callable[[Any], Any]
