"""boundcheck: executable, checkable mathematics for 'Stochastic Optimization with Laggard
Data Pipelines' (Agarwal, Anil, Koren, Talwar, Zhang; NeurIPS 2020) — and for your own lemmas.

The public namespace is curated here and loaded lazily (PEP 562): ``import boundcheck`` is
cheap, and a name's subpackage is imported on first use.  Layers, lowest first: ``outputs``
(files, tables), ``core`` (mathematical objects), ``lang`` (the statement language and
registry), ``paper`` (the paper's statements), ``engine`` (search, re-check, verify, replay),
``pep`` (exact worst cases), ``experiments`` (runs at scale, real data), ``report`` (PDF),
``testing`` (pytest plugin, strategies) and ``cli``.
"""
from __future__ import annotations

import importlib
from typing import Any

from boundcheck._version import __version__

#: public name → the module that defines it
_PUBLIC: dict[str, str] = {}


def _export(module: str, *names: str) -> None:
    for n in names:
        _PUBLIC[n] = module


# algorithms (Section 3)
_export("boundcheck.core.algorithms", "GDState", "ProxState", "AGDState", "InnerMethod", "InnerRun", "EchoRun",
        "gradient_descent", "proximal_gradient_descent", "accelerated_gradient_descent", "echo", "algorithm1",
        "algorithm2", "get_method", "lambda_sequence")
# loss families
_export("boundcheck.core.losses", "FAMILIES", "FAMILY_GROUPS", "Constants", "LossFamily", "Objective",
        "batch_objective", "get_family", "neighbour")
_export("boundcheck.core.optima", "Optimum", "SolverError", "minimize_batch", "minimize_quadratic")
_export("boundcheck.core.problems", "PROBLEMS", "get_problem")
# Definition 1
_export("boundcheck.core.stability", "Domain", "StabilityResult", "uniform_stability")
# the statement language (declare your own statements with these names alone)
_export("boundcheck.lang", "statement", "Statement", "register", "unregister", "Evaluation", "ByMethod",
        "Domain", "Interval", "Positive", "Fixed", "Defined", "Integers", "Choice",
        "FunctionClass", "SMOOTH_CONVEX", "CONVEX_QUADRATIC", "LINEAR", "LIPSCHITZ_SMOOTH_CONVEX",
        "SMOOTH_STRONGLY_CONVEX", "REALISABLE_SMOOTH_CONVEX", "OneBatch", "Neighbours", "Echo", "SGDPaths", "one_batch", "neighbours", "echoed", "sgd_paths",
        "Term", "f", "F", "fbar_last", "E", "norm", "sqnorm", "dot", "absolute", "stability", "by_method", "w",
        "w_init", "w_out", "w_star", "state_init", "state_out", "lam_init", "lam_out", "d_init", "d_out",
        "pivot_init", "pivot_out", "SYMBOLS", "beta", "rho", "eta", "gamma", "lambda_init", "mu", "K", "T", "B", "D",
        "eps", "n", "c", "Encoding")
# statements, search, verify, replay
_export("boundcheck.paper", "get_statement", "get_encoding", "statement_ids", "REGISTRY", "ENCODINGS")
_export("boundcheck.engine.search", "SearchResult", "search")
_export("boundcheck.engine.verify", "Record", "verify")
_export("boundcheck.engine.replay", "MalformedFile", "replay")

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    mod = _PUBLIC.get(name)
    if mod is None:
        raise AttributeError(f"module 'boundcheck' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value  # cache: the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
