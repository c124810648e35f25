"""``boundcheck rates``: measured rates of echoed GD / prox-GD / AGD against Theorems 7, 10, 13 and Table 2."""
from __future__ import annotations

import argparse
import sys

from boundcheck.cli.options import add_scheduler_argument

#: the --grid keys (the fields of ``boundcheck.experiments.rates.Grid``; a test keeps the two equal)
GRID_KEYS = ("B", "K", "T", "Bc", "Kc", "Tc", "Kc0", "Tc0", "Bp", "Kp", "eta", "samples", "steps", "target", "probe",
             "probe_B", "probe_K", "pseeds", "fit", "share", "n", "condition", "noise")
METHODS = ("gd", "prox", "agd")
PROBLEM_KINDS = ("linreg", "logistic")

_GRID_HELP = (
    "a preset (default, small, large), key=values pairs separated by ';', or both "
    "(e.g. 'default;B=4,16,64;K=1..64'); keys: " + ", ".join(GRID_KEYS)
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rates", help="measure E[F(w_out)] − F(w*) against Theorems 7/10/13 and Table 2",
        description="Run echoed GD / prox-GD / AGD over a grid of (B, K, T, η, seed) with the batched runner on a "
        "problem with exact F and w* (least squares, or well-specified logistic regression); print measured vs "
        "bound tables (printed and corrected statements; step sizes and bounds read from the statement registry), "
        "fitted exponents in K, T, B with 95% bootstrap (BCa) intervals next to Table 2, the noise→curvature phase "
        "transition, and any violation (a lower confidence limit above a bound).")
    p.add_argument("--method", choices=list(METHODS), default="gd")
    p.add_argument("--problem", choices=list(PROBLEM_KINDS), default="linreg",
                   help="linreg: least squares (default; all theorems); logistic: well-specified logistic "
                   "regression, w* exact, F summed over the support (gd, prox)")
    p.add_argument("--grid", metavar="SPEC", default="default", help=_GRID_HELP)
    p.add_argument("--seeds", type=int, default=16, help="seeds per grid point (default 16; >= 2)")
    p.add_argument("--backend", choices=["numpy", "torch"], default=None,
                   help="array backend (default: torch on CUDA when --device picks CUDA, else numpy)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="auto picks CUDA (with torch) when present, else the CPU; numpy always runs on the CPU")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    add_scheduler_argument(p, units="grid chunks")
    p.add_argument("--json", metavar="PATH", help="write points, exponents (with intervals) and violations "
                   "as a boundcheck/rates file")
    p.add_argument("--plot", metavar="PATH", help="write the figure (.png, .pdf or .svg)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from boundcheck.experiments import rates as _rates
    from boundcheck.experiments.runner import cuda_available
    from boundcheck.outputs.common import Progress
    from boundcheck.outputs.files import write
    from boundcheck.outputs.paths import check_output_path
    from boundcheck.parallel import UnitFailed, get_scheduler, parse_spec

    # ---- every input checked before any work (one line, exit 2, nothing left behind)
    if args.plot:
        check_output_path(args.plot, "file", option="--plot", suffixes=_rates.PLOT_SUFFIXES)
    if args.json:
        check_output_path(args.json, "file", option="--json", suffixes=(".json",))
    parse_spec(args.scheduler)
    grid = _rates.parse_grid(args.grid)
    if isinstance(args.seeds, bool) or args.seeds < 2 or args.seeds > 10_000:
        raise ValueError(f"--seeds must be an integer >= 2 (confidence intervals need two) and <= 10000, "
                         f"got {args.seeds!r}")
    if args.problem == "logistic" and args.method == "agd":
        raise ValueError("Theorem 13 (echoed AGD) is about quadratic losses; use --problem linreg for agd")
    est = _rates.check_feasible(args.method, grid, args.seeds)
    if est["seconds"] > 600:
        print(f"boundcheck: note: this grid is about {est['work']:.2g} runner units "
              f"(≈ {est['seconds'] / 60:.0f} min on one core); --scheduler spreads it", file=sys.stderr)
    backend = args.backend
    if backend is None:
        cuda = args.device == "cuda" or (args.device == "auto" and cuda_available())
        backend = "torch" if cuda else "numpy"
    prog = Progress(1.0, label=f"rates {args.method}", enabled=None if not args.no_progress else False)
    try:
        with get_scheduler(args.scheduler) as sched:
            res = _rates.run_rates(args.method, grid, seeds=args.seeds, backend=backend, device=args.device,
                                   dtype=args.dtype, problem=args.problem, progress=prog.update, scheduler=sched)
        prog.update(prog.total)
    except UnitFailed as exc:
        print(f"boundcheck: error: {exc}", file=sys.stderr)
        return 1
    finally:
        prog.close()
    print(_rates.format_report(res))
    if args.plot:
        _rates.plot_rates(res, args.plot)
        print(f"plot written to {args.plot}")
    if args.json:
        write(args.json, "rates", dict(res), command="rates")
        print(f"json written to {args.json}")
    sys.stdout.flush()
    return 0
