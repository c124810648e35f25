"""``boundcheck verify``: settle the statement registry, print a table, optionally write JSON."""
from __future__ import annotations

import argparse

from boundcheck.engine import verify as _verify
from boundcheck.paper import statement_ids
from boundcheck.outputs.common import Progress, format_table, write_json_atomic
from boundcheck.cli.modules import add_module_argument, load_modules


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check every statement of the paper (as printed and corrected)",
                       description="Search every registered statement for counterexamples (high-precision "
                       "re-checked) and report verified / refuted / unresolved with the figures that could have "
                       "refuted it.  Exit 0: all verified, or refuted with the corrected version verified; "
                       "1: something unresolved or unsettled; 2: bad input.")
    p.add_argument("--statement", action="append", metavar="ID", help="only this statement (repeatable)")
    p.add_argument("--budget", type=float, default=_verify.DEFAULT_BUDGET,
                   help=f"seconds for the whole run (default {_verify.DEFAULT_BUDGET:g})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out-dir", default="reports/counterexamples", help="where counterexamples are saved")
    p.add_argument("--json", metavar="PATH", help="write the records as JSON")
    add_module_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    user_ids = load_modules(args.module)
    ids = args.statement or (user_ids if args.module else None)
    bar = Progress(args.budget, "verify")
    try:
        records = _verify.verify(ids, budget=args.budget, seed=args.seed, out_dir=args.out_dir,
                                 progress=lambda d, note: bar.update(d, note))
    finally:
        bar.close()
    rows = [(r.id, r.status, r.trials, r.worst_ratio, r.smallest_slack, r.counterexample or "-", r.corrected_by or "-")
            for r in records]
    print(format_table(["id", "status", "trials", "worst ratio", "min slack", "counterexample", "corrected by"], rows))
    by = {r.id: r for r in records}
    for r in records:
        fix = by.get(r.corrected_by) if r.corrected_by else None
        if r.status == "refuted" and fix is not None:
            why = fix.correction or r.correction or ""
            print(f"  {r.id} → {fix.id} ({fix.status}): {why}")
    code = _verify.exit_code(records)
    print(f"budget {args.budget:g} s, seed {args.seed}: "
          + ", ".join(f"{sum(r.status == s for r in records)} {s}" for s in ("verified", "refuted", "unresolved")))
    if args.json:
        write_json_atomic(args.json, [r.as_dict() for r in records])
    return code
