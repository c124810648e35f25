"""Batched runner: echoed GD / prox-GD / AGD over a grid of runs as one array program.

A *run* is one execution of the data-echoing meta-algorithm (Algorithm 1 for gd/prox,
Algorithm 2 for agd) with its own (B, K, T, η, γ, seed).  All runs of a block are rows
of the same arrays — ``w`` has shape (R, n), the current batch ``X`` has shape
(R, B_max, n) — and one Python loop walks the *global inner step* s = 0, 1, …: at step s
every active run takes inner step j = s mod K_r of outer step t = ⌊s / K_r⌋.  Hence:

* no per-run Python work: runs are sorted by their total step count S_r = K_r T_r, so the
  runs still active at step s are a suffix ``[a:]`` of the arrays (a view, no copy), and
  the work done is exactly Σ_r S_r (no masking waste for heterogeneous K, T);
* fresh batches are drawn when s ≡ 0 (mod K_r).  The schedule of (run, batch) switches is
  built once on the host and uploaded before the loop; at step s the switching runs are
  one slice of it (one gather/scatter per step, whatever the number of runs);
* different batch sizes share a block by zero-weight padding to the block's B_max;
  ``run_grid`` groups runs into blocks of similar B (≤ 2× padding) under a memory budget;
* no host–device copies inside the loop: index arrays are uploaded once, loop-invariant
  scalars (the AGD momentum γ_s, the batch counter) are Python numbers.

Fresh batches.  The paper's oracle draws i.i.d. batches from 𝒟.  To make the NumPy and
the PyTorch backend see *the same* data without copying it from the host, examples are
generated on the device by a counter-based generator: example i of batch t of the run
with seed σ is a pure function of (σ, t, i) (a two-round 32-bit integer hash computed with
64-bit integer arithmetic that never overflows, so it is bit-identical in
NumPy and torch, on CPU and CUDA).  Consequences: runs that share a seed share their
data (common random numbers across the grid; example i does not depend on B, so a larger
batch is a superset), and ``sample_batches`` reproduces any run's data on the host for
the reference implementation.

Problems.  The runner needs a *kernel* for the problem: how to draw a batch, the batch
gradient ∇f̄_ξ, and the closed-form population gap F(w) − F(w*).  Implemented for
``LinearRegression`` (Rademacher design, least squares) and ``LogisticRegression`` (the
same design, well-specified labels, F summed exactly over the 2ⁿ support points).  Kernels
are small classes; see ``_LinRegKernel``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from boundcheck.core.problems import LinearRegression, LogisticRegression

__all__ = [
    "Backend",
    "get_backend",
    "torch_available",
    "cuda_available",
    "RunResult",
    "run_batch",
    "run_grid",
    "sample_batches",
    "kernel_for",
    "METHODS",
]

METHODS = ("gd", "prox", "agd")
_M32 = 0xFFFFFFFF


# ============================================================================ backends
def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def cuda_available() -> bool:
    if not torch_available():
        return False
    import torch
    return bool(torch.cuda.is_available())


class Backend:
    """The few array operations the runner needs, for NumPy or PyTorch.

    Arithmetic, bitwise operators, ``@``, slicing and integer-array indexing are written
    directly on the arrays (they mean the same in both libraries); everything else goes
    through this class.
    """

    name: str
    device: str

    def __init__(self, name: str, device: str = "cpu") -> None:
        self.name = name
        self.device = device
        if name == "numpy":
            self.xp = np
        else:
            import torch
            self.xp = torch
            self._torch = torch

    # dtypes -------------------------------------------------------------------
    def dtype(self, name: str) -> Any:
        if name not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {name!r}")
        return getattr(self.xp, name)

    @property
    def int64(self) -> Any:
        return self.xp.int64

    # construction / transfer (outside the hot loop only) ---------------------------
    def asarray(self, a: Any, dtype: Any) -> Any:
        if self.name == "numpy":
            return np.array(a, dtype=dtype, order="C", copy=True)  # writable, never a view
        return self._torch.as_tensor(np.array(a, order="C", copy=True), device=self.device).to(dtype)

    def zeros(self, shape: tuple, dtype: Any) -> Any:
        if self.name == "numpy":
            return np.zeros(shape, dtype=dtype)
        return self._torch.zeros(shape, dtype=dtype, device=self.device)

    def full(self, shape: tuple, value: float, dtype: Any) -> Any:
        if self.name == "numpy":
            return np.full(shape, value, dtype=dtype)
        return self._torch.full(shape, value, dtype=dtype, device=self.device)

    def to_numpy(self, a: Any) -> np.ndarray:
        if self.name == "numpy":
            return np.asarray(a)
        return a.detach().to("cpu").numpy()

    # elementwise ----------------------------------------------------------------
    def cast(self, a: Any, dtype: Any) -> Any:
        return a.astype(dtype) if self.name == "numpy" else a.to(dtype)

    def sqrt(self, a: Any) -> Any:
        return self.xp.sqrt(a)

    def maximum(self, a: Any, b: Any) -> Any:
        return self.xp.maximum(a, b)

    def sum_last(self, a: Any) -> Any:
        return a.sum(axis=-1) if self.name == "numpy" else a.sum(dim=-1)

    def synchronize(self) -> None:
        if self.name == "torch" and self.device.startswith("cuda"):
            self._torch.cuda.synchronize()


def get_backend(backend: str = "numpy", device: str = "auto") -> Backend:
    """``backend``: "numpy" (default) or "torch"; ``device``: "auto" | "cpu" | "cuda" (torch only).

    auto picks CUDA when present.  NumPy runs on the CPU; asking NumPy for CUDA is an error.
    """
    if backend not in ("numpy", "torch"):
        raise ValueError(f"backend must be 'numpy' or 'torch', got {backend!r}")
    if device not in ("auto", "cpu", "cuda") and not str(device).startswith("cuda:"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    if backend == "numpy":
        if str(device).startswith("cuda"):
            raise ValueError("the numpy backend runs on the CPU; use --backend torch for --device cuda")
        return Backend("numpy", "cpu")
    if not torch_available():
        raise ValueError("the torch backend needs PyTorch (pip install torch)")
    if device == "auto":
        device = "cuda" if cuda_available() else "cpu"
    elif str(device).startswith("cuda") and not cuda_available():
        raise ValueError("--device cuda was asked for but CUDA is not available")
    return Backend("torch", str(device))


# ============================================================================ counter-based generator
def _mix32(x: Any) -> Any:
    """A 32-bit integer hash on values in [0, 2³²) (NumPy/torch int64 arrays or Python ints).

    Wellons' two-round xorshift-multiply "hash32" (constants 0x2c1b3c6d, 0x297a2d39).  Both
    multipliers are < 2³¹, so every product of a 32-bit value fits in int64: no overflow,
    hence bit-identical results in NumPy and torch on any device.
    """
    x = x ^ (x >> 15)
    x = (x * 0x2C1B3C6D) & _M32
    x = x ^ (x >> 12)
    x = (x * 0x297A2D39) & _M32
    return x ^ (x >> 15)


def _seed_key(seed: int) -> int:
    s = int(seed) & 0xFFFFFFFFFFFFFFFF
    return _mix32(_mix32(s & _M32) ^ _mix32((s >> 32) ^ 0x2545F491))


def _batch_key(t: int) -> int:
    return _mix32((int(t) * 0x9E3779B9 + 0x7F4A7C15) & _M32)


_WORD_KEYS = [_mix32(0x68E31DA4 + 0x1B56C4E9 * w & _M32) for w in range(64)]
_NOISE_KEY = 0x3C6EF372


# ============================================================================ kernels
class _RademacherKernel:
    """Shared by the problems with a Rademacher design x_j = ±√σ_j: drawing x and a uniform.

    Coordinate j of an example is the sign bit j mod 32 of word ⌊j/32⌋ of the example's
    hash (word 0 is the example key itself, word w > 0 is hash(key ^ c_w)); the uniform u
    uses 24 bits of hash(key ^ c).  Sign bits become design values through a lookup table,
    one byte (8 coordinates) at a time: table[k, v, i] = (2·bit_i(v) − 1)·√σ_{8k+i} (zero
    past n), so one gather per batch writes X directly in the working dtype.
    """

    def __init__(self, problem: Any, be: Backend, dtype: Any) -> None:
        self.problem = problem
        self.be = be
        self.dtype = dtype
        self.n = problem.n
        self.sigma = be.asarray(problem.sigma, dtype)
        self.w_star = be.asarray(problem.w_star, dtype)
        self.w_true = be.asarray(problem.w_true, dtype)
        self.words = (self.n + 31) // 32
        nbytes = (self.n + 7) // 8
        signs = ((np.arange(256)[:, None] >> np.arange(8)) & 1) * 2.0 - 1.0          # (256, 8)
        ss = np.zeros(8 * nbytes)
        ss[: self.n] = np.sqrt(problem.sigma)
        self.table = be.asarray(signs[None, :, :] * ss.reshape(nbytes, 1, 8), dtype)  # (nbytes, 256, 8)
        self.byte_ix = be.asarray(np.arange(nbytes), be.int64)
        self.nbytes = nbytes

    def example_keys(self, bkeys: Any, ex_keys: Any) -> Any:
        """Per-example keys (m, B) from per-run batch keys (m,) and per-index keys (B,)."""
        return _mix32(bkeys[:, None] ^ ex_keys[None, :])

    def design(self, keys: Any) -> Any:
        """X (m, B, n) from per-example keys (m, B)."""
        be = self.be
        parts = []
        for w in range(self.words):
            h = keys if w == 0 else _mix32(keys ^ _WORD_KEYS[w])
            for b in range(min(4, self.nbytes - 4 * w)):
                parts.append((h >> (8 * b)) & 0xFF)
        byts = parts[0][..., None] if len(parts) == 1 else (
            np.stack(parts, -1) if be.name == "numpy" else be.xp.stack(parts, -1))      # (m, B, nbytes)
        X = self.table[self.byte_ix, byts]                                               # (m, B, nbytes, 8)
        X = X.reshape(X.shape[:-2] + (8 * self.nbytes,))
        return X[..., : self.n] if 8 * self.nbytes != self.n else X

    def uniform(self, keys: Any) -> Any:
        """u ~ U(0, 1) (24 bits, never 0 or 1) per example."""
        hu = _mix32(keys ^ _NOISE_KEY)
        return (self.be.cast(hu >> 8, self.dtype) + 0.5) * (2.0 ** -24)

    def numpy_examples(self, X: np.ndarray, y: np.ndarray) -> dict:
        return {"x": X, "y": y}


#: bytes of batch data per block of runs in the NumPy kernels: small enough that the second
#: pass over X (Xᵀr) is served from cache after the first (X w), so X streams from memory once
_BLOCK_BYTES = 2 * 2**20


def _blocked(be: Backend, g: Any, W: Any, X: Any, y: Any, wt: Any) -> Any:
    """Apply a two-pass gradient ``g`` block-of-runs by block-of-runs (NumPy), or at once (torch).

    The loop is over blocks of runs sized to the cache, not over runs or examples."""
    R = X.shape[0]
    blk = max(1, int(_BLOCK_BYTES // max(1, X[0].nbytes))) if be.name == "numpy" else R
    if blk >= R:
        return g(W, X, y, wt)
    out = np.empty_like(W)
    for a in range(0, R, blk):
        out[a:a + blk] = g(W[a:a + blk], X[a:a + blk], y[a:a + blk], wt[a:a + blk])
    return out


class _LinRegKernel(_RademacherKernel):
    """LinearRegression: y = ⟨x, w_true⟩ + s·u, u ~ U(−1, 1).

    Gradient of the weighted batch loss Σ_i ω_i ½(⟨x_i, w⟩ − y_i)² with ω_i = 1/B_r for
    i < B_r and 0 for padding; gap(w) = ½ Σ_j σ_j (w_j − w*_j)² = F(w) − F(w*) exactly.
    """

    def __init__(self, problem: LinearRegression, be: Backend, dtype: Any) -> None:
        super().__init__(problem, be, dtype)
        self.noise = float(problem.noise)

    def draw(self, keys: Any) -> tuple[Any, Any]:
        X = self.design(keys)
        y = X @ self.w_true + self.noise * (2.0 * self.uniform(keys) - 1.0)
        return X, y

    def grad(self, W: Any, X: Any, y: Any, wt: Any) -> Any:
        """Σ_i ω_i (⟨x_i, w⟩ − y_i) x_i for every run: two batched mat-vecs over X."""
        def g(Wb, Xb, yb, wb):
            r = ((Xb @ Wb[:, :, None])[:, :, 0] - yb) * wb
            return (r[:, None, :] @ Xb)[:, 0, :]
        return _blocked(self.be, g, W, X, y, wt)

    def pop_grad(self, W: Any) -> Any:
        """∇F(w) = diag(σ)(w − w*): the B → ∞ limit of the batch gradient."""
        return self.sigma * (W - self.w_star)

    def gap(self, W: Any) -> Any:
        d = W - self.w_star
        return 0.5 * self.be.sum_last(self.sigma * d * d)


class _LogisticKernel(_RademacherKernel):
    """LogisticRegression (well specified): y = +1 with probability s(⟨x, w_true⟩), else −1.

    Gradient of Σ_i ω_i log(1 + e^{−y_i⟨x_i, w⟩}); gap(w) = F(w) − F(w*) by exact summation
    over the 2ⁿ support points (w* = w_true, see ``LogisticRegression``).
    """

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
        X = self.design(keys)
        p = self._sig(X @ self.w_true)
        y = self.be.cast(self.uniform(keys) < p, self.dtype) * 2.0 - 1.0
        return X, y

    def grad(self, W: Any, X: Any, y: Any, wt: Any) -> Any:
        def g(Wb, Xb, yb, wb):
            m = (Xb @ Wb[:, :, None])[:, :, 0]
            r = -yb * self._sig(-yb * m) * wb
            return (r[:, None, :] @ Xb)[:, 0, :]
        return _blocked(self.be, g, W, X, y, wt)

    def pop_grad(self, W: Any) -> Any:
        return ((self._sig(W @ self.support.T) - self.p) @ self.support) * self.inv_size

    def gap(self, W: Any) -> Any:
        M = W @ self.support.T
        loss = self.p * self._softplus(-M) + (1.0 - self.p) * self._softplus(M)
        return self.be.sum_last(loss) * self.inv_size - self.f_star


_KERNELS: dict[type, type] = {LinearRegression: _LinRegKernel, LogisticRegression: _LogisticKernel}


def kernel_for(problem: Any, be: Backend, dtype: Any) -> Any:
    for cls, k in _KERNELS.items():
        if isinstance(problem, cls):
            return k(problem, be, dtype)
    raise ValueError(f"the batched runner has no kernel for problem {getattr(problem, 'name', problem)!r}; "
                     f"supported: {', '.join(c.__name__ for c in _KERNELS)}")


# ============================================================================ results
@dataclass
class RunResult:
    """Per-run outputs (rows in the order the runs were given).

    gap_final:   F(w_T) − F(w*)                      (Algorithm 2 output)
    gap_printed: F((1/T) Σ_{t=0}^{T−1} w_t) − F(w*)   (Algorithm 1 as printed)
    gap_proof:   F((1/T) Σ_{t=1}^{T} w_t) − F(w*)     (Algorithm 1, average of the proof)
    max_norm:    max ‖·‖ over every iterate (and AGD query point w + d) of the run
    traj:        (R, T_max+1) F(w_t) − F(w*) for t = 0..T_r (NaN beyond), if recorded
    traj_avg:    (R, T_max+1) gap of the running proof average (1/t) Σ_{s=1}^{t} w_s (NaN at t=0)
    """

    gap_final: np.ndarray
    gap_printed: np.ndarray
    gap_proof: np.ndarray
    w_final: np.ndarray
    w_printed: np.ndarray
    w_proof: np.ndarray
    max_norm: np.ndarray
    traj: np.ndarray | None
    traj_avg: np.ndarray | None
    seconds: float
    work: float          # Σ_r K_r T_r B_r n   (echoed inner steps × examples × dimension)
    padded_work: float   # the same with each block's B_max (what was computed)
    blocks: int = 1
    backend: str = "numpy"
    device: str = "cpu"
    dtype: str = "float64"
    info: dict = field(default_factory=dict)

    def output_gap(self, method: str, average: str = "proof") -> np.ndarray:
        if method == "agd":
            return self.gap_final
        return self.gap_printed if average == "printed" else self.gap_proof


# ============================================================================ validation
def _as_int_array(name: str, v: Any, R: int) -> np.ndarray:
    a = np.broadcast_to(np.asarray(v), (R,))
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and np.all(a == np.round(a))):
        raise ValueError(f"{name} must be positive integers")
    a = a.astype(np.int64)
    if np.any(a < 1):
        raise ValueError(f"{name} must be positive integers, got min {int(a.min())}")
    return a


def _as_float_array(name: str, v: Any, R: int, *, positive: bool) -> np.ndarray:
    a = np.broadcast_to(np.asarray(v, dtype=float), (R,)).copy()
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    if positive and np.any(a <= 0):
        raise ValueError(f"{name} must be > 0")
    if not positive and np.any(a < 0):
        raise ValueError(f"{name} must be >= 0")
    return a


def _lengths(*vs: Any) -> int:
    R = 1
    for v in vs:
        if v is not None and np.ndim(v) > 0:
            L = len(v)
            if R != 1 and L != R and L != 1:
                raise ValueError(f"run parameters have inconsistent lengths ({R} and {L})")
            R = max(R, L)
    return R


# ============================================================================ one block
def run_batch(
    problem: Any,
    method: str,
    *,
    B: Any,
    K: Any,
    T: Any,
    eta: Any,
    gamma: Any = None,
    seed: Any = 0,
    w0: Any = None,
    backend: str | Backend = "numpy",
    device: str = "auto",
    dtype: str = "float64",
    record: bool = False,
    record_t: Any = None,
    population: bool = False,
    progress: Callable[[float], None] | None = None,
) -> RunResult:
    """Run R echoed runs as one array program (see the module docstring).

    B, K, T, eta, gamma, seed: scalars or length-R sequences (broadcast).  ``gamma`` is
    the prox parameter (prox only).  ``w0`` is the common initial point (default 0).
    AGD starts from d_0 = 0, λ_0 = 1 and carries (d, λ) across batches (Section 3.1);
    prox starts with pivot w_0 and replaces it by (1/K) Σ_{j<K} w_j after each batch.
    ``record=True`` keeps F(w_t) − F(w*) (and the running average's gap) at every outer
    step t, or only at the t in ``record_t`` (NaN elsewhere; each recorded point costs one
    evaluation of F, which for some problems is much dearer than a step).
    ``population=True`` replaces every batch gradient by the exact ∇F (the B → ∞ limit:
    the pure curvature term, no data drawn).  ``progress(fraction)`` is called about 200
    times per block (never per run).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    be = backend if isinstance(backend, Backend) else get_backend(backend, device)
    dt = be.dtype(dtype)
    R = _lengths(B, K, T, eta, gamma, seed)
    B_ = _as_int_array("B", B, R)
    K_ = _as_int_array("K", K, R)
    T_ = _as_int_array("T", T, R)
    eta_ = _as_float_array("eta", eta, R, positive=True)
    if method == "prox":
        if gamma is None:
            raise ValueError("prox needs gamma (the prox parameter)")
        gam_ = _as_float_array("gamma", gamma, R, positive=False)
    seed_ = np.broadcast_to(np.asarray(seed), (R,)).astype(np.int64)
    kern = kernel_for(problem, be, dt)
    n = kern.n
    w0_ = np.zeros(n) if w0 is None else np.asarray(w0, dtype=float)
    if w0_.shape != (n,):
        raise ValueError(f"w0 must have shape ({n},), got {w0_.shape}")

    # ---- plan (host): sort by total steps so active runs are a suffix
    S = K_ * T_
    order = np.argsort(S, kind="stable")
    S_sorted = S[order]
    Bmax = 1 if population else int(B_.max())
    Tmax = int(T_.max())
    Smax = int(S_sorted[-1])
    Ko, To = K_[order], T_[order]
    # batch-switch schedule: run r starts batch t at global step t·K_r (t < T_r).  One entry per
    # (run, batch), sorted by step; the entries of step s are the slice off[s]:off[s+1].
    run_of = np.repeat(np.arange(R), To)
    first = np.repeat(np.cumsum(To) - To, To)
    t_of = np.arange(int(To.sum())) - first
    step_of = t_of * Ko[run_of]
    srt = np.argsort(step_of, kind="stable")
    run_of, t_of, step_of = run_of[srt], t_of[srt], step_of[srt]
    off = np.searchsorted(step_of, np.arange(Smax + 1), side="left")
    if record and record_t is not None:  # the entries at which F is evaluated: a sub-schedule
        keep = np.isin(t_of, np.asarray(record_t, dtype=np.int64))
        roff = np.searchsorted(step_of[keep], np.arange(Smax + 1), side="left").tolist()
        rec_run = be.asarray(run_of[keep], be.int64)
        rec_t = be.asarray(t_of[keep], be.int64)
        rec_tinv = be.asarray(1.0 / np.maximum(t_of[keep], 1)[:, None], dt)
    run_keys_h = np.array([_seed_key(x) for x in seed_[order]], dtype=np.int64)
    bkeys_h = run_keys_h[run_of] ^ np.array([_batch_key(t) for t in range(Tmax)], dtype=np.int64)[t_of]
    sched_run = be.asarray(run_of, be.int64)
    sched_t = be.asarray(t_of, be.int64)
    sched_tinv = be.asarray(1.0 / np.maximum(t_of, 1)[:, None], dt)
    sched_key = be.asarray(bkeys_h, be.int64)

    # ---- device state
    Bo = np.ones(R, dtype=np.int64) if population else B_[order]
    wt_np = (np.arange(Bmax)[None, :] < Bo[:, None]) / Bo[:, None]
    wt = be.asarray(wt_np, dt)
    ex_keys = be.asarray([_mix32((i * 0x85EBCA77 + 0xC2B2AE3D) & _M32) for i in range(Bmax)], be.int64)
    eta_d = be.asarray(eta_[order][:, None], dt)
    W = be.asarray(np.broadcast_to(w0_, (R, n)), dt)
    W0 = be.asarray(w0_, dt)
    X = be.zeros((R, Bmax, n), dt)
    Y = be.zeros((R, Bmax), dt)
    sum_start = be.zeros((R, n), dt)
    maxn2 = be.full((R,), float(w0_ @ w0_), dt)
    if method == "prox":
        gam_d = be.asarray(gam_[order][:, None], dt)
        kinv = be.asarray(1.0 / Ko[:, None], dt)
        pivot = be.asarray(np.broadcast_to(w0_, (R, n)), dt)
        acc = be.zeros((R, n), dt)
    if method == "agd":
        Dm = be.zeros((R, n), dt)
        # λ_0 = 1, λ_{j+1} = (1 + √(1 + 4λ_j²))/2, γ_{j+1} = (λ_j − 1)/λ_{j+1}: the same for all runs
        lam, gams = 1.0, []
        for _ in range(Smax):
            nxt = (1 + math.sqrt(1 + 4 * lam * lam)) / 2
            gams.append((lam - 1) / nxt)
            lam = nxt
    if record:
        traj = be.full((R, Tmax + 1), float("nan"), dt)
        traj_avg = be.full((R, Tmax + 1), float("nan"), dt)

    # ---- progress accounting (host)
    active_from = np.searchsorted(S_sorted, np.arange(Smax), side="right")  # first active run at step s
    cum = np.cumsum((R - active_from).astype(float))
    every = max(1, Smax // 200)
    off_l = off.tolist()
    if record and record_t is None:
        roff, rec_run, rec_t, rec_tinv = off_l, sched_run, sched_t, sched_tinv
    act_l = active_from.tolist()

    def grad(Wv: Any, a: int) -> Any:
        if population:
            return kern.pop_grad(Wv)
        return kern.grad(Wv, X[a:], Y[a:], wt[a:])

    be.synchronize()
    t0 = time.perf_counter()
    # diverging runs (a too large η) become inf/nan rather than warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for s in range(Smax):
            a = act_l[s]
            lo, hi = off_l[s], off_l[s + 1]
            if hi > lo:  # batch boundary for the runs idx: record w_t, draw batch t
                sl = slice(lo, hi)
                idx = sched_run[sl]
                Wi = W[idx]
                if method == "prox" and s > 0:
                    pivot[idx] = acc[idx] * kinv[idx]  # s_out's pivot: (1/K) Σ_{j<K} w_j of the batch just done
                    acc[idx] = 0.0
                sum_start[idx] = sum_start[idx] + Wi
                if record and roff[s + 1] > roff[s]:
                    rs = slice(roff[s], roff[s + 1])
                    ridx = rec_run[rs]
                    traj[ridx, rec_t[rs]] = kern.gap(W[ridx])
                    if s > 0:  # entries at s > 0 have t ≥ 1: the running average of w_1..w_t
                        traj_avg[ridx, rec_t[rs]] = kern.gap((sum_start[ridx] - W0) * rec_tinv[rs])
                if not population:
                    Xi, Yi = kern.draw(kern.example_keys(sched_key[sl], ex_keys))
                    X[idx] = Xi
                    Y[idx] = Yi
            Wa = W[a:]
            if method == "gd":
                Wa -= eta_d[a:] * grad(Wa, a)
                n2 = be.sum_last(Wa * Wa)
            elif method == "prox":
                acc[a:] += Wa
                g = grad(Wa, a) + gam_d[a:] * (Wa - pivot[a:])
                Wa -= eta_d[a:] * g
                n2 = be.sum_last(Wa * Wa)
            else:
                Q = Wa + Dm[a:]                                   # query point w_j + d_j
                Wn = Q - eta_d[a:] * grad(Q, a)
                Dm[a:] = gams[s] * (Wn - Wa)                      # d_{j+1} = γ_{j+1}(w_{j+1} − w_j)
                Wa[...] = Wn
                n2 = be.maximum(be.sum_last(Q * Q), be.sum_last(Wn * Wn))
            maxn2[a:] = be.maximum(maxn2[a:], n2)
            if progress is not None and (s % every == every - 1 or s == Smax - 1):
                progress(float(cum[s] / cum[-1]))
    # ---- outputs
    T_d = be.asarray(T_[order][:, None], dt)
    w_printed = sum_start / T_d
    w_proof = (sum_start - W0 + W) / T_d
    with np.errstate(over="ignore", invalid="ignore"):
        g_final, g_printed, g_proof = kern.gap(W), kern.gap(w_printed), kern.gap(w_proof)
    if record:
        rows = be.asarray(np.arange(R), be.int64)
        cols = be.asarray(T_[order], be.int64)
        traj[rows, cols] = g_final
        traj_avg[rows, cols] = g_proof
    be.synchronize()
    seconds = time.perf_counter() - t0

    inv = np.empty(R, dtype=np.int64)
    inv[order] = np.arange(R)

    def back(a: Any) -> np.ndarray:
        return be.to_numpy(a)[inv].astype(float)

    work = float(np.sum(S * (1 if population else B_)) * n)
    return RunResult(
        gap_final=back(g_final), gap_printed=back(g_printed), gap_proof=back(g_proof),
        w_final=back(W), w_printed=back(w_printed), w_proof=back(w_proof),
        max_norm=np.sqrt(back(maxn2)),
        traj=back(traj) if record else None, traj_avg=back(traj_avg) if record else None,
        seconds=seconds, work=work, padded_work=float(np.sum(S) * Bmax * n), blocks=1,
        backend=be.name, device=be.device, dtype=dtype,
    )


# ============================================================================ many blocks
def plan_blocks(B: np.ndarray, n: int, *, itemsize: int = 8, budget_bytes: float = 96e6,
                max_pad: float = 2.0) -> list[np.ndarray]:
    """Group run indices into blocks of similar B (B_max ≤ max_pad · B_min) under a memory budget.

    The budget counts the batch arrays of a block (R_block · B_max · n values plus the
    generator's integer temporaries); a single run larger than the budget gets its own block.
    """
    order = np.argsort(B, kind="stable")
    per_slot = n * (itemsize + 24) + 4 * itemsize
    blocks, cur, bmin = [], [], None
    for i in order:
        b = int(B[i])
        if cur:
            bmax = b
            if bmax > max_pad * bmin or (len(cur) + 1) * bmax * per_slot > budget_bytes:
                blocks.append(np.array(cur))
                cur, bmin = [], None
        if not cur:
            bmin = b
        cur.append(int(i))
    if cur:
        blocks.append(np.array(cur))
    return blocks


def run_grid(
    problem: Any,
    method: str,
    *,
    B: Any,
    K: Any,
    T: Any,
    eta: Any,
    gamma: Any = None,
    seed: Any = 0,
    w0: Any = None,
    backend: str = "numpy",
    device: str = "auto",
    dtype: str = "float64",
    record: bool = False,
    record_t: Any = None,
    population: bool = False,
    progress: Callable[[float], None] | None = None,
    budget_bytes: float = 96e6,
) -> RunResult:
    """``run_batch`` over any number of runs: blocks of similar B under a memory budget.

    Each block is one array program; results come back in the order of the runs.
    """
    be = get_backend(backend, device)
    R = _lengths(B, K, T, eta, gamma, seed)
    B_ = _as_int_array("B", B, R)
    K_ = _as_int_array("K", K, R)
    T_ = _as_int_array("T", T, R)
    eta_ = _as_float_array("eta", eta, R, positive=True)
    gam_ = None if gamma is None else np.broadcast_to(np.asarray(gamma, dtype=float), (R,))
    seed_ = np.broadcast_to(np.asarray(seed), (R,))
    n = kernel_for(problem, be, be.dtype(dtype)).n
    itemsize = 8 if dtype == "float64" else 4
    blocks = plan_blocks(np.ones_like(B_) if population else B_, n, itemsize=itemsize, budget_bytes=budget_bytes)
    costs = np.array([float(np.sum(K_[b] * T_[b])) * float(B_[b].max()) for b in blocks])
    total = float(costs.sum()) or 1.0
    done = 0.0
    parts = []
    for b, c in zip(blocks, costs):
        cb = None
        if progress is not None:
            base = done
            cb = (lambda f, base=base, c=c: progress((base + f * c) / total))
        parts.append((b, run_batch(problem, method, B=B_[b], K=K_[b], T=T_[b], eta=eta_[b],
                                   gamma=None if gam_ is None else gam_[b], seed=seed_[b], w0=w0,
                                   backend=be, dtype=dtype, record=record, record_t=record_t,
                                   population=population,
                                   progress=cb)))
        done += c
    Tmax = int(T_.max())

    def cat(attr: str, width: int | None = None) -> np.ndarray | None:
        first = getattr(parts[0][1], attr)
        if first is None:
            return None
        shape = (R,) + ((width,) if width else first.shape[1:])
        out = np.full(shape, np.nan)
        for idx, r in parts:
            v = getattr(r, attr)
            if width:
                out[idx, : v.shape[1]] = v
            else:
                out[idx] = v
        return out

    return RunResult(
        gap_final=cat("gap_final"), gap_printed=cat("gap_printed"), gap_proof=cat("gap_proof"),
        w_final=cat("w_final"), w_printed=cat("w_printed"), w_proof=cat("w_proof"), max_norm=cat("max_norm"),
        traj=cat("traj", Tmax + 1), traj_avg=cat("traj_avg", Tmax + 1),
        seconds=sum(r.seconds for _, r in parts), work=sum(r.work for _, r in parts),
        padded_work=sum(r.padded_work for _, r in parts), blocks=len(parts),
        backend=be.name, device=be.device, dtype=dtype,
    )


# ============================================================================ reference data
def sample_batches(problem: Any, seed: int, B: int, T: int) -> list[dict]:
    """The T batches (as NumPy example dicts) that the runner feeds the run with this seed.

    For cross-checking against the reference implementation ``boundcheck.core.algorithms.echo``.
    """
    be = get_backend("numpy")
    kern = kernel_for(problem, be, np.float64)
    ex_keys = np.array([_mix32((i * 0x85EBCA77 + 0xC2B2AE3D) & _M32) for i in range(B)], dtype=np.int64)
    key = np.array([_seed_key(seed)], dtype=np.int64)
    out = []
    for t in range(T):
        X, y = kern.draw(kern.example_keys(key ^ _batch_key(t), ex_keys))
        out.append(kern.numpy_examples(X[0], y[0]))
    return out


def batch_moments(problem: Any, seed: int = 0, B: int = 4096) -> dict:
    """Empirical moments of one generated batch (a sanity check of the generator)."""
    ex = sample_batches(problem, seed, B, 1)[0]
    s = ex["x"] / np.sqrt(problem.sigma)
    u = (ex["y"] - ex["x"] @ problem.w_true) / max(problem.noise, 1e-300)
    return {"sign_mean": float(s.mean()), "sign_corr_max": float(np.max(np.abs(np.triu(s.T @ s / B, 1)))),
            "u_mean": float(u.mean()), "u_var": float(u.var())}
