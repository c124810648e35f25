"""``boundcheck report``: one multi-page PDF of everything the toolkit found.

``build_report`` runs ``verify`` through the library (and ``rates`` with
``with_rates=True``), runs the proof-check steps of ``proofs/<id>.py`` concurrently in a
subprocess (pytest, one step = one test function, each with a time limit), computes
Lemma 12's c_K, and typesets it all with matplotlib (no LaTeX installation):

1. a title page: paper, toolkit and dependency versions, seed, budget, date, machine and
   the command that repeats the run;
2. a summary table (id, status, trials, worst ratio, tightness, counterexample) that
   states the budget and marks unresolved statements as such;
3. a proof-check overview (steps passed / failed / timed out / not run, per module);
4. one page (or more) per statement: the statement typeset from its sympy form (sympy's
   LaTeX through matplotlib mathtext, falling back to plain text for anything mathtext
   rejects), its hypotheses, the search result, for a refuted statement the
   counterexample's numbers side by side with the corrected statement on the same
   instance, the proof steps with their outcome, and plots (distribution of the ratio
   LHS/RHS over trials; worst ratio vs K);
5. Lemma 12's page with c_K vs K;
6. with ``with_rates``: the rate plots and the fitted-exponent tables.

The PDF is written to a temporary file in the target directory and renamed onto the
target at the end (``atomic_output``): an error or Ctrl-C leaves no half-written PDF.
A missing optional piece (no ``proofs/`` folder, no pytest, a helper module that does not
provide what the report needs) becomes a page or a line that says so, never a crash.
"""
from __future__ import annotations

import datetime as _dt
import importlib
import json
import logging
import math
import os
import platform
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from boundcheck._version import __version__
from boundcheck.outputs.common import atomic_output, fmt

log = logging.getLogger("boundcheck")

__all__ = ["DEFAULT_BUDGET", "STEP_LIMIT", "ProofStep", "ProofRun", "ReportData", "collect", "render",
           "build_report", "run_proofs", "find_proofs_dir", "tightness", "latex_for_mathtext",
           "mathtext_ok", "DEFAULT_OUT"]

#: default wall-clock budget (seconds) of the checks: ``verify`` gets all of it, the proof
#: steps run concurrently within the same window.  With c_K and typesetting the whole
#: report takes about two minutes on 2 cores.
DEFAULT_BUDGET = 75.0
#: time limit of one proof step (one test function)
STEP_LIMIT = 30.0
DEFAULT_OUT = "reports/boundcheck-report.pdf"
TIGHT = 0.99

PAPER = {
    "title": "Stochastic Optimization with Laggard Data Pipelines",
    "authors": "Naman Agarwal, Rohan Anil, Tomer Koren, Kunal Talwar, Cyril Zhang",
    "venue": "NeurIPS 2020 (34th Conference on Neural Information Processing Systems)",
}
_DEPENDENCIES = ("numpy", "scipy", "sympy", "mpmath", "cvxpy", "clarabel", "scs", "hypothesis", "matplotlib",
                 "pytest", "pypdf", "torch")


# ============================================================================ small helpers
def tightness(rec: Any) -> str:
    """How close the search got to the bound: 'tight' when the worst ratio ≥ 0.99."""
    if rec.status == "refuted":
        return "bound violated"
    if rec.status == "unresolved":
        return "- (unresolved)"
    w = rec.worst_ratio
    if w is None or not math.isfinite(w):
        return "-"
    if w >= TIGHT:
        return f"tight (attained, {w:.3f})"
    return f"reached {w:.3g} of bound"


_LATEX_SUBS = [
    (r"\displaystyle", ""), (r"\textstyle", ""), (r"\scriptstyle", ""), (r"\limits", ""), (r"\nolimits", ""),
    (r"\tfrac", r"\frac"), (r"\dfrac", r"\frac"), (r"\lvert", "|"), (r"\rvert", "|"), (r"\lVert", r"\|"),
    (r"\rVert", r"\|"), (r"\middle|", "|"), (r"\Bigl", ""), (r"\Bigr", ""), (r"\bigl", ""), (r"\bigr", ""),
]


def latex_for_mathtext(tex: str) -> str:
    """Rewrite sympy's LaTeX into the subset matplotlib's mathtext understands."""
    s = tex
    for a, b in _LATEX_SUBS:
        s = s.replace(a, b)
    s = re.sub(r"\\operatorname\{([^{}]*)\}", r"\\mathrm{\1}", s)
    s = re.sub(r"\\text\{([^{}]*)\}", r"\\mathrm{\1}", s)
    s = s.replace("\\ ", "\\;")
    return s.strip()


_MT_CACHE: dict[str, bool] = {}


def mathtext_ok(tex: str) -> bool:
    """True if matplotlib's mathtext parses ``$tex$`` (test render, cached)."""
    if tex in _MT_CACHE:
        return _MT_CACHE[tex]
    from matplotlib.mathtext import MathTextParser
    try:
        MathTextParser("path").parse(f"${tex}$")
        ok = True
    except Exception:  # noqa: BLE001  (mathtext raises ValueError and friends)
        ok = False
    _MT_CACHE[tex] = ok
    return ok


_CHARMAPS: dict[str, set] = {}


def _charmap(family: str) -> set:
    if family not in _CHARMAPS:
        try:
            from matplotlib import font_manager, ft2font
            path = font_manager.findfont(font_manager.FontProperties(family=[family]))
            _CHARMAPS[family] = set(ft2font.FT2Font(path).get_charmap())
        except Exception:  # noqa: BLE001
            _CHARMAPS[family] = set(range(32, 127))
    return _CHARMAPS[family]


_TEXT_SUBS = {"\u2009": " ", "\u202f": " ", "\u00a0": " ", "\u2212": "\u2212", "\u2011": "-", "\t": "    "}


def clean_text(s: Any, family: str = "DejaVu Sans") -> str:
    """Text the font can draw: unknown glyphs → NFKC (𝒟 → D) → '?'."""
    s = "" if s is None else str(s)
    cm = _charmap(family)
    out = []
    for ch in s:
        ch = _TEXT_SUBS.get(ch, ch)
        if ch == "\n" or ord(ch) in cm:
            out.append(ch)
            continue
        alt = unicodedata.normalize("NFKC", ch)
        out.append(alt if alt and all(ord(c) in cm for c in alt) else "?")
    return "".join(out)


_FONTS: dict = {}


_WORD_W: dict = {}


def _text_width(s: str, size: float, family: str = "sans-serif", weight: str = "normal") -> float:
    """Width in inches of plain text ``s`` at ``size`` points (4% safety margin).

    Sum of cached word widths plus spaces (kerning across a space is negligible)."""
    if not s:
        return 0.0
    words = s.split(" ")
    total = 0.0
    for w in words:
        k = (w, family, weight)
        v = _WORD_W.get(k)
        if v is None:
            v = _WORD_W[k] = _raw_width(w, family, weight) if w else 0.0
        total += v
    if len(words) > 1:
        k = (" ", family, weight)
        sp = _WORD_W.get(k)
        if sp is None:
            sp = _WORD_W[k] = _raw_width("a a", family, weight) - _raw_width("aa", family, weight)
        total += sp * (len(words) - 1)
    return total / 100 * size / 72 * 1.04


def _raw_width(s: str, family: str, weight: str) -> float:
    """Advance width in points of ``s`` at 100 pt."""
    key = (family, weight)
    font = _FONTS.get(key)
    if font is None:
        from matplotlib import font_manager, ft2font
        font = ft2font.FT2Font(font_manager.findfont(font_manager.FontProperties(family=[family], weight=weight)))
        font.set_size(100, 72)
        flags = getattr(getattr(ft2font, "LoadFlags", None), "NO_HINTING", None)
        _FONTS[key] = font = (font, flags if flags is not None else getattr(ft2font, "LOAD_NO_HINTING", 2))
    f, flags = font
    f.set_text(s, 0.0, flags=flags)
    return f.get_width_height()[0] / 64


def _versions() -> dict[str, str]:
    from importlib import metadata
    out = {"boundcheck": __version__, "python": f"{platform.python_implementation()} {platform.python_version()}"}
    for name in _DEPENDENCIES:
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


# ============================================================================ proof steps
@dataclass
class ProofStep:
    nodeid: str
    module: str
    name: str
    doc: str = ""
    outcome: str = "not run"  # passed | failed | error | skipped | xfailed | xpassed | timeout | not run
    seconds: float = 0.0
    message: str = ""


@dataclass
class ProofRun:
    proofs_dir: str | None
    modules: list[str] = field(default_factory=list)
    steps: list[ProofStep] = field(default_factory=list)
    module_errors: dict[str, str] = field(default_factory=dict)
    note: str = ""
    seconds: float = 0.0
    step_limit: float = STEP_LIMIT

    def for_module(self, module: str) -> list[ProofStep]:
        return [s for s in self.steps if s.module == module]

    def counts(self, module: str | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.steps:
            if module is None or s.module == module:
                out[s.outcome] = out.get(s.outcome, 0) + 1
        return out


def find_proofs_dir(start: str | os.PathLike | None = None) -> Path | None:
    """``proofs/`` next to the current directory (or a parent), else next to the package."""
    here = Path(start or os.getcwd()).resolve()
    for d in [here, *here.parents]:
        if (d / "proofs").is_dir() and any((d / "proofs").glob("*.py")):
            return d / "proofs"
    pkg_parent = Path(__file__).resolve().parents[2]
    if (pkg_parent / "proofs").is_dir():
        return pkg_parent / "proofs"
    return None


def _proof_modules(proofs_dir: Path) -> list[str]:
    return sorted(p.stem for p in proofs_dir.glob("*.py") if p.stem != "conftest" and not p.stem.startswith("_"))


def _proof_worker(argv: Sequence[str]) -> int:  # pragma: no cover  (runs in the subprocess)
    """Subprocess side of ``run_proofs``: pytest with a plugin that reports steps as JSON lines."""
    fd = int(argv[0])
    out = os.fdopen(fd, "w", buffering=1)

    def emit(**k: Any) -> None:
        out.write(json.dumps(k) + "\n")
        out.flush()

    try:
        import pytest
    except ImportError as exc:
        emit(kind="fatal", message=f"pytest is not installed ({exc}); proof steps need it")
        return 3

    def _doc(it: Any) -> str:
        d = getattr(getattr(it, "function", None), "__doc__", None) or ""
        return " ".join(d.strip().split("\n\n")[0].split())

    class Rec:
        def __init__(self) -> None:
            self.state: dict[str, dict] = {}

        def pytest_deselected(self, items: Any) -> None:
            emit(kind="deselected", items=[it.nodeid for it in items])

        def pytest_collectreport(self, report: Any) -> None:
            if report.failed:
                emit(kind="collecterror", nodeid=report.nodeid, message=str(report.longrepr)[-1500:])

        def pytest_collection_finish(self, session: Any) -> None:
            emit(kind="items", items=[{"nodeid": it.nodeid, "doc": _doc(it)} for it in session.items])

        def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
            self.state[nodeid] = {"outcome": "passed", "seconds": 0.0, "message": ""}
            emit(kind="start", nodeid=nodeid)

        def pytest_runtest_logreport(self, report: Any) -> None:
            st = self.state.setdefault(report.nodeid, {"outcome": "passed", "seconds": 0.0, "message": ""})
            st["seconds"] += float(getattr(report, "duration", 0.0) or 0.0)
            xfail = hasattr(report, "wasxfail")
            msg = ""
            if report.longrepr is not None:
                crash = getattr(report.longrepr, "reprcrash", None)
                msg = crash.message if crash is not None else str(report.longrepr)
                if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
                    msg = str(report.longrepr[2])
            if report.when == "call":
                if xfail:
                    st["outcome"] = "xfailed" if report.skipped else "xpassed"
                elif report.failed:
                    st["outcome"] = "failed"
                elif report.skipped:
                    st["outcome"] = "skipped"
                if msg:
                    st["message"] = msg
            elif report.failed:
                st["outcome"] = "error"
                st["message"] = f"{report.when}: {msg}"
            elif report.skipped and report.when == "setup":
                st["outcome"] = "xfailed" if xfail else "skipped"
                st["message"] = msg

        def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
            st = self.state.get(nodeid, {"outcome": "error", "seconds": 0.0, "message": "no report"})
            emit(kind="finish", nodeid=nodeid, **{k: (v[-600:] if isinstance(v, str) else v) for k, v in st.items()})

    code = pytest.main(list(argv[1:]), plugins=[Rec()])
    emit(kind="done", code=int(code))
    return 0


def _worker_code() -> str:
    """Source for ``python -c``: the worker without importing boundcheck (fast start-up)."""
    import inspect
    try:
        src = textwrap.dedent(inspect.getsource(_proof_worker))
    except (OSError, TypeError):
        return "import sys; from boundcheck.report.report import _proof_worker; sys.exit(_proof_worker(sys.argv[1:]))"
    return ("from __future__ import annotations\nimport json, os, sys\nfrom typing import Any, Sequence\n"
            + src + "\nsys.exit(_proof_worker(sys.argv[1:]))\n")


def _short_message(msg: str) -> str:
    msg = " ".join(str(msg).split())
    return msg[:300] + ("…" if len(msg) > 300 else "")


class _ProofRunner:
    """Runs proof modules in a pytest subprocess, one step at a time under a time limit.

    A step that overruns its limit is recorded as a timeout, the subprocess is killed and
    restarted with the finished steps deselected; at the deadline the steps not yet run
    are recorded as 'not run (budget)'.
    """

    def __init__(self, proofs_dir: Path, modules: Sequence[str], *, deadline: float, step_limit: float) -> None:
        self.dir = proofs_dir
        self.root = proofs_dir.parent
        self.modules = list(modules)
        self.deadline = deadline
        self.step_limit = step_limit
        self.steps: dict[str, ProofStep] = {}
        self.errors: dict[str, str] = {}
        self.note = ""
        self.proc: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.t0 = time.monotonic()
        self.seconds = 0.0

    # -- control
    def start(self) -> "_ProofRunner":
        self.thread = threading.Thread(target=self._main, name="boundcheck-proofs", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._kill()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)
            if self.thread.is_alive():  # should not happen: the thread honours the deadline
                self.stop()
                self.thread.join(5)

    def _kill(self) -> None:
        with self._lock:
            p = self.proc
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (OSError, AttributeError):
                p.kill()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def _module_of(self, nodeid: str) -> str:
        return Path(nodeid.split("::", 1)[0]).stem

    def _step(self, nodeid: str, doc: str = "") -> ProofStep:
        st = self.steps.get(nodeid)
        if st is None:
            name = nodeid.split("::", 1)[1] if "::" in nodeid else nodeid
            st = self.steps[nodeid] = ProofStep(nodeid, self._module_of(nodeid), name, doc)
        elif doc and not st.doc:
            st.doc = doc
        return st

    # -- the loop
    def _spawn(self, deselect: Iterable[str]) -> tuple[subprocess.Popen, "queue.Queue[dict | None]", Any]:
        r, w = os.pipe()
        paths = [str(self.dir / f"{m}.py") for m in self.modules]
        args = paths + ["-q", "-p", "no:cacheprovider", "-m", "not slow", "--continue-on-collection-errors",
                        "--rootdir", str(self.root), "-W", "ignore::DeprecationWarning"]
        for d in deselect:
            args += ["--deselect", d]
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
        err = tempfile.TemporaryFile()
        code = _worker_code()
        try:
            p = subprocess.Popen([sys.executable, "-c", code, str(w), *args], cwd=str(self.root), env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, pass_fds=(w,),
                                 start_new_session=True)
        finally:
            os.close(w)
        with self._lock:
            self.proc = p
        q: queue.Queue = queue.Queue()

        def reader() -> None:
            with os.fdopen(r, "r", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    try:
                        q.put(json.loads(line))
                    except json.JSONDecodeError:
                        continue
            q.put(None)

        threading.Thread(target=reader, daemon=True).start()
        return p, q, err

    def _main(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001  (never let the thread die silently)
            self.note = f"proof runner failed: {type(exc).__name__}: {exc}"
            log.warning(self.note)
        finally:
            self._kill()
            for st in self.steps.values():
                if st.outcome == "not run" and not st.message:
                    st.message = "report budget exhausted before this step ran"
            self.seconds = time.monotonic() - self.t0

    def _loop(self) -> None:
        finished: list[str] = []
        collected = False
        while not self._stop.is_set() and time.monotonic() < self.deadline:
            p, q, err = self._spawn(finished)
            current: str | None = None
            cur_start = time.monotonic()
            restart = False
            ended = False
            while True:
                now = time.monotonic()
                limit = self.deadline
                if current is not None:
                    limit = min(limit, cur_start + self.step_limit)
                try:
                    msg = q.get(timeout=max(0.05, min(limit - now, 0.5)))
                except queue.Empty:
                    if self._stop.is_set():
                        return
                    if time.monotonic() < limit:
                        continue
                    # a step (or collection) ran past its limit, or the deadline passed
                    if current is not None:
                        st = self._step(current)
                        over_budget = time.monotonic() >= self.deadline and cur_start + self.step_limit > self.deadline
                        st.outcome = "timeout"
                        st.seconds = time.monotonic() - cur_start
                        st.message = ("stopped at the report's budget" if over_budget else
                                      f"exceeded the per-step limit of {self.step_limit:g} s")
                        finished.append(current)
                    elif not collected:
                        self.note = "collecting the proof modules did not finish within the budget"
                    self._kill()
                    restart = True
                    break
                if msg is None:
                    ended = True
                    break
                kind = msg.get("kind")
                if kind == "fatal":
                    self.note = msg.get("message", "")
                    self._kill()
                    return
                if kind == "items":
                    collected = True
                    for it in msg["items"]:
                        self._step(it["nodeid"], it.get("doc", ""))
                elif kind == "deselected":
                    for nid in msg["items"]:
                        if nid not in self.steps:
                            st = self._step(nid)
                            st.outcome = "not run"
                            st.message = "marked slow (run: pytest -m slow)"
                elif kind == "collecterror":
                    self.errors[self._module_of(msg["nodeid"]) or msg["nodeid"]] = _short_message(msg["message"])
                elif kind == "start":
                    current = msg["nodeid"]
                    cur_start = time.monotonic()
                    self._step(current)
                elif kind == "finish":
                    st = self._step(msg["nodeid"])
                    st.outcome = msg.get("outcome", "error")
                    st.seconds = float(msg.get("seconds", 0.0))
                    st.message = _short_message(msg.get("message", ""))
                    finished.append(msg["nodeid"])
                    current = None
            if ended:
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    self._kill()
                if current is not None:  # the worker died inside a step (segfault, os._exit, …)
                    st = self._step(current)
                    st.outcome = "error"
                    st.seconds = time.monotonic() - cur_start
                    st.message = f"the test process died (exit code {p.returncode})"
                    finished.append(current)
                    restart = True
                elif not collected and p.returncode not in (0, None):
                    err.seek(0)
                    tail = err.read().decode("utf-8", "replace").strip().splitlines()[-3:]
                    self.note = f"pytest did not start (exit {p.returncode}): " + " / ".join(tail)
            err.close()
            if not restart:
                return
            if collected and all(s.outcome != "not run" or s.message for s in self.steps.values()):
                return


def run_proofs(proofs_dir: str | os.PathLike | None, modules: Sequence[str] | None = None, *,
               budget: float = DEFAULT_BUDGET, step_limit: float = STEP_LIMIT) -> ProofRun:
    """Run the proof-check steps of ``modules`` (default: every module) within ``budget`` s."""
    runner = start_proofs(proofs_dir, modules, budget=budget, step_limit=step_limit)
    if isinstance(runner, ProofRun):
        return runner
    try:
        runner.join(budget + step_limit + 30)
    finally:
        runner.stop()
    return _finish_proofs(runner)


def start_proofs(proofs_dir: str | os.PathLike | None, modules: Sequence[str] | None = None, *,
                 budget: float = DEFAULT_BUDGET, step_limit: float = STEP_LIMIT) -> "_ProofRunner | ProofRun":
    if proofs_dir is None:
        return ProofRun(None, note="no proofs/ folder found (looked next to the current directory and the package)")
    pdir = Path(proofs_dir)
    if not pdir.is_dir():
        return ProofRun(str(pdir), note=f"{pdir} is not a directory")
    available = _proof_modules(pdir)
    mods = available if modules is None else [m for m in modules if m in available]
    if not mods:
        return ProofRun(str(pdir), note="no proof module for the statements in this report")
    try:
        importlib.import_module("pytest")
    except ImportError:
        return ProofRun(str(pdir), mods, note="pytest is not installed: the proof steps were not run "
                        "(pip install 'boundcheck[test]')")
    return _ProofRunner(pdir, mods, deadline=time.monotonic() + budget, step_limit=step_limit).start()


def _finish_proofs(runner: "_ProofRunner | ProofRun") -> ProofRun:
    if isinstance(runner, ProofRun):
        return runner
    order = {m: i for i, m in enumerate(runner.modules)}
    steps = sorted(runner.steps.values(), key=lambda s: order.get(s.module, len(order)))
    return ProofRun(str(runner.dir), runner.modules, steps, dict(runner.errors), runner.note, runner.seconds,
                    runner.step_limit)


# ============================================================================ collecting
@dataclass
class ReportData:
    records: list
    budget: float
    seed: int
    ids: list[str] | None
    started: str
    seconds: float
    verify_seconds: float
    proofs: ProofRun
    statements: dict = field(default_factory=dict)  # id -> Statement
    counterexamples: dict = field(default_factory=dict)  # id -> {file, check, structure, params, corrected}
    lemma12: dict = field(default_factory=dict)  # {"results": {...}, "error": str}
    rates: dict | None = None  # {"methods": {m: res}, "error": str, "grid": str}
    with_rates: bool = False
    versions: dict = field(default_factory=dict)
    machine: dict = field(default_factory=dict)
    git: str | None = None
    command: str = ""
    counterexample_dir: str | None = None
    exit_code: int | None = None
    timings: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)  # summaries written by "boundcheck figures --json"


def _proof_module_of(st: Any) -> str | None:
    return getattr(st, "proof_module", None)


def _corrections_of(sid: str, statements: dict) -> list[str]:
    st = statements[sid]
    out = [st.corrected_by] if st.corrected_by else []
    out += [k for k, v in statements.items() if v.corrects == sid and k not in out]
    return out


def _load_counterexample(rec: Any, statements: dict, deadline: float) -> dict:
    """The counterexample file's numbers, and the corrected statement on the same instance."""
    out: dict = {"file": rec.counterexample}
    try:
        data = json.loads(Path(rec.counterexample).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        out["error"] = f"cannot read {rec.counterexample}: {exc}"
        return out
    if data.get("format") == "boundcheck-big-o-family":
        out["family"] = data.get("family", "")
        out["members"] = data.get("members", {})
        return out
    out["structure"] = data.get("structure", {})
    out["params"] = data.get("params", {})
    out["check"] = data.get("high_precision_check", {})
    out["corrected"] = {}
    for cid in _corrections_of(rec.id, statements):
        cst = statements.get(cid)
        if cst is None or cst.evaluate is None:
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


def _rates_data(grid: str, seeds: int, progress: Callable[[float, str], None] | None) -> dict:
    try:
        from boundcheck.experiments import rates as _rates
    except Exception as exc:  # noqa: BLE001
        return {"error": f"boundcheck.experiments.rates is not importable ({type(exc).__name__}: {exc})"}
    if not hasattr(_rates, "run_rates"):
        return {"error": "boundcheck.experiments.rates has no run_rates"}
    methods = ["gd", "prox", "agd"]
    try:
        from boundcheck.experiments.runner import METHODS
        methods = [m for m in methods if m in METHODS]
    except Exception:  # noqa: BLE001
        pass
    out: dict = {"grid": grid, "seeds": seeds, "methods": {}, "errors": {}, "seconds": {}}
    for m in methods:
        t0 = time.monotonic()
        try:
            out["methods"][m] = _rates.run_rates(m, grid, seeds=seeds)
        except Exception as exc:  # noqa: BLE001
            out["errors"][m] = f"{type(exc).__name__}: {exc}"
        out["seconds"][m] = time.monotonic() - t0
        if progress:
            progress(0.0, f"rates {m}")
    return out


def collect(ids: Sequence[str] | None = None, *, budget: float = DEFAULT_BUDGET, seed: int = 0,
            with_rates: bool = False, rates_grid: str = "default", rates_seeds: int = 16,
            counterexample_dir: str | os.PathLike | None = "reports/counterexamples",
            proofs_dir: str | os.PathLike | None | bool = True, step_limit: float = STEP_LIMIT,
            progress: Callable[[float, str], None] | None = None, command: str = "",
            figures: Sequence[str | os.PathLike] = ()) -> ReportData:
    """Run everything the report shows; ``proofs_dir=True`` finds ``proofs/`` (see find_proofs_dir)."""
    from boundcheck.engine import verify as _verify
    from boundcheck.paper import get_statement, statement_ids

    if not (isinstance(budget, (int, float)) and not isinstance(budget, bool) and math.isfinite(budget)
            and budget > 0):
        raise ValueError(f"budget must be a positive number of seconds, got {budget!r}")
    for i in ids or ():
        get_statement(i)  # unknown id → ValueError before anything runs
    fig_summaries = load_figures_summaries(figures)  # bad file → ValueError before anything runs
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.monotonic()
    all_statements = {i: get_statement(i) for i in statement_ids()}
    # which proof modules: those of the chosen statements (and their corrections); all for a full run
    pdir = find_proofs_dir() if proofs_dir is True else (Path(proofs_dir) if proofs_dir else None)
    if ids is None:
        modules = None
    else:
        chosen = set(ids)
        for i in ids:
            chosen.update(x for x in (all_statements[i].corrected_by, all_statements[i].corrects) if x)
            chosen.update(_corrections_of(i, all_statements))
        modules = sorted({m for i in chosen if (m := _proof_module_of(all_statements[i]))})
    runner = start_proofs(pdir, modules, budget=budget, step_limit=step_limit) if proofs_dir is not False else \
        ProofRun(None, note="not run (--no-proofs)")
    try:
        tv = time.monotonic()
        records = _verify.verify(list(ids) if ids is not None else None, budget=budget, seed=seed,
                                 out_dir=counterexample_dir,
                                 progress=(lambda d, note: progress(d, note)) if progress else None)
        verify_seconds = time.monotonic() - tv
        if not isinstance(runner, ProofRun):
            if progress:
                progress(time.monotonic() - t0, "proof steps")
            runner.join(max(0.0, runner.deadline - time.monotonic()) + step_limit + 15)
    finally:
        if not isinstance(runner, ProofRun):
            runner.stop()
    proofs = _finish_proofs(runner)
    statements = {r.id: all_statements[r.id] for r in records}
    timings = {"verify": verify_seconds, "proofs": proofs.seconds}
    tc = time.monotonic()
    ces = {}
    for r in records:
        if r.status == "refuted" and r.counterexample:
            ces[r.id] = _load_counterexample(r, all_statements, deadline=time.monotonic() + 20)
    timings["counterexamples"] = time.monotonic() - tc
    if progress:
        progress(time.monotonic() - t0, "Lemma 12: c_K")
    tl = time.monotonic()
    lemma12 = _lemma12_data()
    timings["lemma12"] = time.monotonic() - tl
    rates = None
    if with_rates:
        tr = time.monotonic()
        rates = _rates_data(rates_grid, rates_seeds, progress)
        timings["rates"] = time.monotonic() - tr
    return ReportData(records=records, budget=float(budget), seed=int(seed), ids=list(ids) if ids else None,
                      started=started.isoformat(timespec="seconds"), seconds=time.monotonic() - t0,
                      verify_seconds=verify_seconds, proofs=proofs, statements=statements, counterexamples=ces,
                      lemma12=lemma12, rates=rates, with_rates=with_rates, versions=_versions(), machine=_machine(),
                      git=_git_revision(Path.cwd()), command=command,
                      counterexample_dir=None if counterexample_dir is None else str(counterexample_dir),
                      exit_code=_verify.exit_code(records), timings=timings, figures=fig_summaries)


# ============================================================================ layout
PAGE_W, PAGE_H = 8.27, 11.69  # A4, inches
ML, MR, MT, MB = 0.65, 0.65, 0.6, 0.7
TEXT_W = PAGE_W - ML - MR
STATUS_COLOURS = {"verified": "#1b7f3b", "refuted": "#b3261e", "unresolved": "#c77700"}
STATUS_FILL = {"verified": "#e3f3e6", "refuted": "#fbe4e2", "unresolved": "#fff0cc"}
OUTCOME_COLOURS = {"passed": "#1b7f3b", "failed": "#b3261e", "error": "#b3261e", "timeout": "#c77700",
                   "not run": "#666666", "skipped": "#666666", "xfailed": "#1b7f3b", "xpassed": "#c77700"}


class _Doc:
    """A flowing layout on A4 matplotlib figures: text, formulas, tables, axes; page breaks."""

    def __init__(self, pdf: Any, footer: str) -> None:
        self.pdf = pdf
        self.footer = footer
        self.fig = None
        self.pages = 0
        self.y = 0.0
        self.cont = ""
        self._renderer = None
        self.shown_modules: dict[str, str] = {}

    # -- pages
    def new_page(self, cont: str = "") -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        self.finish_page()
        self.fig = Figure(figsize=(PAGE_W, PAGE_H))
        FigureCanvasAgg(self.fig)
        self._renderer = self.fig.canvas.get_renderer()
        self.y = PAGE_H - MT
        self.cont = cont
        if cont:
            self.text(cont + " (continued)", size=9, color="#555555", style="italic")
            self.gap(0.05)

    def finish_page(self) -> None:
        if self.fig is None:
            return
        self.pages += 1
        self.fig.text(ML / PAGE_W, 0.35 / PAGE_H, clean_text(self.footer), fontsize=7, color="#777777",
                      parse_math=False)
        self.fig.text(1 - MR / PAGE_W, 0.35 / PAGE_H, f"page {self.pages}", fontsize=7, color="#777777",
                      ha="right", parse_math=False)
        self.pdf.savefig(self.fig)
        self.fig.clear()
        self.fig = None

    def need(self, h: float) -> None:
        if self.fig is None:
            self.new_page(self.cont)
        elif self.y - h < MB:
            self.new_page(self.cont)

    def gap(self, h: float) -> None:
        self.y -= h

    def room(self) -> float:
        return self.y - MB

    # -- measuring
    def _width(self, s: str, size: float, family: str = "sans-serif", weight: str = "normal",
               math: bool = False) -> float:
        from matplotlib.text import Text
        t = Text(0, 0, s, fontsize=size, family=family, weight=weight, parse_math=math)
        t.set_figure(self.fig)
        return t.get_window_extent(self._renderer).width / self.fig.dpi

    def _wrap(self, s: str, width: float, size: float, family: str = "sans-serif", weight: str = "normal"
              ) -> list[str]:
        """Greedy word wrap measured with the font's advance widths (FreeType, no hinting)."""
        def w_of(t: str) -> float:
            return _text_width(t, size, family, weight)

        lines: list[str] = []
        for para in s.split("\n"):
            line = ""
            for word in para.split(" "):
                cand = word if not line else f"{line} {word}"
                if w_of(cand) <= width:
                    line = cand
                    continue
                if line:
                    lines.append(line)
                while word and w_of(word) > width:  # a word wider than the column: break it
                    k = max(1, int(len(word) * width / max(w_of(word), 1e-9)))
                    while k > 1 and w_of(word[:k]) > width:
                        k -= 1
                    lines.append(word[:k])
                    word = word[k:]
                line = word
            lines.append(line)
        return lines

    # -- elements
    def text(self, s: Any, *, size: float = 9, weight: str = "normal", color: str = "black", x: float = 0.0,
             width: float | None = None, family: str = "sans-serif", style: str = "normal",
             leading: float = 1.32, max_lines: int | None = None) -> int:
        s = clean_text(s, "DejaVu Sans Mono" if family == "monospace" else "DejaVu Sans")
        w = (TEXT_W - x) if width is None else width
        lines = self._wrap(s, w, size, family, weight)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = lines[-1][: max(0, len(lines[-1]) - 2)] + " …"
        lh = size * leading / 72
        for ln in lines:
            self.need(lh)
            self.fig.text((ML + x) / PAGE_W, (self.y - size / 72) / PAGE_H, ln, fontsize=size, weight=weight,
                          color=color, family=family, style=style, parse_math=False, va="baseline")
            self.y -= lh
        return len(lines)

    def heading(self, s: str, size: float = 12, color: str = "#1a1a1a") -> None:
        self.need(size / 72 * 1.6 + 0.35)
        self.gap(0.06)
        self.text(s, size=size, weight="bold", color=color)
        self.gap(0.03)

    def rule(self, color: str = "#bbbbbb") -> None:
        from matplotlib.lines import Line2D
        self.need(0.08)
        self.fig.add_artist(Line2D([ML / PAGE_W, 1 - MR / PAGE_W], [self.y / PAGE_H] * 2, lw=0.6, color=color,
                                   transform=self.fig.transFigure))
        self.y -= 0.08

    def math(self, tex: str | None, fallback: str, *, size: float = 11, x: float = 0.15, label: str = "") -> str:
        """Typeset ``tex`` with mathtext (shrunk to fit); plain ``fallback`` text if it cannot be."""
        w = TEXT_W - x
        lab_w = _text_width(label, size * 0.85) + 0.08 if label else 0.0
        if tex:
            s = latex_for_mathtext(tex)
            if mathtext_ok(s):
                for sz in (size, size * 0.9, size * 0.8, size * 0.7, size * 0.62):
                    try:
                        wid = self._width(f"${s}$", sz, math=True)
                    except Exception:  # noqa: BLE001
                        break
                    if wid <= w - lab_w:
                        h = self._math_height(s, sz)
                        self.need(h + 0.08)
                        base = self.y - h * 0.72 - 0.03
                        if label:
                            self.fig.text((ML + x) / PAGE_W, base / PAGE_H, clean_text(label), fontsize=size * 0.85,
                                          parse_math=False, va="baseline", color="#333333")
                        self.fig.text((ML + x + lab_w) / PAGE_W, base / PAGE_H, f"${s}$", fontsize=sz,
                                      va="baseline")
                        self.y -= h + 0.1
                        return "math"
        self.text((label + " " if label else "") + fallback, size=size * 0.85, x=x, family="monospace")
        return "text"

    def _math_height(self, s: str, size: float) -> float:
        from matplotlib.text import Text
        t = Text(0, 0, f"${s}$", fontsize=size)
        t.set_figure(self.fig)
        return max(t.get_window_extent(self._renderer).height / self.fig.dpi, size / 72 * 1.2)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float], *,
              size: float = 8, aligns: Sequence[str] | None = None, fills: Sequence[str | None] | None = None,
              colours: Sequence[Sequence[str | None]] | None = None, families: Sequence[str] | None = None,
              x: float = 0.0, max_lines: int = 6, show_header: bool = True) -> None:
        from matplotlib.patches import Rectangle
        tot = sum(widths)
        scale = (TEXT_W - x) / tot if tot > TEXT_W - x else 1.0
        widths = [w * scale for w in widths]
        aligns = aligns or ["left"] * len(headers)
        families = families or ["sans-serif"] * len(headers)
        lh = size * 1.3 / 72
        pad = 0.05

        def cells_of(row: Sequence[Any], bold: bool = False) -> list[list[str]]:
            out = []
            for j, c in enumerate(row):
                txt = c if isinstance(c, str) else fmt(c)
                fam = families[j]
                txt = clean_text(txt, "DejaVu Sans Mono" if fam == "monospace" else "DejaVu Sans")
                lines = self._wrap(txt, widths[j] - 2 * pad, size, fam, "bold" if bold else "normal")
                if len(lines) > max_lines:
                    lines = lines[:max_lines]
                    lines[-1] = lines[-1][:-2] + " …"
                out.append(lines)
            return out

        def draw_row(cells: list[list[str]], bold: bool, fill: str | None, cols: Sequence[str | None] | None
                     ) -> None:
            h = max(len(c) for c in cells) * lh + 0.06
            self.need(h)
            if fill:
                self.fig.add_artist(Rectangle(((ML + x) / PAGE_W, (self.y - h) / PAGE_H), (sum(widths)) / PAGE_W,
                                              h / PAGE_H, transform=self.fig.transFigure, color=fill, lw=0, zorder=-1))
            cx = ML + x
            for j, lines in enumerate(cells):
                al = aligns[j]
                tx = cx + pad if al == "left" else cx + widths[j] - pad
                colr = (cols[j] if cols and cols[j] else "black")
                for k, ln in enumerate(lines):
                    self.fig.text(tx / PAGE_W, (self.y - 0.03 - (k + 0.78) * lh) / PAGE_H, ln, fontsize=size,
                                  ha=al, va="baseline", weight="bold" if bold else "normal", family=families[j],
                                  color=colr, parse_math=False)
                cx += widths[j]
            self.y -= h

        def header() -> None:
            if show_header:
                draw_row(cells_of(headers, True), True, "#e6e6e6", None)

        self.need(lh * 3)
        header()
        for i, row in enumerate(rows):
            cells = cells_of(row)
            h = max(len(c) for c in cells) * lh + 0.06
            if self.y - h < MB:
                self.new_page(self.cont)
                header()
            draw_row(cells, False, fills[i] if fills else ("#f7f7f7" if i % 2 else None),
                     colours[i] if colours else None)

    def axes(self, h: float, n: int = 1, *, wspace: float = 0.9, left: float = 0.55, bottom: float = 0.45,
             top: float = 0.3) -> list:
        self.need(h)
        w_tot = TEXT_W - left
        w = (w_tot - (n - 1) * wspace) / n
        out = []
        for k in range(n):
            x0 = ML + left + k * (w + wspace)
            out.append(self.fig.add_axes([x0 / PAGE_W, (self.y - h + bottom) / PAGE_H, w / PAGE_W,
                                          (h - bottom - top) / PAGE_H]))
        self.y -= h
        return out


# ============================================================================ pages
def _status_badge(doc: _Doc, status: str, y: float) -> None:
    doc.fig.text(1 - MR / PAGE_W, y / PAGE_H, status.upper(), fontsize=11, weight="bold", ha="right",
                 va="baseline", color="white", parse_math=False,
                 bbox=dict(boxstyle="round,pad=0.3", fc=STATUS_COLOURS.get(status, "#444444"), ec="none"))


def _title_page(doc: _Doc, data: ReportData) -> None:
    doc.new_page()
    doc.gap(0.4)
    doc.text("boundcheck report", size=24, weight="bold")
    doc.gap(0.1)
    doc.text(f"Theory verification of \u201c{PAPER['title']}\u201d", size=13)
    doc.text(PAPER["authors"], size=10, color="#333333")
    doc.text(PAPER["venue"], size=10, color="#333333")
    doc.gap(0.25)
    doc.rule()
    counts = {s: sum(r.status == s for r in data.records) for s in ("verified", "refuted", "unresolved")}
    doc.text(f"{len(data.records)} statements: {counts['verified']} verified, {counts['refuted']} refuted, "
             f"{counts['unresolved']} unresolved.", size=12, weight="bold")
    ps = data.proofs.counts()
    if data.proofs.steps:
        doc.text("Proof-check steps: " + ", ".join(f"{v} {k}" for k, v in sorted(ps.items())) + ".", size=11)
    doc.gap(0.15)
    doc.heading("This run", 12)
    rows = [
        ("budget", f"{data.budget:g} s wall-clock for the checks (verify gets all of it; the proof steps run "
                   f"concurrently in the same window, {data.proofs.step_limit:g} s per step at most)"),
        ("seed", str(data.seed)),
        ("statements", "all registered" if data.ids is None else ", ".join(data.ids) + " (and their corrections)"),
        ("started", data.started + " (UTC)"),
        ("checks took", f"{data.seconds:.1f} s (verify {data.timings.get('verify', 0):.1f} s, proof steps "
                        f"{data.timings.get('proofs', 0):.1f} s concurrently, Lemma 12 "
                        f"{data.timings.get('lemma12', 0):.1f} s"
                        + (f", rates {data.timings['rates']:.1f} s" if 'rates' in data.timings else "") + ")"),
        ("command", data.command or "-"),
        ("repository", data.git or "not a git checkout"),
        ("counterexamples", data.counterexample_dir or "not saved"),
    ]
    doc.table(["", ""], rows, [1.45, TEXT_W - 1.45], size=8.5, show_header=False)
    doc.gap(0.1)
    doc.text("To repeat the run: the command above with the same toolkit version and seed.  The checks are "
             "time-budgeted, so the number of trials (and the worst ratios found) depend on the machine's speed; "
             "the seed fixes the sequence of instances drawn.", size=8.5, color="#333333")
    doc.heading("Machine", 12)
    doc.table(["", ""], list(data.machine.items()), [1.45, TEXT_W - 1.45], size=8.5, show_header=False)
    doc.heading("Versions", 12)
    items = list(data.versions.items())
    half = (len(items) + 1) // 2
    rows2 = [(a[0], a[1], *(items[half + i] if half + i < len(items) else ("", "")))
             for i, a in enumerate(items[:half])]
    doc.table(["package", "version", "package", "version"], rows2, [1.5, 2.0, 1.5, 2.0], size=8.5)


def _summary_pages(doc: _Doc, data: ReportData) -> None:
    doc.new_page()
    doc.cont = "Summary"
    doc.heading("Summary", 16)
    counts = {s: sum(r.status == s for r in data.records) for s in ("verified", "refuted", "unresolved")}
    doc.text(f"Budget: {data.budget:g} s (wall-clock, verify; {data.verify_seconds:.1f} s used), seed "
             f"{data.seed}.  {counts['verified']} verified, {counts['refuted']} refuted, {counts['unresolved']} "
             f"unresolved.", size=9.5, weight="bold")
    doc.text("verified: the search found no counterexample that survives the two-precision mpmath re-check "
             "(a check over the instances tried, not a proof).  refuted: a counterexample survived (saved, "
             "replayable with 'boundcheck replay'), or for a big-O statement a family along which the ratio grows "
             "without bound.  unresolved: neither — NOT verified.  Tightness: 'tight' when the worst ratio "
             "LHS/RHS found is ≥ 0.99, else how close the search got.", size=8, color="#333333")
    doc.gap(0.08)
    rows, fills, cols = [], [], []
    for r in data.records:
        ce = Path(r.counterexample).name if r.counterexample else "-"
        status = r.status.upper() if r.status == "unresolved" else r.status
        rows.append((r.id, status, r.trials, fmt(r.worst_ratio), tightness(r), ce))
        fills.append(STATUS_FILL.get(r.status))
        cols.append((None, STATUS_COLOURS.get(r.status), None, None, None, None))
    doc.table(["id", "status", "trials", "worst ratio", "tightness", "counterexample"], rows,
              [1.5, 0.8, 0.6, 0.75, 1.5, 1.8], size=8, aligns=["left", "left", "right", "right", "left", "left"],
              fills=fills, colours=cols, families=["monospace", "sans-serif", "sans-serif", "sans-serif",
                                                   "sans-serif", "monospace"])
    doc.gap(0.1)
    unresolved = [r for r in data.records if r.status == "unresolved"]
    if unresolved:
        doc.text("UNRESOLVED (not verified, not refuted): " + "; ".join(
            f"{r.id} — {r.note or r.check or 'no verdict'}" for r in unresolved), size=9, weight="bold",
            color=STATUS_COLOURS["unresolved"])
    else:
        doc.text("No statement is unresolved.", size=9)
    corr = [r for r in data.records if r.status == "refuted"]
    if corr:
        doc.gap(0.05)
        doc.text("Refuted as printed, and what corrects them:", size=9, weight="bold")
        for r in corr:
            links = _corrections_of(r.id, data.statements) if r.id in data.statements else []
            by = {x.id: x for x in data.records}
            fix = ", ".join(f"{c} ({by[c].status})" if c in by else c for c in links) or "no corrected version"
            doc.text(f"• {r.id} → {fix}", size=8.5, x=0.15)
    doc.gap(0.05)
    code = data.exit_code
    doc.text(f"'boundcheck verify' exit code for these records: {code} "
             f"({'every statement verified, or refuted with its corrected version verified' if code == 0 else 'something is unresolved or refuted without a verified correction'}).",
             size=8.5, color="#333333")
    if data.counterexample_dir:
        doc.text(f"Counterexample files are in {data.counterexample_dir}/.", size=8.5, color="#333333")


def _proofs_overview(doc: _Doc, data: ReportData) -> None:
    pr = data.proofs
    doc.new_page()
    doc.cont = "Proof checks"
    doc.heading("Proof checks", 16)
    doc.text(f"Each module proofs/<id>.py checks one proof step per test function (sympy for algebra, exact "
             f"rationals / mpmath for inequalities, planted-error twins that must fail).  The report runs them "
             f"with pytest in a subprocess, concurrently with verify, within the same budget "
             f"({data.budget:g} s), each step limited to {pr.step_limit:g} s; steps marked slow are left to "
             f"'pytest -m slow'.", size=8.5, color="#333333")
    if pr.proofs_dir:
        doc.text(f"Folder: {pr.proofs_dir}", size=8.5, color="#333333")
    if pr.note:
        doc.text(pr.note, size=9.5, weight="bold", color=STATUS_COLOURS["unresolved"])
    if not pr.modules:
        return
    doc.gap(0.08)
    used = {}
    for sid, st in data.statements.items():
        m = _proof_module_of(st)
        if m:
            used.setdefault(m, []).append(sid)
    rows, fills = [], []
    keys = ("passed", "failed", "error", "timeout", "not run")
    for m in pr.modules:
        c = pr.counts(m)
        other = sum(v for k, v in c.items() if k not in keys)
        err = pr.module_errors.get(m, "")
        rows.append((m, ", ".join(used.get(m, [])) or "-", sum(c.values()),
                     *[c.get(k, 0) for k in keys], other))
        bad = c.get("failed", 0) + c.get("error", 0) + (1 if err else 0)
        fills.append("#fbe4e2" if bad else ("#fff0cc" if c.get("timeout", 0) or c.get("not run", 0) else None))
    tot = pr.counts()
    rows.append(("all", "", sum(tot.values()), *[tot.get(k, 0) for k in keys],
                 sum(v for k, v in tot.items() if k not in keys)))
    fills.append("#e6e6e6")
    doc.table(["module", "statements", "steps", "passed", "failed", "error", "timeout", "not run", "other"], rows,
              [1.0, 2.2, 0.5, 0.6, 0.55, 0.5, 0.62, 0.62, 0.5], size=7.5,
              aligns=["left", "left"] + ["right"] * 7, fills=fills,
              families=["monospace", "monospace"] + ["sans-serif"] * 7)
    doc.text("other: skipped, xfailed or xpassed.", size=7.5, color="#555555")
    for m, err in pr.module_errors.items():
        doc.text(f"proofs/{m}.py could not be collected: {err}", size=8, color=STATUS_COLOURS["refuted"], max_lines=4)
    missing = sorted({_proof_module_of(st) for st in data.statements.values() if _proof_module_of(st)}
                     - set(pr.modules))
    if missing:
        doc.gap(0.06)
        doc.text("Proof modules named by statements but not present: " + ", ".join(f"proofs/{m}.py" for m in missing),
                 size=8.5, color=STATUS_COLOURS["unresolved"])


def _fmt_param(v: Any, limit: int = 8) -> str:
    a = np.asarray(v, dtype=float)
    if a.size == 0:
        return "[]"
    flat = a.ravel()
    shown = ", ".join(f"{x:.4g}" for x in flat[:limit])
    more = f", … ({a.size} values)" if a.size > limit else ""
    shape = "" if a.size == 1 else f"shape {tuple(a.shape)}: "
    return f"{shape}{shown}{more}"


def _fmt_num(s: Any, digits: int = 12) -> str:
    if s is None:
        return "-"
    try:
        x = float(s)
    except (TypeError, ValueError):
        return str(s)
    return f"{x:.{digits}g}"


def _counterexample_block(doc: _Doc, r: Any, data: ReportData) -> None:
    ce = data.counterexamples.get(r.id)
    doc.heading("Counterexample", 11.5, color=STATUS_COLOURS["refuted"])
    if ce is None:
        doc.text("No counterexample file was saved for this run (counterexample directory disabled).", size=8.5)
        return
    if "error" in ce:
        doc.text(ce["error"], size=8.5, color=STATUS_COLOURS["refuted"])
        return
    doc.text(f"File: {ce['file']}", size=8, family="monospace", color="#333333")
    if "family" in ce:
        doc.text(ce["family"], size=8, color="#333333")
        mem = ce.get("members", {})
        cvals = list(mem.keys())
        if cvals:
            Bs = [m.get("B") for m in mem[cvals[0]]]
            rows = []
            for k, B in enumerate(Bs):
                rows.append([B] + [fmt(mem[c][k].get("ratio")) if k < len(mem[c]) else "-" for c in cvals])
            doc.table(["B"] + [f"ratio at c = {c}" for c in cvals], rows, [1.0] + [1.6] * len(cvals), size=8,
                      aligns=["right"] * (1 + len(cvals)))
        return
    chk = ce.get("check", {})
    corrected = ce.get("corrected", {})
    cid = next(iter(corrected), None)
    cchk = corrected.get(cid, {}) if cid else {}
    struct = ", ".join(f"{k} = {v}" for k, v in ce.get("structure", {}).items())
    params = "; ".join(f"{k} = {_fmt_param(v, 6)}" for k, v in ce.get("params", {}).items())
    doc.text(f"Instance: {struct}", size=8.5)
    doc.text(f"Parameters (raw, as saved): {params}", size=7.5, family="monospace", max_lines=8)
    doc.gap(0.04)

    def col(c: dict, printed: bool) -> list[str]:
        if "error" in c:
            return [c["error"], "", "", "", ""]
        viol = c.get("violated_hypotheses") or []
        if printed:
            verdict = "VIOLATED: LHS > RHS" if c.get("is_counterexample") else "not a counterexample"
        elif viol:
            verdict = "instance outside the corrected hypotheses: " + ", ".join(map(str, viol))
        else:
            verdict = "holds: LHS ≤ RHS" if not c.get("is_counterexample") else "VIOLATED as well"
        return [_fmt_num(c.get("lhs")), _fmt_num(c.get("rhs")), _fmt_num(c.get("margin")),
                "-" if c.get("ratio") is None else f"{c['ratio']:.6g}", verdict]

    left = col(chk, True)
    heads = ["", f"{r.id} (as printed)"]
    right = None
    if cid:
        right = col(cchk, False)
        heads.append(f"{cid} on the same instance")
    labels = ["LHS", "RHS", "LHS − RHS", "LHS / RHS", "verdict"]
    rows = [[lab, left[k]] + ([right[k]] if right else []) for k, lab in enumerate(labels)]
    ww = [1.0, 2.95, 2.95] if right else [1.0, 3.5]
    colours = [[None, STATUS_COLOURS["refuted"] if k == 4 else None,
                (STATUS_COLOURS["verified"] if right and right[4].startswith("holds") else None) if k == 4 else None]
               for k in range(5)]
    doc.table(heads, rows, ww, size=8, colours=colours, families=["sans-serif", "monospace", "monospace"][:len(heads)])
    dps = chk.get("dps")
    doc.text(f"High-precision re-check in mpmath at {dps[0]} and {dps[1]} digits (margin at the lower precision "
             f"{_fmt_num(chk.get('margin_at_lower_precision'))})." if dps else "", size=7.5, color="#444444")
    if not cid:
        doc.text("No corrected version is registered for this statement.", size=8.5)


def _ratio_plots(doc: _Doc, r: Any, ce: dict | None = None) -> None:
    have_ratios = bool(r.ratios_sample)
    have_K = len(r.ratio_by_K) >= 2
    have_family = bool(r.family_growth)
    if not (have_ratios or have_K or have_family):
        doc.text("No ratio to plot: " + ("no trials ran" if not r.trials else
                                         "the ratio LHS/RHS is undefined here (RHS ≤ 0 at every trial kept)"),
                 size=8.5, color="#444444")
        return
    n = int(have_ratios) + int(have_K or have_family)
    h = 3.0
    if h > doc.room() >= 2.4:  # squeeze a little rather than leave a page nearly empty
        h = doc.room()
    axs = doc.axes(h, 2, wspace=0.85, bottom=0.85)
    if n == 1:  # one plot: keep the half-width panel, drop the other
        doc.fig.delaxes(axs[1])
    k = 0
    if have_ratios:
        ax = axs[k]
        k += 1
        x = np.asarray([v for v in r.ratios_sample if v is not None and math.isfinite(v)], dtype=float)
        lo = float(max(np.min(x), -1.0)) if x.size else 0.0
        hi = float(max(np.max(x), 1.02)) if x.size else 1.02
        clipped = int(np.sum(x < lo))
        ax.hist(np.clip(x, lo, hi), bins=40, range=(lo, hi), color="#4c72b0", alpha=0.85)
        ax.axvline(1.0, color=STATUS_COLOURS["refuted"], ls="--", lw=1.2, label="bound (ratio 1)")
        if r.worst_ratio is not None:
            ax.axvline(r.worst_ratio, color="black", ls=":", lw=1, label=f"worst {r.worst_ratio:.3g}")
        ax.set_xlabel("ratio LHS / RHS per trial" + (f" ({clipped} below {lo:.2g} clipped)" if clipped else ""),
                      fontsize=8)
        ax.set_ylabel("trials", fontsize=8)
        ax.set_title(f"ratios over trials (sample of {x.size} of {r.trials})", fontsize=8.5)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False,
                  handlelength=1.6, columnspacing=1.0)
    if have_K:
        ax = axs[k]
        Ks = np.array(sorted(r.ratio_by_K), dtype=float)
        ys = np.array([r.ratio_by_K[int(K)] for K in Ks], dtype=float)
        floor = -1.0
        low = ys < floor
        ax.plot(Ks[~low], ys[~low], "o", ms=3.5, color="#4c72b0", label="worst ratio at K")
        if low.any():
            ax.plot(Ks[low], np.full(int(low.sum()), floor), "v", ms=4, color="#888888",
                    label=f"below {floor:g} ({int(low.sum())})")
        ax.axhline(1.0, color=STATUS_COLOURS["refuted"], ls="--", lw=1.2, label="bound")
        cek, cer = (ce or {}).get("structure", {}).get("K"), (ce or {}).get("check", {}).get("ratio")
        if cek is not None and cer is not None and math.isfinite(cer):
            # the engine stops at a confirmed counterexample: its batch is not in ratio_by_K
            ax.plot([cek], [cer], "x", ms=7, mew=2, color=STATUS_COLOURS["refuted"], label="counterexample")
            ys = np.append(ys, cer)
        if Ks.max() > 20:
            ax.set_xscale("log")
        ax.set_xlabel("K (inner steps)", fontsize=8)
        ax.set_ylabel("worst ratio at this K", fontsize=8)
        ax.set_title("worst ratio vs K", fontsize=8.5)
        ymin = max(min(float(np.min(ys)), 0.0), floor) - 0.05
        ax.set_ylim(ymin, max(1.1, float(np.max(ys)) * 1.05))
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False,
                  handlelength=1.6, columnspacing=1.0)
    elif have_family:
        ax = axs[k]
        Bs = [m["B"] for m in r.family_growth]
        ys = [m["ratio"] for m in r.family_growth]
        ax.loglog(Bs, ys, "o-", ms=3.5, color=STATUS_COLOURS["refuted"])
        ax.set_xlabel("B (batch size) along the family", fontsize=8)
        ax.set_ylabel("ratio to the printed rate", fontsize=8)
        ax.set_title("big-O family: ratio grows without bound", fontsize=8.5)
        ax.tick_params(labelsize=7)


def _statement_page(doc: _Doc, r: Any, data: ReportData) -> None:
    import sympy as sp
    st = data.statements.get(r.id)
    doc.new_page()
    title = f"{st.number} — {st.title}" if st is not None else r.id
    doc.cont = f"{r.id}"
    y0 = doc.y
    doc.text(title, size=14, weight="bold", width=TEXT_W - 1.6)
    _status_badge(doc, r.status, y0 - 14 / 72)
    if st is None:
        doc.text("The statement is not in the registry (loaded from a module?).", size=9)
        return
    doc.text(f"id {r.id}  ·  §{st.section}  ·  {st.kind}  ·  algorithm {st.algorithm}  ·  families "
             f"{', '.join(st.families) or '-'}  ·  expectation {st.expectation}", size=8, color="#444444")
    doc.rule()
    doc.heading("As printed", 10.5)
    doc.text(st.printed, size=8.5, max_lines=12)
    doc.heading("Checked form (typeset from the registry's sympy objects)", 10.5)
    doc.text("LHS = " + st.quantity, size=8.5, max_lines=4)
    rel = {"<=": r"\leq", "<": "<", ">=": r"\geq", "=": "="}.get(st.relation, r"\leq")
    bound = st.bound
    if isinstance(bound, (sp.Tuple, tuple)):
        labels = ("SGD: ", "prox: ", "AGD: ") if len(bound) == 3 else tuple(f"[{i}] " for i in range(len(bound)))
        doc.text(("LHS = O(rate) for each method, rate as printed:" if st.big_o else "LHS ≤ RHS, one per case:"),
                 size=8.5)
        for lab, b in zip(labels, bound):
            doc.math(sp.latex(b), str(b), label=lab, size=13)
    else:
        lhs = r"\mathrm{LHS}\ " + (r"= O\left(" + sp.latex(bound) + r"\right)" if st.big_o
                                  else rel + " " + sp.latex(bound))
        doc.math(lhs, f"LHS {'= O(' + str(bound) + ')' if st.big_o else st.relation + ' ' + str(bound)}", size=14.5)
    if st.explicit is not None:
        doc.text("Explicit bound the numeric check uses (constants derived in " + (st.proof.split(" ")[0] or "proofs/")
                 + "):", size=8.5)
        ex = st.explicit
        if isinstance(ex, (sp.Tuple, tuple)):
            labels = ("SGD: ", "prox: ", "AGD: ") if len(ex) == 3 else tuple(f"[{i}] " for i in range(len(ex)))
            for lab, b in zip(labels, ex):
                doc.math(sp.latex(b), str(b), label=lab, size=13)
        else:
            doc.math(r"\mathrm{LHS}\ \leq " + sp.latex(ex), f"LHS <= {ex}", size=14)
    hyps = [h for h in st.hypotheses if not (h is sp.true or h == sp.true)]
    structural = len(st.hypotheses) - len(hyps)
    doc.text("Hypotheses" + (" (as printed):" if hyps else ":"), size=8.5, weight="bold")
    for h in hyps:
        doc.math(sp.latex(h), str(h), size=13, x=0.3)
    if structural or not hyps:
        doc.text(("(plus " if hyps else "") + f"{structural} structural hypothes{'is' if structural == 1 else 'es'} "
                 "(convexity, smoothness, gradient bound ρ, …) that hold by construction of the instance families"
                 + (")" if hyps else "") if structural else "none beyond those built into the instance families",
                 size=8, color="#444444", x=0.3)
    if st.readings:
        doc.text("Readings: " + "  ".join(f"({k + 1}) {x}" for k, x in enumerate(st.readings)), size=7.5,
                 color="#444444", max_lines=8)
    if st.corrects:
        doc.text(f"Corrects {st.corrects}: {st.correction or ''}", size=8.5, color="#1a4d8f", max_lines=8)
    links = _corrections_of(r.id, data.statements)
    if links:
        doc.text("Corrected version: " + ", ".join(links) + " (its own page follows).", size=8.5, color="#1a4d8f")
    # result
    doc.heading("Result of the search", 10.5)
    inad = ", ".join(f"{k}: {v}" for k, v in (r.inadmissible or {}).items()) or "none"
    rows = [("status", r.status.upper() if r.status == "unresolved" else r.status),
            ("trials (admissible)", f"{r.trials}  ({r.evaluations} evaluations, {r.dropped} dropped, "
                                   f"inadmissible: {inad})"),
            ("worst ratio LHS/RHS", fmt(r.worst_ratio)), ("smallest slack RHS − LHS", fmt(r.smallest_slack)),
            ("tightness", tightness(r)), ("how checked", r.check or "-"), ("time", f"{r.seconds:.2f} s")]
    if r.note:
        rows.append(("note", r.note))
    doc.table(["", ""], rows, [1.7, TEXT_W - 1.7], size=8, show_header=False,
              colours=[(None, STATUS_COLOURS.get(r.status)), *[(None, None)] * (len(rows) - 1)])
    if r.status == "refuted":
        _counterexample_block(doc, r, data)
    if r.status == "unresolved":
        doc.text("UNRESOLVED: the search could not settle this statement within the budget — it is not verified.",
                 size=9, weight="bold", color=STATUS_COLOURS["unresolved"])
    doc.gap(0.05)
    _ratio_plots(doc, r, data.counterexamples.get(r.id))
    _proof_block(doc, st, data)


def _proof_block(doc: _Doc, st: Any, data: ReportData) -> None:
    doc.heading("Proof steps checked", 10.5)
    mod = _proof_module_of(st)
    doc.text(f"Proof: {st.proof or 'none recorded'}", size=8, color="#333333", max_lines=3)
    pr = data.proofs
    if mod is None:
        doc.text("No proof module is named for this statement.", size=8.5)
        return
    if mod not in pr.modules:
        if pr.proofs_dir and not (Path(pr.proofs_dir) / f"{mod}.py").exists():
            why = f"proofs/{mod}.py is not present"
        else:
            why = pr.note or f"proofs/{mod}.py was not run"
        doc.text(f"Proof steps: {why.rstrip('.')}.", size=8.5, color=STATUS_COLOURS["unresolved"])
        return
    if mod in pr.module_errors:
        doc.text(f"proofs/{mod}.py failed to load: {pr.module_errors[mod]}", size=8, color=STATUS_COLOURS["refuted"],
                 max_lines=4)
    steps = pr.for_module(mod)
    if not steps:
        doc.text(f"No steps recorded for proofs/{mod}.py" + (f" ({pr.note})" if pr.note else "."), size=8.5,
                 color=STATUS_COLOURS["unresolved"])
        return
    c = pr.counts(mod)
    summary = f"proofs/{mod}.py: " + ", ".join(f"{v} {k}" for k, v in sorted(c.items()))
    shown = doc.shown_modules.get(mod)
    if shown is not None:
        doc.text(summary + f" (steps listed on the page of {shown}).", size=8.5, weight="bold")
        return
    doc.shown_modules[mod] = st.id
    doc.text(summary, size=8.5, weight="bold")
    rows, cols = [], []
    budget_msg = "report budget exhausted before this step ran"
    for g in _group_steps(steps):
        desc = g["doc"] or ""
        if g["message"] and g["message"] != budget_msg:
            desc = (desc + " — " if desc else "") + g["message"]
        rows.append((g["name"], g["outcome"], f"{g['seconds']:.2f}", desc or "-"))
        cols.append((None, OUTCOME_COLOURS.get(g["outcome"].split(" ")[0]), None, None))
    doc.table(["step", "outcome", "s", "what it checks"], rows, [2.0, 0.75, 0.45, TEXT_W - 3.2], size=7,
              aligns=["left", "left", "right", "left"], colours=cols, max_lines=4)
    if any(s.outcome == "not run" and s.message == budget_msg for s in steps):
        doc.text("'not run': the report's budget ran out before the step's turn (a larger --budget runs it; "
                 "'pytest proofs/" + mod + ".py' runs them all).", size=7.5, color="#555555")


def _group_steps(steps: Sequence[ProofStep]) -> list[dict]:
    """One row per test function: parametrized cases are folded into 'name ×n'."""
    groups: dict[str, list[ProofStep]] = {}
    for s in steps:
        groups.setdefault(s.name.split("[", 1)[0], []).append(s)
    out = []
    for base, ss in groups.items():
        name = base.removeprefix("test_").replace("_", " ")
        outcomes = [s.outcome for s in ss]
        if len(ss) > 1:
            name += f" (×{len(ss)})"
        if len(set(outcomes)) == 1:
            outcome = outcomes[0]
        else:
            worst = next(o for o in ("failed", "error", "timeout", "xpassed", "not run", "skipped", "xfailed", "passed")
                         if o in outcomes)
            outcome = f"{worst} ({outcomes.count(worst)} of {len(ss)})"
        bad = [s for s in ss if s.outcome not in ("passed", "xfailed") and s.message]
        msg = ""
        if bad:
            b = bad[0]
            msg = (f"[{b.name.split('[', 1)[1]} " if "[" in b.name else "") + b.message
        out.append({"name": name, "outcome": outcome, "seconds": sum(s.seconds for s in ss),
                    "doc": ss[0].doc, "message": msg})
    return out


def _lemma12_page(doc: _Doc, data: ReportData) -> None:
    doc.new_page()
    doc.cont = "Lemma 12: c_K"
    doc.heading("Lemma 12: the stability constant c_K of AGD on quadratics", 14)
    L = data.lemma12 or {}
    if "error" in L:
        doc.text(f"Missing: {L['error']}.  This page would show c_K vs K (boundcheck.experiments.agd_stability).", size=10,
                 color=STATUS_COLOURS["unresolved"], weight="bold")
        return
    doc.text("Lemma 12 as printed gives ε = O(ηρ²K²/B).  Writing ε ≤ c_K·ηρ²K²/B, c_K is the worst case over "
             "the curvature a = ηh ∈ [0, 1] of Lemma 12's difference recursion, (2/K²)·Σ_j max_a |φ_{K,j}(a)|.  "
             "proofs/lemma12.py proves c_K ≤ 1 + 1/K, i.e. ε ≤ ηρ²K(K+1)/B, approached as λ_0 → ∞ (γ ≡ 1).  The "
             "naive argument (product of companion-matrix norms) grows exponentially.", size=8.5)
    res = L["results"]
    ax = doc.axes(5.3, 1, left=0.75, bottom=1.3, top=0.35)[0]
    right_pad = 0.9
    pos = ax.get_position()
    ax.set_position([pos.x0, pos.y0, pos.width - right_pad / PAGE_W, pos.height])
    from boundcheck.experiments import agd_stability as agd
    before = set(doc.fig.axes)
    try:
        agd.plot_c_K(ax, 1000, tuple(res), naive=True, results=res)
    except Exception as exc:  # noqa: BLE001
        ax.text(0.5, 0.5, f"plot_c_K failed: {type(exc).__name__}: {exc}", ha="center", transform=ax.transAxes)
    ax.title.set_fontsize(10)
    handles, labels = [], []
    for a in [ax, *[a for a in doc.fig.axes if a not in before]]:
        a.tick_params(labelsize=7.5)
        a.xaxis.label.set_fontsize(8.5)
        a.yaxis.label.set_fontsize(8.5)
        h, lab = a.get_legend_handles_labels()
        for hh, ll in zip(h, lab):
            if ll not in labels:
                handles.append(hh)
                labels.append(ll)
        if a.get_legend() is not None:
            a.get_legend().remove()
    if handles:  # one legend under the plot, clear of the curves
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=7.5,
                  frameon=False)
    doc.gap(0.1)
    Ks = [1, 2, 5, 10, 20, 50, 100, 1000]
    lams = list(res)
    naive = {row["K"]: row for row in (L.get("naive") or {}).get("rows", [])}
    rows = []
    for K in Ks:
        row = [K] + [f"{res[l].inside[K - 1]:.6f}" for l in lams] + [f"{1 + 1 / K:.6f}"]
        nv = naive.get(K)
        row.append(f"{10 ** nv['log10_naive']:.3g}" if nv and nv["log10_naive"] < 300 else
                   (f"1e{nv['log10_naive']:.0f}" if nv else "-"))
        rows.append(row)
    heads = ["K"] + [("c_K, λ₀ → ∞" if math.isinf(l) else f"c_K, λ₀ = {l:g}") for l in lams] + ["proven 1 + 1/K",
                                                                                                 "naive bound"]
    doc.table(heads, rows, [0.5] + [1.05] * len(lams) + [1.1, 1.0], size=8, aligns=["right"] * len(heads))
    inf_res = res.get(math.inf)
    if inf_res is not None:
        excess = float(np.max(inf_res.inside - inf_res.bound))
        doc.gap(0.05)
        doc.text(f"Largest c_K − (1 + 1/K) over K ≤ 1000 at λ₀ → ∞: {excess:.2e} (≤ 0 up to rounding: the proven "
                 f"constant is never exceeded).  Method: {inf_res.method}; K refined locally: "
                 f"{', '.join(map(str, inf_res.refined)) or 'none'}.  Computed in {L.get('seconds', 0):.1f} s.",
                 size=8, color="#333333")
    nvt = L.get("naive") or {}
    if nvt.get("first_K_10x"):
        doc.text(f"The naive bound exceeds the true constant 10× from K = {nvt['first_K_10x']} and 10⁶× from "
                 f"K = {nvt.get('first_K_1e6x')}.", size=8, color="#333333")


def load_figures_summaries(paths: Sequence[str | os.PathLike]) -> list[dict]:
    """Read the JSON summaries of 'boundcheck figures --json' (a dict or a list of dicts, one per
    dataset): plain data, checked for the fields the report uses."""
    import json

    out = []
    for p in paths or ():
        try:
            obj = json.loads(Path(p).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"--with-figures {p}: cannot read a figures summary ({exc})") from None
        items = obj if isinstance(obj, list) else [obj]
        for it in items:
            if not (isinstance(it, dict) and isinstance(it.get("agreement"), dict)
                    and isinstance(it.get("figures"), dict) and isinstance(it.get("dataset"), str)):
                raise ValueError(f"--with-figures {p}: not a 'boundcheck figures --json' summary")
            out.append(dict(it, _source=str(p)))
    return out


def _figures_page(doc: _Doc, fs: dict) -> None:
    """Section 5 on the real data: the agreement numbers, then the figure on a landscape page."""
    a = fs["agreement"]
    ds = fs["dataset"]
    doc.new_page()
    doc.cont = f"Figures: {ds}"
    num = {"covtype": "Figure 2", "mnist": "Figure 3"}.get(ds.split("-")[0], "Figure")
    doc.heading(f"{num} on the real data: {ds} (Section 5)", 14)
    cfg = fs.get("config") or {}
    doc.text(f"Data-echoed SGD (Algorithm 1 with GD), batches sampled with replacement, learning rate tuned per "
             f"(B, K) on a grid; {cfg.get('seeds', '?')} runs per point; device {fs.get('device', '?')}; "
             f"{fs.get('columns', '?')} (B, K) columns, {fmt(fs.get('seconds'))} s. Source: {fs['_source']}.",
             size=8.5, color="#333333")
    png = fs["figures"].get("png")
    have_png = bool(png) and Path(png).is_file()
    if have_png:
        doc.text(f"The figure ({png}) is on the next, landscape page.", size=8.5, color="#555555")
    else:
        doc.text(f"figure file missing: {png}", size=9, color=STATUS_COLOURS["unresolved"])
    o = a.get("optimum") or {}
    l2 = o.get("l2") or 0.0
    fs_name = f"F_λ* (λ = {fmt(l2, 3)})" if l2 else "F*"
    rows = [("objective", "F + (λ/2)‖w‖², λ = " + fmt(l2, 3) + " (our choice: the unregularised minimum is not "
             "attained; docs/readings.md)" if l2 else "F, the training loss (as printed)"),
            ("optimal training loss (ours, certified)",
             f"{fmt(o.get('ours_lower'), 6)} ≤ {fs_name} ≤ {fmt(o.get('ours_upper'), 6)} "
             f"(gap {fmt(o.get('certified_gap'), 3)})")]
    if l2:
        rows.append(("unregularised loss at the minimiser of F_λ", fmt(o.get("unregularised_loss_at_optimum"), 6)
                     + ("  (< reported: the reported value is not the unregularised optimum)"
                        if o.get("reported_is_not_unregularised_optimum") else "")))
    rows += [("reported in the paper", fmt(o.get("reported"))),
            ("phase transition (KT slope in K crosses 1/2)",
             "B ≈ " + fmt(a.get("phase_transition_B"), 3)
             + (f"  (bracket {a.get('phase_transition_bracket')})" if a.get("phase_transition_bracket") else ""))]
    for r in a.get("noise_regime_lr_ratios") or []:
        rows.append((f"lr(K=1)/lr(K max), noise regime, B = {r.get('B')}",
                     f"{fmt(r.get('ratio'), 3)}  (theory ∝ 1/K: {fmt(r.get('theory'), 3)})"))
    for r in a.get("curvature_regime_lr_ratios") or []:
        rows.append((f"lr(K=1)/lr(K max), curvature regime, B = {r.get('B')}", f"{fmt(r.get('ratio'), 3)}  (theory ≈ 1)"))
    doc.text("Agreement with the paper, in numbers:", size=9.5, weight="bold")
    doc.table(["quantity", "value"], rows, [3.3, TEXT_W - 3.3], size=8)
    if have_png:
        import shutil
        _landscape_image_page(doc, f"{num}: {ds} — steps KT, samples BT and tuned learning rate vs K",
                              lambda path: shutil.copyfile(png, path))


def _rates_pages(doc: _Doc, data: ReportData) -> None:
    R = data.rates or {}
    doc.new_page()
    doc.cont = "Rates"
    doc.heading("Rates: measured vs bounds (Theorems 7, 10, 13; Table 2)", 14)
    if "error" in R:
        doc.text(f"Missing: {R['error']}.  This section would show the rate plots and fitted exponents.", size=10,
                 weight="bold", color=STATUS_COLOURS["unresolved"])
        return
    doc.text(f"boundcheck.rates.run_rates(method, grid={R.get('grid')!r}, seeds={R.get('seeds')}) for each "
             "method; the same as 'boundcheck rates --method M --grid " + str(R.get("grid")) + f" --seeds "
             f"{R.get('seeds')}'.", size=8.5, color="#333333")
    for m, err in (R.get("errors") or {}).items():
        doc.text(f"{m}: failed — {err}", size=9, color=STATUS_COLOURS["refuted"])
    try:
        from boundcheck.experiments import rates as _rates
    except Exception:  # noqa: BLE001
        _rates = None
    plots: list = []
    for m, res in (R.get("methods") or {}).items():
        doc.heading(f"echoed {m}  ({R.get('seconds', {}).get(m, 0):.1f} s)", 11.5)
        exps = res.get("exponents") or []
        if exps:
            rows = []
            for e in exps:
                lo, hi = e.get("ci_lo"), e.get("ci_hi")
                rows.append((e.get("axis", "-"), e.get("regime", "-"), str(e.get("where", "-")),
                             fmt(e.get("exponent")), f"[{fmt(lo, 3)}, {fmt(hi, 3)}]", fmt(e.get("table2")),
                             e.get("verdict") or "-"))
            doc.text("Fitted exponents of E[F(w_out)] − F(w*) (least squares in log–log, 95% bootstrap interval) "
                     "next to Table 2:", size=8.5)
            doc.table(["axis", "regime", "slice", "exponent", "95% CI", "Table 2", "verdict"], rows,
                      [0.5, 1.0, 1.7, 0.75, 1.2, 0.7, 1.2], size=7.5,
                      aligns=["left", "left", "left", "right", "left", "right", "left"])
        else:
            doc.text("No fitted exponents in the result.", size=8.5)
        v, pv = res.get("violations") or [], res.get("printed_violations") or []
        doc.text(f"Violations of the corrected bounds: {len(v) or 'none'}; of the printed statements: "
                 f"{len(pv) or 'none'}.", size=8.5, weight="bold")
        for x in (v + pv)[:8]:
            doc.text(f"{x.get('statement')} at B={x.get('B')} K={x.get('K')} T={x.get('T')}: lower CI "
                     f"{fmt(x.get('ci_lo'))} > bound {fmt(x.get('bound'))}", size=8, x=0.2)
        if _rates is None or not hasattr(_rates, "plot_rates"):
            doc.text("boundcheck.experiments.rates.plot_rates is missing: no rate plot.", size=8.5,
                     color=STATUS_COLOURS["unresolved"])
            continue
        doc.text(f"Plots: the landscape page 'echoed {m}' after these tables (boundcheck rates --plot).", size=8,
                 color="#555555")
        plots.append((m, res))
    for m, res in plots:
        _rates_plot_page(doc, m, res, _rates)


def _landscape_image_page(doc: _Doc, title: str, make_png: Callable[[str], None]) -> None:
    """One landscape page holding an image made by ``make_png(path)`` (a wide figure)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    doc.finish_page()
    W, H = PAGE_H, PAGE_W
    fig = Figure(figsize=(W, H))
    FigureCanvasAgg(fig)
    fig.text(ML / W, 1 - 0.55 / H, clean_text(title), fontsize=13, weight="bold", parse_math=False, va="baseline")
    try:
        import matplotlib.image as mpimg
        with tempfile.TemporaryDirectory() as td:
            png = os.path.join(td, "page.png")
            make_png(png)
            img = mpimg.imread(png)
        avail_w, avail_h = W - ML - MR, H - 0.8 - MB
        w = min(avail_w, avail_h * img.shape[1] / img.shape[0])
        h = w * img.shape[0] / img.shape[1]
        ax = fig.add_axes([(W - w) / 2 / W, (MB + (avail_h - h) / 2) / H, w / W, h / H])
        ax.imshow(img, interpolation="antialiased")
        ax.set_axis_off()
    except Exception as exc:  # noqa: BLE001
        fig.text(0.5, 0.5, clean_text(f"{title}: figure failed: {type(exc).__name__}: {exc}"), ha="center",
                 color=STATUS_COLOURS["refuted"], parse_math=False)
    doc.pages += 1
    fig.text(ML / W, 0.35 / H, clean_text(doc.footer), fontsize=7, color="#777777", parse_math=False)
    fig.text(1 - MR / W, 0.35 / H, f"page {doc.pages}", fontsize=7, color="#777777", ha="right", parse_math=False)
    doc.pdf.savefig(fig)


def _rates_plot_page(doc: _Doc, m: str, res: dict, _rates: Any) -> None:
    """One landscape page with ``plot_rates``' figure for method ``m``."""
    _landscape_image_page(doc, f"Rates: echoed {m}, measured vs bounds (plot_rates)",
                          lambda path: _rates.plot_rates(res, path))


def _render_into(data: ReportData, path: Path) -> int:
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    rc = {"pdf.fonttype": 42, "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"],
          "font.monospace": ["DejaVu Sans Mono"], "mathtext.fontset": "dejavusans", "axes.unicode_minus": True}
    footer = (f"boundcheck {__version__} report · {data.started} UTC · budget {data.budget:g} s · seed {data.seed}")
    with matplotlib.rc_context(rc):
        with PdfPages(path, metadata={"Title": "boundcheck report: " + PAPER["title"],
                                      "Author": "boundcheck " + __version__,
                                      "Subject": f"budget {data.budget:g} s, seed {data.seed}",
                                      "Creator": "boundcheck report (matplotlib)"}) as pdf:
            doc = _Doc(pdf, footer)
            _title_page(doc, data)
            _summary_pages(doc, data)
            _proofs_overview(doc, data)
            for r in data.records:
                _statement_page(doc, r, data)
            _lemma12_page(doc, data)
            if data.with_rates:
                _rates_pages(doc, data)
            for fs in data.figures:
                _figures_page(doc, fs)
            doc.finish_page()
            return doc.pages


def _open_output(out: str | os.PathLike) -> atomic_output:
    p = Path(out)
    if p.exists() and p.is_dir():
        raise ValueError(f"{p} is a directory; give a file name for the PDF")
    return atomic_output(p, suffix=".pdf")


def _enter(ctx: atomic_output) -> Path:
    try:
        return ctx.__enter__()
    except OSError as exc:
        raise ValueError(f"cannot write to {ctx.path.parent}: {exc.strerror or exc}") from None


def render(data: ReportData, out: str | os.PathLike) -> int:
    """Write the PDF for ``data`` atomically; returns the number of pages."""
    ctx = _open_output(out)
    tmp = _enter(ctx)
    try:
        pages = _render_into(data, tmp)
    except BaseException as exc:
        ctx.__exit__(type(exc), exc, exc.__traceback__)
        raise
    ctx.__exit__(None, None, None)
    return pages


def build_report(out: str | os.PathLike = DEFAULT_OUT, ids: Sequence[str] | None = None, *,
                 budget: float = DEFAULT_BUDGET, seed: int = 0, with_rates: bool = False, **kw: Any
                 ) -> tuple[ReportData, int]:
    """Check that ``out`` can be written, run everything, write the PDF atomically.

    Returns (data, pages).  Keyword arguments go to :func:`collect`.
    """
    if not (isinstance(budget, (int, float)) and not isinstance(budget, bool) and math.isfinite(budget)
            and budget > 0):
        raise ValueError(f"budget must be a positive number of seconds, got {budget!r}")
    if ids is not None:
        from boundcheck.paper import get_statement
        for i in ids:
            get_statement(i)  # unknown id → ValueError before any file is touched
    ctx = _open_output(out)
    tmp = _enter(ctx)  # fails fast (ValueError) when the directory is not writable
    try:
        data = collect(ids, budget=budget, seed=seed, with_rates=with_rates, **kw)
        t0 = time.monotonic()
        pages = _render_into(data, tmp)
        data.timings["render"] = time.monotonic() - t0
    except BaseException as exc:
        ctx.__exit__(type(exc), exc, exc.__traceback__)
        raise
    ctx.__exit__(None, None, None)
    return data, pages
