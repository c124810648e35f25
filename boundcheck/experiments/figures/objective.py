"""Full-data objectives of Section 5 in float64: the mean logistic / multinomial training loss,
its gradient, and the Hessian-vector products the certified optimum needs.

F(w) = (1/N) Σ_i ℓ(x_i, y_i; w) (+ (λ/2)‖w‖² with ``l2 = λ``): binary logistic
ℓ = log(1 + e^{−y⟨x, w⟩}), multinomial ℓ = logsumexp(Wᵀx) − (Wᵀx)_y.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable

import numpy as np

from boundcheck.experiments.data import Dataset

__all__ = ["full_loss", "_value_grad", "_chunks", "_log_softmax", "_softmax_probs", "_hess_vec_softmax", "_cg"]


def _chunks(n: int, size: int) -> Iterable[slice]:
    for a in range(0, n, size):
        yield slice(a, min(a + size, n))


def _log_softmax(Z: np.ndarray) -> np.ndarray:
    m = Z.max(axis=-1, keepdims=True)
    return Z - m - np.log(np.exp(Z - m).sum(axis=-1, keepdims=True))


def full_loss(ds: Dataset, w: np.ndarray, *, rows: np.ndarray | None = None, chunk: int = 65536,
              l2: float = 0.0) -> np.ndarray:
    """Mean training loss of parameter(s) ``w`` on all examples (or on ``rows``), float64,
    plus ``(l2/2)·‖w‖²`` when ``l2 > 0`` (the regularised objective F_λ).

    ``w``: shape ``ds.param_shape`` or (..., *param_shape) for several parameters at once.
    """
    w = np.asarray(w, dtype=np.float64)
    lead = w.shape[: w.ndim - len(ds.param_shape)]
    X, y = (ds.X, ds.y) if rows is None else (ds.X[rows], ds.y[rows])
    n = X.shape[0]
    tot = np.zeros(lead)
    if ds.loss == "logistic":
        Wm = w.reshape(-1, ds.d).T  # (d, R)
        for sl in _chunks(n, chunk):
            z = (X[sl] @ Wm) * y[sl, None]
            tot += np.logaddexp(0.0, -z).sum(axis=0).reshape(lead)
    else:
        C = ds.n_classes
        Wm = np.moveaxis(w.reshape(-1, ds.d, C), 0, 1).reshape(ds.d, -1)  # (d, R·C)
        for sl in _chunks(n, chunk):
            Z = (X[sl] @ Wm).reshape(sl.stop - sl.start, -1, C)
            ls = _log_softmax(Z)
            tot += (-ls[np.arange(Z.shape[0]), :, y[sl]]).sum(axis=0).reshape(lead)
    out = tot / n
    if l2:
        out = out + 0.5 * l2 * (w.reshape(lead + (-1,)) ** 2).sum(axis=-1)
    return out


def _value_grad(ds: Dataset, w: np.ndarray, chunk: int = 65536, l2: float = 0.0) -> tuple[float, np.ndarray]:
    """F(w) and ∇F(w) on the full training set (float64); with ``l2 > 0``, F_λ = F + (λ/2)‖w‖²."""
    n = ds.n
    val = 0.0
    g = np.zeros_like(w)
    if ds.loss == "logistic":
        for sl in _chunks(n, chunk):
            Xs, ys = ds.X[sl], ds.y[sl]
            z = ys * (Xs @ w)
            val += float(np.logaddexp(0.0, -z).sum())
            g += Xs.T @ (-ys * np.exp(-np.logaddexp(0.0, z)))  # ℓ'(z) = −σ(−z)
    else:
        for sl in _chunks(n, chunk):
            Xs, ys = ds.X[sl], ds.y[sl]
            ls = _log_softmax(Xs @ w)
            idx = np.arange(ls.shape[0])
            val -= float(ls[idx, ys].sum())
            Q = np.exp(ls)
            Q[idx, ys] -= 1.0
            g += Xs.T @ Q
    val, g = val / n, g / n
    if l2:
        val += 0.5 * l2 * float(np.sum(w * w))
        g = g + l2 * w
    return val, g



def _softmax_probs(ds: Dataset, w: np.ndarray, chunk: int = 65536) -> np.ndarray:
    Q = np.empty((ds.n, ds.n_classes))
    for sl in _chunks(ds.n, chunk):
        Q[sl] = np.exp(_log_softmax(ds.X[sl] @ w))
    return Q


def _hess_vec_softmax(ds: Dataset, Q: np.ndarray, V: np.ndarray, l2: float = 0.0) -> np.ndarray:
    """∇²F(w)[V] for the multinomial loss, Q = softmax probabilities at w: Σ x_i (J_i Vᵀx_i)ᵀ / N (+ λV)."""
    U = ds.X @ V
    out = ds.X.T @ (Q * (U - (Q * U).sum(axis=1, keepdims=True))) / ds.n
    return out + l2 * V if l2 else out


def _cg(hv: Callable[[np.ndarray], np.ndarray], b: np.ndarray, tol: float, maxiter: int) -> tuple[np.ndarray, np.ndarray]:
    """Conjugate gradients for H x = b (H ⪰ 0, b in its range); returns x and the residual b − Hx."""
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = float(np.sum(r * r))
    stop = tol * math.sqrt(rr)
    for _ in range(maxiter):
        if math.sqrt(rr) <= stop:
            break
        Hp = hv(p)
        pHp = float(np.sum(p * Hp))
        if pHp <= 0:
            break
        a = rr / pHp
        x += a * p
        r -= a * Hp
        rr_new = float(np.sum(r * r))
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x, r


