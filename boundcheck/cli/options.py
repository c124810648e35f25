"""Options several commands share: count budgets, the time cap, seeds."""
from __future__ import annotations

import argparse
import math
import shlex
import sys


def _positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    if v > 10**8:
        raise argparse.ArgumentTypeError(f"{v} is more than one run can evaluate (at most 10^8)")
    return v


def _seconds(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {s!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds, got {s!r}")
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {s!r}")
    if v > 7 * 86400:
        raise argparse.ArgumentTypeError(f"{v:g} s is more than a week: give a count budget (--trials) instead")
    return v


def add_budget_arguments(p: argparse.ArgumentParser, *, trials_help: str) -> None:
    p.add_argument("--trials", type=_positive_int, default=None, metavar="N", help=trials_help)
    p.add_argument("--budget", type=_seconds, default=None, metavar="SECONDS",
                   help="an upper cap on the wall-clock time (the run then says it was stopped by the time cap "
                        "and is no longer reproducible); default: none")
    p.add_argument("--seed", type=int, default=0, help="random seed (a non-negative integer; default 0)")


def add_scheduler_argument(p: argparse.ArgumentParser, *, units: str) -> None:
    """``--scheduler SPEC``: where ``units`` run (boundcheck.parallel; parsed before any work)."""
    p.add_argument("--scheduler", default=None, metavar="SPEC",
                   help=f"run the {units} in parallel: local:N (a Dask cluster of N worker processes on this "
                   "machine), the address of a running Dask scheduler (tcp://host:8786) or a scheduler file "
                   "(*.json); needs the 'dist' extra.  Same results as in this process (the default)")


def check_seed(seed: int) -> None:
    if seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {seed}")


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in ["boundcheck", *sys.argv[1:]])
