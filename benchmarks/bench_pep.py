"""PEP engine against PEPit on the same SDP: gradient descent on L-smooth convex functions.

    python benchmarks/bench_pep.py                      # N = 8, 16, 32, 64; PEPit at every N (minutes)
    python benchmarks/bench_pep.py --pepit-max-N 32     # PEPit skipped above N = 32
    python benchmarks/bench_pep.py --N 8 16 --no-write  # a quick look, nothing written

For each N and each solver (Clarabel, SCS), in the same process:

* boundcheck: ``boundcheck.pep.classic.gd_problem`` (GD run on symbolic points) + ``Problem.solve``
  (the SDP assembled as one sparse conic program, then the solver); the median of ``--repeat`` runs;
* PEPit (the test extra): the same PEP written with PEPit's primitives (``wc_gradient_descent``'s
  problem), ``PEP.solve(wrapper="cvxpy", solver=cvxpy.CLARABEL / cvxpy.SCS, verbose=0)`` with the
  same solver tolerances; one run (its cost is cvxpy's compilation, which does not vary much).

Both maximise f(x_N) − f* subject to ‖x_0 − x*‖² ≤ 1, η = 1/L, L = 1: the value is 1/(4N + 2)
(Drori–Teboulle).  PEPit keeps x* as a Gram leaf (N + 3 vectors); boundcheck puts it at the origin
(N + 2): the same SDP up to that translation.

Target (issue 13): N = 64 in ≤ 3 s on 2 cores and ≥ 10× faster than PEPit with the same solver.
Results go to benchmarks/results/pep.json (rewritten after every row, so an interrupted run keeps
what it measured) and a table on stdout.  With ``--certificate`` the exact check of a GD certificate
at the largest N is timed as well (Lemma 5 at K = N, η = 1/β: ``certificate.prove`` once, then
``check_certificate`` three times, median; the target is ≤ 10 s at N = 64).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from boundcheck.outputs.common import format_table, write_json_atomic  # noqa: E402
from boundcheck.pep.classic import gd_closed_form, gd_problem  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "pep.json"
SOLVERS = ("clarabel", "scs")


def boundcheck_run(N: int, solver: str, tol: float) -> dict:
    t0 = time.perf_counter()
    pb = gd_problem(N)
    t1 = time.perf_counter()
    sol = pb.solve(solver, tol=tol)
    t2 = time.perf_counter()
    return {"seconds": t2 - t0, "build_seconds": t1 - t0, "assembly_seconds": sol.assembly_seconds,
            "solve_seconds": sol.seconds - sol.assembly_seconds, "value": sol.value, "status": sol.status,
            "iterations": sol.info.get("iterations"), "gram_size": pb.d, "inequalities": len(pb.inequalities)}


def pepit_problem(N: int, L: float = 1.0, eta: float | None = None):
    """PEPit's GD PEP (as in PEPit.examples.unconstrained_convex_minimization.wc_gradient_descent)."""
    from PEPit import PEP
    from PEPit.functions import SmoothConvexFunction
    eta = 1.0 / L if eta is None else eta
    pb = PEP()
    f = pb.declare_function(SmoothConvexFunction, L=L)
    xs = f.stationary_point()
    fs = f(xs)
    x0 = pb.set_initial_point()
    pb.set_initial_condition((x0 - xs) ** 2 <= 1)
    x = x0
    for _ in range(N):
        x = x - eta * f.gradient(x)
    pb.set_performance_metric(f(x) - fs)
    return pb


def pepit_solver_options(solver: str, tol: float) -> dict:
    """cvxpy's keywords for the solver, with the tolerances boundcheck's Problem.solve uses."""
    import cvxpy as cp
    if solver == "clarabel":
        return dict(solver=cp.CLARABEL, tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol, tol_ktratio=1e-8)
    eps = max(tol, 1e-9)
    return dict(solver=cp.SCS, eps_abs=eps, eps_rel=eps, max_iters=200_000)


def pepit_run(N: int, solver: str, tol: float) -> dict:
    t0 = time.perf_counter()
    pb = pepit_problem(N)
    value = pb.solve(wrapper="cvxpy", verbose=0, **pepit_solver_options(solver, tol))
    t1 = time.perf_counter()
    out = {"seconds": t1 - t0, "value": float(value)}
    prob = getattr(getattr(pb, "wrapper", None), "prob", None)
    if prob is not None:
        out["status"] = prob.status
        stats = prob.solver_stats
        out["solver_seconds"] = getattr(stats, "solve_time", None)
        out["compilation_seconds"] = getattr(prob, "compilation_time", None)
        out["iterations"] = getattr(stats, "num_iters", None)
    return out


def certificate_timing(N: int, repeat: int = 3) -> dict | None:
    """The exact check of a GD certificate with N steps: Lemma 5 at K = N, η = 1/β (the registered GD
    statement; check_certificate rebuilds instances from the registry, so the Drori–Teboulle example,
    a user module, cannot be used).  None if boundcheck.pep.certificate is not there."""
    try:
        from boundcheck.pep.certificate import certificate_record, check_certificate, prove
    except ImportError:
        return None
    from boundcheck.paper import get_statement
    t0 = time.perf_counter()
    cert = prove(get_statement("lemma5"), N, {"eta_frac": 1})
    out = {"statement": "lemma5", "K": N, "eta_frac": "1", "prove_seconds": time.perf_counter() - t0,
           "found": cert is not None}
    if cert is None:
        return out
    rec = certificate_record(cert)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = check_certificate(rec)
        times.append(time.perf_counter() - t0)
    out.update(check_seconds=statistics.median(times), all_check_seconds=times, valid=res.valid, reason=res.reason,
               delta=rec["delta"], multipliers=len(rec["multipliers"]), arith=rec["arith"])
    return out


def machine() -> dict:
    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "versions": _versions()}


def _versions() -> dict:
    out = {}
    for mod in ("PEPit", "cvxpy", "clarabel", "scs", "numpy", "scipy"):
        try:
            from importlib.metadata import version
            out[mod] = version(mod)
        except Exception:  # noqa: BLE001
            out[mod] = None
    return out


def table(rows: list[dict]) -> str:
    head = ["N", "solver", "boundcheck s", "PEPit s", "ratio", "boundcheck value", "PEPit value", "1/(4N+2)"]
    out = []
    for r in rows:
        b, p = r["boundcheck"], r.get("pepit")
        out.append([str(r["N"]), r["solver"], f"{b['seconds']:.3f}",
                    f"{p['seconds']:.2f}" if p else "skipped",
                    f"{p['seconds'] / b['seconds']:.1f}x" if p else "-",
                    f"{b['value']:.10f}", f"{p['value']:.10f}" if p else "-", f"{r['closed_form']:.10f}"])
    return format_table(head, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--N", type=int, nargs="+", default=[8, 16, 32, 64], help="numbers of GD steps")
    ap.add_argument("--solvers", nargs="+", choices=SOLVERS, default=list(SOLVERS))
    ap.add_argument("--pepit-max-N", type=int, default=None, help="skip PEPit above this N (default: run it at every N)")
    ap.add_argument("--repeat", type=int, default=3, help="boundcheck runs per point (median reported)")
    ap.add_argument("--tol", type=float, default=1e-8, help="solver tolerance, both sides")
    ap.add_argument("--certificate", action="store_true", help="also time the exact certificate check at max N")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args(argv)
    if a.repeat < 1 or any(n < 1 for n in a.N):
        ap.error("--repeat and --N must be positive")
    try:
        import PEPit  # noqa: F401
        have_pepit = True
    except ImportError:
        have_pepit = False
        print("PEPit is not installed (pip install -e '.[test]'): boundcheck only", file=sys.stderr)

    doc = {"benchmark": "GD on L-smooth convex functions (L = 1, η = 1/L), max f(x_N) − f* s.t. ‖x_0 − x*‖² ≤ 1",
           "target": "N = 64 in ≤ 3 s on 2 cores and ≥ 10x faster than PEPit with the same solver",
           "tol": a.tol, "repeat": a.repeat, "machine": machine(), "rows": []}
    boundcheck_run(2, "clarabel", a.tol), boundcheck_run(2, "scs", a.tol)  # imports, first-call costs
    if have_pepit:
        pepit_run(2, "scs", a.tol)

    def save() -> None:
        if not a.no_write:
            write_json_atomic(a.out, doc)

    for N in a.N:
        for solver in a.solvers:
            runs = [boundcheck_run(N, solver, a.tol) for _ in range(a.repeat)]
            med = statistics.median(r["seconds"] for r in runs)
            b = min(runs, key=lambda r: abs(r["seconds"] - med))
            b = {**b, "seconds": med, "all_seconds": [r["seconds"] for r in runs]}
            row = {"N": N, "solver": solver, "closed_form": gd_closed_form(N), "boundcheck": b, "pepit": None,
                   "load_average_before": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}
            if have_pepit and (a.pepit_max_N is None or N <= a.pepit_max_N):
                p = pepit_run(N, solver, a.tol)
                row["pepit"] = p
                row["speedup"] = p["seconds"] / b["seconds"]
                row["value_rel_diff"] = abs(p["value"] - b["value"]) / abs(p["value"])
            doc["rows"].append(row)
            save()
            print(f"N={N} {solver}: boundcheck {b['seconds']:.3f} s ({b['status']}, {b['value']:.10f})"
                  + (f", PEPit {row['pepit']['seconds']:.2f} s ({row['pepit']['value']:.10f}), "
                     f"{row['speedup']:.1f}x" if row["pepit"] else ", PEPit skipped"), flush=True)
    if a.certificate:
        doc["certificate"] = certificate_timing(max(a.N))
        save()
        c = doc["certificate"]
        print("certificate: boundcheck.pep.certificate not present" if c is None else
              f"certificate (lemma5, K = {c['K']}, η = 1/β): prove {c['prove_seconds']:.1f} s"
              + (f", exact check {c['check_seconds']:.2f} s ({'valid' if c['valid'] else 'INVALID'}: {c['reason']})"
                 if c["found"] else ", none found"))
    print()
    print(table(doc["rows"]))
    if not a.no_write:
        print(f"\nwritten: {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
