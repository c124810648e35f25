"""Rates against bounds: Theorems 7, 10, 13 and Table 2, measured with the batched runner.

What is measured (``run_rates``), for one method (gd | prox | agd):

1. **Bound grid** (B × K × T): E[F(w_out)] − F(w*) over seeds, with a Student-t
   confidence interval, for each statement variant — as printed (printed step size,
   Algorithm 1's printed average w_0..w_{T−1}) and as corrected (the registry's corrected
   step size, the average w_1..w_T) — compared with the statement's bound.  A grid point
   whose *lower* confidence limit exceeds the bound is a violation.  A probe point
   (huge B, T = 1) is added where Algorithm 1's printed average is w_0 itself.
2. **Exponents.**  Curvature-dominated regime: K- and T-sweeps at a large B with the
   B → ∞ limit of the corrected step rules (η = 1/β; prox's γ ∝ 1/√B → 0), each also run
   with the exact population gradient (B = ∞) to show the measured error *is* the
   curvature term.  Noise-dominated regime: B- and T-slices of the bound grid (corrected
   rule) where the bound's statistical term dominates.  Exponents are least-squares
   slopes in log–log, with 95% bootstrap intervals over seeds (seeds are resampled jointly
   across a sweep: runs with one seed share their data).  Table 2: K^−1 (GD, prox),
   K^−2 (AGD on quadratics) in the curvature term; (BT)^−1/2 in the statistical term.
3. **Phase transition** (the paper's Figures 2–3): for each (B, K) a constant step size
   (prox: γ with η = 1/(β+γ)) is tuned on a grid to minimise the number of batches t
   until E[F(w_t)] − F(w*) ≤ target; steps K·t and samples B·t are reported.  Small B:
   samples plateau in K (noise-dominated); large B: steps plateau (curvature-dominated).

The problem: least squares with a Rademacher design whose spectrum σ_j is geometric over
``condition`` (equal weight per decade, so GD shows its worst-case 1/(KT) and AGD its
1/(KT)² over a wide range), w* = w_true with ‖w*‖ = 1, w_0 = −w* (D = 2); β, ρ are the
certified support bounds over the ball ‖w‖ ≤ R = 1.25, and every run reports whether its
iterates (and AGD's query points) stayed in that ball.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Callable

import numpy as np

from boundcheck.experiments import runner as rn
from boundcheck.core.problems import LinearRegression, LogisticRegression

__all__ = [
    "Grid", "PRESETS", "parse_grid", "make_problem", "step_rule", "bound_value", "bound_terms", "table2_rate",
    "VARIANTS", "TABLE2_EXPONENTS", "mean_ci", "fit_exponent", "run_rates", "plot_rates", "format_report",
]


# ============================================================================ the grid
@dataclass(frozen=True)
class Grid:
    """What ``run_rates`` measures (see the module docstring).

    B, K, T:   the bound grid.
    Bc, Kc, Tc, Kc0, Tc0: curvature sweeps at B = Bc: K ∈ Kc at T = Tc0; T ∈ Tc at K = Kc0.
    Bp, Kp:    the phase-transition grid; ``eta`` the tuning factors (× 1/β; prox: γ = β·f,
               plus γ = 0); ``samples``/``steps`` cap B·T and K·T of a phase run.
    target:    the phase target, as a fraction of F(w_0) − F(w*).
    probe:     add the T = 1 probe (B = probe_B, K = probe_K) for the printed average.
    pseeds:    seeds for the phase grid and the probe (the bound grid uses --seeds).
    fit:       the K/T curvature exponents are fitted on the last ``fit`` points of a sweep
               whose curvature share (gap at B = ∞ / measured gap) is at least ``share``.
    n, condition, noise: the problem.
    """

    B: tuple = (4, 16, 64, 256)
    K: tuple = (1, 4, 16)
    T: tuple = (4, 16, 64)
    Bc: int = 2048
    Kc: tuple = (1, 2, 4, 8, 16, 32, 64)
    Tc: tuple = (2, 4, 8, 16, 32, 64)
    Kc0: int = 2
    Tc0: int = 2
    Bp: tuple = (1, 4, 16, 64, 256)
    Kp: tuple = (1, 2, 4, 8, 16, 32)
    eta: tuple = (2.0, 1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125)
    samples: int = 8192
    steps: int = 4096
    target: float = 0.02
    probe: int = 1
    probe_B: int = 16384
    probe_K: int = 256
    pseeds: int = 4
    fit: int = 4
    share: float = 0.9
    n: int = 24
    condition: float = 1e6
    noise: float = 0.1


PRESETS: dict[str, Grid] = {
    "default": Grid(),
    "small": Grid(B=(4, 16, 64), K=(1, 4, 16), T=(2, 8), Bc=256, Kc=(1, 2, 4, 8), Tc=(2, 4, 8), Bp=(1, 16, 256),
                  Kp=(1, 2, 4, 8), eta=(1.0, 0.5, 0.25, 0.125), samples=1024, steps=256, target=0.1,
                  probe_B=8192, probe_K=8, pseeds=2, fit=3, n=8, condition=1e3),
    "large": Grid(B=(4, 16, 64, 256, 1024, 4096), K=(1, 4, 16, 64), T=(4, 16, 64), Bc=8192,
                  Bp=(1, 4, 16, 64, 256, 1024), Kp=(1, 2, 4, 8, 16, 32, 64), samples=16384, steps=8192, pseeds=8),
}

_LIST_KEYS = {"B", "K", "T", "Kc", "Tc", "Bp", "Kp", "eta"}
_INT_KEYS = {"Bc", "Kc0", "Tc0", "samples", "steps", "probe", "probe_B", "probe_K", "pseeds", "fit", "n"}
_FLOAT_KEYS = {"target", "condition", "noise", "share"}


def _parse_values(key: str, text: str, *, integer: bool) -> list:
    out: list = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ValueError(f"--grid: empty value in {key}={text!r}")
        if ".." in part:
            lo_s, hi_s = part.split("..", 1)
            lo, hi = _parse_number(key, lo_s, integer=True), _parse_number(key, hi_s, integer=True)
            if lo < 1 or hi < lo:
                raise ValueError(f"--grid: range {key}={part!r} must be a..b with 1 <= a <= b")
            v = lo
            while v <= hi:
                out.append(v)
                v *= 2
        else:
            out.append(_parse_number(key, part, integer=integer))
    return out


def _parse_number(key: str, s: str, *, integer: bool) -> Any:
    s = s.strip()
    if key == "probe" and s in ("0", "1"):
        return int(s)
    try:
        v = float(s)
    except ValueError:
        raise ValueError(f"--grid: {key} needs {'integers' if integer else 'numbers'}, got {s!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"--grid: {key} values must be positive, got {s!r}")
    if integer:
        if v != int(v):
            raise ValueError(f"--grid: {key} needs integers, got {s!r}")
        return int(v)
    return v


def parse_grid(spec: str | None) -> Grid:
    """A grid from SPEC: a preset name, ``key=values`` pairs separated by ';', or both.

    ``default;B=4,16,64;K=1..64`` starts from a preset and overrides keys; a list value is
    comma separated, ``a..b`` means a, 2a, 4a, … ≤ b.  Keys: the fields of :class:`Grid`.
    """
    if spec is None or not spec.strip():
        return PRESETS["default"]
    parts = [p.strip() for p in spec.split(";") if p.strip()]
    grid = PRESETS["default"]
    if parts and "=" not in parts[0]:
        name = parts.pop(0)
        if name not in PRESETS:
            raise ValueError(f"--grid: unknown preset {name!r}; choose from {', '.join(PRESETS)} or give key=values")
        grid = PRESETS[name]
    changes: dict = {}
    valid = {f.name for f in fields(Grid)}
    for p in parts:
        if "=" not in p:
            raise ValueError(f"--grid: expected key=values, got {p!r}")
        key, val = (s.strip() for s in p.split("=", 1))
        if key not in valid:
            raise ValueError(f"--grid: unknown key {key!r}; keys: {', '.join(sorted(valid))}")
        if key in _LIST_KEYS:
            changes[key] = tuple(_parse_values(key, val, integer=key != "eta"))
        elif key in _INT_KEYS:
            changes[key] = _parse_number(key, val, integer=True)
        else:
            changes[key] = _parse_number(key, val, integer=False)
    grid = replace(grid, **changes)
    if not 0 < grid.target < 1:
        raise ValueError(f"--grid: target is a fraction of the initial gap, in (0, 1); got {grid.target}")
    if grid.fit < 2:
        raise ValueError("--grid: fit needs at least 2 points")
    return grid


# ============================================================================ the problem
PROBLEM_KINDS = ("linreg", "logistic")
LOGISTIC_MAX_N = 10  # F of the logistic problem sums over 2ⁿ support points at every recorded step


def make_problem(n: int = 24, condition: float = 1e6, noise: float = 0.1, seed: int = 0, kind: str = "linreg"
                 ) -> tuple[Any, np.ndarray]:
    """A problem with a spread spectrum; returns (problem, w_0) with w_0 = −w*, ‖w*‖ = 1.

    kind "linreg": least squares (quadratic; all three theorems apply).  kind "logistic":
    well-specified logistic regression on the same design (n capped at LOGISTIC_MAX_N;
    Theorems 7 and 10 apply, Theorem 13 needs quadratics).
    """
    if n < 1 or condition < 1:
        raise ValueError("n must be >= 1 and condition >= 1")
    if kind not in PROBLEM_KINDS:
        raise ValueError(f"unknown problem {kind!r}; choose from {', '.join(PROBLEM_KINDS)}")
    if kind == "logistic":
        n = min(n, LOGISTIC_MAX_N)
    rng = np.random.default_rng(seed)
    sigma = np.geomspace(1.0, 1.0 / condition, n)
    w_true = rng.choice(np.array([-1.0, 1.0]), n) / np.sqrt(n)
    if kind == "logistic":
        return LogisticRegression(sigma, w_true, name="logistic-spread"), -w_true
    return LinearRegression(sigma, w_true, float(noise), name="linreg-spread"), -w_true


def problem_constants(prob: LinearRegression, w0: np.ndarray) -> dict:
    D = float(np.linalg.norm(w0 - prob.w_star))
    R = 1.25 * max(float(np.linalg.norm(w0)), float(np.linalg.norm(prob.w_star)))
    c = prob.constants(R)
    gap0 = float(prob.population_risk(w0) - prob.f_star)
    if prob.family.global_lipschitz:  # ρ holds on all of ℝⁿ: no ball to stay in
        R = float("inf")
    return {"beta": float(c.beta), "rho": float(c.rho), "D": D, "R": R, "gap0": gap0, "how": c.how}


# ============================================================================ statements
#: (variant, statement id, Algorithm-1 output) per method; None = big-O, no constant to check.
VARIANTS: dict[str, tuple] = {
    "gd": (("corrected", "theorem7_corrected", "proof"), ("printed", "theorem7", "printed")),
    "prox": (("corrected", "theorem10_corrected", "proof"), ("printed", "theorem10", "printed")),
    "agd": (("corrected", "theorem13_corrected", "final"), ("printed", None, "final")),
}

#: Table 2's exponents: curvature term in K and T, statistical term in B and T.
TABLE2_EXPONENTS: dict[str, dict[str, float]] = {
    "gd": {"K": -1.0, "T_curv": -1.0, "B": -0.5, "T_noise": -0.5},
    "prox": {"K": -1.0, "T_curv": -1.0, "B": -0.5, "T_noise": -0.5},
    "agd": {"K": -2.0, "T_curv": -2.0, "B": -0.5, "T_noise": -0.5},
}
TABLE2_TEXT = {
    "gd": "O(βD²/(KT) + ρD/√(BT))", "prox": "O(βD²/(KT) + ρD/√(BT))", "agd": "O(βD²/(K²T²) + ρD/√(BT))",
}


def _local_bound(statement_id: str, p: dict) -> Any:
    # Local copies of the bounds, used only when the statement registry is not importable
    # (boundcheck.paper is the source of truth; tests check that the two agree).
    b, r, D, K, T, B = (np.asarray(p[k], dtype=float) for k in ("beta", "rho", "D", "K", "T", "B"))
    if statement_id in ("theorem7", "theorem7_corrected"):
        return b * D**2 / (2 * K * T) + 2 * r * D / np.sqrt(B * T)
    if statement_id == "theorem10":
        return np.sqrt(1 + 1 / K) * 2 * r * D / np.sqrt(B * T) + b * D**2 / (2 * K * T)
    if statement_id == "theorem10_corrected":  # the constant the proof gives: (3 + 1/K)/√2
        return (3 + 1 / K) / np.sqrt(2) * r * D / np.sqrt(B * T) + b * D**2 / (2 * K * T)
    if statement_id == "theorem13_corrected":
        return 2 * b * D**2 / (K * T + 1) ** 2 + 2 * r * D * np.sqrt(2 * K * (K + 1) * T / B) / (K * T + 1)
    if statement_id == "theorem13":  # big-O, constant 1
        return b * D**2 / (K * T) ** 2 + r * D / np.sqrt(B * T)
    raise ValueError(f"no bound for statement {statement_id!r}")


def bound_value(statement_id: str, params: dict) -> Any:
    """The bound of a statement at ``params`` (beta, rho, D, K, T, B, eta, gamma; arrays broadcast).

    Uses the statement registry (``boundcheck.paper``) when it is importable and knows
    the id; otherwise the local formulas above.
    """
    try:
        from boundcheck.paper import get_statement
    except ImportError:
        return _local_bound(statement_id, params)
    try:
        st = get_statement(statement_id)
    except ValueError:
        return _local_bound(statement_id, params)
    return np.asarray(st.bound_value(params), dtype=float)


def bound_terms(method: str, p: dict) -> tuple[Any, Any]:
    """(curvature term, statistical term) of the corrected bound (for plots and regimes).

    The curvature term is βD²/(2KT) (GD, prox) or 2βD²/(KT+1)² (AGD); the statistical term
    is the rest of the registry's corrected bound, so the split follows the registry.
    """
    b, D, K, T = (np.asarray(p[k], dtype=float) for k in ("beta", "D", "K", "T"))
    curv = 2 * b * D**2 / (K * T + 1) ** 2 if method == "agd" else b * D**2 / (2 * K * T)
    sid = VARIANTS[method][0][1]
    return curv, np.asarray(bound_value(sid, p), dtype=float) - curv


def table2_rate(method: str, p: dict) -> Any:
    """Table 2's echoed rate with constant 1."""
    b, r, D, K, T, B = (np.asarray(p[k], dtype=float) for k in ("beta", "rho", "D", "K", "T", "B"))
    curv = b * D**2 / (K * T) ** (2 if method == "agd" else 1)
    return curv + r * D / np.sqrt(B * T)


def step_rule(method: str, variant: str, *, beta: float, rho: float, D: float, B: Any, K: Any, T: Any
              ) -> tuple[np.ndarray, np.ndarray | None]:
    """(η, γ) of a statement variant: "printed", "corrected" or "cap" (the B → ∞ limit: 1/β, γ = 0)."""
    B, K, T = (np.asarray(x, dtype=float) for x in (B, K, T))
    shape = np.broadcast_shapes(B.shape, K.shape, T.shape)
    cap = np.full(shape, 1.0 / beta)
    if variant == "cap":
        return cap, (np.zeros(shape) if method == "prox" else None)
    if variant not in ("printed", "corrected"):
        raise ValueError(f"unknown step rule {variant!r}")
    if method == "gd":
        alt = rho / (K * D) * np.sqrt(B / T) if variant == "printed" else D / (2 * rho * K) * np.sqrt(B / T)
        return np.minimum(cap, alt), None
    if method == "prox":
        gamma = rho / D * np.sqrt((1 if variant == "printed" else 2) * T / B) * np.ones(shape)
        return 1.0 / (beta + gamma), gamma
    if variant == "printed":  # η = Θ(min{1/β, ρ/(K² D √(B/T^{3/2}))}) with constant 1
        alt = rho / (K**2 * D * np.sqrt(B / T**1.5))
    else:
        alt = D / rho * np.sqrt(2 * B / (K * (K + 1) * T * (K * T + 1) ** 2))
    return np.minimum(cap, alt), None


# ============================================================================ statistics
def _t975(df: int) -> float:
    if df < 1:
        return float("inf")
    from scipy import stats
    return float(stats.t.ppf(0.975, df))


def mean_ci(x: np.ndarray) -> tuple[float, float, float, float]:
    """(mean, sd, lower, upper): 95% Student-t interval for the mean over seeds."""
    x = np.asarray(x, dtype=float)
    m = float(np.mean(x))
    if x.size < 2:
        return m, float("nan"), float("-inf"), float("inf")
    sd = float(np.std(x, ddof=1))
    h = _t975(x.size - 1) * sd / math.sqrt(x.size)
    return m, sd, m - h, m + h


def fit_exponent(x: Any, G: np.ndarray, *, n_boot: int = 2000, seed: int = 0) -> dict:
    """Slope of log E[gap] against log x with a 95% bootstrap interval over seeds.

    G: (points, seeds).  Seeds are resampled jointly across points (common random numbers).
    """
    x = np.asarray(x, dtype=float)
    G = np.asarray(G, dtype=float)
    m = G.mean(axis=1)
    if len(x) < 2 or not np.all(np.isfinite(m)) or np.any(m <= 0):
        return {"slope": None, "lo": None, "hi": None, "points": len(x), "local": []}
    lx = np.log(x) - np.log(x).mean()
    slope = float(lx @ np.log(m) / (lx @ lx))
    rng = np.random.default_rng(seed)
    N = G.shape[1]
    idx = rng.integers(0, N, size=(n_boot, N))
    M = G[:, idx].mean(axis=-1)  # (points, n_boot)
    with np.errstate(divide="ignore", invalid="ignore"):
        sl = lx @ np.log(M) / (lx @ lx)
    sl = sl[np.isfinite(sl)]
    lo, hi = (float(np.percentile(sl, 2.5)), float(np.percentile(sl, 97.5))) if sl.size else (None, None)
    local = (np.diff(np.log(m)) / np.diff(np.log(x))).tolist()
    return {"slope": slope, "lo": lo, "hi": hi, "points": int(len(x)), "local": local}


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
) -> dict:
    """Measure rates against bounds for one method; returns a JSON-ready dict (see module docstring)."""
    if method not in rn.METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(rn.METHODS)}")
    if problem == "logistic" and method == "agd":
        raise ValueError("Theorem 13 (echoed AGD) is about quadratic losses; use --problem linreg for agd")
    if not isinstance(seeds, (int, np.integer)) or isinstance(seeds, bool) or seeds < 2:
        raise ValueError(f"--seeds must be an integer >= 2 (confidence intervals need two), got {seeds!r}")
    g = grid if isinstance(grid, Grid) else parse_grid(grid)
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
        eta, gam = step_rule(method, vname, beta=beta, rho=rho, D=D, B=BB, K=KK, T=TT)
        for i in range(len(BB)):
            for sd in range(N):
                grid_runs.append((vname, i, BB[i], KK[i], TT[i], eta[i], None if gam is None else gam[i], sd))
    probe_runs = []
    if g.probe and method in ("gd", "prox"):
        for vname, _sid, _out in variants:
            eta, gam = step_rule(method, vname, beta=beta, rho=rho, D=D, B=g.probe_B, K=g.probe_K, T=1)
            for sd in range(Np):
                probe_runs.append((vname, 0, g.probe_B, g.probe_K, 1, float(eta), None if gam is None else float(gam), sd))
    # curvature sweeps: (axis, value) at B = Bc with the cap rule
    curv = [("K", k, k, g.Tc0) for k in g.Kc] + [("T", t, g.Kc0, t) for t in g.Tc]
    eta_c, gam_c = step_rule(method, "cap", beta=beta, rho=rho, D=D, B=g.Bc, K=1, T=1)
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
    res = rn.run_grid(prob, method, B=cols["B"], K=cols["K"], T=cols["T"], eta=cols["eta"], gamma=gam_all,
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
        cterm, sterm = bound_terms(method, prm)
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
        eta, gam = step_rule(method, vname, beta=beta, rho=rho, D=D, B=BB, K=KK, T=TT)
        for i, (B, K, T) in enumerate(pts_grid):
            sel = (vcol == vname) & (icol == i) & ~is_probe
            points.append(summarise("grid", vname, sid, out, sel, B, K, T, eta[i], None if gam is None else gam[i]))
        if probe_runs:
            e, gm = step_rule(method, vname, beta=beta, rho=rho, D=D, B=g.probe_B, K=g.probe_K, T=1)
            sel = (vcol == vname) & is_probe
            points.append(summarise("probe", vname, sid, out, sel, g.probe_B, g.probe_K, 1, float(e),
                                    None if gm is None else float(gm)))

    # ---- 2. curvature sweeps at B = Bc (cap rule), and their B = ∞ counterparts
    cK = np.repeat([x[2] for x in curv], N)
    cT = np.repeat([x[3] for x in curv], N)
    cS = np.tile(np.arange(N), len(curv))
    gam_arg = None if gam_c is None else float(gam_c)
    rc = rn.run_grid(prob, method, B=g.Bc, K=cK, T=cT, eta=float(eta_c), gamma=gam_arg, seed=cS,
                     progress=wk.cb(), **common)
    rp = rn.run_grid(prob, method, B=1, K=np.array([x[2] for x in curv]), T=np.array([x[3] for x in curv]),
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
        cterm, sterm = bound_terms(method, prm)
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
        e_p, g_p = step_rule("prox", "corrected", beta=beta, rho=rho, D=D, B=g.Bc, K=1, T=g.Tc0)
        kk = np.repeat(list(g.Kc), N)
        rq = rn.run_grid(prob, method, B=g.Bc, K=kk, T=g.Tc0, eta=float(e_p), gamma=float(g_p),
                         seed=np.tile(np.arange(N), len(g.Kc)), **common)
        rqp = rn.run_grid(prob, method, B=1, K=list(g.Kc), T=g.Tc0, eta=float(e_p), gamma=float(g_p),
                          population=True, **common)
        t_runner += rq.seconds + rqp.seconds
        work_done += rq.work + rqp.work
        Gq = rq.gap_proof.reshape(len(g.Kc), N)
        for j, K in enumerate(g.Kc):
            m, sd, lo, hi = mean_ci(Gq[j])
            prm = {"beta": beta, "rho": rho, "D": D, "K": K, "T": g.Tc0, "B": g.Bc, "eta": float(e_p),
                   "gamma": float(g_p)}
            cterm, sterm = bound_terms(method, prm)
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

    # ---- exponents
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
    rph = rn.run_grid(prob, method, B=pB, K=pK, T=pT, eta=pE, gamma=pG, seed=pS, record=True,
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
                    "throughput": work_done / t_runner if t_runner > 0 else None},
    }


# ============================================================================ text report
def format_report(res: dict) -> str:
    from boundcheck.outputs.common import fmt, format_table
    m = res["method"]
    c = res["constants"]
    noise = f", noise={res['problem']['noise']}" if res["problem"]["noise"] is not None else ""
    out = [f"rates for echoed {m} on {res['problem']['name']} (n={res['problem']['n']}, "
           f"condition={fmt(res['problem']['condition'])}{noise}): "
           f"β={fmt(c['beta'])}, ρ={fmt(c['rho'])} on ‖w‖ ≤ {fmt(c['R'])}, D={fmt(c['D'])}, "
           f"F(w0)−F*={fmt(c['gap0'])}; {res['seeds']} seeds, {res['backend']}/{res['device']} {res['dtype']}"]
    variants = VARIANTS[m]
    grid = [p for p in res["points"] if p["sweep"] in ("grid", "probe")]
    by = {(p["sweep"], p["variant"], p["B"], p["K"], p["T"]): p for p in grid}
    keys = sorted({(p["sweep"], p["B"], p["K"], p["T"]) for p in grid}, key=lambda k: (k[0] != "grid", k[1:]))
    hdr = ["B", "K", "T"]
    for vname, sid, _ in variants:
        hdr += [f"η {vname}", f"E[gap] {vname} [95% CI]", f"bound {sid or 'O(·)'}"]
    rows = []
    for sw, B, K, T in keys:
        r: list = [f"{B}{'*' if sw == 'probe' else ''}", K, T]
        for vname, sid, _ in variants:
            p = by.get((sw, vname, B, K, T))
            if p is None:
                r += ["-", "-", "-"]
                continue
            flag = " VIOLATED" if p["violation"] else ""
            r += [p["eta"], f"{fmt(p['mean'], 3)} [{fmt(p['ci_lo'], 3)}, {fmt(p['ci_hi'], 3)}]",
                  (fmt(p["bound"], 3) if p["bound"] is not None else f"rate {fmt(p['table2_rate'], 3)}") + flag]
        rows.append(r)
    out += ["", "measured E[F(w_out)] − F(w*) vs the bounds (corrected = registry's corrected statement; "
            "printed = as printed; * = probe, T = 1)", format_table(hdr, rows)]
    cps = [p for p in res["points"] if p["sweep"].startswith("curvature")]
    if cps:
        rows = [(p["sweep"][len("curvature-"):], p["B"], p["K"], p["T"], p["mean"],
                 f"[{fmt(p['ci_lo'], 3)}, {fmt(p['ci_hi'], 3)}]",
                 p["population_gap"], p["curvature_share"], p["bound_curvature"]) for p in cps]
        note = "; for prox γ → 0, so prox-GD is GD here" if m == "prox" else ""
        out += ["", "curvature-dominated sweeps (η = 1/β, the B → ∞ limit of the corrected rule" + note + "; "
                "B=∞ = exact population gradient; prox-rule = prox's own corrected (η, γ))",
                format_table(["sweep", "B", "K", "T", "E[gap]", "95% CI", "gap at B=∞", "share", "bound curv. term"],
                             rows)]
    rows = [(e["axis"], e["regime"], e["where"], ",".join(map(str, e["x"])),
             e["exponent"], f"[{fmt(e['ci_lo'], 3)}, {fmt(e['ci_hi'], 3)}]", e["table2"], e["verdict"] or "-")
            for e in res["exponents"]]
    out += ["", f"fitted exponents of E[gap] (Table 2, echoed {m}: {res['table2']})",
            format_table(["axis", "regime", "slice", "values", "exponent", "95% CI", "Table 2", "verdict"], rows)]
    ph = res["phase"]
    Ks = sorted({r["K"] for r in ph["rows"]})
    rows = []
    for b in sorted({r["B"] for r in ph["rows"]}):
        cells = []
        for k in Ks:
            r = next(x for x in ph["rows"] if x["B"] == b and x["K"] == k)
            cells.append("-" if r["batches"] is None else f"{r['steps']}/{r['samples']}")
        reg = next(x for x in ph["regimes"] if x["B"] == b)
        rows.append([b] + cells + [reg["regime"] or "-"])
    out += ["", f"phase transition: steps KT / samples BT until E[F(w_t)] − F* ≤ {fmt(ph['target'], 3)} "
            f"({ph['target_fraction']:g} of the initial gap), {ph['tuned']} tuned per (B, K)",
            format_table(["B"] + [f"K={k}" for k in Ks] + ["regime"], rows)]
    if ph["transition_B"] is not None:
        out.append(f"transition: curvature-dominated from B = {ph['transition_B']} on")
    v, pv, unc = res["violations"], res["printed_violations"], res["uncertified"]
    out += ["", f"violations of the corrected bounds: {len(v) if v else 'none'}"]
    for x in v:
        out.append(f"  {x['statement']} at B={x['B']} K={x['K']} T={x['T']}: lower CI {fmt(x['ci_lo'])} > bound {fmt(x['bound'])}")
    out.append(f"violations of the printed statements: {len(pv) if pv else 'none'}")
    for x in pv:
        out.append(f"  {x['statement']} ({x['sweep']}) at B={x['B']} K={x['K']} T={x['T']}: "
                   f"lower CI {fmt(x['ci_lo'])} > bound {fmt(x['bound'])}")
    for x in res["diverged"]:
        out.append(f"diverged ({x['variant']} step size η={fmt(x['eta'])}): B={x['B']} K={x['K']} T={x['T']}, "
                   f"E[gap] = {fmt(x['mean'])}, max ‖w‖ = {fmt(x['max_norm'])}")
    if unc:
        out.append(f"warning: {len(unc)} point(s) left the ball ‖w‖ ≤ {fmt(c['R'])}; ρ is not certified there")
    rt = res["runtime"]
    out.append(f"runtime {rt['seconds']:.1f}s (runner {rt['runner_seconds']:.1f}s, "
               f"{fmt(rt['throughput'] or 0, 3)} echoed steps·examples·dims/s)")
    return "\n".join(out)


# ============================================================================ plots
def plot_rates(res: dict, path: str) -> None:
    """Error vs K for several B with the bound's two terms; Figures 2–3-style phase panels."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from boundcheck.outputs.common import atomic_output

    m = res["method"]
    c = res["constants"]
    grid = [p for p in res["points"] if p["sweep"] == "grid" and p["variant"] == "corrected"]
    Ts = sorted({p["T"] for p in grid})
    Tp = Ts[len(Ts) // 2] if Ts else None
    Bs = sorted({p["B"] for p in grid})
    ph = res["phase"]
    pBs = sorted({r["B"] for r in ph["rows"]})
    ncol = max(3, len(pBs))
    fig = plt.figure(figsize=(3.2 * ncol, 7.0))
    gs = fig.add_gridspec(2, ncol)
    ax = fig.add_subplot(gs[0, : ncol // 2 + (ncol % 2)])
    cmap = plt.get_cmap("viridis")
    for i, b in enumerate(Bs):
        pts = sorted([p for p in grid if p["B"] == b and p["T"] == Tp], key=lambda p: p["K"])
        if not pts:
            continue
        col = cmap(i / max(1, len(Bs) - 1))
        K = np.array([p["K"] for p in pts])
        mean = np.array([p["mean"] for p in pts])
        err = np.array([[p["mean"] - max(p["ci_lo"], 1e-300) for p in pts], [p["ci_hi"] - p["mean"] for p in pts]])
        ax.errorbar(K, mean, yerr=err, marker="o", color=col, label=f"B={b}", capsize=2)
        ax.plot(K, [p["bound_statistical"] for p in pts], ls=":", color=col)
        if i == 0:
            ax.plot(K, [p["bound_curvature"] for p in pts], ls="--", color="k", label="bound: curvature term")
    ax.plot([], [], ls=":", color="gray", label="bound: statistical term (per B)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("echoing factor K")
    ax.set_ylabel("E[F(w_out)] − F(w*)")
    ax.set_title(f"echoed {m}, corrected step rule, T={Tp}")
    ax.legend(fontsize=7)
    ax2 = fig.add_subplot(gs[0, ncol // 2 + (ncol % 2):])
    for sweep, mk, lab in (("K", "o", "sweep K, η=1/β"), ("T", "s", "sweep T, η=1/β"),
                           ("K-prox-rule", "^", "sweep K, prox's corrected (η, γ)")):
        cps = [p for p in res["points"] if p["sweep"] == f"curvature-{sweep}"]
        if not cps:
            continue
        x = np.array([p["K"] * p["T"] for p in cps])
        ax2.plot(x, [p["mean"] for p in cps], marker=mk, label=f"B={cps[0]['B']}, {lab}")
        ax2.plot(x, [p["population_gap"] for p in cps], ls="--", color="gray",
                 label="B=∞ (population gradient)" if sweep == "K" else None)
    ax2.set_xscale("log", base=2)
    ax2.set_yscale("log")
    ax2.set_xlabel("total steps KT")
    ax2.set_ylabel("E[gap]")
    fits = "\n".join(f"{e['axis']} ({e['regime']}): {e['exponent']:.2f} (Table 2: {e['table2']:g})"
                     for e in res["exponents"] if e["exponent"] is not None)
    ax2.set_title("curvature-dominated regime", fontsize=9)
    ax2.text(0.02, 0.02, "fitted exponents\n" + fits, transform=ax2.transAxes, fontsize=7, va="bottom",
             bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
    ax2.legend(fontsize=7)
    for i, b in enumerate(pBs):
        a = fig.add_subplot(gs[1, i])
        rows = sorted([r for r in ph["rows"] if r["B"] == b and r["batches"]], key=lambda r: r["K"])
        if rows:
            K = [r["K"] for r in rows]
            a.plot(K, [r["steps"] for r in rows], marker="o", color="tab:blue", label="steps KT")
            a.plot(K, [r["samples"] for r in rows], marker="o", color="tab:red", label="samples BT")
            a3 = a.twinx()
            key = "gamma" if m == "prox" else "eta"
            vals = [r[key] if r[key] else np.nan for r in rows]
            a3.plot(K, vals, marker=".", color="goldenrod", alpha=0.8)
            a3.set_yscale("log")
            a3.tick_params(axis="y", labelsize=6, colors="goldenrod")
        a.set_xscale("log", base=2)
        a.set_yscale("log")
        a.set_xlabel("K")
        reg = next((x["regime"] for x in ph["regimes"] if x["B"] == b), None)
        a.set_title(f"B={b}" + (f"\n{reg.split(' (')[0]}" if reg else ""), fontsize=8)
        if i == 0:
            a.set_ylabel(f"to reach {ph['target_fraction']:g}·gap0")
        if rows and not any(ax_.get_legend() for ax_ in fig.axes[2:]):
            a.legend(fontsize=7)
    fig.suptitle(f"boundcheck rates: echoed {m} (β={c['beta']:.3g}, ρ={c['rho']:.3g}, D={c['D']:.3g}); "
                 f"tuned {'γ' if m == 'prox' else 'η'} in gold", fontsize=9)
    fig.tight_layout()
    suffix = "." + str(path).rsplit(".", 1)[-1] if "." in str(path) else ".png"
    with atomic_output(path, suffix=suffix) as tmp:
        fig.savefig(tmp, dpi=110, format=suffix[1:] if suffix[1:] in ("png", "pdf", "svg") else "png")
    plt.close(fig)
