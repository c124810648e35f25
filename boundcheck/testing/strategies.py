"""Hypothesis strategies for your own property tests (``pip install boundcheck[testing]``).

They compose, and they shrink: structures towards small K, B and n, numbers towards 0 and 1.

* ``families(cls)`` — a loss family of a function class;
* ``examples(family, B, n)`` — a batch of B examples (raw fields, e.g. a quadratic's factor L)
  with its certified constants;
* ``neighbouring_batches(family, B, n)`` — (ξ, ξ'): ξ' replaces example 0;
* ``step_sizes(beta, limit=1)`` — η ∈ (0, limit/β];
* ``instances(statement)`` — (structure, raw parameters) of a declared statement, inside its
  declared hypotheses (every raw coordinate in its raw domain), ready for ``statement.evaluate``.

    import boundcheck as bc
    from hypothesis import given
    from boundcheck.testing.strategies import instances

    st = bc.get_statement("lemma6")

    @given(instances(st))
    def test_lemma6_holds(inst):
        structure, raw = inst
        e = st.evaluate(structure, raw)
        assert e.lhs[0] <= e.rhs[0] * (1 + 1e-9) + 1e-12
"""
from __future__ import annotations

from typing import Any

import numpy as np

try:
    from hypothesis import strategies as hst
    from hypothesis.extra import numpy as hnp
except ImportError as exc:  # pragma: no cover
    raise ImportError("boundcheck.testing.strategies needs hypothesis: pip install boundcheck[testing]") from exc

from boundcheck.core.losses import decode_raw, field_axes, per_example_constants, raw_fields
from boundcheck.lang.domains import Integers
from boundcheck.lang.settings import raw_name

__all__ = ["families", "examples", "neighbouring_batches", "step_sizes", "instances", "floats"]


def floats(lo: float = -4.0, hi: float = 4.0) -> Any:
    """Finite floats in [lo, hi] (they shrink towards 0)."""
    return hst.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False, width=64)


def families(cls: Any = None) -> Any:
    """A loss family of ``cls`` (default: every smooth convex family)."""
    from boundcheck.lang.classes import SMOOTH_CONVEX
    return hst.sampled_from(list((cls or SMOOTH_CONVEX).families))


def _field(family: str, name: str, lead: tuple[int, ...], n: int, K: int = 1) -> Any:
    dims = tuple(n if a == "n" else K for a in field_axes(name))
    if family == "logistic" and name == "y":
        return hnp.arrays(float, lead + dims, elements=hst.sampled_from([-1.0, 1.0]))
    if family == "pwq-ridge" and name in ("h", "kappa"):
        return hnp.arrays(float, lead + dims, elements=hst.floats(0.0, 1.0, allow_nan=False))
    return hnp.arrays(float, lead + dims, elements=floats())


@hst.composite
def examples(draw: Any, family: str, B: int, n: int, K: int = 1, lead: tuple[int, ...] = (1,)) -> dict:
    """Raw examples of ``family`` with leading axes ``lead + (B,)``, and "beta", "rho" (certified,
    over the unit ball) as extra keys."""
    ex = {f: draw(_field(family, f, lead + (B,), n, K)) for f in raw_fields(family)}
    b, r = per_example_constants(family, decode_raw(family, ex), np.ones(lead))
    return {**ex, "beta": b.max(axis=-1), "rho": r.max(axis=-1)}


@hst.composite
def neighbouring_batches(draw: Any, family: str, B: int, n: int) -> tuple[dict, dict]:
    """(ξ, ξ'): two batches of B raw examples that differ in example 0 only."""
    ex = {f: draw(_field(family, f, (1, B), n)) for f in raw_fields(family)}
    rep = {f: draw(_field(family, f, (1, 1), n)) for f in raw_fields(family)}
    ex2 = {f: np.concatenate([rep[f], ex[f][:, 1:]], axis=1) for f in ex}
    return ex, ex2


def step_sizes(beta: float, limit: float = 1.0) -> Any:
    """η ∈ (0, limit/β] (the hypothesis of Lemmas 5, 6, 11 with limit 1; HRS with limit 2)."""
    return hst.floats(min_value=1e-6, max_value=1.0).map(lambda u: u * limit / beta)


def _int(d: Any, cap: int) -> Any:
    return hst.integers(min_value=d.lo, max_value=min(d.hi, cap)) if isinstance(d, Integers) else hst.sampled_from(
        list(d.options))


def instances(st: Any, max_n: int = 4, max_K: int = 8, max_B: int = 4) -> Any:
    """(structure, raw parameters) of ``st``: one instance inside its declared domains.  Degenerate
    instances the declaration cannot evaluate (e.g. w* = w_0 makes a defined step size 0) are
    filtered out."""
    return _instances(st, max_n, max_K, max_B).filter(lambda inst: _evaluable(st, inst))


def _evaluable(st: Any, inst: tuple[dict, dict]) -> bool:
    try:
        with np.errstate(all="ignore"):
            st.evaluate(*inst)
        return True
    except (ValueError, ArithmeticError, FloatingPointError, np.linalg.LinAlgError):
        return False


@hst.composite
def _instances(draw: Any, st: Any, max_n: int, max_K: int, max_B: int) -> tuple[dict, dict]:
    doms = st.structure_domains()
    s = {"family": draw(hst.sampled_from(list(doms["family"].options))),
         "method": draw(hst.sampled_from(list(doms["method"].options)))}
    for k, cap in (("n", max_n), ("K", max_K), ("B", max_B), ("T", 2)):
        if k in doms:
            s[k] = draw(_int(doms[k], cap))  # small caps: every enumeration ((B+1)^T, B^T) stays small
    layout = st.layout(s)
    raw = {}
    for k, axes in layout.items():
        shape = (1,) + tuple(a if isinstance(a, int) else int(s[a]) for a in axes)
        fam_field = k.split(".", 1)[1] if "." in k and k.split(".", 1)[0] in ("ex", "rep", "sup") else None
        if fam_field is not None:
            raw[k] = draw(_field(s["family"], fam_field, shape[:-len(field_axes(fam_field))] if field_axes(fam_field)
                                 else shape, s["n"], s.get("K", 1)))
        elif k == "p0":
            raw[k] = draw(hnp.arrays(float, shape, elements=hst.floats(0.0, 1.0)))
        elif k == "rW":
            raw[k] = draw(hnp.arrays(float, shape, elements=hst.floats(1.0, 8.0)))
        else:
            raw[k] = draw(hnp.arrays(float, shape, elements=floats()))
    for sym, d in st.param_domains(s["method"]):
        if d.raw:
            k = raw_name(sym.name)
            if d.bounded:
                raw[k] = np.array([draw(hst.floats(1e-6, 1.0))])
            else:
                lo = d._raw_lo
                raw[k] = np.array([draw(hst.floats(lo if not d.left_open else lo + 1e-6, lo + 100.0))])
    return s, raw
