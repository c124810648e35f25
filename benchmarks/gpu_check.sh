#!/usr/bin/env bash
# One short, prepared check of the GPU path (issue 17 item 3), for a machine with CUDA.
#
#   PYTHON=.venv/bin/python BOUNDCHECK_DATA=/path/to/shared/data benchmarks/gpu_check.sh [OUT_DIR]
#
# 1. pytest -m gpu (the CUDA tests of the runner and of the real-data kernel);
# 2. NumPy vs CUDA agreement: the batched runner (gd, prox, agd; float64) and the real-data
#    kernel (one column on synthetic data, float64);
# 3. runner throughput as a fraction of the HBM bandwidth (measured here: a large on-device copy)
#    on the stream grid, and the K = 1 fresh-batch path;
# 4. one full MNIST (B, K) column of Figure 3 (B = 1024, K = 1, 20 seeds, the full training
#    loss every step, coarse-fine search over the 61-point grid), if the data are present.
# Results: OUT_DIR/gpu_check.json (default benchmarks/results).  Budget: about 10 minutes;
# every step has its own timeout so one slow part cannot eat the rest.
set -u
PY="${PYTHON:-python}"
OUT="${1:-${OUT:-benchmarks/results}}"
mkdir -p "$OUT"
export PYTHONPATH="${PYTHONPATH:-}:$(pwd)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi: not available"

echo "== 1. pytest -m gpu"
timeout 240 "$PY" -m pytest -q -m gpu -p no:cacheprovider tests/test_runner.py tests/test_figures.py 2>&1 | tail -5

echo "== 2-4. agreement, bandwidth fractions, one full MNIST column"
timeout 420 "$PY" - "$OUT" <<'EOF'
import json, os, sys, time
import numpy as np
import torch
from boundcheck.experiments import runner as rn
from boundcheck.core.problems import LinearRegression
assert torch.cuda.is_available(), "no CUDA"
out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}

# 2a. runner: NumPy vs CUDA, every method, float64
prob = LinearRegression.make(n=8, noise=0.3, seed=1)
kw = dict(B=[3, 5, 64, 700, 1], K=[2, 1, 3, 4, 1], T=[3, 4, 2, 2, 5], eta=[0.1, 0.2, 0.05, 0.1, 0.3], seed=[0, 1, 0, 3, 4])
agree = {}
for m in ("gd", "prox", "agd"):
    extra = {"gamma": [0.1, 0.2, 0.3, 0.0, 0.5]} if m == "prox" else {}
    a = rn.run_batch(prob, m, record=True, **kw, **extra)
    b = rn.run_batch(prob, m, record=True, backend="torch", device="cuda", **kw, **extra)
    agree[m] = float(np.max(np.abs(a.w_final - b.w_final) / (np.abs(a.w_final) + 1e-300)))
out["runner_numpy_vs_cuda_max_rel"] = agree
print("runner NumPy vs CUDA, max relative difference:", agree, flush=True)

# 2b. real-data kernel: one column, NumPy vs CUDA (synthetic binary data, float64)
from boundcheck.experiments.data import Dataset
from boundcheck.experiments.figures import certified_optimum, lr_grid, run_column
rng = np.random.default_rng(0)
X = rng.uniform(0, 1, size=(3000, 6)); wt = rng.standard_normal(6)
y = np.where(X @ wt - np.median(X @ wt) + 0.5 * rng.standard_normal(3000) > 0, 1.0, -1.0)
ds = Dataset("synthetic", X, y, "logistic", 2, False, {"synthetic": "0"})
opt = certified_optimum(ds, use_cache=False)
g = lr_grid(0.3, 3, 10)
c1 = run_column(ds, opt, 16, 2, g, seeds=2, max_steps=3000, dtype="float64", device="cpu")
c2 = run_column(ds, opt, 16, 2, g, seeds=2, max_steps=3000, dtype="float64", device="cuda")
out["kernel_numpy_vs_cuda"] = {"same_tuned_lr": c1["tuned_lr"] == c2["tuned_lr"], "KT_cpu": c1["KT_mean"],
                               "KT_cuda": c2["KT_mean"], "same_hits": c1["hits"] == c2["hits"]}
print("kernel NumPy vs CUDA:", out["kernel_numpy_vs_cuda"], flush=True)

# 3. HBM bandwidth (a large on-device copy: 2 × 8 B per element moved) and the runner's fractions
x = torch.empty(2**28, dtype=torch.float64, device="cuda"); yb = torch.empty_like(x)
best = 0.0
for _ in range(10):
    torch.cuda.synchronize(); t = time.perf_counter(); yb.copy_(x); torch.cuda.synchronize()
    best = max(best, 16 * x.numel() / (time.perf_counter() - t))
del x, yb
out["hbm_copy_GBps"] = best / 1e9
fr = {}
for name, (n, R, B, K, T, seeds) in {"stream": (64, 4096, 2048, 16, 2, 4096), "fresh": (24, 4096, 1024, 1, 16, 4096),
                                     "fresh-crn": (24, 4096, 1024, 1, 16, 256)}.items():
    p = LinearRegression.make(n=n, condition=100.0, noise=0.1, seed=0)
    for dtype in ("float32", "float64"):
        r = None
        for _ in range(2):
            r = rn.run_batch(p, "gd", B=B, K=K, T=T, eta=0.5 / float(np.sum(p.sigma)), seed=np.arange(R) % seeds,
                             backend="torch", device="cuda", dtype=dtype)
        item = 4 if dtype == "float32" else 8
        ups = r.work / r.seconds
        fr[f"{name}-{dtype}"] = {"units_per_s": ups, "two_pass_fraction": ups * 2 * item / best,
                                 "one_pass_fraction": ups * item / best}
        print(f"runner {name} {dtype}: {ups / 1e9:.2f} G units/s = {100 * ups * 2 * item / best:.1f}% of the "
              f"two-pass HBM bound ({100 * ups * item / best:.1f}% one-pass)", flush=True)
out["runner_cuda"] = fr

# 4. one full MNIST column of Figure 3
try:
    from boundcheck.experiments.data import load_dataset
    from boundcheck.experiments.figures import full_config
    cfg = full_config("mnist")
    ds = load_dataset("mnist")
    opt = certified_optimum(ds, l2=cfg.l2)
    t = time.perf_counter()
    col = run_column(ds, opt, 1024, 1, cfg.lrs, seeds=cfg.seeds, max_steps=cfg.max_steps, eval_size=cfg.eval_size,
                     window=cfg.window, tol=cfg.tol, lr_search=cfg.lr_search, coarse_stride=cfg.coarse_stride,
                     device="cuda", dtype=cfg.dtype)
    dt = time.perf_counter() - t
    out["mnist_full_column_B1024_K1"] = {"seconds": dt, "steps_run": col["steps_run"],
                                          "ms_per_step": 1000 * dt / max(col["steps_run"], 1),
                                          "tuned_lr": col["tuned_lr"], "KT_mean": col["KT_mean"]}
    print("full MNIST column:", out["mnist_full_column_B1024_K1"], flush=True)
except Exception as exc:  # noqa: BLE001 - e.g. no data on this machine
    out["mnist_full_column_B1024_K1"] = {"skipped": f"{type(exc).__name__}: {exc}"}
    print("full MNIST column skipped:", exc, flush=True)
with open(os.path.join(sys.argv[1], "gpu_check.json"), "w") as fh:
    json.dump(out, fh, indent=2, default=float)
EOF
echo "gpu_check: done (results in $OUT/gpu_check.json)"
