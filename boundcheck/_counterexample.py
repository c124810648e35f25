"""Counterexample files: written atomically, replayed without executing anything from them.

A file is plain JSON with every number needed to replay the instance: the statement
id, the scale, the structure (small integers and a family name) and the parameters
(nested lists of floats, which JSON round-trips exactly).  ``replay`` treats the file as
hostile input: no pickle, no eval, no sympify of strings from it; the statement must be
registered (built in, or from a module the *user* names on the command line, never the
file); keys, types, shapes and sizes are validated against a fresh instance of the same
structure before any arithmetic happens.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import platform
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from ._commands._common import write_json_atomic
from ._engine import recheck
from ._losses import FAMILIES
from ._statements import get_statement

__all__ = ["save_counterexample", "load_counterexample", "replay", "MalformedFile", "FORMAT"]

FORMAT = "boundcheck-counterexample"
VERSION = 1
MAX_BYTES = 5_000_000
MAX_ELEMENTS = 200_000
_STRUCT_INT_KEYS = {"n": 500, "K": 5000, "B": 10_000, "T": 100, "members": 100}
_STRUCT_STR_KEYS = {"family": set(FAMILIES), "method": {"gd", "prox", "agd"}}


class MalformedFile(ValueError):
    """The file is not a valid counterexample file (replay exits 2)."""


def save_counterexample(path: str | Path, statement_id: str, scale: float, structure: dict, params: dict,
                        check: dict, *, seed: int | None = None, note: str = "") -> Path:
    rec = {
        "format": FORMAT, "version": VERSION, "statement": statement_id, "scale": float(scale),
        "structure": structure,
        "params": {k: np.asarray(v, dtype=float).tolist() for k, v in params.items()},
        "high_precision_check": check,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "boundcheck": __version__, "python": platform.python_version(), "seed": seed, "note": note,
    }
    return write_json_atomic(path, rec)


def _reject_constant(name: str) -> Any:
    raise MalformedFile(f"non-finite number {name!r} is not allowed")


def _check_nested_floats(name: str, v: Any, depth: int = 0) -> None:
    if depth > 6:
        raise MalformedFile(f"params[{name!r}] is nested too deeply")
    if isinstance(v, list):
        for x in v:
            _check_nested_floats(name, x, depth + 1)
    elif isinstance(v, bool) or not isinstance(v, (int, float)):
        raise MalformedFile(f"params[{name!r}] must hold only numbers, found {type(v).__name__}")
    elif not math.isfinite(v):
        raise MalformedFile(f"params[{name!r}] holds a non-finite number")


def load_counterexample(path: str | Path) -> dict:
    """Read and validate a counterexample file; raise MalformedFile on anything unexpected."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise MalformedFile(f"{p} is larger than {MAX_BYTES} bytes")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MalformedFile(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MalformedFile(f"{p}: cannot read ({exc})") from None
    try:
        rec = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise MalformedFile(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(rec, dict):
        raise MalformedFile("top level must be a JSON object")
    if rec.get("format") != FORMAT or rec.get("version") != VERSION:
        raise MalformedFile(f"not a {FORMAT} v{VERSION} file")
    for key, typ in (("statement", str), ("structure", dict), ("params", dict)):
        if not isinstance(rec.get(key), typ):
            raise MalformedFile(f"field {key!r} missing or not a {typ.__name__}")
    sc = rec.get("scale")
    if isinstance(sc, bool) or not isinstance(sc, (int, float)) or not (math.isfinite(sc) and sc > 0):
        raise MalformedFile("field 'scale' must be a positive finite number")
    st = rec["structure"]
    for k, v in st.items():
        if k in _STRUCT_INT_KEYS:
            if isinstance(v, bool) or not isinstance(v, int) or not (1 <= v <= _STRUCT_INT_KEYS[k]):
                raise MalformedFile(f"structure[{k!r}] must be an integer in [1, {_STRUCT_INT_KEYS[k]}]")
        elif k in _STRUCT_STR_KEYS:
            if v not in _STRUCT_STR_KEYS[k]:
                raise MalformedFile(f"structure[{k!r}] = {v!r} is not one of {sorted(_STRUCT_STR_KEYS[k])}")
        else:
            raise MalformedFile(f"unknown structure field {k!r}")
    total = 0
    for k, v in rec["params"].items():
        if not isinstance(k, str) or len(k) > 64:
            raise MalformedFile("parameter names must be short strings")
        _check_nested_floats(k, v)
        try:
            arr = np.array(v, dtype=float)
        except ValueError:
            raise MalformedFile(f"params[{k!r}] is not a rectangular array") from None
        total += arr.size
        if total > MAX_ELEMENTS:
            raise MalformedFile(f"more than {MAX_ELEMENTS} numbers in params")
    return rec


def replay(path: str | Path, *, dps: int = 60) -> dict:
    """Re-evaluate a saved counterexample in high precision.

    Returns a dict with ``still_counterexample`` and the check; raises MalformedFile if
    the file is malformed (unknown statement, wrong keys or shapes, non-numbers, …).
    """
    rec = load_counterexample(path)
    try:
        st = get_statement(rec["statement"])
    except ValueError as exc:
        raise MalformedFile(str(exc)) from None
    if st.sample is None or st.evaluate is None:
        raise MalformedFile(f"statement {st.id!r} has no numeric instantiation to replay")
    structure = rec["structure"]
    if "family" in structure and structure["family"] not in st.families:
        raise MalformedFile(f"family {structure['family']!r} is not admissible for {st.id}")
    # a fresh instance of the same structure fixes the expected keys and shapes
    try:
        ref_struct, ref = st.sample(np.random.default_rng(0), 1, structure.get("family"))
    except ValueError as exc:
        raise MalformedFile(str(exc)) from None
    params = {k: np.array(v, dtype=float) for k, v in rec["params"].items()}
    if set(params) != set(ref):
        raise MalformedFile(f"parameter names {sorted(params)} do not match {st.id}'s {sorted(ref)}")
    for k, v in params.items():
        if v.ndim != ref[k].ndim or v.shape[0] != 1:
            raise MalformedFile(f"params[{k!r}] has shape {v.shape}; expected {ref[k].ndim} axes with a leading 1")
    missing = [k for k in ref_struct if k not in structure]
    if missing:
        raise MalformedFile(f"structure is missing {missing}")
    n = structure.get("n")
    for k, v in params.items():
        if n is not None and ref[k].shape[-1] == ref_struct.get("n") and v.shape[-1] != n:
            raise MalformedFile(f"params[{k!r}] has last dimension {v.shape[-1]}, but structure n = {n}")
    try:
        chk = recheck(st, structure, params, rec["scale"], dps=dps)
    except (ValueError, IndexError, TypeError) as exc:
        raise MalformedFile(f"instance does not fit statement {st.id}: {exc}") from None
    return {"statement": st.id, "scale": rec["scale"], "still_counterexample": chk["is_counterexample"], "check": chk}
