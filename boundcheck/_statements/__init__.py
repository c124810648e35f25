"""The statement registry (see ``_core``); importing ``_load_builtin`` registers the paper's statements."""
from ._core import REGISTRY, SYMBOLS, Statement, evaluate_expr, get_statement, register, statement_ids

__all__ = ["REGISTRY", "SYMBOLS", "Statement", "evaluate_expr", "get_statement", "register", "statement_ids"]
