"""The measurement grid of ``boundcheck rates`` (presets and the ``--grid`` language) and the
problem it runs on (least squares with a spread spectrum, or well-specified logistic
regression), with its certified constants β, ρ over the ball ‖w‖ ≤ R."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from boundcheck.core.problems import LinearRegression, LogisticRegression

__all__ = ["Grid", "PRESETS", "parse_grid", "PROBLEM_KINDS", "LOGISTIC_MAX_N", "make_problem", "problem_constants",
           "grid_fields"]


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



def grid_fields() -> list[str]:
    """The keys of ``--grid`` (the fields of :class:`Grid`)."""
    return [f.name for f in fields(Grid)]
