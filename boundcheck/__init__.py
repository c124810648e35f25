"""boundcheck: executable, checkable mathematics for 'Stochastic Optimization with Laggard
Data Pipelines' (Agarwal, Anil, Koren, Talwar, Zhang; NeurIPS 2020).

The public namespace is small; implementation lives in private modules.
"""
from __future__ import annotations

__version__ = "0.1.0"

from ._algorithms import (  # noqa: E402
    AGDState,
    EchoRun,
    GDState,
    InnerMethod,
    InnerRun,
    ProxState,
    accelerated_gradient_descent,
    algorithm1,
    algorithm2,
    echo,
    get_method,
    gradient_descent,
    lambda_sequence,
    proximal_gradient_descent,
)
from ._losses import (  # noqa: E402
    FAMILIES,
    FAMILY_GROUPS,
    Constants,
    LossFamily,
    Objective,
    batch_objective,
    get_family,
    neighbour,
)
from ._optima import Optimum, SolverError, minimize_batch, minimize_quadratic  # noqa: E402
from ._problems import PROBLEMS, get_problem  # noqa: E402
from ._stability import Domain, StabilityResult, uniform_stability  # noqa: E402
from ._statements import SYMBOLS, Statement, get_statement, register, statement_ids  # noqa: E402
from ._engine import SearchResult, search  # noqa: E402
from ._verify import Record, verify  # noqa: E402
from ._counterexample import MalformedFile, replay  # noqa: E402

__all__ = [
    "__version__",
    # algorithms (Section 3)
    "GDState", "ProxState", "AGDState", "InnerMethod", "InnerRun", "EchoRun",
    "gradient_descent", "proximal_gradient_descent", "accelerated_gradient_descent",
    "echo", "algorithm1", "algorithm2", "get_method", "lambda_sequence",
    # loss families
    "FAMILIES", "FAMILY_GROUPS", "Constants", "LossFamily", "Objective", "batch_objective", "get_family", "neighbour",
    # optima
    "Optimum", "SolverError", "minimize_batch", "minimize_quadratic",
    # problems
    "PROBLEMS", "get_problem",
    # Definition 1
    "Domain", "StabilityResult", "uniform_stability",
    # statements, search, verify, replay
    "Statement", "SYMBOLS", "register", "get_statement", "statement_ids", "SearchResult", "search", "Record", "verify",
    "MalformedFile", "replay",
]
