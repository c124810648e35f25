"""Exact and ball arithmetic for the PEP certificates: numbers, PSD tests, exact linear algebra.

Owns: strict "p/q" parsing and printing of rationals (:func:`parse_q`, :func:`q_str`), the
``flint.ctx.prec`` context for ball arithmetic (``_prec``), the exact positive-semidefiniteness
tests of rational matrices (:func:`ldl_psd_rank` / :func:`ldl_psd_exact`, the LDLᵀ with
symmetric pivoting; :func:`psd_exact`, the characteristic-polynomial sign test; :func:`exact_psd`,
the stability PEPs' entry point) and the positive-definiteness test in balls (:func:`ldl_pd_ball`),
exact linear algebra on ``flint.fmpq`` matrices (the least-change projection :func:`least_change`,
the basis/free split of an exact system ``_Basis``) and the roundings of floats to short rationals
(``_rationalise``, rational bases of numerical null spaces and ranges, ``_free_roundings``).
Nothing here knows about statements, instances or files: :mod:`boundcheck.pep.check` (the checker)
and :mod:`boundcheck.pep.certificate` (the search) build on it.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["parse_q", "q_str", "ldl_psd_rank", "ldl_psd_exact", "psd_exact", "ldl_pd_ball", "exact_psd", "least_change"]

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


def _rationalise(x: float, D: int) -> Any:
    from flint import fmpq
    f = Fraction(float(x)).limit_denominator(D)
    return fmpq(f.numerator, f.denominator)


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


# ------------------------------------------------------------------------------ exact PSD tests
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


def exact_psd(S: Any) -> tuple[bool, int]:
    """Is the symmetric rational matrix S positive semidefinite?  (psd, rank), by the one exact
    LDLᵀ test (:func:`ldl_psd_rank`)."""
    from boundcheck.pep.forms import to_exact
    A = [[to_exact(x) for x in row] for row in S]
    n = len(A)
    if any(len(r) != n for r in A):
        raise ValueError("exact_psd: a square matrix is required")
    if any(A[i][j] != A[j][i] for i in range(n) for j in range(i)):
        raise ValueError("exact_psd: the matrix is not symmetric")
    return ldl_psd_rank(A)


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


# ------------------------------------------------------------------------------ exact linear algebra
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


# ------------------------------------------------------------------------------ rationalisation
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
