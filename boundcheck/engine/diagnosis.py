"""Diagnosis of a refuted statement: which of its named corrections make it hold.

For a printed statement that is refuted, every set of its declared corrections (the sets are
small: at most 2³ here) is checked by the one search engine, under every declared reading of
the text.  The **minimal sets** are the sets that make the statement hold (verified) none of
whose proper subsets does; every insufficient set gets a counterexample of its own, saved and
replayable (its statement id records the corrections applied, ``theorem7+average``).  A
reading that needs no search of its own says why (``Reading.note``).  A counterexample found
under one reading is re-checked under the others: the report prefers one that holds under
every reading, and says when none does.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from boundcheck.engine.recheck import recheck
from boundcheck.engine.replay import save_counterexample
from boundcheck.engine.search import search
from boundcheck.lang.corrections import subsets, variant

log = logging.getLogger("boundcheck")

__all__ = ["diagnose", "needs_line", "readings_line"]


def _status(r: Any) -> str:
    if r.found:
        return "refuted"
    if r.unchecked or r.trials < 200:
        return "unresolved"
    return "verified"


def diagnose(st: Any, *, trials: int | None = None, seed: int = 0, out_dir: str | Path | None = None,
             printed_record: Any = None, corrected_record: Any = None,
             progress: Callable[[str], None] | None = None) -> dict:
    """The diagnosis object of ``st`` (see the module docstring); ``printed_record`` (the verify
    record of ``st`` as printed) and ``corrected_record`` (of its corrected statement, when
    applying every correction gives it) are reused instead of searched again."""
    names = [c.name for c in st.corrections]
    readings = [None] + [r.name for r in st.alternative_readings if r.changes]
    out_dir = Path(out_dir) if out_dir is not None else None
    rows = []
    found: dict[Any, tuple] = {}
    for sub in subsets(names):
        for rd in readings:
            v = variant(st, sub, rd)
            reuse = None
            if not sub and rd is None and printed_record is not None:
                reuse = printed_record
            elif corrected_record is not None and rd is None and set(sub) == set(names) and _same_claim(v, corrected_record):
                reuse = corrected_record
            if progress:
                progress(f"{v.id}")
            if reuse is not None:
                row = {"apply": list(sub), "reading": rd, "id": v.id, "status": reuse.status,
                       "counterexample": reuse.counterexample, "worst_ratio": reuse.worst_ratio, "trials": reuse.trials,
                       "same_as": reuse.id}
            else:
                r = search(v, trials=trials, seed=seed)  # each insufficient set usually falls within a few rounds
                path = None
                if r.found and out_dir is not None:
                    ce = r.counterexample
                    path = str(out_dir / f"{_slug(v.id)}.json")
                    save_counterexample(path, v, 1.0, ce["structure"], ce["params"], ce["check"], seed=seed)
                    found[(sub, rd)] = (v, ce)
                worst = r.counterexample["check"]["ratio"] if r.found else (r.best_ratio if r.trials else None)
                row = {"apply": list(sub), "reading": rd, "id": v.id, "status": _status(r), "counterexample": path,
                       "worst_ratio": worst, "trials": r.trials}
            rows.append(row)
    minimal = _minimal([tuple(r["apply"]) for r in rows if r["reading"] is None and r["status"] == "verified"])
    out = {"corrections": {c.name: c.text for c in st.corrections},
           "readings": {r.name: {"text": r.text, "note": r.note} for r in st.alternative_readings},
           "minimal": [list(m) for m in minimal], "subsets": rows}
    if len(readings) > 1 or st.alternative_readings:
        out["under_readings"] = _across_readings(st, rows, found, readings)
    return out


def _slug(sid: str) -> str:
    """A file name for a variant id (letters, digits and _+.- only)."""
    import re
    return re.sub(r"[^A-Za-z0-9_+.-]+", "_", sid).strip("_")


def readings_line(st: Any, diag: dict) -> str | None:
    """One line: under which readings the printed statement is refuted, and by what."""
    ur = diag.get("under_readings")
    if not ur:
        return None
    parts = ", ".join(f"{k}: {v}" for k, v in ur["status"].items())
    every = ur.get("counterexample_under_every_reading")
    tail = (f"; {every['counterexample']} holds under every reading" if every
            else f"; {ur.get('note') or 'different instances per reading'}")
    return f"{st.id} under its readings — {parts}{tail}"


def _same_claim(v: Any, rec: Any) -> bool:
    from boundcheck.paper import get_statement
    try:
        c = get_statement(rec.id)
    except ValueError:
        return False
    import sympy as sp
    return (repr(v.setting) == repr(c.setting) and sp.simplify(v.bound_expr() - c.bound_expr()) == 0
            and {s.name: str(d) for s, d in v.params.items()} == {s.name: str(d) for s, d in c.params.items()}
            and v.cls == c.cls and v.methods == c.methods)


def _minimal(verified: list[tuple]) -> list[tuple]:
    sets = [set(s) for s in verified]
    return [tuple(s) for s, ss in zip(verified, sets) if not any(o < ss for o in sets)]


def _across_readings(st: Any, rows: list[dict], found: dict, readings: list) -> dict:
    """For the statement as printed: its status under each reading, and which counterexample
    holds under every reading (re-checked under each)."""
    printed = {r["reading"]: r for r in rows if not r["apply"]}
    declared = next((r.name for r in st.alternative_readings if not r.changes), "as declared")
    status = {(declared if rd is None else rd): printed[rd]["status"] for rd in readings}
    for r in st.alternative_readings:
        if not r.changes:
            status.setdefault(r.name, printed[None]["status"])
    every = None
    if len(readings) == 1 and printed[None]["status"] == "refuted":
        # every other reading needs no search of its own (its note says why): the same evidence
        every = {"reading": declared, "counterexample": printed[None]["counterexample"]}
    for rd in reversed(readings):  # the most specific reading first (its instances fit the others)
        hit = found.get(((), rd))
        if hit is None:
            continue
        _, ce = hit
        ok = True
        for other in readings:
            if other == rd:
                continue
            w = variant(st, (), other)
            try:
                ok &= recheck(w, ce["structure"], ce["params"], 1.0)["is_counterexample"]
            except (ValueError, ArithmeticError):
                ok = False
        if ok:
            every = {"reading": rd, "counterexample": printed[rd]["counterexample"]}
            break
    if every is None and printed[None]["status"] == "refuted" and all(printed[rd]["status"] == "refuted"
                                                                     for rd in readings):
        every = None  # refuted under each reading, but by different instances
    return {"status": status, "counterexample_under_every_reading": every,
            "note": None if every else "no counterexample found that holds under every reading"}


def needs_line(st: Any, diag: dict) -> str:
    """One line: what must change ('theorem7: needs both *average …* and *η = …*')."""
    texts = diag["corrections"]
    mins = diag["minimal"]
    if not mins:
        return f"{st.id}: no set of its declared corrections was verified"
    if mins == [[]]:
        return f"{st.id}: holds as printed within this search"
    alts = []
    for m in mins:
        parts = [f"*{texts[n]}*" for n in m]
        alts.append(parts[0] if len(parts) == 1 else ("both " if len(parts) == 2 else "all of ") + ", ".join(parts[:-1])
                    + " and " + parts[-1])
    return f"{st.id}: needs " + " — or — ".join(alts)
