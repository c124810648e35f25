"""Lemma 12 (uniform stability of AGD on convex quadratics), made explicit: the constant c_K.

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
"""
from __future__ import annotations

import math
import time
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.algorithms import accelerated_gradient_descent, lambda_sequence
from boundcheck.core.losses import batch_objective, get_family, neighbour
from boundcheck.core.stability import closed_form_sup
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
        # the one Definition 1 sup (core.stability.closed_form_sup) over the evaluation ball
        if beta_e:
            eps, _ = closed_form_sup("quadratic", wK, wK2, {"beta_hat": beta_e, "r_b": rho})
            # Lipschitz of the evaluation class on the segment: ρ_b + β_e·max(‖w_K‖, ‖w'_K‖)
            rho_eval = rho + beta_e * max(norm(wK), norm(wK2))
            out["kind"] = "quadratic ball"
        else:
            eps, _ = closed_form_sup("linear", wK, wK2, {"r_a": rho})
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
