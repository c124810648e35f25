"""Exact primal witnesses: a refutation of a PEP bound that anyone can replay.

A witness is a concrete instance in ℝ^r with rational coordinates: one row of ``vectors`` per
basis vector of the PEP (the starting point w_init − w*, the free pivot / initial momentum, one
gradient per oracle call; the comparator w* is the origin) and one rational per function value.
The checker (:func:`check_witness`) rebuilds the statement's PEP from the registry — which
**re-runs the method** (``core.algorithms``) on the symbolic points, so every iterate is the
exact combination of the basis the algorithm produces — maps each point and gradient to ℝ^r
through the rows, and checks **exactly** (``flint.fmpq``; rigorous balls ``flint.arb`` for AGD,
whose coefficients are irrational) that

* every interpolation condition q_ij ≥ 0 of the class holds for every ordered pair of recorded
  triples (x_i, g_i, f_i) (:meth:`~boundcheck.pep.functions.InterpolationClass.terms`, the one
  definition), and
* LHS − RHS > 0.

Only an *exact* class may be refuted: its interpolation conditions are sufficient, so a function
of the class passes through the triples.  For L-smooth convex functions (Taylor, Hendrickx,
Glineur 2017, Thm. 4) one such function is explicit: with c_i = ⟨x_i, g_i⟩ − f_i,

    h(y) = max_i [ c_i + ⟨x_i, y − g_i⟩ + ‖y − g_i‖² / (2L) ]     (1/L-strongly convex, h(g_i) = c_i),
    f(x) = h*(x) = sup_y [ ⟨x, y⟩ − h(y) ],

which is convex and L-smooth (the conjugate of a 1/L-strongly convex function), and the
interpolation conditions are exactly what makes f(x_i) = f_i and ∇f(x_i) = g_i.  For the
μ-strongly convex class the same construction applies to f − μ‖·‖²/2 (L − μ smooth convex).  The
method run on this f from w_init (with the recorded pivot / momentum) visits exactly the recorded
points, and the bound fails at them.  A relaxation class (Lipschitz smooth convex: necessary
conditions only) is never refuted.

How one is found (:func:`refute`): the difference PEP's value is > 0; it is re-solved with every
interpolation inequality tightened to q_ij ≥ ε (so rounding cannot break them), G = XXᵀ is
factored (positive eigenvalues kept), X and F rounded to rationals, and the exact check run.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping, NamedTuple

import numpy as np

from boundcheck.pep.certificate import (BALL_PREC, _build, _method_of, _prec, _rationalise, _resolved_params,
                                        _values_from_strings, parse_q, q_str, restricted)

__all__ = ["Witness", "CheckResult", "refute", "witness_record", "check_witness", "save_witness"]

log = logging.getLogger("boundcheck.pep")


class Witness(NamedTuple):
    """An exact counterexample of ``st`` at (K, params): coordinates and values."""

    statement: str
    fingerprint: str
    method: str
    K: int
    params: dict          # name → "p/q" (resolved parameters, K apart)
    arith: str            # "exact" or "ball"
    vectors: list         # d rows of r fmpq: the basis vectors' coordinates
    values: list          # m fmpq: the function values
    vector_names: list
    value_names: list
    lhs: Any              # exact (fmpq) or ball (arb)
    rhs: Any
    min_slack: Any        # the smallest interpolation slack q_ij (> 0 by the margin)
    prec: int = 0


class CheckResult(NamedTuple):
    valid: bool
    reason: str
    lhs: Any = None
    rhs: Any = None


def _evaluate(inst: Any, X: list, F: list) -> tuple[bool, str, Any, Any, Any]:
    """Exact (or rigorous ball) check of a concrete instance: (ok, reason, lhs, rhs, min slack)."""
    space = inst.space
    d, m = space.d, space.m
    ball = space.arith == "ball"
    if len(X) != d or any(len(row) != len(X[0]) for row in X) or len(F) != m:
        return False, f"the witness has {len(X)} vectors and {len(F)} values; the PEP has {d} and {m}", None, None, None
    r = len(X[0])
    if ball:
        from flint import arb
        Xn = [[arb(v) for v in row] for row in X]
        Fn = [arb(v) for v in F]
    else:
        Xn, Fn = X, F
    zero = space.zero

    def concrete(c: Any) -> np.ndarray:
        out = np.empty(r, dtype=object)
        for t in range(r):
            s = zero
            for k in range(d):
                if c[k] != 0 or (ball and not c[k].is_zero()):
                    s = s + c[k] * Xn[k][t]
            out[t] = s
        return out

    def dot(u: np.ndarray, v: np.ndarray) -> Any:
        s = zero
        for a, b in zip(u, v):
            s = s + a * b
        return s

    def value(f: Any) -> Any:
        s = zero if f.c is None else f.c
        if f.a is not None:
            for t in range(m):
                s = s + f.a[t] * Fn[t]
        return s

    min_slack = None
    for fn in inst.functions:
        if not fn.cls.exact_class:
            return False, f"{fn.cls.describe()}: a relaxation class cannot be refuted by a witness", None, None, None
        pts = [(concrete(t.x), concrete(t.g), value(t.f)) for t in fn.triples]
        for i, j in fn.pairs():
            xi, gi, fi = pts[i]
            xj, gj, fj = pts[j]
            q = fi - fj
            for coef, u, v in fn.cls.terms(xi, gi, xj, gj):
                q = q + coef * dot(u, v)
            if not (q >= 0):
                lab = f"({fn.triples[i].name}, {fn.triples[j].name})"
                return False, f"interpolation condition {lab} fails" + (" or is not certain" if ball else ""), \
                    None, None, None
            if min_slack is None or (float(q.mid()) if ball else q) < (float(min_slack.mid()) if ball else min_slack):
                min_slack = q
    # the Gram matrix and the statement's two sides
    G = [[dot(Xn[i], Xn[j]) for j in range(d)] for i in range(d)]

    def form(f: Any) -> Any:
        s = value(f)
        if f.Q is not None:
            for i in range(d):
                for j in range(d):
                    qv = f.Q[i][j]
                    if qv != 0 or (ball and not qv.is_zero()):
                        s = s + qv * G[i][j]
        return s

    lhs, rhs = form(inst.lhs), form(inst.rhs)
    diff = lhs - rhs
    if not (diff > 0):
        return False, "LHS − RHS is not (certainly) positive: the bound is not violated", lhs, rhs, min_slack
    return True, "every interpolation condition holds and LHS > RHS", lhs, rhs, min_slack


def refute(st: Any, K: int, values: Mapping[str, Any], method: str | None = None,
           solution: Any = None) -> Witness | None:
    """An exact witness that ``st`` fails at (K, values), or None (none found; a relaxation
    class is never refuted).  ``solution``: a float Solution of the difference PEP (optional)."""
    method = _method_of(st, method)
    from boundcheck.pep.statements import arith_for
    arith = arith_for(method)
    finst = _build(st, K, values, "float", method)
    if not finst.exact_class:
        log.info("%s: %s is a relaxation: no witness", st.id, finst.class_name)
        return None
    prob = finst.problem("difference")
    sol = solution if solution is not None else prob.solve("clarabel")
    if sol.status not in ("optimal", "inaccurate") or not sol.value > 1e-7:
        return None
    params = _resolved_params(finst)
    with _prec(BALL_PREC if arith == "ball" else 0):
        xinst = _build(st, K, _values_from_strings(params), arith, method)
        all_pairs = [set(fn.pairs()) for fn in prob.functions]
        for rel in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):  # feasible margins shrink as K grows (tr G ≤ 1)
            eps = rel * sol.value
            msol = None
            for solver in ("clarabel", "scs"):  # Clarabel can stop on a NumericalError at larger K
                try:
                    msol = restricted(prob, all_pairs, margin=eps).solve(solver)
                    break
                except Exception as exc:  # noqa: BLE001  (a solver failure: the other solver, then a margin)
                    log.info("witness margin solve failed (%s): %s", solver, exc)
            if msol is None:
                continue
            if msol.status not in ("optimal", "inaccurate") or msol.value <= 0 or msol.G is None:
                continue
            w, V = np.linalg.eigh(msol.G)
            keep = w > 1e-9 * max(float(w.max()), 1e-300)
            Xf = V[:, keep] * np.sqrt(w[keep])
            for D in (10 ** 4, 10 ** 6, 10 ** 8, 10 ** 10):
                X = [[_rationalise(v, D) for v in row] for row in Xf]
                F = [_rationalise(v, D) for v in msol.F]
                ok, why, lhs, rhs, slack = _evaluate(xinst, X, F)
                if ok:
                    return Witness(st.id, st.fingerprint(), method, int(K), params, arith, X, F,
                                   list(xinst.space.vector_names), list(xinst.space.value_names), lhs, rhs, slack,
                                   BALL_PREC if arith == "ball" else 0)
                log.debug("witness ε=%g D=%d: %s", eps, D, why)
    return None


def _num_str(x: Any) -> str:
    if hasattr(x, "mid"):
        return x.str(20)
    return q_str(x)


def witness_record(w: Witness) -> dict:
    """The payload of a ``boundcheck/witness`` file (coordinates and values as "p/q")."""
    rec = {"statement": w.statement, "fingerprint": w.fingerprint, "method": w.method, "K": int(w.K),
           "params": dict(w.params), "arith": w.arith,
           "vectors": [[q_str(v) for v in row] for row in w.vectors], "values": [q_str(v) for v in w.values],
           "vector_names": list(w.vector_names), "value_names": list(w.value_names),
           "lhs": _num_str(w.lhs), "rhs": _num_str(w.rhs), "min_slack": _num_str(w.min_slack),
           "function": "the L-smooth convex interpolant of the triples (Taylor–Hendrickx–Glineur 2017, Thm 4): "
                       "f = h*, h(y) = max_i [⟨x_i, g_i⟩ − f_i + ⟨x_i, y − g_i⟩ + ‖y − g_i‖²/(2L)]; the points x_i "
                       "are the method's iterates re-run from the rows of 'vectors' (comparator at the origin)"}
    if w.arith == "ball":
        rec["prec"] = int(w.prec)
    return rec


def save_witness(path: str | Path, w: Witness, **meta: Any) -> Path:
    from boundcheck.outputs import files
    return files.write(path, "witness", witness_record(w), **meta)


def check_witness(record_or_path: Any) -> CheckResult:
    """Re-check a witness (record or path) exactly: rebuild the PEP (re-running the method),
    check every interpolation condition and LHS > RHS.  MalformedFile for a malformed file."""
    from boundcheck.outputs.files import MalformedFile
    from boundcheck.pep.certificate import load_record, statement_of_record
    rec = load_record(record_or_path, "witness")
    st = statement_of_record(rec)
    try:
        params = _values_from_strings(rec["params"])
        X = [[parse_q(v, "a coordinate") for v in row] for row in rec["vectors"]]
        F = [parse_q(v, "a function value") for v in rec["values"]]
    except ValueError as exc:
        raise MalformedFile(str(exc)) from None
    if rec["fingerprint"] != st.fingerprint():
        return CheckResult(False, "the statement's declaration changed (fingerprint differs)")
    if rec["method"] not in st.methods:
        return CheckResult(False, f"{st.id} has no method {rec['method']!r}")
    from boundcheck.pep.statements import arith_for
    arith = arith_for(rec["method"])
    if rec["arith"] != arith:
        return CheckResult(False, f"the method's exact arithmetic is {arith!r}, the file says {rec['arith']!r}")
    prec = rec.get("prec", BALL_PREC) if arith == "ball" else 0
    if arith == "ball" and not 53 <= prec <= 4096:
        raise MalformedFile("field 'prec' must be in [53, 4096]")
    with _prec(prec):
        try:
            inst = _build(st, rec["K"], params, arith, rec["method"])
        except ValueError as exc:
            return CheckResult(False, f"the parameters do not define an instance: {exc}")
        if _resolved_params(inst) != dict(rec["params"]):
            return CheckResult(False, "the file's parameters are not the resolved parameters of the instance")
        if not inst.exact_class:
            return CheckResult(False, f"{inst.class_name}: a relaxation class cannot be refuted by a witness")
        ok, why, lhs, rhs, _ = _evaluate(inst, X, F)
    return CheckResult(ok, why, lhs, rhs)
