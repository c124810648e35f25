"""The execution engine: an ordered map over independent units, in-process or on Dask.

Contract of :meth:`Scheduler.map` (the same for every scheduler):

* ``fn(unit, *args)`` is called once per unit (more often only when a Dask worker fails
  and the unit is retried); results come back **in the order of the units**;
* ``on_result(index, result)`` runs in the calling process as each unit completes (in
  completion order) — callers use it to cache finished units at once, so an interrupted
  run resumes from them; ``progress(done, total)`` follows completed units the same way;
* a unit that still fails after ``retries`` retries is never dropped: when every other
  unit has finished, :class:`UnitFailed` is raised naming each failed unit (index,
  ``describe(unit)``, the error and its remote traceback).  In-process, an exception
  propagates at once, unchanged (the default path behaves exactly as a plain loop);
* ``fn``, the units and ``args`` must be picklable for Dask (module-level functions;
  cloudpickle handles the rest).  ``args`` are shipped once per map (scattered to the
  workers), not once per unit.

Results are the same on every scheduler for the same units: a unit's randomness must be a
function of the unit (its seed), never of where or when it runs.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence, runtime_checkable

log = logging.getLogger("boundcheck")

__all__ = ["Scheduler", "InProcess", "DaskScheduler", "get_scheduler", "parse_spec", "UnitFailed", "Failure",
           "SchedulerError", "dask_available", "check_relative_paths", "DEFAULT_RETRIES", "MAX_LOCAL_WORKERS"]

#: retries of a unit whose worker failed, before it is reported (Dask's ``submit(retries=…)``)
DEFAULT_RETRIES = 2
#: a local cluster larger than this is a typo, not a plan
MAX_LOCAL_WORKERS = 512

#: the environment of local workers (see get_scheduler)
_WORKER_ENV = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}

_INSTALL = "pip install 'boundcheck[dist]' (or: pip install 'dask[distributed]')"


class SchedulerError(ValueError):
    """A ``--scheduler`` that cannot be honoured (bad spec, Dask missing, no connection): one line, exit 2."""


@dataclass(frozen=True)
class Failure:
    """One unit that failed after its retries."""

    index: int
    unit: str        # describe(unit)
    error: str       # "ExceptionType: message"
    traceback: str   # the worker's traceback (may be empty)


class UnitFailed(RuntimeError):
    """Units failed after their retries; ``failures`` lists every one (never silently dropped)."""

    def __init__(self, failures: Sequence[Failure], total: int, retries: int) -> None:
        self.failures = list(failures)
        self.total = total
        self.retries = retries
        f = self.failures[0]
        more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
        super().__init__(f"unit {f.index + 1} of {total} ({f.unit}) failed after {retries} "
                         f"retr{'y' if retries == 1 else 'ies'}: {f.error}{more}")


ProgressFn = Callable[[int, int], None]
ResultFn = Callable[[int, Any], None]


@runtime_checkable
class Scheduler(Protocol):
    """What every scheduler offers (see the module docstring for the contract of ``map``)."""

    kind: str       # "in-process" | "dask"
    workers: int    # worker processes (1 in-process)

    def map(self, fn: Callable[..., Any], units: Iterable[Any], *, args: tuple = (),
            progress: ProgressFn | None = None, on_result: ResultFn | None = None,
            describe: Callable[[Any], str] = repr, retries: int | None = None, label: str = "unit") -> list: ...

    def describe(self) -> str: ...

    def working_directories(self) -> set[str]: ...

    def close(self) -> None: ...

    def __enter__(self) -> "Scheduler": ...

    def __exit__(self, *exc: Any) -> None: ...


# ============================================================================ in-process
class InProcess:
    """Run every unit here, one after the other: the default (no Dask needed, none imported)."""

    kind = "in-process"
    workers = 1

    def map(self, fn: Callable[..., Any], units: Iterable[Any], *, args: tuple = (),
            progress: ProgressFn | None = None, on_result: ResultFn | None = None,
            describe: Callable[[Any], str] = repr, retries: int | None = None, label: str = "unit") -> list:
        units = list(units)
        out = []
        for i, u in enumerate(units):
            r = fn(u, *args)  # an exception propagates unchanged: the default path is a plain loop
            out.append(r)
            if on_result is not None:
                on_result(i, r)
            if progress is not None:
                progress(i + 1, len(units))
        return out

    def describe(self) -> str:
        return "in-process"

    def working_directories(self) -> set[str]:
        return {os.getcwd()}

    def close(self) -> None:
        pass

    def __enter__(self) -> "InProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ============================================================================ Dask
def dask_available() -> bool:
    """Whether ``dask.distributed`` can be imported (without importing it when it cannot)."""
    import importlib.util
    return importlib.util.find_spec("distributed") is not None


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise SchedulerError(f"--scheduler needs Dask, which is not installed: {_INSTALL}") from None
    return distributed


class DaskScheduler:
    """Units as Dask futures on a ``distributed.Client``; closes only what it started.

    ``client``: a connected ``distributed.Client``; ``cluster``: the LocalCluster this
    object started (closed with it), or None for an external scheduler (only the client
    is closed; the cluster keeps running for its owner).
    """

    kind = "dask"

    def __init__(self, client: Any, cluster: Any = None, *, retries: int = DEFAULT_RETRIES, spec: str = "",
                 quiet: contextlib.ExitStack | None = None) -> None:
        self.client = client
        self.cluster = cluster
        self._quiet = quiet  # a local scheduler logs in this process: held at WARNING until closed
        self.retries = _check_retries(retries)
        self.spec = spec
        self._closed = False

    @property
    def workers(self) -> int:
        try:
            return max(1, len(self.client.scheduler_info().get("workers", {})))
        except Exception:  # noqa: BLE001 - a dead scheduler has no workers to count
            return 1

    def working_directories(self) -> set[str]:
        """The current directories of the workers (relative paths resolve against them)."""
        return set(self.client.run(os.getcwd).values()) or {os.getcwd()}

    def describe(self) -> str:
        where = "local cluster" if self.cluster is not None else f"scheduler {self.client.scheduler.address}"
        return f"dask ({where}, {self.workers} worker{'s' if self.workers != 1 else ''})"

    def map(self, fn: Callable[..., Any], units: Iterable[Any], *, args: tuple = (),
            progress: ProgressFn | None = None, on_result: ResultFn | None = None,
            describe: Callable[[Any], str] = repr, retries: int | None = None, label: str = "unit") -> list:
        distributed = _import_distributed()
        units = list(units)
        n = len(units)
        if n == 0:
            return []
        retries = self.retries if retries is None else _check_retries(retries)
        tag = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', label)}-{uuid.uuid4().hex[:8]}"
        shared = [self.client.scatter(_Shared(f"{tag}-arg{j}", _dumps(a)), broadcast=True, hash=False)
                  for j, a in enumerate(args)]
        futures = [self.client.submit(_call, fn, _dumps(u), *shared, key=f"{tag}-{i}", retries=retries, pure=False)
                   for i, u in enumerate(units)]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * n
        failures: list[Failure] = []
        done = 0
        try:
            with self.client.as_current():  # as_completed finds the client through the "current" one
                completed = distributed.as_completed(futures)
            for fut in completed:
                i = index[fut.key]
                try:
                    # blocks when the result was lost with a worker and is being recomputed
                    r = _loads(fut.result())
                except (Exception, asyncio.CancelledError) as exc:  # an error, or a lost/cancelled unit
                    failures.append(_failure(fut, exc, i, units[i], describe))
                    log.warning("%s %d of %d (%s) failed: %s", label, i + 1, n, failures[-1].unit, failures[-1].error)
                else:
                    results[i] = r
                    if on_result is not None:
                        on_result(i, r)
                done += 1
                if progress is not None:
                    progress(done, n)
                fut.release()
        except BaseException:
            self.client.cancel(futures)  # Ctrl-C or a callback error: stop the rest
            raise
        finally:
            for s in shared:
                s.release()
        if failures:
            raise UnitFailed(sorted(failures, key=lambda f: f.index), n, retries)
        return results

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with _quiet():  # the cluster's shutdown chatter is not the user's business
            try:
                self.client.close()
            finally:
                try:
                    if self.cluster is not None:
                        self.cluster.close()
                finally:
                    if self._quiet is not None:
                        self._quiet.close()

    def __enter__(self) -> "DaskScheduler":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ---------------------------------------------------------------------------- transport
# Everything that crosses a process boundary travels as an in-band pickle (protocol 4) and is
# unpickled into freshly allocated memory.  Why: Dask's zero-copy transport hands NumPy arrays
# over in buffers at arbitrary byte offsets (measured: 33 bytes, ``flags.aligned`` False), and
# NumPy's reductions take a different SIMD path on unaligned data, so ``x.sum()`` differed in
# the last bits from the in-process value.  Copied, aligned data makes a unit compute exactly
# what it computes in-process.
def _dumps(obj: Any) -> bytes:
    import cloudpickle
    return cloudpickle.dumps(obj, protocol=4)


def _loads(blob: bytes) -> Any:
    import pickle
    return pickle.loads(blob)


@dataclass(frozen=True)
class _Shared:
    """An argument shared by every unit of a map: shipped once, unpickled once per worker process."""

    token: str
    blob: bytes


_RESOLVED: dict[str, Any] = {}


def _resolve(s: _Shared) -> Any:
    if s.token not in _RESOLVED:
        while len(_RESOLVED) >= 4:  # only a few maps' arguments are alive at a time
            _RESOLVED.pop(next(iter(_RESOLVED)))
        _RESOLVED[s.token] = _loads(s.blob)
    return _RESOLVED[s.token]


def _call(fn: Callable[..., Any], unit_blob: bytes, *shared: _Shared) -> bytes:
    """What a worker runs for one unit."""
    return _dumps(fn(_loads(unit_blob), *(_resolve(s) for s in shared)))


def _failure(fut: Any, exc: BaseException, i: int, unit: Any, describe: Callable[[Any], str]) -> Failure:
    import traceback as tb_mod
    try:
        tb_obj = fut.traceback()
        tb = "".join(tb_mod.format_tb(tb_obj)) if tb_obj is not None else ""
    except Exception:  # noqa: BLE001 - a cancelled future has no traceback to fetch
        tb = ""
    err = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    try:
        what = describe(unit)
    except Exception:  # noqa: BLE001 - the description must never hide the failure
        what = f"unit {i}"
    return Failure(i, what[:200], err, tb)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Dask's own INFO logging (cluster start and shutdown) held at WARNING meanwhile."""
    lg = logging.getLogger("distributed")
    old = lg.level
    lg.setLevel(max(old, logging.WARNING) if old else logging.WARNING)
    try:
        yield
    finally:
        lg.setLevel(old)


def _check_retries(r: Any) -> int:
    if isinstance(r, bool) or not isinstance(r, int) or r < 0:
        raise SchedulerError(f"retries must be an integer >= 0, got {r!r}")
    return r


# ============================================================================ the spec
_ADDRESS = re.compile(r"^(?:(tcp|tls|ucx|inproc|ws|wss)://)?[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


def parse_spec(spec: str | None) -> tuple[str, Any]:
    """``None``/"" → ("in-process", None); "local" | "local:N" → ("local", N);
    an address ``[proto://]host:port`` → ("address", spec); a path to an existing
    scheduler file (``*.json``, as written by ``dask scheduler --scheduler-file``) →
    ("file", path).  Anything else is a :class:`SchedulerError` (checked before any work)."""
    if spec is None:
        return "in-process", None
    s = str(spec).strip()
    if not s or s == "none":
        return "in-process", None
    if s == "local" or s.startswith("local:"):
        if s == "local":
            return "local", max(1, os.cpu_count() or 1)
        n_s = s[len("local:"):]
        if not n_s.isdigit() or int(n_s) < 1:
            raise SchedulerError(f"--scheduler {spec!r}: local:N needs a positive integer N of worker processes")
        n = int(n_s)
        if n > MAX_LOCAL_WORKERS:
            raise SchedulerError(f"--scheduler {spec!r}: at most {MAX_LOCAL_WORKERS} local workers "
                                 f"(this machine has {os.cpu_count()} CPUs); use a cluster address for more")
        return "local", n
    if s.endswith(".json"):
        p = Path(s).expanduser()
        if not p.is_file():
            raise SchedulerError(f"--scheduler {spec!r}: no such scheduler file")
        return "file", str(p)
    if _ADDRESS.match(s):
        port = int(s.rsplit(":", 1)[1])
        if not 0 < port < 65536:
            raise SchedulerError(f"--scheduler {spec!r}: port {port} out of range")
        return "address", s
    raise SchedulerError(f"--scheduler {spec!r}: expected local:N, a Dask scheduler address "
                         "(tcp://host:port) or a scheduler file (*.json)")


def get_scheduler(spec: str | None = None, *, retries: int = DEFAULT_RETRIES,
                  connect_timeout: float = 15.0) -> InProcess | DaskScheduler:
    """The scheduler for ``--scheduler SPEC`` (see :func:`parse_spec`); use it as a context manager.

    ``local:N`` starts a LocalCluster of N worker *processes* with one thread each (the
    nanny pins OMP/MKL/OpenBLAS to one thread, so N workers use N cores), no dashboard,
    quiet logs; it is closed with the scheduler.  An address connects a client to a
    running scheduler and closes only the client.
    """
    kind, val = parse_spec(spec)
    _check_retries(retries)
    if kind == "in-process":
        return InProcess()
    distributed = _import_distributed()
    t0 = time.monotonic()
    if kind == "local":
        if val > (os.cpu_count() or 1):
            log.warning("--scheduler local:%d: more workers than the %s CPUs of this machine", val, os.cpu_count())
        import dask
        # the nanny's default worker environment pins BLAS/OpenMP to one thread (kept: one thread
        # per worker) and sets MALLOC_TRIM_THRESHOLD_=65536 (dropped: glibc then returns freed
        # memory at once, and NumPy's large temporaries fault their pages in on every step —
        # measured 1.6× slower on a figures column).  Set process-wide, so restarted workers get it too.
        dask.config.set({"distributed.nanny.pre-spawn-environ": _WORKER_ENV})
        quiet = contextlib.ExitStack()
        quiet.enter_context(_quiet())  # the scheduler and its connections log here, asynchronously
        try:  # no dashboard; the scheduler's HTTP server on a free port, never 8787
            cluster = distributed.LocalCluster(n_workers=val, threads_per_worker=1, processes=True,
                                               dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                                               silence_logs=logging.ERROR)
            client = distributed.Client(cluster, set_as_default=False)  # (its connection chatter too)
        except Exception as exc:  # noqa: BLE001 - one line, whatever went wrong starting processes
            quiet.close()
            raise SchedulerError(f"could not start a local Dask cluster of {val} workers: {exc}") from None
        log.info("dask: local cluster of %d workers started in %.1fs", val, time.monotonic() - t0)
        return DaskScheduler(client, cluster, retries=retries, spec=str(spec), quiet=quiet)
    try:
        if kind == "file":
            client = distributed.Client(scheduler_file=val, timeout=f"{connect_timeout}s", set_as_default=False)
        else:
            client = distributed.Client(val, timeout=f"{connect_timeout}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(f"cannot connect to the Dask scheduler at {val}: {exc}") from None
    log.info("dask: connected to %s in %.1fs", val, time.monotonic() - t0)
    return DaskScheduler(client, None, retries=retries, spec=str(spec))


def check_relative_paths(sched: "Scheduler", paths: dict) -> None:
    """Units write their files where the caller would: a relative path (``{option: path}``) is
    refused, before any work, when the workers run in another directory than this process."""
    rel = {o: p for o, p in paths.items() if p is not None and not Path(p).is_absolute()}
    if not rel or sched.kind == "in-process":
        return
    here = os.getcwd()
    there = sched.working_directories()
    if there != {here}:
        o, p = next(iter(rel.items()))
        raise SchedulerError(f"{o} {p} is relative and the Dask workers run in {', '.join(sorted(there))} "
                             f"(not {here}): give an absolute {o} on a shared file system")


def per_unit_overhead(sched: InProcess | DaskScheduler, units: int = 200) -> float:
    """Seconds of scheduling overhead per unit: wall time of ``units`` no-op units / units
    (measured, for ``benchmarks/``; a no-op's compute time is ≈ 0)."""
    t = time.perf_counter()
    sched.map(_noop, range(units), label="noop")
    dt = time.perf_counter() - t
    return dt / units if units else math.nan


def _noop(x: Any) -> Any:
    return x
