"""The proof-step runner: ``proofs/<id>.py`` run by pytest in a subprocess, one step at a time.

Owns :class:`ProofStep` / :class:`ProofRun` (what the report shows about proof checks), the
pytest worker that runs in the subprocess (it reports each test function as a JSON line on
a pipe), and :class:`_ProofRunner`, which enforces the per-step time limit (a step that
overruns is recorded as a timeout, the subprocess killed and restarted without the steps
already finished) and the report's deadline (steps not reached are recorded as 'not run').

Imports only the report's defaults from boundcheck: the worker's source is sent to ``python -c``
so the subprocess starts without importing the toolkit.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from boundcheck.report import DEFAULT_BUDGET, STEP_LIMIT

log = logging.getLogger("boundcheck")

__all__ = ["ProofStep", "ProofRun", "find_proofs_dir", "run_proofs", "start_proofs", "finish_proofs",
           "BUDGET_MESSAGE"]

#: the message of a step the report's deadline did not reach
BUDGET_MESSAGE = "report budget exhausted before this step ran"


@dataclass
class ProofStep:
    """One test function of a proof module (one step of a proof) and its outcome."""

    nodeid: str
    module: str
    name: str
    doc: str = ""
    outcome: str = "not run"  # passed | failed | error | skipped | xfailed | xpassed | timeout | not run
    seconds: float = 0.0
    message: str = ""


@dataclass
class ProofRun:
    """Every step run (or not) for the report, the modules that failed to load, and a note
    saying why nothing ran when nothing did."""

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
        return "import sys; from boundcheck.report.proofs import _proof_worker; sys.exit(_proof_worker(sys.argv[1:]))"
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
                    st.message = BUDGET_MESSAGE
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
    return finish_proofs(runner)


def start_proofs(proofs_dir: str | os.PathLike | None, modules: Sequence[str] | None = None, *,
                 budget: float = DEFAULT_BUDGET, step_limit: float = STEP_LIMIT) -> "_ProofRunner | ProofRun":
    """Start the runner in a thread (join, stop, then :func:`finish_proofs`), or return the
    :class:`ProofRun` that says why nothing runs (no folder, no module, no pytest)."""
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


def finish_proofs(runner: "_ProofRunner | ProofRun") -> ProofRun:
    """The :class:`ProofRun` of a started (and stopped) runner, steps in module order."""
    if isinstance(runner, ProofRun):
        return runner
    order = {m: i for i, m in enumerate(runner.modules)}
    steps = sorted(runner.steps.values(), key=lambda s: order.get(s.module, len(order)))
    return ProofRun(str(runner.dir), runner.modules, steps, dict(runner.errors), runner.note, runner.seconds,
                    runner.step_limit)
