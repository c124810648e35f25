"""``boundcheck replay FILE.json``: re-check a saved file in high precision.

Counterexamples are re-evaluated (exit 0: still a counterexample; 1: not any more); big-O
families are recomputed (exit 0: still growing); 2: the file is malformed or missing, or names a
statement this process does not know (a user's own: pass its file with --module)."""
from __future__ import annotations

import argparse
import sys

from boundcheck.cli.modules import add_module_argument, load_modules


def _dps(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer number of digits, got {s!r}") from None
    if not 30 <= v <= 1000:
        raise argparse.ArgumentTypeError(f"--dps must be in [30, 1000], got {v}")
    return v


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("replay", parents=[common], help="re-check a saved file (exit 0 yes, 1 no, 2 malformed)",
                       description="Re-evaluate a counterexample file in high precision (mpmath, 60 and 90 digits), "
                       "or recompute a big-O family.  Nothing in the file is executed: it is validated as untrusted "
                       "JSON against the statement's declaration.")
    p.add_argument("file", metavar="FILE.json")
    p.add_argument("--dps", type=_dps, default=60, help="decimal digits (default 60; a second pass uses +30; at most 1000)")
    add_module_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path
    if not Path(args.file).exists():
        raise ValueError(f"{args.file}: no such file")
    load_modules(args.module)
    from boundcheck.engine.instances import UnknownStatement
    from boundcheck.engine.replay import MalformedFile, replay
    try:
        out = replay(args.file, dps=args.dps)
    except UnknownStatement as exc:  # not malformed: a statement this process does not know
        hint = ("not in the registry nor in the --module file(s)" if args.module
                else "a statement of your own? pass its file with --module PATH")
        print(f"boundcheck: {args.file}: unknown statement id {exc.sid!r} ({hint})", file=sys.stderr)
        return 2
    except MalformedFile as exc:
        print(f"boundcheck: malformed file: {exc}", file=sys.stderr)
        return 2
    if out.get("kind") == "witness":
        verdict = ("still a counterexample (" + ("exact" if out["arith"] == "exact" else "rigorous balls") + ")"
                   if out["still_counterexample"] else "NOT a counterexample")
        print(f"{out['statement']} (PEP witness, K = {out['K']}, {out['arith']} arithmetic): {verdict}: {out['reason']}")
        if out["lhs"] is not None:
            print(f"  LHS = {out['lhs']}")
            print(f"  RHS = {out['rhs']}")
        return 0 if out["still_counterexample"] else 1
    if out.get("kind") == "family":
        verdict = "still grows without bound" if out["still_counterexample"] else "does NOT grow (or differs)"
        print(f"{out['statement']} (big-O family): {verdict}; worst ratio {out['worst_ratio']:.6g}; saved ratios "
              f"{'agree' if out['saved_ratios_agree'] else 'DIFFER'}")
        return 0 if out["still_counterexample"] else 1
    if out.get("kind") == "growth":
        rows = ", ".join(f"K={r['K']}: {r['ratio']:.6g}" if r["ratio"] is not None else f"K={r['K']}: -"
                         for r in out["rows"])
        print(f"{out['statement']} (growth table): {'still grows' if out['still_grows'] else 'does NOT grow'}; "
              f"saved ratios {'agree' if out['saved_ratios_agree'] else 'DIFFER'}; {rows}")
        return 0 if out["still_counterexample"] else 1
    c = out["check"]
    verdict = "still a counterexample" if out["still_counterexample"] else "NOT a counterexample"
    print(f"{out['statement']} (bound × {out['scale']:g}): {verdict}")
    print(f"  LHS       = {c['lhs']}")
    print(f"  S·RHS     = {c['scaled_rhs']}")
    print(f"  margin    = {c['margin']} (at {c['dps'][1]} digits; {c['margin_at_lower_precision']} at {c['dps'][0]})")
    if c["violated_hypotheses"]:
        print(f"  violates hypotheses: {', '.join(c['violated_hypotheses'])}")
    if out.get("declaration_changed"):
        print("  note: the statement's declaration changed since the file was written (fingerprint differs)")
    return 0 if out["still_counterexample"] else 1
