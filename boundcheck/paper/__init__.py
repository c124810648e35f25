"""The paper's statements, declared in the statement language (one module per section).

Owns: Theorem 2, Theorem 4, Lemmas 5–12, Theorems 7, 10, 13 and Table 2, each as printed and,
where refuted, corrected beside it; and the encodings of Definitions 1, 3, Algorithms 1, 2 and
the inner methods.  Importing this package registers them (in the paper's order).
May import: ``boundcheck.core``, ``boundcheck.lang``.
"""
import re

from boundcheck.lang.corrections import variant
from boundcheck.lang.encoding import ENCODINGS, Encoding
from boundcheck.lang.declaration import CLAIM_KINDS, REGISTRY, SYMBOLS, Statement, evaluate_expr, register
from boundcheck.paper import definitions  # noqa: F401  Definitions 1, 3; Algorithms 1, 2; inner methods
from boundcheck.paper import general  # noqa: F401  theorem2, theorem4(+corrected), table2
from boundcheck.paper import gd  # noqa: F401  lemma5(+potential), lemma6, theorem7(+corrected)
from boundcheck.paper import prox  # noqa: F401  lemma8(+corrected), lemma9, theorem10(+corrected)
from boundcheck.paper import agd  # noqa: F401  lemma11(+corrected), lemma12, theorem13(+corrected)

__all__ = ["REGISTRY", "ENCODINGS", "SYMBOLS", "Statement", "Encoding", "evaluate_expr", "register", "get_statement",
           "get_encoding", "statement_ids", "PAPER_IDS"]

#: the paper's own statements (as printed and corrected), in the paper's order
PAPER_IDS = tuple(REGISTRY)


_VARIANTS: dict[str, Statement] = {}
_VARIANT_ID = re.compile(r"^(?P<base>[A-Za-z0-9_]+)(\[(?P<reading>[^\]]+)\])?(?P<corr>(\+[A-Za-z0-9_]+)*)$")


def _variant(sid: str) -> Statement | None:
    """A printed statement with named corrections / a reading applied (``theorem7+average``,
    ``theorem4[ε uniform over W]+average``): built from its declaration, the way the diagnosis
    writes their counterexample files, so that those files replay."""
    m = _VARIANT_ID.match(sid)
    if not m or m.group("base") not in REGISTRY or not (m.group("reading") or m.group("corr")):
        return None
    if sid not in _VARIANTS:
        names = [c for c in m.group("corr").split("+") if c]
        _VARIANTS[sid] = variant(REGISTRY[m.group("base")], names, m.group("reading"))
    return _VARIANTS[sid]


def get_statement(sid: str) -> Statement:
    """The registered statement ``sid`` (built in, or registered by the user), or a variant of one
    (``theorem7+average``: a printed statement with named corrections applied)."""
    try:
        return REGISTRY[sid]
    except KeyError:
        v = _variant(sid)
        if v is not None:
            return v
        if sid in ENCODINGS:
            e = ENCODINGS[sid]
            raise ValueError(f"{sid!r} is {e.number}, an encoding of the paper's {e.kind} (not a claim to verify); "
                             f"see 'boundcheck show {sid}'") from None
        raise ValueError(f"unknown statement id {sid!r}; known: {', '.join(statement_ids())}") from None


def get_encoding(eid: str) -> Encoding:
    """A definition or algorithm of the paper, as printed (sympy)."""
    try:
        return ENCODINGS[eid]
    except KeyError:
        raise ValueError(f"unknown encoding id {eid!r}; known: {', '.join(ENCODINGS)}") from None


def statement_ids(checkable_only: bool = False, conjectures: bool = False) -> list[str]:
    """Registered statement ids (encodings are in ``ENCODINGS``); conjectures (not claims of the
    paper, e.g. Section 6's) only if asked for."""
    return [k for k, v in REGISTRY.items() if (v.checkable or v.big_o_family is not None or not checkable_only)
            and (conjectures or v.kind != "conjecture")]
