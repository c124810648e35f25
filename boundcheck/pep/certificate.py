"""The search for exact dual certificates of a PEP bound (:func:`prove`).

A certificate (what it proves, how it is checked: :mod:`boundcheck.pep.check`) is a list of
multipliers λ_k ≥ 0 of the class's interpolation inequalities and a δ ≥ 0 with
LHS − RHS ≤ δ·tr G for every instance; δ = 0 is the statement itself.

**How certificates are found** (:func:`prove`): a float solve of the difference PEP on a growing
set of inequalities (start from consecutive pairs and the comparator's pairs; add the ones the
primal violates), a solve with every inequality tightened by a small margin (which selects a
sparse dual), a re-solve on that support (or on the whole current set when that support is too
relaxed), then, for δ = 0, **basis recovery** (:func:`_prove_exact_basis`): a rational basis V of
S's nullspace (from the primal G, polished by Gauss–Newton on the active equations so that a
small-denominator rounding recovers it exactly), the exact equalities A λ = b on the active
multipliers (the F-identity and S(λ)·V = 0), a maximal set of independent columns of A (exact
RREF), the other multipliers rounded to short rationals and the basis ones solved exactly, then
the exact check.  This keeps every rational short (≤ 14 characters for GD with 64 steps, where a
least-change projection of all multipliers gave thousands of digits and a non-PSD S).  The
least-change projection remains the fallback, and if δ = 0 fails, δ > 0 is tried (1e-12, 1e-10,
…, 1e-4) and reported.

Owns: the float support of the difference PEP (:func:`float_support`, :func:`restricted`), the
rounding of its dual to exact multipliers (basis recovery, the least-change fallback, δ > 0) and,
for AGD, to a ball certificate with a spanning forest of dependent multipliers.  The public names
of the checker (:mod:`boundcheck.pep.check`: :class:`Certificate`, :func:`check_certificate`, the
records, :func:`load_record`) and of the arithmetic (:mod:`boundcheck.pep.exact`: :func:`parse_q`,
:func:`q_str`, :func:`psd_exact` …) are re-exported here, with the private helpers
:mod:`boundcheck.pep.witness` takes from this module: it remains the one to import.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

import numpy as np

from boundcheck.pep.check import (MAX_K, Certificate, CheckResult, _build, _check_ball, _check_parts, _edge,
                                  _Parts, _resolved_params, _root_of, _union_find, _values_from_strings,
                                  certificate_record, check_certificate, load_record, save_certificate,
                                  statement_of_record)
from boundcheck.pep.exact import (_Basis, _free_roundings, _prec, _Qv, _rational_nullspace, _rational_range,
                                  _rationalise, _sparse_Q, ldl_pd_ball, ldl_psd_exact, ldl_psd_rank, least_change,
                                  parse_q, psd_exact, q_str)
from boundcheck.pep.problem import ConstraintRef, Problem

__all__ = ["Certificate", "CheckResult", "prove", "certificate_record", "check_certificate", "save_certificate",
           "parse_q", "q_str", "psd_exact", "ldl_psd_exact", "ldl_pd_ball", "DELTAS", "MAX_K",
           "load_record", "statement_of_record", "ldl_psd_rank"]

log = logging.getLogger("boundcheck.pep")

DELTAS = ("1/1000000000000", "1/10000000000", "1/100000000", "1/1000000", "1/10000")
BALL_PREC = 200


def _method_of(st: Any, method: str | None) -> str:
    if method:
        return method
    if len(st.methods) == 1:
        return st.methods[0]
    raise ValueError(f"{st.id}: choose the method ({', '.join(st.methods)})")


# ------------------------------------------------------------------------------ float support
class _SubsetFunction:
    """A PepFunction seen through a subset of its ordered pairs (a restricted PEP)."""

    def __init__(self, fn: Any, pairs: list[tuple[int, int]]) -> None:
        self._fn, self._pairs = fn, sorted(pairs)
        self.triples, self.cls, self.name, self.space = fn.triples, fn.cls, fn.name, fn.space

    def pairs(self) -> list[tuple[int, int]]:
        return list(self._pairs)


class _MarginProblem(Problem):
    """Every interpolation inequality tightened to q_k ≥ margin (q ≥ 0 when margin = 0)."""

    margin = 0.0

    def _interpolation_rows(self, fn, ri, ci, w, chunk: int = 512):  # noqa: ANN001
        A, c = super()._interpolation_rows(fn, ri, ci, w, chunk)
        return A, c - self.margin


def restricted(problem: Problem, pairs: list[set], margin: float = 0.0) -> Problem:
    """The PEP with only the given ordered pairs of each function (and a margin)."""
    fns = [_SubsetFunction(fn, list(pairs[k])) for k, fn in enumerate(problem.functions)]
    p = _MarginProblem(problem.space, fns, problem.objective, problem.extra, problem.equalities)
    p.margin = float(margin)
    return p


def _initial_pairs(fn: Any) -> set:
    n = len(fn.triples)
    out = {(i, i + 1) for i in range(n - 1)} | {(i + 1, i) for i in range(n - 1)}
    zero = [k for k, t in enumerate(fn.triples) if not np.any(np.asarray(t.x, dtype=float))]
    for z in zero:
        out |= {(z, j) for j in range(n) if j != z} | {(j, z) for j in range(n) if j != z}
    return out


def _pair_values(problem: Problem, G: np.ndarray, F: np.ndarray) -> list[np.ndarray]:
    """q_ij(G, F) for every ordered pair of every function (float, vectorised)."""
    d = problem.d
    out = []
    for fn in problem.functions:
        X = np.array([np.asarray(t.x, dtype=float)[:d] for t in fn.triples])
        Gm = np.array([np.asarray(t.g, dtype=float)[:d] for t in fn.triples])
        fv = np.array([np.asarray(t.f.a, dtype=float)[:problem.m] @ F for t in fn.triples])
        P = np.array(fn.pairs(), dtype=int).reshape(-1, 2)
        I, J = P[:, 0], P[:, 1]
        q = fv[I] - fv[J]
        for coef, u, v in fn.cls.terms(X[I], Gm[I], X[J], Gm[J]):
            q = q + float(coef) * np.einsum("ki,ij,kj->k", u, G, v)
        out.append(q)
    return out


def _solve(problem: Problem) -> Any:
    from boundcheck.core.errors import SolverError
    try:
        return problem.solve("clarabel")
    except SolverError as exc:
        log.info("PEP support solve failed: %s", exc)
        return None


def float_support(problem: Problem, start: list[set] | None = None, *, rounds: int = 20,
                  margins: tuple = (1e-5, 1e-6, 1e-7)) -> tuple[list[ConstraintRef], np.ndarray, Any]:
    """A sparse float dual of ``problem`` (the difference PEP).  From the ``start`` pairs
    (consecutive pairs and the comparator's pairs by default): a solve with every inequality
    tightened by a small margin selects a sparse dual; a re-solve without margin on its support;
    if that value is not ≤ 0 (the restricted PEP is too relaxed), the pairs its primal violates
    are added and the round repeats.  Returns (refs in the full problem's order, λ, solution)."""
    fns = problem.functions
    cur = [set(s) for s in start] if start else [_initial_pairs(fn) for fn in fns]
    sol, use = None, cur
    for _ in range(rounds):
        use = cur
        for mg in margins:
            msol = _solve(restricted(problem, cur, margin=mg))
            if msol is None or msol.status not in ("optimal", "inaccurate"):
                continue
            rp = restricted(problem, cur)
            lam = msol.lam[:len(rp.inequalities)]
            top = max(float(np.max(lam[:-1], initial=0.0)), 1e-300)
            keep = [set() for _ in fns]
            for ref, l in zip(rp.inequalities, lam):
                if ref.fn >= 0 and ref.j >= 0 and l > 1e-4 * top:
                    keep[ref.fn].add((ref.i, ref.j))
            use = keep
            break
        sol = _solve(restricted(problem, use))
        if (sol is None or sol.status not in ("optimal", "inaccurate")) and use is not cur:
            use = cur
            sol = _solve(restricted(problem, use))
        if sol is None or sol.status not in ("optimal", "inaccurate"):
            cur = [set(fn.pairs()) for fn in fns]
            continue
        if sol.value <= 1e-7:
            break
        if use is not cur:
            # the margin's sparse support is too relaxed: the whole current set, without a margin
            csol = _solve(restricted(problem, cur))
            if csol is not None and csol.status in ("optimal", "inaccurate") and csol.value <= 1e-7:
                sol, use = csol, cur
                break
        added = 0
        for k, (fn, q) in enumerate(zip(fns, _pair_values(problem, sol.G, sol.F))):
            pairs = fn.pairs()
            bad = [pairs[t] for t in np.argsort(q) if q[t] < -1e-7 and pairs[t] not in cur[k]]
            bad = bad[:max(8, len(fn.triples))]
            cur[k] |= set(bad)
            added += len(bad)
        if not added:
            break
    if sol is None or sol.lam is None:
        from boundcheck.core.errors import SolverError
        raise SolverError("the PEP could not be solved")
    rp = restricted(problem, use)
    full = {r: k for k, r in enumerate(problem.inequalities)}
    refs, lams = [], []
    for ref, l in zip(rp.inequalities, sol.lam):
        if ref.fn < 0:
            continue  # the normalisation tr G ≤ 1: not part of a certificate
        refs.append(ConstraintRef(ref.fn, ref.i, ref.j))
        lams.append(max(float(l), 0.0))
    order = sorted(range(len(refs)), key=lambda t: full[refs[t]])
    return [refs[t] for t in order], np.array([lams[t] for t in order]), sol


# ------------------------------------------------------------------------------ prove
def _claim(inst: Any, delta: Any, arith: str, prec: int = 0) -> str:
    basis = ", ".join(inst.space.vector_names[:3]) + (", …" if inst.space.d > 3 else "")
    core = f"{inst.statement} at K = {inst.K}, " + ", ".join(f"{k} = {v}" for k, v in inst.params.items() if k != "K")
    if delta == 0:
        s = f"{core}: LHS ≤ RHS for every function of the class ({inst.class_name})"
    else:
        s = (f"{core}: LHS − RHS ≤ δ·tr G with δ = {q_str(delta)} (tr G = Σ‖b‖² over the basis {basis}) "
             f"for every function of the class ({inst.class_name})")
    if arith == "ball":
        s += (f"; rigorous ball arithmetic at {prec} bits; values normalised by f(w*) = 0 "
              "(equivalent when LHS − RHS depends on f only through f(·) − f(w*))")
    return s


def prove(st: Any, K: int, values: Mapping[str, Any], method: str | None = None,
          solution: Any = None) -> Certificate | None:
    """An exact certificate of ``st`` at (K, values), or None if none was found (which proves
    nothing either way).  ``solution``: a float Solution of ``build(...).problem("difference")``
    whose support seeds the search (optional)."""
    method = _method_of(st, method)
    from boundcheck.pep.statements import arith_for
    arith = arith_for(method)
    finst = _build(st, K, values, "float", method)
    fprob = finst.problem("difference")
    start = None
    if solution is not None and solution.lam is not None:
        lam = np.asarray(solution.lam, dtype=float)
        top = max(float(np.max(lam[:-1], initial=0.0)), 1e-300)
        start = [set() for _ in fprob.functions]
        for ref, l in zip(fprob.inequalities, lam):
            if ref.fn >= 0 and ref.j >= 0 and l > 1e-7 * top:
                start[ref.fn].add((ref.i, ref.j))
        for k, fn in enumerate(fprob.functions):
            start[k] |= _initial_pairs(fn)
    refs, lam, sol = float_support(fprob, start)
    if sol.value > 1e-6:
        log.info("%s K=%d: the PEP's value %.3g > 0: not provable", st.id, K, sol.value)
        return None
    params = _resolved_params(finst)
    if arith == "ball":
        with _prec(BALL_PREC):
            return _prove_ball_cert(st, K, method, params, fprob, refs, lam)
    xinst = _build(st, K, _values_from_strings(params), arith, method)
    labels_f = [r.label(fprob) for r in refs]
    xprob = xinst.problem("difference")
    if [r.label(xprob) for r in refs] != labels_f:
        raise RuntimeError("the exact and float builds differ in their inequalities (internal)")
    full = {r: k for k, r in enumerate(xprob.inequalities)}
    if arith == "exact":
        out = _prove_exact(xinst, refs, lam, sol)
        if out is None:
            return None
        lams, delta = out
        mult = [(full[r], lab, l) for r, lab, l in zip(refs, labels_f, lams) if l != 0]
        return Certificate(st.id, st.fingerprint(), method, int(K), params, "exact", delta, mult,
                           _claim(xinst, delta, "exact"))
    raise AssertionError("unreachable")


def _prove_ball_cert(st: Any, K: int, method: str, params: dict, fprob: Problem, refs: list,
                     lam: np.ndarray) -> Certificate | None:
    xinst = _build(st, K, _values_from_strings(params), "ball", method)
    labels_f = [r.label(fprob) for r in refs]
    xprob = xinst.problem("difference")
    if [r.label(xprob) for r in refs] != labels_f:
        raise RuntimeError("the ball and float builds differ in their inequalities (internal)")
    full = {r: k for k, r in enumerate(xprob.inequalities)}
    out = _prove_ball(xinst, refs, lam)
    if out is None:
        return None
    lams, dep, delta, root = out
    mult = [(full[r], lab, l) for r, lab, l, dp in zip(refs, labels_f, lams, dep) if not dp and l != 0]
    dependent = [(full[r], lab) for r, lab, dp in zip(refs, labels_f, dep) if dp]
    return Certificate(st.id, st.fingerprint(), method, int(K), params, "ball", delta, mult,
                       _claim(xinst, delta, "ball", BALL_PREC), dependent, BALL_PREC, root)


# ------------------------------------------------------------------------------ basis recovery
def _equality_system(parts: _Parts, act: list, V: list) -> tuple[list, list]:
    """The exact linear equalities on the multipliers of ``act``: the F-identity
    (a_obj + Σ λ_k a_k = 0) and S(λ)·v = 0 for every v in V (Σ λ_k Q_k v = −Q_obj v).
    Rows that vanish identically are dropped; a row 0 = b ≠ 0 is kept (an inconsistency)."""
    from flint import fmpq
    d, m = parts.d, parts.m
    rows, rhs = [], []
    for t in range(m):
        rows.append([parts.forms[k][1][t] for k in act])
        rhs.append(-parts.obj[1][t])
    if V:
        onz = _sparse_Q(parts.obj[0])
        knz = [_sparse_Q(parts.forms[k][0]) for k in act]
        for v in V:
            Qov = _Qv(onz, v, d)
            Qkv = [_Qv(nz, v, d) for nz in knz]
            for i in range(d):
                rows.append([Qkv[c][i] for c in range(len(act))])
                rhs.append(-Qov[i])
    keep = [t for t in range(len(rows)) if any(x != 0 for x in rows[t]) or rhs[t] != 0]
    return [rows[t] for t in keep], [fmpq(0) + rhs[t] for t in keep]


def _nullspace_candidates(Sf: np.ndarray, G: np.ndarray | None) -> list:
    """Rational bases of S's nullspace to try: from the primal Gram matrix G (its range is
    S's nullspace at an optimum: from a refined primal this is accurate to ~1e-14, and a
    small-denominator rounding recovers it exactly), then from S itself."""
    out, seen = [], set()

    def add(V: list | None) -> None:
        if V is None:
            return
        key = tuple(tuple(str(x) for x in row) for row in V)
        if key not in seen:
            seen.add(key)
            out.append(V)
    w = np.linalg.eigvalsh(Sf)
    scale = max(1.0, float(np.max(np.abs(w))))
    dim = int(np.sum(w < 1e-6 * scale))
    for VD in (10 ** 2, 10 ** 3, 10 ** 4, 10 ** 6):
        if G is not None and dim:
            add(_rational_range(G, dim, VD))
        add(_rational_nullspace(Sf, VD))
    return out


def _refine_primal(Qo: np.ndarray, ao: np.ndarray, Qf: list, af: list, act: list, G: np.ndarray, F: np.ndarray,
                   rank: int, iters: int = 30) -> np.ndarray | None:
    """The primal worst case polished to near machine precision: Gauss–Newton on G = U Uᵀ
    (U: d × rank, from G's top eigenvectors) and F for the equations that hold at an optimum,
    q_k(G, F) = 0 for the active inequalities (complementary slackness), obj(G, F) = 0 (the
    difference PEP's value when the bound is tight) and tr G fixed (scale).  Returns the refined
    G, or None when the residual does not vanish (the equations are not those of an optimum:
    e.g. the bound is not tight)."""
    d = len(G)
    w, Uf = np.linalg.eigh(G)
    top = np.argsort(w)[::-1][:rank]
    U = Uf[:, top] * np.sqrt(np.maximum(w[top], 0.0))
    x = np.concatenate([U.ravel(), np.asarray(F, dtype=float)])
    t0 = float(np.sum(U * U))
    if t0 <= 0:
        return None
    Qs = [Qo] + [Qf[k] for k in act]
    As = [np.asarray(ao, dtype=float)] + [np.asarray(af[k], dtype=float) for k in act]
    Qst = np.stack(Qs)                       # (E, d, d)
    Ast = np.stack(As)                       # (E, m)
    nU = d * rank

    def resid(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        U = x[:nU].reshape(d, rank)
        Fv = x[nU:]
        QU = Qst @ U                         # (E, d, rank)
        r = np.einsum("edr,dr->e", QU, U) + Ast @ Fv
        J = np.concatenate([2.0 * QU.reshape(len(Qs), nU), Ast], axis=1)
        r = np.concatenate([r, [float(np.sum(U * U)) - t0]])
        J = np.concatenate([J, np.concatenate([2.0 * U.ravel(), np.zeros(len(Fv))])[None, :]], axis=0)
        return r, J
    scale = max(1.0, float(np.max(np.abs(Qst))))
    best = None
    for _ in range(iters):
        r, J = resid(x)
        nr = float(np.max(np.abs(r)))
        if best is None or nr < best[0]:
            best = (nr, x.copy())
        if nr < 1e-15 * scale * t0:
            break
        dx = np.linalg.lstsq(J, -r, rcond=1e-12)[0]
        x = x + dx
    nr, x = best
    if nr > 1e-11 * scale * t0:
        log.debug("primal refinement: residual %.3g (not an optimum's equations)", nr)
        return None
    U = x[:nU].reshape(d, rank)
    return U @ U.T


def _prove_exact_basis(parts: _Parts, lam: np.ndarray, Qo: np.ndarray, Qf: list,
                       sol: Any = None) -> list | None:
    """δ = 0 by basis recovery.  On the active multipliers, the exact equalities A λ = b (the
    F-identity and S(λ)·V = 0 for a rational basis V of S's nullspace) are reduced to a maximal
    set of independent columns (the basis multipliers; the largest multipliers first); the
    others (free) are rounded to short rationals and the basis multipliers solved exactly.  When
    the true multipliers have small denominators this recovers them exactly; otherwise it still
    keeps every rational short (one square solve with small data), unlike a least-change
    projection of all multipliers.  λ ≥ 0 and S ⪰ 0 are then tested exactly."""
    from flint import fmpq
    n = len(lam)
    top = float(np.max(lam, initial=0.0))
    if top <= 0:
        return None
    tried: set = set()
    for thr in (1e-6, 1e-9):
        act = [k for k in range(n) if lam[k] > thr * top]
        if tuple(act) in tried:
            continue
        tried.add(tuple(act))
        Sf = -Qo - sum(float(lam[k]) * Qf[k] for k in act)
        G = None if sol is None else sol.G
        if G is not None and sol.F is not None:
            w = np.linalg.eigvalsh(Sf)
            dim = int(np.sum(w < 1e-6 * max(1.0, float(np.max(np.abs(w))))))
            if dim:
                ao = np.array([float(v) for v in parts.obj[1]])
                af = [np.array([float(v) for v in f[1]]) for f in parts.forms]
                Gr = _refine_primal(Qo, ao, Qf, af, act, G, sol.F, dim)
                G = G if Gr is None else Gr
        for V in _nullspace_candidates(Sf, G):
            rows, rhs = _equality_system(parts, act, V)
            order = sorted(range(len(act)), key=lambda c: -lam[act[c]])
            try:
                basis = _Basis(rows, rhs, order)
            except ZeroDivisionError:
                continue
            if basis.solve({c: _rationalise(lam[act[c]], 10 ** 6) for c in basis.N}) is None:
                log.debug("basis: the equalities are inconsistent with this nullspace (dim %d)", len(V))
                continue
            vals = [float(lam[act[c]]) for c in basis.N]
            found = []   # (length, how, multipliers): every rounding that passes the float screen
            for how, rv in _free_roundings(vals):
                x = basis.solve(dict(zip(basis.N, rv)))
                if x is None or any(v < 0 for v in x):
                    continue
                lams = [fmpq(0)] * n
                for c, v in enumerate(x):
                    lams[act[c]] = v
                if _float_psd_plausible(Qo, Qf, lams, 0.0):
                    found.append((sum(len(q_str(v)) for v in x), how, lams))
            for _, how, lams in sorted(found, key=lambda t: t[0]):   # the shortest first
                ok, why = _check_parts(parts, lams, fmpq(0), "exact")
                if ok:
                    log.info("δ = 0 by basis recovery: %d active, %d basis, free rounded by %s, nullspace dim %d",
                             len(act), len(basis.B), how, len(V))
                    return lams
                log.debug("basis (%s): %s", how, why)
    return None


def _prove_exact(inst: Any, refs: list, lam: np.ndarray, sol: Any = None) -> tuple[list, Any] | None:
    from flint import fmpq
    parts = _Parts(inst, refs)
    d, m = parts.d, parts.m
    n = len(refs)
    Qf = [np.array([[float(v) for v in row] for row in Q]) for Q, _, _ in parts.forms]
    Qo = np.array([[float(v) for v in row] for row in parts.obj[0]])
    top = float(np.max(lam, initial=0.0))
    lams = _prove_exact_basis(parts, lam, Qo, Qf, sol)
    if lams is not None:
        return lams, fmpq(0)
    # fallback: the least-change projection of every active multiplier (long rationals)
    for thr in (1e-6, 1e-9):
        act = [k for k in range(n) if lam[k] > thr * top]
        for D in (10 ** 3, 10 ** 5, 10 ** 7, 10 ** 9):
            lr = [_rationalise(lam[k], D) for k in act]
            Sf = -Qo - sum(float(l) * Qf[k] for l, k in zip(lr, act))
            for VD in (10 ** 2, 10 ** 4, 10 ** 6):
                V = _rational_nullspace(Sf, VD)
                if V is None:
                    continue
                rows, rhs = [], []
                for t in range(m):  # F-identity: a_obj + Σ λ a_k = 0
                    rows.append([parts.forms[k][1][t] for k in act])
                    rhs.append(-parts.obj[1][t])
                for v in V:        # S v = 0: Σ λ (Q_k v) = −Q_obj v
                    Qov = [sum((parts.obj[0][i][j] * v[j] for j in range(d) if v[j] != 0), fmpq(0)) for i in range(d)]
                    Qkv = [[sum((parts.forms[k][0][i][j] * v[j] for j in range(d) if v[j] != 0), fmpq(0))
                            for i in range(d)] for k in act]
                    for i in range(d):
                        rows.append([Qkv[c][i] for c in range(len(act))])
                        rhs.append(-Qov[i])
                rows_nz = [(r_, b_) for r_, b_ in zip(rows, rhs) if any(x != 0 for x in r_) or b_ != 0]
                x = least_change([r_ for r_, _ in rows_nz], [b_ for _, b_ in rows_nz], lr)
                if x is None or any(v < 0 for v in x):
                    continue
                lams = [fmpq(0)] * n
                for k, v in zip(act, x):
                    lams[k] = v
                if not _float_psd_plausible(Qo, Qf, lams, 0.0):
                    continue  # clearly not PSD in floats: skip the exact test
                ok, why = _check_parts(parts, lams, fmpq(0), "exact")
                if ok:
                    return lams, fmpq(0)
                log.debug("δ = 0 at D=%d VD=%d: %s", D, VD, why)
                break  # a different nullspace denominator will not fix a non-PSD S
    # δ > 0: only the F-identity must hold exactly
    for thr in (1e-6, 1e-9):
        act = [k for k in range(n) if lam[k] > thr * top]
        lr = [_rationalise(lam[k], 10 ** 12) for k in act]
        rows = [[parts.forms[k][1][t] for k in act] for t in range(m)]
        rhs = [-parts.obj[1][t] for t in range(m)]
        x = least_change(rows, rhs, lr)
        if x is None or any(v < 0 for v in x):
            continue
        lams = [fmpq(0)] * n
        for k, v in zip(act, x):
            lams[k] = v
        for ds in DELTAS:
            delta = parse_q(ds)
            if not _float_psd_plausible(Qo, Qf, lams, float(delta)):
                continue
            ok, why = _check_parts(parts, lams, delta, "exact")
            if ok:
                return lams, delta
    return None


def _float_psd_plausible(Qo: np.ndarray, Qf: list, lams: list, delta: float) -> bool:
    """A float pre-screen (never a proof): S's smallest eigenvalue not clearly negative."""
    S = -Qo - sum(float(l) * Q for l, Q in zip(lams, Qf) if l != 0) + delta * np.eye(len(Qo))
    w = np.linalg.eigvalsh(S)
    return bool(w[0] >= -1e-9 * max(1.0, float(np.max(np.abs(w)))))


# ------------------------------------------------------------------------------ ball certificates
def _tree(inst: Any, refs: list, lam: np.ndarray, root: int) -> list[bool] | None:
    """A spanning forest of the values (largest λ first) among the inequalities: the dependent
    multipliers.  A value outside the root's tree must have a zero F-coefficient on its own."""
    parent, find = _union_find(inst.space.m)
    dep = [False] * len(refs)
    for k in sorted(range(len(refs)), key=lambda t: -lam[t]):
        r = refs[k]
        if r.j < 0 or lam[k] <= 0:
            continue
        a, b = (find(v) for v in _edge(inst, r))
        if a != b:
            parent[a] = b
            dep[k] = True
    return dep


def _prove_ball(inst: Any, refs: list, lam: np.ndarray) -> tuple | None:
    from flint import fmpq
    root = _root_of(inst)
    dep = _tree(inst, refs, lam, root)
    if dep is None:
        return None
    with _prec(BALL_PREC):
        parts = _Parts(inst, refs)
        top = float(np.max(lam, initial=0.0))
        lr = [fmpq(0) if (dep[k] or lam[k] <= 1e-9 * top) else _rationalise(lam[k], 10 ** 12) for k in range(len(refs))]
        for ds in DELTAS:
            delta = parse_q(ds)
            ok, why = _check_ball(parts, lr, dep, refs, root, delta)
            if ok:
                return lr, dep, delta, root
            log.debug("ball δ = %s: %s", ds, why)
    return None
