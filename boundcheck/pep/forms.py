"""Symbolic points and quadratic forms of a performance-estimation problem (PEP).

A PEP replaces the function by its values and gradients at the points an algorithm visits.
Every vector the algorithm builds is a linear combination of *basis vectors* (the starting
point, the free state vectors such as a pivot or a momentum, and one gradient per oracle
call), so a point is its **coefficient vector** over that basis, and every scalar the
statement speaks of is a :class:`Form`: a quadratic form in the Gram matrix G of the basis,
plus a linear form in the function values F, plus a constant.

The algorithms of :mod:`boundcheck.core.algorithms` run unchanged on coefficient vectors
(their updates are linear in the points; only the gradient oracle is symbolic), in float64
for the solver, in exact rationals (``flint.fmpq``) for gradient descent and prox-GD
certificates, and in rigorous ball arithmetic (``flint.arb``) where the coefficients are
irrational (AGD's λ-sequence).

``Vec`` and ``Form`` are what a statement's :class:`~boundcheck.lang.terms.Term` evaluates
to symbolically: ``norm(v)`` becomes a :class:`Norm` whose square is a Form; anything that
is not quadratic-affine in (G, F) (an odd power of a norm, |·|, a product of two
non-constant forms) is refused with a clear message.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["Vec", "Form", "Norm", "NotAPepQuantity", "is_number", "to_exact", "zero_like"]


class NotAPepQuantity(ValueError):
    """A statement's quantity that is not quadratic in the points (no PEP for it)."""


def is_number(x: Any) -> bool:
    return not isinstance(x, (Vec, Form, Norm))


def to_exact(x: Any) -> Any:
    """A rational number as ``flint.fmpq`` (ints, Fractions, sympy Rationals, fmpq)."""
    from flint import fmpq
    if isinstance(x, fmpq):
        return x
    if isinstance(x, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(x, int):
        return fmpq(x)
    if isinstance(x, Fraction):
        return fmpq(x.numerator, x.denominator)
    if hasattr(x, "p") and hasattr(x, "q"):  # sympy Rational
        return fmpq(int(x.p), int(x.q))
    if isinstance(x, float):
        f = Fraction(x)
        return fmpq(f.numerator, f.denominator)
    raise ValueError(f"not an exact rational: {x!r}")


def zero_like(x: Any) -> Any:
    return 0 * x


class Vec:
    """A point or direction: its coefficients over the PEP's basis (array, float or object)."""

    __slots__ = ("c",)

    def __init__(self, c: np.ndarray) -> None:
        self.c = c

    def __add__(self, o: Any) -> "Vec":
        if not isinstance(o, Vec):
            raise NotAPepQuantity(f"cannot add a vector and {type(o).__name__}")
        return Vec(self.c + o.c)

    def __sub__(self, o: Any) -> "Vec":
        if not isinstance(o, Vec):
            raise NotAPepQuantity(f"cannot subtract {type(o).__name__} from a vector")
        return Vec(self.c - o.c)

    def __neg__(self) -> "Vec":
        return Vec(-self.c)

    def __mul__(self, s: Any) -> "Vec":
        if not is_number(s):
            raise NotAPepQuantity("a vector times a non-constant: not linear in the points")
        return Vec(self.c * s)

    __rmul__ = __mul__

    def __truediv__(self, s: Any) -> "Vec":
        if not is_number(s):
            raise NotAPepQuantity("a vector divided by a non-constant")
        return Vec(self.c / s)

    def dot(self, o: "Vec") -> "Form":
        """⟨self, o⟩ as a quadratic form in the Gram matrix."""
        if not isinstance(o, Vec):
            raise NotAPepQuantity("⟨·,·⟩ needs two vectors")
        Q = (np.multiply.outer(self.c, o.c) + np.multiply.outer(o.c, self.c)) / 2
        return Form(Q=Q)

    def norm(self) -> "Norm":
        return Norm(self)

    def __abs__(self) -> Any:
        raise NotAPepQuantity("|·| of a vector: use norm(·)")


class Norm:
    """‖v‖ (or √q of a quadratic form q ≥ 0): only its square is a PEP quantity."""

    __slots__ = ("v",)

    def __init__(self, v: "Vec | Form") -> None:
        self.v = v

    def __pow__(self, p: Any) -> Any:
        if p == 2:
            return self.v if isinstance(self.v, Form) else self.v.dot(self.v)
        if p == 4:
            raise NotAPepQuantity("‖·‖⁴ is not quadratic in the points")
        raise NotAPepQuantity(f"‖·‖^{p}: a PEP handles squared norms only (write the bound in ‖·‖²)")

    def _refuse(self, *_: Any) -> Any:
        raise NotAPepQuantity("a norm that is not squared: a PEP handles squared norms only "
                              "(write the bound in ‖·‖², e.g. d_init**2)")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _refuse
    __neg__ = __abs__ = _refuse


class Form:
    """q(G, F) = ⟨Q, G⟩ + a·F + c: a quadratic form in the Gram matrix, affine in the values.

    ``Q`` (d × d, symmetric) and ``a`` (length m) are arrays or ``None`` (zero); ``c`` a number.
    Dimensions are the PEP's capacities; :class:`~boundcheck.pep.problem.Problem` trims them.
    """

    __slots__ = ("Q", "a", "c")

    def __init__(self, Q: np.ndarray | None = None, a: np.ndarray | None = None, c: Any = 0) -> None:
        self.Q, self.a, self.c = Q, a, c

    @property
    def constant(self) -> bool:
        return self.Q is None and self.a is None

    @staticmethod
    def _add(x: Any, y: Any, sign: int) -> Any:
        if x is None:
            return None if y is None else (y if sign > 0 else -y)
        if y is None:
            return x
        return x + y if sign > 0 else x - y

    def _combine(self, o: Any, sign: int) -> "Form":
        if isinstance(o, (Vec, Norm)):
            raise NotAPepQuantity(f"cannot combine a scalar and {type(o).__name__}")
        if not isinstance(o, Form):
            return Form(self.Q, self.a, self.c + o if sign > 0 else self.c - o)
        return Form(self._add(self.Q, o.Q, sign), self._add(self.a, o.a, sign), self.c + o.c if sign > 0 else self.c - o.c)

    def __add__(self, o: Any) -> "Form":
        return self._combine(o, 1)

    __radd__ = __add__

    def __sub__(self, o: Any) -> "Form":
        return self._combine(o, -1)

    def __rsub__(self, o: Any) -> "Form":
        return (-self)._combine(o, 1)

    def __neg__(self) -> "Form":
        return self.scale(-1)

    def scale(self, s: Any) -> "Form":
        return Form(None if self.Q is None else self.Q * s, None if self.a is None else self.a * s, self.c * s)

    def __mul__(self, o: Any) -> "Form":
        if isinstance(o, Form):
            if o.constant:
                return self.scale(o.c)
            if self.constant:
                return o.scale(self.c)
            raise NotAPepQuantity("a product of two non-constant scalars is not quadratic-affine in (G, F)")
        if not is_number(o):
            raise NotAPepQuantity(f"a scalar times {type(o).__name__}")
        return self.scale(o)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> "Form":
        if isinstance(o, Form):
            if not o.constant:
                raise NotAPepQuantity("division by a non-constant scalar")
            o = o.c
        if not is_number(o):
            raise NotAPepQuantity("division by a non-number")
        return self.scale(1 / o)

    def __rtruediv__(self, o: Any) -> "Form":
        if self.constant:
            return Form(c=o / self.c)
        raise NotAPepQuantity("division by a non-constant scalar")

    def __pow__(self, p: Any) -> "Form":
        if self.constant:
            return Form(c=self.c ** p)
        if p == 1:
            return self
        if p == 0.5 and self.a is None and self.c == 0:  # √(‖·‖²): only its square may be used
            return Norm(self)
        raise NotAPepQuantity("a power of a non-constant scalar is not quadratic-affine in (G, F)")

    def __abs__(self) -> Any:
        raise NotAPepQuantity("|·| of a quantity: a PEP bounds a signed quantity (drop the absolute value)")
