"""Instances read from files, validated against a statement's declaration before any arithmetic."""
from __future__ import annotations

from typing import Any

import numpy as np

from boundcheck.lang import expectation as ex_
from boundcheck.outputs.files import MalformedFile

__all__ = ["check_instance"]


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
