"""Designed instances: samplers that a loss family carries besides its random draws.

``curvature_switching`` designs instances of the piecewise-quadratic ridge family for AGD on
neighbouring two-point batches (Section 6's conjecture: ε = O(ηρ²K²/B) beyond quadratics).
The difference δ_j = w_j − w'_j of the two runs follows, to first order in 1/B, the recursion
δ_{j+1} = (1 − a_j)((1 + γ_j)δ_j − γ_jδ_{j−1}) − η·e_j with a_j = ηθ''(y_j): curvature at the
query y_j switches a_j between 0 and ηκ.  A {0, 1} pattern of switches maximising |δ_K| is
found on that linear recursion (periodic and random seeds, then bit-flip hill climbing on a
beam; Attia & Koren 2021 showed such growth, the construction here is our own); windows of
curvature κ are then centred on the queries of the chosen steps.  B is chosen so that the two
runs stay in the linear regime (their queries differ by far less than the windows' margins).
Every designed instance is an ordinary instance of the family: the engine evaluates it in
float64 and re-checks it in mpmath like any other.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from boundcheck.core.algorithms import lambda_sequence

__all__ = ["gamma_schedule", "switch_response", "best_pattern", "switch_design", "curvature_switching", "DESIGNS"]


def gamma_schedule(lam0: float, K: int) -> np.ndarray:
    """γ_1..γ_K of AGD from λ_0 (Section 3.1), float64 (the design only)."""
    _, gams = lambda_sequence(float(lam0), K)
    return np.array([float(g) for g in gams])


def switch_response(P: np.ndarray, gam: np.ndarray, a_on: float) -> np.ndarray:
    """Linearised difference recursion with curvature a_j = a_on·P_j and unit input (η = e = 1):
    δ_0..δ_K for each candidate pattern, shape (C, K+1)."""
    C, K = P.shape
    a = np.where(P, a_on, 0.0)
    d = np.zeros(C)
    dd = np.zeros(C)
    out = np.zeros((C, K + 1))
    for j in range(K):
        nxt = (1 - a[:, j]) * (d + dd) - 1.0
        dd = gam[j] * (nxt - d)
        d = nxt
        out[:, j + 1] = d
    return out


def best_pattern(K: int, lam0: float, a_on: float, rng: np.random.Generator, iters: int = 60,
                 beam: int = 6) -> tuple[np.ndarray, float]:
    """The {0,1}^K switch pattern maximising |δ_K| found by beam hill climbing, and |δ_K|."""
    gam = gamma_schedule(lam0, K)
    seeds = [(np.arange(K) % q) == ph for q in range(2, 9) for ph in range(q)]
    seeds += list(rng.random((64, K)) < rng.uniform(0.1, 0.5, size=(64, 1)))
    P = np.array(seeds, dtype=bool)
    val = np.abs(switch_response(P, gam, a_on)[:, K])
    order = np.argsort(-val, kind="stable")[:beam]
    P, val = P[order], val[order]
    eye = np.eye(K, dtype=bool)
    for _ in range(iters):
        cand = (P[:, None, :] ^ eye[None, :, :]).reshape(-1, K)
        cv = np.abs(switch_response(cand, gam, a_on)[:, K])
        allP = np.concatenate([P, cand])
        allv = np.concatenate([val, cv])
        _, uniq = np.unique(np.packbits(allP, axis=1), axis=0, return_index=True)
        uniq = uniq[np.argsort(-allv[uniq], kind="stable")][:beam]
        newP, newv = allP[uniq], allv[uniq]
        if newv[0] <= val[0] * (1 + 1e-12) and np.array_equal(newP, P):
            break
        P, val = newP, newv
    return P[0], float(val[0])


def switch_design(pattern: np.ndarray, lam0: float, *, eta: float = 1.0, kappa: float = 1.0, rho: float = 1.0,
                  frac: float = 0.3) -> dict:
    """Windows (half-width h, curvature κ) centred on the queries y_j of the steps where ``pattern``
    is 1, for θ'(r) = −ρ + Σ_k κ(clip(r − c_k, ±h_k) + h_k) (the B → ∞ trajectory, w_0 = 0, d_0 = 0).
    Σ_k 2κh_k ≤ ρ keeps θ' ∈ [−ρ, 0]: the base example is ρ-Lipschitz, κ-smooth and convex."""
    K = len(pattern)
    W = max(int(pattern.sum()), 1)
    hb = rho / (2 * kappa * W)
    cs: list[float] = []
    hs: list[float] = []

    def thetap(r: float) -> float:
        if not cs:
            return -rho
        c_, h_ = np.array(cs), np.array(hs)
        return -rho + float(np.sum(kappa * (np.clip(r - c_, -h_, h_) + h_)))

    w, d, lam, prev = 0.0, 0.0, float(lam0), None
    ys = []
    for j in range(K):
        y = w + d
        if pattern[j]:
            gap = (y - prev) if prev is not None else eta * rho
            cs.append(y)
            hs.append(min(frac * gap, hb))
        wn = y - eta * thetap(y)
        lamn = (1 + math.sqrt(1 + 4 * lam * lam)) / 2
        d = (lam - 1) / lamn * (wn - w)
        w, lam, prev = wn, lamn, y
        ys.append(y)
    cs_a, hs_a, ys_a = np.array(cs), np.array(hs), np.array(ys)
    if cs_a.size:
        dist = np.abs(ys_a[:, None] - cs_a[None, :]) - hs_a[None, :]  # < 0 inside a window
        margin = float(np.min(np.abs(dist).min(axis=1)))
    else:
        margin = math.inf
    return {"centres": cs_a, "halfwidths": hs_a, "margin": margin}


def curvature_switching(rng: np.random.Generator, C: int, structure: dict, raw: dict) -> None:
    """Overwrite a round of two-point neighbouring instances of the pwq-ridge family with one
    curvature-switching design (C variants of the window width), in place: examples (0: the
    linear example ρ⟨u, w⟩ that the neighbour replaces by −ρ⟨u, w⟩; 1: the base example, B − 1
    copies), w_init = d_init = 0, η = 1/κ (u = 1), the λ_init of the round's first draw, and B
    large enough for the linear regime."""
    K, n = structure["K"], structure["n"]
    lam0 = float(raw["lam0"][0]) if "lam0" in raw else 1.0
    rho = kappa = 1.0
    P, _ = best_pattern(K, lam0, 1.0, rng)
    frac = rng.uniform(0.2, 0.4, size=C)
    frac[0] = 0.3
    u = rng.standard_normal((C, n))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    c = np.zeros((C, 2, K))
    h = np.zeros((C, 2, K))
    margins = []
    for i in range(C):
        des = switch_design(P, lam0, frac=float(frac[i]))
        W = des["centres"].size
        c[i, 1, :W], h[i, 1, :W] = des["centres"], des["halfwidths"]
        margins.append(des["margin"] if math.isfinite(des["margin"]) else 1.0)
    resp = float(np.abs(switch_response(P[None], gamma_schedule(lam0, K), 1.0)).max())
    # linear regime: the runs' queries differ by ≈ 3·η·(2ρ/B)·resp, which must stay ≪ the margins
    B = 10 ** max(3, int(math.ceil(math.log10(6.0 * resp / (1e-4 * min(margins))))))
    structure["B"] = int(min(B, 10**15))
    raw["ex.x"] = np.repeat(u[:, None, :], 2, axis=1)
    raw["ex.c"], raw["ex.h"] = c, h
    raw["ex.rho0"] = np.stack([-np.full(C, rho), np.full(C, rho)], axis=1)  # θ' = +ρ (linear), −ρ + … (base)
    raw["ex.kappa"] = np.stack([np.zeros(C), np.full(C, kappa)], axis=1)
    raw["rep.x"], raw["rep.c"], raw["rep.h"] = u[:, None, :], np.zeros((C, 1, K)), np.zeros((C, 1, K))
    raw["rep.rho0"], raw["rep.kappa"] = np.full((C, 1), rho), np.zeros((C, 1))  # θ' = −ρ: the antipode
    raw["w0"] = np.zeros((C, n))
    if "d0" in raw:
        raw["d0"] = np.zeros((C, n))
    raw["u"] = np.ones(C)
    if "lam0" in raw:
        raw["lam0"] = np.full(C, lam0)


def _for_agd_two_point(st: Any, structure: dict) -> bool:
    """The curvature-switching design is for AGD on two-point neighbouring batches."""
    return structure.get("method") == "agd" and getattr(st.setting, "batch", None) == "two-point"


#: designs a family carries: family → (probability of a designed round, design, where it applies)
DESIGNS = {"pwq-ridge": (0.6, curvature_switching, _for_agd_two_point)}
