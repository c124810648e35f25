"""Output paths checked before any work starts (one clear line, nothing left behind).

A command that will write ``--json PATH``, ``--plot PATH``, ``--out DIR`` or ``--cache DIR``
calls :func:`check_output_path` while parsing its options, so a path that cannot be
written is refused *before* minutes of computation, not after.  The check is honest: it
creates (and removes) a probe file in the nearest existing directory, because permission
bits say nothing for root and nothing about read-only or virtual file systems (``/sys``).
Nothing is created that outlives the check: missing directories are not made here.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal, Sequence

__all__ = ["check_output_path", "check_output_file", "check_output_dir"]


def _nearest_existing(p: Path) -> Path:
    q = p
    while not q.exists():
        if q.parent == q:
            break
        q = q.parent
    return q


def _probe_writable(d: Path, option: str, target: Path) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=".boundcheck-probe-", dir=d)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise ValueError(f"{option} {target}: cannot write in {d} ({why})") from None
    os.close(fd)
    os.unlink(tmp)


def check_output_path(path: str | os.PathLike, kind: Literal["file", "dir"] = "file", *, option: str = "--out",
                      suffixes: Sequence[str] | None = None) -> Path:
    """``path`` as a Path if it can be written as a ``kind``; else a one-line ValueError naming ``option``.

    kind "file": not an existing directory; every existing ancestor a directory; the nearest
    existing one writable (probed); an existing file must itself be writable.  ``suffixes``
    (e.g. ``(".png", ".pdf", ".svg")``): the extensions the writer can produce.
    kind "dir": an existing directory that is writable, or a path whose nearest existing
    ancestor is a writable directory (it is created when the command writes).
    """
    if kind not in ("file", "dir"):
        raise ValueError(f"kind must be 'file' or 'dir', got {kind!r}")
    s = os.fspath(path)
    if not s or "\x00" in s:
        raise ValueError(f"{option}: empty or invalid path {s!r}")
    p = Path(s).expanduser()
    if kind == "file":
        if s.endswith(os.sep) or p.is_dir():
            raise ValueError(f"{option} {p}: is a directory; give a file name")
        if suffixes is not None and p.suffix.lower() not in tuple(x.lower() for x in suffixes):
            raise ValueError(f"{option} {p}: unsupported file type {p.suffix or '(none)'!r}; "
                             f"use {', '.join(suffixes)}")
        anc = _nearest_existing(p.parent if str(p.parent) else Path("."))
        if not anc.is_dir():
            raise ValueError(f"{option} {p}: {anc} is not a directory")
        if p.exists():
            if not p.is_file():
                raise ValueError(f"{option} {p}: exists and is not a regular file")
        _probe_writable(anc, option, p)
        return p
    if p.exists():
        if not p.is_dir():
            raise ValueError(f"{option} {p}: is not a directory")
        _probe_writable(p, option, p)
        return p
    anc = _nearest_existing(p)
    if not anc.is_dir():
        raise ValueError(f"{option} {p}: {anc} is not a directory")
    _probe_writable(anc, option, p)
    return p


def check_output_file(path: str | os.PathLike, *, option: str = "--out", suffixes: Sequence[str] | None = None) -> Path:
    """A file the run will write (see :func:`check_output_path`)."""
    return check_output_path(path, "file", option=option, suffixes=suffixes)


def check_output_dir(path: str | os.PathLike, *, option: str = "--out-dir") -> Path:
    """A folder the run will write into (see :func:`check_output_path`)."""
    return check_output_path(path, "dir", option=option)
