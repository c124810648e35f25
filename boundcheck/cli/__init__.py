"""The ``boundcheck`` command line: thin and lazy; imported by nothing in the library.

``boundcheck --help`` and ``--version`` import no solver, sympy or matplotlib: each
subcommand module (``commands/<name>.py``) imports its library layer inside ``run``.
"""
from boundcheck.cli.app import main

__all__ = ["main"]
