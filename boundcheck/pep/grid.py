"""``boundcheck pep``: a statement's exact worst case on a parameter grid, point by point.

At each grid point (K and the statement's free parameters, checked against its declared
hypotheses) two PEPs are solved in float64:

* **ratio** — sup LHS/RHS over every function of the class and every instance with RHS > 0
  (max LHS s.t. RHS = 1): the exact worst ratio, to solver accuracy;
* **difference** — max LHS − RHS s.t. tr G ≤ 1: ≤ 0 exactly when the bound holds at that
  point; its dual gives the certificate.

The verdict is then settled in exact arithmetic, never from the floats:

* **proved** — an exact dual certificate (rational multipliers; residual PSD by exact LDLᵀ, or
  by rigorous ball arithmetic where the method's coefficients are irrational) shows
  LHS − RHS ≤ δ·tr G for every function of the class; δ = 0 is the statement itself, δ > 0 is
  reported (and said);
* **refuted** — an exact (or rigorous) primal witness violates the bound, saved as a file
  that ``boundcheck replay`` re-checks; only for a class whose interpolation conditions are
  exact (a relaxation never refutes);
* **inconclusive** — neither could be made exact (the row says why).
"""
from __future__ import annotations

import itertools
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

log = logging.getLogger("boundcheck.pep")

__all__ = ["PepRow", "grid_points", "evaluate_point", "run_grid", "DIFFERENCE_TOL", "point_name"]

#: a difference-PEP value at or below this (relative to the normalisation tr G ≤ 1) is "holds
#: to solver accuracy": an exact certificate is then sought; above it, a witness
DIFFERENCE_TOL = 1e-6
#: a certificate is sought up to this difference (an inaccurate solve can stop at a few 1e-6
#: above 0 where the bound holds); the exact check decides
PROVE_TOL = 1e-4


def _save(out_dir: str | None, sub: str, stem: str, save: Callable[[Path, Any], Any], obj: Any) -> str | None:
    """Write a certificate or witness with its module's own writer; None without an out_dir."""
    if not out_dir:
        return None
    path = Path(out_dir) / sub / f"{stem}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    save(path, obj)
    return str(path)


@dataclass
class PepRow:
    """One grid point of ``boundcheck pep``."""

    statement: str
    method: str
    K: int
    params: dict
    ratio: float | None          # sup LHS/RHS (inf: unbounded; None: not solved)
    difference: float | None     # max LHS − RHS s.t. tr G ≤ 1
    verdict: str                 # proved (δ = 0) | proved to δ (δ > 0) | refuted | inconclusive | unsettled
    delta: str | None = None     # the certificate's δ ("0": exact), as "p/q"
    file: str | None = None      # certificate or witness path
    seconds: float = 0.0
    note: str = ""
    solver: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        d = asdict(self)
        for k in ("ratio", "difference"):
            v = d[k]
            if v is not None and not np.isfinite(v):
                d[k] = "inf" if v > 0 else "-inf"
        return d


def _listify(v: Any) -> list:
    if isinstance(v, (list, tuple, range)):
        return list(v)
    return [v]


def grid_points(st: Any, K: Sequence[int] | None = None, values: Mapping[str, Any] | None = None) -> list[tuple[int, dict]]:
    """(K, {name: value}) for every point of the product grid: the options given, else the
    statement's declared ``pep_grid``, else :func:`default_values`."""
    base = dict(st.pep_grid or {})
    given = {k: _listify(v) for k, v in (values or {}).items() if v is not None}
    # a parameter given in natural units replaces its declared fraction and vice versa
    for name in list(given):
        alt = name[:-5] if name.endswith("_frac") else name + "_frac"
        base.pop(alt, None)
    grid = {k: _listify(v) for k, v in base.items() if k != "K"}
    grid.update(given)
    grid.update({k: v for k, v in default_values(st).items() if k not in grid and _alt(k) not in grid})
    Ks = list(K) if K is not None else _listify(base.get("K", ()))
    if not Ks:
        raise ValueError(f"{st.id}: give the steps with --K (e.g. --K 1..10): it declares no PEP grid")
    names = sorted(grid)
    pts = []
    for k in Ks:
        for combo in itertools.product(*[grid[n] for n in names]):
            pts.append((int(k), {n: str(v) for n, v in zip(names, combo)}))
    return pts


def _alt(name: str) -> str:
    return name[:-5] if name.endswith("_frac") else name + "_frac"


def default_values(st: Any) -> dict[str, list[str]]:
    """Grid values of a statement's free parameters that neither the options nor a declared
    ``pep_grid`` give: the upper end of a bounded interval and its middle (fractions 1 and 1/2:
    tight instances live at the edge), lo + 1/4 of an unbounded one (in units of β = 1)."""
    import sympy as sp

    from boundcheck.lang.domains import Interval
    if len(st.methods) != 1:
        return {}
    out: dict[str, list[str]] = {}
    for sym, dom in st.param_domains(st.methods[0]):
        if isinstance(dom, Interval):
            if sp.sympify(dom.hi) != sp.oo:
                out[sym.name + "_frac"] = ["1/2", "1"]
            else:
                out[sym.name] = [str(sp.nsimplify(sp.sympify(dom.lo) + sp.Rational(1, 4)))]
    return out


def point_name(st_id: str, K: int, params: Mapping[str, str]) -> str:
    """A file-name stem for a grid point: lemma5_K3_eta_frac-1o2."""
    parts = [st_id, f"K{K}"] + [f"{k}-{v}" for k, v in sorted(params.items())]
    return re.sub(r"[^A-Za-z0-9_.-]", "", "_".join(parts).replace("/", "o"))


def is_stability(st: Any) -> bool:
    """A Definition 1 statement on neighbouring batches: the two-trajectory PEP (pep.stability)."""
    from boundcheck.lang.settings import Neighbours
    return isinstance(st.setting, Neighbours)


def _stability_point(st: Any, K: int, params: dict, method: str | None, certify: bool, solver: str) -> PepRow:
    """One grid point of a uniform-stability statement: the two-trajectory PEP's upper bound on ε
    (ρ = β = 1), exact for GD and prox-GD (Lemmas 6, 9: a rational certificate of the closed form
    and the linear-loss instance attaining it), a float upper bound over a relaxation for AGD."""
    import sympy as sp

    from boundcheck.pep.statements import resolve_params
    from boundcheck.pep.stability import stability_bound
    method = method or st.methods[0]
    if "B" not in params:
        raise ValueError(f"{st.id}: a stability PEP needs the batch size: --set B=10 (or a declared pep_grid)")
    env = resolve_params(st, method, params, K)
    env.setdefault("rho", sp.Integer(1))
    t0 = time.perf_counter()
    B = int(env["B"])
    res = stability_bound(method, K, env["eta"], B, gamma=env.get("gamma"), lambda_init=env.get("lambda_init", 1),
                          certify=certify and method in ("gd", "prox"),
                          solver="clarabel" if solver == "auto" else solver)
    expr = st.explicit if st.big_o and st.explicit is not None else st.bound_expr()
    subs = {sym: env[sym.name] for sym in sp.sympify(expr).free_symbols if sym.name in env}
    bound = float(sp.sympify(expr).xreplace(subs))
    ratio = res.upper / bound if bound > 0 else None
    row = PepRow(st.id, method, K, dict(params), ratio, res.upper - bound, "inconclusive", solver=res.solver,
                 extra={"class": "Lipschitz smooth convex losses (necessary conditions only: an upper bound)",
                        "epsilon_upper": res.upper, "bound": bound, "status": res.status,
                        "closed_form": None if res.closed_form is None else str(res.closed_form)})
    if res.exact and res.closed_form is not None:
        # proved exactly: ε = the closed form over every function of the class, and attained
        exact_ratio = sp.Rational(res.closed_form.numerator, res.closed_form.denominator) / sp.nsimplify(
            sp.sympify(expr).xreplace(subs))
        row.verdict = "proved" if exact_ratio <= 1 else "refuted"
        row.delta = "0"
        row.note = ("ε exactly the closed form: a rational certificate over every function of the class, checked "
                    "exactly, and linear losses attaining it" + ("" if exact_ratio == 1 else f" (ratio {exact_ratio})"))
    elif not certify:
        row.verdict = "unsettled"
    else:
        row.note = ("float upper bound over a relaxation (necessary conditions only): "
                    + ("below the bound, but no exact certificate" if ratio is not None and ratio <= 1
                       else "above the bound, which a relaxation cannot refute"))
    row.seconds = time.perf_counter() - t0
    return row


def evaluate_point(unit: tuple, out_dir: str | None, certify: bool, solver: str, modules: Sequence[str] = ()) -> PepRow:
    """Solve, then settle exactly, one grid point ``unit = (statement id or Statement, K, params, method)``.
    A module-level function of picklable arguments: a Dask unit."""
    sid, K, params, method = unit
    if modules:
        from boundcheck.lang.modules import load_statement_files
        load_statement_files(list(modules))
    from boundcheck.paper import get_statement
    from boundcheck.pep.statements import build
    st = get_statement(sid) if isinstance(sid, str) else sid  # an id, or (in this process) a Statement
    sid = st.id
    if is_stability(st):
        return _stability_point(st, K, params, method, certify, solver)
    t0 = time.perf_counter()
    inst = build(st, K, params, "float", method)
    r = inst.problem("ratio").solve(solver)
    dsol = inst.problem("difference").solve(solver)
    ratio = r.value if r.status in ("optimal", "inaccurate", "unbounded") else None
    diff = dsol.value
    row = PepRow(sid, inst.method, K, dict(params), ratio, diff, "inconclusive", solver=dsol.solver,
                 extra={"ratio_status": r.status, "difference_status": dsol.status, "class": inst.class_name})
    stem = point_name(sid, K, params)
    if not certify:
        row.verdict = "unsettled"  # solved in floats only: no verdict without an exact file
    else:
        # the floats only choose what to try first; the verdict comes from an exact file alone.  A
        # small positive difference is solver noise as often as a small violation: both are tried
        proved = False
        if diff is not None and diff <= PROVE_TOL:
            from boundcheck.pep.certificate import prove, save_certificate
            cert = prove(st, K, params, inst.method, solution=dsol)
            if cert is not None:
                proved = True
                # δ = 0: the statement itself; δ > 0: LHS − RHS ≤ δ·tr G only (said in the verdict)
                row.verdict, row.delta = ("proved" if cert.delta == 0 else "proved to δ"), str(cert.delta)
                row.file = _save(out_dir, "certificates", stem, save_certificate, cert)
        if proved:
            pass
        elif not inst.exact_class:
            row.note = "relaxation (necessary conditions only): an upper bound, never a counterexample"
        elif diff is not None and diff > DIFFERENCE_TOL * 1e-3:
            from boundcheck.pep.witness import refute, save_witness
            wit = refute(st, K, params, inst.method, solution=dsol)
            if wit is not None:
                row.verdict = "refuted"
                row.file = _save(out_dir, "witnesses", stem, save_witness, wit)
            else:
                row.note = "no exact certificate or witness found" if diff <= PROVE_TOL else "no exact witness found"
        else:
            row.note = "no exact certificate found"
    row.seconds = time.perf_counter() - t0
    return row


def run_grid(st: Any, points: Sequence[tuple[int, dict]], *, method: str | None = None, out_dir: str | None = "reports",
             certify: bool = True, solver: str = "auto", scheduler: Any = None,
             progress: Callable[[int, int], None] | None = None, modules: Sequence[str] = ()) -> list[PepRow]:
    """Every grid point of ``st`` (in order), in this process or on a scheduler (a unit per point)."""
    from boundcheck.pep.statements import build, resolve_params
    for K, params in points:  # every point's hypotheses checked before any solve (one clear line)
        if is_stability(st):
            if "B" not in params:
                raise ValueError(f"{st.id}: a stability PEP needs the batch size: --set B=10")
            resolve_params(st, method or st.methods[0], params, K)
        else:
            build(st, K, params, "float", method)
    units = [(st.id, K, params, method) for K, params in points]
    if scheduler is None:
        from boundcheck.parallel import InProcess
        scheduler = InProcess()
    return scheduler.map(evaluate_point, units, args=(out_dir, certify, solver, tuple(modules)), progress=progress,
                         describe=lambda u: f"{u[0]} K={u[1]} {u[2]}", label="grid point")


def certificate_summary(st: Any, cert_dir: str | Path, *, limit: int = 400) -> dict | None:
    """The certificates of ``st`` saved in ``cert_dir`` (by ``boundcheck pep``) and its witnesses in
    the sibling ``witnesses/``, each RE-CHECKED exactly here (a file is untrusted): {"points",
    "valid", "exact" (δ = 0), "max_delta", "witnesses", "invalid": {file: reason}}; None when there
    is none.  Files for another declaration of the statement (fingerprint) count as invalid."""
    d = Path(cert_dir)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "", st.id)
    certs = sorted(p for p in d.glob(f"{stem}_K*.json") if p.is_file())[:limit] if d.is_dir() else []
    wdir = d.parent / "witnesses"
    wits = sorted(p for p in wdir.glob(f"{stem}_K*.json") if p.is_file())[:limit] if wdir.is_dir() else []
    if not certs and not wits:
        return None
    from fractions import Fraction

    from boundcheck.pep.certificate import check_certificate
    from boundcheck.pep.witness import check_witness
    valid, exact, worst, witnesses, invalid = 0, 0, Fraction(0), 0, {}
    for p in certs + wits:
        try:
            res = (check_certificate if p in certs else check_witness)(str(p))
        except ValueError as exc:  # malformed
            invalid[p.name] = f"malformed: {exc}"
            continue
        if not res.valid:
            invalid[p.name] = res.reason
        elif p in certs:
            valid += 1
            dl = Fraction(str(res.delta)) if res.delta is not None else Fraction(0)
            exact += dl == 0
            worst = max(worst, dl)
        else:
            witnesses += 1
    return {"points": len(certs) + len(wits), "valid": valid, "exact": exact, "max_delta": str(worst),
            "witnesses": witnesses, "dir": str(d), "invalid": invalid}


def certified_label(summary: dict | None, run: dict | None = None) -> str:
    """The verify table's "PEP" cell, every file re-checked: '30 exact', '84 to δ ≤ 1e-06',
    '2 exact, 18 refuted', '1 INVALID', or '-'; without files, this run's verdicts (``run``: the
    counts of ``verify --pep``, e.g. the two-trajectory stability PEPs, checked in this process)."""
    if not summary:
        if run and any(run.values()):
            bits = [f"{run.get('proved', 0)} exact"] if run.get("proved") else []
            bits += [f"{run['proved to δ']} to δ"] if run.get("proved to δ") else []
            bits += [f"{run['refuted']} refuted"] if run.get("refuted") else []
            bits += [f"{run['inconclusive']} open"] if run.get("inconclusive") else []
            return ", ".join(bits)
        return "-"
    from fractions import Fraction
    parts = []
    if summary["exact"]:
        parts.append(f"{summary['exact']} exact")
    approx = summary["valid"] - summary["exact"]
    if approx:
        parts.append(f"{approx} to δ ≤ {float(Fraction(summary['max_delta'])):.0e}")
    if summary.get("witnesses"):
        parts.append(f"{summary['witnesses']} refuted")
    if summary["invalid"]:
        parts.append(f"{len(summary['invalid'])} INVALID")
    return ", ".join(parts) or "-"
