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
import os
import platform
import stat as _stat
from pathlib import Path
from typing import Any

import numpy as np

from boundcheck._version import __version__
from boundcheck.outputs.common import write_json_atomic
from boundcheck.engine.search import axis_roles, recheck
from boundcheck.core.losses import FAMILIES
from boundcheck.lang.expectation import MAX_SEQUENCES
from boundcheck.paper import get_statement

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
    elif not _finite(v):
        raise MalformedFile(f"params[{name!r}] holds a non-finite number")


def _finite(v: int | float) -> bool:
    """math.isfinite, but an integer too large for a float is not finite (no OverflowError)."""
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def load_counterexample(path: str | Path) -> dict:
    """Read and validate a counterexample file; raise MalformedFile on anything unexpected."""
    p = Path(path)
    try:
        # only a regular file (a symlink to /dev/zero or a FIFO reports size 0 and never ends),
        # and never more than MAX_BYTES read, whatever stat said
        if not _stat.S_ISREG(os.stat(p).st_mode):
            raise MalformedFile(f"{p} is not a regular file")
        with open(p, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise MalformedFile(f"{p} is larger than {MAX_BYTES} bytes")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise MalformedFile(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MalformedFile(f"{p}: cannot read ({exc})") from None
    try:
        rec = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise MalformedFile(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise MalformedFile(f"{p}: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise MalformedFile(f"{p}: not valid JSON ({exc})") from None
    if not isinstance(rec, dict):
        raise MalformedFile("top level must be a JSON object")
    if rec.get("format") != FORMAT or rec.get("version") != VERSION:
        raise MalformedFile(f"not a {FORMAT} v{VERSION} file")
    for key, typ in (("statement", str), ("structure", dict), ("params", dict)):
        if not isinstance(rec.get(key), typ):
            raise MalformedFile(f"field {key!r} missing or not a {typ.__name__}")
    sc = rec.get("scale")
    if isinstance(sc, bool) or not isinstance(sc, (int, float)) or not (_finite(sc) and sc > 0):
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


def _reference_keys(st, family: str | None) -> tuple[dict, dict]:
    try:
        return st.sample(np.random.default_rng(0), 1, family)
    except ValueError as exc:
        raise MalformedFile(str(exc)) from None


def _expected_shapes(st, structure: dict) -> dict[str, tuple[int, ...]]:
    """The shape every parameter must have for ``structure`` (axes counted by B or n, see
    ``_engine.axis_roles``); an axis whose role cannot be told makes the file unreplayable."""
    out = {}
    for k, roles in axis_roles(st, structure.get("family")).items():
        exp = [1]
        for ax, role in enumerate(roles, start=1):
            if role is None or (isinstance(role, str) and role not in structure):
                raise MalformedFile(f"cannot determine axis {ax} of params[{k!r}] for {st.id}")
            exp.append(role if isinstance(role, int) else int(structure[role]))
        out[k] = tuple(exp)
    return out


def admissibility_violations(structure: dict, params: dict) -> list[str]:
    """Hypotheses a saved instance violates, by the engine's parameter-name conventions
    (those of ``_engine.project``): the step fraction u = ηβ ∈ (0, 1] (η ≤ 1/β, or
    1/(β+γ)), probabilities in [0, 1], the domain factor rW ≥ 1, γ-fraction > 0,
    λ_init ≥ 0, and symmetric PSD per-example Hessians (convexity)."""
    bad = []
    def arr(k):
        return np.asarray(params[k], dtype=float)
    if "u" in params and not np.all((arr("u") > 0) & (arr("u") <= 1)):
        bad.append("step size within its limit (u = η·β ∈ (0, 1])")
    if "p0" in params and not np.all((arr("p0") >= 0) & (arr("p0") <= 1)):
        bad.append("𝒟 is a probability distribution (p0 ∈ [0, 1])")
    if "rW" in params and not np.all(arr("rW") >= 1):
        bad.append("W contains w_0 and w* (rW ≥ 1)")
    if "gfrac" in params and not np.all(arr("gfrac") > 0):
        bad.append("γ > 0")
    if "lam0" in params and not np.all(arr("lam0") >= 0):
        bad.append("λ_init ≥ 0")
    for k in params:
        if k.endswith(".A"):
            A = arr(k)
            scale = np.max(np.abs(A)) if A.size else 0.0
            if not np.allclose(A, np.swapaxes(A, -1, -2), rtol=0, atol=1e-12 * (1 + scale)):
                bad.append(f"{k} symmetric (a quadratic's Hessian)")
            elif np.min(np.linalg.eigvalsh((A + np.swapaxes(A, -1, -2)) / 2)) < -1e-12 * (1 + scale):
                bad.append(f"{k} positive semidefinite (convexity)")
    return bad


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
    missing = [k for k in _reference_keys(st, structure.get("family"))[0] if k not in structure]
    if missing:
        raise MalformedFile(f"structure is missing {missing}")
    if st.expectation == "exact" and "B" in structure and "T" in structure \
            and (structure["B"] + 1) ** structure["T"] > MAX_SEQUENCES:
        raise MalformedFile(f"(B + 1)^T = {(structure['B'] + 1) ** structure['T']} batch sequences exceed the "
                            f"enumeration limit {MAX_SEQUENCES}")
    params = {k: np.array(v, dtype=float) for k, v in rec["params"].items()}
    # the shape of every parameter is fixed by the structure (B examples per batch, dimension
    # n, …): a batch with more or fewer examples than B would be evaluated against the
    # bound for B, so a mismatch is rejected, not evaluated
    expected = _expected_shapes(st, structure)
    if set(params) != set(expected):
        raise MalformedFile(f"parameter names {sorted(params)} do not match {st.id}'s {sorted(expected)}")
    for k, v in params.items():
        if v.shape != expected[k]:
            raise MalformedFile(f"params[{k!r}] has shape {v.shape}; the structure {structure} needs {expected[k]}")
    outside = admissibility_violations(structure, params)
    try:
        chk = recheck(st, structure, params, rec["scale"], dps=dps)
    except (ValueError, IndexError, TypeError, ArithmeticError, np.linalg.LinAlgError) as exc:
        raise MalformedFile(f"instance does not fit statement {st.id}: {exc}") from None
    if outside:  # the instance violates a hypothesis: it is never a counterexample
        chk["violated_hypotheses"] = sorted(set(chk["violated_hypotheses"]) | set(outside))
        chk["is_counterexample"] = False
    return {"statement": st.id, "scale": rec["scale"], "still_counterexample": chk["is_counterexample"], "check": chk}
