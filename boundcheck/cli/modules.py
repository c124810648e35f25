"""``--module path.py``: register a user's own statements for verify, search and replay.

The file is the user's own code, named by the user on the command line (never by a data
file).  It is imported with its folder on ``sys.path`` (so it can import its sibling files)
and must define ``STATEMENTS``, a list of boundcheck Statements, or register them itself.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path


def add_module_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--module", action="append", metavar="PATH",
                   help="a Python file of your own statements (a list STATEMENTS of boundcheck Statements); "
                        "repeatable")


def load_modules(paths: list[str] | None) -> list[str]:
    """Import user modules and register their ``STATEMENTS``; returns their ids."""
    if not paths:
        return []
    from boundcheck.lang.declaration import REGISTRY, Statement, register
    ids: list[str] = []
    for path in paths:
        p = Path(path)
        if not p.exists():
            raise ValueError(f"--module {path}: no such file")
        if not p.is_file():
            raise ValueError(f"--module {path}: not a file")
        if p.suffix != ".py":
            raise ValueError(f"--module {path}: not a Python file (expected a .py file)")
        before = set(REGISTRY)
        name = f"boundcheck_user_{p.stem}_{abs(hash(str(p.resolve())))}"
        spec = importlib.util.spec_from_file_location(name, p)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        folder = str(p.resolve().parent)
        added = folder not in sys.path
        if added:
            sys.path.insert(0, folder)  # a user's module may import its sibling files
        try:
            spec.loader.exec_module(mod)
        except Exception as exc:
            raise ValueError(f"--module {path}: importing it failed: {type(exc).__name__}: {exc}") from None
        finally:
            if added:
                sys.path.remove(folder)
        stmts = getattr(mod, "STATEMENTS", None)
        if stmts is None:  # a test file of @lemma functions: their statements
            lemmas = [v for v in vars(mod).values() if callable(v) and hasattr(v, "_boundcheck_lemma")]
            if lemmas:
                stmts = [f._boundcheck_lemma["func"]() for f in lemmas]
        if stmts is None:
            new = [i for i in REGISTRY if i not in before]
            if not new:
                raise ValueError(f"--module {path}: defines no STATEMENTS list and registers no statement")
            ids += new
            continue
        if not isinstance(stmts, (list, tuple)) or not all(isinstance(s, Statement) for s in stmts):
            raise ValueError(f"--module {path}: STATEMENTS must be a list of boundcheck Statements")
        for s in stmts:
            if s.id not in REGISTRY:
                register(s)
            elif REGISTRY[s.id] is not s and REGISTRY[s.id].fingerprint() != s.fingerprint():
                raise ValueError(f"--module {path}: statement id {s.id!r} is already registered (a different "
                                 f"declaration): rename it")
            ids.append(s.id)
    return ids
