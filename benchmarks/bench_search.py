"""Search-engine benchmarks: throughput, time to a tight bound, time to counterexample.

    .venv/bin/python benchmarks/bench_search.py            # all three, ~3–5 min on 2 cores
    .venv/bin/python benchmarks/bench_search.py --part a   # one part (a, b or c)

(a) candidates per second of ``statement.run`` on C = 64 … 1024 candidates per call (the
    vectorised array program the engine uses) against a plain per-instance Python loop
    (C = 1 per call) over the same instances of the same structures, for lemma6, lemma5
    and theorem7_corrected.  Target: ≥ 100× at C = 1024.
(b) time for ``search`` (default trials) to reach 0.99 of an attained bound (a counterexample
    to the bound × 0.99, confirmed in high precision), for every seed 0–19, for lemma6, lemma9,
    lemma12 and lemma5.  Target: ≤ 5 s for every seed.
(c) evaluations and time to counterexample for every weakened bound of the power set
    (tests/test_power.py::WEAKENINGS), over seeds.
(d) the cost of one evaluation inside the search: a mutation round (perturb + project) and an
    evaluation on a large quadratic structure, and search --scale 0.98 on lemma9 for seeds
    0–9, against the figures measured on the engine before the statement language (commit
    36a9128, same machine): there the projection of quadratic Hessians (an eigendecomposition
    per example per candidate) cost 69.5 ms per candidate at n = 49 and seeds 5 and 7 missed
    the counterexample at 23.6 and 35.8 ms per evaluation.

Readable tables on stdout; JSON in benchmarks/results/search.json (parts not run keep
their previous results).  Timings depend on the load of the machine: the JSON records
the load average next to the figures.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from boundcheck.outputs.common import format_table, write_json_atomic  # noqa: E402
from boundcheck.engine.search import search  # noqa: E402
from boundcheck.paper import get_statement  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "search.json"
C_VALUES = (64, 128, 256, 512, 1024)


def _load_power_set():
    spec = importlib.util.spec_from_file_location("boundcheck_power_set", ROOT / "tests" / "test_power.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod


def _take(params: dict, sl) -> dict:
    return {k: v[sl] for k, v in params.items()}


def _timed_runs(st, struct, params, min_time: float) -> float:
    """Seconds per call of st.run(struct, params), repeated for at least min_time."""
    reps, t0 = 0, time.perf_counter()
    while True:
        with np.errstate(all="ignore"):
            st.run(struct, params)
        reps += 1
        el = time.perf_counter() - t0
        if el >= min_time:
            return el / reps


# ----------------------------------------------------------------------------- (a)
def part_a(ids=("lemma6", "lemma5", "theorem7_corrected"), structures: int = 5, loop_n: int = 64,
           min_time: float = 0.3) -> dict:
    out = {}
    for sid in ids:
        st = get_statement(sid)
        rows = []
        tot_vec = {C: 0.0 for C in C_VALUES}  # seconds for C candidates, summed over structures
        tot_loop = 0.0                         # seconds per candidate in the loop, summed
        for s in range(structures):
            struct, params = st.sample(np.random.default_rng(1000 + s), max(C_VALUES))
            per_call = {C: _timed_runs(st, struct, _take(params, slice(0, C)), min_time) for C in C_VALUES}
            t0 = time.perf_counter()
            for j in range(loop_n):  # the plain loop: one instance per call, same instances
                with np.errstate(all="ignore"):
                    st.run(struct, _take(params, slice(j, j + 1)))
            loop_per_cand = (time.perf_counter() - t0) / loop_n
            for C in C_VALUES:
                tot_vec[C] += per_call[C]
            tot_loop += loop_per_cand
            rows.append({"structure": {k: v for k, v in struct.items()},
                         "loop_cand_per_s": 1 / loop_per_cand,
                         "vec_cand_per_s": {C: C / per_call[C] for C in C_VALUES},
                         "speedup": {C: (C / per_call[C]) * loop_per_cand for C in C_VALUES}})
        # aggregate over structures: the same candidates for both modes, total time each
        agg_loop = structures / tot_loop
        agg = {C: structures * C / tot_vec[C] for C in C_VALUES}
        out[sid] = {"per_structure": rows, "loop_cand_per_s": agg_loop, "vec_cand_per_s": agg,
                    "speedup": {C: agg[C] / agg_loop for C in C_VALUES}}
        print(f"\n(a) {sid}: candidates per second (aggregate over {structures} random structures; "
              f"loop = C = 1 per call)")
        hdr = ["structure", "loop"] + [f"C={C}" for C in C_VALUES] + ["speedup@1024"]
        tab = [(", ".join(f"{k}={v}" for k, v in r["structure"].items()), r["loop_cand_per_s"],
                *[r["vec_cand_per_s"][C] for C in C_VALUES], r["speedup"][1024]) for r in rows]
        tab.append(("all (aggregate)", agg_loop, *[agg[C] for C in C_VALUES], agg[1024] / agg_loop))
        print(format_table(hdr, tab))
    return out


# ----------------------------------------------------------------------------- (b)
def part_b(ids=("lemma6", "lemma9", "lemma12", "lemma5"), seeds=tuple(range(20))) -> dict:
    out = {}
    rows = []
    for sid in ids:
        st = get_statement(sid)
        times, evals = [], []
        for seed in seeds:
            t0 = time.perf_counter()
            r = search(st, seed=seed, scale=0.99, shrink=False)
            times.append(time.perf_counter() - t0 if r.found else float("inf"))
            evals.append(r.evaluations_to_found)
        out[sid] = {"seconds": times, "evaluations": evals, "max": max(times), "target_s": 5.0}
        rows.append((sid, statistics.median(times), max(times), max(e or 0 for e in evals),
                     "yes" if max(times) <= 5.0 else "NO"))
    print("\n(b) time to reach 0.99 of the attained bound (search --scale 0.99, confirmed in high precision), "
          f"seeds 0–{len(seeds) - 1}")
    print(format_table(["statement", "median s", "max s", "max evaluations", "≤ 5 s every seed"], rows))
    return out


# ----------------------------------------------------------------------------- (c)
def part_c(seeds=(0, 1, 2)) -> dict:
    pw = _load_power_set()
    out = {}
    rows = []
    for w in pw.WEAKENINGS:
        times, found, evals = [], [], []
        for seed in seeds:
            t0 = time.perf_counter()
            f, etf, _ = pw.evaluations_to_counterexample(w, seed=seed)
            found.append(f)
            times.append(time.perf_counter() - t0 if f else float("inf"))
            evals.append(etf)
        out[w.name] = {"statement": w.sid, "kind": w.kind, "change": w.how, "refuted": found, "seconds": times,
                       "evaluations": evals}
        rows.append((w.name, w.kind, w.how, f"{sum(found)}/{len(found)}", max(e or 0 for e in evals), max(times)))
    print(f"\n(c) evaluations to counterexample, weakened bounds of the power set ({len(seeds)} seeds, "
          f"{pw.TRIALS} trials)")
    print(format_table(["weakening", "kind", "change", "refuted", "max evaluations", "max s"], rows))
    return out


BEFORE_36A9128 = {"mutate_project_ms_per_candidate_quadratic_n49": 69.52, "evaluate_ms_per_candidate_quadratic_n49": 2.73,
                  "lemma9_scale0.98_ms_per_evaluation_seed5": 23.62, "lemma9_scale0.98_ms_per_evaluation_seed7": 35.82,
                  "lemma9_scale0.98_found_seeds_0_9": 8}


def part_d() -> dict:
    from boundcheck.engine.search import _Search
    st = get_statement("lemma9")
    rng = np.random.default_rng(0)
    while True:
        s, p = st.sample(rng, 64, "quadratic")
        if s["n"] >= 30:
            break
    S = _Search(st, trials=10, budget=None, seed=0, scale=1.0, family=None, candidates=64, stop_on_found=True,
                progress=None, do_shrink=False, relax=(), max_rechecks=None)
    e = {k: v[0] for k, v in p.items()}
    t0 = time.perf_counter()
    q = S._mutate(e, 64, s)
    tm = time.perf_counter() - t0
    t0 = time.perf_counter()
    st.evaluate(s, q)
    te = time.perf_counter() - t0
    seeds = []
    for seed in range(10):
        t0 = time.perf_counter()
        r = search(st, seed=seed, scale=0.98)
        dt = time.perf_counter() - t0
        seeds.append({"seed": seed, "found": r.found, "evaluations": r.evaluations, "ms_per_evaluation": 1e3 * dt / r.evaluations})
    out = {"structure": s, "mutate_project_ms_per_candidate": 1e3 * tm / 64, "evaluate_ms_per_candidate": 1e3 * te / 64,
           "lemma9_scale0.98": seeds, "before_commit_36a9128": BEFORE_36A9128}
    print("\n(d) cost per evaluation: mutation + projection and evaluation (quadratic, n = %d), lemma9 × 0.98" % s["n"])
    print(format_table(["", "now", "before (36a9128)"], [
        ("mutate + project, ms per candidate", out["mutate_project_ms_per_candidate"], 69.52),
        ("evaluate, ms per candidate", out["evaluate_ms_per_candidate"], 2.73),
        ("lemma9 × 0.98: seeds 0–9 found", sum(x["found"] for x in seeds), 8),
        ("lemma9 × 0.98: worst ms per evaluation", max(x["ms_per_evaluation"] for x in seeds), 35.82)]))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", action="append", choices=["a", "b", "c", "d"], help="run only these parts")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    parts = args.part or ["a", "b", "c", "d"]
    path = Path(args.out)
    results = json.loads(path.read_text()) if path.exists() else {}
    results["machine"] = {"cpus": os.cpu_count(), "load_average_before": os.getloadavg(),
                          "python": platform.python_version(), "numpy": np.__version__,
                          "platform": platform.platform()}
    t0 = time.monotonic()
    if "a" in parts:
        results["throughput"] = part_a()
    if "b" in parts:
        results["time_to_0.99"] = part_b()
    if "c" in parts:
        results["time_to_counterexample"] = part_c()
    if "d" in parts:
        results["evaluation_cost"] = part_d()
    results["machine"]["load_average_after"] = os.getloadavg()
    results["machine"]["seconds"] = time.monotonic() - t0
    write_json_atomic(path, results)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
