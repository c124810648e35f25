"""Issue 18 (kept libraries): what changed in the results when hand-written code gave way to a library.

    .venv/bin/python benchmarks/bench_kept_libraries.py             # both parts, ~1 min on 2 cores
    .venv/bin/python benchmarks/bench_kept_libraries.py --part ci   # one part (ci or libsvm)

(ci)     Exponent intervals of ``boundcheck rates`` (default grid, 16 seeds, gd/prox/agd): the
         hand-written seed-joint percentile bootstrap that ``fit_exponent`` used before commit
         af3f6b4 (copied below, unchanged) against ``scipy.stats.bootstrap`` with the same joint
         resampling, as percentile and as BCa (what ``fit_exponent`` returns now).
(libsvm) CoverType's LIBSVM file (../shared/data/covtype/covtype.libsvm.binary.scale.bz2): the
         hand-written ``parse_libsvm`` of commit 205ef52^ (copied below, unchanged; fed the
         decompressed bytes, as the old loader did) against ``data.read_libsvm``
         (``sklearn.datasets.load_svmlight_file``) on the same file: time and equality.

Readable lines on stdout; JSON in benchmarks/results/kept_libraries.json (parts not run keep
their previous results).  Timings depend on the load of the machine: the JSON records it.
"""
from __future__ import annotations

import argparse
import bz2
import io
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "kept_libraries.json"
COVTYPE = ROOT.parent / "shared" / "data" / "covtype" / "covtype.libsvm.binary.scale.bz2"


def old_fit_interval(x, G, n_boot: int = 2000, seed: int = 0):
    """The hand-written interval of ``fit_exponent`` before af3f6b4 (percentile, seeds resampled jointly)."""
    x = np.asarray(x, dtype=float)
    G = np.asarray(G, dtype=float)
    m = G.mean(axis=1)
    if len(x) < 2 or not np.all(np.isfinite(m)) or np.any(m <= 0):
        return None
    lx = np.log(x) - np.log(x).mean()
    rng = np.random.default_rng(seed)
    N = G.shape[1]
    idx = rng.integers(0, N, size=(n_boot, N))
    M = G[:, idx].mean(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sl = lx @ np.log(M) / (lx @ lx)
    sl = sl[np.isfinite(sl)]
    return [float(np.percentile(sl, 2.5)), float(np.percentile(sl, 97.5))] if sl.size else None


def old_parse_libsvm(raw: bytes, n_features: int):
    """The hand-written LIBSVM parser before 205ef52 (errors reduced to ValueError)."""
    if not raw.endswith(b"\n"):
        raw = raw + b"\n"
    b = np.frombuffer(raw, np.uint8)
    nl = np.flatnonzero(b == 10)
    colon = np.flatnonzero(b == 58)
    counts = np.bincount(np.searchsorted(nl, colon), minlength=len(nl))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        vals = np.fromstring(raw.replace(b":", b" "), dtype=np.float64, sep=" ")  # noqa: NPY201
    n = len(nl)
    per = 1 + 2 * counts
    if vals.size != int(per.sum()):
        raise ValueError("malformed LIBSVM text")
    starts = np.concatenate([[0], np.cumsum(per)[:-1]])
    labels = vals[starts]
    mask = np.ones(vals.size, bool)
    mask[starts] = False
    pairs = vals[mask].reshape(-1, 2)
    idx = pairs[:, 0].astype(np.int64)
    X = np.zeros((n, n_features))
    X[np.repeat(np.arange(n), counts), idx - 1] = pairs[:, 1]
    return X, labels


def part_ci() -> dict:
    from boundcheck.experiments.rates import fits, measure
    out: dict = {}
    for method in ("gd", "prox", "agd"):
        rows: list = []
        orig = fits.fit_exponent

        def wrapped(xs, G, **kw):
            new = orig(xs, G, **kw)
            perc = orig(xs, G, method="percentile")
            rows.append({"x": [float(v) for v in xs], "slope": new["slope"], "hand_written": old_fit_interval(xs, G),
                         "scipy_percentile": [perc["lo"], perc["hi"]], "scipy_BCa": [new["lo"], new["hi"]]})
            return new

        measure.fit_exponent = wrapped
        try:
            res = measure.run_rates(method, "default", seeds=16)
        finally:
            measure.fit_exponent = orig
        for e, r in zip(res["exponents"], rows):
            r.update(axis=e["axis"], regime=e["regime"], where=e["where"])
            h, b = r["hand_written"], r["scipy_BCa"]
            r["max_endpoint_change"] = max(abs(h[0] - b[0]), abs(h[1] - b[1])) if h and None not in b else None
            print(f"{method:4s} {e['axis']} {e['regime']:9s} slope {r['slope']:+.4f}  hand [{h[0]:+.4f}, {h[1]:+.4f}]"
                  f"  BCa [{b[0]:+.4f}, {b[1]:+.4f}]", flush=True)
        out[method] = rows
    changes = [r["max_endpoint_change"] for rows in out.values() for r in rows if r["max_endpoint_change"] is not None]
    out["max_endpoint_change"] = max(changes)
    print(f"largest change of an interval endpoint (hand-written percentile → BCa): {out['max_endpoint_change']:.4f}")
    return out


def part_libsvm() -> dict:
    from boundcheck.experiments.data import read_libsvm
    reps = []
    for _ in range(2):
        t0 = time.perf_counter()
        raw = bz2.decompress(COVTYPE.read_bytes())
        t1 = time.perf_counter()
        Xo, yo = old_parse_libsvm(raw, 54)
        t2 = time.perf_counter()
        Xn, yn = read_libsvm(str(COVTYPE), 54)
        t3 = time.perf_counter()
        read_libsvm(io.BytesIO(raw), 54)
        t4 = time.perf_counter()
        reps.append({"decompress_s": t1 - t0, "old_parse_s": t2 - t1, "old_total_s": t2 - t0,
                     "new_from_bz2_path_s": t3 - t2, "new_from_bytes_s": t4 - t3})
        print("decompress {decompress_s:.2f} s + hand-written parse {old_parse_s:.2f} s = {old_total_s:.2f} s;"
              " read_libsvm(.bz2 path) {new_from_bz2_path_s:.2f} s; read_libsvm(bytes) {new_from_bytes_s:.2f} s"
              .format(**reps[-1]), flush=True)
    same = bool(np.array_equal(Xo, Xn) and np.array_equal(yo, yn))
    print(f"identical arrays: {same} {Xn.shape}")
    return {"file": COVTYPE.name, "shape": list(Xn.shape), "identical": same, "runs": reps}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", action="append", choices=["ci", "libsvm"], help="run only these parts")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    parts = args.part or ["ci", "libsvm"]
    path = Path(args.out)
    results = json.loads(path.read_text()) if path.exists() else {}
    machine = {"cpus": os.cpu_count(), "load_average_before": os.getloadavg(), "python": platform.python_version(),
               "numpy": np.__version__, "platform": platform.platform()}
    t0 = time.monotonic()
    if "ci" in parts:
        results["intervals"] = part_ci()
    if "libsvm" in parts:
        if COVTYPE.exists():
            results["libsvm"] = part_libsvm()
        else:
            print(f"skipped libsvm: {COVTYPE} not found")
    machine["load_average_after"] = os.getloadavg()
    machine["seconds"] = time.monotonic() - t0
    results["machine"] = machine
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
