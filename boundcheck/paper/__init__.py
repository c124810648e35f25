"""The paper's statements, declared in the statement language (one module per section).

Owns: Definitions 1 and 3, Algorithms 1 and 2, Theorem 2, Theorem 4, Lemmas 5–12,
Theorems 7, 10, 13 and Table 2, each as printed and, where refuted, corrected beside it.
Importing this package registers them.  May import: ``boundcheck.core``, ``boundcheck.lang``.
"""
from boundcheck.lang.statement import CLAIM_KINDS, REGISTRY, SYMBOLS, Statement, evaluate_expr, register
from boundcheck.paper import definitions  # noqa: F401  Definitions 1, 3; Algorithms 1, 2; inner methods
from boundcheck.paper import general  # noqa: F401  theorem2, theorem4(+corrected), table2
from boundcheck.paper import gd  # noqa: F401  lemma5(+potential), lemma6, theorem7(+corrected)
from boundcheck.paper import prox  # noqa: F401  lemma8(+corrected), lemma9, theorem10(+corrected)
from boundcheck.paper import agd  # noqa: F401  lemma11(+corrected), lemma12, theorem13(+corrected)

__all__ = ["REGISTRY", "SYMBOLS", "Statement", "evaluate_expr", "register", "get_statement", "statement_ids"]


def get_statement(sid: str) -> Statement:
    """The registered statement ``sid`` (built in, or registered by the user)."""
    try:
        return REGISTRY[sid]
    except KeyError:
        raise ValueError(f"unknown statement id {sid!r}; known: {', '.join(statement_ids())}") from None


def statement_ids(checkable_only: bool = False, claims_only: bool = False) -> list[str]:
    """Registered ids; ``claims_only`` leaves out definitions and algorithms (encodings, not claims)."""
    return [k for k, v in REGISTRY.items()
            if (v.checkable or not checkable_only) and (v.kind in CLAIM_KINDS or not claims_only)]
