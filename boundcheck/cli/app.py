"""The ``boundcheck`` command line: a thin layer over the library API.

Each subcommand lives in ``boundcheck/cli/commands/<name>.py`` and defines
``register(subparsers)``.  Bad input (a ``ValueError`` from the library) becomes a
one-line message on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Sequence

from boundcheck._version import __version__
from boundcheck.core.optima import SolverError

COMMANDS = ("echo", "verify", "search", "replay", "rates", "report", "figures")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse already exits 2; keep it one line
        self.exit(2, f"boundcheck: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="boundcheck",
        description="Verify the statements of 'Stochastic Optimization with Laggard Data Pipelines' "
        "(Agarwal et al., NeurIPS 2020): as printed, how tight, and where they break.",
    )
    p.add_argument("--version", action="version", version=f"boundcheck {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"boundcheck.cli.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"boundcheck.cli.commands.{name}":
                continue  # not shipped yet
            raise
        mod.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="boundcheck: %(message)s")
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:
        print(f"boundcheck: error: {exc}", file=sys.stderr)
        return 2
    except SolverError as exc:  # a solver that cannot certify its answer: not bad input, but no traceback
        print(f"boundcheck: solver error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("boundcheck: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
