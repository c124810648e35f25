"""``run_rates``: the measurement behind ``boundcheck rates`` (see the package docstring)."""
from __future__ import annotations

import math
import time
from dataclasses import asdict
from typing import Any, Callable

import numpy as np

from boundcheck.experiments import runner as rn
from boundcheck.experiments.rates.fits import fit_exponent, mean_ci
from boundcheck.experiments.rates.grid import Grid, make_problem, parse_grid, problem_constants
from boundcheck.experiments.rates.statements import (TABLE2_EXPONENTS, TABLE2_TEXT, VARIANTS, bound_split,
                                                     bound_value, step_sizes, table2_rate)

__all__ = ["run_rates", "estimate", "check_feasible", "UNIT_RUNS"]

#: runs per unit of work (a grid chunk) handed to the scheduler
UNIT_RUNS = 256


def _grid(prob: Any, method: str, sched: Any, **kw: Any) -> Any:
    return rn.run_grid(prob, method, scheduler=sched, max_runs=UNIT_RUNS, **kw)


# ============================================================================ the measurement
def _rows(**cols: Any) -> dict:
    arrs = {k: np.asarray(v) for k, v in cols.items()}
    n = max(a.size for a in arrs.values())
    return {k: np.broadcast_to(a, (n,)).copy() if a.size == 1 else a.ravel() for k, a in arrs.items()}


class _Work:
    """Progress over several runner calls, weighted by their (padded) work."""

    def __init__(self, parts: list[float], progress: Callable[[float], None] | None) -> None:
        self.w = np.asarray(parts, dtype=float) / max(float(np.sum(parts)), 1e-300)
        self.i = 0
        self.progress = progress

    def cb(self) -> Callable[[float], None] | None:
        if self.progress is None:
            return None
        base, share = float(self.w[: self.i].sum()), float(self.w[self.i])
        self.i += 1
        return lambda f: self.progress(base + share * f)  # type: ignore[misc]


def _work_estimate(B: Any, K: Any, T: Any, n: int) -> float:
    B, K, T = (np.asarray(v, dtype=float) for v in (B, K, T))
    return float(np.sum(K * T * (B * n + 2000.0)))  # + per-step overhead, in element units


def run_rates(
    method: str = "gd",
    grid: Grid | str | None = None,
    *,
    seeds: int = 16,
    backend: str = "numpy",
    device: str = "auto",
    dtype: str = "float64",
    problem: str = "linreg",
    progress: Callable[[float], None] | None = None,
    scheduler: Any = None,
) -> dict:
    """Measure rates against bounds for one method; returns a JSON-ready dict (see the package docstring).

    ``scheduler``: a ``boundcheck.parallel`` scheduler for the runner's grid chunks (default
    in-process); the chunks are the same on every scheduler, so are the numbers."""
    from boundcheck.parallel import InProcess

    sched = scheduler if scheduler is not None else InProcess()
    if method not in rn.METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(rn.METHODS)}")
    if problem == "logistic" and method == "agd":
        raise ValueError("Theorem 13 (echoed AGD) is about quadratic losses; use --problem linreg for agd")
    if not isinstance(seeds, (int, np.integer)) or isinstance(seeds, bool) or seeds < 2:
        raise ValueError(f"--seeds must be an integer >= 2 (confidence intervals need two), got {seeds!r}")
    g = grid if isinstance(grid, Grid) else parse_grid(grid)
    check_feasible(method, g, int(seeds))  # before any work: refuse what cannot fit
    be = rn.get_backend(backend, device)
    prob, w0 = make_problem(g.n, g.condition, g.noise, kind=problem)
    c = problem_constants(prob, w0)
    beta, rho, D, R = c["beta"], c["rho"], c["D"], c["R"]
    N, Np = int(seeds), max(2, min(int(seeds), g.pseeds))
    t_start = time.perf_counter()
    common = dict(w0=w0, backend=be.name, device=be.device, dtype=dtype)

    # ---- plan all runs
    BB, KK, TT = (a.ravel() for a in np.meshgrid(g.B, g.K, g.T, indexing="ij"))
    pts_grid = list(zip(BB.tolist(), KK.tolist(), TT.tolist()))
    variants = VARIANTS[method]
    grid_runs = []  # (variant, B, K, T, eta, gamma, seed)
    for vname, _sid, _out in variants:
        eta, gam = step_sizes(method, vname, beta=beta, rho=rho, D=D, B=BB, K=KK, T=TT)
        for i in range(len(BB)):
            for sd in range(N):
                grid_runs.append((vname, i, BB[i], KK[i], TT[i], eta[i], None if gam is None else gam[i], sd))
    probe_runs = []
    if g.probe and method in ("gd", "prox"):
        for vname, _sid, _out in variants:
            eta, gam = step_sizes(method, vname, beta=beta, rho=rho, D=D, B=g.probe_B, K=g.probe_K, T=1)
            for sd in range(Np):
                probe_runs.append((vname, 0, g.probe_B, g.probe_K, 1, float(eta), None if gam is None else float(gam), sd))
    # curvature sweeps: (axis, value) at B = Bc with the cap rule
    curv = [("K", k, k, g.Tc0) for k in g.Kc] + [("T", t, g.Kc0, t) for t in g.Tc]
    eta_c, gam_c = step_sizes(method, "cap", beta=beta, rho=rho, D=D, B=g.Bc, K=1, T=1)
    # phase transition
    fac = np.asarray(g.eta, dtype=float)
    if method == "prox":
        tune_gamma = np.concatenate([[0.0], beta * fac])
        tune_eta = 1.0 / (beta + tune_gamma)
    else:
        tune_gamma, tune_eta = None, fac / beta
    phase_pts = [(b, k, j) for b in g.Bp for k in g.Kp for j in range(len(tune_eta))]
    phase_T = {(b, k): max(1, min(g.samples // b, g.steps // k)) for b in g.Bp for k in g.Kp}

    runs_all = grid_runs + probe_runs
    work = [
        _work_estimate([r[2] for r in runs_all], [r[3] for r in runs_all], [r[4] for r in runs_all], g.n),
        _work_estimate(g.Bc, [x[2] for x in curv], [x[3] for x in curv], g.n) * N,
        _work_estimate(1, [x[2] for x in curv], [x[3] for x in curv], g.n) * N * 0.2,
        _work_estimate([p[0] for p in phase_pts], [p[1] for p in phase_pts],
                       [phase_T[p[:2]] for p in phase_pts], g.n) * Np,
    ]
    wk = _Work(work, progress)

    # ---- 1. bound grid (+ probe): one runner call, every variant and seed
    cols = _rows(B=[r[2] for r in runs_all], K=[r[3] for r in runs_all], T=[r[4] for r in runs_all],
                 eta=[r[5] for r in runs_all], seed=[r[7] for r in runs_all])
    gam_all = None if method != "prox" else np.array([r[6] for r in runs_all], dtype=float)
    res = _grid(prob, method, sched, B=cols["B"], K=cols["K"], T=cols["T"], eta=cols["eta"], gamma=gam_all,
                      seed=cols["seed"], progress=wk.cb(), **common)
    points, violations, printed_violations, uncertified = [], [], [], []
    t_runner = res.seconds
    work_done = res.work

    def summarise(sweep: str, vname: str, sid: str | None, out: str, sel: np.ndarray, B: int, K: int, T: int,
                  eta: float, gamma: float | None) -> dict:
        gaps = {"proof": res.gap_proof, "printed": res.gap_printed, "final": res.gap_final}[out][sel]
        m, sd, lo, hi = mean_ci(gaps)
        prm = {"beta": beta, "rho": rho, "D": D, "K": K, "T": T, "B": B, "eta": eta,
               "gamma": 0.0 if gamma is None else gamma}
        bound = float(bound_value(sid, prm)) if sid else None
        cterm, sterm = bound_split(method, prm)
        rate = float(table2_rate(method, prm))
        mx = float(np.max(res.max_norm[sel]))
        row = {
            "sweep": sweep, "variant": vname, "statement": sid, "output": out, "B": int(B), "K": int(K), "T": int(T),
            "eta": float(eta), "gamma": None if gamma is None else float(gamma), "seeds": int(sel.sum()),
            "mean": m, "sd": sd, "ci_lo": lo, "ci_hi": hi, "bound": bound,
            "bound_curvature": float(cterm), "bound_statistical": float(sterm),
            "ratio": (m / bound) if bound else None, "table2_rate": rate, "implied_constant": m / rate,
            "regime": "noise" if sterm > cterm else "curvature", "max_norm": mx, "in_ball": bool(mx <= R * (1 + 1e-9)),
            "gaps": gaps.tolist(),
        }
        row["diverged"] = bool(not math.isfinite(m) or m > 10 * c["gap0"])
        row["violation"] = bool(bound is not None and np.isfinite(lo) and lo > bound)
        if not math.isfinite(m):
            row["violation"] = bound is not None  # a diverged run exceeds any bound
        if row["violation"]:
            (violations if vname == "corrected" else printed_violations).append(
                {k: row[k] for k in ("sweep", "variant", "statement", "B", "K", "T", "eta", "gamma", "mean",
                                     "ci_lo", "bound")})
        if not row["in_ball"]:
            uncertified.append({k: row[k] for k in ("sweep", "variant", "B", "K", "T", "max_norm")})
        return row

    vcol = np.array([r[0] for r in runs_all])
    icol = np.array([r[1] for r in runs_all])
    is_probe = np.array([False] * len(grid_runs) + [True] * len(probe_runs))
    for vname, sid, out in variants:
        eta, gam = step_sizes(method, vname, beta=beta, rho=rho, D=D, B=BB, K=KK, T=TT)
        for i, (B, K, T) in enumerate(pts_grid):
            sel = (vcol == vname) & (icol == i) & ~is_probe
            points.append(summarise("grid", vname, sid, out, sel, B, K, T, eta[i], None if gam is None else gam[i]))
        if probe_runs:
            e, gm = step_sizes(method, vname, beta=beta, rho=rho, D=D, B=g.probe_B, K=g.probe_K, T=1)
            sel = (vcol == vname) & is_probe
            points.append(summarise("probe", vname, sid, out, sel, g.probe_B, g.probe_K, 1, float(e),
                                    None if gm is None else float(gm)))

    # ---- 2. curvature sweeps at B = Bc (cap rule), and their B = ∞ counterparts
    cK = np.repeat([x[2] for x in curv], N)
    cT = np.repeat([x[3] for x in curv], N)
    cS = np.tile(np.arange(N), len(curv))
    gam_arg = None if gam_c is None else float(gam_c)
    rc = _grid(prob, method, sched, B=g.Bc, K=cK, T=cT, eta=float(eta_c), gamma=gam_arg, seed=cS,
                     progress=wk.cb(), **common)
    rp = _grid(prob, method, sched, B=1, K=np.array([x[2] for x in curv]), T=np.array([x[3] for x in curv]),
                     eta=float(eta_c), gamma=gam_arg, population=True, progress=wk.cb(), **common)
    t_runner += rc.seconds + rp.seconds
    work_done += rc.work + rp.work
    out_c = VARIANTS[method][0][2]
    Gc = rc.output_gap(method, out_c).reshape(len(curv), N)
    Gpop = rp.output_gap(method, out_c)
    curv_points = []
    for j, (axis, val, K, T) in enumerate(curv):
        m, sd, lo, hi = mean_ci(Gc[j])
        prm = {"beta": beta, "rho": rho, "D": D, "K": K, "T": T, "B": g.Bc}
        cterm, sterm = bound_split(method, prm)
        mx = float(np.max(rc.max_norm.reshape(len(curv), N)[j]))
        curv_points.append({
            "sweep": f"curvature-{axis}", "variant": "cap (B→∞ limit of the corrected rule)", "statement": None,
            "output": out_c, "B": int(g.Bc), "K": int(K), "T": int(T), "eta": float(eta_c),
            "gamma": gam_arg, "seeds": N, "mean": m, "sd": sd, "ci_lo": lo, "ci_hi": hi,
            "population_gap": float(Gpop[j]), "curvature_share": float(Gpop[j] / m) if m > 0 else None,
            "bound_curvature": float(cterm), "bound_statistical": float(sterm),
            "table2_rate": float(table2_rate(method, prm)), "max_norm": mx, "in_ball": bool(mx <= R * (1 + 1e-9)),
            "gaps": Gc[j].tolist(),
        })
        if not curv_points[-1]["in_ball"]:
            uncertified.append({k: curv_points[-1][k] for k in ("sweep", "variant", "B", "K", "T", "max_norm")})
    points += curv_points

    # ---- prox only: the K-sweep with prox's own corrected (η, γ) at B = Bc (γ > 0 stays)
    prox_rule = []
    if method == "prox":
        e_p, g_p = step_sizes("prox", "corrected", beta=beta, rho=rho, D=D, B=g.Bc, K=1, T=g.Tc0)
        kk = np.repeat(list(g.Kc), N)
        rq = _grid(prob, method, sched, B=g.Bc, K=kk, T=g.Tc0, eta=float(e_p), gamma=float(g_p),
                         seed=np.tile(np.arange(N), len(g.Kc)), **common)
        rqp = _grid(prob, method, sched, B=1, K=list(g.Kc), T=g.Tc0, eta=float(e_p), gamma=float(g_p),
                          population=True, **common)
        t_runner += rq.seconds + rqp.seconds
        work_done += rq.work + rqp.work
        Gq = rq.gap_proof.reshape(len(g.Kc), N)
        for j, K in enumerate(g.Kc):
            m, sd, lo, hi = mean_ci(Gq[j])
            prm = {"beta": beta, "rho": rho, "D": D, "K": K, "T": g.Tc0, "B": g.Bc, "eta": float(e_p),
                   "gamma": float(g_p)}
            cterm, sterm = bound_split(method, prm)
            bound = float(bound_value("theorem10_corrected", prm))
            mx = float(np.max(rq.max_norm.reshape(len(g.Kc), N)[j]))
            prox_rule.append({
                "sweep": "curvature-K-prox-rule", "variant": "corrected", "statement": "theorem10_corrected",
                "output": "proof", "B": int(g.Bc), "K": int(K), "T": int(g.Tc0), "eta": float(e_p),
                "gamma": float(g_p), "seeds": N, "mean": m, "sd": sd, "ci_lo": lo, "ci_hi": hi, "bound": bound,
                "population_gap": float(rqp.gap_proof[j]), "curvature_share": float(rqp.gap_proof[j] / m),
                "bound_curvature": float(cterm), "bound_statistical": float(sterm),
                "regime": "noise" if sterm > cterm else "curvature", "max_norm": mx,
                "in_ball": bool(mx <= R * (1 + 1e-9)), "violation": bool(np.isfinite(lo) and lo > bound),
                "gaps": Gq[j].tolist(),
            })
            if prox_rule[-1]["violation"]:
                violations.append({k: prox_rule[-1][k] for k in ("sweep", "variant", "statement", "B", "K", "T",
                                                                 "eta", "gamma", "mean", "ci_lo", "bound")})
        points += prox_rule

    exps = _exponents(method, g, curv, curv_points, Gc, prox_rule, points)

    # ---- 3. phase transition
    pB = np.repeat([p[0] for p in phase_pts], Np)
    pK = np.repeat([p[1] for p in phase_pts], Np)
    pT = np.repeat([phase_T[p[:2]] for p in phase_pts], Np)
    pE = np.repeat([tune_eta[p[2]] for p in phase_pts], Np)
    pG = None if tune_gamma is None else np.repeat([tune_gamma[p[2]] for p in phase_pts], Np)
    pS = np.tile(np.arange(Np), len(phase_pts))
    # F(w_t) is evaluated at every t ≤ 16, then on a geometric grid (ratio 2^(1/8)): the hitting
    # time is resolved to ≤ 9% while the cost of evaluating F stays logarithmic in T
    t_max = int(pT.max())
    rec_t = np.unique(np.concatenate([np.arange(min(t_max, 16) + 1),
                                      np.round(16 * 2.0 ** (np.arange(0, 8 * 16) / 8)).astype(int)]))
    rph = _grid(prob, method, sched, B=pB, K=pK, T=pT, eta=pE, gamma=pG, seed=pS, record=True,
                      record_t=rec_t[rec_t <= t_max], progress=wk.cb(), **common)
    t_runner += rph.seconds
    work_done += rph.work
    target = g.target * c["gap0"]
    traj = rph.traj.reshape(len(phase_pts), Np, -1).mean(axis=1)  # NaN where not recorded
    phase_rows = []
    for b in g.Bp:
        for k in g.Kp:
            best = None
            for j in range(len(tune_eta)):
                i = phase_pts.index((b, k, j))
                hit = np.nonzero(traj[i] <= target)[0]
                if hit.size and (best is None or hit[0] < best[0]):
                    best = (int(hit[0]), j)
            phase_rows.append({
                "B": int(b), "K": int(k), "T_max": int(phase_T[(b, k)]),
                "batches": None if best is None else best[0],
                "steps": None if best is None else int(k * best[0]),
                "samples": None if best is None else int(b * best[0]),
                "eta": None if best is None else float(tune_eta[best[1]]),
                "gamma": None if best is None or tune_gamma is None else float(tune_gamma[best[1]]),
            })
    regimes = []
    for b in g.Bp:
        rows = [r for r in phase_rows if r["B"] == b and r["batches"]]
        if len(rows) < 2:
            regimes.append({"B": int(b), "regime": None, "steps_slope": None, "samples_slope": None})
            continue
        lk = np.log([r["K"] for r in rows])
        s_steps = float(np.polyfit(lk, np.log([r["steps"] for r in rows]), 1)[0])
        s_samp = float(np.polyfit(lk, np.log([r["samples"] for r in rows]), 1)[0])
        regimes.append({"B": int(b), "steps_slope": s_steps, "samples_slope": s_samp,
                        "regime": "noise-dominated (samples plateau)" if abs(s_samp) < abs(s_steps)
                        else "curvature-dominated (steps plateau)"})
    transition = next((r["B"] for r in regimes if r["regime"] and r["regime"].startswith("curvature")), None)

    elapsed = time.perf_counter() - t_start
    return {
        "method": method,
        "problem": {"name": prob.name, "n": prob.n, "condition": g.condition,
                    "noise": g.noise if problem == "linreg" else None,
                    "design": "Rademacher x_j = ±√σ_j, σ geometric from 1 to 1/condition; " + (
                        "y = ⟨x, w*⟩ + noise·U(−1,1)" if problem == "linreg" else
                        "y = ±1 with P(y = 1 | x) = s(⟨x, w*⟩); F summed exactly over the 2^n support points"),
                    "w0": "−w*", "F_star": float(prob.f_star),
                    "certificate": prob.certificate() if problem == "logistic" else "closed form"},
        "constants": {k: c[k] for k in ("beta", "rho", "D", "R", "gap0", "how")},
        "grid": asdict(g), "seeds": N, "phase_seeds": Np,
        "backend": be.name, "device": be.device, "dtype": dtype,
        "table2": TABLE2_TEXT[method],
        "points": points,
        "exponents": exps,
        "phase": {"target": target, "target_fraction": g.target, "rows": phase_rows, "regimes": regimes,
                  "transition_B": transition,
                  "tuned": "γ (η = 1/(β+γ))" if method == "prox" else "η"},
        "violations": violations,
        "printed_violations": printed_violations,
        "diverged": [{k: p[k] for k in ("sweep", "variant", "B", "K", "T", "eta", "mean", "max_norm")}
                     for p in points if p.get("diverged")],
        "uncertified": uncertified,
        "runtime": {"seconds": elapsed, "runner_seconds": t_runner, "work": work_done,
                    "throughput": work_done / t_runner if t_runner > 0 else None, "scheduler": sched.describe()},
    }


def _exponents(method: str, g: Grid, curv: list, curv_points: list, Gc: np.ndarray, prox_rule: list,
               points: list) -> list[dict]:
    """Fitted exponents next to Table 2's: curvature sweeps (K, T) where the measured error is the
    curvature term, and noise-dominated slices (B, T) of the corrected bound grid."""
    exps = []
    exp2 = TABLE2_EXPONENTS[method]

    def add_fit(axis: str, key: str, regime: str, where: str, xs: list, G: np.ndarray) -> None:
        f = fit_exponent(xs, G)
        e = exp2[key]
        verdict = None
        if f["slope"] is not None and f["lo"] is not None:
            if f["lo"] <= e <= f["hi"]:
                verdict = "matches (CI contains it)"
            else:
                side = "steeper" if f["hi"] < e else "shallower"
                verdict = f"{side} by {abs(f['slope'] - e):.2f}"
        exps.append({"axis": axis, "regime": regime, "where": where, "x": [int(v) for v in xs],
                     "exponent": f["slope"], "ci_lo": f["lo"], "ci_hi": f["hi"], "local_slopes": f["local"],
                     "table2": e, "verdict": verdict})

    def dominated(j: int) -> bool:  # the measured error is (mostly) the curvature term
        sh = curv_points[j]["curvature_share"]
        return sh is not None and sh >= g.share

    kidx = [j for j, x in enumerate(curv) if x[0] == "K" and dominated(j)][-g.fit:]
    tidx = [j for j, x in enumerate(curv) if x[0] == "T" and dominated(j)][-g.fit:]
    if len(kidx) >= 2:
        add_fit("K", "K", "curvature", f"B={g.Bc}, T={g.Tc0}, η=1/β", [curv[j][1] for j in kidx], Gc[kidx])
    if len(tidx) >= 2:
        add_fit("T", "T_curv", "curvature", f"B={g.Bc}, K={g.Kc0}, η=1/β", [curv[j][1] for j in tidx], Gc[tidx])
    if prox_rule:  # prox's own γ > 0: fit where the bound's curvature term dominates
        sel = [p for p in prox_rule if p["regime"] == "curvature"]
        if len(sel) >= 2:
            add_fit("K", "K", "curvature", f"B={g.Bc}, T={g.Tc0}, prox's corrected (η, γ={sel[0]['gamma']:.3g})",
                    [p["K"] for p in sel], np.array([p["gaps"] for p in sel]))
    corr = [p for p in points if p["sweep"] == "grid" and p["variant"] == "corrected"]

    def best_slice(axis: str, others: tuple[str, str], prefer: Callable[[tuple], tuple]) -> tuple | None:
        slices: dict = {}
        for p in corr:
            if p["regime"] == "noise":
                slices.setdefault((p[others[0]], p[others[1]]), []).append(p)
        cands = [(len(v), prefer(k), k) for k, v in slices.items() if len(v) >= 2]
        if not cands:
            return None
        _, _, key = max(cands)
        sel = sorted(slices[key], key=lambda p: p[axis])
        return key, sel

    bs = best_slice("B", ("K", "T"), lambda k: (k[0], k[1]))
    if bs:
        (K0, T0), sel = bs
        add_fit("B", "B", "noise", f"K={K0}, T={T0}, corrected rule", [p["B"] for p in sel],
                np.array([p["gaps"] for p in sel]))
    ts = best_slice("T", ("B", "K"), lambda k: (-k[0], k[1]))
    if ts:
        (B0, K0), sel = ts
        add_fit("T", "T_noise", "noise", f"B={B0}, K={K0}, corrected rule", [p["T"] for p in sel],
                np.array([p["gaps"] for p in sel]))

    return exps


#: the runner's throughput used for time estimates (echoed steps × examples × dims per second,
#: NumPy float64 on one core of the development machine; see benchmarks/results/runner.json)
_NOMINAL_UNITS_PER_S = 1.0e9


def estimate(method: str, g: Grid, seeds: int) -> dict:
    """Memory and time of ``run_rates(method, g, seeds=…)`` estimated before anything runs.

    ``work``: Σ K·T·B·n over every planned run (the runner's unit); ``seconds`` at the nominal
    throughput; ``bytes``: the largest array the runner will hold (a block's batches are
    bounded by its 96 MB budget, but a single run's batch (n × B values plus the generator's
    temporaries) is not)."""
    N, Np = int(seeds), max(2, min(int(seeds), g.pseeds))
    n = g.n
    runs: list[tuple[float, float, float, float]] = []  # (B, K, T, count)
    nvar = len(VARIANTS[method])
    for B in g.B:
        for K in g.K:
            for T in g.T:
                runs.append((B, K, T, nvar * N))
    if g.probe and method in ("gd", "prox"):
        runs.append((g.probe_B, g.probe_K, 1, nvar * Np))
    curv = [(k, g.Tc0) for k in g.Kc] + [(g.Kc0, t) for t in g.Tc]
    runs += [(g.Bc, K, T, N) for K, T in curv]
    if method == "prox":
        runs += [(g.Bc, K, g.Tc0, N) for K in g.Kc]
    ntune = len(g.eta) + (1 if method == "prox" else 0)
    runs += [(b, k, max(1, min(g.samples // b, g.steps // k)), ntune * Np) for b in g.Bp for k in g.Kp]
    work = float(sum(B * K * T * n * c for B, K, T, c in runs))
    big = max(B for B, _, _, _ in runs)
    nbytes = max(2 * 96e6, big * n * 8 * 4.0)
    return {"work": work, "seconds": work / _NOMINAL_UNITS_PER_S, "bytes": nbytes, "largest_B": int(big),
            "runs": int(sum(c for *_, c in runs))}


def check_feasible(method: str, g: Grid, seeds: int) -> dict:
    """``estimate``, refusing (ValueError, one line) a grid that cannot fit in this machine's memory."""
    import os

    est = estimate(method, g, seeds)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = None
    if total and est["bytes"] > 0.5 * total:
        raise ValueError(f"--grid: a run with B = {est['largest_B']} needs about {est['bytes'] / 2**30:.1f} GiB "
                         f"(more than half of this machine's {total / 2**30:.1f} GiB) and the grid ≈ "
                         f"{_fmt_s(est['seconds'])} of runner time; use smaller B, Bc, Bp or probe_B")
    return est


def _fmt_s(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else (f"{s / 60:.0f} min" if s < 7200 else f"{s / 3600:.1f} h")
