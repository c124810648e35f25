"""``boundcheck verify``: settle the statement registry, print a table, optionally write JSON."""
from __future__ import annotations

import argparse
import sys
import time

from boundcheck.cli.modules import add_module_argument, load_modules
from boundcheck.cli.options import add_budget_arguments, add_scheduler_argument, check_seed, command_line

LEGEND = ("'-': no value — a verified statement has no counterexample, a refuted one no correction link, and a "
          "counterexample with RHS ≤ 0 has no ratio; trials = admissible instances evaluated; worst ratio = max "
          "LHS/RHS (1: the bound is attained); min slack = 1 − worst ratio; PEP (exact) = grid points of 'boundcheck "
          "pep' (or --pep) settled over every function of the class, every file re-checked now: 'exact' = a "
          "certificate of the statement, 'to δ' = of LHS − RHS ≤ δ·tr G, 'refuted' = an exact witness.")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("verify", parents=[common], help="check every statement of the paper (as printed and corrected)",
                       description="Search every registered statement for counterexamples (high-precision "
                       "re-checked) and report verified / refuted / unresolved with the figures that could have "
                       "refuted it.  Budgets are counts (--trials), so a seed gives the same result on any machine. "
                       "Exit 0: all verified, or refuted with the corrected version verified; 1: something "
                       "unresolved or unsettled; 2: bad input.")
    p.add_argument("--statement", action="append", metavar="ID", help="only this statement (repeatable)")
    add_budget_arguments(p, trials_help="instances evaluated per statement (default: each statement's own, "
                                        "chosen so that the whole registry takes about a minute on 2 cores)")
    p.add_argument("--out-dir", default="reports/counterexamples",
                   help="where counterexamples are saved, and re-checked first next time (default reports/counterexamples)")
    p.add_argument("--no-reuse", action="store_true", help="do not re-check the saved counterexamples first")
    p.add_argument("--no-diagnosis", action="store_true",
                   help="do not check every set of a refuted statement's declared corrections (minimal sets)")
    p.add_argument("--json", metavar="PATH", help="write the run (version, seed, trials, command, records) as JSON")
    p.add_argument("--pep", action="store_true",
                   help="first run 'boundcheck pep' on every chosen statement that declares a PEP grid (exact "
                        "certificates and witnesses over every function of its class; written next to --out-dir)")
    p.add_argument("--certificates", default="reports/certificates", metavar="DIR",
                   help="exact PEP certificates written by 'boundcheck pep' (re-checked here; the 'certified' column; "
                        "default reports/certificates)")
    add_scheduler_argument(p, units="statements (then the diagnoses of the refuted ones)")
    add_module_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from boundcheck.outputs.paths import check_output_dir, check_output_file
    check_seed(args.seed)
    if args.json:
        check_output_file(args.json, option="--json", suffixes=(".json",))
    check_output_dir(args.out_dir, option="--out-dir")
    from boundcheck.parallel import UnitFailed, get_scheduler, parse_spec
    parse_spec(args.scheduler)
    user_ids = load_modules(args.module)
    from boundcheck.engine import verify as V
    from boundcheck.outputs import Progress, format_table
    ids = args.statement or (user_ids if args.module else None)
    chosen = V.select(ids)  # unknown ids fail here, before any work
    quiet = getattr(args, "quiet", False)
    bar = Progress(V.total_units(ids, args.trials), "verify", enabled=None if not quiet else False)
    t0 = time.monotonic()
    records: list = []  # settled so far (kept on Ctrl-C); the returned list is in registry order
    try:
        with get_scheduler(args.scheduler) as sched:
            records = V.verify(chosen, trials=args.trials, budget=args.budget, seed=args.seed, out_dir=args.out_dir,
                               progress=lambda d, note: bar.update(d, note), reuse=not args.no_reuse,
                               diagnosis=not args.no_diagnosis, on_record=records.append, scheduler=sched,
                               modules=args.module or ())
    except UnitFailed as exc:  # a worker failure is not bad input: exit 1, one line
        bar.close()
        print(f"boundcheck: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        bar.close()
        if args.json and records:  # the statements settled before Ctrl-C, marked as a partial run
            _write(args, records, time.monotonic() - t0, interrupted=True)
            print(f"boundcheck: partial results ({len(records)} of {len(chosen)} statements) written to {args.json}",
                  file=sys.stderr)
        raise
    bar.close()
    if args.pep:
        _run_pep(records, args)
    V.attach_certificates(records, args.certificates)
    code = V.exit_code(records)
    from boundcheck.cli.commands.list import record_last_run  # statuses for 'boundcheck list'
    record_last_run(args, records)
    counts = {s: sum(r.status == s for r in records) for s in ("verified", "refuted", "unresolved")}
    if not quiet:
        from boundcheck.pep.grid import certified_label
        rows = [(r.id, r.status, r.trials, r.worst_ratio, r.smallest_slack, r.counterexample or "-",
                 r.corrected_by or "-", certified_label(r.extra.get("certified"), r.extra.get("pep"))) for r in records]
        print(format_table(["id", "status", "trials", "worst ratio", "min slack", "counterexample", "corrected by",
                            "PEP (exact)"], rows))
        from boundcheck.engine.diagnosis import needs_line, readings_line
        from boundcheck.paper import get_statement
        by = {r.id: r for r in records}
        for r in records:
            fix = by.get(r.corrected_by) if r.corrected_by else None
            if r.status == "refuted" and fix is not None:
                print(f"  {r.id} → {fix.id} ({fix.status}): {fix.correction or r.correction or ''}")
            if r.diagnosis:
                print(f"    diagnosis: {needs_line(get_statement(r.id), r.diagnosis)}")
                rl = readings_line(get_statement(r.id), r.diagnosis)
                if rl:
                    print(f"    readings: {rl}")
            if r.note:
                print(f"  {r.id}: {r.note}")
        print(f"  {LEGEND}")
        trials = "each statement's default trials" if args.trials is None else f"{args.trials} trials per statement"
        print(f"seed {args.seed}, {trials}: " + ", ".join(f"{v} {k}" for k, v in counts.items())
              + f" ({time.monotonic() - t0:.0f} s; exit {code})")
    if args.json:
        _write(args, records, time.monotonic() - t0)
    return code


def _run_pep(records: list, args: argparse.Namespace) -> None:
    """The declared PEP grids of the verified/refuted statements, certificates into --certificates' parent."""
    from pathlib import Path

    from boundcheck.outputs import Progress
    from boundcheck.paper import get_statement
    from boundcheck.pep.grid import grid_points, run_grid
    todo = [(r, get_statement(r.id)) for r in records]
    todo = [(r, st) for r, st in todo if st.pep_grid]
    points = {r.id: grid_points(st) for r, st in todo}
    bar = Progress(sum(len(p) for p in points.values()) or 1, "pep", enabled=None if not getattr(args, "quiet", False)
                   else False)
    done = 0
    for r, st in todo:
        rows = run_grid(st, points[r.id], out_dir=str(Path(args.certificates).parent),
                        progress=lambda d, n, base=done: bar.update(base + d))
        done += len(points[r.id])
        r.extra["pep"] = {v: sum(x.verdict == v for x in rows) for v in ("proved", "proved to δ", "refuted",
                                                                          "inconclusive")}
    bar.close()


def _write(args: argparse.Namespace, records: list, seconds: float, interrupted: bool = False) -> None:
    from boundcheck.engine.verify import exit_code
    from boundcheck.outputs import files
    files.write(args.json, "verify", {
        "trials": args.trials, "budget": args.budget, "reuse": not args.no_reuse, "interrupted": interrupted,
        "summary": {s: sum(r.status == s for r in records) for s in ("verified", "refuted", "unresolved")},
        "exit_code": exit_code(records), "seconds": seconds, "records": [r.as_dict() for r in records]},
        seed=args.seed, command=command_line())
