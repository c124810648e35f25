"""Instances read from files, validated against a statement's declaration before any arithmetic."""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from boundcheck.lang import expectation as ex_
from boundcheck.outputs.files import MalformedFile
from boundcheck.paper import ENCODINGS, REGISTRY, get_statement

__all__ = ["check_instance", "statement_of", "UnknownStatement"]


class UnknownStatement(MalformedFile):
    """A file names a statement that is not registered: not a malformed file, most likely one of a
    user's own statements whose ``--module`` file was not loaded.  ``sid``: the id it names."""

    def __init__(self, sid: str, message: str) -> None:
        super().__init__(message)
        self.sid = sid


def statement_of(rec: dict) -> Any:
    """The registered statement (or variant, ``theorem7+average``) a file names.  Raises
    UnknownStatement when its id is not registered, MalformedFile when it names something that
    is no statement (an encoding, a variant with an unknown correction)."""
    sid = rec["statement"]
    try:
        return get_statement(sid)
    except ValueError as exc:
        base = re.match(r"[A-Za-z0-9_]*", sid).group(0)  # a variant names its statement first
        if base not in REGISTRY and sid not in ENCODINGS:
            raise UnknownStatement(sid, str(exc)) from None
        raise MalformedFile(str(exc)) from None


def check_instance(st: Any, structure: dict, params: dict) -> tuple[dict, dict]:
    """Validate a (structure, params) pair against ``st``'s declaration; returns them with the
    parameters as float arrays.  Raises MalformedFile with the reason."""
    structure = dict(structure)
    if "method" not in structure and len(st.methods if not st.rows else ()) == 1:
        structure["method"] = st.methods[0]  # files written before the statement language
    B, T = structure.get("B"), structure.get("T")
    if st.expectation == "exact" and isinstance(B, int) and isinstance(T, int) and B >= 1 and T >= 1 \
            and (T > 64 or (B + 1) ** T > ex_.MAX_SEQUENCES):  # checked before computing a huge power
        raise MalformedFile(f"(B + 1)^T batch sequences for B = {B}, T = {T} exceed the enumeration limit "
                            f"{ex_.MAX_SEQUENCES}")
    try:
        structure = st.validate_structure(structure)
    except ValueError as exc:
        raise MalformedFile(str(exc)) from None
    arrays = {k: np.array(v, dtype=float) for k, v in params.items()}
    legacy = st.is_legacy_file(structure, arrays)
    expected = st.expected_shapes(structure, legacy)
    if set(arrays) != set(expected):
        raise MalformedFile(f"parameter names {sorted(arrays)} do not match {st.id}'s {sorted(expected)}")
    for k, v in arrays.items():
        if v.shape != expected[k]:
            raise MalformedFile(f"params[{k!r}] has shape {v.shape}; the structure {structure} needs {expected[k]}")
    return structure, arrays
