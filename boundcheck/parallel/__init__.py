"""Where independent units of work run: in this process, or on a Dask cluster.

Owns: the execution engine every command that fans out uses (``figures``' (B, K) columns,
``rates``' grid chunks, ``verify``'s statements, ``search``'s restarts, PEP grid points).
One small protocol (:class:`Scheduler`): an ordered ``map(fn, units)`` over independent
units with a progress callback that follows completed units, worker failures retried and
then *reported with the unit that failed* (:class:`UnitFailed`), and a context manager
that closes what it started.  :func:`get_scheduler` turns the CLI's ``--scheduler`` into
one: absent → in-process (the default; Dask is not imported), ``local:N`` → a
``dask.distributed`` LocalCluster of N single-threaded worker processes, anything else →
the address of a running Dask scheduler (e.g. one started by dask-jobqueue on SLURM/PBS).

Dask is the optional extra ``dist`` (``dask[distributed]``), imported only when a Dask
scheduler is asked for.  May import: ``boundcheck.outputs`` only (a low layer: every
other layer may use it).
"""
from boundcheck.parallel.engine import (DaskScheduler, Failure, InProcess, Scheduler, SchedulerError, UnitFailed,
                                        check_relative_paths, dask_available, get_scheduler,
                                        parse_spec)

__all__ = ["Scheduler", "InProcess", "DaskScheduler", "get_scheduler", "parse_spec", "UnitFailed", "Failure",
           "SchedulerError", "dask_available", "check_relative_paths"]
