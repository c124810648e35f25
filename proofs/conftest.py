"""Shared machinery of the proof-checking suite ``proofs/`` (one module per statement).

Exposed as the session-scoped fixture ``kit`` (session scope, so hypothesis-driven
tests may use it too; ``conftest`` is not importable by a unique module name).

* exact vectors: 1-D object arrays of ``fractions.Fraction`` (or ``mpmath.mpf`` where a
  square root is unavoidable, e.g. AGD's λ), with ``dot``/``sq``;
* the least-squares loss f(w, (x, y)) = (⟨x, w⟩ − y)²/2 on exact data;
* ``enumerate_echo``: every batch sequence of an echoed run on a finitely supported
  distribution, with its exact probability, the outer iterates and states, and the exact
  uniform stability ε of the inner method over every state the run reaches (Definition
  1, Ξ = the support) — the quantities the proofs of Theorems 4 and 13 manipulate;
* ``confirm``: the numeric confirmation of a registered statement on instances drawn by
  ``statement.sample`` (float64; a float violation is only believed after the registry's
  two-precision mpmath re-check).
"""
from __future__ import annotations

import itertools
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from boundcheck.engine.search import recheck
from boundcheck.paper import get_statement


# ----------------------------------------------------------------------------- exact vectors
def fr(*values) -> np.ndarray:
    return np.array([Fraction(v) for v in values], dtype=object)


def dot(u, v):
    return sum((a * b for a, b in zip(u, v)), 0 * u[0])


def sq(u):
    return dot(u, u)


# ----------------------------------------------------------------------------- least squares
def ls_value(w, ex):
    x, y = ex
    r = dot(x, w) - y
    return r * r / 2


def ls_grad(w, ex):
    x, y = ex
    return (dot(x, w) - y) * x


def batch_value(loss, batch):
    return lambda w: sum((loss(w, e) for e in batch[1:]), loss(w, batch[0])) / len(batch)


def batch_grad(grad, batch):
    return lambda w: sum((grad(w, e) for e in batch[1:]), grad(w, batch[0])) / len(batch)


# ----------------------------------------------------------------------------- exact enumeration
class Node(SimpleNamespace):
    """One history of an echoed run: ``hist`` (the batches so far, as index tuples),
    ``prob``, the current point ``w`` and state ``s``, and the inner run that produced it."""


def enumerate_echo(method, s0, w0, support, probs, B, K, T, value, grad):
    """All batch sequences of T outer steps (batches = ordered B-tuples of support indices).

    Returns (levels, eps): levels[t] is the list of Nodes after t outer steps (levels[0]
    is the start), eps the exact uniform stability of ``method`` over every state in
    levels[0..T−1] (sup over neighbouring batches and evaluation points ξ ∈ support).
    """
    m = len(support)
    batches = list(itertools.product(range(m), repeat=B))
    cache = {}

    def run(w, s, b):
        key = (id(w), id(s), b)
        if key not in cache:
            cache[key] = (w, s, method.run(w, s, batch_grad(grad, [support[i] for i in b]), K))
        return cache[key][2]

    levels = [[Node(hist=(), prob=Fraction(1), w=w0, s=s0, inner=None)]]
    eps = 0 * value(w0, support[0])
    for t in range(T):
        nxt = []
        for nd in levels[-1]:
            for b in batches:
                pb = Fraction(1)
                for i in b:
                    pb *= probs[i]
                r = run(nd.w, nd.s, b)
                nxt.append(Node(hist=nd.hist + (b,), prob=nd.prob * pb, w=r.w_out, s=r.s_out, inner=r, parent=nd))
            # exact uniform stability at this reached state (Definition 1 over Ξ = support)
            for b in batches:
                r1 = run(nd.w, nd.s, b)
                for i in range(B):
                    for rep in range(m):
                        if rep == b[i]:
                            continue
                        b2 = b[:i] + (rep,) + b[i + 1:]
                        r2 = run(nd.w, nd.s, b2)
                        for z in support:
                            eps = max(eps, abs(value(r1.w_out, z) - value(r2.w_out, z)))
        levels.append(nxt)
    return levels, eps


def population(value, support, probs):
    return lambda w: sum((p * value(w, z) for p, z in zip(probs, support)), 0 * value(w, support[0]))


def expect(nodes, fn):
    return sum((nd.prob * fn(nd) for nd in nodes), 0 * fn(nodes[0]))


# ----------------------------------------------------------------------------- numeric confirmation
def confirm(sid: str, seed: int, C: int = 8, family: str | None = None, rtol: float = 1e-9) -> int:
    """Draw C instances of ``sid`` and assert LHS ≤ RHS on the admissible ones.

    Float64 comparisons allow rtol·(|LHS| + |RHS|); anything beyond that is re-checked
    in mpmath at 60 and 90 digits by the registry's own ``recheck`` and must not be a
    counterexample there.  Returns the number of admissible instances checked."""
    st = get_statement(sid)
    s, p = st.sample(np.random.default_rng(seed), C, family)
    lhs, rhs, viol = st.run(s, p)
    lhs = np.asarray(lhs, dtype=float)
    rhs = np.asarray(rhs, dtype=float)
    ok = np.isfinite(lhs) & np.isfinite(rhs)
    for v in viol.values():
        ok &= ~np.asarray(v, dtype=bool)
    tol = rtol * (np.abs(lhs) + np.abs(rhs))
    for j in np.nonzero(ok & (lhs > rhs + tol))[0]:
        chk = recheck(st, s, {k: v[j:j + 1] for k, v in p.items()}, 1.0)
        assert not chk["is_counterexample"], (sid, s, {k: v[j] for k, v in p.items()}, chk)
    return int(ok.sum())


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    return SimpleNamespace(fr=fr, dot=dot, sq=sq, ls_value=ls_value, ls_grad=ls_grad, batch_value=batch_value,
                           batch_grad=batch_grad, enumerate_echo=enumerate_echo, population=population,
                           expect=expect, confirm=confirm)
