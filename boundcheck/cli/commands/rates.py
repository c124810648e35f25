"""``boundcheck rates``: measured rates of echoed GD / prox-GD / AGD against Theorems 7, 10, 13 and Table 2."""
from __future__ import annotations

import argparse
import sys

from boundcheck.experiments import rates as _rates
from boundcheck.experiments.runner import METHODS, cuda_available
from boundcheck.outputs.common import Progress, write_json_atomic

_GRID_HELP = (
    "a preset (default, small, large), key=values pairs separated by ';', or both "
    "(e.g. 'default;B=4,16,64;K=1..64'); keys: " + ", ".join(f.name for f in _rates.fields(_rates.Grid))
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rates", help="measure E[F(w_out)] − F(w*) against Theorems 7/10/13 and Table 2",
        description="Run echoed GD / prox-GD / AGD over a grid of (B, K, T, η, seed) with the batched runner on a "
        "problem with exact F and w* (least squares, or well-specified logistic regression); print measured vs bound tables (printed and corrected "
        "statements), fitted exponents in K, T, B with 95% intervals next to Table 2, the noise→curvature phase "
        "transition, and any violation (a lower confidence limit above a bound).")
    p.add_argument("--method", choices=list(METHODS), default="gd")
    p.add_argument("--problem", choices=list(_rates.PROBLEM_KINDS), default="linreg",
                   help="linreg: least squares (default; all theorems); logistic: well-specified logistic "
                   "regression, w* exact, F summed over the support (gd, prox)")
    p.add_argument("--grid", metavar="SPEC", default="default", help=_GRID_HELP)
    p.add_argument("--seeds", type=int, default=16, help="seeds per grid point (default 16; >= 2)")
    p.add_argument("--backend", choices=["numpy", "torch"], default=None,
                   help="array backend (default: torch on CUDA when --device picks CUDA, else numpy)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="auto picks CUDA (with torch) when present, else the CPU; numpy always runs on the CPU")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--json", metavar="PATH", help="write points, exponents (with intervals) and violations as JSON")
    p.add_argument("--plot", metavar="PATH", help="write the figure (PNG, or .pdf/.svg by extension)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    grid = _rates.parse_grid(args.grid)  # ValueError → one line, exit 2
    backend = args.backend
    if backend is None:
        cuda = args.device == "cuda" or (args.device == "auto" and cuda_available())
        backend = "torch" if cuda else "numpy"
    prog = Progress(1.0, label=f"rates {args.method}", enabled=None if not args.no_progress else False)
    try:
        res = _rates.run_rates(args.method, grid, seeds=args.seeds, backend=backend, device=args.device,
                               dtype=args.dtype, problem=args.problem, progress=prog.update)
        prog.update(prog.total)
    finally:
        prog.close()
    print(_rates.format_report(res))
    if args.plot:
        _rates.plot_rates(res, args.plot)
        print(f"plot written to {args.plot}")
    if args.json:
        out = dict(res)
        write_json_atomic(args.json, out)
        print(f"json written to {args.json}")
    sys.stdout.flush()
    return 0
