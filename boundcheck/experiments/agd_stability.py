"""Lemma 12 (uniform stability of AGD on convex quadratics) and the smooth-convex probe.

Part A: Lemma 12, made explicit
-------------------------------
Two runs of AGD (Section 3.1, as printed in ``_algorithms``) with the same ``w_init`` and
state (η, d, λ) on neighbouring batches ξ, ξ' of convex quadratic losses.  With
δ_j = w_j − w'_j, Δd_j = d_j − d'_j (Δd_0 = 0), H = ∇²f̄_ξ (spectrum in [0, β]) and
e_j = ∇f̄_ξ(y'_j) − ∇f̄_ξ'(y'_j) = (1/B)(∇f(y'_j, ξ_i) − ∇f(y'_j, ξ'_i)), ‖e_j‖ ≤ 2ρ/B:

    δ_{j+1} = (I − ηH)(δ_j + Δd_j) − η e_j,     Δd_{j+1} = γ_{j+1}(δ_{j+1} − δ_j).

In an eigendirection of H with a = ηh ∈ [0, ηβ] ⊆ [0, 1] this is the scalar recursion
x_{m+1} = (1 − a)((1 + γ_m)x_m − γ_m x_{m−1}) driven by −η e_j.  φ_{K,j}(a) is the value
at time K of the free recursion started at (x_j, x_{j+1}) = (0, 1); then
δ_K = −η Σ_{j<K} Φ_{K,j}(H) e_j and

    ε ≤ ρ‖δ_K‖ ≤ (2ηρ²/B) Σ_{j<K} max_a |φ_{K,j}(a)| =: c_K · ηρ²K²/B.

``proofs/lemma12.py`` proves |φ_{K,j}(a)| ≤ K − j (our proof), hence c_K ≤ 1 + 1/K, i.e.
ε ≤ ηρ²K(K+1)/B, approached for linear losses (a = 0) as λ_0 → ∞.

Worst cases computed here (all normalised as c·ηρ²K²/B):

* ``inside``  (2/K²) Σ_j max_a |φ_{K,j}(a)|: what the proof bounds; an upper bound of the
  abstract recursion's worst case (e_j arbitrary with ‖e_j‖ ≤ 2ρ/B, any H).
* ``outside`` (2/K²) max_a Σ_j |φ_{K,j}(a)|: one eigendirection, the adversary picks the sign
  of every e_j.  The exact abstract worst case, r·sup_{‖v‖=1} Σ_j ‖Φ_{K,j}(H)v‖, lies
  between ``outside`` and ``inside``; when one a maximises every |φ_{K,j}| (``a_common``)
  all three coincide.
* ``realisable`` (2/K²) max_a |Σ_j φ_{K,j}(a)|: a constant e, which an actual pair of
  batches realises when the replaced example differs only in its linear term (e.g. the
  replaced example is linear, ±g with ‖g‖ = ρ, and the other examples carry the curvature);
  the linear evaluation example ρ⟨δ_K/‖δ_K‖, w⟩ then gives ε = ρ‖δ_K‖ exactly.

Findings (``proofs/lemma12.py``): c_K = 1 + 1/K exactly (sup over λ_0, approached as
λ_0 → ∞ at a = 0); at λ_0 = 1 (the usual start) c_K → 1/4 (0.2524 at K = 1000); the
maximiser over a is a = 0 for every j at every schedule computed (so inside = outside =
realisable = the exact abstract worst case there).  The naive norm-product bound exceeds
the truth 10× from K = 7 and 1e6× from K = 23 (λ_0 → ∞).

Part B: the conjecture probe (Section 6)
----------------------------------------
``probe_smooth_convex`` searches smooth convex non-quadratic losses for instances whose
stability outgrows ηρ²K²/B.  It combines a vectorised random search + local improvement
over generic instances of the registry families (huber, softplus, squared-hinge, logistic)
with a structured search over *curvature-switching* instances (Attia & Koren 2021 showed
exponential growth; the construction here is our own): a piecewise-quadratic ridge loss
whose curvature is switched on exactly at chosen query points of the trajectory.  Every
reported instance is re-run in mpmath (≥ 50 digits) through ``_algorithms``.  Finding: the
verified ratio ε/(ηρ²K²/B) grows exponentially in K (≈ 4.7e6 at K = 80 with λ_0 = 1e4,
8.1e4 with λ_0 = 1) on pwq-ridge instances with large B (ratio ≤ B(1 + 1/K) for every
instance with d_init = 0, so growth needs B ≳ ratio); random search over the registry
families found nothing above the quadratic constant.
"""
from __future__ import annotations

import math
import time
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.algorithms import accelerated_gradient_descent, lambda_sequence
from boundcheck.core.losses import FAMILY_GROUPS, batch_objective, get_family, neighbour
from boundcheck.core.validate import check_array, check_positive, check_positive_int

__all__ = [
    "gamma_schedule",
    "difference_recursion",
    "impulse_responses",
    "CKResult",
    "c_K",
    "companion_matrix",
    "companion_norm",
    "NaiveResult",
    "naive_bound",
    "naive_table",
    "stability_quadratic_exact",
    "plot_c_K",
    "proven_constant",
    "probe_smooth_convex",
    "PROBE_FAMILIES",
]


def proven_constant(K: Any) -> Any:
    """The constant we prove for Lemma 12: c_K = 1 + 1/K (ε ≤ c_K·ηρ²K²/B = ηρ²K(K+1)/B)."""
    K = np.asarray(K, dtype=float)
    return 1.0 + 1.0 / K


# ----------------------------------------------------------------------------- schedules
def gamma_schedule(lam0: Any, K: int, root: str = "positive") -> np.ndarray:
    """γ_1..γ_K of AGD started at λ_0 (index m−1 holds γ_m), via ``lambda_sequence``.

    ``lam0 = inf`` is the limit λ_0 → ∞, where every γ_m = 1.  Object (mpf/Fraction)
    λ_0 gives an object array.
    """
    K = check_positive_int("K", K)
    if isinstance(lam0, (float, int, np.floating)) and not isinstance(lam0, bool) and math.isinf(float(lam0)):
        if float(lam0) < 0:
            raise ValueError("lam0 must not be -inf")
        return np.ones(K)
    if isinstance(lam0, (float, int, np.floating)) and not isinstance(lam0, bool):
        if not math.isfinite(float(lam0)):
            raise ValueError(f"lam0 must be a real number or inf, got {lam0!r}")
        lam0 = float(lam0)
    _, gams = lambda_sequence(lam0, K, root=root)
    if isinstance(lam0, float):
        return np.asarray(gams, dtype=float)
    return np.asarray(gams, dtype=object)


def _gammas(lam0: Any, K: int, root: str, gammas: Any) -> np.ndarray:
    if gammas is None:
        return gamma_schedule(lam0, K, root)
    g = np.asarray(gammas)
    if g.ndim != 1 or g.shape[0] < K:
        raise ValueError(f"gammas must be a 1-D sequence of at least K={K} momenta γ_1..γ_K")
    return g[:K]


# ----------------------------------------------------------------------------- recursion
def difference_recursion(a: Any, K: int, lam0: Any = 1.0, e: Any = 1.0, *, eta: Any = 1.0,
                         root: str = "positive", gammas: Any = None) -> np.ndarray:
    """δ_0..δ_K of the eigendirection recursion of two AGD runs on neighbouring quadratics.

    δ_0 = 0, Δd_0 = 0,  δ_{j+1} = (1 − a)(δ_j + Δd_j) − η e_j,  Δd_{j+1} = γ_{j+1}(δ_{j+1} − δ_j).

    Args:
        a: ηh ∈ [0, 1] (scalar or array; object arrays of mpf work).
        K: number of AGD steps.
        lam0: λ_0 of the shared initial state (inf: γ ≡ 1).
        e: the perturbation e_j, a scalar (constant e) or a length-K sequence.
        eta: the step size η multiplying e_j.
        gammas: override γ_1..γ_K (then lam0/root are ignored).
    Returns:
        array of shape (K+1,) + shape(a).
    """
    K = check_positive_int("K", K)
    g = _gammas(lam0, K, root, gammas)
    a_arr = a if nm.is_exact(a) else np.asarray(a, dtype=float)
    if not nm.is_exact(a_arr) and np.any((a_arr < 0) | (a_arr > 1)):
        raise ValueError("a = ηh must lie in [0, 1] (η ≤ 1/β)")
    if np.ndim(e) == 0:
        es = [e] * K
    else:
        es = list(e)
        if len(es) != K:
            raise ValueError(f"e has {len(es)} entries, need K={K}")
    c = 1 - a_arr
    zero = 0 * a_arr
    delta, dd = zero, zero
    out = [delta]
    for j in range(K):
        nxt = c * (delta + dd) - eta * es[j]
        dd = g[j] * (nxt - delta)  # γ_{j+1} = g[j]
        delta = nxt
        out.append(delta)
    exact = nm.is_exact(a_arr) or g.dtype == object or _is_exact_scalar(eta) or any(
        _is_exact_scalar(v) or nm.is_exact(v) for v in es)
    if exact:
        res = np.empty((K + 1,) + np.shape(a_arr), dtype=object)
        for i, v in enumerate(out):
            res[i] = v
        return res
    return np.array(out, dtype=float)


def _is_exact_scalar(x: Any) -> bool:
    import fractions

    import mpmath
    return isinstance(x, (mpmath.mpf, fractions.Fraction))


def impulse_responses(a_grid: Any, K: int, lam0: Any = 1.0, *, root: str = "positive",
                      gammas: Any = None) -> np.ndarray:
    """φ_{K,j}(a) for j = 0..K−1 on ``a_grid``: shape (K, len(a_grid)).

    φ_{K,j} = e₂ᵀ M_{K−1}⋯M_{j+1} e₂ with M_m = [[0, 1], [−(1−a)γ_m, (1−a)(1+γ_m)]] acting
    on (x_{m−1}, x_m); computed by one backward (adjoint) sweep, O(K·len(a_grid)).
    δ_K = −η Σ_j φ_{K,j}(a) e_j.
    """
    K = check_positive_int("K", K)
    g = _gammas(lam0, K, root, gammas)
    exact = nm.is_exact(a_grid) or g.dtype == object
    a = np.atleast_1d(a_grid if nm.is_exact(a_grid) else np.asarray(a_grid, dtype=float))
    if a.ndim != 1:
        raise ValueError("a_grid must be 1-D")
    if not exact and np.any((a < 0) | (a > 1)):
        raise ValueError("a_grid must lie in [0, 1] (η ≤ 1/β)")
    c = 1 - a
    dt = object if exact else float
    out = np.empty((K, a.shape[0]), dtype=dt)
    # row vector r_m = (p_m, q_m) with r_K = e₂ᵀ; r_m = r_{m+1} M_m; φ_{K,j} = q_{j+1}
    p = 0 * a
    q = 1 + 0 * a
    out[K - 1] = q
    for m in range(K - 1, 0, -1):  # r_m = r_{m+1} M_m, M_m uses γ_m = g[m-1]
        gm = g[m - 1]
        p, q = -c * gm * q, p + c * (1 + gm) * q
        out[m - 1] = q
    return out


def _default_a_grid(n_log: int = 160, n_lin: int = 65) -> np.ndarray:
    g = np.concatenate(([0.0], np.geomspace(1e-9, 1.0, n_log), np.linspace(0.0, 1.0, n_lin)))
    return np.unique(g)


class CKResult(NamedTuple):
    """Worst-case constants c_K (ε ≤ c_K·ηρ²K²/B) for K = 1..K_max at one λ_0.

    K: 1..K_max.  inside/outside/realisable: see the module docstring.  bound: the proven
    1 + 1/K.  a_common: one grid point maximises every |φ_{K,j}| (then the exact abstract
    worst case equals ``inside``).  argmax_a: maximiser of the ``inside`` terms for j = 0.
    refined: K values whose per-j maxima were refined on a local fine grid.
    method: how it was computed.
    """

    K: np.ndarray
    inside: np.ndarray
    outside: np.ndarray
    realisable: np.ndarray
    bound: np.ndarray
    a_common: np.ndarray
    argmax_a: np.ndarray
    lam0: float
    refined: tuple
    method: str
    seconds: float


def c_K(K_max: int = 1000, lam0: Any = math.inf, *, a_grid: Any = None, root: str = "positive",
        refine: Sequence[int] | None = (1, 2, 5, 10, 100, 1000), refine_points: int = 400) -> CKResult:
    """c_K for K = 1..K_max: worst case over a ∈ [0, 1] of Lemma 12's recursion at λ_0.

    Method: float64; one forward sweep that carries the K_max impulse responses
    x^{(j)} on an a-grid (0, 160 log-spaced points in [1e-9, 1], 65 uniform points;
    cost ~ K_max²·|grid|/2, about a second for K_max = 1000), maxima over the grid, then
    for each K in ``refine`` the per-j maximiser is refined on a fine local grid between
    its grid neighbours (``impulse_responses``, adjoint sweep).  The grid values are lower
    bounds of the sup over a; the proof gives the upper bound 1 + 1/K.  ``lam0=inf`` is
    the limit λ_0 → ∞ (γ ≡ 1), the sup over λ_0 (see ``proofs/lemma12.py``).
    """
    t0 = time.perf_counter()
    K_max = check_positive_int("K_max", K_max)
    a = _default_a_grid() if a_grid is None else np.unique(np.asarray(a_grid, dtype=float))
    if a.ndim != 1 or a.size == 0 or np.any((a < 0) | (a > 1)):
        raise ValueError("a_grid must be a non-empty 1-D array in [0, 1]")
    g = np.asarray(_gammas(lam0, K_max, root, None), dtype=float)
    c = 1.0 - a
    G = a.size
    X = np.zeros((K_max, G))
    Xp = np.zeros((K_max, G))
    inside = np.empty(K_max)
    outside = np.empty(K_max)
    real = np.empty(K_max)
    common = np.empty(K_max, dtype=bool)
    amax = np.empty(K_max)
    best_rows: dict[int, np.ndarray] = {}
    refine_set = {int(k) for k in (refine or ()) if 1 <= int(k) <= K_max}
    for K in range(1, K_max + 1):
        # advance rows j < K−1 from time K−1 to K with γ_{K−1}; start row K−1 at (0, 1)
        if K >= 2:
            gm = g[K - 2]
            rows = slice(0, K - 1)
            new = c * ((1 + gm) * X[rows] - gm * Xp[rows])
            Xp[rows] = X[rows]
            X[rows] = new
        X[K - 1] = 1.0
        Xp[K - 1] = 0.0
        A = np.abs(X[:K])
        idx = A.argmax(axis=1)
        mx = A[np.arange(K), idx]
        inside[K - 1] = 2.0 * mx.sum() / K**2
        outside[K - 1] = 2.0 * A.sum(axis=0).max() / K**2
        real[K - 1] = 2.0 * np.abs(X[:K].sum(axis=0)).max() / K**2
        common[K - 1] = bool(np.all(A[:, idx[0]] >= mx * (1 - 1e-12)))
        amax[K - 1] = a[idx[0]]
        if K in refine_set:
            best_rows[K] = (idx.copy(), mx.copy())
    refined = []
    for K, (idx, mx) in sorted(best_rows.items()):
        lo = a[np.maximum(idx - 1, 0)]
        hi = a[np.minimum(idx + 1, G - 1)]
        interior = np.unique(np.concatenate([np.linspace(l, h, 9) for l, h in zip(lo, hi) if h > l]))
        if interior.size == 0:
            continue
        # evaluate all j on the local points (chunked to bound memory)
        best = mx.copy()
        step = max(1, refine_points)
        for s in range(0, interior.size, step):
            pts = interior[s:s + step]
            phi = np.abs(impulse_responses(pts, K, gammas=g))
            best = np.maximum(best, phi.max(axis=1))
        inside[K - 1] = 2.0 * best.sum() / K**2  # ≥ the grid value (best starts at it)
        refined.append(K)
    return CKResult(np.arange(1, K_max + 1), inside, outside, real, proven_constant(np.arange(1, K_max + 1)),
                    common, amax, float(lam0), tuple(refined),
                    f"float64 forward sweep on a {G}-point a-grid (0, log-spaced 1e-9..1, uniform) "
                    f"+ local refinement (9 points between grid neighbours of each per-j maximiser)",
                    time.perf_counter() - t0)


# ----------------------------------------------------------------------------- naive argument
def companion_matrix(a: Any, gamma: Any) -> np.ndarray:
    """M = [[(1−a)(1+γ), −(1−a)γ], [1, 0]] acting on (x_m, x_{m−1}) (shape (..., 2, 2))."""
    a = np.asarray(a, dtype=float)
    gamma = np.asarray(gamma, dtype=float)
    c = 1 - a
    a, gamma, c = np.broadcast_arrays(a, gamma, c)
    M = np.zeros(a.shape + (2, 2))
    M[..., 0, 0] = c * (1 + gamma)
    M[..., 0, 1] = -c * gamma
    M[..., 1, 0] = 1.0
    return M


def companion_norm(a: Any, gamma: Any) -> np.ndarray:
    """‖M(a, γ)‖₂ in closed form: sqrt((s + sqrt(s² − 4c²γ²))/2), s = c²((1+γ)² + γ²) + 1.

    It is > 1 whenever (1−a)(1+γ) ≠ 0: the characteristic polynomial of MMᵀ at 1 equals
    −c²(1+γ)² (``proofs/lemma12.py``).
    """
    a = np.asarray(a, dtype=float)
    gamma = np.asarray(gamma, dtype=float)
    c = 1 - a
    s = c**2 * ((1 + gamma) ** 2 + gamma**2) + 1
    return np.sqrt((s + np.sqrt(np.maximum(s * s - 4 * c**2 * gamma**2, 0.0))) / 2)


class NaiveResult(NamedTuple):
    """The naive bound c_K^naive = (2/K²) Σ_j max_a Π_{m=j+1}^{K−1} ‖M(a, γ_m)‖₂ (log10).

    log10_product: the product of the per-step norms at the schedule of λ_0.
    log10_power: the power of one matrix norm, (2/K²) Σ_j N^{K−1−j}, N = max ‖M‖₂ = 1+√2.
    The max over a is at a = 0 (‖M‖₂ is nondecreasing in 1−a), so no grid is needed.
    """

    K: np.ndarray
    log10_product: np.ndarray
    log10_power: np.ndarray
    lam0: float


def _log10sumexp10(v: np.ndarray) -> float:
    m = float(np.max(v))
    return m + math.log10(float(np.sum(10.0 ** (v - m))))


def naive_bound(K_max: int = 1000, lam0: Any = math.inf, *, root: str = "positive") -> NaiveResult:
    """The bound a naive argument gives: bound ‖Π_j M_j‖ by Π_j ‖M_j‖₂ (log10 values)."""
    K_max = check_positive_int("K_max", K_max)
    g = np.asarray(gamma_schedule(lam0, K_max, root), dtype=float)
    lognorm = np.log10(companion_norm(0.0, g))  # ‖M(0, γ_m)‖₂, m = 1..K_max
    P = np.concatenate(([0.0], np.cumsum(lognorm)))  # P[m] = Σ_{i≤m} log‖M_i‖
    N = math.log10(1 + math.sqrt(2))
    prod = np.empty(K_max)
    power = np.empty(K_max)
    for K in range(1, K_max + 1):
        j = np.arange(K)
        terms = P[K - 1] - P[j]  # Σ_{m=j+1}^{K−1}
        prod[K - 1] = math.log10(2.0 / K**2) + _log10sumexp10(terms)
        power[K - 1] = math.log10(2.0 / K**2) + _log10sumexp10((K - 1 - j) * N)
    return NaiveResult(np.arange(1, K_max + 1), prod, power, float(lam0))


def naive_table(K_values: Sequence[int] = (1, 2, 5, 10, 20, 50, 100, 1000), lam0: Any = math.inf,
                true: CKResult | None = None) -> dict:
    """Naive vs true constants: rows {K, true, log10_naive, log10_ratio} and the first K at
    which the naive bound exceeds the true constant by 10× and by 1e6×."""
    K_max = max(int(k) for k in K_values)
    if true is None or true.K.size < K_max:
        true = c_K(K_max, lam0, refine=())
    nv = naive_bound(K_max, lam0)
    lt = np.log10(true.inside)
    ratio = nv.log10_product - lt
    rows = [{"K": int(k), "true": float(true.inside[k - 1]), "log10_naive": float(nv.log10_product[k - 1]),
             "log10_naive_power": float(nv.log10_power[k - 1]), "log10_ratio": float(ratio[k - 1])}
            for k in K_values]
    def first(th):
        hit = np.nonzero(ratio >= math.log10(th))[0]
        return int(hit[0] + 1) if hit.size else None
    return {"lam0": float(lam0), "rows": rows, "first_K_10x": first(10.0), "first_K_1e6x": first(1e6)}


# ----------------------------------------------------------------------------- exact stability
def stability_quadratic_exact(examples: Mapping[str, Any], index: int, replacement: Mapping[str, Any], *,
                              w_init: Any, eta: Any, K: int, lam0: Any = 1.0, d_init: Any = None,
                              family: str = "quadratic", eval_examples: Mapping[str, Any] | None = None,
                              eval_family: str | None = None, eval_ball: Mapping[str, float] | None = None,
                              check_step: bool = True) -> dict:
    """Uniform stability of K AGD steps on two given neighbouring quadratic batches.

    Runs AGD (``_algorithms``) on ξ = ``examples`` and ξ' = ξ with example ``index``
    replaced, from the same (w_init, η, d_init, λ_0), and returns the exact sup over an
    evaluation set of |f(w_K, ζ) − f(w'_K, ζ)|:

    * ``eval_examples`` (a finite set of examples of ``eval_family``, default ``family``):
      the max over the set, evaluated exactly (object arrays stay exact);
    * ``eval_ball={"rho": ρ}``: linear losses ⟨g, w⟩ with ‖g‖ ≤ ρ — closed form ρ‖δ_K‖;
    * ``eval_ball={"beta": β_e, "rho": ρ_b}``: quadratics ½wᵀAw − bᵀw with 0 ⪯ A ⪯ β_e I,
      ‖b‖ ≤ ρ_b — closed form ρ_b‖δ‖ + (β_e/4)(‖δ‖‖s‖ + |⟨δ, s⟩|), s = w_K + w'_K.

    Also returns the two bounds of Lemma 12 with the instance's own constants:
    ``bound_fine`` = ρ_eval·η·Σ_j (K − j)‖e_j‖ and ``bound_lemma`` = ηρ_eval·ρ_e·K(K+1)/B,
    where ρ_e = (B/2)·max_j ‖e_j‖ and ρ_eval is the evaluation set's Lipschitz constant on
    the segment [w'_K, w_K]; and ``a_max`` = η·λ_max(H) (the proof needs a_max ≤ 1).
    """
    fam = get_family(family)
    if not fam.quadratic:
        raise ValueError(f"family {family!r} is not quadratic; Lemma 12 is about quadratics")
    K = check_positive_int("K", K)
    batch = batch_objective(fam, examples)
    B = batch.batch_size
    batch2 = batch_objective(fam, neighbour(fam, batch.examples, index, replacement))
    w0 = check_array("w_init", w_init, min_ndim=1)
    agd = accelerated_gradient_descent()
    s0 = agd.init(w0, eta=eta, d=d_init, lam=lam0)
    r1 = agd.run(w0, s0, batch, K)
    r2 = agd.run(w0, s0, batch2, K)
    wK, wK2 = r1.w_out, r2.w_out
    delta = wK - wK2
    exact = nm.is_exact(delta)
    norm = (lambda v: nm.sqrt((v * v).sum())) if exact else (lambda v: float(np.linalg.norm(v)))
    # e_j = ∇f̄_ξ(y'_j) − ∇f̄_ξ'(y'_j)
    e_norms = [norm(batch.grad(y) - batch2.grad(y)) for y in r2.queries]
    H = _batch_hessian(fam, batch.examples, w0.shape[-1])
    a_max = float(nm.to_float(eta)) * float(np.linalg.eigvalsh(H)[-1]) if H is not None else 0.0
    if check_step and a_max > 1 + 1e-12:
        raise ValueError(f"η·λ_max(H) = {a_max:.6g} > 1: Lemma 12 needs η ≤ 1/β")
    out: dict[str, Any] = {"K": K, "B": B, "delta_norm": norm(delta), "a_max": a_max, "w_K": wK, "w_K_prime": wK2}
    if eval_ball is not None and eval_examples is not None:
        raise ValueError("give eval_examples or eval_ball, not both")
    if eval_ball is None and eval_examples is None:
        raise ValueError("give an evaluation set: eval_examples (finite) or eval_ball")
    if eval_ball is not None:
        rho = eval_ball.get("rho")
        if rho is None:
            raise ValueError("eval_ball needs 'rho'")
        check_positive("eval_ball['rho']", rho)
        beta_e = eval_ball.get("beta", 0)
        dn = norm(delta)
        if beta_e:
            s = wK + wK2
            sn = norm(s)
            ds = (delta * s).sum()
            eps = rho * dn + beta_e * (dn * sn + abs(ds)) / 4
            # Lipschitz of the evaluation class on the segment: ρ_b + β_e·max(‖w_K‖, ‖w'_K‖)
            rho_eval = rho + beta_e * max(norm(wK), norm(wK2))
            out["kind"] = "quadratic ball"
        else:
            eps = rho * dn
            rho_eval = rho
            out["kind"] = "linear ball"
        out["epsilon"] = eps
    else:
        efam = get_family(eval_family or family)
        ev = efam.validate(eval_examples, w0.shape[-1])
        diffs = efam.value(wK, ev) - efam.value(wK2, ev)
        vals = [abs(v) for v in np.ravel(diffs)]
        out["epsilon"] = max(vals)
        out["per_example"] = vals
        gn = [efam.grad(w, ev) for w in (wK, wK2)]
        rho_eval = max(norm(g[i]) for g in gn for i in range(g.shape[0]))  # convex ⇒ max at endpoints
        out["kind"] = f"finite set of {len(vals)} {efam.name} examples"
    rho_e = max(e_norms) * B / 2 if e_norms else 0
    out["rho_eval"] = rho_eval
    out["rho_e"] = rho_e
    out["bound_fine"] = rho_eval * eta * sum((K - j) * e_norms[j] for j in range(K))
    out["bound_lemma"] = eta * rho_eval * rho_e * K * (K + 1) / B
    return out


def _batch_hessian(fam, ex, n):
    """∇²f̄ for the quadratic families (float)."""
    if fam.name == "linear":
        return np.zeros((n, n))
    if fam.name == "least-squares":
        x = np.asarray(nm.to_float(np.asarray(ex["x"])), dtype=float)
        return np.einsum("bi,bj->ij", x, x) / x.shape[0]
    if fam.name == "quadratic":
        A = np.asarray(nm.to_float(np.asarray(ex["A"])), dtype=float)
        A = (A + np.swapaxes(A, -1, -2)) / 2
        return A.mean(axis=0)
    return None


# ----------------------------------------------------------------------------- plot
def plot_c_K(ax: Any, K_max: int = 1000, lam0s: Sequence[float] = (1.0, 10.0, 100.0, math.inf), *,
             naive: bool = True, results: Mapping[float, CKResult] | None = None) -> dict:
    """Plot c_K vs K (log-x) for several λ_0, the proven 1 + 1/K and (optionally) the naive bound.

    Returns the plotted data {λ_0: CKResult}.  The naive bound is drawn on a secondary
    log-y axis clipped at 1e12 (it grows like (1+√2)^K/K²).
    """
    data = dict(results or {})
    K = np.arange(1, K_max + 1)
    for lam in lam0s:
        if lam not in data:
            data[lam] = c_K(K_max, lam, refine=())
        r = data[lam]
        lbl = "λ₀ → ∞ (γ ≡ 1)" if math.isinf(lam) else f"λ₀ = {lam:g}"
        ax.plot(r.K, r.inside, label=f"c_K, {lbl}")
    ax.plot(K, proven_constant(K), "k--", lw=1, label="proven 1 + 1/K")
    ax.set_xscale("log")
    ax.set_xlabel("K (AGD steps per batch)")
    ax.set_ylabel("c_K  (ε ≤ c_K·ηρ²K²/B)")
    ax.set_title("Lemma 12: worst-case stability constant of AGD on quadratics")
    if naive:
        nv = naive_bound(K_max, math.inf)
        ax2 = ax.twinx()
        y = np.minimum(nv.log10_product, 12)
        ax2.plot(nv.K, 10.0 ** y, color="tab:red", ls=":", label="naive Π‖M_j‖₂ (λ₀→∞)")
        ax2.set_yscale("log")
        ax2.set_ylabel("naive bound (log scale, clipped at 1e12)", color="tab:red")
        ax2.legend(loc="lower right", fontsize="small")
    ax.legend(loc="upper right", fontsize="small")
    return data


# ============================================================================= Part B: the probe
#: families the probe searches: the registry's smooth-convex group plus our piecewise-quadratic
#: ridge family "pwq-ridge" (per example θ(⟨u, w⟩) with θ'' ∈ {0, κ} on a union of windows:
#: a sum of Huber pieces κ[ψ_h(r − c) + h(r − c)] and a linear term — smooth, convex).
PROBE_FAMILIES: tuple[str, ...] = tuple(FAMILY_GROUPS["smooth-convex"]) + ("pwq-ridge",)

#: certified per-example constants of the registry families on Ξ = {‖x‖ ≤ 1} (y free; squared
#: hinge: |y| ≤ Y and ‖w‖ ≤ R, see ``_generic_eval``)
_FAMILY_BETA = {"huber": 1.0, "softplus": 0.25, "logistic": 0.25, "squared-hinge": 1.0}


def _agd_runs(grad1, grad2, w0, eta, lam0, d0, K):
    agd = accelerated_gradient_descent()
    s0 = agd.init(w0, eta=eta, d=d0, lam=lam0)
    return agd.run(w0, s0, grad1, K), agd.run(w0, s0, grad2, K)


# ----------------------------------------------------------------------------- generic search
def _generic_sample(rng, fam, C, B, n):
    scale_y = np.exp(rng.uniform(np.log(0.05), np.log(3.0), size=(C, 1)))
    x = rng.standard_normal((C, B, n))
    x *= (rng.uniform(0.2, 1.0, size=(C, B, 1)) / np.linalg.norm(x, axis=-1, keepdims=True))
    xr = rng.standard_normal((C, n))
    xr *= rng.uniform(0.2, 1.0, size=(C, 1)) / np.linalg.norm(xr, axis=-1, keepdims=True)
    if fam == "logistic":
        y = np.where(rng.random((C, B)) < 0.5, -1.0, 1.0)
        yr = np.where(rng.random(C) < 0.5, -1.0, 1.0)
    else:
        y = scale_y * rng.standard_normal((C, B))
        yr = scale_y[:, 0] * rng.standard_normal(C)
    return {
        "x": x, "y": y, "xr": xr, "yr": yr,
        "w0": np.exp(rng.uniform(-3, 1, size=(C, 1))) * rng.standard_normal((C, n)),
        "d0": np.exp(rng.uniform(-4, 0, size=(C, 1))) * rng.standard_normal((C, n)) * (rng.random((C, 1)) < 0.5),
        "loglam": np.where(rng.random(C) < 0.15, np.log(rng.uniform(1e-3, 1.0, C)), rng.uniform(0, np.log(1e4), C)),
        "ueta": rng.uniform(0.3, 1.0, C),
    }


def _generic_perturb(rng, fam, p, sigma):
    q = {k: v.copy() for k, v in p.items()}
    C = q["x"].shape[0]
    s = sigma * np.exp(rng.uniform(np.log(0.1), 0.0, size=(C, 1, 1)))
    q["x"] = q["x"] + s * rng.standard_normal(q["x"].shape)
    q["x"] /= np.maximum(1.0, np.linalg.norm(q["x"], axis=-1, keepdims=True))
    q["xr"] = q["xr"] + s[:, 0] * rng.standard_normal(q["xr"].shape)
    q["xr"] /= np.maximum(1.0, np.linalg.norm(q["xr"], axis=-1, keepdims=True))
    if fam == "logistic":
        flip = rng.random(q["y"].shape) < sigma / 4
        q["y"] = np.where(flip, -q["y"], q["y"])
    else:
        q["y"] = q["y"] + s[:, :, 0] * rng.standard_normal(q["y"].shape)
        q["yr"] = q["yr"] + s[:, 0, 0] * rng.standard_normal(q["yr"].shape)
    q["w0"] = q["w0"] + s[:, 0] * rng.standard_normal(q["w0"].shape) * (1 + np.abs(q["w0"]))
    q["d0"] = q["d0"] * np.exp(s[:, 0] * rng.standard_normal((C, 1)))
    q["loglam"] = q["loglam"] + 2 * s[:, 0, 0] * rng.standard_normal(C)
    q["ueta"] = np.clip(q["ueta"] + s[:, 0, 0] * rng.standard_normal(C), 0.05, 1.0)
    return q


def _generic_batches(fam, p, exact=False):
    conv = nm.to_mp if exact else (lambda a: a)
    ex = {"x": conv(p["x"]), "y": conv(p["y"])}
    ex2 = {"x": conv(p["x"].copy()), "y": conv(p["y"].copy())}
    ex2["x"][..., 0, :] = conv(p["xr"])
    ex2["y"][..., 0] = conv(p["yr"])
    return ex, ex2


def _generic_eval(fam_name, family, wK, wK2, p, exact=False):
    """(ε lower bound, ρ) for the family's example set Ξ = {‖x‖ ≤ 1, …}.

    huber / softplus: ε = sup_Ξ |f(w_K) − f(w'_K)| = ‖δ_K‖ exactly (x = δ̂, y → −∞ puts both
    residuals on the linear part; Huber attains it, softplus approaches it), ρ = 1.
    logistic: lower bound = max over the evaluation set {x = ±t·δ̂, t ∈ {¼, ½, 1}} ∪ batch
    examples (labels ±1), ρ = 1.  squared hinge: Ξ_Y = {‖x‖ ≤ 1, |y| ≤ Y} with Y = max|y| of
    the data; lower bound from x = ±δ̂, y = ±Y; ρ = R + Y with R = max(‖w_K‖, ‖w'_K‖).
    """
    d = wK - wK2
    sqrt = nm.sqrt if exact else np.sqrt
    dn = sqrt((d * d).sum(axis=-1))
    if fam_name in ("huber", "softplus"):
        return dn, 1.0 + 0 * dn
    dh = d / (dn[..., None] + (0 if exact else 1e-300))
    cands_x, cands_y = [], []
    if fam_name == "logistic":
        for t in (0.25, 0.5, 1.0):
            for sgn in (1.0, -1.0):
                cands_x.append(sgn * t * dh)
                cands_y.append(1.0 + 0 * dn)
        best = 0 * dn
        for xe, ye in zip(cands_x, cands_y):
            ev = {"x": xe[..., None, :], "y": ye[..., None]}
            diff = family.value(wK, ev)[..., 0] - family.value(wK2, ev)[..., 0]
            best = np.maximum(best, abs(diff)) if not exact else np.array([max(b_, abs(v_)) for b_, v_ in zip(np.ravel(best), np.ravel(diff))], dtype=object).reshape(np.shape(best))
        return best, 1.0 + 0 * dn
    # squared hinge
    Y = np.max(np.abs(nm.to_float(p["y"])), axis=-1)
    Y = np.maximum(Y, np.abs(nm.to_float(p["yr"])))
    R = np.maximum(np.linalg.norm(np.asarray(nm.to_float(wK), dtype=float), axis=-1),
                   np.linalg.norm(np.asarray(nm.to_float(wK2), dtype=float), axis=-1))
    best = 0 * dn
    for sx in (1.0, -1.0):
        for sy in (1.0, -1.0):
            ye = (sy * Y) if not exact else nm.to_mp(sy * Y)
            ev = {"x": (sx * dh)[..., None, :], "y": ye[..., None]}
            diff = family.value(wK, ev)[..., 0] - family.value(wK2, ev)[..., 0]
            if exact:
                best = np.array([max(b_, abs(v_)) for b_, v_ in zip(np.ravel(best), np.ravel(diff))], dtype=object).reshape(np.shape(best))
            else:
                best = np.maximum(best, np.abs(diff))
    return best, R + Y


def _generic_score(fam_name, p, K_list):
    """Run AGD on both batches for all candidates; ratio ε·B/(ηρ²K²) per K: shape (C, len(K_list))."""
    family = get_family(fam_name)
    ex, ex2 = _generic_batches(fam_name, p)
    B = p["x"].shape[1]
    beta = _FAMILY_BETA[fam_name]
    eta = p["ueta"] / beta
    lam0 = np.exp(p["loglam"])
    r1, r2 = _agd_runs(lambda w: family.mean_grad(w, ex), lambda w: family.mean_grad(w, ex2),
                       p["w0"], eta, lam0, p["d0"], max(K_list))
    out = np.empty((p["x"].shape[0], len(K_list)))
    eps_all = np.empty_like(out)
    for k, K in enumerate(K_list):
        eps, rho = _generic_eval(fam_name, family, r1.iterates[K], r2.iterates[K], p)
        out[:, k] = eps * B / (eta * rho**2 * K**2)
        eps_all[:, k] = eps
    out[~np.isfinite(out)] = -np.inf
    return out, eps_all


def _generic_search(fam_name, K_list, rng, deadline, counter):
    """Vectorised random search + local improvement for one registry family."""
    best = {K: (-np.inf, None, None) for K in K_list}  # ratio, params (1 candidate), eps
    configs = [(2, 1), (4, 2), (8, 8), (4, 32), (2, 64)]  # (B, n): low and high dimension
    rounds = 0
    while time.monotonic() < deadline:
        B, n = configs[rounds % len(configs)]
        C = max(16, int(4096 // (B * max(n, 4) // 4 + 1)))
        p = _generic_sample(rng, fam_name, C, B, n)
        for it in range(4):  # random round, then local improvement around the per-K leaders
            with np.errstate(all="ignore"):
                ratio, eps = _generic_score(fam_name, p, K_list)
            counter[0] += ratio.shape[0]
            for k, K in enumerate(K_list):
                i = int(np.argmax(ratio[:, k]))
                if ratio[i, k] > best[K][0]:
                    best[K] = (float(ratio[i, k]), {kk: v[i:i + 1].copy() for kk, v in p.items()}, float(eps[i, k]))
            if time.monotonic() >= deadline:
                break
            top = np.unique(np.argsort(-ratio, axis=0)[: max(1, C // (4 * len(K_list)))].ravel())
            reps = max(1, C // top.size)
            base = {kk: np.repeat(v[top], reps, axis=0) for kk, v in p.items()}
            p = _generic_perturb(rng, fam_name, base, sigma=0.3 / (1 + it))
        rounds += 1
    return best


def _generic_verify(fam_name, params, K, dps):
    """Re-run one generic instance in mpmath through _algorithms; returns (ε, ratio)."""
    family = get_family(fam_name)
    with nm.mp_precision(dps):
        p = {k: v[0] for k, v in params.items()}
        ex, ex2 = _generic_batches(fam_name, p, exact=True)
        B = p["x"].shape[0]
        beta = _FAMILY_BETA[fam_name]
        import mpmath
        eta = mpmath.mpf(float(p["ueta"])) / mpmath.mpf(beta)
        lam0 = mpmath.exp(mpmath.mpf(float(p["loglam"])))
        r1, r2 = _agd_runs(lambda w: family.mean_grad(w, ex), lambda w: family.mean_grad(w, ex2),
                           nm.to_mp(p["w0"]), eta, lam0, nm.to_mp(p["d0"]), K)
        pe = {"y": p["y"], "yr": p["yr"]}
        eps, rho = _generic_eval(fam_name, family, r1.w_out[None, :], r2.w_out[None, :],
                                 {k: np.asarray(v)[None] for k, v in pe.items()}, exact=True)
        eps = eps[0]
        rho = mpmath.mpf(float(np.ravel(rho)[0]))
        return eps, eps * B / (eta * rho**2 * K**2)


# ----------------------------------------------------------------------------- curvature switching
def _switch_response(P: np.ndarray, gam: np.ndarray, a_on: float) -> np.ndarray:
    """Linearised difference recursion with time-varying curvature a_j = a_on·P_j, constant
    unit input (η = e = 1): returns δ_0..δ_K for each candidate pattern (C, K+1)."""
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


def _best_pattern(K: int, lam0: float, a_on: float, rng, iters: int = 60, beam: int = 6) -> tuple[np.ndarray, float]:
    """Search {0,1}^K window patterns maximising |δ_K| (periodic seeds, random seeds, then
    vectorised single-bit-flip hill climbing on a beam)."""
    gam = gamma_schedule(lam0, K)
    seeds = []
    for q in range(2, 9):
        for ph in range(q):
            seeds.append((np.arange(K) % q) == ph)
    seeds += list(rng.random((64, K)) < rng.uniform(0.1, 0.5, size=(64, 1)))
    P = np.array(seeds, dtype=bool)
    val = np.abs(_switch_response(P, gam, a_on)[:, K])
    order = np.argsort(-val)[:beam]
    P, val = P[order], val[order]
    eye = np.eye(K, dtype=bool)
    for _ in range(iters):
        cand = (P[:, None, :] ^ eye[None, :, :]).reshape(-1, K)
        cv = np.abs(_switch_response(cand, gam, a_on)[:, K])
        allP = np.concatenate([P, cand])
        allv = np.concatenate([val, cv])
        _, uniq = np.unique(np.packbits(allP, axis=1), axis=0, return_index=True)
        uniq = uniq[np.argsort(-allv[uniq])][:beam]
        newP, newv = allP[uniq], allv[uniq]
        if newv[0] <= val[0] * (1 + 1e-12) and np.array_equal(newP, P):
            break
        P, val = newP, newv
    return P[0], float(val[0])


def _switch_design(pattern: np.ndarray, lam0: float, u_eta: float, *, kappa: float = 1.0, rho: float = 1.0,
                   frac: float = 0.3) -> dict:
    """Place curvature windows (half-width h, curvature κ) centred on the query points y_j of
    the steps where ``pattern`` is 1, for the base loss θ'(r) = −ρ + Σ_k κ(clip(r − c_k, −h_k,
    h_k) + h_k) (the B → ∞ design; the exact run is re-checked in ``_switch_verify``).
    Σ_k 2κh_k ≤ ρ keeps θ' ∈ [−ρ, 0]: every example is ρ-Lipschitz, κ-smooth and convex."""
    K = len(pattern)
    eta = u_eta / kappa
    W = max(int(pattern.sum()), 1)
    hb = rho / (2 * kappa * W)
    cs, hs = [], []

    def thetap(r):
        if not cs:
            return -rho
        c_, h_ = np.array(cs), np.array(hs)
        return -rho + float(np.sum(kappa * (np.clip(r - c_, -h_, h_) + h_)))

    w, d, lam, prev = 0.0, 0.0, lam0, None
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
    cs_a, hs_a = np.array(cs), np.array(hs)
    ys_a = np.array(ys)
    # realisation margins: distance of each query to the nearest window edge, relative to h
    if cs_a.size:
        dist = np.abs(ys_a[:, None] - cs_a[None, :]) - hs_a[None, :]  # < 0 inside
        inside = (dist < 0).any(axis=1)
        margin = float(np.min(np.abs(dist).min(axis=1)))
    else:
        inside = np.zeros(K, dtype=bool)
        margin = math.inf
    return {"centres": cs_a, "halfwidths": hs_a, "queries": ys_a, "realised": bool(np.array_equal(inside, pattern)),
            "margin": margin, "eta": eta, "kappa": kappa, "rho": rho, "lam0": lam0}


def _switch_grad(design: dict, s: Any, B: Any, u: np.ndarray, exact: bool):
    """∇f̄ for the batch: (B−1) copies of the base example θ(⟨u, w⟩) and one linear example s·⟨u, w⟩."""
    import mpmath
    if exact:
        cs = [mpmath.mpf(float(c)) for c in design["centres"]]
        hs = [mpmath.mpf(float(h)) for h in design["halfwidths"]]
        kap, rho = mpmath.mpf(design["kappa"]), mpmath.mpf(design["rho"])
        uu = nm.to_mp(u)

        def grad(w):
            r = (uu * w).sum()
            tp = -rho
            for c_, h_ in zip(cs, hs):
                z = r - c_
                tp += kap * ((h_ if z > h_ else (-h_ if z < -h_ else z)) + h_)
            return ((B - 1) * tp + s) / B * uu
        return grad
    cs, hs = design["centres"], design["halfwidths"]
    kap, rho = design["kappa"], design["rho"]

    def gradf(w):
        r = float(np.dot(u, w))
        tp = -rho + float(np.sum(kap * (np.clip(r - cs, -hs, hs) + hs))) if cs.size else -rho
        return ((B - 1) * tp + s) / B * u
    return gradf


def _switch_verify(design: dict, K: int, B: int, n: int, rng, dps: int) -> dict:
    """Exact re-evaluation: both runs through _algorithms in mpmath at ``dps`` digits.

    ε is evaluated on the linear example ρ⟨u, w⟩ (a member of the family), so it is a lower
    bound of the instance's uniform stability (and equals ρ‖δ_K‖, the upper bound, since
    δ_K ∥ u)."""
    import mpmath
    u = rng.standard_normal(n)
    u /= np.linalg.norm(u)
    with nm.mp_precision(dps):
        Bm = mpmath.mpf(B)
        rho = mpmath.mpf(design["rho"])
        g1 = _switch_grad(design, rho, Bm, u, True)
        g2 = _switch_grad(design, -rho, Bm, u, True)
        eta = mpmath.mpf(design["eta"])
        w0 = nm.to_mp(np.zeros(n))
        r1, r2 = _agd_runs(g1, g2, w0, eta, mpmath.mpf(design["lam0"]), None, K)
        uu = nm.to_mp(u)
        eps = abs(rho * (uu * (r1.w_out - r2.w_out)).sum())
        ratio = eps * Bm / (eta * rho**2 * K**2)
        # hypotheses of the conjecture for this family: windows disjoint (curvature ≤ κ), θ' ∈ [−ρ, ρ], η ≤ 1/κ
        c_, h_ = design["centres"], design["halfwidths"]
        order = np.argsort(c_)
        disjoint = bool(np.all(c_[order][1:] - h_[order][1:] >= c_[order][:-1] + h_[order][:-1])) if c_.size > 1 else True
        lip_ok = bool(2 * design["kappa"] * float(np.sum(h_)) <= design["rho"] * (1 + 1e-12))
        q1 = [float((uu * y).sum()) for y in r1.queries]
        inside = [bool(np.any(np.abs(q - c_) < h_)) for q in q1] if c_.size else [False] * K
    return {"dps": dps, "epsilon": eps, "ratio": ratio, "hypotheses_ok": disjoint and lip_ok
            and design["eta"] * design["kappa"] <= 1 + 1e-15, "pattern_realised": inside, "n": n}


def _structured_search(K_list, lam0s, rng, deadline, counter, dims, dps_min):
    """Curvature-switching instances of the pwq-ridge family, one per (K, λ_0); verified in mpmath."""
    out = {K: [] for K in K_list}
    for K in K_list:
        for i, lam0 in enumerate(lam0s):
            if time.monotonic() >= deadline and out[K]:
                break
            P, v = _best_pattern(K, float(lam0), 1.0, rng)
            counter[0] += 1
            des = _switch_design(P, float(lam0), 1.0)
            gam = gamma_schedule(float(lam0), K)
            resp = float(np.abs(_switch_response(P[None], gam, 1.0)).max())
            m = des["margin"] if math.isfinite(des["margin"]) else 1.0
            # linear regime: |Δy_j| ≤ 3·η·(2ρ/B)·max|x_j| must stay ≪ the windows' margins
            B = 10 ** max(3, int(math.ceil(math.log10(6.0 * resp / (1e-4 * m)))))
            n = dims[(K_list.index(K) + i) % len(dims)]
            dps = max(dps_min, int(math.log10(B)) + 30)
            ver = _switch_verify(des, K, B, n, rng, dps)
            out[K].append({"lam0": float(lam0), "pattern": "".join("1" if b else "0" for b in P),
                           "tangent_ratio": 2.0 * v / K**2, "design": des, "B": B, "verified": ver})
    return out


def _jsonable_design(des):
    return {"centres": [float(c) for c in des["centres"]], "halfwidths": [float(h) for h in des["halfwidths"]],
            "kappa": des["kappa"], "rho": des["rho"], "eta": des["eta"], "lam0": des["lam0"],
            "margin": des["margin"], "realised_in_design": des["realised"]}


def probe_smooth_convex(K_list: Sequence[int] = (5, 10, 20, 40, 80), budget_s: float = 40.0, seed: int = 0,
                        families: Sequence[str] | None = None, *, lam0s: Sequence[float] = (1.0, 10.0, 100.0, 1e4),
                        dims: Sequence[int] = (1, 64), dps: int = 50, verify_generic: bool = True) -> list[dict]:
    """Probe the conjecture ε = O(ηρ²K²/B) for AGD on smooth convex non-quadratic losses.

    Two searches, both maximising ratio = ε / (ηρ²K²/B) separately for each K:

    * registry families (huber, softplus, squared-hinge, logistic): vectorised random search
      over data, the replaced example, w_init, d_init, λ_0 ∈ (1e-3, 1e4), η = u/β (u ≤ 1), in
      dimension 1..64 with B ∈ {2, 4, 8}, each round followed by local improvement (Gaussian
      perturbations of the per-K leaders); ε is the family's sup over Ξ = {‖x‖ ≤ 1} (exact for
      huber/softplus, a lower bound for logistic/squared hinge, see ``_generic_eval``).
    * ``pwq-ridge`` (piecewise-quadratic ridge losses = sums of Huber pieces): curvature
      switching.  For each K and λ_0 a {0,1} window pattern is optimised on the linearised
      recursion (periodic + random seeds, bit-flip hill climbing); windows of curvature κ are
      then centred on the trajectory's query points at the chosen steps (``_switch_design``),
      so the difference recursion sees a_j = η·κ on the pattern and 0 elsewhere.

    The best instance for each K is re-run in mpmath (≥ ``dps`` digits; pwq-ridge at
    log10(B) + 30 digits) through ``_algorithms`` and the *verified* values are reported.
    Note: any instance with d_init = 0 has ratio ≤ B(1 + 1/K) (‖w_K − w_0‖ ≤ ηρK(K+1)/2 for
    γ ∈ [0, 1]), so growth of the ratio beyond that needs large B; the B used is reported.

    Returns one dict per K: {K, worst (verified ε), ratio (verified), quadratic_constant
    (1 + 1/K, Lemma 12's sharp constant), family, instance, float_ratio, per_family,
    verified, evaluations, seconds}.
    """
    t0 = time.monotonic()
    K_list = [check_positive_int("K", k) for k in K_list]
    if not K_list:
        raise ValueError("K_list is empty")
    if len(set(K_list)) != len(K_list):
        raise ValueError("K_list has repeated values")
    check_positive("budget_s", budget_s)
    fams = list(PROBE_FAMILIES if families is None else families)
    if not fams:
        raise ValueError("families is empty")
    for f in fams:
        if f not in PROBE_FAMILIES:
            raise ValueError(f"unknown probe family {f!r}; choose from {list(PROBE_FAMILIES)}")
    rng = np.random.default_rng(seed)
    counter = [0]
    results: dict[int, dict[str, dict]] = {K: {} for K in K_list}
    structured = None
    if "pwq-ridge" in fams:
        structured = _structured_search(K_list, list(lam0s), rng, t0 + 0.3 * budget_s, counter, list(dims), dps)
        for K in K_list:
            best = max(structured[K], key=lambda r: float(r["verified"]["ratio"]))
            results[K]["pwq-ridge"] = {"ratio": float(best["verified"]["ratio"]), "float_ratio": best["tangent_ratio"],
                                       "eps": float(best["verified"]["epsilon"]), "entry": best}
    generic = [f for f in fams if f != "pwq-ridge"]
    reserve = 0.15 * budget_s if (verify_generic and generic) else 0.0
    for i, f in enumerate(generic):
        now = time.monotonic()
        share = max(0.5, (t0 + budget_s - reserve - now) / (len(generic) - i))
        best = _generic_search(f, K_list, rng, now + share, counter)
        for K in K_list:
            r, prm, eps = best[K]
            if prm is not None:
                results[K][f] = {"ratio": r, "float_ratio": r, "eps": eps, "params": prm}
    out = []
    for K in K_list:
        per = results[K]
        per_family = {f: {"float_ratio": v["float_ratio"], "ratio": v["ratio"]} for f, v in per.items()}
        # verify the best generic instance in mpmath
        gen = [f for f in per if f != "pwq-ridge"]
        if verify_generic and gen:
            fb = max(gen, key=lambda f: per[f]["float_ratio"])
            eps_mp, ratio_mp = _generic_verify(fb, per[fb]["params"], K, dps)
            per[fb]["ratio"] = float(ratio_mp)
            per[fb]["eps"] = float(eps_mp)
            per[fb]["verified"] = {"dps": dps, "epsilon": float(eps_mp), "ratio": float(ratio_mp)}
            per_family[fb]["ratio"] = float(ratio_mp)
            per_family[fb]["verified"] = True
        fam = max(per, key=lambda f: per[f]["ratio"])
        v = per[fam]
        if fam == "pwq-ridge":
            e = v["entry"]
            des = e["design"]
            inst = {"family": "pwq-ridge", "K": K, "B": e["B"], "n": e["verified"]["n"], "eta": des["eta"],
                    "beta": des["kappa"], "rho": des["rho"], "lam0": e["lam0"], "d_init": 0.0, "w_init": 0.0,
                    "pattern": e["pattern"], "design": _jsonable_design(des),
                    "replaced_example": "linear ±ρ⟨u, w⟩", "evaluation_example": "linear ρ⟨u, w⟩",
                    "hypotheses_ok": e["verified"]["hypotheses_ok"],
                    "pattern_realised": "".join("1" if b else "0" for b in e["verified"]["pattern_realised"]),
                    "ratio_cap_B": e["B"] * (1 + 1 / K),
                    "per_lam0": {str(r["lam0"]): float(r["verified"]["ratio"]) for r in structured[K]}}
            verified = {"dps": e["verified"]["dps"], "epsilon": float(e["verified"]["epsilon"]),
                        "ratio": float(e["verified"]["ratio"])}
        else:
            prm = v["params"]
            inst = {"family": fam, "K": K, "B": int(prm["x"].shape[1]), "n": int(prm["x"].shape[2]),
                    "eta": float(prm["ueta"][0] / _FAMILY_BETA[fam]), "beta": _FAMILY_BETA[fam],
                    "lam0": float(np.exp(prm["loglam"][0])),
                    "data": {k: np.asarray(a[0]).tolist() for k, a in prm.items()}}
            verified = v.get("verified")
        out.append({"K": K, "worst": v["eps"], "ratio": v["ratio"], "quadratic_constant": float(proven_constant(K)),
                    "family": fam, "instance": inst, "float_ratio": v["float_ratio"], "per_family": per_family,
                    "verified": verified, "evaluations": counter[0] if K == K_list[0] else 0,
                    "seconds": time.monotonic() - t0})
    return out
