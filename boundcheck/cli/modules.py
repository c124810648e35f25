"""``--module path.py``: user statements for verify and search."""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from boundcheck.paper import REGISTRY, register
from boundcheck.lang.statement import Statement


def add_module_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--module", action="append", metavar="PATH",
                   help="a Python file defining STATEMENTS (a list of boundcheck Statements) to register")


def load_modules(paths: list[str] | None) -> list[str]:
    """Import user modules (the user's own code, named on the command line) and register
    their ``STATEMENTS``; returns the new ids."""
    ids: list[str] = []
    for path in paths or []:
        p = Path(path)
        if not p.is_file() or p.suffix != ".py":
            raise ValueError(f"--module {path}: not a Python file")
        name = f"boundcheck_user_{abs(hash(str(p.resolve())))}"
        spec = importlib.util.spec_from_file_location(name, p)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        except Exception as exc:
            raise ValueError(f"--module {path}: importing it failed: {type(exc).__name__}: {exc}") from None
        stmts = getattr(mod, "STATEMENTS", None)
        if not isinstance(stmts, (list, tuple)) or not all(isinstance(s, Statement) for s in stmts):
            raise ValueError(f"--module {path}: must define STATEMENTS, a list of boundcheck Statement objects")
        for s in stmts:
            if s.id not in REGISTRY:
                register(s)
            ids.append(s.id)
    return ids
