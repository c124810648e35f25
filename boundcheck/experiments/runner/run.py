"""``run_batch`` / ``run_grid``: many echoed runs as one array program (see the package docstring).

One Python loop walks the global inner step s; the runs still active at s are a suffix of
the arrays (runs sorted by their step count), the work done is exactly Σ_r K_r T_r.  Two
ways of feeding batches:

* **stored**: a batch is drawn when s ≡ 0 (mod K_r) into the block's batch array
  (R, n, B_max) and reused for its K_r echoes;
* **fresh** (every run of the block has K = 1): each batch is used once, so it is never
  stored: it is generated in cache-sized chunks of runs and consumed at once by the
  gradient, so fresh data cost no memory traffic (the generator, not DRAM, is the limit).

The per-method updates are those of ``boundcheck.core.algorithms`` (tests compare every run
with ``core.algorithms.echo``, per method, in float64 and float32), and AGD's momenta come
from ``core.algorithms.lambda_sequence``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from boundcheck.core.algorithms import lambda_sequence
from boundcheck.experiments.runner.backend import Backend, get_backend
from boundcheck.experiments.runner.generator import batch_key, example_index_keys, seed_key
from boundcheck.experiments.runner.kernels import kernel_for

__all__ = ["METHODS", "RunResult", "run_batch", "plan_blocks", "run_grid", "sample_batches", "batch_moments"]

METHODS = ("gd", "prox", "agd")

#: NumPy: bytes of batch data generated per chunk of runs (fresh batches and stored draws):
#: the chunk's design and hash temporaries stay in the last-level cache until consumed
_GEN_BYTES = 2 * 2**20


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
    Bgen = -(-Bmax // 8) * 8  # batches are generated 8 examples at a time (bit-block transpose)
    Tmax = int(T_.max())
    Smax = int(S_sorted[-1])
    Ko, To = K_[order], T_[order]
    fresh = not population and bool(np.all(Ko == 1))
    # batch-switch schedule: run r starts batch t at global step t·K_r (t < T_r).  One entry per
    # (run, batch), sorted by step; the entries of step s are the slice off[s]:off[s+1], in run order
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
    run_keys_h = np.array([seed_key(x) for x in seed_[order]], dtype=np.int64)
    bkeys_h = run_keys_h[run_of] ^ np.array([batch_key(t) for t in range(Tmax)], dtype=np.int64)[t_of]
    sched_run = be.asarray(run_of, be.int64)
    sched_t = be.asarray(t_of, be.int64)
    sched_tinv = be.asarray(1.0 / np.maximum(t_of, 1)[:, None], dt)
    sched_key = be.asarray(bkeys_h, be.int64)

    # ---- device state
    Bo = np.ones(R, dtype=np.int64) if population else B_[order]
    wt = be.asarray((np.arange(Bgen)[None, :] < Bo[:, None]) / Bo[:, None], dt)
    ex_keys = be.asarray(example_index_keys(Bgen), be.int64)
    eta_d = be.asarray(eta_[order][:, None], dt)
    W = be.asarray(np.broadcast_to(w0_, (R, n)), dt)
    W0 = be.asarray(w0_, dt)
    if not population and not fresh:
        X = be.zeros((R, n, Bgen), dt)  # the sign matrices Σ of the stored batches (see kernels)
        Y = be.zeros((R, Bgen), dt)
    sum_start = be.zeros((R, n), dt)
    maxn2 = be.full((R,), float(w0_ @ w0_), dt)
    if method == "prox":
        gam_d = be.asarray(gam_[order][:, None], dt)
        kinv = be.asarray(1.0 / Ko[:, None], dt)
        pivot = be.asarray(np.broadcast_to(w0_, (R, n)), dt)
        acc = be.zeros((R, n), dt)
    if method == "agd":
        Dm = be.zeros((R, n), dt)
        # γ_{s+1} = (λ_s − 1)/λ_{s+1}, λ_0 = 1 (Section 3.1): the same for all runs
        gams = [float(g) for g in lambda_sequence(1.0, Smax)[1]]
    if record:
        traj = be.full((R, Tmax + 1), float("nan"), dt)
        traj_avg = be.full((R, Tmax + 1), float("nan"), dt)
    # runs per generated chunk: its design and hash temporaries stay in cache until used
    itemsize = 8 if dtype == "float64" else 4
    gen_blk = R if be.name != "numpy" else max(1, int(_GEN_BYTES // max(1, Bgen * n * itemsize)))

    # ---- progress accounting (host)
    active_from = np.searchsorted(S_sorted, np.arange(Smax), side="right")  # first active run at step s
    cum = np.cumsum((R - active_from).astype(float))
    every = max(1, Smax // 200)
    off_l = off.tolist()
    if record and record_t is None:
        roff, rec_run, rec_t, rec_tinv = off_l, sched_run, sched_t, sched_tinv
    act_l = active_from.tolist()

    def draw(lo: int, hi: int) -> tuple[Any, Any]:
        return kern.draw(kern.example_keys(sched_key[lo:hi], ex_keys))

    def store(lo: int, hi: int) -> None:
        """Draw the batches of schedule entries lo:hi into X, Y; a batch shared by several runs
        (one seed) is generated once."""
        uniq, first_of, inv = np.unique(bkeys_h[lo:hi], return_index=True, return_inverse=True)
        if uniq.size == hi - lo:
            for c in range(lo, hi, gen_blk):
                e = min(hi, c + gen_blk)
                Xi, Yi = draw(c, e)
                X[sched_run[c:e]] = Xi
                Y[sched_run[c:e]] = Yi
            return
        perm = np.argsort(inv, kind="stable")
        inv_sorted = inv[perm]
        for u0 in range(0, uniq.size, gen_blk):
            u1 = min(uniq.size, u0 + gen_blk)
            r0, r1 = np.searchsorted(inv_sorted, [u0, u1])
            Xu, Yu = kern.draw(kern.example_keys(be.asarray(uniq[u0:u1], be.int64), ex_keys))
            ent = be.asarray(lo + perm[r0:r1], be.int64)
            sel = be.asarray(inv_sorted[r0:r1] - u0, be.int64)
            X[sched_run[ent]] = Xu[sel]
            Y[sched_run[ent]] = Yu[sel]

    def grad(Q: Any, a: int, lo: int) -> Any:
        """The batch gradient at the query points Q of runs a.. (their batch of this step)."""
        if population:
            return kern.pop_grad(Q)
        if not fresh:
            return kern.grad(Q, X[a:], Y[a:], wt[a:], Bo[a:])
        # fresh (K = 1): runs a.. all draw at this step, in run order (the schedule slice).  Runs
        # with the same seed draw the same batch: it is generated once, in chunks of distinct
        # batches sized to the cache, and consumed by its runs at once
        keys_h = bkeys_h[lo:lo + R - a]
        uniq, inv = np.unique(keys_h, return_inverse=True)
        if uniq.size == keys_h.size:  # no sharing: chunks of runs in order
            if gen_blk >= R - a:
                Xc, Yc = kern.draw(kern.example_keys(sched_key[lo:lo + R - a], ex_keys))
                return kern.grad(Q, Xc, Yc, wt[a:], Bo[a:])
            G = be.zeros(tuple(Q.shape), dt)
            for c in range(a, R, gen_blk):
                e = min(R, c + gen_blk)
                Xc, Yc = kern.draw(kern.example_keys(sched_key[lo + c - a:lo + e - a], ex_keys))
                G[c - a:e - a] = kern.grad(Q[c - a:e - a], Xc, Yc, wt[c:e], Bo[c:e])
            return G
        perm = np.argsort(inv, kind="stable")            # runs grouped by their batch
        inv_sorted = inv[perm]
        G = be.zeros(tuple(Q.shape), dt)
        for u0 in range(0, uniq.size, gen_blk):
            u1 = min(uniq.size, u0 + gen_blk)
            r0, r1 = np.searchsorted(inv_sorted, [u0, u1])
            rows = perm[r0:r1]                            # positions in [0, R − a)
            Xc, Yc = kern.draw(kern.example_keys(be.asarray(uniq[u0:u1], be.int64), ex_keys))
            rows_d = be.asarray(rows, be.int64) if be.name != "numpy" else rows
            G[rows_d] = kern.grad(Q[rows_d], Xc, Yc, wt[a:][rows_d], Bo[a:][rows],
                                  inv=be.asarray(inv_sorted[r0:r1] - u0, be.int64))
        return G

    be.synchronize()
    t0 = time.perf_counter()
    # diverging runs (a too large η) become inf/nan rather than warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for s in range(Smax):
            a = act_l[s]
            lo, hi = off_l[s], off_l[s + 1]
            if hi > lo:  # batch boundary for the runs idx: record w_t, draw batch t
                assert not fresh or hi - lo == R - a  # fresh: every active run draws, in run order
                idx = sched_run[lo:hi]
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
                if not population and not fresh:
                    store(lo, hi)
            Wa = W[a:]
            if method == "gd":  # w_{j+1} = w_j − η∇f̄(w_j)
                Wa -= eta_d[a:] * grad(Wa, a, lo)
                n2 = be.sum_last(Wa * Wa)
            elif method == "prox":  # GD on f̄ + (γ/2)‖w − w_pivot‖²
                acc[a:] += Wa
                g = grad(Wa, a, lo) + gam_d[a:] * (Wa - pivot[a:])
                Wa -= eta_d[a:] * g
                n2 = be.sum_last(Wa * Wa)
            else:
                Q = Wa + Dm[a:]                                   # query point w_j + d_j
                Wn = Q - eta_d[a:] * grad(Q, a, lo)
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

    def back(v: Any) -> np.ndarray:
        return be.to_numpy(v)[inv].astype(float)

    work = float(np.sum(S * (1 if population else B_)) * n)
    return RunResult(
        gap_final=back(g_final), gap_printed=back(g_printed), gap_proof=back(g_proof),
        w_final=back(W), w_printed=back(w_printed), w_proof=back(w_proof),
        max_norm=np.sqrt(back(maxn2)),
        traj=back(traj) if record else None, traj_avg=back(traj_avg) if record else None,
        seconds=seconds, work=work, padded_work=float(np.sum(S) * Bmax * n), blocks=1,
        backend=be.name, device=be.device, dtype=dtype, info={"fresh": fresh},
    )


# ============================================================================ many blocks
def plan_blocks(B: np.ndarray, n: int, *, itemsize: int = 8, budget_bytes: float = 96e6,
                max_pad: float = 2.0, fresh: np.ndarray | None = None) -> list[np.ndarray]:
    """Group run indices into blocks of similar B (B_max ≤ max_pad · B_min) under a memory budget.

    The budget counts the batch arrays of a block (R_block · B_max · n values plus the
    generator's integer temporaries); a single run larger than the budget gets its own block.
    ``fresh`` (a boolean per run, K = 1): such runs never share a block with the others, and
    store no batch (only their weights count against the budget).
    """
    B = np.asarray(B)
    if fresh is not None and np.any(fresh) and not np.all(fresh):
        fresh = np.asarray(fresh, dtype=bool)
        parts = []
        for sel in (np.flatnonzero(~fresh), np.flatnonzero(fresh)):
            sub = plan_blocks(B[sel], n, itemsize=itemsize, budget_bytes=budget_bytes, max_pad=max_pad,
                              fresh=np.full(sel.size, bool(fresh[sel[0]])))
            parts += [sel[b] for b in sub]
        return parts
    all_fresh = fresh is not None and bool(np.all(fresh))
    order = np.argsort(B, kind="stable")
    per_slot = itemsize if all_fresh else n * (itemsize + 24) + 4 * itemsize
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
    max_runs: int | None = None,
    scheduler: Any = None,
) -> RunResult:
    """``run_batch`` over any number of runs: blocks of similar B under a memory budget.

    Each block (at most ``max_runs`` runs) is one array program and one unit of work for
    ``scheduler`` (a ``boundcheck.parallel`` scheduler; default in-process).  A run's result
    depends only on the run and its block, and the blocks are a function of the runs, so
    every scheduler gives the same numbers.  Results come back in the order of the runs.
    """
    from boundcheck.parallel import InProcess

    sched = scheduler if scheduler is not None else InProcess()
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
    blocks = plan_blocks(np.ones_like(B_) if population else B_, n, itemsize=itemsize, budget_bytes=budget_bytes,
                         fresh=None if population else K_ == 1)
    if max_runs is not None:  # finer units for a scheduler: split blocks, keeping their B order
        blocks = [b[i:i + max_runs] for b in blocks for i in range(0, len(b), max_runs)]
    costs = np.array([float(np.sum(K_[b] * T_[b])) * float(B_[b].max()) for b in blocks])
    total = float(costs.sum()) or 1.0
    units = [{"B": B_[b], "K": K_[b], "T": T_[b], "eta": eta_[b], "gamma": None if gam_ is None else gam_[b],
              "seed": seed_[b]} for b in blocks]
    opts = {"w0": w0, "backend": be.name, "device": be.device, "dtype": dtype, "record": record,
            "record_t": record_t, "population": population}
    done = [0.0]
    in_process = sched.kind == "in-process"
    if in_process and progress is not None:  # fine-grained progress from inside each block
        for u, c in zip(units, costs):
            u["_progress"] = (lambda f, c=c: progress((done[0] + f * c) / total))

    def on_result(i: int, _r: Any) -> None:
        done[0] += costs[i]
        if progress is not None:
            progress(done[0] / total)

    results = sched.map(_grid_unit, units, args=(problem, method, opts), on_result=on_result,
                        describe=lambda u: f"{len(u['B'])} runs, B {int(u['B'].min())}..{int(u['B'].max())}",
                        label="runs")
    parts = list(zip(blocks, results))
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
        info={"scheduler": sched.describe(), "units": len(parts)},
    )


def _grid_unit(unit: dict, problem: Any, method: str, opts: dict) -> RunResult:
    """One block of ``run_grid`` (what a worker runs)."""
    u = dict(unit)
    prog = u.pop("_progress", None)
    return run_batch(problem, method, **u, **opts, progress=prog)


# ============================================================================ reference data
def sample_batches(problem: Any, seed: int, B: int, T: int) -> list[dict]:
    """The T batches (as NumPy example dicts) that the runner feeds the run with this seed.

    For cross-checking against the reference implementation ``boundcheck.core.algorithms.echo``.
    """
    be = get_backend("numpy")
    kern = kernel_for(problem, be, np.float64)
    B8 = -(-int(B) // 8) * 8
    ex_keys = np.array(example_index_keys(B8), dtype=np.int64)
    key = np.array([seed_key(seed)], dtype=np.int64)
    out = []
    for t in range(T):
        S, y = kern.draw(kern.example_keys(key ^ batch_key(t), ex_keys))
        out.append(kern.numpy_examples(S[0, :, :B], y[0, :B]))
    return out


def batch_moments(problem: Any, seed: int = 0, B: int = 4096) -> dict:
    """Empirical moments of one generated batch (a sanity check of the generator)."""
    ex = sample_batches(problem, seed, B, 1)[0]
    s = ex["x"] / np.sqrt(problem.sigma)
    u = (ex["y"] - ex["x"] @ problem.w_true) / max(problem.noise, 1e-300)
    return {"sign_mean": float(s.mean()), "sign_corr_max": float(np.max(np.abs(np.triu(s.T @ s / B, 1)))),
            "u_mean": float(u.mean()), "u_var": float(u.var())}
