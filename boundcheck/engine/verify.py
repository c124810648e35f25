"""``verify``: settle every registered statement with the one search engine.

Status of a statement:
* ``verified`` — the engine evaluated its count budget of instances (trials, worst ratio and
  smallest slack recorded) and no counterexample survived the high-precision re-check;
* ``refuted`` — a counterexample survived (saved as JSON, replayable), or for a big-O
  statement a family of instances along which the ratio grows without bound;
* ``unresolved`` — anything else (too few admissible trials, float violations left
  un-re-checked, a big-O family that does not grow).  Never reported as verified.

Budgets are counts: ``trials`` instances per statement (default: the statement's
``default_trials``), so the same seed and trials give the same records on any machine.
``budget`` (seconds, for the whole run) is only a cap; a statement it stops says so.

On a Dask scheduler (``scheduler=``) the units are the statements, then the diagnoses of the
refuted ones: each unit calls the same ``verify_statement`` / ``diagnose`` with the same seed
and trials as the in-process loop, so the records are the same (timings aside).  Workers
import the user's statement files (``modules``) themselves.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from boundcheck.engine.database import ExampleDatabase
from boundcheck.engine.diagnosis import diagnose
from boundcheck.engine.replay import family_grows, save_counterexample
from boundcheck.engine.search import SearchResult, search
from boundcheck.lang.declaration import Statement
from boundcheck.lang.modules import load_statement_files
from boundcheck.outputs import files
from boundcheck.paper import REGISTRY, get_statement, statement_ids

log = logging.getLogger("boundcheck")

__all__ = ["Record", "verify_statement", "verify", "exit_code", "PAPER_ORDER", "MIN_TRIALS", "default_trials"]

MIN_TRIALS = 200
PAPER_ORDER = ["theorem2", "theorem4", "lemma5", "lemma6", "theorem7", "lemma8", "lemma9", "theorem10",
               "lemma11", "lemma12", "theorem13", "table2"]


@dataclass
class Record:
    id: str
    status: str
    trials: int
    worst_ratio: float | None
    smallest_slack: float | None
    counterexample: str | None
    corrected_by: str | None
    corrects: str | None = None
    correction: str | None = None
    expectation: str = "none"
    check: str = ""
    seconds: float = 0.0
    evaluations: int = 0
    dropped: int = 0
    inadmissible: dict = field(default_factory=dict)
    family_growth: list | None = None
    ratio_by_K: dict = field(default_factory=dict)
    ratios_sample: list = field(default_factory=list)
    note: str = ""
    ties: int = 0
    unchecked: int = 0
    stopped_by: str = "trials"
    trials_budget: int = 0
    fingerprint: str = ""
    reused: str | None = None
    would_refute_without: dict = field(default_factory=dict)
    diagnosis: dict | None = None  # a refuted statement's minimal sets of corrections (engine.diagnosis)
    extra: dict = field(default_factory=dict)  # blocks added by later stages (certificates)

    def as_dict(self, timings: bool = True) -> dict:
        d = dict(self.__dict__)
        if not timings:
            d.pop("seconds")
        return d


def default_trials(st: Statement) -> int:
    return int(st.default_trials)


def _big_o_family_record(st: Statement, out_dir: Path | None) -> Record:
    """Refute a big-O statement only by a family along which the ratio grows without bound."""
    t0 = time.monotonic()
    growth = {}
    grows = True
    for cval in (0.01, 1.0, 100.0):
        fam = st.big_o_family(cval, 8, exact=True)
        growth[str(cval)] = fam
        grows &= family_grows(fam)
    path = None
    if grows and out_dir is not None:
        path = str(out_dir / f"{st.id}.family.json")
        files.write(path, "family", {"statement": st.id, "fingerprint": st.fingerprint(),
                                     "family": (st.big_o_family.__doc__ or "").strip(), "members": growth})
    flat = growth["1.0"]
    return Record(st.id, "refuted" if grows else "unresolved", sum(len(v) for v in growth.values()),
                  max(m["ratio"] for m in flat), None, path, st.corrected_by, st.corrects, st.correction,
                  st.expectation, "big-O: family of instances, ratios in mpmath for Θ-constants c ∈ {0.01, 1, 100}",
                  time.monotonic() - t0, family_growth=[{"B": m["B"], "ratio": m["ratio"]} for m in flat],
                  note="ratio grows without bound along the family" if grows else "family did not grow",
                  fingerprint=st.fingerprint(), stopped_by="family")


def _record(st: Statement, r: SearchResult, path: str | None) -> Record:
    if r.found:
        status = "refuted"
    elif r.unchecked:
        status = "unresolved"  # float violations exist that were not re-checked: cannot say verified
    elif r.trials >= MIN_TRIALS:
        status = "verified"
    else:
        status = "unresolved"
    worst = r.best_ratio if math.isfinite(r.best_ratio) else None
    slack = r.smallest_slack if math.isfinite(r.smallest_slack) else None
    if r.found:  # a refuted statement's figures are those of its (shrunk, re-checked) counterexample
        worst = r.counterexample["check"].get("ratio")  # None when RHS ≤ 0 there (LHS > RHS still)
        slack = None if worst is None else 1 - worst
    how = {"exact": "exact expectation (finite support, enumerated)", "none": "deterministic"}[st.expectation]
    note = ""
    if status == "unresolved":
        note = (f"{r.unchecked} float64 violation(s) not re-checked within the re-check budget" if r.unchecked
                else f"only {r.trials} admissible trials")
    if r.stopped_by == "time":
        note = (note + "; " if note else "") + f"stopped by the time cap after {r.evaluations} of {r.trials_budget} trials"
    if r.reused:
        note = (note + "; " if note else "") + f"saved counterexample {r.reused} re-checked first: still one"
    return Record(st.id, status, r.trials, worst, slack, path, st.corrected_by, st.corrects, st.correction,
                  st.expectation, f"search ({how}); float64 + mpmath re-check", r.seconds, r.evaluations, r.dropped,
                  r.inadmissible, None, {int(k): v for k, v in r.ratio_by_K.items()}, r.ratios[:500], note=note,
                  ties=r.ties, unchecked=r.unchecked, stopped_by=r.stopped_by, trials_budget=r.trials_budget,
                  fingerprint=r.fingerprint, reused=r.reused, would_refute_without=dict(r.would_refute_without))


def verify_statement(st: Statement, *, trials: int | None = None, budget: float | None = None, seed: int = 0,
                     out_dir: Path | None = None, progress: Callable[[float, str], None] | None = None,
                     reuse: bool = True) -> Record:
    """Settle one statement: a big-O family, or a count-budgeted search (saved counterexamples first)."""
    if st.big_o_family is not None and not st.checkable:
        return _big_o_family_record(st, out_dir)
    db = ExampleDatabase(out_dir) if (reuse and out_dir is not None) else None
    r = search(st, trials=trials, budget=budget, seed=seed, scale=1.0, progress=progress, database=db)
    path = None
    if r.found:
        if r.reused:
            path = r.reused
        elif out_dir is not None:
            ce = r.counterexample
            path = str(out_dir / f"{st.id}.json")
            save_counterexample(path, st, 1.0, ce["structure"], ce["params"], ce["check"], seed=seed)
    return _record(st, r, path)


def _order(ids: Iterable[str]) -> list[str]:
    ids = list(ids)

    def key(i: str) -> tuple:
        base = i.split("_")[0]
        return (PAPER_ORDER.index(base) if base in PAPER_ORDER else len(PAPER_ORDER), i != base, i)
    return sorted(ids, key=key)


def select(ids: Iterable[str] | None) -> list[str]:
    """The statements a run settles: all, or ``ids`` plus their printed/corrected partners."""
    if ids is None:
        return _order(statement_ids())
    chosen: list[str] = []
    for i in ids:
        st = get_statement(i)  # raises ValueError for unknown ids (and names encodings as such)
        chosen.append(i)
        for link in (st.corrected_by, st.corrects):
            if link and link not in chosen:
                chosen.append(link)
    return _order(dict.fromkeys(chosen))


def verify(ids: Iterable[str] | None = None, *, trials: int | None = None, budget: float | None = None, seed: int = 0,
           out_dir: str | Path | None = "reports/counterexamples", progress: Callable[[float, str], None] | None = None,
           reuse: bool = True, diagnosis: bool = True, on_record: Callable[[Record], None] | None = None,
           scheduler: Any = None, modules: Sequence[str] = ()) -> list[Record]:
    """Settle the registry (or ``ids``); one Record per statement.

    ``trials``: instances per statement (default each statement's own); ``budget``: an
    optional cap in seconds for the whole run.  A printed statement that is refuted pulls in
    its corrected version.  ``reuse``: re-check the saved counterexamples in ``out_dir`` first.
    ``diagnosis``: for every refuted statement with declared corrections, check every set of
    them (and every reading) and attach the minimal sets that make it hold.  ``on_record`` is
    called with each record as it is settled (a caller keeps the partial results on Ctrl-C).
    ``scheduler``: a :mod:`boundcheck.parallel` scheduler (default: this process); ``modules``:
    the user's statement files the ids come from (imported again by each Dask worker)."""
    if trials is not None and (isinstance(trials, bool) or not isinstance(trials, int) or trials < 1):
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    if budget is not None and not (isinstance(budget, (int, float)) and budget > 0 and math.isfinite(budget)):
        raise ValueError(f"budget must be a positive number of seconds, got {budget!r}")
    chosen = select(ids)
    out = Path(out_dir) if out_dir is not None else None
    if scheduler is not None and scheduler.kind != "in-process":
        return _verify_on(scheduler, chosen, trials=trials, budget=budget, seed=seed, out_dir=out, progress=progress,
                          reuse=reuse, diagnosis=diagnosis, on_record=on_record, modules=modules)
    records = []
    t0 = time.monotonic()
    done = 0
    for k, i in enumerate(chosen):
        st = REGISTRY[i]
        cap = None
        if budget is not None:
            left = [j for j in chosen[k:] if REGISTRY[j].checkable]
            cap = max((budget - (time.monotonic() - t0)) / max(len(left), 1), 0.05)
        prog = (lambda d, note, base=done, i=i: progress(base + d, f"{i}: {note}")) if progress else None
        rec = verify_statement(st, trials=trials, budget=cap, seed=seed, out_dir=out, progress=prog, reuse=reuse)
        log.info("%s: %s (%d trials, worst ratio %s)", i, rec.status, rec.trials, rec.worst_ratio)
        records.append(rec)
        if on_record is not None:
            on_record(rec)
        done += _cost(st, trials)
        if progress:
            progress(done, f"{i}: {rec.status}")
    if diagnosis:
        by = {r.id: r for r in records}
        for rec in records:
            st = REGISTRY[rec.id]
            if rec.status != "refuted" or not st.corrections:
                continue
            if progress:
                progress(done, f"{rec.id}: diagnosis")
            rec.diagnosis = diagnose(st, trials=trials, seed=seed, out_dir=out, printed_record=rec,
                                     corrected_record=by.get(st.corrected_by))
    return records


def _settle_unit(i: str, opts: dict) -> Record:
    """One statement, on whichever process runs it (a Dask unit)."""
    load_statement_files(opts["modules"])
    return verify_statement(get_statement(i), trials=opts["trials"], budget=opts["cap"], seed=opts["seed"],
                            out_dir=opts["out_dir"], reuse=opts["reuse"])


def _diagnose_unit(pair: tuple, opts: dict) -> dict:
    """One refuted statement's diagnosis (a Dask unit): its printed and corrected records reused."""
    load_statement_files(opts["modules"])
    rec, corrected = pair
    return diagnose(get_statement(rec.id), trials=opts["trials"], seed=opts["seed"], out_dir=opts["out_dir"],
                    printed_record=rec, corrected_record=corrected)


def _verify_on(sched: Any, chosen: list[str], *, trials, budget, seed, out_dir, progress, reuse, diagnosis,
               on_record, modules) -> list[Record]:
    """``verify`` with statements (then diagnoses) as units on a Dask scheduler, in registry order."""
    from boundcheck.parallel import check_relative_paths
    check_relative_paths(sched, {"--out-dir": out_dir})
    checkable = [i for i in chosen if REGISTRY[i].checkable] or chosen
    opts = {"trials": trials, "cap": None if budget is None else max(budget / len(checkable), 0.05), "seed": seed,
            "out_dir": out_dir, "reuse": reuse, "modules": [str(Path(m).resolve()) for m in modules]}
    done = [0]

    def settled(k: int, rec: Record) -> None:
        log.info("%s: %s (%d trials, worst ratio %s)", rec.id, rec.status, rec.trials, rec.worst_ratio)
        if on_record is not None:
            on_record(rec)
        done[0] += _cost(REGISTRY[rec.id], trials)
        if progress:
            progress(done[0], f"{rec.id}: {rec.status}")

    records = sched.map(_settle_unit, chosen, args=(opts,), on_result=settled, describe=str, label="verify")
    if diagnosis:
        by = {r.id: r for r in records}
        todo = [r for r in records if r.status == "refuted" and REGISTRY[r.id].corrections]
        if progress and todo:
            progress(done[0], f"diagnosis of {len(todo)} statements")
        diags = sched.map(_diagnose_unit, [(r, by.get(REGISTRY[r.id].corrected_by)) for r in todo], args=(opts,),
                          describe=lambda u: f"diagnosis of {u[0].id}", label="diagnosis")
        for r, d in zip(todo, diags):
            r.diagnosis = d
    return records


def _cost(st: Statement, trials: int | None) -> int:
    """Progress units of one statement (its trials; a family counts as one)."""
    if not st.checkable:
        return 1
    return int(trials if trials is not None else st.default_trials)


def total_units(ids: Iterable[str] | None, trials: int | None) -> int:
    return sum(_cost(REGISTRY[i], trials) for i in select(ids)) or 1


def attach_certificates(records: list[Record], cert_dir: str | Path) -> None:
    """Add each statement's saved PEP certificates, re-checked exactly, as ``extra["certified"]``
    (the "certified" column; see :func:`boundcheck.pep.grid.certificate_summary`)."""
    from boundcheck.pep.grid import certificate_summary
    for r in records:
        st = REGISTRY.get(r.id)
        if st is None:
            continue
        summ = certificate_summary(st, cert_dir)
        if summ is not None:
            r.extra["certified"] = summ


def exit_code(records: list[Record]) -> int:
    """0 if every statement is verified, or refuted with its corrected version verified; else 1."""
    by = {r.id: r for r in records}
    for r in records:
        if r.status == "verified":
            continue
        if r.status == "refuted" and r.corrected_by and by.get(r.corrected_by) and by[r.corrected_by].status == "verified":
            continue
        return 1
    return 0
