"""A user's own statement files: imported, their statements registered.

A file is the user's own code, named by the user (``--module path.py`` on the command line,
never a data file).  It is imported with its folder on ``sys.path`` (so it can import its
sibling files) and defines ``STATEMENTS`` (a list of Statements), or ``@lemma`` test
functions (their statements), or registers statements itself.  Loading is idempotent in a
process: a file already imported here is not executed again, so a Dask worker can be handed
the same paths with every unit of work.
"""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Sequence

from boundcheck.lang.declaration import REGISTRY, Statement, register

__all__ = ["load_statement_files"]

#: resolved path → the ids that file registered (this process)
_LOADED: dict[str, list[str]] = {}


def load_statement_files(paths: Sequence[str] | None, *, option: str = "--module") -> list[str]:
    """Import each file and register its statements; returns their ids (in file order).

    Raises ValueError with one line naming ``option`` and the path for anything wrong: a missing
    file, not a ``.py`` file, an import that fails, no statements, an id clash."""
    ids: list[str] = []
    for path in paths or ():
        p = Path(path)
        if not p.exists():
            raise ValueError(f"{option} {path}: no such file")
        if not p.is_file():
            raise ValueError(f"{option} {path}: not a file")
        if p.suffix != ".py":
            raise ValueError(f"{option} {path}: not a Python file (expected a .py file)")
        key = str(p.resolve())
        if key not in _LOADED or any(i not in REGISTRY for i in _LOADED[key]):  # (re-)load once unregistered
            _LOADED[key] = _load(p, key, path, option)
        ids += _LOADED[key]
    return ids


def _load(p: Path, key: str, path: str, option: str) -> list[str]:
    before = set(REGISTRY)
    name = f"boundcheck_user_{p.stem}_{hashlib.sha256(key.encode()).hexdigest()[:12]}"
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
        sys.modules.pop(name, None)
        raise ValueError(f"{option} {path}: importing it failed: {type(exc).__name__}: {exc}") from None
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
            raise ValueError(f"{option} {path}: defines no STATEMENTS list and registers no statement")
        return new
    if not isinstance(stmts, (list, tuple)) or not all(isinstance(s, Statement) for s in stmts):
        raise ValueError(f"{option} {path}: STATEMENTS must be a list of boundcheck Statements")
    ids = []
    for s in stmts:
        if s.id not in REGISTRY:
            register(s)
        elif REGISTRY[s.id] is not s and REGISTRY[s.id].fingerprint() != s.fingerprint():
            raise ValueError(f"{option} {path}: statement id {s.id!r} is already registered (a different "
                             f"declaration): rename it")
        ids.append(s.id)
    return ids
