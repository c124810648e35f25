"""The structural validators of the schema family, registered with the one loader.

Every kind's validator lives here, in the lowest layer, so that ``outputs.files.load`` checks a
file the same way whichever modules happen to be imported (a validator registered by the module
that writes the kind would depend on import order).  They check shapes and types only; what a
file *means* is checked by its consumer (``replay`` re-validates a counterexample against the
statement's declaration before any arithmetic).
"""
from __future__ import annotations

import math

import numpy as np

from boundcheck.outputs.files import MalformedFile, check_numbers, register_kind

__all__ = ["counterexample", "family", "growth", "figures", "sweep_column", "certificate", "witness", "MAX_ELEMENTS"]

MAX_ELEMENTS = 200_000


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def counterexample(rec: dict) -> None:
    """Structural checks of a counterexample record (registered with the loader)."""
    for key, typ in (("statement", str), ("structure", dict), ("params", dict)):
        if not isinstance(rec.get(key), typ):
            raise MalformedFile(f"field {key!r} missing or not a {typ.__name__}")
    sc = rec.get("scale")
    if isinstance(sc, bool) or not isinstance(sc, (int, float)) or not (_finite(sc) and sc > 0):
        raise MalformedFile("field 'scale' must be a positive finite number")
    for k, v in rec["structure"].items():
        if not isinstance(k, str) or len(k) > 32:
            raise MalformedFile("structure keys must be short strings")
        if isinstance(v, bool) or not isinstance(v, (int, str)) or (isinstance(v, str) and len(v) > 64):
            raise MalformedFile(f"structure[{k!r}] must be an integer or a short name")
    total = 0
    for k, v in rec["params"].items():
        if not isinstance(k, str) or len(k) > 64:
            raise MalformedFile("parameter names must be short strings")
        total += check_numbers(f"params[{k!r}]", v)
        if total > MAX_ELEMENTS:
            raise MalformedFile(f"more than {MAX_ELEMENTS} numbers in params")
        try:
            np.array(v, dtype=float)
        except ValueError:
            raise MalformedFile(f"params[{k!r}] is not a rectangular array") from None

def family(rec: dict) -> None:
    if not isinstance(rec.get("statement"), str):
        raise MalformedFile("field 'statement' missing or not a string")
    members = rec.get("members")
    if not isinstance(members, dict) or not members or len(members) > 16:
        raise MalformedFile("field 'members' must map Θ-constants to member lists")
    for c, ms in members.items():
        try:
            cv = float(c)
        except ValueError:
            raise MalformedFile(f"Θ-constant {c!r} is not a number") from None
        if not (_finite(cv) and cv > 0) or not isinstance(ms, list) or not 1 <= len(ms) <= 64:
            raise MalformedFile(f"members[{c!r}] must be a list of 1..64 members")
        for m in ms:
            if not isinstance(m, dict) or not isinstance(m.get("ratio"), (int, float)) or isinstance(m.get("ratio"), bool):
                raise MalformedFile(f"members[{c!r}] holds a member without a numeric ratio")

def growth(rec: dict) -> None:
    if not isinstance(rec.get("statement"), str):
        raise MalformedFile("field 'statement' missing or not a string")
    rows = rec.get("rows")
    if not isinstance(rows, list) or not 1 <= len(rows) <= 64:
        raise MalformedFile("field 'rows' must be a list of 1..64 rows")
    for r in rows:
        if not isinstance(r, dict) or not isinstance(r.get("K"), int) or isinstance(r.get("K"), bool):
            raise MalformedFile("every row needs an integer K")
        if r.get("params") is not None:
            if not isinstance(r["params"], dict) or not isinstance(r.get("structure"), dict):
                raise MalformedFile("a row's instance needs 'structure' and 'params' objects")
            for k, v in r["params"].items():
                if not isinstance(k, str) or len(k) > 64:
                    raise MalformedFile("parameter names must be short strings")
                check_numbers(f"params[{k!r}]", v)

def figures(rec: dict) -> None:
    """Validator of ``boundcheck/figures`` files: ``runs``, a non-empty list of per-dataset summaries."""
    runs = rec.get("runs")
    if not isinstance(runs, list) or not runs:
        raise MalformedFile("runs must be a non-empty list")
    for r in runs:
        if not isinstance(r, dict) or not isinstance(r.get("dataset"), str):
            raise MalformedFile("each run must be an object with a dataset name")
        figs = r.get("figures")
        if not isinstance(figs, dict) or not all(isinstance(figs.get(k), str) for k in ("png", "pdf")):
            raise MalformedFile("each run must name its figure files (png, pdf)")
        if not isinstance(r.get("agreement"), dict) or not isinstance(r.get("config"), dict):
            raise MalformedFile("each run must hold its agreement numbers and configuration")

def sweep_column(rec: dict) -> None:
    """Validator of ``boundcheck/sweep-column`` files (a cached column is input like any other)."""
    for k in ("B", "K", "seeds", "max_steps", "steps_run"):
        v = rec.get(k)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise MalformedFile(f"{k} must be a non-negative integer")
    for k in ("lrs", "status", "hits", "mean_steps"):
        if not isinstance(rec.get(k), list):
            raise MalformedFile(f"{k} must be a list")
    if not len(rec["lrs"]) == len(rec["status"]) == len(rec["hits"]) == len(rec["mean_steps"]):
        raise MalformedFile("lrs, status, hits and mean_steps differ in length")
    if rec.get("tuned_lr") is not None and not isinstance(rec["tuned_lr"], (int, float)):
        raise MalformedFile("tuned_lr must be a number or null")


def _short_str(rec: dict, key: str, limit: int = 200) -> None:
    v = rec.get(key)
    if not isinstance(v, str) or not v or len(v) > limit:
        raise MalformedFile(f"field {key!r} missing or not a string of at most {limit} characters")


def _int_field(rec: dict, key: str, lo: int, hi: int) -> None:
    v = rec.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise MalformedFile(f"field {key!r} must be an integer in [{lo}, {hi}]")


def _q_string(v: object, what: str) -> None:
    # shape only ("p/q" with digits); the consumer parses it with its strict regex
    if not isinstance(v, str) or not 1 <= len(v) <= 4001:
        raise MalformedFile(f"{what} must be a rational string 'p/q'")


def _pep_head(rec: dict) -> None:
    for k in ("statement", "fingerprint", "method"):
        _short_str(rec, k)
    _int_field(rec, "K", 1, 200)
    if rec.get("arith") not in ("exact", "ball"):
        raise MalformedFile("field 'arith' must be 'exact' or 'ball'")
    params = rec.get("params")
    if not isinstance(params, dict) or len(params) > 32:
        raise MalformedFile("field 'params' must be an object of at most 32 parameters")
    for k, v in params.items():
        if not isinstance(k, str) or not 1 <= len(k) <= 64:
            raise MalformedFile("parameter names must be short strings")
        _q_string(v, f"params[{k!r}]")


def certificate(rec: dict) -> None:
    """Validator of ``boundcheck/certificate`` files (PEP dual certificates): shapes and types only."""
    _pep_head(rec)
    _q_string(rec.get("delta"), "field 'delta'")
    if not isinstance(rec.get("claim", ""), str):
        raise MalformedFile("field 'claim' must be a string")
    ms = rec.get("multipliers")
    if not isinstance(ms, list) or len(ms) > 50_000:
        raise MalformedFile("field 'multipliers' must be a list of at most 50000 [index, label, 'p/q'] entries")
    for m in ms:
        if (not isinstance(m, list) or len(m) != 3 or isinstance(m[0], bool) or not isinstance(m[0], int)
                or not isinstance(m[1], str) or len(m[1]) > 200):
            raise MalformedFile("every multiplier must be [index, label, 'p/q']")
        _q_string(m[2], f"multiplier #{m[0]}")
    if "dependent" in rec:
        dep = rec["dependent"]
        if not isinstance(dep, list) or len(dep) > 1000:
            raise MalformedFile("field 'dependent' must be a list of [index, label] entries")
        for m in dep:
            if (not isinstance(m, list) or len(m) != 2 or isinstance(m[0], bool) or not isinstance(m[0], int)
                    or not isinstance(m[1], str) or len(m[1]) > 200):
                raise MalformedFile("every dependent multiplier must be [index, label]")
    for k in ("prec", "root"):
        if k in rec and (isinstance(rec[k], bool) or not isinstance(rec[k], int)):
            raise MalformedFile(f"field {k!r} must be an integer")


def witness(rec: dict) -> None:
    """Validator of ``boundcheck/witness`` files (exact PEP primal witnesses): shapes and types only."""
    _pep_head(rec)
    X = rec.get("vectors")
    if not isinstance(X, list) or not 1 <= len(X) <= 300:
        raise MalformedFile("field 'vectors' must be a list of 1..300 coordinate rows")
    width = None
    for row in X:
        if not isinstance(row, list) or not 1 <= len(row) <= 300:
            raise MalformedFile("every row of 'vectors' must be a list of 1..300 'p/q' strings")
        if width is not None and len(row) != width:
            raise MalformedFile("the rows of 'vectors' differ in length")
        width = len(row)
        for v in row:
            _q_string(v, "a coordinate")
    vals = rec.get("values")
    if not isinstance(vals, list) or not 1 <= len(vals) <= 300:
        raise MalformedFile("field 'values' must be a list of 1..300 'p/q' strings")
    for v in vals:
        _q_string(v, "a function value")
    if "prec" in rec and (isinstance(rec["prec"], bool) or not isinstance(rec["prec"], int)):
        raise MalformedFile("field 'prec' must be an integer")


for _kind, _fn in (("counterexample", counterexample), ("family", family), ("growth", growth), ("figures", figures),
                   ("sweep-column", sweep_column), ("certificate", certificate), ("witness", witness)):
    register_kind(_kind, _fn)
