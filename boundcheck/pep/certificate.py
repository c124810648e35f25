"""Exact dual certificates of a PEP bound, and their checker (untrusted input).

**What a certificate proves.**  For a statement LHS ≤ RHS at fixed (K, parameters), let
q_k(G, F) ≥ 0 be the interpolation conditions of the class (valid for every function of it,
:meth:`~boundcheck.pep.functions.PepFunction.condition`).  A certificate is a list of
multipliers λ_k ≥ 0 and a δ ≥ 0 such that, as an identity in the Gram matrix G and the values F,

    (LHS − RHS) + Σ_k λ_k q_k − δ·tr G  ≡  −⟨S, G⟩ + c0,     F-part exactly 0,  S ⪰ 0,  c0 ≤ 0,

so LHS − RHS ≤ δ·tr G for every instance (tr G = Σ‖b‖² over the basis vectors: w_init − w*, the
free pivot / momentum, the gradients).  δ = 0 is the statement itself.

**Checked how.**  Gradient descent and prox-GD have rational coefficients: everything is
recomputed in exact rationals (``flint.fmpq``): the F-part must be exactly zero, c0 ≤ 0 and S
positive semidefinite, decided exactly by the signs of S's characteristic polynomial
(:func:`psd_exact`; the same verdict as the exact LDLᵀ with symmetric pivoting,
:func:`ldl_psd_exact`, and much faster on large rationals).  AGD's coefficients are irrational
(λ_{j+1} = (1 + √(1 + 4λ_j²))/2): the instance is rebuilt in rigorous ball arithmetic
(``flint.arb`` at ``prec`` bits); a ball cannot prove a zero eigenvalue, so δ > 0 and every pivot of S's LDLᵀ must be *certainly* positive.  The
F-identity with irrational coefficients cannot hold with rational multipliers, so m − 1 multipliers
(a spanning forest of the values, listed as ``dependent``) are not in the file: the checker solves
them from the identity in balls (the true solution lies in the balls, which must be certainly ≥ 0).
The remaining coordinate of the F-identity is the comparator's value f(w*): its coefficient is the
sum of the statement's value coefficients, which is 0 when LHS − RHS only involves differences
f(·) − f(w*) (shift invariance) but balls can only show it is within 2^-prec of 0, so a ball
certificate's claim is stated for f normalised by f(w*) = 0 (equivalent under shift invariance).

The checker (:func:`check_certificate`) trusts nothing in the file: it is read by the one loader
(``outputs.files.load``), numbers are "p/q" strings parsed by a strict regex (no eval, no sympify),
the instance is rebuilt from the registry's declaration (fingerprint compared), the labels of the
inequalities compared, and no solver runs.

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
"""
from __future__ import annotations

import logging
import re
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping, NamedTuple

import numpy as np

from boundcheck.pep.problem import ConstraintRef, Problem

__all__ = ["Certificate", "CheckResult", "prove", "certificate_record", "check_certificate", "save_certificate",
           "parse_q", "q_str", "psd_exact", "ldl_psd_exact", "ldl_pd_ball", "DELTAS", "MAX_K"]

log = logging.getLogger("boundcheck.pep")

DELTAS = ("1/1000000000000", "1/10000000000", "1/100000000", "1/1000000", "1/10000")
MAX_K = 200                       # the checker refuses bigger instances (untrusted input: bounded work)
MAX_MULTIPLIERS = 50_000
BALL_PREC = 200
_Q_RE = re.compile(r"^(-?)([0-9]{1,2000})(?:/([1-9][0-9]{0,1999}))?$")


# ------------------------------------------------------------------------------ numbers
def parse_q(s: Any, what: str = "number") -> Any:
    """A rational from a strict "p/q" (or "p") string, as ``flint.fmpq``; ValueError otherwise."""
    from flint import fmpq
    if not isinstance(s, str):
        raise ValueError(f"{what} must be a string 'p/q', got {type(s).__name__}")
    mt = _Q_RE.match(s)
    if mt is None:
        raise ValueError(f"{what} must be a rational 'p/q', got {s[:40]!r}")
    p = int(mt.group(2)) * (-1 if mt.group(1) else 1)
    q = int(mt.group(3)) if mt.group(3) else 1
    return fmpq(p, q)


def q_str(x: Any) -> str:
    """An exact rational (fmpq, Fraction, int, sympy Rational) as "p/q" ("p" when q = 1)."""
    from boundcheck.pep.forms import to_exact
    x = to_exact(x)
    p, q = int(x.p), int(x.q)
    return str(p) if q == 1 else f"{p}/{q}"


def _sym_rational(x: Any) -> Any:
    import sympy as sp
    return sp.Rational(int(x.p), int(x.q))


class Certificate(NamedTuple):
    """An exact dual certificate of ``LHS − RHS ≤ delta·tr G`` at one (K, parameter) point."""

    statement: str
    fingerprint: str
    method: str
    K: int
    params: dict                  # name → "p/q": the resolved parameters (β, η, γ, λ_init …; K apart)
    arith: str                    # "exact" (fmpq) or "ball" (arb)
    delta: Any                    # fmpq
    multipliers: list             # [(index, label, fmpq)] in Problem.inequalities order of the difference PEP
    claim: str
    dependent: list = []          # ball certificates: [(index, label)] solved by the checker from the F-identity
    prec: int = 0                 # ball certificates: arb precision in bits
    root: int = -1                # ball certificates: the value index normalised to 0 (f(w*))


class CheckResult(NamedTuple):
    valid: bool
    reason: str
    delta: Any = None


# ------------------------------------------------------------------------------ instances
class _prec:
    """flint.ctx.prec raised to ``bits`` inside the block (ball builds and checks)."""

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __enter__(self) -> None:
        from flint import ctx
        self.old = ctx.prec
        ctx.prec = max(self.bits, self.old)

    def __exit__(self, *exc: Any) -> None:
        from flint import ctx
        ctx.prec = self.old

def _method_of(st: Any, method: str | None) -> str:
    if method:
        return method
    if len(st.methods) == 1:
        return st.methods[0]
    raise ValueError(f"{st.id}: choose the method ({', '.join(st.methods)})")


def _resolved_params(inst: Any) -> dict[str, str]:
    out = {}
    for k, v in inst.params.items():
        if k == "K":
            continue
        if not getattr(v, "is_Rational", False):
            raise ValueError(f"{inst.statement}: parameter {k} = {v} is not rational")
        out[k] = q_str(v)
    return out


def _build(st: Any, K: int, params: Mapping[str, Any], arith: str, method: str) -> Any:
    from boundcheck.pep.statements import build
    return build(st, K, dict(params), arith, method)


def _values_from_strings(params: Mapping[str, str]) -> dict[str, Any]:
    return {k: _sym_rational(parse_q(v, f"params[{k!r}]")) for k, v in params.items()}


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


# ------------------------------------------------------------------------------ exact algebra
class _Parts:
    """The exact pieces of a certificate: objective and the listed inequalities' forms."""

    def __init__(self, inst: Any, refs: list[ConstraintRef]) -> None:
        self.inst = inst
        prob = inst.problem("difference")
        self.problem = prob
        self.d, self.m = prob.d, prob.m
        obj = inst.lhs - inst.rhs
        self.obj = self._parts(obj)
        self.forms = [self._parts(prob.form(r)) for r in refs]

    def _parts(self, f: Any) -> tuple[list, list, Any]:
        d, m, z = self.d, self.m, self.inst.space.zero
        Q = [[z] * d for _ in range(d)] if f.Q is None else [list(row[:d]) for row in f.Q[:d]]
        a = [z] * m if f.a is None else list(f.a[:m])
        return Q, a, f.c


def _nz(x: Any) -> bool:
    """Not exactly zero (a ball with radius counts as non-zero: never skip a possibly non-zero term)."""
    if hasattr(x, "is_zero"):
        return not x.is_zero()
    return x != 0


def _combine(parts: _Parts, lams: list, delta: Any) -> tuple[list, list, Any]:
    """(S, F-part, c0) with S = −Q_obj − Σ λ Q_k + δ I."""
    d, m = parts.d, parts.m
    Qo, ao, co = parts.obj
    S = [[-Qo[i][j] for j in range(d)] for i in range(d)]
    a = list(ao)
    c0 = co
    for (Q, ak, ck), l in zip(parts.forms, lams):
        if not _nz(l):
            continue
        for i in range(d):
            Si, Qi = S[i], Q[i]
            for j in range(i, d):
                if _nz(Qi[j]):
                    Si[j] = Si[j] - l * Qi[j]
        for t in range(m):
            if _nz(ak[t]):
                a[t] = a[t] + l * ak[t]
        c0 = c0 + l * ck
    for i in range(d):
        S[i][i] = S[i][i] + delta
        for j in range(i + 1, d):
            S[j][i] = S[i][j]
    return S, a, c0


def ldl_psd_rank(S: list) -> tuple[bool, int]:
    """The one exact LDLᵀ PSD test (rationals): symmetric pivoting, largest remaining diagonal
    first; a negative pivot refutes PSD, and when every remaining diagonal entry is 0 the remaining
    block must vanish.  Returns (psd, rank so far)."""
    n = len(S)
    A = [list(r) for r in S]
    idx = list(range(n))
    while idx:
        p = max(idx, key=lambda i: A[i][i])
        piv = A[p][p]
        if piv < 0:
            return False, n - len(idx)
        if piv == 0:
            return all(A[i][j] == 0 for i in idx for j in idx), n - len(idx)
        idx.remove(p)
        rowp = A[p]
        inv = 1 / piv
        for i in idx:
            if rowp[i] == 0:
                continue
            f = rowp[i] * inv
            Ai = A[i]
            for j in idx:
                if rowp[j] != 0:
                    Ai[j] = Ai[j] - f * rowp[j]
    return True, n


def ldl_psd_exact(S: list) -> tuple[bool, str]:
    """Exact LDLᵀ with symmetric pivoting (largest diagonal first): PSD or not, exactly."""
    ok, rank = ldl_psd_rank(S)
    return ok, (f"PSD (rank {rank} of {len(S)})" if ok else "not PSD (exact LDLᵀ: a negative pivot, or a zero "
                                                              "pivot with a non-zero entry in its row)")


def load_record(record_or_path: Any, kind: str) -> dict:
    """A certificate or witness record, from a file (the one hostile-input loader) or a dict (the
    kind's structural validator): MalformedFile otherwise."""
    from boundcheck.outputs import files
    from boundcheck.outputs.files import MalformedFile
    import boundcheck.outputs.schema as schema
    if isinstance(record_or_path, (str, Path)):
        try:
            return files.load(record_or_path, kind)
        except FileNotFoundError as exc:
            raise MalformedFile(str(exc)) from None
    if isinstance(record_or_path, dict):
        rec = dict(record_or_path)
        getattr(schema, kind)(rec)
        return rec
    raise MalformedFile(f"a {kind} must be a record or a file path")


def statement_of_record(rec: dict) -> Any:
    """The registered statement a certificate or witness names (MalformedFile if unknown)."""
    from boundcheck.outputs.files import MalformedFile
    from boundcheck.paper import get_statement
    try:
        return get_statement(rec["statement"])
    except ValueError as exc:
        raise MalformedFile(str(exc)) from None


def psd_exact(S: list) -> tuple[bool, str]:
    """Exact PSD test of a rational symmetric matrix by the signs of its characteristic
    polynomial p(t) = det(tI − S) = Σ c_k t^k (computed by FLINT in exact rationals): the
    eigenvalues are real, and all are ≥ 0 iff the coefficients alternate weakly,
    (−1)^(n−k) c_k ≥ 0 for every k (⇒: elementary symmetric functions of non-negative numbers;
    ⇐: then every term of p(t) at t < 0 has the sign of (−1)^n or vanishes, and t^n does not, so
    p has no negative root).  Much faster than a Python LDLᵀ when the entries are large rationals;
    :func:`ldl_psd_exact` is the same verdict by elimination."""
    n = len(S)
    if n == 0:
        return True, "PSD (empty)"
    cs = _fmpq_mat(S).charpoly().coeffs()
    cs = list(cs) + [0] * (n + 1 - len(cs))
    for k in range(n + 1):
        v = cs[k] if (n - k) % 2 == 0 else -cs[k]
        if v < 0:
            return False, "not PSD (the characteristic polynomial has a negative root)"
    zeros = next(k for k in range(n + 1) if cs[k] != 0)
    return True, f"PSD (rank {n - zeros} of {n}; exact characteristic-polynomial sign test)"


def ldl_pd_ball(S: list) -> tuple[bool, str]:
    """LDLᵀ in balls: positive definite iff every pivot is certainly > 0 (pivot order by midpoint)."""
    n = len(S)
    A = [list(r) for r in S]
    idx = list(range(n))
    worst = None
    while idx:
        p = max(idx, key=lambda i: float(A[i][i].mid()))
        piv = A[p][p]
        if not piv > 0:
            return False, f"pivot {piv.str(5)} not certainly positive"
        worst = piv if worst is None or float(piv.mid()) < float(worst.mid()) else worst
        idx.remove(p)
        rowp = A[p]
        for i in idx:
            f = rowp[i] / piv
            Ai = A[i]
            for j in idx:
                Ai[j] = Ai[j] - f * rowp[j]
    return True, f"positive definite (smallest pivot {worst.str(5) if worst is not None else '-'})"


def _fmpq_mat(rows: list) -> Any:
    from flint import fmpq_mat
    r = len(rows)
    c = len(rows[0]) if r else 0
    return fmpq_mat(r, c, [x for row in rows for x in row])


def least_change(A_rows: list, b: list, x0: list) -> list | None:
    """x = x0 + Δ with A x = b exactly and ‖Δ‖₂ least (over independent rows); None if inconsistent."""
    if not A_rows:
        return list(x0)
    A = _fmpq_mat(A_rows)
    n = len(x0)
    X0 = _fmpq_mat([[v] for v in x0])
    B = _fmpq_mat([[v] for v in b])
    r = B - A * X0
    if all(r[i, 0] == 0 for i in range(r.nrows())):
        return list(x0)
    R, rank = A.transpose().rref()
    piv = []
    for i in range(rank):
        for j in range(R.ncols()):
            if R[i, j] != 0:
                piv.append(j)
                break
    As = _fmpq_mat([A_rows[j] for j in piv])
    rs = _fmpq_mat([[r[j, 0]] for j in piv])
    try:
        y = (As * As.transpose()).solve(rs)
    except ZeroDivisionError:
        return None
    X = X0 + As.transpose() * y
    if any(v != 0 for v in (B - A * X).entries()):
        return None
    return [X[i, 0] for i in range(n)]


def _rationalise(x: float, D: int) -> Any:
    from flint import fmpq
    f = Fraction(float(x)).limit_denominator(D)
    return fmpq(f.numerator, f.denominator)


def _rational_nullspace(S: np.ndarray, D: int, rel: float = 1e-6) -> list | None:
    """A rational basis (rows, RREF form) of S's numerical nullspace; [] if S is definite."""
    import scipy.linalg as sla
    w, V = np.linalg.eigh(S)
    scale = max(1.0, float(np.max(np.abs(w))))
    N = V[:, w < rel * scale]
    if N.shape[1] == 0:
        return []
    Nt = N.T
    _, _, piv = sla.qr(Nt, pivoting=True)
    r = Nt.shape[0]
    Bm = Nt[:, piv[:r]]
    R = np.linalg.solve(Bm, Nt)
    return [[_rationalise(v, D) for v in row] for row in R]


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
def _sparse_Q(Q: list) -> list:
    """The non-zero entries (i, j, v) of a form's (symmetric) Q, upper triangle with j ≥ i."""
    d = len(Q)
    return [(i, j, Q[i][j]) for i in range(d) for j in range(i, d) if Q[i][j] != 0]


def _Qv(nz: list, v: list, d: int) -> list:
    """Q·v for a symmetric Q given by its upper-triangle non-zeros."""
    from flint import fmpq
    out = [fmpq(0)] * d
    for i, j, q in nz:
        if v[j] != 0:
            out[i] += q * v[j]
        if i != j and v[i] != 0:
            out[j] += q * v[i]
    return out


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


def _pivots(R: Any, rank: int) -> list[int]:
    out = []
    for i in range(rank):
        for j in range(R.ncols()):
            if R[i, j] != 0:
                out.append(j)
                break
    return out


class _Basis:
    """A maximal set of linearly independent columns (the basis multipliers) of A λ = b, and a
    maximal set of independent rows of those columns: for any values of the other (free)
    multipliers the basis multipliers are the unique solution of a square exact system."""

    def __init__(self, rows: list, rhs: list, order: list[int]) -> None:
        from flint import fmpq_mat
        self.n = len(order)
        self.rows, self.rhs = rows, rhs
        nr = len(rows)
        if nr == 0:
            self.B, self.N, self.inv, self.rsel = [], list(order), None, []
            return
        A = fmpq_mat(nr, self.n, [rows[t][c] for t in range(nr) for c in order])
        R, rank = A.rref()
        bpos = _pivots(R, rank)
        self.B = [order[p] for p in bpos]
        bset = set(self.B)
        self.N = [c for c in order if c not in bset]
        AB = fmpq_mat(nr, rank, [rows[t][c] for t in range(nr) for c in self.B])
        Rt, rk2 = AB.transpose().rref()
        self.rsel = _pivots(Rt, rk2)
        sq = fmpq_mat(rank, rank, [rows[t][c] for t in self.rsel for c in self.B])
        self.inv = sq.inv() if rank else None

    def solve(self, free: dict) -> list | None:
        """All multipliers (in column order) given the free ones; None if A λ = b fails."""
        from flint import fmpq, fmpq_mat
        lam = [fmpq(0)] * self.n
        for c in self.N:
            lam[c] = free[c]
        if self.B:
            r = []
            for t in self.rsel:
                row = self.rows[t]
                v = self.rhs[t]
                for c in self.N:
                    if row[c] != 0 and lam[c] != 0:
                        v -= row[c] * lam[c]
                r.append(v)
            x = self.inv * fmpq_mat(len(r), 1, r)
            for i, c in enumerate(self.B):
                lam[c] = x[i, 0]
        for row, b in zip(self.rows, self.rhs):   # every equality, exactly
            s = fmpq(0)
            for c in range(self.n):
                if row[c] != 0 and lam[c] != 0:
                    s += row[c] * lam[c]
            if s != b:
                return None
        return lam


def _free_roundings(vals: list[float]):  # noqa: ANN202
    """Candidate short rationals for the free multipliers: each rounded to the nearest rational
    of denominator ≤ D (D = 1, 10, …, 10^4: recovers small-denominator values exactly), and all
    rounded to a common denominator 10^k (k = 4 … 8: one short denominator, where the free
    multipliers are not themselves short).  The caller tries the shortest that passes first."""
    from flint import fmpq
    for D in (1, 10, 100, 1000, 10 ** 4):
        yield f"limit_denominator({D})", [_rationalise(v, D) for v in vals]
    for k in (4, 5, 6, 7, 8):
        D = 10 ** k
        yield f"common 1/10^{k}", [fmpq(int(round(v * D)), D) for v in vals]


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


def _rational_range(G: np.ndarray, dim: int, D: int) -> list | None:
    """A rational basis (RREF rows) of the span of G's top ``dim`` eigenvectors."""
    import scipy.linalg as sla
    w, U = np.linalg.eigh(G)
    N = U[:, np.argsort(w)[::-1][:dim]]
    Nt = N.T
    _, _, piv = sla.qr(Nt, pivoting=True)
    Bm = Nt[:, piv[:dim]]
    try:
        R = np.linalg.solve(Bm, Nt)
    except np.linalg.LinAlgError:
        return None
    return [[_rationalise(v, D) for v in row] for row in R]


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


def _value_index(t: Any) -> int:
    a = t.f.a
    for k, v in enumerate(a):
        if v != 0:
            return k
    raise ValueError("a triple without a value coordinate (internal)")


def _root_of(inst: Any) -> int:
    fn = inst.functions[0]
    for t in fn.triples:
        if all(v == 0 for v in t.x):
            return _value_index(t)
    raise ValueError(f"{inst.statement}: no comparator triple to normalise (ball certificates need f(w*))")


def _union_find(m: int):  # noqa: ANN202
    parent = list(range(m))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    return parent, find


def _edge(inst: Any, r: ConstraintRef) -> tuple[int, int]:
    fn = inst.functions[r.fn]
    return _value_index(fn.triples[r.i]), _value_index(fn.triples[r.j])


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


def _solve_dependent(parts: _Parts, lams: list, dep: list[bool], refs: list, root: int) -> tuple | None:
    """The dependent multipliers from the F-identity on every value but one per tree of the
    forest (the root f(w*) for its tree, the first value for the others), in balls."""
    from flint import arb_mat
    m, inst = parts.m, parts.inst
    parent, find = _union_find(m)
    cols = [k for k in range(len(dep)) if dep[k]]
    for k in cols:
        a, b = (find(v) for v in _edge(inst, refs[k]))
        if a == b:
            return None  # a cycle: not a forest
        parent[a] = b
    comp_root: dict[int, int] = {}
    for t in [root] + list(range(m)):
        comp_root.setdefault(find(t), t)
    roots = set(comp_root.values())
    coords = [t for t in range(m) if t not in roots]
    if len(cols) != len(coords):
        return None
    out = list(lams)
    if not cols:
        return out, roots
    rhs = []
    for t in coords:
        v = -parts.obj[1][t]
        for k, l in enumerate(lams):
            if not dep[k] and _nz(l):
                v = v - l * parts.forms[k][1][t]
        rhs.append(v)
    T = arb_mat(len(coords), len(cols), [parts.forms[k][1][t] for t in coords for k in cols])
    try:
        x = T.solve(arb_mat(len(coords), 1, rhs))
    except (ZeroDivisionError, ValueError):
        return None
    for c, k in enumerate(cols):
        out[k] = x[c, 0]
    return out, roots


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


def _check_parts(parts: _Parts, lams: list, delta: Any, arith: str) -> tuple[bool, str]:
    if any(l < 0 for l in lams):
        return False, "a negative multiplier"
    S, a, c0 = _combine(parts, lams, delta)
    if any(v != 0 for v in a):
        t = next(t for t, v in enumerate(a) if v != 0)
        return False, f"the function-value part of the identity is not zero (value {parts.inst.space.value_names[t]})"
    if c0 > 0:
        return False, "the constant of the identity is positive"
    return psd_exact(S)


def _check_ball(parts: _Parts, lams: list, dep: list[bool], refs: list, root: int, delta: Any) -> tuple[bool, str]:
    from flint import arb
    solved = _solve_dependent(parts, [arb(l) for l in lams], dep, refs, root)
    if solved is None:
        return False, "the dependent multipliers are not a forest over the values"
    full, roots = solved
    for k, l in enumerate(full):
        if dep[k] and not l >= 0:
            return False, f"dependent multiplier #{k} = {l.str(5)} is not certainly ≥ 0"
    S, a, c0 = _combine(parts, full, arb(delta))
    for t, v in enumerate(a):
        if t == root:
            continue
        if (t in roots and not v.is_zero()) or not v.contains(0):
            return False, f"the function-value part is not zero at {parts.inst.space.value_names[t]}"
    if not c0 <= 0:
        return False, "the constant of the identity is not certainly ≤ 0"
    return ldl_pd_ball(S)


# ------------------------------------------------------------------------------ files
def certificate_record(cert: Certificate) -> dict:
    """The payload of a ``boundcheck/certificate`` file (every number a "p/q" string)."""
    rec = {"statement": cert.statement, "fingerprint": cert.fingerprint, "method": cert.method, "K": int(cert.K),
           "params": dict(cert.params), "arith": cert.arith, "delta": q_str(cert.delta),
           "multipliers": [[int(i), lab, q_str(v)] for i, lab, v in cert.multipliers], "claim": cert.claim}
    if cert.arith == "ball":
        rec["dependent"] = [[int(i), lab] for i, lab in cert.dependent]
        rec["prec"] = int(cert.prec)
        rec["root"] = int(cert.root)
    return rec


def save_certificate(path: str | Path, cert: Certificate, **meta: Any) -> Path:
    from boundcheck.outputs import files
    return files.write(path, "certificate", certificate_record(cert), **meta)


def check_certificate(record_or_path: Any) -> CheckResult:
    """Re-check a certificate (a record or a file path) from scratch: no solver, no eval.

    Raises ``MalformedFile`` (a ValueError) for a file that is not a well-formed certificate
    (including an unknown statement); returns CheckResult(False, reason) for one that is well
    formed but does not prove its claim."""
    from boundcheck.outputs.files import MalformedFile
    rec = load_record(record_or_path, "certificate")
    st = statement_of_record(rec)
    try:
        delta = parse_q(rec["delta"], "delta")
        params = _values_from_strings(rec["params"])
        mults = [(i, lab, parse_q(v, f"multiplier #{i}")) for i, lab, v in rec["multipliers"]]
    except ValueError as exc:
        raise MalformedFile(str(exc)) from None
    if rec["fingerprint"] != st.fingerprint():
        return CheckResult(False, "the statement's declaration changed (fingerprint differs)", delta)
    if delta < 0:
        return CheckResult(False, "δ < 0", delta)
    if rec["method"] not in st.methods:
        return CheckResult(False, f"{st.id} has no method {rec['method']!r}", delta)
    from boundcheck.pep.statements import arith_for
    arith = arith_for(rec["method"])
    if rec["arith"] != arith:
        return CheckResult(False, f"the method's exact arithmetic is {arith!r}, the file says {rec['arith']!r}", delta)
    prec = rec.get("prec", 0) if arith == "ball" else 0
    if arith == "ball" and (not isinstance(prec, int) or isinstance(prec, bool) or not 53 <= prec <= 4096):
        raise MalformedFile("a ball certificate needs an integer prec in [53, 4096]")
    with _prec(prec):
        return _check_record(st, rec, delta, params, mults, arith, prec)


def _check_record(st: Any, rec: dict, delta: Any, params: dict, mults: list, arith: str, prec: int) -> CheckResult:
    from boundcheck.outputs.files import MalformedFile
    try:
        inst = _build(st, rec["K"], params, arith, rec["method"])
    except ValueError as exc:
        return CheckResult(False, f"the parameters do not define an instance: {exc}", delta)
    if _resolved_params(inst) != dict(rec["params"]):
        return CheckResult(False, "the file's parameters are not the resolved parameters of the instance", delta)
    prob = inst.problem("difference")
    ineq = prob.inequalities
    seen: set = set()
    chosen: list = []
    for i, lab, v in mults:
        if not 0 <= i < len(ineq) or ineq[i].fn < 0:
            return CheckResult(False, f"multiplier index {i} is not an inequality of the class", delta)
        if i in seen:
            return CheckResult(False, f"multiplier index {i} listed twice", delta)
        seen.add(i)
        if ineq[i].label(prob) != lab:
            return CheckResult(False, f"multiplier #{i}: label {lab!r} is not {ineq[i].label(prob)!r}", delta)
        if v < 0:
            return CheckResult(False, f"multiplier #{i} ({lab}) is negative", delta)
        chosen.append((ineq[i], v))
    if arith == "exact":
        if rec.get("dependent"):
            return CheckResult(False, "an exact certificate lists every multiplier (no dependent ones)", delta)
        parts = _Parts(inst, [r for r, _ in chosen])
        ok, why = _check_parts(parts, [v for _, v in chosen], delta, "exact")
        return CheckResult(ok, why if ok else f"not a certificate: {why}", delta)
    # ball
    if delta <= 0:
        return CheckResult(False, "a ball certificate needs δ > 0 (balls cannot prove a zero eigenvalue)", delta)
    deps = rec.get("dependent")
    if not isinstance(deps, list):
        raise MalformedFile("a ball certificate needs its dependent multipliers listed")
    try:
        root = _root_of(inst)
    except ValueError as exc:
        return CheckResult(False, str(exc), delta)
    if rec.get("root") != root:
        return CheckResult(False, "the normalised value is not f(w*)", delta)
    dep_refs = []
    for item in deps:
        i, lab = item
        if not 0 <= i < len(ineq) or ineq[i].fn < 0 or ineq[i].j < 0 or i in seen:
            return CheckResult(False, f"dependent index {i} is not a new pairwise inequality", delta)
        seen.add(i)
        if ineq[i].label(prob) != lab:
            return CheckResult(False, f"dependent #{i}: label {lab!r} is not {ineq[i].label(prob)!r}", delta)
        dep_refs.append(ineq[i])
    all_refs = [r for r, _ in chosen] + dep_refs
    parts = _Parts(inst, all_refs)
    lams = [v for _, v in chosen] + [0] * len(dep_refs)
    dep = [False] * len(chosen) + [True] * len(dep_refs)
    ok, why = _check_ball(parts, lams, dep, all_refs, root, delta)
    return CheckResult(ok, why if ok else f"not a certificate: {why}", delta)
