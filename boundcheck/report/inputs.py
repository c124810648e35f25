"""What the report takes in: its arguments, its output paths, and the files it reads.

Every check here runs *before* any work starts and raises ``ValueError`` with one line (the
CLI prints it and exits 2): the budget, the statement ids, the rates grid and seeds, the
figures summaries, the counterexample directory and the PDF path.  Nothing is created by a
check that fails; :func:`open_pdf` removes the directories it created if the run fails.

Every file the report did not just compute — a counterexample, a big-O family, a growth
table, a figures summary — is read here and only here, through the one hostile-input loader
:func:`boundcheck.outputs.files.load`.  The records returned are plain dicts holding only the
fields the pages use, each checked for its type (a file can say anything).
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

from boundcheck.outputs import files
from boundcheck.outputs.common import atomic_output

__all__ = ["check_budget", "check_ids", "check_rates", "check_output_dir", "check_inputs", "open_pdf",
           "read_result_file", "load_figures_summaries", "RATES_FUNCTION"]

#: the public import path of the function the rates pages run (and cite)
RATES_FUNCTION = "boundcheck.experiments.rates.run_rates"


# ============================================================================ arguments
def check_budget(budget: Any, name: str = "budget") -> float:
    """A positive finite number of seconds."""
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not (math.isfinite(budget) and budget > 0):
        raise ValueError(f"{name} must be a positive number of seconds, got {budget!r}")
    return float(budget)


def check_ids(ids: Sequence[str] | None) -> list[str] | None:
    """Every id registered (``ValueError`` naming the unknown one otherwise)."""
    if ids is None:
        return None
    from boundcheck.paper import get_statement
    for i in ids:
        get_statement(i)
    return list(ids)


def check_rates(grid: str, seeds: Any) -> None:
    """The rates grid parses and the seed count is an integer ≥ 2 (what ``run_rates`` needs)."""
    from boundcheck.experiments.rates import parse_grid
    try:
        parse_grid(grid)
    except ValueError as exc:
        raise ValueError(f"--rates-grid: {str(exc).removeprefix('--grid: ')}") from None
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 2:
        raise ValueError(f"--rates-seeds must be an integer >= 2 (confidence intervals need two), got {seeds!r}")


def _probe_writable(d: Path, what: str) -> None:
    """Create and remove a file in ``d``: the only test that also holds for root (who passes
    ``os.access`` everywhere) and for read-only or virtual file systems (/sys, /proc)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".boundcheck-probe.", dir=d)
    except OSError as exc:
        raise ValueError(f"{what}: cannot write to {d} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(tmp)


def _nearest_existing(p: Path) -> Path:
    q = p
    while not q.exists() and q != q.parent:
        q = q.parent
    return q


def check_output_dir(path: str | os.PathLike, what: str) -> Path:
    """A directory that exists and is writable, or can be created (nothing is created here)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{what} {p} exists and is not a directory")
    base = _nearest_existing(p.absolute())
    if not base.is_dir():  # e.g. /etc/passwd/sub: a file on the way
        raise ValueError(f"{what} {p}: {base} is not a directory")
    _probe_writable(base, f"{what} {p}")
    return p


def check_inputs(ids: Sequence[str] | None, *, budget: Any, step_limit: Any, with_rates: bool, rates_grid: str,
                 rates_seeds: Any, counterexample_dir: str | os.PathLike | None,
                 figures: Sequence[str | os.PathLike] = ()) -> list[dict]:
    """Every check that must pass before the report starts; returns the figures summaries."""
    check_budget(budget)
    check_budget(step_limit, "step limit")
    check_ids(ids)
    if with_rates:
        check_rates(rates_grid, rates_seeds)
    if counterexample_dir is not None:
        check_output_dir(counterexample_dir, "--counterexample-dir")
    return load_figures_summaries(figures)


class _PdfTarget:
    """The atomic write of the PDF plus the directories created for it (removed on failure)."""

    def __init__(self, out: str | os.PathLike) -> None:
        p = Path(out)
        if p.is_dir():
            raise ValueError(f"{p} is a directory; give a file name for the PDF")
        base = _nearest_existing(p.absolute().parent)
        if not base.is_dir():
            raise ValueError(f"cannot write to {p.parent}: {base} is not a directory")
        _probe_writable(base, f"--out {p}")
        self.created = [d for d in [p.absolute().parent, *p.absolute().parent.parents] if not d.exists()]
        self.ctx = atomic_output(p, suffix=".pdf")
        try:
            self.tmp = self.ctx.__enter__()
        except (OSError, ValueError) as exc:
            self._remove_dirs()
            msg = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ValueError(f"cannot write to {p.parent}: {msg}") from None

    def _remove_dirs(self) -> None:
        for d in self.created:  # deepest first
            try:
                d.rmdir()
            except OSError:
                pass

    def commit(self) -> None:
        self.ctx.__exit__(None, None, None)

    def abort(self, exc: BaseException) -> None:
        self.ctx.__exit__(type(exc), exc, exc.__traceback__)
        self._remove_dirs()


def open_pdf(out: str | os.PathLike) -> _PdfTarget:
    """Check ``out`` and open its temporary file (``.tmp``); ``commit()`` renames it onto
    ``out``, ``abort(exc)`` removes it and any directory made for it."""
    return _PdfTarget(out)


# ============================================================================ files
def _str(x: Any, default: str = "") -> str:
    return x if isinstance(x, str) else default


def _dict(x: Any) -> dict:
    return x if isinstance(x, dict) else {}


def read_result_file(path: str | os.PathLike) -> dict:
    """A counterexample, big-O family or growth file, as the pages use it.

    Returns ``{"kind": ..., "file": path, ...}`` with, by kind: ``structure``, ``params``
    (name → list of numbers, each checked), ``check`` (the high-precision re-check) and
    ``scale``; ``family`` (text) and ``members`` (Θ-constant → list of {B, ratio}); or
    ``rows`` (a growth table).  A file that cannot be read gives ``{"error": one line}``.
    """
    out: dict = {"file": str(path)}
    try:
        rec = files.load(path, ("counterexample", "family", "growth"))
    except (OSError, ValueError) as exc:
        out["error"] = f"cannot read {path}: {exc}"
        return out
    out["kind"] = rec["kind"]
    if rec["kind"] == "family":
        out["family"] = _str(rec.get("family"))
        members = _dict(rec.get("members"))
        out["members"] = {str(c): [m for m in v if isinstance(m, dict)] for c, v in members.items()
                          if isinstance(v, list)}
        return out
    if rec["kind"] == "growth":
        g = rec.get("growth", rec.get("rows"))
        rows = g.get("growth", g.get("rows")) if isinstance(g, dict) else g
        out["rows"] = [x for x in rows if isinstance(x, dict)] if isinstance(rows, list) else []
        out["statement"] = _str(rec.get("statement"))
        return out
    struct = _dict(rec.get("structure"))
    out["structure"] = {str(k): v for k, v in struct.items() if isinstance(v, (int, float, str))}
    params = {}
    for k, v in _dict(rec.get("params")).items():
        try:
            files.check_numbers(f"params[{k!r}]", v)
        except ValueError as exc:
            out["error"] = f"cannot read {path}: {exc}"
            return out
        params[str(k)] = v
    out["params"] = params
    out["check"] = _dict(rec.get("high_precision_check", rec.get("check")))
    sc = rec.get("scale", 1.0)
    out["scale"] = float(sc) if isinstance(sc, (int, float)) and not isinstance(sc, bool) else 1.0
    return out


def _plain_figures_summary(path: str | os.PathLike, exc: files.MalformedFile) -> Any:
    """Transitional: a summary written by ``figures --json`` before it wrote ``boundcheck/figures``
    files (plain JSON: a summary or a list of them).  Read with the loader's own limits (regular
    file, size, UTF-8, no NaN, bounded nesting); a file that claims a format is the loader's
    business, so its error stands.  Remove once figures writes ``boundcheck/figures``."""
    text = files._read_text(Path(path))
    try:
        obj = json.loads(text, parse_constant=files._reject_constant)
    except (ValueError, RecursionError):
        raise exc from None
    if (isinstance(obj, dict) and "format" in obj) or not files._depth_ok(obj):
        raise exc
    return obj


def load_figures_summaries(paths: Sequence[str | os.PathLike]) -> list[dict]:
    """Read the summaries of ``boundcheck figures --json`` runs (one per dataset), each checked
    for the fields the report uses; ``ValueError`` (one line) for a file that is not one."""
    out = []
    for p in paths or ():
        try:
            rec = files.load(p, "figures")
            items = rec["runs"]  # what ``boundcheck figures --json`` writes (validated by outputs.schema)
        except FileNotFoundError:
            raise ValueError(f"--with-figures {p}: no such file") from None
        except files.MalformedFile as exc:
            try:
                items = _plain_figures_summary(p, exc)
            except (OSError, ValueError) as exc2:
                raise ValueError(f"--with-figures {p}: cannot read a figures summary ({exc2})") from None
        items = items if isinstance(items, list) else [items]
        for it in items:
            if not (isinstance(it, dict) and isinstance(it.get("agreement"), dict)
                    and isinstance(it.get("figures"), dict) and isinstance(it.get("dataset"), str)):
                raise ValueError(f"--with-figures {p}: not a 'boundcheck figures --json' summary")
            out.append(dict(it, _source=str(p)))
    return out
