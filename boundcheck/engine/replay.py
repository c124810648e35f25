"""Counterexample files: written atomically, replayed without executing anything from them.

A file is a ``boundcheck/counterexample`` record of the one schema family
(:mod:`boundcheck.outputs.files`) with every number needed to replay the instance: the
statement id and its declaration's fingerprint, the scale, the structure (small integers and
names) and the raw parameters (nested lists of floats, which JSON round-trips exactly).
``replay`` treats the file as hostile input: the one loader (no pickle, no eval, no sympify),
then validation against the *declaration* — the structure against its schema, every
parameter's shape against the layout the structure implies — before any arithmetic; then the
one re-check (:func:`~boundcheck.engine.recheck.recheck`), which also enforces every declared
hypothesis.  So a file that ``search`` wrote replays, and ``verify``, ``search`` and
``replay`` never disagree about an instance.

Big-O family files (``boundcheck/family``) replay by recomputing the family from the
statement's declaration and comparing the ratios; growth tables (``boundcheck/growth``) by
re-running their instances in high precision; exact PEP witnesses (``boundcheck/witness``) by
rebuilding the PEP from the declaration and checking it exactly (:mod:`boundcheck.pep.witness`).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from boundcheck.engine.growth import replay_growth
from boundcheck.engine.instances import check_instance, statement_of
from boundcheck.engine.recheck import recheck
from boundcheck.outputs import files
from boundcheck.outputs.files import MalformedFile
from boundcheck.outputs.schema import MAX_ELEMENTS

__all__ = ["save_counterexample", "load_counterexample", "replay", "MalformedFile", "MAX_BYTES", "MAX_ELEMENTS",
           "check_instance"]

MAX_BYTES = files.MAX_BYTES


def save_counterexample(path: str | Path, st: Any, scale: float, structure: dict, params: dict, check: dict, *,
                        seed: int | None = None, note: str = "", command: str | None = None) -> Path:
    """Write a re-checked counterexample (the floats as the re-check used them)."""
    payload = {"statement": st.id, "fingerprint": st.fingerprint(), "scale": float(scale), "structure": dict(structure),
               "params": {k: np.asarray(v, dtype=float).tolist() for k, v in params.items()},
               "high_precision_check": check, "note": note}
    return files.write(path, "counterexample", payload, seed=seed, command=command)


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def load_counterexample(path: str | Path) -> dict:
    """Read and validate a counterexample file (MalformedFile on anything unexpected)."""
    try:
        return files.load(path, "counterexample")
    except FileNotFoundError as exc:
        raise MalformedFile(str(exc)) from None


def replay(path: str | Path, *, dps: int = 60) -> dict:
    """Re-evaluate a saved file: a counterexample in high precision (``still_counterexample``),
    a big-O family by recomputing it (``still_grows``).  Raises MalformedFile if the file is
    malformed (unknown statement, wrong keys or shapes, non-numbers, …)."""
    if isinstance(dps, bool) or not isinstance(dps, int) or not 15 <= dps <= 1000:
        raise ValueError(f"dps must be an integer in [15, 1000], got {dps!r}")
    try:
        rec = files.load(path, ("counterexample", "family", "growth", "witness"))
    except FileNotFoundError as exc:
        raise MalformedFile(str(exc)) from None
    if rec["kind"] == "witness":
        return replay_witness(rec)
    if rec["kind"] == "family":
        return replay_family(rec)
    if rec["kind"] == "growth":
        return replay_growth(rec)
    st = statement_of(rec)
    if not st.checkable:
        raise MalformedFile(f"statement {st.id!r} has no numeric instantiation to replay")
    structure, params = check_instance(st, rec["structure"], rec["params"])
    try:
        chk = recheck(st, structure, params, rec["scale"], dps=dps)
    except (ValueError, IndexError, TypeError, ArithmeticError, np.linalg.LinAlgError) as exc:
        raise MalformedFile(f"instance does not fit statement {st.id}: {exc}") from None
    fp = rec.get("fingerprint")
    return {"statement": st.id, "scale": rec["scale"], "still_counterexample": chk["is_counterexample"], "check": chk,
            "declaration_changed": fp is not None and fp != st.fingerprint()}


def replay_witness(rec: dict) -> dict:
    """Re-check an exact PEP witness (:mod:`boundcheck.pep.witness`): the PEP rebuilt from the
    declaration (the method re-run), every interpolation condition and LHS > RHS checked exactly."""
    from boundcheck.pep.witness import check_witness
    res = check_witness(rec)
    return {"statement": rec["statement"], "kind": "witness", "still_counterexample": bool(res.valid),
            "reason": res.reason, "K": rec["K"], "params": rec["params"], "arith": rec["arith"],
            "lhs": None if res.lhs is None else _exact_str(res.lhs), "rhs": None if res.rhs is None else _exact_str(res.rhs)}


def _exact_str(x: Any) -> str:
    if hasattr(x, "mid"):
        return x.str(20)
    p, q = int(x.p), int(x.q)
    return f"{p}/{q} ≈ {p / q:.10g}" if q != 1 else str(p)


def family_grows(members: list[dict]) -> bool:
    """The growth criterion of a big-O refutation: ratios strictly increasing, and the last
    at least 10× the first (and ≥ 10)."""
    ratios = [m["ratio"] for m in members]
    return all(b > a for a, b in zip(ratios, ratios[1:])) and ratios[-1] >= 10 * max(ratios[0], 1.0)


def replay_family(rec: dict) -> dict:
    """Recompute a saved big-O family from the statement's declaration (high precision) and
    check that the saved ratios are the recomputed ones and still grow."""
    st = statement_of(rec)
    if st.big_o_family is None:
        raise MalformedFile(f"statement {st.id!r} declares no big-O family")
    agree, grows, worst = True, True, 0.0
    for c, ms in rec["members"].items():
        fresh = st.big_o_family(float(c), len(ms), exact=True)
        for saved, new in zip(ms, fresh):
            agree &= math.isclose(float(saved["ratio"]), new["ratio"], rel_tol=1e-9)
        grows &= family_grows(fresh)
        worst = max(worst, max(m["ratio"] for m in fresh))
    return {"statement": st.id, "kind": "family", "still_counterexample": bool(agree and grows),
            "still_grows": bool(grows), "saved_ratios_agree": bool(agree), "worst_ratio": worst,
            "check": {"violated_hypotheses": [], "dps": [60, 60], "ratio": worst}}
