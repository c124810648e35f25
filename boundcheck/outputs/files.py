"""One versioned JSON schema family for every file boundcheck writes, and the one loader.

Every file carries ``"format": "boundcheck/<kind>"`` and ``"version": SCHEMA_VERSION`` next to
its payload, plus provenance (``boundcheck`` version, ``created``).  :func:`write` writes it
atomically; :func:`load` reads it as **hostile input**: only a regular file, at most
``MAX_BYTES`` read whatever ``stat`` says, UTF-8, JSON without NaN/Infinity, bounded nesting,
a top-level object of the expected kind and version, then the kind's own validator (if one is
registered with :func:`register_kind`).  Nothing from a file is ever evaluated, imported,
unpickled or sympified.  Errors are :class:`MalformedFile` (a ``ValueError``: the CLI prints
one line and exits 2).

Kinds (see ``KINDS``): counterexample (a replayable instance), family (a big-O family),
growth (a growth table), verify / search / pep (run results), certificate (a PEP dual
certificate), witness (an exact PEP primal witness), figures (real-data summary), rates, echo.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import stat as _stat
from pathlib import Path
from typing import Any, Callable

from boundcheck._version import __version__
from boundcheck.outputs.common import write_json_atomic

__all__ = ["SCHEMA_VERSION", "KINDS", "MalformedFile", "write", "load", "register_kind", "envelope",
           "check_numbers", "kind_of", "MAX_BYTES", "MAX_DEPTH"]

SCHEMA_VERSION = 2
KINDS = ("counterexample", "family", "growth", "verify", "search", "pep", "certificate", "witness", "figures",
         "rates", "echo", "sweep-column", "optimum")
MAX_BYTES = 5_000_000
MAX_DEPTH = 64

#: files written before the schema family (v1 counterexample files): still read
_LEGACY = {("boundcheck-counterexample", 1): "counterexample", ("boundcheck-big-o-family", None): "family",
           ("boundcheck-growth", None): "growth"}

_VALIDATORS: dict[str, Callable[[dict], None]] = {}


class MalformedFile(ValueError):
    """A file that is not a valid boundcheck file of the expected kind (exit 2)."""


def register_kind(kind: str, validator: Callable[[dict], None]) -> None:
    """Attach the structural validator of ``kind`` (raises MalformedFile); called at import time
    by the layer that owns the kind (e.g. the engine for counterexamples)."""
    if kind not in KINDS:
        raise ValueError(f"unknown file kind {kind!r}; known: {', '.join(KINDS)}")
    _VALIDATORS[kind] = validator


def envelope(kind: str, payload: dict, *, seed: int | None = None, command: str | None = None) -> dict:
    """The record ``write`` stores: format, version and provenance, then the payload."""
    if kind not in KINDS:
        raise ValueError(f"unknown file kind {kind!r}; known: {', '.join(KINDS)}")
    head = {"format": f"boundcheck/{kind}", "version": SCHEMA_VERSION, "boundcheck": __version__,
            "python": platform.python_version(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    if seed is not None:
        head["seed"] = seed
    if command is not None:
        head["command"] = command
    clash = set(head) & set(payload) - {"seed", "command"}
    if clash:
        raise ValueError(f"payload may not set {sorted(clash)}")
    return {**head, **payload}


def write(path: str | os.PathLike, kind: str, payload: dict, **meta: Any) -> Path:
    """Write ``payload`` as a ``boundcheck/<kind>`` file, atomically (no half-written file)."""
    return write_json_atomic(path, envelope(kind, payload, **meta))


def _reject_constant(name: str) -> Any:
    raise MalformedFile(f"non-finite number {name!r} is not allowed")


def _depth_ok(x: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(x, dict):
        return all(_depth_ok(v, depth + 1) for v in x.values())
    if isinstance(x, list):
        return all(_depth_ok(v, depth + 1) for v in x)
    return True


def kind_of(rec: dict) -> str | None:
    """The kind of a parsed record (``None`` if it is not a boundcheck file)."""
    fmt, ver = rec.get("format"), rec.get("version")
    if isinstance(fmt, str) and fmt.startswith("boundcheck/") and ver == SCHEMA_VERSION:
        k = fmt.split("/", 1)[1]
        return k if k in KINDS else None
    for (lf, lv), k in _LEGACY.items():
        if fmt == lf and (lv is None or ver == lv):
            return k
    return None


def _read_text(p: Path) -> str:
    try:
        # only a regular file (a symlink to /dev/zero or a FIFO reports size 0 and never ends),
        # and never more than MAX_BYTES read, whatever stat said
        if not _stat.S_ISREG(os.stat(p).st_mode):
            raise MalformedFile(f"{p} is not a regular file")
        with open(p, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise FileNotFoundError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise MalformedFile(f"{p} is a directory, not a file") from None
    except PermissionError:
        raise MalformedFile(f"{p}: permission denied") from None
    except OSError as exc:
        raise MalformedFile(f"{p}: cannot read ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise MalformedFile(f"{p} is larger than {MAX_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedFile(f"{p}: not UTF-8 text") from None


def load(path: str | os.PathLike, kind: str | tuple[str, ...] | None = None) -> dict:
    """Read and validate a boundcheck file; ``kind`` restricts what is accepted.

    Raises FileNotFoundError for a missing file (a different message than a malformed one)
    and MalformedFile for anything else that is wrong.  The returned record has ``"kind"``
    set to its kind."""
    p = Path(path)
    text = _read_text(p)
    try:
        rec = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise MalformedFile(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise MalformedFile(f"{p}: JSON nested too deeply") from None
    except MalformedFile:
        raise
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise MalformedFile(f"{p}: not valid JSON ({exc})") from None
    if not isinstance(rec, dict):
        raise MalformedFile(f"{p}: top level must be a JSON object")
    if not _depth_ok(rec):
        raise MalformedFile(f"{p}: JSON nested too deeply")
    k = kind_of(rec)
    wanted = (kind,) if isinstance(kind, str) else kind
    if k is None:
        what = " or ".join(f"boundcheck/{w}" for w in wanted) if wanted else "boundcheck"
        raise MalformedFile(f"{p}: not a {what} v{SCHEMA_VERSION} file")
    if wanted and k not in wanted:
        raise MalformedFile(f"{p}: a boundcheck/{k} file, expected " + " or ".join(f"boundcheck/{w}" for w in wanted))
    rec["kind"] = k
    v = _VALIDATORS.get(k)
    if v is not None:
        try:
            v(rec)
        except MalformedFile as exc:
            raise MalformedFile(f"{p}: {exc}") from None
    return rec


def _finite(v: int | float) -> bool:
    """math.isfinite, but an integer too large for a float is not finite (no OverflowError)."""
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def check_numbers(name: str, v: Any, *, max_depth: int = 6, depth: int = 0) -> int:
    """Nested lists of finite numbers only (booleans and strings rejected); returns the count."""
    if depth > max_depth:
        raise MalformedFile(f"{name} is nested too deeply")
    if isinstance(v, list):
        return sum(check_numbers(name, x, max_depth=max_depth, depth=depth + 1) for x in v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise MalformedFile(f"{name} must hold only numbers, found {type(v).__name__}")
    if not _finite(v):
        raise MalformedFile(f"{name} holds a non-finite number")
    return 1
