"""``boundcheck replay FILE.json``: re-evaluate a saved counterexample in high precision.

Exit 0: still a counterexample; 1: not (any more); 2: the file is malformed."""
from __future__ import annotations

import argparse
import sys

from boundcheck.engine.replay import MalformedFile, replay
from boundcheck.cli.modules import add_module_argument, load_modules


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="re-check a saved counterexample (exit 0 yes, 1 no, 2 malformed)",
                       description="Re-evaluate a counterexample file in high precision (mpmath, 60 and 90 digits). "
                       "Nothing in the file is executed: it is validated as untrusted JSON.")
    p.add_argument("file", metavar="FILE.json")
    p.add_argument("--dps", type=int, default=60, help="decimal digits (default 60; a second pass uses +30)")
    add_module_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    load_modules(args.module)
    if args.dps < 30:
        raise ValueError("--dps must be at least 30")
    try:
        out = replay(args.file, dps=args.dps)
    except MalformedFile as exc:
        print(f"boundcheck: malformed counterexample file: {exc}", file=sys.stderr)
        return 2
    c = out["check"]
    verdict = "still a counterexample" if out["still_counterexample"] else "NOT a counterexample"
    print(f"{out['statement']} (bound × {out['scale']:g}): {verdict}")
    print(f"  LHS       = {c['lhs']}")
    print(f"  S·RHS     = {c['scaled_rhs']}")
    print(f"  margin    = {c['margin']} (at {c['dps'][1]} digits; {c['margin_at_lower_precision']} at {c['dps'][0]})")
    if c["violated_hypotheses"]:
        print(f"  violates hypotheses: {', '.join(c['violated_hypotheses'])}")
    return 0 if out["still_counterexample"] else 1
