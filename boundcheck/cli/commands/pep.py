"""``boundcheck pep ID``: exact worst cases of a statement on a parameter grid (performance
estimation), each point settled by an exact certificate (proved) or an exact witness (refuted)."""
from __future__ import annotations

import argparse
import re
import sys
import time

from boundcheck.cli.modules import add_module_argument, load_modules
from boundcheck.cli.options import add_scheduler_argument, command_line

LEGEND = ("worst ratio = sup LHS/RHS over every function of the class where RHS > 0, to solver accuracy (a "
          "statement can fail where RHS ≤ 0: see the next column); max LHS−RHS = the worst excess over instances "
          "scaled to tr G ≤ 1 (≤ 0 iff the bound holds); proved = an exact dual certificate of LHS ≤ RHS over every "
          "function of the class, checked in exact rationals; proved to δ = a certificate of LHS − RHS ≤ δ·tr G "
          "only, δ > 0 (AGD: rigorous balls, since λ is irrational); refuted = an exact witness, replayable; "
          "'-': none.")

_LIST_MAX = 64


def _k_list(s: str) -> list[int]:
    s = s.strip()
    m = re.fullmatch(r"(\d+)\s*\.\.\s*(\d+)", s)
    try:
        ks = list(range(int(m.group(1)), int(m.group(2)) + 1)) if m else [int(x) for x in s.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K as 1..10 or 1,2,5, got {s!r}") from None
    if not ks or any(k < 1 for k in ks):
        raise argparse.ArgumentTypeError(f"K must be positive integers, got {s!r}")
    if len(ks) > _LIST_MAX or max(ks) > 200:
        raise argparse.ArgumentTypeError(f"at most {_LIST_MAX} values of K, each ≤ 200 (got {s!r})")
    return ks


def _values(s: str) -> list[str]:
    vals = [v.strip() for v in s.split(",") if v.strip()]
    if not vals or len(vals) > _LIST_MAX:
        raise argparse.ArgumentTypeError(f"expected 1 to {_LIST_MAX} comma-separated rationals, got {s!r}")
    for v in vals:
        if not re.fullmatch(r"[0-9+\-./eE]{1,40}", v):
            raise argparse.ArgumentTypeError(f"expected rationals such as 1/2 or 0.25, got {v!r}")
    return vals


def _setting(s: str) -> tuple[str, list[str]]:
    name, sep, vals = s.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,40}", name.strip()):
        raise argparse.ArgumentTypeError(f"expected NAME=V1,V2 (e.g. eta_frac=1/2,1), got {s!r}")
    return name.strip(), _values(vals)


_SHORT = (("eta", "η in natural units"), ("eta-frac", "η as a fraction of its upper end (e.g. 1 for η = 1/β)"),
          ("gamma", "the prox parameter γ"), ("lambda-init", "AGD's λ_init"), ("beta", "the smoothness β (default 1)"),
          ("mu", "strong convexity μ"), ("rho", "the Lipschitz constant ρ"))


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("pep", parents=[common], help="exact worst cases on a grid: proved / refuted with exact files",
                       description="Performance estimation: the worst case of the statement over EVERY function of "
                       "its class (not a search), at each grid point; each point is settled in exact arithmetic: an "
                       "exact dual certificate (boundcheck check-certificate re-checks it) or an exact primal witness "
                       "(boundcheck replay re-checks it).  Without options, the statement's declared grid.  Exit 0: "
                       "every point settled; 1: some point inconclusive; 2: bad input.")
    p.add_argument("statement", metavar="ID")
    p.add_argument("--K", type=_k_list, default=None, metavar="LIST", help="steps: 1..10 or 1,2,5")
    for name, hlp in _SHORT:
        p.add_argument(f"--{name}", type=_values, default=None, metavar="LIST", help=f"{hlp}; comma-separated rationals")
    p.add_argument("--set", type=_setting, action="append", default=[], metavar="NAME=LIST",
                   help="any other parameter of the statement (repeatable)")
    p.add_argument("--method", default=None, help="the inner method, where the statement has several")
    p.add_argument("--solver", choices=("auto", "clarabel", "scs"), default="auto",
                   help="SDP solver (auto: Clarabel, SCS for large Gram matrices)")
    p.add_argument("--no-certify", action="store_true", help="only solve (no exact certificate or witness)")
    p.add_argument("--sandwich", action="store_true",
                   help="AGD uniform stability (Section 6's conjecture): per K, an explicit lower bound (re-checked "
                        "instances) next to the PEP's upper bound (default K = 1..20, η = 1/β, B from the grid)")
    p.add_argument("--out-dir", default="reports", help="certificates/ and witnesses/ are written here (default reports)")
    p.add_argument("--json", metavar="PATH", help="write every grid point as JSON")
    add_scheduler_argument(p, units="grid points")
    add_module_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from boundcheck.outputs.paths import check_output_dir, check_output_file
    if args.json:
        check_output_file(args.json, option="--json", suffixes=(".json",))
    check_output_dir(args.out_dir, option="--out-dir")
    from boundcheck.parallel import UnitFailed, get_scheduler, parse_spec
    parse_spec(args.scheduler)
    load_modules(args.module)
    from boundcheck.paper import get_statement
    from boundcheck.pep.grid import grid_points, run_grid
    st = get_statement(args.statement)
    values = {name.replace("-", "_"): getattr(args, name.replace("-", "_")) for name, _ in _SHORT}
    values.update(dict(args.set))
    if args.sandwich:
        return _sandwich(args, st, values)
    points = grid_points(st, args.K, values)
    if len(points) > 2000:
        raise ValueError(f"{len(points)} grid points: at most 2000 in one run")
    from boundcheck.outputs import Progress, format_table
    quiet = getattr(args, "quiet", False)
    bar = Progress(len(points), "pep", enabled=None if not quiet else False)
    t0 = time.monotonic()
    try:
        with get_scheduler(args.scheduler) as sched:
            rows = run_grid(st, points, method=args.method, out_dir=None if args.no_certify else args.out_dir,
                            certify=not args.no_certify, solver=args.solver, scheduler=sched,
                            progress=lambda d, n: bar.update(d), modules=tuple(args.module or ()))
    except UnitFailed as exc:
        bar.close()
        print(f"boundcheck: error: {exc}", file=sys.stderr)
        return 1
    bar.close()
    seconds = time.monotonic() - t0
    code = 0 if all(r.verdict in ("proved", "proved to δ", "refuted", "unsettled") for r in rows) else 1
    if not quiet:
        def ratio(r):
            if r.ratio is None:
                return "-"
            return "∞" if r.ratio == float("inf") else f"{r.ratio:.6g}"
        def excess(r):
            return "-" if r.difference is None else ("∞" if r.difference == float("inf") else f"{r.difference:.3g}")
        table = [(r.K, ", ".join(f"{k}={v}" for k, v in r.params.items()) or "-", ratio(r), excess(r), r.verdict,
                  r.delta if r.delta is not None else "-", r.file or "-", f"{r.seconds:.2f}") for r in rows]
        print(f"{st.id}: {rows[0].extra.get('class', '') if rows else ''}")
        print(format_table(["K", "parameters", "worst ratio", "max LHS−RHS", "verdict", "δ", "file", "s"], table))
        notes: dict[str, list] = {}
        for r in rows:
            if r.note:
                notes.setdefault(r.note, []).append(r.K)
        for note, ks in notes.items():
            print(f"  {note} (K = {', '.join(map(str, sorted(set(ks))))})")
        counts = {v: sum(r.verdict == v for r in rows) for v in ("proved", "proved to δ", "refuted", "inconclusive",
                                                                  "unsettled")}
        counts = {k: n for k, n in counts.items() if n or k not in ("unsettled", "proved to δ")}
        print(f"  {LEGEND}")
        print(f"{len(rows)} points: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + f" ({seconds:.1f} s; exit {code})")
    if args.json:
        from boundcheck.outputs import files
        files.write(args.json, "pep", {"statement": st.id, "fingerprint": st.fingerprint(), "seconds": seconds,
                                       "exit_code": code, "rows": [r.as_dict() for r in rows]}, command=command_line())
    return code


def _sandwich(args: argparse.Namespace, st, values: dict) -> int:
    from boundcheck.pep.grid import is_stability
    if not is_stability(st) or st.methods != ("agd",):
        raise ValueError(f"--sandwich is for AGD uniform stability statements (e.g. lemma12_smooth_convex), not {st.id}")
    Bs = values.get("B") or list((st.pep_grid or {}).get("B", ("1000",)))
    if len(Bs) != 1 or not str(Bs[0]).isdigit() or not 2 <= int(Bs[0]) <= 10**6:
        raise ValueError("--sandwich takes one batch size: --set B=1000 (2 ≤ B ≤ 10^6)")
    if any(values.get(k) not in (None, ["1"]) for k in ("eta_frac", "eta", "lambda_init")):
        raise ValueError("--sandwich's lower bounds are built for η = 1/β and λ_init = 1")
    Ks = args.K or list(range(1, 21))
    from boundcheck.outputs import Progress, format_table
    from boundcheck.experiments.sandwich import sandwich
    quiet = getattr(args, "quiet", False)
    bar = Progress(len(Ks), "sandwich", enabled=None if not quiet else False)
    t0 = time.monotonic()
    done = [0]

    def tick(*_a):
        done[0] += 1
        bar.update(done[0])
    rows = sandwich(Ks, eta=1, B=int(Bs[0]), seed=0, solver=args.solver if args.solver != "auto" else "clarabel",
                    progress=tick)
    bar.close()

    def f(x, d=5):
        return "-" if x is None else f"{x:.{d}g}"
    if not quiet:
        print(f"{st.id}: ε of AGD on neighbouring batches of smooth convex ρ-Lipschitz losses, η = 1/β, B = {Bs[0]}, "
              "λ_init = 1, d_init = 0 (β = ρ = 1); ratios to ηρ²K²/B")
        print(format_table(["K", "lower ε", "upper ε", "lower ratio", "upper ratio", "(K+1)/K", "upper/lower", "lower from",
                            "PEP"], [(r["K"], f(r["lower"]), f(r["upper"]), f(r["lower_ratio"]), f(r["upper_ratio"]),
                                      f(r["quadratic_constant"], 4), f(r.get("gap"), 3), r.get("lower_kind", "-"),
                                      r.get("status", "-")) for r in rows]))
        print("  lower = an explicit instance re-checked in high precision; upper = the two-trajectory PEP over the "
              "Lipschitz smooth convex relaxation (necessary conditions only), a float upper bound, not a certificate; "
              "(K+1)/K = Lemma 12's sharp constant for quadratics; '-': not computed (solver failure).")
        print(f"{len(rows)} rows ({time.monotonic() - t0:.0f} s)")
    if args.json:
        from boundcheck.outputs import files
        files.write(args.json, "pep", {"statement": st.id, "sandwich": rows, "seconds": time.monotonic() - t0},
                    command=command_line())
    return 0
