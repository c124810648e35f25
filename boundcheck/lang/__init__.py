"""The statement language: how a statement is declared, and everything derived from it.

Owns: the paper's symbols, parameter domains, function classes, terms (quantities over runs),
settings (one batch, neighbouring batches, an echoed run on a finite distribution), the
:class:`Statement` declaration, the one statement registry, and the encodings of definitions
and algorithms.  May import: ``boundcheck.core`` and ``boundcheck.outputs``; never the paper's
content (``boundcheck.paper``), the engine or the CLI.
"""
from boundcheck.lang.classes import (
    CONVEX_QUADRATIC, LINEAR, LIPSCHITZ_SMOOTH_CONVEX, REALISABLE_SMOOTH_CONVEX, SMOOTH_CONVEX, SMOOTH_STRONGLY_CONVEX,
    FunctionClass,
)
from boundcheck.lang.domains import Choice, Defined, Domain, Fixed, Integers, Interval, Positive, evaluate_expr
from boundcheck.lang.encoding import ENCODINGS, Encoding, register_encoding
from boundcheck.lang.settings import Echo, Neighbours, OneBatch, echoed, neighbours, one_batch
from boundcheck.lang.sgd import SGDPaths, sgd_paths
from boundcheck.lang.declaration import (
    CLAIM_KINDS, REGISTRY, ByMethod, Evaluation, Statement, register, statement, unregister,
)
from boundcheck.lang.symbols import SYMBOLS, B, D, K, T, beta, c, eps, eta, gamma, lambda_init, mu, n, rho
from boundcheck.lang.terms import (
    E, F, Term, absolute, by_method, d_init, d_out, dot, f, fbar_last, lam_init, lam_out, norm, pivot_init,
    pivot_out, sqnorm, stability, state_init, state_out, w, w_init, w_out, w_star,
)

__all__ = [
    # declaration
    "statement", "Statement", "register", "unregister", "REGISTRY", "CLAIM_KINDS", "Evaluation", "ByMethod",
    # domains
    "Domain", "Interval", "Positive", "Fixed", "Defined", "Integers", "Choice", "evaluate_expr",
    # classes
    "FunctionClass", "SMOOTH_CONVEX", "CONVEX_QUADRATIC", "LINEAR", "LIPSCHITZ_SMOOTH_CONVEX", "SMOOTH_STRONGLY_CONVEX",
    "REALISABLE_SMOOTH_CONVEX",
    # settings
    "OneBatch", "Neighbours", "Echo", "SGDPaths", "one_batch", "neighbours", "echoed", "sgd_paths",
    # terms
    "Term", "f", "F", "fbar_last", "E", "norm", "sqnorm", "dot", "absolute", "stability", "by_method", "w", "w_init",
    "w_out", "w_star", "state_init", "state_out", "lam_init", "lam_out", "d_init", "d_out", "pivot_init", "pivot_out",
    # symbols
    "SYMBOLS", "beta", "rho", "eta", "gamma", "lambda_init", "mu", "K", "T", "B", "D", "eps", "n", "c",
    # encodings
    "Encoding", "ENCODINGS", "register_encoding",
]
