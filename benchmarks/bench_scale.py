"""Scale-out measurements: the Dask scheduler against in-process, and the full Figure 3 projection.

    .venv/bin/python benchmarks/bench_scale.py [--json PATH] [--skip-ratio] [--skip-steps] [--verify]

1. **Scheduling overhead per unit**: wall time of 200 no-op units / 200, in-process and on a
   ``local:2`` cluster (cluster start-up reported separately).
2. **figures --quick** (CoverType: 6 (B, K) columns) in-process vs ``--scheduler local:2``, each
   from an empty sweep cache (the data set and its certified optimum are cached first, so both
   runs time the columns only); the columns must come out identical.
2b. **default verify** (``--verify``: every statement, diagnoses included, no saved
   counterexamples) in-process vs ``local:2`` (cluster start included); records must be identical.
3. **Per-step cost of the full Figure 3 grid** (MNIST, λ = 10⁻³, 20 seeds, the full training
   loss every step, float32, the 13-point coarse learning-rate phase): ms per SGD step of the
   batched kernel for several B, measured here on the CPU over a few steps.
4. **Projection** of the full grid's wall time on 1, 8 and 64 CPU workers and on one GPU:
   per-column cost = steps run × cost per step; steps run ≈ 2.2 × KT (coarse + fine phase,
   measured on the CPU grid's columns: 2439/1059 and 10778/5120), KT(B, K) from the measured
   columns (KT(1024, 1) = 1059, KT(128, 1) = 5120: KT ∝ B^−0.76 below B = 1024) times K^s with
   s = 1 in the noise-dominated regime (B ≤ 256), ½ at 1024, 0 at 4096 (the --quick slopes),
   capped at max_steps; columns are scheduled longest first onto the workers.  The GPU row is
   a *model* (no GPU was available): the step's FLOPs (dominated by the full-loss evaluation,
   X_eval W for every seed and learning rate) at 40 TFLOP/s (60 % of an H100/H200's FP32
   peak), which ``benchmarks/gpu_check.sh`` replaces by a measured column when a GPU is lent.
"""
from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

from boundcheck.parallel import get_scheduler  # noqa: E402
from boundcheck.parallel.engine import per_unit_overhead  # noqa: E402


def overhead() -> dict:
    out = {"in_process_s_per_unit": per_unit_overhead(get_scheduler(None), 200)}
    t = time.perf_counter()
    with get_scheduler("local:2") as s:
        out["local2_startup_s"] = time.perf_counter() - t
        per_unit_overhead(s, 20)  # warm the workers
        out["local2_s_per_unit"] = per_unit_overhead(s, 200)
    return out


def quick_ratio() -> dict:
    from boundcheck.experiments.data import load_dataset
    from boundcheck.experiments.figures import certified_optimum, quick_config, sweep

    cache = tempfile.mkdtemp(prefix="bench-scale-")
    try:
        cfg = quick_config("covtype")
        ds = load_dataset("covtype", cache=cache)  # decoded once into this cache root
        opt = certified_optimum(ds, l2=cfg.l2, cache=cache)
        res = {}
        for name, spec in (("in-process", None), ("local:2", "local:2")):
            shutil.rmtree(os.path.join(cache, "sweeps"), ignore_errors=True)
            with get_scheduler(spec) as s:
                t = time.perf_counter()
                r = sweep(cfg, dataset=ds if spec is None else None, optimum=opt, cache=cache, progress=False,
                          scheduler=s)
                res[name] = {"seconds": time.perf_counter() - t, "columns": r["columns"]}
        same = all({k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}
                   for a, b in zip(res["in-process"]["columns"], res["local:2"]["columns"]))
        cols = [{"B": c["B"], "K": c["K"], "seconds": c["seconds"], "steps_run": c["steps_run"]}
                for c in res["in-process"]["columns"]]
        return {"in_process_s": res["in-process"]["seconds"], "local2_s": res["local:2"]["seconds"],
                "speedup": res["in-process"]["seconds"] / res["local:2"]["seconds"], "identical_columns": same,
                "columns": cols, "longest_column_s": max(c["seconds"] for c in cols),
                "sum_of_columns_s": sum(c["seconds"] for c in cols)}
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def verify_ratio() -> dict:
    from boundcheck.engine.verify import verify

    root = tempfile.mkdtemp(prefix="bench-verify-")
    try:
        res = {}
        for name, spec in (("in-process", None), ("local:2", "local:2")):
            t = time.perf_counter()
            with get_scheduler(spec) as s:
                recs = verify(None, seed=0, out_dir=os.path.join(root, name), reuse=False, scheduler=s)
            res[name] = (time.perf_counter() - t,
                         json.dumps([r.as_dict(timings=False) for r in recs]).replace(os.path.join(root, name), "<out>"))
        return {"in_process_s": res["in-process"][0], "local2_s": res["local:2"][0],
                "ratio_local2_over_in_process": res["local:2"][0] / res["in-process"][0],
                "identical_records": res["in-process"][1] == res["local:2"][1]}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def step_costs(Bs: tuple[int, ...] = (1, 16, 256, 1024, 4096), steps: int = 6) -> dict:
    """ms per step of the full-grid column kernel (MNIST, 20 seeds, full loss, coarse lr phase)."""
    from boundcheck.experiments.data import load_dataset
    from boundcheck.experiments.figures import certified_optimum, full_config, run_column

    cfg = full_config("mnist")
    ds = load_dataset("mnist")
    opt = certified_optimum(ds, l2=cfg.l2)
    coarse = list(cfg.lrs[::cfg.coarse_stride])
    out = {}
    for B in Bs:
        t = time.perf_counter()
        r = run_column(ds, opt, B, 1, coarse, seeds=cfg.seeds, max_steps=steps, eval_size=cfg.eval_size,
                       window=min(cfg.window, steps), tol=cfg.tol, lr_search="grid", device="cpu", dtype=cfg.dtype)
        out[B] = 1000 * (time.perf_counter() - t) / max(r["steps_run"], 1)
        print(f"  B={B}: {out[B]:.0f} ms per step ({r['steps_run']} steps)", flush=True)
    return {"ms_per_step": out, "seeds": cfg.seeds, "lrs": len(coarse), "eval_rows": ds.n, "d": ds.d,
            "classes": ds.n_classes}


def _kt(B: int, K: int) -> float:
    kt1 = 1059.0 * (1024.0 / B) ** 0.76 if B <= 1024 else 1059.0 * (1024.0 / B) ** 0.25
    s = 1.0 if B <= 256 else (0.5 if B <= 1024 else 0.0)
    return kt1 * K ** s


def _lpt(costs: list[float], workers: int) -> float:
    """Makespan of longest-processing-time-first list scheduling."""
    heap = [0.0] * workers
    for c in sorted(costs, reverse=True):
        heapq.heapreplace(heap, heap[0] + c)
    return max(heap)


def projection(step: dict) -> dict:
    from boundcheck.experiments.figures import full_config

    cfg = full_config("mnist")
    ms = {int(k): v for k, v in step["ms_per_step"].items()}
    Bm = sorted(ms)

    def cpu_ms(B: int) -> float:  # interpolate in log B between the measured points
        lb = math.log(B)
        xs = [math.log(b) for b in Bm]
        return float(np.interp(lb, xs, [ms[b] for b in Bm]))

    S, L, M, d, C = step["seeds"], len(cfg.lrs), step["eval_rows"], step["d"], step["classes"]
    cols = []
    for B in cfg.Bs:
        for K in cfg.Ks:
            kt = _kt(B, K)
            steps = min(2.2 * kt, cfg.max_steps)
            # FLOPs per step: the full-loss evaluation (2·M·d·C per run) and the batch gradient
            # (4·B·d·C per run) for the coarse phase's 13 learning rates × 20 seeds
            flops = 13 * S * (2 * M * d * C + 4 * B * d * C)
            cols.append({"B": B, "K": K, "KT_model": kt, "steps_model": steps,
                         "cpu_s": steps * cpu_ms(B) / 1000, "gpu_s": steps * (flops / 40e12 + 25e-6)})
    cpu = [c["cpu_s"] for c in cols]
    gpu = [c["gpu_s"] for c in cols]
    return {"columns": cols, "grid": {"Bs": cfg.Bs, "Ks": cfg.Ks, "seeds": S, "lrs": L, "max_steps": cfg.max_steps},
            "wall_s": {"cpu_1": _lpt(cpu, 1), "cpu_8": _lpt(cpu, 8), "cpu_64": _lpt(cpu, 64), "gpu_1": sum(gpu)},
            "longest_column_cpu_s": max(cpu)}


def _h(s: float) -> str:
    return f"{s / 86400:.1f} d" if s > 2 * 86400 else (f"{s / 3600:.1f} h" if s > 5400 else f"{s / 60:.0f} min")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=None)
    ap.add_argument("--skip-ratio", action="store_true")
    ap.add_argument("--skip-steps", action="store_true")
    ap.add_argument("--skip-overhead", action="store_true")
    ap.add_argument("--verify", action="store_true", help="also time the default verify both ways")
    a = ap.parse_args()
    out: dict = {"machine": {"cpus": os.cpu_count(), "load_avg_before": os.getloadavg(), "platform": platform.platform()}}
    if not a.skip_overhead:
        out["overhead"] = o = overhead()
        print(f"scheduling overhead per unit: in-process {1e6 * o['in_process_s_per_unit']:.1f} µs, local:2 "
              f"{1e3 * o['local2_s_per_unit']:.2f} ms (cluster start {o['local2_startup_s']:.1f} s)", flush=True)
    if a.verify:
        out["verify_default"] = v = verify_ratio()
        print(f"default verify: in-process {v['in_process_s']:.1f} s, local:2 {v['local2_s']:.1f} s (cluster start "
              f"included): ratio {v['ratio_local2_over_in_process']:.2f}; identical records: {v['identical_records']}",
              flush=True)
    if not a.skip_ratio:
        q = quick_ratio()
        out["figures_quick_covtype"] = q
        print(f"figures --quick (covtype, 6 columns): in-process {q['in_process_s']:.0f} s, local:2 "
              f"{q['local2_s']:.0f} s: speedup {q['speedup']:.2f} (longest column {q['longest_column_s']:.0f} s of "
              f"{q['sum_of_columns_s']:.0f} s); identical columns: {q['identical_columns']}", flush=True)
    if not a.skip_steps:
        st = step_costs()
        out["full_grid_step_cost"] = st
        p = projection(st)
        out["projection"] = p
        w = p["wall_s"]
        print(f"full Figure 3 grid ({len(p['columns'])} columns): 1 CPU worker {_h(w['cpu_1'])}, 8 workers "
              f"{_h(w['cpu_8'])}, 64 workers {_h(w['cpu_64'])} (longest column {_h(p['longest_column_cpu_s'])}); "
              f"one GPU (model) {_h(w['gpu_1'])}")
    out["machine"]["load_avg_after"] = os.getloadavg()
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=2, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
