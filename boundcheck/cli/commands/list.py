"""``boundcheck list``: every statement and encoding, with the status of the last saved run."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("list", parents=[common], help="list the statements (ids, kind, last status) and encodings",
                       description="List every registered statement (as printed and corrected), Section 6's "
                       "conjecture, and the encodings of the paper's definitions and algorithms.  The status "
                       "column is read from the last 'verify --json' file given with --last (default "
                       "reports/verify.json if it exists); '-' when no run is known.")
    p.add_argument("--last", metavar="VERIFY.json", default="reports/verify.json",
                   help="a 'boundcheck verify --json' file to read the last statuses from")
    p.add_argument("--json", metavar="PATH", help="write the list as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path
    from boundcheck.outputs import files, format_table
    from boundcheck.paper import ENCODINGS, REGISTRY
    last: dict[str, str] = {}
    if Path(args.last).is_file():
        rec = files.load(args.last, "verify")
        last = {r.get("id"): r.get("status") for r in rec.get("records", []) if isinstance(r, dict)}
    rows = [(i, st.kind, st.number, st.setting.name if st.setting else ("family" if st.big_o_family else "table"),
             last.get(i, "-"), st.corrected_by or "-") for i, st in REGISTRY.items()]
    rows += [(i, e.kind, e.number, "encoding", "encoded", "-") for i, e in ENCODINGS.items()]
    if not getattr(args, "quiet", False):
        print(format_table(["id", "kind", "number", "setting", "last status", "corrected by"], rows))
        print("  '-': no verify run known (see --last), or no corrected version.  'boundcheck show ID' for details.")
    if args.json:
        files.write(args.json, "verify", {"list": [dict(zip(("id", "kind", "number", "setting", "last_status",
                                                              "corrected_by"), r)) for r in rows]})
    return 0
