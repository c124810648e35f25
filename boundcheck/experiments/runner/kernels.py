"""Problem kernels of the batched runner: draw a batch, the batch gradient ∇f̄_ξ, and the
closed-form population gap F(w) − F(w*).

Batches are the sign matrices Σ of the design X = diag(√σ)Σ, feature-major ((m, n, B), see
``generator``).  The batch gradient of the weighted loss Σ_i ω_i ℓ(⟨x_i, w⟩, y_i)
(ω_i = 1/B_r for i < B_r, 0 for padding) is two mat-vecs over the batch,
v = (w∘√σ)ᵀΣ = wᵀX, then g = √σ∘(Σ r) = X r; how they are issued is what makes the runner
fast:

* NumPy, large batches (a run's X ≥ ``_PER_RUN_BYTES``): one BLAS gemv pair per run on its
  own B_r columns (no padding work); X streams from memory once, the second gemv reads it
  from cache;
* NumPy, small batches: batched matmuls over blocks of runs sized to the cache
  (``_BLOCK_BYTES``), so the second pass is again served from cache;
* PyTorch: one batched matmul pair over every run (the device is wide enough).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from boundcheck.core.problems import LinearRegression, LogisticRegression
from boundcheck.experiments.runner.backend import Backend
from boundcheck.experiments.runner.generator import RademacherDesign

__all__ = ["kernel_for", "KERNELS"]

#: a run whose batch is at least this large gets its own gemv pair (measured: the per-call
#: overhead, ~4 µs, is then < 5% of the pass over X)
_PER_RUN_BYTES = 256 * 2**10
#: bytes of batch data per block of runs in the batched NumPy path: the second pass over X
#: (X r) is then served from the 1 MiB L2 after the first (wᵀX)
_BLOCK_BYTES = 1 * 2**20


class _Kernel(RademacherDesign):
    """Shared machinery: per-run residual r(v, y) ↦ gradient, blocked the fast way."""

    def __init__(self, problem: Any, be: Backend, dtype: Any) -> None:
        super().__init__(problem, be, dtype)
        self.w_star = be.asarray(problem.w_star, dtype)
        self.w_true = be.asarray(problem.w_true, dtype)
        self.ws_true = self.w_true * self.s          # w_true∘√σ: labels from Σ directly
        self.itemsize = int(np.dtype(dtype).itemsize) if be.name == "numpy" else (
            8 if str(dtype).endswith("64") else 4)

    def residual(self, v: Any, y: Any) -> Any:  # pragma: no cover - defined by each problem
        raise NotImplementedError

    def grad(self, W: Any, X: Any, y: Any, wt: Any, Bs: np.ndarray, inv: Any = None) -> Any:
        """Σ_i ω_i ℓ'(⟨x_i, w⟩, y_i) x_i for every run.

        W (m, n) query points; X (u, n, B_max), y (u, B_max) the batches; run i uses batch
        ``inv[i]`` (default: batch i) — runs with one seed share one batch (common random
        numbers), so it is generated once; wt (m, B_max) the weights ω (1/B_r, 0 on
        padding); Bs (m,) host array of the B_r."""
        be = self.be
        m = W.shape[0]
        Ws = W * self.s                               # w∘√σ: the design's scale on the small side
        if be.name != "numpy":
            if inv is not None:
                X, y = X[inv], y[inv]
            v = (Ws[:, None, :] @ X)[:, 0, :]
            r = self.residual(v, y) * wt
            return (X @ r[:, :, None])[:, :, 0] * self.s
        B_max = X.shape[2]
        per_run = self.n * B_max * self.itemsize
        out = np.empty_like(W)
        if per_run >= _PER_RUN_BYTES:
            for i in range(m):
                b = int(Bs[i])
                j = i if inv is None else int(inv[i])
                Xi = X[j, :, :b]
                r = self.residual(Ws[i] @ Xi, y[j, :b])
                r *= wt[i, 0]
                np.matmul(Xi, r, out=out[i])
        else:
            blk = max(1, _BLOCK_BYTES // max(per_run, 1))
            for a in range(0, m, blk):
                sl = slice(a, min(m, a + blk))
                Xb, yb = (X[sl], y[sl]) if inv is None else (X[inv[sl]], y[inv[sl]])
                v = np.matmul(Ws[sl, None, :], Xb)[:, 0, :]
                r = self.residual(v, yb)
                r *= wt[sl]
                out[sl] = np.matmul(Xb, r[:, :, None])[:, :, 0]
        out *= self.s
        return out

    def numpy_examples(self, S: np.ndarray, y: np.ndarray) -> dict:
        """One run's batch (signs S (n, B), labels y (B,)) as the reference implementation's
        examples: x = diag(√σ)S transposed, (B, n)."""
        return {"x": np.ascontiguousarray((S * np.asarray(self.s)[:, None]).T), "y": y}


class _LinRegKernel(_Kernel):
    """LinearRegression: y = ⟨x, w_true⟩ + s·u, u ~ U(−1, 1); ℓ = ½(⟨x, w⟩ − y)².

    gap(w) = ½ Σ_j σ_j (w_j − w*_j)² = F(w) − F(w*) exactly."""

    def __init__(self, problem: LinearRegression, be: Backend, dtype: Any) -> None:
        super().__init__(problem, be, dtype)
        self.noise = float(problem.noise)
        self.sigma = be.asarray(problem.sigma, dtype)

    def draw(self, keys: Any) -> tuple[Any, Any]:
        """(Σ, y): y = ⟨x, w_true⟩ + s·(2u − 1) with ⟨x, w_true⟩ = (w_true∘√σ)ᵀΣ."""
        S = self.signs(keys)
        u = self.uniform(keys)
        if self.be.name == "numpy":
            u *= 2.0
            u -= 1.0
            u *= self.noise
            y = np.matmul(self.ws_true, S)
            y += u
            return S, y
        return S, self.ws_true @ S + self.noise * (2.0 * u - 1.0)

    def residual(self, v: Any, y: Any) -> Any:
        """ℓ'(v) = v − y (in place on v for NumPy)."""
        if self.be.name == "numpy":
            v -= y
            return v
        return v - y

    def pop_grad(self, W: Any) -> Any:
        """∇F(w) = diag(σ)(w − w*): the B → ∞ limit of the batch gradient."""
        return self.sigma * (W - self.w_star)

    def gap(self, W: Any) -> Any:
        d = W - self.w_star
        return 0.5 * self.be.sum_last(self.sigma * d * d)


class _LogisticKernel(_Kernel):
    """LogisticRegression (well specified): y = +1 with probability s(⟨x, w_true⟩), else −1;
    ℓ = log(1 + e^{−y⟨x, w⟩}).  gap(w) = F(w) − F(w*) by exact summation over the 2ⁿ support
    points (w* = w_true, see ``LogisticRegression``)."""

    def __init__(self, problem: Any, be: Backend, dtype: Any) -> None:
        super().__init__(problem, be, dtype)
        self.support = be.asarray(problem.support, dtype)            # (2ⁿ, n)
        self.p = be.asarray(problem.p_plus, dtype)                   # P(y = +1 | x)
        self.f_star = float(problem.f_star)
        self.inv_size = 1.0 / problem.support.shape[0]

    def _sig(self, z: Any) -> Any:
        return 0.5 * (1.0 + self.be.xp.tanh(0.5 * z))

    def _softplus(self, z: Any) -> Any:
        if self.be.name == "numpy":
            return np.logaddexp(0.0, z)
        return self.be.xp.logaddexp(self.be.xp.zeros_like(z), z)

    def draw(self, keys: Any) -> tuple[Any, Any]:
        S = self.signs(keys)
        p = self._sig(self.ws_true @ S)
        y = self.be.cast(self.uniform(keys) < p, self.dtype) * 2.0 - 1.0
        return S, y

    def residual(self, v: Any, y: Any) -> Any:
        """ℓ'(v) = −y·s(−y v)."""
        return -y * self._sig(-y * v)

    def pop_grad(self, W: Any) -> Any:
        return ((self._sig(W @ self.support.T) - self.p) @ self.support) * self.inv_size

    def gap(self, W: Any) -> Any:
        M = W @ self.support.T
        loss = self.p * self._softplus(-M) + (1.0 - self.p) * self._softplus(M)
        return self.be.sum_last(loss) * self.inv_size - self.f_star


KERNELS: dict[type, type] = {LinearRegression: _LinRegKernel, LogisticRegression: _LogisticKernel}


def kernel_for(problem: Any, be: Backend, dtype: Any) -> Any:
    for cls, k in KERNELS.items():
        if isinstance(problem, cls):
            return k(problem, be, dtype)
    raise ValueError(f"the batched runner has no kernel for problem {getattr(problem, 'name', problem)!r}; "
                     f"supported: {', '.join(c.__name__ for c in KERNELS)}")
