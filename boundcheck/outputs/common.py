"""Helpers shared by the CLI commands: tables, atomic output files, a progress bar."""
from __future__ import annotations

import json
import logging
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

log = logging.getLogger("boundcheck")

__all__ = ["format_table", "write_json_atomic", "atomic_output", "Progress", "fmt", "to_jsonable"]


def fmt(x: Any, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(xf):
        return "nan"
    if math.isinf(xf):
        return "inf" if xf > 0 else "-inf"
    if xf != 0 and (abs(xf) < 1e-3 or abs(xf) >= 1e5):
        return f"{xf:.{digits - 1}e}"
    return f"{xf:.{digits}g}"


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain-text table a person can read (right-aligned numbers)."""
    cells = [[str(h) for h in headers]] + [[c if isinstance(c, str) else fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    def line(r: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths)))
    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def to_jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return to_jsonable(x.tolist())
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        xf = float(x)
        return xf if math.isfinite(xf) else str(xf)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    if isinstance(x, Path):
        return str(x)
    return x


class atomic_output:
    """Context manager yielding a temporary path that is renamed onto ``path`` on success.

    On any exception (Ctrl-C included) the temporary file is removed, so no half-written
    output is ever left behind.  A clear ValueError is raised if the directory is not
    writable.
    """

    def __init__(self, path: str | os.PathLike, suffix: str = "") -> None:
        self.path = Path(path)
        self.suffix = suffix or self.path.suffix

    def __enter__(self) -> Path:
        d = self.path.parent if str(self.path.parent) else Path(".")
        if not d.exists():
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ValueError(f"cannot create output directory {d}: {exc.strerror}") from None
        if not os.access(d, os.W_OK):
            raise ValueError(f"output directory {d} is not writable")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=self.suffix + ".tmp", dir=d)
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, et, ev, tb) -> bool:
        if et is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)  # mkstemp creates 0600; outputs are ordinary files
            os.replace(self.tmp, self.path)
        else:
            try:
                self.tmp.unlink()
            except FileNotFoundError:
                pass
        return False


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(to_jsonable(obj), indent=2) + "\n")
    return Path(path)


class Progress:
    """A minimal progress bar on stderr with an estimate of the remaining time.

    Silent when ``enabled`` is false (e.g. ``--json -`` or not a terminal and quiet).
    """

    def __init__(self, total: float, label: str = "", enabled: bool | None = None, stream: Any = None) -> None:
        self.total = max(float(total), 1e-12)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.t0 = time.monotonic()
        self.done = 0.0
        self._last = 0.0

    def update(self, done: float, note: str = "") -> None:
        self.done = min(float(done), self.total)
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        frac = self.done / self.total
        el = now - self.t0
        eta = el / frac - el if frac > 0 else float("nan")
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        eta_s = f"{eta:5.0f}s left" if math.isfinite(eta) else "   ?s left"
        self.stream.write(f"\r{self.label} [{bar}] {100 * frac:5.1f}% {el:5.0f}s elapsed {eta_s} {note[:40]:40s}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
