"""``boundcheck new-statement NAME``: write a starting file for a lemma of your own."""
from __future__ import annotations

import argparse
import re

TEMPLATES = {
    "one-batch": ('one_batch()', 'f(w_out) - f(w_init)', '0',
                  "K steps on one batch objective: here, 'GD with η ≤ 1/β does not increase f'"),
    "minimizer": ('one_batch(comparator="minimizer")', 'f(w_out) - f(w_star)', 'D0**2 / (2 * eta * K)',
                  "w* a minimiser by construction: here, GD's classical rate ‖w_0 − w*‖²/(2ηK)"),
    "neighbours": ('neighbours()', 'stability()', '2 * eta * K * rho**2 / B',
                   "two runs on neighbouring batches, Definition 1's supremum: here, Lemma 6"),
    "sgd": ('sgd_paths()', 'stability()', '2 * rho**2 * T * eta / B',
            "SGD over every sample path: here, Hardt–Recht–Singer"),
}

TEXT = '''"""{title}

A statement of your own, checked by boundcheck.  Run it as a test:

    python -m pytest {path}                              # pass = verified, fail = counterexample
    boundcheck verify --module {path}                    # the same, as a table (and --json)
    boundcheck search {ident} --module {path} --scale 0.98   # how tight is it?

Setting: {what}.  Edit the declaration: the function class (cls), the method ("gd", "prox", "agd"),
the parameters with their domains (the hypotheses: Interval(0, 1/beta, left_open=True) is 0 < η ≤ 1/β), the
quantity (lhs) and the bound, exactly as printed.  `boundcheck show {ident} --module {path}` prints it.
"""
import sympy as sp

import boundcheck as bc
from boundcheck import (B, D, K, T, Interval, beta, eta, f, neighbours, norm, one_batch, rho, sgd_paths, stability,
                        statement, w_init, w_out, w_star)
from boundcheck.testing import lemma

D0 = sp.Symbol("D0", nonnegative=True)  # ‖w_init − w*‖ in a bound: where={{D0: norm(w_init - w_star)}}

{upper} = statement(
    "{ident}", "{title}",
    printed=r"(the statement as printed)",
    cls=bc.{cls}, method="gd", setting={setting},
    params={{eta: Interval(0, {limit} / beta, left_open=True)}},
    lhs={lhs}, bound={bound},{where}
)

STATEMENTS = [{upper}]  # for --module


@lemma
def test_{ident}():
    return {upper}
'''


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("new-statement", parents=[common], help="write a starting file for a lemma of your own",
                       description="Write test_NAME.py: a declared statement (edit it), the STATEMENTS list "
                       "'--module' reads, and a @lemma test that pytest runs.  Never overwrites a file.")
    p.add_argument("name", metavar="NAME", help="the statement's id (letters, digits, _)")
    p.add_argument("--setting", choices=sorted(TEMPLATES), default="one-batch",
                   help="where the quantity lives (default one-batch)")
    p.add_argument("--out", metavar="PATH", default=None, help="the file to write (default test_NAME.py)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path
    from boundcheck.outputs.paths import check_output_file
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", args.name):
        raise ValueError(f"NAME must be letters, digits and _ (starting with a letter), got {args.name!r}")
    path = Path(args.out or f"test_{args.name}.py")
    check_output_file(path, option="--out", suffixes=(".py",))
    if path.exists():
        raise ValueError(f"{path} exists: boundcheck new-statement never overwrites a file")
    setting, lhs, bound, what = TEMPLATES[args.setting]
    cls = {"minimizer": "REALISABLE_SMOOTH_CONVEX", "neighbours": "SMOOTH_CONVEX.restrict(('linear', 'quadratic'))"}.get(
        args.setting, "SMOOTH_CONVEX")
    limit = 2 if args.setting == "sgd" else 1
    from boundcheck.outputs.common import atomic_output
    with atomic_output(path) as tmp:
        tmp.write_text(TEXT.format(title=f"My lemma: {args.name}", path=path, ident=args.name, upper=args.name.upper(),
                                   what=what, cls=cls, setting=setting, lhs=lhs, bound=bound, limit=limit,
                                   where="\n    where={D0: norm(w_init - w_star)}," if "D0" in bound else ""))
    if not getattr(args, "quiet", False):
        print(f"wrote {path}: run 'python -m pytest {path}' (or 'boundcheck verify --module {path}')")
    return 0
