"""The certified optimal training loss F* of Section 5's logistic regressions.

F* is bracketed by a primal value P(ŵ) ≥ F* and a Fenchel-dual value D ≤ F* (a duality gap
certificate, valid whether or not the infimum is attained; on MNIST it is not: 33 pixels
are non-zero in images of one class only, so F* is an infimum).  Results are cached under
the one cache root (``<cache>/optima``) and read back defensively.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable

import numpy as np

from boundcheck.experiments.data import Dataset, cache_root
from boundcheck.experiments.figures.objective import (_cg, _hess_vec_softmax, _softmax_probs, _value_grad,
                                                      full_loss)

log = logging.getLogger("boundcheck")

__all__ = ["CertifiedOptimum", "certified_optimum", "CACHE_VERSION"]

CACHE_VERSION = 2  # bump when the meaning of cached results (optima, sweep columns) changes
_VERSION = CACHE_VERSION


@dataclass
class CertifiedOptimum:
    """F* bracketed: ``lower ≤ F* ≤ upper`` with a duality-gap certificate.

    upper: P(ŵ), the objective at the returned parameters (an achieved value, ≥ F*).
    lower: the larger of two valid lower bounds.  Unregularised (``l2 = 0``): a Fenchel
        dual value D(θ) − ρ‖r‖/N (minus the effect of the dual point's rounding-level
        constraint residual r) and the convexity bound P(ŵ) − ‖∇F(ŵ)‖(ρ + ‖ŵ‖); both hold
        for F*_ρ, the infimum over the ball ‖w‖ ≤ ρ (which contains every SGD iterate).
        Regularised (``l2 = λ > 0``, objective F_λ = F + (λ/2)‖w‖²): the dual value
        (1/N)Σ H(θ_i) − ‖Σ x_i θ_iᵀ‖²/(2λN²) and the strong-convexity bound
        P(ŵ) − ‖∇F_λ(ŵ)‖²/(2λ); both hold for the unconstrained minimum.
    gap: upper − lower (the certified absolute error of ``upper`` as F*).
    loss_at_optimum: the unregularised training loss F(ŵ) (= upper when l2 = 0): an
        achieved value, so an upper bound on the unregularised F* as well.
    """

    dataset: str
    upper: float
    lower: float
    gap: float
    rel_gap: float
    dual_value: float
    dual_residual: float
    lower_dual: float
    lower_gradient: float
    rho: float
    grad_norm: float
    w_norm: float
    method: str
    iterations: int
    seconds: float
    n: int
    n_params: int
    l2: float = 0.0
    loss_at_optimum: float | None = None
    w: np.ndarray = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def value(self) -> float:
        return self.upper

    def summary(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if k != "w"}
        return d


def _xlogx(a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0)), 0.0)


def _pinv_apply(G: np.ndarray, R: np.ndarray, rcond: float = 1e-13) -> np.ndarray:
    ev, U = np.linalg.eigh((G + G.T) / 2)
    keep = ev > rcond * max(ev.max(), 1e-300)
    inv = np.where(keep, 1.0 / np.where(keep, ev, 1.0), 0.0)
    UR = U.T @ R
    return U @ ((inv if UR.ndim == 1 else inv[:, None]) * UR)


def _dual_bound(ds: Dataset, w: np.ndarray, *, rounds: int = 2, chunk: int = 65536,
                cg_iters: int = 300, l2: float = 0.0) -> tuple[float, float]:
    """A Fenchel dual value D(θ) ≤ F* + ⟨w', r⟩/N (any w') and the residual ‖r‖ of θ.

    With ``l2 = λ > 0`` the regulariser absorbs the residual exactly:
    min_w' ⟨w', r⟩/N + (λ/2)‖w'‖² = −‖r‖²/(2λN²), so D_λ(θ) = (1/N)Σ h(θ_i) − ‖r‖²/(2λN²)
    ≤ F_λ* with θ from the primal (no correction rounds) and residual 0 is returned.

    Logistic: ℓ(z) = log(1+e^{−z}) = max_{a∈[0,1]} h(a) − a z, so for α ∈ [0,1]^N with
    Σ α_i y_i x_i = r,  F(w') ≥ (1/N) Σ h(α_i) − ⟨w', r⟩/N.  Softmax: ℓ_i(z) = lse(z) − z_{y_i}
    ≥ ⟨q − e_{y_i}, z⟩ + H(q) for q in the simplex, so with R = Σ x_i (q_i − e_{y_i})ᵀ,
    F(W') ≥ (1/N) Σ H(q_i) + ⟨W', R⟩/N.  Start from the primal's θ (α = σ(−z), q = softmax)
    and remove its residual (= N∇F(w)) with a correction that keeps θ in the box/simplex:
    logistic: δ_i = ω_i y_i x_iᵀv, ω_i = min(α_i, 1 − α_i), solved through the d×d weighted
    Gram matrix Σ ω_i x_i x_iᵀ; softmax: δ_i = J_i Vᵀx_i with V from CG on the Hessian
    (a Newton step in dual form).  Clip, recompute, repeat; the final residual is returned.
    """
    X, y, n = ds.X, ds.y, ds.n
    if l2:
        rounds = -1 if ds.loss == "logistic" else 0
    if ds.loss == "logistic":
        z = y * (X @ w)
        a = np.exp(-np.logaddexp(0.0, z))  # σ(−z) ∈ (0, 1)
        for _ in range(rounds + 1):
            r = X.T @ (a * y)
            om = np.minimum(a, 1.0 - a)
            G = (X * om[:, None]).T @ X
            v = -_pinv_apply(G, r)
            a = np.clip(a + om * y * (X @ v), 0.0, 1.0)  # δ_i = ω_i y_i x_iᵀv
        r = X.T @ (a * y)
        D = float(-(_xlogx(a) + _xlogx(1.0 - a)).sum() / n)
        if l2:
            return D - float(np.sum(r * r)) / (2 * l2 * n * n), 0.0
        return D, float(np.linalg.norm(r))
    C = ds.n_classes
    Q = _softmax_probs(ds, w, chunk)
    Y = np.zeros((n, C))
    Y[np.arange(n), y] = 1.0
    for _ in range(rounds):
        # δ_i = J_i Vᵀx_i (J_i = diag(q_i) − q_iq_iᵀ): Σ x_i δ_iᵀ = N ∇²F[V]; solve ∇²F[V] = −R/N by CG.
        # δ_ik = q_ik (u_ik − q_i·u_i) keeps q_i in the simplex while |u_i| ≤ 1/2.
        R = X.T @ (Q - Y) / n
        V, _ = _cg(lambda V_: _hess_vec_softmax(ds, Q, V_), -R, 1e-12, cg_iters)
        U = X @ V
        Q = np.clip(Q + Q * (U - (Q * U).sum(axis=1, keepdims=True)), 0.0, None)
        Q /= Q.sum(axis=1, keepdims=True)
    R = X.T @ (Q - Y)
    D = float(-_xlogx(Q).sum() / n)
    if l2:
        return D - float(np.sum(R * R)) / (2 * l2 * n * n), 0.0
    return D, float(np.linalg.norm(R))


def _newton_logistic(ds: Dataset, w: np.ndarray, iters: int, gtol: float, l2: float = 0.0) -> tuple[np.ndarray, int]:
    X, y = ds.X, ds.y
    f, g = _value_grad(ds, w, l2=l2)
    it = 0
    for it in range(1, iters + 1):
        if np.linalg.norm(g) <= gtol:
            break
        z = y * (X @ w)
        s = np.exp(-np.logaddexp(0.0, z) - np.logaddexp(0.0, -z))  # σ(z)σ(−z)
        H = (X * s[:, None]).T @ X / ds.n + l2 * np.eye(ds.d)
        p = -_pinv_apply(H, g, rcond=1e-12)
        w, f, g = _armijo(ds, w, f, g, p, l2)
    return w, it


def _armijo(ds: Dataset, w: np.ndarray, f: float, g: np.ndarray, p: np.ndarray,
            l2: float = 0.0) -> tuple[np.ndarray, float, np.ndarray]:
    t, slope = 1.0, float(np.sum(g * p))
    while True:
        fn, gn = _value_grad(ds, w + t * p, l2=l2)
        if fn <= f + 1e-4 * t * slope or t < 1e-10:
            return w + t * p, fn, gn
        t /= 2



def _newton_cg_softmax(ds: Dataset, w: np.ndarray, iters: int, gtol: float, max_seconds: float,
                       progress: Callable[[str], None] | None, l2: float = 0.0) -> tuple[np.ndarray, int]:
    """Truncated Newton (CG on Hessian-vector products) for the multinomial loss."""
    t0 = time.monotonic()
    f, g = _value_grad(ds, w, l2=l2)
    it = 0
    for it in range(1, iters + 1):
        gn = float(np.linalg.norm(g))
        if gn <= gtol or time.monotonic() - t0 > max_seconds:
            break
        Q = _softmax_probs(ds, w)
        p, _ = _cg(lambda V: _hess_vec_softmax(ds, Q, V, l2), -g, min(0.1, math.sqrt(gn)), 200)
        w, f, g = _armijo(ds, w, f, g, p, l2)
        if progress:
            progress(f"{ds.name}: Newton-CG iteration {it}: F = {f:.10f}, |∇F| = {np.linalg.norm(g):.2e}")
    return w, it


#: A starting point for Newton on covtype (a minimiser computed once by this module): the
#: certificate is always recomputed from the data, the warm start only saves iterations.
_WARM_START = {"covtype": [
    -11.050173918243619, -0.11214539938685335, 1.0424064040350274, 2.14463795988898, 0.39012889539778395,
    0.5742870175762899, 0.14540545739222693, 6.353458081002252, -0.6793404064435326, 0.09782950900047656,
    -1.6825592473474082, -1.2004226221970045, -1.8460468426967669, -6.403149370436777, -15.135497943004575,
    -2.3392160460573823, -0.8742340784324121, -1.3063992248209515, -15.003139961115156, 1.3428133779645641,
    18.09240892890307, 2.137534763504809, 1.557690667510365, 0.987981867082506, 1.7196312799671774,
    3.0151698261954927, 2.342458867789698, -17.169448818289176, -13.840107794106004, 1.4522094527934644,
    -0.37429335699126276, 1.4537803551711534, 1.528789746278273, 1.4793410012326644, -1.189659825834316,
    1.160593498620872, 1.516816815510325, 2.1086823933000045, 3.267907558025777, 2.7557206952282782,
    1.803993758348187, 3.500458514222903, 2.262981984352133, 2.1793088539217966, 2.2170129158687195,
    2.542721695727569, 2.2774155227448962, 3.6404054370941945, -1.4357668590396833, 1.941190862653307,
    -12.980877434162789, 0.22631216929246378, -0.2964384707164431, 0.3019127711438002]}


def _read_cached(path: Any, ds: Dataset, l2: float) -> CertifiedOptimum | None:
    """A cached optimum, or None (with a warning) if the file is not one for this data set and λ:
    a cache is input like any other, so it is parsed without pickles and checked field by field."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            w = np.array(z["w"], dtype=np.float64)
        names = {f.name for f in fields(CertifiedOptimum)} - {"w"}
        if not isinstance(meta, dict) or not set(meta) <= names:
            raise ValueError("unexpected fields")
        opt = CertifiedOptimum(**meta, w=w)
        nums = (opt.upper, opt.lower, opt.gap, opt.l2)
        if (w.shape != ds.param_shape or not np.all(np.isfinite(w)) or opt.dataset != ds.name
                or not all(isinstance(x, (int, float)) and math.isfinite(x) for x in nums)
                or not opt.lower <= opt.upper or float(opt.l2) != float(l2)):
            raise ValueError("inconsistent entry")
        if opt.loss_at_optimum is None and opt.l2 == 0:  # entries written before l2 existed
            opt.loss_at_optimum = opt.upper
        return opt
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        log.warning("ignoring unreadable cache %s (%s)", path, exc)
        return None


def _optimum_key(ds: Dataset, rel_gap: float, rho: float, l2: float = 0.0) -> str:
    parts: list[Any] = [_VERSION, ds.name, sorted(ds.files.items()), ds.intercept, rel_gap, rho]
    if l2:  # appended only when set, so unregularised optima keep their cache entries
        parts.append(["l2", float(l2)])
    h = hashlib.sha256(json.dumps(parts).encode())
    return f"optimum-{ds.name}-{h.hexdigest()[:16]}"


def certified_optimum(ds: Dataset, *, l2: float = 0.0, rel_gap: float = 1e-4, max_seconds: float = 1800.0,
                      rho: float = 1e3, use_cache: bool = True, cache: str | os.PathLike | None = None,
                      progress: Callable[[str], None] | None = None) -> CertifiedOptimum:
    """F* of the dataset's logistic regression with a certified bracket of relative width ≤ ``rel_gap``.

    Binary logistic (CoverType, d = 54): damped Newton with the exact Hessian (pseudo-inverse:
    the wilderness and soil indicators make X rank-deficient).  Multinomial (MNIST, 7,850
    parameters): truncated Newton-CG.  Unregularised (``l2 = 0``, the paper's objective) the
    bracket holds for F*_ρ, the infimum over the ball ‖w‖ ≤ ρ (ρ = 10³ by default; every
    sweep iterate is far inside it, and on MNIST the unconstrained infimum is not attained).
    With ``l2 = λ > 0`` the objective is F_λ = F + (λ/2)‖w‖² (every parameter, intercept
    included, so F_λ is λ-strongly convex) and the bracket holds for its attained minimum.
    ``rel_gap`` is only checked (a warning when exceeded).  Cached under ``<cache root>/optima`` (``cache``: see :func:`~boundcheck.experiments.data.cache_root`).
    """
    l2 = float(l2)
    if not (math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a finite number ≥ 0, got {l2!r}")
    path = cache_root(cache) / "optima" / f"{_optimum_key(ds, rel_gap, rho, l2)}.npz" if use_cache else None
    if path is not None and path.is_file():
        opt = _read_cached(path, ds, l2)
        if opt is not None:
            return opt
    t0 = time.monotonic()
    w = np.zeros(ds.param_shape)
    ws = _WARM_START.get(ds.name)
    if ws is not None and ds.param_shape == (len(ws),) and not l2:
        w = np.array(ws)
    if ds.loss == "logistic":
        w, iters = _newton_logistic(ds, w, 40, 1e-9, l2)
        method = "damped Newton (exact Hessian, pseudo-inverse) + Fenchel dual certificate"
    else:
        w, iters = _newton_cg_softmax(ds, w, 100, 1e-9, max_seconds, progress, l2)
        method = "truncated Newton-CG (Hessian-vector products) + Fenchel dual certificate"
    upper, g = _value_grad(ds, w, l2=l2)
    D, resid = _dual_bound(ds, w, l2=l2)
    gnorm, wnorm = float(np.linalg.norm(g)), float(np.linalg.norm(w))
    if l2:
        # F_λ is λ-strongly convex: F_λ(w) − F_λ* ≤ ‖∇F_λ(w)‖²/(2λ); the dual value is exact weak duality
        lower_dual = D
        lower_grad = upper - gnorm**2 / (2 * l2)
    else:
        # two valid lower bounds on F*_ρ = inf_{‖w'‖≤ρ} F(w'): weak duality with the dual
        # point's residual, and convexity F(w') ≥ F(w) + ⟨∇F(w), w' − w⟩ ≥ F(w) − ‖∇F‖(ρ + ‖w‖)
        lower_dual = D - rho * resid / ds.n
        lower_grad = upper - gnorm * (rho + wnorm)
    # float64 rounding of both ends (dot products of length d, pairwise sums over N): a
    # deliberately generous allowance, so a zero computed gap is not reported as exact
    rounding = 64 * np.finfo(np.float64).eps * (ds.d + math.log2(ds.n) + 8) * max(1.0, abs(upper))
    lower = max(lower_dual, lower_grad) - 2 * rounding
    gap = max(upper - lower, 0.0)
    loss0 = float(full_loss(ds, w)) if l2 else float(upper)
    if progress:
        progress(f"{ds.name}: F* ∈ [{lower:.10f}, {upper:.10f}] (gap {gap:.2e}, dual {lower_dual:.10f}, "
                 f"gradient {lower_grad:.10f})" + (f"; λ = {l2:g}, unregularised loss F(ŵ) = {loss0:.6f}" if l2 else ""))
    if gap > rel_gap * max(lower, 1e-300):
        log.warning("%s: certified relative gap %.2e exceeds the requested %.2e", ds.name, gap / max(lower, 1e-300), rel_gap)
    opt = CertifiedOptimum(ds.name, float(upper), float(lower), float(gap), float(gap / max(lower, 1e-300)), D,
                           resid, float(lower_dual), float(lower_grad), rho, gnorm, wnorm, method, iters,
                           time.monotonic() - t0, ds.n, ds.n_params, l2, loss0, w)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
            np.savez(tmp, w=w, meta=json.dumps(opt.summary()))
            os.replace(tmp, path)
        except OSError as exc:  # a read-only cache is not an error
            log.warning("could not cache %s: %s", path, exc)
    return opt


