"""Function classes: the hypotheses on f(·, ξ) a statement assumes, as objects.

A :class:`FunctionClass` carries its hypotheses (printed and as names the engine counts),
the parametric loss families that realise it (each with certified constants β, ρ over a
ball and an instance sampler, :mod:`boundcheck.core.losses`), the per-family exact checks
of its hypotheses (a quadratic's Hessian A = LLᵀ is PSD by construction; a file that gives
A directly is checked exactly), and the key of its interpolation conditions for the exact
worst-case engine (``pep``: smooth convex, smooth strongly convex, Lipschitz smooth convex).

Classes compose: ``SMOOTH_CONVEX & QUADRATIC`` is the intersection (families in both,
hypotheses of both); ``cls.restrict(families)`` narrows the families a search draws from.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from boundcheck.core.losses import FAMILIES

__all__ = ["FunctionClass", "SMOOTH_CONVEX", "CONVEX_QUADRATIC", "LINEAR", "LIPSCHITZ_SMOOTH_CONVEX",
           "SMOOTH_STRONGLY_CONVEX", "REALISABLE_SMOOTH_CONVEX", "FAMILY_GROUPS_OF_CLASSES"]


@dataclass(frozen=True)
class FunctionClass:
    """A class of per-example losses f(·, ξ).

    Attributes:
        name: e.g. "smooth convex".
        hypotheses: the printed hypotheses ("f(·, ξ) convex", "β-smooth", …).
        families: loss families that realise the class (names in ``boundcheck.core.losses.FAMILIES``).
        pep: key of the class's interpolation conditions in the exact worst-case engine
            ("smooth-convex", "smooth-strongly-convex", "lipschitz-smooth-convex"); interpolation is
            exact for the first two and only necessary for the Lipschitz class (an upper bound).
        strongly_convex: the class adds (μ/2)‖w − w*‖² (parameter ``mu``) to every loss.
    """

    name: str
    hypotheses: tuple[str, ...]
    families: tuple[str, ...]
    pep: str = "smooth-convex"
    strongly_convex: bool = False

    def __post_init__(self) -> None:
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown:
            raise ValueError(f"function class {self.name!r}: unknown loss families {unknown}")
        if not self.families:
            raise ValueError(f"function class {self.name!r} has no loss family")

    def restrict(self, families: Sequence[str], name: str | None = None) -> "FunctionClass":
        """The same class drawn from fewer families (e.g. those with a closed-form Definition 1 sup)."""
        fams = tuple(f for f in self.families if f in families)
        if not fams:
            raise ValueError(f"no family of {list(families)} belongs to the class {self.name!r} "
                             f"(its families: {list(self.families)})")
        return replace(self, families=fams, name=name or self.name)

    def __and__(self, other: "FunctionClass") -> "FunctionClass":
        fams = tuple(f for f in self.families if f in other.families)
        hyps = tuple(dict.fromkeys(self.hypotheses + other.hypotheses))
        pep = self.pep if self.pep == other.pep else ("lipschitz-smooth-convex" if "lipschitz" in (self.pep + other.pep)
                                                      else self.pep)
        return FunctionClass(f"{self.name} ∩ {other.name}", hyps, fams, pep,
                             self.strongly_convex or other.strongly_convex)

    def admits(self, family: str) -> bool:
        return family in self.families

    def describe(self) -> str:
        return f"{self.name}: " + "; ".join(self.hypotheses) + f" (families: {', '.join(self.families)})"


_CONVEX = ("linear", "least-squares", "quadratic", "logistic", "huber", "softplus", "squared-hinge", "pwq-ridge")

#: f(·, ξ) convex and β-smooth (Section 2.1's standing assumptions); ρ-Lipschitz over W where used
SMOOTH_CONVEX = FunctionClass("smooth convex", ("f(·, ξ) convex", "f(·, ξ) β-smooth"), _CONVEX)
#: f(·, ξ) a convex quadratic of w (Lemma 12, Theorem 13); a linear loss has zero Hessian
CONVEX_QUADRATIC = FunctionClass("convex quadratic", ("f(·, ξ) a convex quadratic of w", "f(·, ξ) β-smooth"),
                                 ("linear", "least-squares", "quadratic"))
LINEAR = FunctionClass("linear", ("f(·, ξ) linear",), ("linear",))
#: β-smooth convex with a ρ that does not depend on the domain (globally Lipschitz families)
LIPSCHITZ_SMOOTH_CONVEX = FunctionClass(
    "Lipschitz smooth convex", ("f(·, ξ) convex", "f(·, ξ) β-smooth", "f(·, ξ) ρ-Lipschitz"),
    ("linear", "logistic", "huber", "softplus", "pwq-ridge"), pep="lipschitz-smooth-convex")
#: f̄ = g + (μ/2)‖w − w*‖² with g convex and β-smooth, minimised at w* (so f̄ is μ-strongly convex,
#: (β + μ)-smooth, with the unique minimiser w*): the families whose minimiser can be placed at w*
SMOOTH_STRONGLY_CONVEX = FunctionClass(
    "smooth strongly convex", ("f̄ μ-strongly convex", "f̄ (β + μ)-smooth", "f̄ minimised at w*"),
    ("least-squares", "quadratic", "huber", "squared-hinge"), pep="smooth-strongly-convex", strongly_convex=True)
#: convex β-smooth families whose minimiser can be placed at a chosen w* (Drori–Teboulle, Nesterov)
REALISABLE_SMOOTH_CONVEX = FunctionClass(
    "smooth convex with a minimiser", ("f(·, ξ) convex", "f(·, ξ) β-smooth", "f̄ has a minimiser"),
    ("least-squares", "quadratic", "huber", "squared-hinge"))

#: named groups of families a user can pass as ``--family`` (e.g. the conjecture probe of Section 6)
FAMILY_GROUPS_OF_CLASSES = {"quadratics": CONVEX_QUADRATIC.families,
                            "smooth-convex": ("huber", "softplus", "squared-hinge", "logistic", "pwq-ridge"),
                            "all": _CONVEX}
