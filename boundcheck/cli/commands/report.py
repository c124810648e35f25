"""``boundcheck report``: run verify (and rates) and write a multi-page PDF report."""
from __future__ import annotations

import argparse
import shlex
import sys
import time

from boundcheck.report import DEFAULT_BUDGET, DEFAULT_OUT, STEP_LIMIT


def _trials(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}") from None
    if not 1 <= v <= 10**8:
        raise argparse.ArgumentTypeError(f"expected a positive integer (at most 10^8), got {s!r}")
    return v


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser | None = None) -> None:
    p = sub.add_parser(
        "report", parents=[common] if common is not None else [],
        help="run verify (and rates) and write a multi-page PDF report",
        description="Run verify (every statement, as printed and corrected) and the proof-check steps of "
        "proofs/ (within --budget seconds), compute Lemma 12's c_K, and write a PDF: title page (versions, "
        "seed, date, machine), summary table, one page per statement (typeset statement, hypotheses, proof "
        "steps, counterexample vs corrected statement, ratio plots), Lemma 12's c_K page, and with "
        "--with-rates the rate plots and fitted exponents.  Every option and output path is checked before "
        "the work starts; the PDF is written atomically (no half-written PDF).  "
        "Exit 0 when the PDF was written, 2 on bad input or an unwritable output path.")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="PATH",
                   help=f"the PDF to write (default {DEFAULT_OUT})")
    p.add_argument("--trials", type=_trials, default=None, metavar="N",
                   help="instances verify evaluates per statement (default: each statement's own); the same seed "
                        "and trials give the same verdicts and figures on any machine")
    p.add_argument("--budget", type=float, default=DEFAULT_BUDGET, metavar="SECONDS",
                   help=f"deadline of the proof steps, which run concurrently with verify (default {DEFAULT_BUDGET:g})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--with-rates", action="store_true",
                   help="also run rates for gd, prox and agd and add their plots and fitted exponents")
    p.add_argument("--rates-grid", default="default", metavar="SPEC",
                   help="grid for --with-rates (a 'boundcheck rates --grid' spec; default: default)")
    p.add_argument("--rates-seeds", type=int, default=16, metavar="N",
                   help="seeds per rates grid point (default 16)")
    p.add_argument("--statement", action="append", metavar="ID",
                   help="only this statement and its corrections (repeatable; default: all)")
    p.add_argument("--counterexample-dir", default="reports/counterexamples", metavar="DIR",
                   help="where counterexamples found during the run are saved (default reports/counterexamples)")
    p.add_argument("--step-limit", type=float, default=STEP_LIMIT, metavar="SECONDS",
                   help=f"time limit of one proof step (default {STEP_LIMIT:g})")
    p.add_argument("--no-proofs", action="store_true", help="do not run the proof steps of proofs/")
    p.add_argument("--with-figures", action="append", default=[], metavar="SUMMARY.json",
                   help="include the real-data figures and agreement numbers of a previous "
                        "'boundcheck figures --json SUMMARY.json' run (repeatable)")
    p.set_defaults(func=run)


def _command_line(args: argparse.Namespace) -> str:
    parts = ["boundcheck", "report", "--out", args.out, "--budget", f"{args.budget:g}", "--seed", str(args.seed)]
    if args.trials is not None:
        parts += ["--trials", str(args.trials)]
    if args.with_rates:
        parts += ["--with-rates", "--rates-grid", args.rates_grid, "--rates-seeds", str(args.rates_seeds)]
    for s in args.statement or ():
        parts += ["--statement", s]
    if args.no_proofs:
        parts.append("--no-proofs")
    for f in args.with_figures:
        parts += ["--with-figures", f]
    return " ".join(shlex.quote(p) for p in parts)


class _PhaseLines:
    """Without a terminal (no bar): one line on stderr when a phase starts, so a log shows life."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.phase: str | None = None

    def __call__(self, frac: float, note: str) -> None:
        phase = note.split(":", 1)[0]
        if phase != self.phase:
            self.phase = phase
            self.stream.write(f"boundcheck: report: {phase} ({100 * frac:.0f}%)\n")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from boundcheck.outputs.common import Progress
    from boundcheck.report.render import build_report

    t0 = time.monotonic()
    bar = Progress(1.0, "report", enabled=False if getattr(args, "quiet", False) else None)
    progress = (lambda f, note: bar.update(f, note)) if bar.enabled else _PhaseLines(sys.stderr)
    try:
        data, pages = build_report(
            args.out, args.statement, budget=args.budget, seed=args.seed, trials=args.trials, with_rates=args.with_rates,
            rates_grid=args.rates_grid, rates_seeds=args.rates_seeds, counterexample_dir=args.counterexample_dir,
            proofs_dir=False if args.no_proofs else True, step_limit=args.step_limit,
            progress=progress, command=_command_line(args), figures=args.with_figures)
    finally:
        bar.close()
    counts: dict[str, int] = {"verified": 0, "refuted": 0, "unresolved": 0}
    for r in data.records:
        counts[r.status] = counts.get(r.status, 0) + 1
    steps = data.proofs.counts()
    proof_part = (f"; proof steps {steps.get('passed', 0)}/{sum(steps.values())} passed" if steps else "")
    print(f"report written to {args.out}: {pages} pages, {len(data.records)} statements ("
          + ", ".join(f"{v} {k}" for k, v in counts.items()) + f"){proof_part}; budget {args.budget:g} s, "
          f"seed {args.seed}, {time.monotonic() - t0:.0f} s")
    sys.stdout.flush()
    return 0
