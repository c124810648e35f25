"""Benchmark one full (B, K) column of the Section 5 sweep on CPU: wall time, per-step time, peak memory.

    .venv/bin/python benchmarks/bench_figures.py [--dataset covtype|mnist] [-B 1024] [-K 1]
        [--seeds 5] [--eval-size 8192] [--lr-search coarse-fine|grid] [--json PATH]

A *column* is one (B, K) point of the figures: the whole learning-rate grid (0.01 … 10,
steps of 10^(1/20); coarse-fine search with exact branch-and-bound pruning) × seeds,
run until the tuned learning rate is known.  Defaults are those of the CPU full grid
(``full_config(dataset, cpu=True)``).  Reported:

* ``seconds``: wall time of the column (the optimum is computed, or read from the cache,
  before the clock starts; so is the data set);
* ``steps_run`` and ``ms_per_step``: SGD steps taken by the batched kernel (coarse and
  fine phases together) and the mean wall time of one step of all active runs;
* ``peak_rss_mb``: peak resident set size of this process (data set included), and
  ``rss_after_load_mb``, the resident size before the column started.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from boundcheck.experiments.data import load_dataset  # noqa: E402
from boundcheck.experiments.figures import certified_optimum, full_config, run_column  # noqa: E402


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", choices=["covtype", "mnist"], default="covtype")
    p.add_argument("-B", type=int, default=1024)
    p.add_argument("-K", type=int, default=1)
    p.add_argument("--seeds", type=int, default=None)
    p.add_argument("--eval-size", type=int, default=None)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--lr-search", choices=["coarse-fine", "grid"], default=None)
    p.add_argument("--json", default=None)
    a = p.parse_args(argv)
    cfg = full_config(a.dataset, cpu=True)
    ds = load_dataset(a.dataset)
    opt = certified_optimum(ds, l2=cfg.l2)  # the figure's objective (MNIST: λ = 1e-3, see DEFAULT_L2)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    res = run_column(ds, opt, a.B, a.K, cfg.lrs, seeds=a.seeds or cfg.seeds,
                     max_steps=a.max_steps or cfg.max_steps, eval_size=a.eval_size or cfg.eval_size,
                     window=cfg.window, tol=cfg.tol, lr_search=a.lr_search or cfg.lr_search,
                     coarse_stride=cfg.coarse_stride, device="cpu", dtype=cfg.dtype)
    dt = time.perf_counter() - t0
    out = {
        "dataset": a.dataset, "l2": cfg.l2, "B": a.B, "K": a.K, "seeds": a.seeds or cfg.seeds,
        "eval_size": a.eval_size or cfg.eval_size, "lr_search": a.lr_search or cfg.lr_search,
        "lr_grid_points": len(cfg.lrs), "seconds": dt, "steps_run": res["steps_run"],
        "ms_per_step": 1000 * dt / max(res["steps_run"], 1),
        "tuned_lr": res["tuned_lr"], "KT_mean": res["KT_mean"], "BT_mean": res["BT_mean"],
        "subsample_error": res["subsample_error"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_after_load_mb": rss0,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_avg_1min": os.getloadavg()[0]},
    }
    print(json.dumps(out, indent=2))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return out


if __name__ == "__main__":
    main()
