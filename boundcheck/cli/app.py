"""The ``boundcheck`` command line: a thin, lazy layer over the library API.

Each subcommand lives in ``boundcheck/cli/commands/<name>.py`` and defines
``register(subparsers)`` and ``run(args)``; a command module imports its library layer inside
``run``, so ``boundcheck --help`` and ``--version`` load no solver, sympy or matplotlib.  Bad
input (a ``ValueError`` from the library, a missing file) becomes one line on stderr and exit
code 2; a solver that cannot certify its answer exits 1; Ctrl-C exits 130.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Sequence

from boundcheck._version import __version__
from boundcheck.core.errors import SolverError

COMMANDS = ("list", "show", "echo", "verify", "search", "replay", "pep", "rates", "report", "figures", "new-statement", "check-certificate")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse already exits 2; keep it one line
        self.exit(2, f"boundcheck: error: {message}\n")


def _common() -> argparse.ArgumentParser:
    """Options every subcommand takes, before or after its name (``boundcheck verify -v``)."""
    c = argparse.ArgumentParser(add_help=False)
    c.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="log progress details to stderr")
    c.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                   help="no progress bar and no table: only errors (and --json output)")
    return c


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="boundcheck",
        description="Verify the statements of 'Stochastic Optimization with Laggard Data Pipelines' "
        "(Agarwal et al., NeurIPS 2020) and your own lemmas: as printed, how tight, and where they break.")
    p.add_argument("--version", action="version", version=f"boundcheck {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no table: only errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = _common()
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"boundcheck.cli.commands.{name.replace('-', '_')}")
        except ModuleNotFoundError as exc:
            if exc.name == f"boundcheck.cli.commands.{name.replace('-', '_')}":
                continue  # not shipped yet
            raise
        # a command's register takes (subparsers, common options) or, older, (subparsers)
        if mod.register.__code__.co_argcount >= 2:
            mod.register(sub, common)
        else:
            mod.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # --help, --version and usage errors exit here (argparse: 0 or 2)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="boundcheck: %(message)s",
                        force=True)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except FileNotFoundError as exc:
        print(f"boundcheck: error: {exc.filename or exc}: no such file" if exc.filename else f"boundcheck: error: {exc}",
              file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"boundcheck: error: {exc}", file=sys.stderr)
        return 2
    except SolverError as exc:  # a solver that cannot certify its answer: not bad input, but no traceback
        print(f"boundcheck: solver error: {exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print("boundcheck: error: out of memory (ask for a smaller run)", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the output went to a pager or `head` that closed early: not an error
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("boundcheck: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
