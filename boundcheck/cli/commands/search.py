"""``boundcheck search``: adversarial search for counterexamples to one statement."""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from boundcheck.cli.modules import add_module_argument, load_modules
from boundcheck.cli.options import add_budget_arguments, add_scheduler_argument, check_seed, command_line

#: family names and groups a user can pass as --family (kept here so --help imports no library)
FAMILY_CHOICES = ("linear", "least-squares", "quadratic", "logistic", "huber", "softplus", "squared-hinge",
                  "quadratics", "smooth-convex", "all")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("search", parents=[common], help="search for a counterexample to a statement (bound scaled by S)",
                       description="Maximise LHS/RHS of a statement over its admissible instances with the bound "
                       "multiplied by S.  Every counterexample is re-checked in high precision before it is reported "
                       "and saved as JSON (replay it with 'boundcheck replay').")
    p.add_argument("id", metavar="ID", help="statement id (see 'boundcheck list')")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the bound by S (default 1)")
    add_budget_arguments(p, trials_help="instances to evaluate (default: the statement's own)")
    p.add_argument("--family", choices=FAMILY_CHOICES, metavar="FAMILY",
                   help=f"loss family or group: {', '.join(FAMILY_CHOICES)}")
    p.add_argument("--relax", action="append", default=[], metavar="PARAM",
                   help="also draw instances outside this parameter's domain, e.g. eta (they are never "
                        "counterexamples; the output says whether dropping the hypothesis would refute the statement)")
    p.add_argument("--out", metavar="DIR", default="reports/counterexamples",
                   help="the folder a counterexample is saved in, as ID-scaleS-seedN.json (default reports/counterexamples)")
    p.add_argument("--no-reuse", action="store_true",
                   help="do not re-check the counterexamples saved in --out for this statement (same declaration) "
                        "before searching (without --family, --relax and --growth they are re-checked first)")
    p.add_argument("--growth", metavar="K,K,…", default=None,
                   help="a growth table instead: one search per K (the trials each), the best instance of each "
                        "re-checked in high precision, saved as a replayable growth file (e.g. 5,10,20,40,80)")
    p.add_argument("--restarts", type=int, default=1, metavar="R",
                   help="R independent searches with seeds derived from --seed, the trials split between them "
                        "(the result depends on seed, trials and R only; default 1: the plain search)")
    p.add_argument("--json", metavar="PATH", help="write the result as JSON")
    add_scheduler_argument(p, units="restarts (or, with --growth, the rows)")
    add_module_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from boundcheck.outputs.paths import check_output_dir, check_output_file
    check_seed(args.seed)
    if not (math.isfinite(args.scale) and args.scale > 0):
        raise ValueError(f"--scale must be a positive finite number, got {args.scale}")
    if args.json:
        check_output_file(args.json, option="--json", suffixes=(".json",))
    check_output_dir(args.out, option="--out")
    if not 1 <= args.restarts <= 4096:
        raise ValueError(f"--restarts must be an integer in 1..4096, got {args.restarts}")
    from boundcheck.parallel import UnitFailed, get_scheduler, parse_spec
    parse_spec(args.scheduler)
    load_modules(args.module)
    from boundcheck.paper import get_statement
    st = get_statement(args.id)
    _beyond_the_class(st, args.family)
    family = _resolve_family(st, args.family)
    trials = args.trials or st.default_trials
    if args.growth is None and trials < args.restarts:
        raise ValueError(f"--trials {trials} cannot be split into --restarts {args.restarts} (one trial each at least)")
    ks = _ks(args.growth) if args.growth is not None else None
    try:
        with get_scheduler(args.scheduler) as sched:
            if ks is not None:
                return _growth(args, st, family, ks, sched)
            return _search(args, st, family, trials, sched)
    except UnitFailed as exc:  # a worker failure is not bad input: exit 1, one line
        print(f"boundcheck: error: {exc}", file=sys.stderr)
        return 1


def _search(args: argparse.Namespace, st, family, trials: int, sched) -> int:
    from boundcheck.engine.replay import save_counterexample
    from boundcheck.engine.restarts import search_restarts
    from boundcheck.outputs import Progress
    quiet = getattr(args, "quiet", False)
    r, rechecked = _reuse(args, st, family)
    if r is not None:
        return _report(args, st, trials, r, r.reused, rechecked)
    bar = Progress(trials, f"search {st.id}", enabled=None if not quiet else False)
    try:
        r = search_restarts(st, args.restarts, trials=trials, budget=args.budget, seed=args.seed, scale=args.scale,
                            family=family, relax=tuple(args.relax), progress=lambda d, note: bar.update(d, note),
                            scheduler=sched, modules=[str(Path(m).resolve()) for m in args.module or ()])
    finally:
        bar.close()
    path = None
    if r.found:
        ce = r.counterexample
        path = str(Path(args.out) / f"{st.id}-scale{args.scale:g}-seed{args.seed}.json")
        save_counterexample(path, st, args.scale, ce["structure"], ce["params"], ce["check"], seed=args.seed,
                            command=command_line())
    return _report(args, st, trials, r, path, rechecked)


def _reuse(args: argparse.Namespace, st, family):
    """Re-check the counterexamples saved in --out for this declaration first (the example database,
    as ``verify`` and the pytest plugin do): (the result of the first that still holds or None, the
    files re-checked).  Not with --no-reuse, --family or --relax (they restrict or widen the search)."""
    if args.no_reuse or family is not None or args.relax:
        return None, []
    from boundcheck.engine.database import ExampleDatabase
    db = ExampleDatabase(args.out)
    hit = db.replay_first(st, scale=args.scale)
    if hit is not None:
        hit.seed, hit.trials_budget = args.seed, 0
    return hit, [str(p) for p in db.rechecked]


def _report(args: argparse.Namespace, st, trials: int, r, path, rechecked: list[str]) -> int:
    """The result table (and --json) of one search, or of the saved counterexample that was re-checked first."""
    from boundcheck.outputs import files, fmt, format_table
    quiet = getattr(args, "quiet", False)
    ce = r.counterexample
    if not quiet:
        if r.reused:
            print(f"re-checked saved counterexample {r.reused} first: still a counterexample (no new search; "
                  f"--no-reuse searches anyway)")
        elif rechecked:
            print(f"re-checked {len(rechecked)} saved counterexample(s) first: none is still a counterexample")
        rs = f", {args.restarts} restarts (derived seeds)" if args.restarts > 1 else ""
        print(f"{st.number}: bound × {args.scale:g}, {trials} trials, seed {args.seed}{rs}")
        best = r.counterexample["check"]["ratio"] if r.found else r.best_ratio
        rows = [("found", "yes" if r.found else "no"), ("best ratio LHS/RHS (bound as printed)", fmt(best, 8))]
        if args.scale != 1:  # what decides here: LHS against S·RHS
            rows.append((f"best ratio LHS/(S·RHS), S = {args.scale:g} (> 1 refutes)",
                         fmt(best / args.scale if best is not None and math.isfinite(best) else None, 8)))
        rows += [
                ("trials (admissible)", r.trials), ("evaluations", r.evaluations),
                ("float-only violations dropped", r.dropped), ("float ties (below float64 resolution)", r.ties),
                ("violations not re-checked (re-check budget)", r.unchecked), ("stopped by", r.stopped_by),
                ("seconds", fmt(r.seconds)), ("evaluations to counterexample", fmt(r.evaluations_to_found)),
                ("counterexample", path or "-")]
        print(format_table(["", "value"], rows))
        for name, k in r.inadmissible.items():
            print(f"  rejected (violates hypothesis '{name}'): {k}")
        for name, k in r.would_refute_without.items():
            print(f"  would refute the bound if the hypothesis '{name}' were dropped: {k} instance(s)")
        if r.found:
            c = ce["check"]
            print(f"  re-checked at {c['dps']} digits: LHS = {c['lhs'][:22]}  >  S·RHS = {c['scaled_rhs'][:22]}")
        print("  '-': no value (nothing found, or not applicable).")
    if args.json:
        d = r.as_dict()
        d.pop("counterexample")
        d.update({"found": r.found, "best_ratio": r.best_ratio if math.isfinite(r.best_ratio) else None,
                  "smallest_slack": r.smallest_slack if math.isfinite(r.smallest_slack) else None,
                  "counterexample": path, "trials_budget": trials, "rechecked_first": rechecked})
        files.write(args.json, "search", d, seed=args.seed, command=command_line())
    return 0


def _beyond_the_class(st, family: str | None) -> None:
    """--family asks for families outside the statement's class that another registered statement declares the
    same claim on (same bound, explicit bound, method and setting; e.g. Lemma 12 on quadratics and Section 6's conjecture
    on smooth convex losses): refuse, naming that statement, rather than search the class's families only."""
    if family is None:
        return
    from boundcheck.lang.classes import FAMILY_GROUPS_OF_CLASSES
    from boundcheck.paper import REGISTRY
    asked = set(FAMILY_GROUPS_OF_CLASSES.get(family, (family,)))
    outside = asked - set(st.families)
    if not outside or st.setting is None:
        return
    for other in REGISTRY.values():
        if other.id == st.id or other.setting is None or not outside & set(other.families):
            continue
        if (other.bound, other.explicit, other.methods, other.setting.name) != \
                (st.bound, st.explicit, st.methods, st.setting.name):
            continue
        how = f"boundcheck search {other.id}" + (" --growth 5,10,20,40,80" if other.big_o else "")
        raise ValueError(f"{st.number} ({st.id}) is stated for {st.cls.name if st.cls else 'its own families'} "
                         f"(families {', '.join(st.families)}); the same claim beyond them is {other.number} "
                         f"({other.id}, a {other.kind}): '{how}'")


def _resolve_family(st, family: str | None):
    """A family name, or a group → the group's families that belong to the statement's class."""
    if family is None:
        return None
    from boundcheck.lang.classes import FAMILY_GROUPS_OF_CLASSES
    if family in FAMILY_GROUPS_OF_CLASSES:
        adm = tuple(f for f in FAMILY_GROUPS_OF_CLASSES[family] if f in st.families)
        if not adm:
            raise ValueError(f"no family of the group {family!r} is in {st.id}'s function class "
                             f"(its families: {', '.join(st.families)})")
        return adm if len(adm) > 1 else adm[0]
    if family not in st.families:
        raise ValueError(f"family {family!r} is not in {st.id}'s function class ({st.cls.name if st.cls else 'table'}; "
                         f"its families: {', '.join(st.families)})")
    return family


def _ks(text: str) -> list[int]:
    try:
        ks = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--growth expects comma-separated integers, got {text!r}") from None
    if not ks or min(ks) < 1 or len(set(ks)) != len(ks) or len(ks) > 16:
        raise ValueError(f"--growth expects 1..16 distinct positive integers, got {text!r}")
    return ks


def _growth(args: argparse.Namespace, st, family, ks: list[int], sched) -> int:
    """A growth table: the worst verified ratio for each K (Section 6's conjecture: growth refutes a big-O)."""
    from boundcheck.engine.growth import growth, grows, rate_label, save_growth
    from boundcheck.outputs import Progress, files, fmt, format_table
    quiet = getattr(args, "quiet", False)
    bar = Progress(len(ks), f"growth {st.id}", enabled=None if not quiet else False)
    try:
        rows = growth(st, ks, trials=args.trials, seed=args.seed, family=family,
                      progress=lambda d, note: bar.update(d, note), scheduler=sched,
                      modules=[str(Path(m).resolve()) for m in args.module or ()])
    finally:
        bar.close()
    path = str(Path(args.out) / f"{st.id}-growth-seed{args.seed}.json")
    save_growth(path, st, rows, seed=args.seed)
    g = grows(rows)
    if not quiet:
        print(f"{st.number} ({st.id}): worst verified ratio LHS/RHS per K, {args.trials or st.default_trials} trials each, "
              f"seed {args.seed}")
        print(format_table(["K", "ratio", rate_label(st), "family", "B", "counterexample"],
                           [(r["K"], fmt(r["ratio"], 6), fmt(r["constant"], 6), (r["structure"] or {}).get("family", "-"),
                             (r["structure"] or {}).get("B", "-"), "yes" if r["counterexample"] else "no") for r in rows]))
        print(f"  {'the ratio grows without bound along K (as far as the table shows)' if g else 'no growth shown'}; "
              f"replay with 'boundcheck replay {path}'")
    if args.json:
        files.write(args.json, "search", {"statement": st.id, "growth": [{k: v for k, v in r.items() if k != "params"}
                                                                       for r in rows], "grows": g, "file": path},
                    seed=args.seed, command=command_line())
    return 0
