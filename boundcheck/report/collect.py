"""Running everything the report shows and gathering it into :class:`ReportData`.

``collect`` checks its inputs first (:mod:`boundcheck.report.inputs`), starts the proof
steps in the background (:mod:`boundcheck.report.proofs`), runs ``verify`` through the
engine's public entry point, reads back the counterexample / family files verify saved
(through the one loader) and evaluates each corrected statement on its printed version's
counterexample, computes Lemma 12's c_K and, on request, the rates.  It also records the
provenance the title page states (versions, machine, git revision, command).

Progress goes to ``progress(fraction, note)``: ``fraction`` of the whole report in [0, 1]
(weights in :data:`PHASE_WEIGHTS`), ``note`` as ``"<phase>: <detail>"``.
"""
from __future__ import annotations

import datetime as _dt
import logging
import math
import os
import platform
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from boundcheck._version import __version__
from boundcheck.report import DEFAULT_BUDGET, STEP_LIMIT
from boundcheck.report.inputs import RATES_FUNCTION, check_inputs, read_result_file
from boundcheck.report.proofs import ProofRun, find_proofs_dir, finish_proofs, start_proofs

log = logging.getLogger("boundcheck")

__all__ = ["ReportData", "collect", "corrections_of", "Phases", "plan", "PHASE_WEIGHTS", "DEPENDENCIES"]

DEPENDENCIES = ("numpy", "scipy", "sympy", "mpmath", "cvxpy", "clarabel", "scs", "hypothesis", "matplotlib",
                "pytest", "pypdf", "torch")
#: seconds each phase after verify takes with the defaults on 2 cores (for the progress
#: bar's estimate only: nothing waits on them); verify's weight is its budget, rates' a guess
PHASE_WEIGHTS = {"proof steps": 3.0, "counterexamples": 1.0, "Lemma 12": 2.5, "rates": 90.0, "typesetting": 14.0}

Progress = Callable[[float, str], None]


class Phases:
    """Maps (phase, fraction of the phase) to a fraction of the whole report."""

    def __init__(self, weights: dict[str, float], progress: Progress | None) -> None:
        self.weights = dict(weights)
        self.total = sum(self.weights.values()) or 1.0
        self.progress = progress
        self.done = 0.0
        self.current: str | None = None

    def start(self, phase: str, detail: str = "") -> None:
        if self.current is not None:
            self.done += self.weights.get(self.current, 0.0)
        self.current = phase
        self.update(0.0, detail)

    def update(self, frac: float, detail: str = "") -> None:
        if self.progress is None or self.current is None:
            return
        w = self.weights.get(self.current, 0.0)
        f = (self.done + w * min(max(float(frac), 0.0), 1.0)) / self.total
        self.progress(min(f, 1.0), f"{self.current}: {detail}" if detail else self.current)


def plan(budget: float, with_rates: bool, progress: Progress | None, *, typesetting: bool = True) -> Phases:
    """The phases of one report and their weights (verify's is its budget)."""
    w = {"verify": float(budget), **PHASE_WEIGHTS}  # verify's weight: its expected share of the time
    if not with_rates:
        del w["rates"]
    if not typesetting:
        del w["typesetting"]
    return Phases(w, progress)


@dataclass
class ReportData:
    """Everything the pages show.  Page functions read fields they know and ignore the rest;
    ``extras`` is where additional blocks (see ``statement.STATEMENT_BLOCKS``) find their data."""

    records: list
    budget: float
    seed: int
    ids: list[str] | None
    started: str
    seconds: float
    verify_seconds: float
    proofs: ProofRun
    statements: dict = field(default_factory=dict)  # id -> Statement
    trials: int | None = None  # instances verify evaluated per statement (None: each statement's default)
    counterexamples: dict = field(default_factory=dict)  # id -> inputs.read_result_file(...) + {"corrected": ...}
    lemma12: dict = field(default_factory=dict)  # {"results": {...}, "error": str}
    rates: dict | None = None  # {"methods": {m: res}, "errors": {m: str}, "grid": str, "function": str}
    with_rates: bool = False
    versions: dict = field(default_factory=dict)
    machine: dict = field(default_factory=dict)
    git: str | None = None
    command: str = ""
    counterexample_dir: str | None = None
    exit_code: int | None = None
    timings: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)  # summaries written by "boundcheck figures --json"
    extras: dict = field(default_factory=dict)  # block name -> data, for blocks added later


def corrections_of(sid: str, statements: dict) -> list[str]:
    """The statements that correct ``sid`` (its ``corrected_by`` first)."""
    st = statements[sid]
    out = [st.corrected_by] if st.corrected_by else []
    out += [k for k, v in statements.items() if v.corrects == sid and k not in out]
    return out


def _versions() -> dict[str, str]:
    from importlib import metadata
    out = {"boundcheck": __version__, "python": f"{platform.python_implementation()} {platform.python_version()}"}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except (OSError, ValueError):
        pass
    return {"host": platform.node(), "os": platform.platform(), "cpu": cpu,
            "cores": f"{usable} usable of {os.cpu_count()}", "memory": mem or "unknown"}


def _git_revision(where: Path) -> str | None:
    if shutil.which("git") is None:
        return None
    try:
        rev = subprocess.run(["git", "-C", str(where), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
        return rev.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None



def _counterexample_data(rec: Any, statements: dict, deadline: float) -> dict:
    """The saved file's numbers, and each corrected statement evaluated on the same instance."""
    out = read_result_file(rec.counterexample)
    if "error" in out or out.get("kind") != "counterexample":
        return out
    out["corrected"] = {}
    for cid in corrections_of(rec.id, statements):
        cst = statements.get(cid)
        if cst is None or getattr(cst, "evaluate", None) is None:
            continue
        if time.monotonic() > deadline:
            out["corrected"][cid] = {"error": "not evaluated (time)"}
            continue
        try:
            from boundcheck.engine.search import recheck
            params = {k: np.asarray(v, dtype=float) for k, v in out["params"].items()}
            out["corrected"][cid] = recheck(cst, dict(out["structure"]), params, 1.0)
        except Exception as exc:  # noqa: BLE001  (a different instance space is not an error of the report)
            out["corrected"][cid] = {"error": f"the instance does not fit {cid} ({type(exc).__name__}: {exc})"}
    return out


def _lemma12_data() -> dict:
    try:
        from boundcheck.experiments import agd_stability as agd
    except Exception as exc:  # noqa: BLE001
        return {"error": f"boundcheck.experiments.agd_stability is not importable ({type(exc).__name__}: {exc})"}
    missing = [n for n in ("c_K", "plot_c_K") if not hasattr(agd, n)]
    if missing:
        return {"error": f"boundcheck.experiments.agd_stability has no {', '.join(missing)}"}
    t0 = time.monotonic()
    try:
        res = {}
        for lam in (1.0, 10.0, 100.0):
            res[lam] = agd.c_K(1000, lam, refine=())
        res[math.inf] = agd.c_K(1000, math.inf)  # with local refinement at K = 1, 2, 5, 10, 100, 1000
        out: dict = {"results": res, "seconds": time.monotonic() - t0}
        if hasattr(agd, "naive_table"):
            try:
                out["naive"] = agd.naive_table(true=res[math.inf])
            except Exception as exc:  # noqa: BLE001
                out["naive_error"] = f"{type(exc).__name__}: {exc}"
        return out
    except Exception as exc:  # noqa: BLE001
        return {"error": f"computing c_K failed ({type(exc).__name__}: {exc})"}


RATES_METHODS = ("gd", "prox", "agd")


def _rates_data(grid: str, seeds: int, phases: Phases) -> dict:
    """``run_rates`` for each method (grid and seeds were checked before the report started)."""
    module, _, name = RATES_FUNCTION.rpartition(".")
    try:
        import importlib
        run_rates = getattr(importlib.import_module(module), name)
    except Exception as exc:  # noqa: BLE001
        return {"error": f"{RATES_FUNCTION} is not importable ({type(exc).__name__}: {exc})"}
    out: dict = {"grid": grid, "seeds": seeds, "function": RATES_FUNCTION, "methods": {}, "errors": {},
                 "seconds": {}}
    n = len(RATES_METHODS)
    for k, m in enumerate(RATES_METHODS):
        t0 = time.monotonic()
        phases.update(k / n, m)
        try:
            out["methods"][m] = run_rates(m, grid, seeds=seeds,
                                          progress=lambda f, k=k, m=m: phases.update((k + f) / n, m))
        except Exception as exc:  # noqa: BLE001  (one method failing must not lose the others)
            out["errors"][m] = f"{type(exc).__name__}: {exc}"
            log.warning("rates %s failed: %s", m, out["errors"][m])
        out["seconds"][m] = time.monotonic() - t0
    return out


def _proof_modules_for(ids: Sequence[str] | None, statements: dict) -> list[str] | None:
    """The proof modules of the chosen statements and their corrections (all for a full run)."""
    if ids is None:
        return None
    chosen = set(ids)
    for i in ids:
        chosen.update(x for x in (statements[i].corrected_by, statements[i].corrects) if x)
        chosen.update(corrections_of(i, statements))
    return sorted({m for i in chosen if (m := getattr(statements[i], "proof_module", None))})


def collect(ids: Sequence[str] | None = None, *, budget: float = DEFAULT_BUDGET, seed: int = 0,
            trials: int | None = None,
            with_rates: bool = False, rates_grid: str = "default", rates_seeds: int = 16,
            counterexample_dir: str | os.PathLike | None = "reports/counterexamples",
            proofs_dir: str | os.PathLike | None | bool = True, step_limit: float = STEP_LIMIT,
            progress: Progress | None = None, command: str = "",
            figures: Sequence[str | os.PathLike] = (), phases: Phases | None = None) -> ReportData:
    """Run everything the report shows; ``proofs_dir=True`` finds ``proofs/`` (see find_proofs_dir).

    Every input is checked before anything runs (``ValueError``, one line).  ``phases``
    (from :func:`plan`) replaces ``progress`` when the caller has phases of its own after
    these (the renderer's typesetting)."""
    fig_summaries = check_inputs(ids, budget=budget, step_limit=step_limit, with_rates=with_rates,
                                 rates_grid=rates_grid, rates_seeds=rates_seeds,
                                 counterexample_dir=counterexample_dir, figures=figures)
    from boundcheck.engine import verify as _verify
    from boundcheck.paper import get_statement, statement_ids

    if phases is None:
        phases = plan(budget, with_rates, progress, typesetting=False)
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.monotonic()
    all_statements = {i: get_statement(i) for i in statement_ids()}
    pdir = find_proofs_dir() if proofs_dir is True else (Path(proofs_dir) if proofs_dir else None)
    modules = _proof_modules_for(ids, all_statements)
    runner = start_proofs(pdir, modules, budget=budget, step_limit=step_limit) if proofs_dir is not False else \
        ProofRun(None, note="not run (--no-proofs)")
    try:
        phases.start("verify")
        tv = time.monotonic()
        # verify is count-budgeted (reproducible); ``budget`` is the proof steps' deadline
        units = _verify.total_units(list(ids) if ids is not None else None, trials)
        records = _verify.verify(list(ids) if ids is not None else None, trials=trials, seed=seed,
                                 out_dir=counterexample_dir,
                                 progress=lambda d, note: phases.update(d / units, note))
        verify_seconds = time.monotonic() - tv
        if not isinstance(runner, ProofRun):
            phases.start("proof steps", "waiting for the last steps")
            runner.join(max(0.0, runner.deadline - time.monotonic()) + step_limit + 15)
    finally:
        if not isinstance(runner, ProofRun):
            runner.stop()
    proofs = finish_proofs(runner)
    statements = {r.id: all_statements[r.id] for r in records if r.id in all_statements}
    timings = {"verify": verify_seconds, "proofs": proofs.seconds}
    phases.start("counterexamples", "reading the saved files back")
    tc = time.monotonic()
    ces = {}
    for r in records:
        if r.status == "refuted" and getattr(r, "counterexample", None):
            ces[r.id] = _counterexample_data(r, all_statements, deadline=time.monotonic() + 20)
    timings["counterexamples"] = time.monotonic() - tc
    phases.start("Lemma 12", "c_K for K ≤ 1000")
    tl = time.monotonic()
    lemma12 = _lemma12_data()
    timings["lemma12"] = time.monotonic() - tl
    rates = None
    if with_rates:
        phases.start("rates")
        tr = time.monotonic()
        rates = _rates_data(rates_grid, rates_seeds, phases)
        timings["rates"] = time.monotonic() - tr
    return ReportData(records=records, budget=float(budget), seed=int(seed), trials=trials,
                      ids=list(ids) if ids else None,
                      started=started.isoformat(timespec="seconds"), seconds=time.monotonic() - t0,
                      verify_seconds=verify_seconds, proofs=proofs, statements=statements, counterexamples=ces,
                      lemma12=lemma12, rates=rates, with_rates=with_rates, versions=_versions(), machine=_machine(),
                      git=_git_revision(Path.cwd()), command=command,
                      counterexample_dir=None if counterexample_dir is None else str(counterexample_dir),
                      exit_code=_verify.exit_code(records), timings=timings, figures=fig_summaries)
