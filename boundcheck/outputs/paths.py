"""Output paths checked before any work starts (bad input: one line, exit 2, nothing left behind).

``check_output_file`` and ``check_output_dir`` only *inspect* the file system: they create
nothing, so a refused run leaves no file and no folder behind.  They reject a file target that
is a directory, a path through a regular file (``/etc/passwd/x.json``), a folder that cannot be
written (``/sys``), and a file target whose suffix does not match what will be written.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["check_output_file", "check_output_dir"]


def _nearest_existing(p: Path) -> Path:
    q = p
    while not q.exists():
        if q.parent == q:
            break
        q = q.parent
    return q


def _writable(d: Path) -> bool:
    """A file can be created in ``d`` (probed with a temporary file that is removed at once:
    ``os.access`` says yes to root even on read-only virtual file systems such as /sys)."""
    import tempfile
    if not os.access(d, os.W_OK | os.X_OK):
        return False
    try:
        fd, tmp = tempfile.mkstemp(prefix=".boundcheck-probe-", dir=d)
    except OSError:
        return False
    os.close(fd)
    os.unlink(tmp)
    return True


def _check_chain(p: Path, what: str) -> None:
    """Every existing component above ``p`` is a directory, and the nearest one is writable."""
    anc = _nearest_existing(p.parent if str(p.parent) else Path("."))
    if not anc.is_dir():
        raise ValueError(f"{what} {p}: {anc} is not a directory")
    if not _writable(anc):
        raise ValueError(f"{what} {p}: the directory {anc} is not writable")


def check_output_file(path: str | os.PathLike, *, option: str = "output", suffixes: tuple[str, ...] = ()) -> Path:
    """A file the run will write: not a directory, reachable and writable, with one of ``suffixes``."""
    p = Path(path)
    what = f"{option}"
    if str(path) in ("", "."):
        raise ValueError(f"{what}: an empty path is not a file")
    if p.is_dir():
        raise ValueError(f"{what} {p} is a directory, not a file (name a file inside it)")
    if suffixes and p.suffix.lower() not in suffixes:
        raise ValueError(f"{what} {p}: expected a file ending in {' or '.join(suffixes)}")
    if p.exists():
        if not p.is_file():
            raise ValueError(f"{what} {p} exists and is not a regular file")
        if not os.access(p, os.W_OK):
            raise ValueError(f"{what} {p} is not writable")
        if not _writable(p.parent if str(p.parent) else Path(".")):
            raise ValueError(f"{what} {p}: the directory {p.parent} is not writable")
        return p
    _check_chain(p, what)
    return p


def check_output_dir(path: str | os.PathLike, *, option: str = "output directory") -> Path:
    """A folder the run will write into (created later if missing): not a file, writable."""
    p = Path(path)
    if p.exists():
        if not p.is_dir():
            raise ValueError(f"{option} {p} exists and is not a directory")
        if not _writable(p):
            raise ValueError(f"{option} {p} is not writable")
        return p
    _check_chain(p, option)
    return p
