"""``boundcheck check-certificate FILE``: re-check a PEP dual certificate exactly.

Exit 0: the certificate proves its claim (exact rationals, or rigorous balls for AGD); 1: it does
not (a tampered multiplier, a changed declaration, a matrix that is not PSD …); 2: the file is
malformed or missing.  No solver runs and nothing in the file is evaluated."""
from __future__ import annotations

import argparse
import json
import sys

from boundcheck.cli.modules import add_module_argument, load_modules


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("check-certificate", parents=[common],
                       help="re-check a PEP certificate exactly (exit 0 valid, 1 invalid, 2 malformed)",
                       description="Rebuild the statement's PEP from its declaration and check the file's "
                       "multipliers exactly: the function-value identity, the constant, and S ⪰ 0 by an exact "
                       "LDLᵀ (ball arithmetic with δ > 0 for AGD).  The file is untrusted input.")
    p.add_argument("file", metavar="FILE.json")
    p.add_argument("--json", action="store_true", help="print the verdict as one JSON object")
    add_module_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path
    if not Path(args.file).exists():
        raise ValueError(f"{args.file}: no such file")
    load_modules(args.module)
    from boundcheck.outputs.files import MalformedFile
    from boundcheck.pep.certificate import check_certificate, q_str
    try:
        res = check_certificate(args.file)
    except MalformedFile as exc:
        msg = " ".join(str(exc).split())
        if "unknown statement id" in msg and not args.module:
            msg += " (a statement of your own? pass its file with --module PATH)"
        print(f"boundcheck: malformed file: {msg}", file=sys.stderr)
        return 2
    delta = None if res.delta is None else q_str(res.delta)
    if args.json:
        print(json.dumps({"file": str(args.file), "valid": bool(res.valid), "reason": res.reason, "delta": delta}))
    elif not getattr(args, "quiet", False):
        verdict = "VALID" if res.valid else "INVALID"
        print(f"{args.file}: {verdict} certificate (δ = {delta}): {res.reason}")
    return 0 if res.valid else 1
