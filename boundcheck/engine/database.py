"""The example database: saved counterexamples are re-checked before any new search.

As in hypothesis, a counterexample once found is the first thing tried next time: before
``verify`` or ``search`` draws a single instance, every file in the database folder that was
saved for the same statement *and the same declaration* (its fingerprint) is re-checked at
the search's scale S (``verify``: S = 1; ``search --scale S``: S).  A file saved at a scale
s ≥ S is a candidate (LHS > s·RHS ≥ S·RHS when RHS ≥ 0; the high-precision re-check decides
in every case); one saved against a smaller bound is not.  If one is still a counterexample the
search stops there (``reused`` names the file).  A file for an older declaration is not trusted
blindly: it is skipped.  Unreadable files are skipped with a log line, never an error (the
folder is a cache, not an input).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from boundcheck.engine.recheck import recheck
from boundcheck.engine.instances import check_instance
from boundcheck.outputs import files
from boundcheck.outputs.files import MalformedFile

log = logging.getLogger("boundcheck")

__all__ = ["ExampleDatabase"]


class ExampleDatabase:
    """Counterexample files in ``directory`` (``reports/counterexamples`` by default)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        #: the files the last :meth:`replay_first` re-checked (in order; the last one is the hit, if any)
        self.rechecked: list[Path] = []

    def candidates(self, st: Any) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob(f"{st.id}*.json") if p.is_file())

    def replay_first(self, st: Any, scale: float = 1.0) -> Any:
        """A found SearchResult from the first saved counterexample that still holds against the
        bound × ``scale``, else None."""
        from boundcheck.engine.search import SearchResult
        fp = st.fingerprint()
        scale = float(scale)
        self.rechecked = []
        for p in self.candidates(st):
            try:
                rec = files.load(p, "counterexample")
            except (MalformedFile, FileNotFoundError) as exc:
                log.info("example database: skipping %s (%s)", p, exc)
                continue
            if rec.get("statement") != st.id or rec.get("fingerprint") != fp or not float(rec["scale"]) >= scale:
                continue
            self.rechecked.append(p)
            try:
                structure, params = check_instance(st, rec["structure"], rec["params"])
                chk = recheck(st, structure, params, scale)
            except (MalformedFile, ValueError, ArithmeticError) as exc:
                log.info("example database: %s does not replay (%s)", p, exc)
                continue
            if chk["is_counterexample"]:
                r = SearchResult(st.id, scale, found=True, fingerprint=fp, reused=str(p), stopped_by="found",
                                 counterexample={"structure": structure, "params": params, "check": chk})
                r.best_ratio = chk["ratio"] if chk["ratio"] is not None else r.best_ratio
                return r
        return None
