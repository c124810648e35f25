"""``boundcheck list``: every statement and encoding, with the status of the last verify run.

The statuses come from the small file every ``boundcheck verify`` records
(``reports/last-verify.json``, :mod:`boundcheck.outputs.lastrun`) or from a ``verify --json``
file; ``list --json`` writes the listing as plain JSON (it is no run record, so it is not a
``boundcheck/<kind>`` file and ``--last`` does not read it)."""
from __future__ import annotations

import argparse
import sys

#: the files ``list`` reads the last statuses from when --last is not given (the newer one wins)
DEFAULT_LAST = ("reports/last-verify.json", "reports/verify.json")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("list", parents=[common], help="list the statements (ids, kind, last status) and encodings",
                       description="List every registered statement (as printed and corrected), Section 6's "
                       "conjecture, and the encodings of the paper's definitions and algorithms.  The status "
                       "column is that of the last 'boundcheck verify' run: every run records it in "
                       "last-verify.json next to its --out-dir (reports/last-verify.json by default); without "
                       "--last the newer of reports/last-verify.json and reports/verify.json is read.  '-' when "
                       "no run is known; '(older declaration)' when the statement changed since.")
    p.add_argument("--last", metavar="VERIFY.json", default=None,
                   help="a last-verify.json or 'boundcheck verify --json' file to read the last statuses from")
    p.add_argument("--json", metavar="PATH",
                   help="write the list as plain JSON ({\"list\": [...]}; not a boundcheck run file)")
    p.set_defaults(func=run)


def record_last_run(args: argparse.Namespace, records: list) -> None:
    """Called by ``verify``: record its statuses next to --out-dir (a failure to write is a warning, never
    the run's end)."""
    from boundcheck.cli.options import command_line
    from boundcheck.outputs import lastrun
    path = lastrun.path_for(args.out_dir)
    try:
        lastrun.record(path, [{"id": r.id, "status": r.status, "fingerprint": r.fingerprint} for r in records],
                       seed=args.seed, trials=args.trials, command=command_line())
    except (OSError, ValueError) as exc:
        print(f"boundcheck: warning: could not record the run's statuses in {path}: {exc}", file=sys.stderr)


def _last_file(args: argparse.Namespace) -> str | None:
    from pathlib import Path
    if args.last is not None:
        return args.last
    found = [p for p in map(Path, DEFAULT_LAST) if p.is_file()]
    return str(max(found, key=lambda p: p.stat().st_mtime)) if found else None


def run(args: argparse.Namespace) -> int:
    from pathlib import Path
    from boundcheck.outputs import format_table, lastrun, write_json_atomic
    from boundcheck.outputs.files import MalformedFile
    from boundcheck.outputs.paths import check_output_file
    from boundcheck.paper import ENCODINGS, REGISTRY
    if args.json:
        check_output_file(args.json, option="--json", suffixes=(".json",))
    path = _last_file(args)
    last: dict[str, dict] = {}
    if path is not None and Path(path).is_file():
        try:
            last = lastrun.statuses(path)
        except MalformedFile:
            if args.last is not None:  # the file asked for: bad input (exit 2)
                raise
            print(f"boundcheck: warning: {path} is not a verify record; no last statuses shown", file=sys.stderr)

    def status(i: str, st) -> str:
        e = last.get(i)
        if e is None:
            return "-"
        fp = e.get("fingerprint")
        return e["status"] + (" (older declaration)" if fp and fp != st.fingerprint() else "")
    rows = [(i, st.kind, st.number, st.setting.name if st.setting else ("family" if st.big_o_family else "table"),
             status(i, st), st.corrected_by or "-") for i, st in REGISTRY.items()]
    rows += [(i, e.kind, e.number, "encoding", "encoded", "-") for i, e in ENCODINGS.items()]
    if not getattr(args, "quiet", False):
        print(format_table(["id", "kind", "number", "setting", "last status", "corrected by"], rows))
        print(f"  last status: {'from ' + path if last else 'no verify run known (see --last)'}.  '-': no status "
              f"known, or no corrected version.  'boundcheck show ID' for details.")
    if args.json:
        write_json_atomic(args.json, {"last_statuses_from": path if last else None,
                                      "list": [dict(zip(("id", "kind", "number", "setting", "last_status",
                                                         "corrected_by"), r)) for r in rows]})
    return 0
