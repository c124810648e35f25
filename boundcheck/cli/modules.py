"""``--module path.py``: register a user's own statements for verify, search and replay
(the loader is :func:`boundcheck.lang.modules.load_statement_files`)."""
from __future__ import annotations

import argparse


def add_module_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--module", action="append", metavar="PATH",
                   help="a Python file of your own statements (a list STATEMENTS of boundcheck Statements, or "
                        "@lemma test functions); repeatable")


def load_modules(paths: list[str] | None) -> list[str]:
    """Import user modules and register their statements; returns their ids."""
    if not paths:
        return []
    from boundcheck.lang.modules import load_statement_files
    return load_statement_files(paths)
