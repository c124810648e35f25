"""Errata one error at a time: named corrections and readings of a printed statement.

A refuted printed statement declares its candidate corrections as **named single changes**
(the output average, the step size, the prox parameter, a constant, a hypothesis's range, the
order of potentials, …) and the places where the text admits more than one **reading** (ε at
the reached state or uniform over starting points, …).  Each is a set of field changes of the
declaration; applying several merges them (parameter domains by name, every other field
replaced).  ``variant`` builds the statement a set of corrections and a reading describe; the
engine's diagnosis checks every set (the sets are small) and reports the minimal sets that
make the statement hold, each insufficient set with a counterexample of its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["Correction", "Reading", "variant", "subsets"]


@dataclass(frozen=True)
class Correction:
    """One named change to a printed statement (``changes``: declaration fields → new values;
    ``params`` entries replace the domains of those parameters only)."""

    name: str
    text: str
    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """One reading of an ambiguous text; ``changes`` as for a correction (empty: the reading the
    declaration encodes).  ``note`` says why a reading needs no search of its own, if it does not."""

    name: str
    text: str
    changes: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


def _merge(st: Any, changes: Iterable[Mapping[str, Any]]) -> dict:
    """One set of field changes from several: ``params`` merged by name, ``bound_subs`` (sympy
    substitutions, simultaneous within one correction) applied in turn to the bound (and the
    explicit bound), every other field replaced (two corrections may not replace the same one)."""
    out: dict[str, Any] = {}
    params = dict(st.params)
    touched = False
    bound, explicit = st.bound, st.explicit
    for ch in changes:
        for k, v in ch.items():
            if k == "params":
                params.update(v)
                touched = True
            elif k == "bound_subs":
                bound = bound.xreplace(dict(v)) if bound is not None else None
                explicit = explicit.xreplace(dict(v)) if explicit is not None else None
                out["bound"], out["explicit"] = bound, explicit
            else:
                if k in out and out[k] is not v:
                    raise ValueError(f"{st.id}: two corrections change {k!r}; declare them as one")
                out[k] = v
    if touched:
        out["params"] = params
    return out


def variant(st: Any, names: Sequence[str] = (), reading: str | None = None) -> Any:
    """The statement with the named corrections applied, under ``reading`` (None: as declared).

    Its id records what was applied: ``theorem7+average+step_size``, ``theorem4[uniform ε]``."""
    by = {c.name: c for c in st.corrections}
    unknown = [n for n in names if n not in by]
    if unknown:
        raise ValueError(f"{st.id} declares no correction {unknown}; its corrections: {sorted(by)}")
    chs = [by[n].changes for n in sorted(names, key=list(by).index)]
    rid = ""
    if reading is not None:
        rd = {r.name: r for r in st.alternative_readings}
        if reading not in rd:
            raise ValueError(f"{st.id} declares no reading {reading!r}; its readings: {sorted(rd)}")
        chs.insert(0, rd[reading].changes)
        rid = f"[{reading}]"
    suffix = "".join(f"+{n}" for n in sorted(names, key=list(by).index))
    if not names and reading is None:
        return st
    kw = _merge(st, chs)
    kw.update(id=f"{st.id}{rid}{suffix}", corrected_by=None, corrects=None, correction=None, corrections=(),
              alternative_readings=())
    return st.copy(**kw)


def subsets(names: Sequence[str]) -> list[tuple[str, ...]]:
    """Every subset of the corrections, smallest first (the empty set is the statement as printed)."""
    return [c for k in range(len(names) + 1) for c in combinations(names, k)]
