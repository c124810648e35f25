"""Benchmark the batched runner: throughput, fraction of the memory-bandwidth bound, peak memory.

    .venv/bin/python benchmarks/bench_runner.py [--quick] [--json PATH] [--no-memory]

Throughput is counted in *echoed inner steps × examples × dimension per second*: a run
with (B, K, T) in dimension n does K·T inner steps on batches of B examples, i.e. K·T·B·n
units.  Each inner step of the least-squares kernel reads its batch X (B × n) twice (X w,
then Xᵀ r), so once X does not fit in cache the memory-bandwidth bound is

    units/s ≤ bandwidth / (2 · itemsize)

The bandwidth is measured in this script (a large NumPy copy and a STREAM-like triad;
the better of the two).  Configurations:

* ``stream``: X far larger than the last-level cache (the bandwidth-bound case);
* ``cache``: a small grid whose batches stay in cache (per-step overhead and compute);
* ``fresh``: K = 1, a fresh batch every step (the data pipeline is the bottleneck: each
  batch is generated on the device by the counter-based hash).

Peak memory: the peak resident set size of a fresh process running ``run_rates`` on the
default grid (each method) and on the ``large`` preset, next to the RSS of the process
after imports.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from boundcheck.experiments import runner as rn  # noqa: E402
from boundcheck.core.problems import LinearRegression  # noqa: E402


def bandwidth(nbytes: float = 2**28, reps: int = 5) -> dict:
    """Memory bandwidth in GB/s: best of copy (16 B/elem) and triad a = b + s·c (40 B/elem as written)."""
    n = int(nbytes // 8)
    a, b, c = np.ones(n), np.ones(n), np.ones(n)
    best_copy = best_triad = 0.0
    for _ in range(reps):
        t = time.perf_counter()
        np.copyto(a, b)
        best_copy = max(best_copy, 16 * n / (time.perf_counter() - t))
        t = time.perf_counter()
        np.multiply(c, 1.5, out=a)  # read c, write a
        np.add(a, b, out=a)          # read a, b, write a
        best_triad = max(best_triad, 40 * n / (time.perf_counter() - t))
    return {"copy_GBps": best_copy / 1e9, "triad_GBps": best_triad / 1e9,
            "bound_GBps": max(best_copy, best_triad) / 1e9, "array_MB": 8 * n / 2**20}


CONFIGS = {
    #          n   R    B     K   T
    "stream": (64, 128, 2048, 16, 2),
    "cache":  (24, 256, 64,   16, 8),
    "fresh":  (24, 128, 1024, 1,  16),
}
QUICK = {"stream": (64, 64, 2048, 8, 2), "cache": (24, 128, 64, 8, 4), "fresh": (24, 64, 1024, 1, 8)}


def throughput(config: tuple, backend: str, device: str, dtype: str, repeats: int = 2) -> dict:
    n, R, B, K, T = config
    prob = LinearRegression.make(n=n, condition=100.0, noise=0.1, seed=0)
    best = None
    for _ in range(repeats):
        r = rn.run_batch(prob, "gd", B=B, K=K, T=T, eta=0.5 / float(np.sum(prob.sigma)), seed=np.arange(R),
                         backend=backend, device=device, dtype=dtype)
        if best is None or r.seconds < best.seconds:
            best = r
    itemsize = 8 if dtype == "float64" else 4
    return {"units_per_s": best.work / best.seconds, "seconds": best.seconds, "work": best.work,
            "X_MB": R * B * n * itemsize / 2**20, "bytes_per_unit": 2 * itemsize}


def peak_rss(args: list[str]) -> dict:
    """Peak RSS (MiB) of a fresh process running run_rates(*args), and its RSS after imports."""
    # VmHWM (the peak RSS of this process image, KiB) rather than ru_maxrss, which Linux carries
    # over from the parent across fork/exec.
    code = (
        "import resource, time\n"
        "def hwm():\n"
        "    try:\n"
        "        for line in open('/proc/self/status'):\n"
        "            if line.startswith('VmHWM:'):\n"
        "                return int(line.split()[1])\n"
        "    except OSError:\n"
        "        pass\n"
        "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "from boundcheck import _rates\n"
        "r0 = hwm()\n"
        "t = time.perf_counter()\n"
        f"res = _rates.run_rates({args[0]!r}, {args[1]!r}, seeds={int(args[2])})\n"
        "dt = time.perf_counter() - t\n"
        "print(r0, hwm(), dt, res['runtime']['work'], len(res['violations']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(HERE)).stdout.split()
    r0, r1, dt, work, nviol = int(out[0]), int(out[1]), float(out[2]), float(out[3]), int(out[4])
    return {"method": args[0], "grid": args[1], "seeds": int(args[2]), "rss_after_import_MiB": r0 / 1024,
            "peak_rss_MiB": r1 / 1024, "seconds": dt, "work": work, "violations": nviol}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller configurations")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="torch intra-op threads (default 1: on a shared machine more threads spin and lose)")
    args = ap.parse_args()

    bw = bandwidth(2**26 if args.quick else 2**28)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"bandwidth: copy {bw['copy_GBps']:.1f} GB/s, triad {bw['triad_GBps']:.1f} GB/s "
          f"(bound used: {bw['bound_GBps']:.1f} GB/s)")
    mem = []
    if not args.no_memory:
        jobs = [("gd", "default", 16), ("prox", "default", 16), ("agd", "default", 16)]
        if not args.quick:
            jobs.append(("gd", "large", 16))
        for job in jobs:
            m = peak_rss(list(job))
            mem.append(m)
            print(f"memory: rates --method {m['method']} --grid {m['grid']} --seeds {m['seeds']}: peak RSS "
                  f"{m['peak_rss_MiB']:.0f} MiB (after imports {m['rss_after_import_MiB']:.0f} MiB), "
                  f"{m['seconds']:.1f} s, violations {m['violations']}", flush=True)
    backends = [("numpy", "cpu")]
    if rn.torch_available():
        import torch
        torch.set_num_threads(args.torch_threads)
        backends.append(("torch", "cpu"))
        if rn.cuda_available():
            backends.append(("torch", "cuda"))
    rows = []
    configs = QUICK if args.quick else CONFIGS
    for name, cfg in configs.items():
        for be, dev in backends:
            for dtype in ("float64", "float32"):
                r = throughput(cfg, be, dev, dtype)
                bound = bw["bound_GBps"] * 1e9 / r["bytes_per_unit"]
                r.update(config=name, n=cfg[0], R=cfg[1], B=cfg[2], K=cfg[3], T=cfg[4], backend=be, device=dev,
                         dtype=dtype, torch_threads=args.torch_threads if be == "torch" else None,
                         bound_units_per_s=bound, fraction_of_bound=r["units_per_s"] / bound)
                rows.append(r)
                print(f"{name:6s} n={cfg[0]:3d} R={cfg[1]:4d} B={cfg[2]:5d} K={cfg[3]:3d} T={cfg[4]:3d} "
                      f"X={r['X_MB']:7.1f} MiB  {be}-{dev} {dtype}: {r['units_per_s'] / 1e9:6.3f} G units/s "
                      f"= {100 * r['fraction_of_bound']:5.1f}% of the bandwidth bound "
                      f"({bound / 1e9:.2f} G units/s)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"bandwidth": bw, "throughput": rows, "memory": mem}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
