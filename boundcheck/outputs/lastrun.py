"""The last ``verify`` run's statuses, kept in a small file so that ``boundcheck list`` can show them.

Every ``boundcheck verify`` records, next to its counterexample folder (``reports/last-verify.json``
for the default ``reports/counterexamples``), one entry per statement it settled: id, status, the
declaration's fingerprint, seed and trials.  A run of some statements only (``--statement``)
updates their entries and keeps the others.  The file is a ``boundcheck/verify`` file (the kind of
every verify record) written atomically through :mod:`boundcheck.outputs.files`, with
``"last_run": true`` and ``records`` like a ``verify --json`` file, so one reader serves both.

Owns: that file's layout.  May import: ``boundcheck.outputs.files`` only.
"""
from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from boundcheck.outputs import files
from boundcheck.outputs.files import MalformedFile

__all__ = ["FILE_NAME", "path_for", "record", "statuses"]

FILE_NAME = "last-verify.json"
_KEYS = ("id", "status", "fingerprint", "seed", "trials", "created")


def path_for(out_dir: str | os.PathLike) -> Path:
    """Where a verify run whose counterexamples go to ``out_dir`` records its statuses: the folder above it."""
    return Path(out_dir).parent / FILE_NAME


def _entries(rec: Mapping[str, Any]) -> dict[str, dict]:
    """The well-formed entries of a verify record (hostile input: short strings only)."""
    out: dict[str, dict] = {}
    for r in rec.get("records", []) if isinstance(rec.get("records"), list) else []:
        if not isinstance(r, dict):
            continue
        sid, status = r.get("id"), r.get("status")
        if isinstance(sid, str) and isinstance(status, str) and len(sid) <= 200 and len(status) <= 32:
            fp = r.get("fingerprint")
            out[sid] = {"id": sid, "status": status, "fingerprint": fp if isinstance(fp, str) and len(fp) <= 128 else "",
                        **{k: r[k] for k in ("seed", "trials", "created") if isinstance(r.get(k), (int, str))}}
    return out


def record(path: str | os.PathLike, runs: Iterable[Mapping[str, Any]], *, seed: int, trials: int | None,
           command: str | None = None) -> Path:
    """Record the statuses of ``runs`` (mappings with id, status, fingerprint) in ``path``, atomically,
    keeping the entries of statements this run did not settle."""
    try:
        kept = _entries(files.load(path, "verify"))
    except (FileNotFoundError, MalformedFile):
        kept = {}
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    for r in runs:
        kept[str(r["id"])] = {"id": str(r["id"]), "status": str(r["status"]), "fingerprint": str(r.get("fingerprint") or ""),
                              "seed": int(seed), "trials": trials, "created": now}
    return files.write(path, "verify", {"last_run": True, "records": [{k: e.get(k) for k in _KEYS}
                                                                      for e in kept.values()]},
                       seed=seed, command=command)


def statuses(path: str | os.PathLike) -> dict[str, dict]:
    """id → entry (status, fingerprint, …) from a last-run file or any ``verify --json`` file.
    Raises FileNotFoundError or MalformedFile."""
    return _entries(files.load(path, "verify"))
