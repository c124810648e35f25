"""``verify``: settle every registered statement with the one search engine.

Status of a statement:
* ``verified`` — the engine searched its admissible instances (trials, worst ratio and
  smallest slack recorded) and no counterexample survived the high-precision re-check;
* ``refuted`` — a counterexample survived (saved as JSON, replayable), or for a big-O
  statement a family of instances along which the ratio grows without bound;
* ``unresolved`` — anything else (no numeric instantiation, too few admissible trials,
  a big-O family that does not grow).  Never reported as verified.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from boundcheck.outputs.common import write_json_atomic
from boundcheck.engine.replay import save_counterexample
from boundcheck.engine.search import SearchResult, search
from boundcheck.paper import REGISTRY, get_statement, statement_ids
from boundcheck.lang.statement import Statement

log = logging.getLogger("boundcheck")

__all__ = ["Record", "verify_statement", "verify", "exit_code", "PAPER_ORDER", "DEFAULT_BUDGET"]

#: the default budget of ``boundcheck verify`` (seconds for the whole registry)
DEFAULT_BUDGET = 50.0
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

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _big_o_family_record(st: Statement, out_dir: Path | None) -> Record:
    """Refute a big-O statement only by a family along which the ratio grows without bound."""
    t0 = time.monotonic()
    growth = {}
    grows = True
    for cval in (0.01, 1.0, 100.0):
        fam = st.big_o_family(cval, 8, exact=True)
        ratios = [m["ratio"] for m in fam]
        growth[str(cval)] = fam
        inc = all(b > a for a, b in zip(ratios, ratios[1:]))
        grows &= inc and ratios[-1] >= 10 * max(ratios[0], 1.0)
    path = None
    if grows and out_dir is not None:
        path = str(out_dir / f"{st.id}.family.json")
        write_json_atomic(path, {"format": "boundcheck-big-o-family", "statement": st.id,
                                 "family": st.big_o_family.__doc__.strip(), "members": growth})
    flat = growth["1.0"]
    return Record(st.id, "refuted" if grows else "unresolved", sum(len(v) for v in growth.values()),
                  max(m["ratio"] for m in flat), None, path, st.corrected_by, st.corrects, st.correction,
                  st.expectation, "big-O: family of instances, ratios in mpmath for Θ-constants c ∈ {0.01, 1, 100}",
                  time.monotonic() - t0, family_growth=[{"B": m["B"], "ratio": m["ratio"]} for m in flat],
                  note="ratio grows without bound along the family" if grows else "family did not grow")


def verify_statement(st: Statement, *, budget: float, seed: int = 0, out_dir: Path | None = None,
                     progress: Callable[[float, str], None] | None = None) -> Record:
    if st.big_o_family is not None and st.evaluate is None:
        return _big_o_family_record(st, out_dir)
    if st.evaluate is None:
        return Record(st.id, "unresolved", 0, None, None, None, st.corrected_by, st.corrects, st.correction,
                      st.expectation, "no numeric instantiation", note="cannot be checked numerically")
    r: SearchResult = search(st, budget=budget, seed=seed, scale=1.0, progress=progress)
    path = None
    if r.found:
        status = "refuted"
        if out_dir is not None:
            ce = r.counterexample
            path = str(out_dir / f"{st.id}.json")
            save_counterexample(path, st.id, 1.0, ce["structure"], ce["params"], ce["check"], seed=seed)
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
    how = {"exact": "exact expectation (finite support, enumerated)", "none": "deterministic",
           "monte-carlo": "Monte Carlo"}[st.expectation]
    return Record(st.id, status, r.trials, worst, slack, path, st.corrected_by, st.corrects, st.correction,
                  st.expectation, f"search ({how}); float64 + mpmath re-check", r.seconds, r.evaluations, r.dropped,
                  r.inadmissible, None, {int(k): v for k, v in r.ratio_by_K.items()}, r.ratios[:500],
                  note=("" if status != "unresolved" else
                        f"{r.unchecked} float64 violation(s) not re-checked within the budget" if r.unchecked else
                        f"only {r.trials} admissible trials"),
                  ties=r.ties, unchecked=r.unchecked)


def _order(ids: Iterable[str]) -> list[str]:
    ids = list(ids)
    def key(i: str) -> tuple:
        base = i.split("_")[0]
        return (PAPER_ORDER.index(base) if base in PAPER_ORDER else len(PAPER_ORDER), i != base, i)
    return sorted(ids, key=key)


def verify(ids: Iterable[str] | None = None, *, budget: float = DEFAULT_BUDGET, seed: int = 0,
           out_dir: str | Path | None = "reports/counterexamples",
           progress: Callable[[float, str], None] | None = None) -> list[Record]:
    """Run the registry (or ``ids``) within ``budget`` seconds; returns one Record per statement.

    A printed statement that is refuted pulls in its corrected version.
    """
    if not (isinstance(budget, (int, float)) and budget > 0 and math.isfinite(budget)):
        raise ValueError(f"budget must be a positive number of seconds, got {budget!r}")
    if ids is None:
        chosen = statement_ids(claims_only=True)
    else:
        chosen = []
        for i in ids:
            st = get_statement(i)  # raises ValueError for unknown ids
            chosen.append(i)
            for link in (st.corrected_by, st.corrects):
                if link and link not in chosen:
                    chosen.append(link)
    chosen = _order(dict.fromkeys(chosen))
    out = Path(out_dir) if out_dir is not None else None
    records = []
    t0 = time.monotonic()
    weights = {i: (0.0 if REGISTRY[i].evaluate is None else 1.0) for i in chosen}
    for k, i in enumerate(chosen):
        remaining = max(budget - (time.monotonic() - t0), 0.5)
        w_left = sum(weights[j] for j in chosen[k:]) or 1.0
        share = max(remaining * weights[i] / w_left, 0.3)
        base = time.monotonic() - t0
        prog = (lambda d, note, base=base, i=i: progress(base + d, f"{i}: {note}")) if progress else None
        rec = verify_statement(REGISTRY[i], budget=share, seed=seed, out_dir=out, progress=prog)
        log.info("%s: %s (%d trials, worst ratio %s)", i, rec.status, rec.trials, rec.worst_ratio)
        records.append(rec)
        if progress:
            progress(time.monotonic() - t0, f"{i}: {rec.status}")
    return records


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
