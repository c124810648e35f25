"""Encodings: the paper's definitions and algorithms as sympy objects (not claims).

A definition or an algorithm is not verified: it is *encoded* (as printed) and checked against
its executable version (``tests/test_definitions.py``).  They live in their own registry, so
``verify`` never mistakes one for a statement.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Encoding", "ENCODINGS", "register_encoding"]


@dataclass(frozen=True)
class Encoding:
    """A definition, algorithm or inner method of the paper, as printed.

    ``form`` is the sympy object (an Eq or a Tuple of Eqs); ``executable`` names the code
    that implements it."""

    id: str
    kind: str  # "definition" | "algorithm" | "method"
    number: str
    section: str
    title: str
    printed: str
    form: Any
    executable: str = ""
    readings: tuple[str, ...] = ()

    @property
    def bound(self) -> Any:  # the sympy form, under the name statements use
        return self.form

    def summary(self) -> dict:
        return {"id": self.id, "kind": self.kind, "number": self.number, "section": self.section, "title": self.title,
                "printed": self.printed, "form": str(self.form), "executable": self.executable,
                "readings": list(self.readings)}


ENCODINGS: dict[str, Encoding] = {}


def register_encoding(e: Encoding) -> Encoding:
    if e.id in ENCODINGS:
        raise ValueError(f"encoding id {e.id!r} is already registered")
    ENCODINGS[e.id] = e
    return e
