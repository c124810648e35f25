"""The statement language: how a statement is declared and checked numerically.

Owns: the paper's symbols, :class:`Statement`, the one statement registry (``REGISTRY``,
``register``), and the instance machinery every statement is evaluated with.
May import: ``boundcheck.core`` (mathematical objects) and ``boundcheck.outputs``.
Never imports the paper's content (``boundcheck.paper``), the engine or the CLI.
"""
from boundcheck.lang.statement import CLAIM_KINDS, REGISTRY, SYMBOLS, Statement, evaluate_expr, register

__all__ = ["CLAIM_KINDS", "REGISTRY", "SYMBOLS", "Statement", "evaluate_expr", "register"]
