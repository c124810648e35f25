"""Exceptions every layer may raise (kept in a module with no heavy imports)."""
from __future__ import annotations

__all__ = ["SolverError"]


class SolverError(RuntimeError):
    """The solver failed or returned a solution that fails the optimality check."""
