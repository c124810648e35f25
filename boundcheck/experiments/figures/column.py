"""One (B, K) column of Figures 2–3: the learning rate tuned by exact branch-and-bound grid
search, and the time (SGD steps KT, fresh samples BT) to within ``tol`` of F*.

A column is the natural unit of work for a scheduler: independent of every other column,
deterministic given its inputs (batches are keyed by (seed, B, t)).
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Sequence

import numpy as np

from boundcheck.experiments.data import Dataset
from boundcheck.experiments.figures.kernel import _batch_indices, _EvalCV, _Kernel, _Ops, resolve_device
from boundcheck.experiments.figures.objective import full_loss
from boundcheck.experiments.figures.optimum import CertifiedOptimum

__all__ = ["lr_grid", "run_column"]


def _one_blas_thread() -> Any:
    """BLAS held to one thread (``threadpoolctl``, installed with scikit-learn), as on a Dask
    worker: a column is computed single-threaded wherever it runs, so its numbers are the same
    bits in-process and on any cluster (parallelism comes from running columns side by side,
    ``--scheduler local:N``).  Measured: OpenBLAS's multi-threaded float64 products over the
    581,012 CoverType rows (the control variate's constants, the hit-iterate losses) differ from
    the single-threaded ones in the 13th digit."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - without it, results agree to rounding only
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def run_column(ds: Dataset, opt: CertifiedOptimum, B: int, K: int, lrs: Sequence[float], **kw: Any) -> dict:
    """Tune the constant learning rate for one (B, K) and report the time to within ``tol`` of F*
    (see :func:`_run_column` for the options), with BLAS on one thread (see ``_one_blas_thread``)."""
    with _one_blas_thread():
        return _run_column(ds, opt, B, K, lrs, **kw)


# ============================================================================ one (B, K) point
def lr_grid(lo: float = 0.01, hi: float = 10.0, per_decade: int = 20) -> np.ndarray:
    """The paper's learning-rate grid: lo … hi in multiplicative steps of 10^(1/per_decade)."""
    a, b = math.log10(lo) * per_decade, math.log10(hi) * per_decade
    return 10.0 ** (np.arange(round(a), round(b) + 1) / per_decade)


def _run_lrs(ds: Dataset, opt: CertifiedOptimum, ops: _Ops, B: int, K: int, lrs: np.ndarray, seeds: Sequence[int],
             max_steps: int, cv: _EvalCV, window: int, tol: float,
             bound: float = math.inf, on_step: Callable[[int], None] | None = None) -> dict:
    """Run every (lr, seed) with pruning; return per-lr hitting steps, statuses and hit iterates.

    Pruning is exact for the tuning objective (mean hitting step over seeds): at step s a
    learning rate whose unfinished seeds would all hit at s+1 still has mean ≥ LB; once
    LB exceeds the best complete mean (or the given ``bound``) it cannot be the minimiser.
    """
    S, L = len(seeds), len(lrs)
    kern = _Kernel(ds, ops, lrs, S, cv, echo=K)
    thresh = tol * opt.upper
    hits = np.full((S, L), -1, dtype=np.int64)
    status = ["running"] * L
    w_hit: dict[tuple[int, int], np.ndarray] = {}
    active = np.arange(L)  # lr indices still in the kernel, in kernel column order
    hist = None
    best = bound
    chunk_T = 64
    idx_buf: np.ndarray | None = None
    buf_t0 = 0
    step = 0
    for step in range(1, max_steps + 1):
        j = step - 1
        if j % K == 0:  # a fresh batch for every seed
            t = j // K
            if idx_buf is None or t >= buf_t0 + chunk_T:
                buf_t0 = t
                idx_buf = np.stack([_batch_indices(int(sd), B, ds.n, t, chunk_T) for sd in seeds], axis=1)
            kern.batch(idx_buf[t - buf_t0])
        kern.step()
        loss = kern.eval_excess()  # (S, La)
        if hist is None:
            hist = [loss]
        else:
            hist.append(loss)
            if len(hist) > window:
                hist.pop(0)
        if step < window:
            continue
        mean = hist[0]
        for h in hist[1:]:
            mean = mean + h
        excess = ops.numpy(mean).astype(np.float64) / window  # (S, La)
        sub = hits[:, active]
        finite = np.isfinite(excess)
        new = (sub < 0) & (excess <= thresh) & finite
        if new.any():
            for s_, c_ in zip(*np.nonzero(new)):
                hits[s_, active[c_]] = step
                w_hit[(int(s_), int(active[c_]))] = kern.params(int(s_), int(c_))
        bad = ~finite.all(axis=0)
        # bookkeeping per active lr
        sub = hits[:, active]
        done = (sub >= 0).all(axis=0)
        for c in np.nonzero(done)[0]:
            l = active[c]
            status[l] = "complete"
            best = min(best, float(hits[:, l].mean()))
        unhit = (sub < 0).sum(axis=0)
        lb = (np.where(sub >= 0, sub, 0).sum(axis=0) + unhit * (step + 1)) / S
        drop = done | bad | (lb > best)
        for c in np.nonzero(drop & ~done)[0]:
            status[active[c]] = "diverged" if bad[c] else "pruned"
        if drop.any():
            keep = np.nonzero(~drop)[0]
            if keep.size == 0:
                active = active[keep]
                break
            kern.keep(keep)
            active = active[keep]
            hist = [h[:, ops.index(keep)] if ops.torch else h[:, keep] for h in hist]
        if on_step is not None:
            on_step(step)
    for l in active:
        status[l] = "capped"
    return {"hits": hits, "status": status, "w_hit": w_hit, "steps_run": step}


def _eval_rows(ds: Dataset, eval_size: int | None, seed: int = 0) -> np.ndarray | None:
    if eval_size is None or eval_size >= ds.n:
        return None
    return np.sort(np.random.default_rng([0xE7A1, seed]).choice(ds.n, size=int(eval_size), replace=False))


def _run_column(ds: Dataset, opt: CertifiedOptimum, B: int, K: int, lrs: Sequence[float], *, seeds: int = 20,
               max_steps: int = 100_000, eval_size: int | None = None, window: int = 10, tol: float = 0.01,
               lr_search: str = "grid", coarse_stride: int = 5, device: str = "cpu", dtype: str = "float32",
               on_step: Callable[[int], None] | None = None) -> dict:
    """Tune the constant learning rate for one (B, K) and report the time to within ``tol`` of F*.

    Times are in SGD steps (KT: every echoed step counts) and in fresh samples (BT = B·⌈t/K⌉,
    the batches actually drawn).  ``lr_search="grid"`` runs the whole grid as one batch;
    ``"coarse-fine"`` runs every ``coarse_stride``-th learning rate first, then the fine grid
    points within one coarse step of the best, pruned against the coarse optimum: the same
    argmin as the full grid whenever the time is unimodal in η (the fine points next to
    the coarse optimum are all tried).
    """
    for name, v in (("B", B), ("K", K), ("seeds", seeds), ("max_steps", max_steps), ("window", window)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if lr_search not in ("grid", "coarse-fine"):
        raise ValueError(f"lr_search must be 'grid' or 'coarse-fine', got {lr_search!r}")
    grid = np.asarray(sorted(float(x) for x in lrs))
    if grid.size == 0 or np.any(grid <= 0):
        raise ValueError("lrs must be a non-empty list of positive learning rates")
    t0 = time.monotonic()
    ops = _Ops(resolve_device(device), dtype)
    rows = _eval_rows(ds, eval_size)
    cv = _EvalCV(ds, opt, rows)
    seed_list = list(range(seeds))
    L = grid.size
    hits = np.full((seeds, L), -1, dtype=np.int64)
    status = ["not run"] * L
    w_hit: dict[tuple[int, int], np.ndarray] = {}
    steps_run = 0

    def run(sel: np.ndarray, bound: float) -> None:
        nonlocal steps_run
        r = _run_lrs(ds, opt, ops, B, K, grid[sel], seed_list, max_steps, cv, window, tol, bound, on_step)
        hits[:, sel] = r["hits"]
        for c, l in enumerate(sel):
            status[l] = r["status"][c]
        w_hit.update({(s, int(sel[c])): w for (s, c), w in r["w_hit"].items()})
        steps_run += r["steps_run"]

    def means() -> np.ndarray:
        m = np.full(L, np.inf)
        for l in range(L):
            if status[l] == "complete":
                m[l] = hits[:, l].mean()
        return m

    if lr_search == "grid" or L <= coarse_stride:
        run(np.arange(L), math.inf)
    else:
        coarse = np.arange(0, L, coarse_stride)
        if coarse[-1] != L - 1:
            coarse = np.append(coarse, L - 1)
        run(coarse, math.inf)
        m = means()
        if np.isfinite(m).any():
            b = int(np.argmin(m))
            ci = int(np.searchsorted(coarse, b))
            lo = coarse[ci - 1] + 1 if ci > 0 else 0
            hi = coarse[ci + 1] - 1 if ci + 1 < len(coarse) else L - 1
            fine = np.array([l for l in range(lo, hi + 1) if status[l] == "not run"], dtype=np.int64)
            if fine.size:
                run(fine, float(m[b]))
    m = means()
    res: dict[str, Any] = {
        "B": int(B), "K": int(K), "lrs": grid.tolist(), "status": status,
        "hits": [[int(h) if h >= 0 else None for h in hits[:, l]] for l in range(L)],
        "mean_steps": [float(x) if np.isfinite(x) else None for x in m],
        "steps_run": int(steps_run), "max_steps": int(max_steps), "seeds": int(seeds),
    }
    if np.isfinite(m).any():
        b = int(np.argmin(m))
        h = hits[:, b].astype(np.float64)
        T = np.ceil(h / K)
        res.update({
            "tuned_index": b, "tuned_lr": float(grid[b]),
            "tuned_at_grid_edge": bool(b == 0 or b == L - 1),
            "KT_mean": float(h.mean()), "KT_std": float(h.std(ddof=1)) if seeds > 1 else 0.0,
            "T_mean": float(T.mean()),
            "BT_mean": float(B * T.mean()), "BT_std": float(B * T.std(ddof=1)) if seeds > 1 else 0.0,
        })
        # the evaluation-subsample error, measured where it matters: at each hit iterate
        Ws = np.stack([w_hit[(s, b)] for s in seed_list])
        full = full_loss(ds, Ws, l2=opt.l2) - opt.upper
        subx = cv.estimate(ds, Ws)
        thr = tol * opt.upper
        res["hit_excess_full_over_threshold"] = (full / thr).tolist()
        res["subsample_error"] = float(np.max(np.abs(full - subx)) / thr)
    else:
        res.update({"tuned_index": None, "tuned_lr": None, "tuned_at_grid_edge": False,
                    "KT_mean": None, "KT_std": None, "T_mean": None, "BT_mean": None, "BT_std": None,
                    "subsample_error": None})
    res["seconds"] = time.monotonic() - t0
    res["device"] = ops.device
    return res


