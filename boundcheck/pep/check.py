"""Exact dual certificates of a PEP bound: the type, the records, and the checker (untrusted input).

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
(:func:`~boundcheck.pep.exact.psd_exact`; the same verdict as the exact LDLᵀ with symmetric pivoting,
:func:`~boundcheck.pep.exact.ldl_psd_exact`, and much faster on large rationals).  AGD's coefficients are irrational
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

Owns: :class:`Certificate` and :class:`CheckResult`, the instance helpers shared with the search
(``_build``, ``_resolved_params``, ``_values_from_strings``), the exact identity (``_Parts``,
``_combine``, ``_check_parts``), the ball identity with its spanning forest of dependent
multipliers (``_solve_dependent``, ``_check_ball``), the loading of certificate and witness
records (:func:`load_record`, :func:`statement_of_record`), the certificate records
(:func:`certificate_record`, :func:`save_certificate`) and :func:`check_certificate`.  The search
is :mod:`boundcheck.pep.certificate` (which re-exports this module's public names); the arithmetic
is :mod:`boundcheck.pep.exact`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, NamedTuple

from boundcheck.pep.exact import _prec, _sym_rational, ldl_pd_ball, parse_q, psd_exact, q_str
from boundcheck.pep.problem import ConstraintRef

__all__ = ["Certificate", "CheckResult", "certificate_record", "check_certificate", "save_certificate", "load_record",
           "statement_of_record", "MAX_K"]

MAX_K = 200                       # the checker refuses bigger instances (untrusted input: bounded work)
MAX_MULTIPLIERS = 50_000


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


# ------------------------------------------------------------------------------ the exact identity
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


# ------------------------------------------------------------------------------ the ball identity
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
