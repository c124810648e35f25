"""Independent search restarts: the unit of work ``search`` spreads over a Dask cluster.

With R ≥ 2 restarts, restart i searches with seed ``derived_seed(seed, i)`` (NumPy's ``SeedSequence(seed).spawn``:
restart i's seed depends on the main seed and i only, not on how many restarts there are) and
its share of the trials (``trials // R``, one more for the first ``trials % R``).  The merged
result takes everything up to and including the **first restart, in order, that found a
counterexample** (its counterexample is the result's); restarts after it are not counted —
in this process they are not even run.  So the result is a function of (seed, trials, R)
only: the same in-process and on any number of workers.  One restart is the plain search.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from boundcheck.engine.search import SearchResult, search
from boundcheck.lang.modules import load_statement_files
from boundcheck.paper import get_statement

__all__ = ["derived_seed", "split_trials", "search_restarts", "merge"]

MAX_RESTARTS = 4096


def derived_seed(seed: int, i: int) -> int:
    """Restart i's seed (a 32-bit integer) from the main seed."""
    return int(np.random.SeedSequence(int(seed)).spawn(i + 1)[i].generate_state(1)[0])


def split_trials(trials: int, restarts: int) -> list[int]:
    q, r = divmod(int(trials), int(restarts))
    return [q + (i < r) for i in range(restarts)]


def _restart_unit(unit: tuple, opts: dict) -> SearchResult:
    """One restart, on whichever process runs it (a Dask unit)."""
    seed, trials = unit
    load_statement_files(opts["modules"])
    st = get_statement(opts["statement"])
    return search(st, trials=trials, seed=seed, **opts["search"])


def search_restarts(st: Any, restarts: int, *, trials: int | None = None, seed: int = 0, scheduler: Any = None,
                    modules: Sequence[str] = (), budget: float | None = None,
                    progress: Callable[[float, str], None] | None = None, **kw: Any) -> SearchResult:
    """``restarts`` independent searches of ``st`` (keyword arguments as :func:`search`), merged.

    ``scheduler``: a :mod:`boundcheck.parallel` scheduler (default: this process, one restart after
    the other, stopping after the first that finds a counterexample); ``modules``: the user's
    statement files ``st`` comes from (Dask workers import them)."""
    if isinstance(restarts, bool) or not isinstance(restarts, int) or not 1 <= restarts <= MAX_RESTARTS:
        raise ValueError(f"restarts must be an integer in 1..{MAX_RESTARTS}, got {restarts!r}")
    trials = int(st.default_trials if trials is None else trials)
    if trials < restarts:
        raise ValueError(f"{trials} trials cannot be split into {restarts} restarts (at least one trial each)")
    seeds = [int(seed)] if restarts == 1 else [derived_seed(seed, i) for i in range(restarts)]  # 1: the plain search
    units = list(zip(seeds, split_trials(trials, restarts)))
    workers = 1 if scheduler is None else max(1, scheduler.workers)
    cap = None if budget is None else budget * min(workers, restarts) / restarts  # a cap, never reproducible
    if scheduler is None or scheduler.kind == "in-process":
        results: list[SearchResult] = []
        done = 0
        for k, (s, t) in enumerate(units):
            prog = (lambda d, note, base=done, k=k: progress(base + d, f"restart {k + 1}/{restarts}: {note}")) \
                if progress else None
            r = search(st, trials=t, seed=s, budget=cap, progress=prog, **kw)
            results.append(r)
            done += t
            if r.found:
                break
        return merge(results, seed=seed)
    opts = {"statement": st.id, "modules": [str(m) for m in modules], "search": {**kw, "budget": cap}}
    done_t = [0]

    def finished(k: int, r: SearchResult) -> None:
        done_t[0] += units[k][1]
        if progress:
            progress(done_t[0], f"restart {k + 1}/{restarts}: {'found' if r.found else 'done'}")
    results = scheduler.map(_restart_unit, units, args=(opts,), on_result=finished,
                            describe=lambda u: f"restart with seed {u[0]}", label="search")
    first = next((k for k, r in enumerate(results) if r.found), len(results) - 1)
    return merge(results[:first + 1], seed=seed)


def merge(results: Sequence[SearchResult], *, seed: int) -> SearchResult:
    """One SearchResult from restarts in order (the last may be the one that found)."""
    m = SearchResult(results[0].statement, results[0].scale, seed=seed, fingerprint=results[0].fingerprint)
    for r in results:
        for k in ("trials", "evaluations", "dropped", "ties", "unchecked", "rechecks", "trials_budget"):
            setattr(m, k, getattr(m, k) + getattr(r, k))
        m.seconds += r.seconds
        for name in ("inadmissible", "would_refute_without"):
            tgt = getattr(m, name)
            for h, c in getattr(r, name).items():
                tgt[h] = tgt.get(h, 0) + c
        for K, v in r.ratio_by_K.items():
            m.ratio_by_K[K] = max(m.ratio_by_K.get(K, -math.inf), v)
        if r.best_ratio > m.best_ratio:
            m.best_ratio, m.best_instance = r.best_ratio, r.best_instance
        m.smallest_slack = min(m.smallest_slack, r.smallest_slack)
        m.worst_excess = max(m.worst_excess, r.worst_excess)
        m.ratios.extend(r.ratios[:max(0, 2000 - len(m.ratios))])
    last = results[-1]
    if last.found:
        before = sum(r.evaluations for r in results[:-1])
        m.found, m.counterexample, m.reused = True, last.counterexample, last.reused
        m.evaluations_to_found = None if last.evaluations_to_found is None else before + last.evaluations_to_found
    m.stopped_by = "found" if m.found else ("time" if any(r.stopped_by == "time" for r in results) else "trials")
    m.method = f"{results[0].method}; {len(results)} restart(s) with derived seeds"
    return m
