"""The real-data SGD kernel: data-echoed SGD for many (seed, learning rate) runs as one array
program, on NumPy (CPU) or PyTorch (any device), and the excess-loss estimate it is timed by.

The update is Algorithm 1 with gradient descent as the inner method
(``boundcheck.core.algorithms.gradient_descent``: w_{j+1} = w_j − η∇f̄_ξ(w_j), K steps per
batch); ``tests/test_figures.py`` checks the kernel against ``core.algorithms.echo`` run by
run, in float64 and float32, for the binary and the multinomial loss.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from boundcheck.experiments.data import Dataset
from boundcheck.experiments.figures.objective import _chunks, _log_softmax, _value_grad, full_loss
from boundcheck.experiments.figures.optimum import CertifiedOptimum

__all__ = ["resolve_device", "_Ops", "_EvalCV", "_Kernel", "_batch_indices"]


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def resolve_device(device: str = "auto") -> str:
    """"auto" → "cuda" when PyTorch sees a GPU, else "cpu" (NumPy).  "cuda" without one is an error.

    "torch-cpu" runs the PyTorch code path on the CPU (for checking it against NumPy).
    """
    if device not in ("auto", "cpu", "cuda", "torch-cpu") and not str(device).startswith("cuda:"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    torch = _torch()
    if device == "torch-cpu":
        if torch is None:
            raise ValueError("device 'torch-cpu' needs PyTorch (pip install torch)")
        return device
    has_cuda = bool(torch is not None and torch.cuda.is_available())
    if device == "auto":
        return "cuda" if has_cuda else "cpu"
    if str(device).startswith("cuda") and not has_cuda:
        raise ValueError("--device cuda was asked for but PyTorch with CUDA is not available")
    return device


class _Ops:
    """The handful of array operations the SGD kernel needs, for NumPy (CPU) or PyTorch (any device)."""

    def __init__(self, device: str, dtype: str) -> None:
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        self.device = "cpu" if device == "torch-cpu" else device
        self.torch = device != "cpu"
        if self.torch:
            import torch
            self.t = torch
            self.dtype = getattr(torch, dtype)
        else:
            self.dtype = np.dtype(dtype)

    def asarray(self, a: Any, dtype: Any = None) -> Any:
        if self.torch:
            return self.t.as_tensor(np.ascontiguousarray(a), device=self.device).to(dtype or self.dtype)
        return np.ascontiguousarray(a, dtype=dtype or self.dtype)

    def index(self, a: np.ndarray) -> Any:
        return self.t.as_tensor(a, device=self.device) if self.torch else a

    def numpy(self, a: Any) -> np.ndarray:
        return a.detach().cpu().numpy() if self.torch else np.asarray(a)

    def softplus(self, x: Any) -> Any:  # log(1 + e^x)
        return self.t.nn.functional.softplus(x) if self.torch else np.logaddexp(0, x)

    def sigmoid(self, x: Any) -> Any:
        if self.torch:
            return self.t.sigmoid(x)
        return np.exp(-np.logaddexp(0, -x))

    def logsumexp(self, Z: Any, axis: int) -> Any:
        if self.torch:
            return self.t.logsumexp(Z, dim=axis)
        m = Z.max(axis=axis, keepdims=True)
        return np.log(np.exp(Z - m).sum(axis=axis)) + np.squeeze(m, axis)

    def softmax(self, Z: Any, axis: int = -1) -> Any:
        if self.torch:
            return self.t.softmax(Z, dim=axis)
        E = np.exp(Z - Z.max(axis=axis, keepdims=True))
        return E / E.sum(axis=axis, keepdims=True)

    def swap(self, a: Any) -> Any:  # transpose the last two axes
        return a.transpose(-1, -2) if self.torch else np.swapaxes(a, -1, -2)

    def mean0(self, a: Any) -> Any:
        return a.mean(dim=0) if self.torch else a.mean(axis=0)

    def take_class(self, Z: Any, y: Any) -> Any:
        """Z: (S, M, C, L), y: (M,) → Z[s, m, y[m], l]  (S, M, L)."""
        if self.torch:
            idx = y.view(1, -1, 1, 1).expand(Z.shape[0], Z.shape[1], 1, Z.shape[3])
            return self.t.gather(Z, 2, idx).squeeze(2)
        return np.take_along_axis(Z, y[None, :, None, None], axis=2)[:, :, 0, :]

    def isfinite(self, a: Any) -> Any:
        return self.t.isfinite(a) if self.torch else np.isfinite(a)

    def sync(self) -> None:
        if self.torch and str(self.device).startswith("cuda"):
            self.t.cuda.synchronize()


class _EvalCV:
    """Reference data for estimating the excess loss F(w) − F(ŵ) from the evaluation rows.

    With all N rows the estimate is exact: mean_i ℓ_i(w) − F(ŵ).  With a subsample S it
    is  mean_{i∈S}[ℓ_i(w) − ℓ_i(ŵ) − c_i(w)] + mean_{all i} c_i(w),  where c_i is the Taylor
    expansion of ℓ_i around ŵ in the margin (logistic: first and second order; softmax:
    first order), whose full-data mean is known in closed form from ∇F(ŵ) (and ∇²F(ŵ)).
    Unbiased over the draw of S, with the variance of the Taylor remainder only — much
    smaller than that of ℓ_i(w) − ℓ_i(ŵ) near the optimum, where the criterion is decided.
    With ``opt.l2 = λ > 0`` the regulariser's difference (λ/2)(‖w‖² − ‖ŵ‖²) is added exactly.
    """

    def __init__(self, ds: Dataset, opt: CertifiedOptimum, rows: np.ndarray | None) -> None:
        self.rows = rows
        self.full = rows is None
        w = np.asarray(opt.w, dtype=np.float64)
        self.w = w
        self.l2 = float(opt.l2)
        self.F = float(opt.upper)  # F_λ(ŵ)
        self.reg_hat = 0.5 * self.l2 * float(np.sum(w * w))
        if self.full:
            return
        Xs, ys = ds.X[rows], ds.y[rows]
        _, g = _value_grad(ds, w)  # gradient of the unregularised loss: the control variate's slope
        self.g = g
        if ds.loss == "logistic":
            z = Xs @ w
            m = ys * z
            self.zhat = z
            self.lhat = np.logaddexp(0.0, -m)
            sm = np.exp(-np.logaddexp(0.0, m))  # σ(−m)
            self.a = -ys * sm  # dℓ/dz
            self.b = sm * (1.0 - sm)  # d²ℓ/dz²
            zf = ds.X @ w
            sf = np.exp(-np.logaddexp(0.0, ds.y * zf))
            self.H = (ds.X * (sf * (1.0 - sf))[:, None]).T @ ds.X / ds.n
        else:
            Z = Xs @ w
            ls = _log_softmax(Z)
            self.zhat = Z
            self.lhat = -ls[np.arange(len(ys)), ys]
            A = np.exp(ls)
            A[np.arange(len(ys)), ys] -= 1.0
            self.a = A

    def estimate(self, ds: Dataset, W: np.ndarray) -> np.ndarray:
        """Float64 estimate for parameters W of shape (R, *param_shape) (the kernel's formula)."""
        W = np.asarray(W, dtype=np.float64)
        if self.full:
            return full_loss(ds, W, l2=self.l2) - self.F
        Xs, ys = ds.X[self.rows], ds.y[self.rows]
        D = W - self.w
        reg = 0.5 * self.l2 * (W.reshape(len(W), -1) ** 2).sum(-1) - self.reg_hat if self.l2 else 0.0
        if ds.loss == "logistic":
            Z = Xs @ W.T  # (M, R)
            dl = Z - self.zhat[:, None]
            r = np.logaddexp(0.0, -ys[:, None] * Z) - self.lhat[:, None] - self.a[:, None] * dl - 0.5 * self.b[:, None] * dl**2
            return r.mean(0) + D @ self.g + 0.5 * np.einsum("ri,ij,rj->r", D, self.H, D) + reg
        Z = np.einsum("md,rdc->mrc", Xs, W)
        ls = _log_softmax(Z)
        l = -np.take_along_axis(ls, ys[:, None, None], axis=2)[..., 0]
        lin = (self.a[:, None, :] * (Z - self.zhat[:, None, :])).sum(-1)
        return (l - self.lhat[:, None] - lin).mean(0) + np.einsum("dc,rdc->r", self.g, D) + reg


class _Kernel:
    """Data-echoed SGD (Algorithm 1, inner method = GD) for R = S·L runs as one array program.

    Runs are indexed by (seed s, learning rate l).  All learning rates of a seed see the
    same batches (common random numbers): X_b has shape (S, B, d), the parameters W have
    shape (S, d, C·L), class-major (column c·L + l is class c of learning rate l; C = 1
    for the binary loss), so one batched matmul gives every run's batch gradient and the
    softmax reductions over classes run over a strided axis, not a short last one.
    Learning rates that are done or pruned are dropped from the arrays (``keep``).

    Evaluation logits.  The loss criterion needs Z_e = X_e W on the evaluation rows after
    every step (M·d·C·L flops per seed).  For small batches it is cheaper to carry Z_e along:
    a step W' = (1 − ηλ)W − (η/B) X_bᵀΓ gives Z_e' = (1 − ηλ)Z_e − (η/B)(X_e X_bᵀ)Γ, with the
    M×B matrix X_e X_bᵀ formed once per batch and reused for its K echoes.  ``carry`` is
    chosen by flop count; Z_e is recomputed from W every ``resync`` steps, so float32 drift
    stays bounded (tested against the direct evaluation); dropping runs slices it exactly.
    """

    def __init__(self, ds: Dataset, ops: _Ops, lrs: np.ndarray, S: int, cv: _EvalCV,
                 chunk_rows: int = 65536, carry: bool | None = None, resync: int = 64, echo: int = 1) -> None:
        self.ds, self.ops = ds, ops
        self.S = S
        self.C = ds.n_classes if ds.loss == "softmax" else 1
        self.d = ds.d
        self.X = ops.asarray(ds.X)
        self.yf = ops.asarray(ds.y.astype(np.float64)) if ds.loss == "logistic" else None
        self.yi = ops.index(ds.y.astype(np.int64)) if ds.loss == "softmax" else None
        self.cv = cv
        self.l2 = cv.l2
        rows = np.arange(ds.n) if cv.full else np.asarray(cv.rows)
        self.Xe = ops.asarray(ds.X[rows])
        C = self.C
        if not cv.full:
            if C == 1:
                self.cv_zhat = ops.asarray(cv.zhat)
                self.cv_lhat = ops.asarray(cv.lhat)
                self.cv_a = ops.asarray(cv.a)
                self.cv_g = ops.asarray(cv.g)
                self.cv_w = ops.asarray(cv.w)
            else:
                # the control variate is linear in W: mean_m[−lhat_m − a_mᵀ(z_m − ẑ_m)] + ⟨g, W − ŵ⟩
                # = ⟨g − X_eᵀA/M, W⟩ + const, one matrix-vector product per step (float64 constants)
                Xs = ds.X[rows]
                self.cv_vec = ops.asarray((cv.g - Xs.T @ cv.a / len(rows)).reshape(-1))  # (d·C,)
                self.cv_const = float(-cv.lhat.mean() + np.sum(cv.a * cv.zhat) / len(rows) - np.sum(cv.g * cv.w))
            if ds.loss == "logistic":
                self.cv_b = ops.asarray(cv.b)
                self.cv_H = ops.asarray(cv.H)
        self.ye_f = ops.asarray(ds.y[rows].astype(np.float64)) if ds.loss == "logistic" else None
        self.ye_i = ops.index(ds.y[rows].astype(np.int64)) if ds.loss == "softmax" else None
        self.M = len(rows)
        self.chunk = chunk_rows
        self.set_lrs(np.asarray(lrs, dtype=np.float64))
        self.W = ops.asarray(np.zeros((S, self.d, C * self.L)))
        self.carry_mode = carry  # None: decided in batch() by flop count, once B is known
        self.carry = False
        self.resync = resync
        self.echo = max(int(echo), 1)
        self.Ze = None  # carried evaluation logits (S, M, C·L), when carrying
        self.since_sync = 0

    def set_lrs(self, lrs: np.ndarray) -> None:
        self.lrs = lrs
        self.L = len(lrs)
        lr = np.tile(lrs, self.C)[None, None, :]  # (1, 1, C·L), class-major
        self.lr = self.ops.asarray(lr)

    def _pcols(self, cols: np.ndarray, L_old: int) -> np.ndarray:
        return (np.arange(self.C)[:, None] * L_old + cols[None, :]).ravel()

    def keep(self, cols: np.ndarray) -> None:
        """Keep only learning rates ``cols`` (indices into the current ones)."""
        cols = np.asarray(cols, dtype=np.int64)
        pcols = self.ops.index(self._pcols(cols, self.L))
        self.W = self.W[:, :, pcols]
        if self.Ze is not None:
            self.Ze = self.Ze[:, :, pcols]
        self.set_lrs(self.lrs[cols])

    def batch(self, idx: np.ndarray) -> None:
        o = self.ops
        i = o.index(idx)  # (S, B)
        self.Xb = self.X[i]  # (S, B, d)
        B = self.Xb.shape[1]
        if self.yf is not None:
            self.yb = self.yf[i][:, :, None]  # (S, B, 1)
        else:
            yb = self.yi[i]  # (S, B)
            if o.torch:
                Y = o.t.nn.functional.one_hot(yb, self.C).to(o.dtype)
            else:
                Y = np.zeros(yb.shape + (self.C,), dtype=o.dtype)
                np.put_along_axis(Y, yb[..., None], 1.0, axis=-1)
            self.Yb = Y[:, :, :, None]  # (S, B, C, 1)
        if self.carry_mode is None:  # per step: direct M·d·CL  vs  carried M·B·CL + M·d·B/K
            CL, d, M = self.C * self.L, self.d, self.M
            fits = self.S * M * CL * 4 <= 2**29  # the carried logits must stay small
            self.carry = bool(fits and M * B * CL + M * d * B / self.echo < 0.7 * M * d * CL)
        else:
            self.carry = bool(self.carry_mode)
        if self.carry:
            self.XeXb = self.Xe @ o.swap(self.Xb)  # (S, M, B)
            if self.Ze is None:
                self._sync()
        else:
            self.Ze = None

    def _sync(self) -> None:
        self.Ze = self.Xe @ self.W  # (S, M, C·L)
        self.since_sync = 0

    def step(self) -> None:
        """One GD step on the current batch for every run: W ← W − η ∇f̄_ξ(W)  (+ λW with l2 = λ)."""
        o = self.ops
        Z = self.Xb @ self.W  # (S, B, C·L)
        B = Z.shape[1]
        if self.yf is not None:
            coef = -o.sigmoid(-Z * self.yb) * self.yb  # ℓ'(y z) y
        else:
            S, L, C = self.S, self.L, self.C
            coef = (o.softmax(Z.reshape(S, B, C, L), 2) - self.Yb).reshape(S, B, C * L)
        G = o.swap(self.Xb) @ coef  # (S, d, C·L)
        if self.l2:
            self.W = self.W - self.lr * (G / B + self.l2 * self.W)
        else:
            self.W = self.W - (self.lr / B) * G
        if self.carry:
            self.since_sync += 1
            if self.since_sync >= self.resync:
                self._sync()
            else:
                upd = self.XeXb @ coef  # (S, M, C·L)
                if self.l2:
                    self.Ze = self.Ze - self.lr * (upd / B + self.l2 * self.Ze)
                else:
                    self.Ze = self.Ze - (self.lr / B) * upd

    def _logits(self, sl: slice) -> Any:
        """Evaluation logits of rows ``sl``: (S, m, C·L)."""
        if self.carry and self.Ze is not None:
            return self.Ze[:, sl]
        return self.Xe[sl] @ self.W

    def eval_excess(self) -> Any:
        """Estimate of F(w) − F(ŵ) for every run (see :class:`_EvalCV`): shape (S, L)."""
        o = self.ops
        W = self.W
        S, L, C = self.S, self.L, self.C
        full = self.cv.full
        tot = None
        for sl in _chunks(self.M, self.chunk):
            Ze = self._logits(sl)  # (S, m, C·L)
            if self.ye_f is not None:
                part = o.softplus(-Ze * self.ye_f[sl][None, :, None])
                if not full:
                    dl = Ze - self.cv_zhat[sl][None, :, None]
                    part = part - self.cv_lhat[sl][None, :, None] - self.cv_a[sl][None, :, None] * dl \
                        - 0.5 * self.cv_b[sl][None, :, None] * dl * dl
                part = part.sum(1)  # (S, L)
            else:
                Z4 = Ze.reshape(S, Ze.shape[1], C, L)
                part = (o.logsumexp(Z4, 2) - o.take_class(Z4, self.ye_i[sl])).sum(1)  # (S, L)
            tot = part if tot is None else tot + part
        est = tot / self.M  # (S, L)
        if self.l2:
            sq = (W * W).sum(1).reshape(S, C, L).sum(1)  # ‖w‖² per run
            est = est + 0.5 * self.l2 * sq - (0.0 if full else self.cv.reg_hat)
        if full:
            return est - self.cv.F
        if self.ye_f is not None:
            D = W - self.cv_w[None, :, None]  # (S, d, L)
            est = est + (D * self.cv_g[None, :, None]).sum(1) + 0.5 * (D * (self.cv_H @ D)).sum(1)
        else:
            est = est + self.cv_vec @ W.reshape(S, self.d * C, L) + self.cv_const
        return est

    def params(self, s: int, col: int) -> np.ndarray:
        """Current parameters of run (seed s, current lr column col), float64, ds.param_shape."""
        w = self.ops.numpy(self.W[s].reshape(self.d, self.C, self.L)[:, :, col]).astype(np.float64)
        return w[:, 0] if self.C == 1 else w


def _batch_indices(seed: int, B: int, n: int, t0: int, count: int) -> np.ndarray:
    """Indices of batches t0..t0+count−1 for one seed (uniform with replacement), shape (count, B).

    Batch t of a seed is the same for every K and learning rate (common random numbers):
    each batch has its own generator keyed by (seed, B, t).
    """
    out = np.empty((count, B), dtype=np.int64)
    for j in range(count):
        out[j] = np.random.default_rng([0x5EC5, seed, B, t0 + j]).integers(0, n, size=B)
    return out


