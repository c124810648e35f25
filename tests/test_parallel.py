"""The execution engine: in-process and a real 2-worker Dask LocalCluster give the same ordered results;
failures are retried and reported with their unit; bad specs are one-line errors before any work."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from boundcheck.parallel import (DaskScheduler, InProcess, SchedulerError, UnitFailed, dask_available, get_scheduler,
                                 parse_spec)

needs_dask = pytest.mark.skipif(not dask_available(), reason="needs dask[distributed] (the 'dist' extra)")


@pytest.fixture(scope="module")
def dask2():
    """One LocalCluster of 2 single-threaded worker processes for the whole module."""
    if not dask_available():
        pytest.skip("needs dask[distributed]")
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test file
    with get_scheduler("local:2", retries=1) as s:
        yield s


# ----------------------------------------------------------------------------- units used below
def square_plus(x, offset=0):
    return x * x + offset


def fails_on_three(x):
    if x == 3:
        raise ValueError(f"bad unit {x}")
    return x


def flaky(x, marker_dir):
    """Fails the first time it sees a unit (a worker hiccup), succeeds on the retry."""
    m = Path(marker_dir) / f"seen-{x}"
    if not m.exists():
        m.write_text("1")
        raise RuntimeError("transient")
    return x + 100


def dies_on_two(x):
    if x == 2:
        os._exit(13)  # the worker process dies: a lost worker, not an exception
    return x


def row_sum(i, big):
    return float(big[i].sum())


# ----------------------------------------------------------------------------- specs
@pytest.mark.parametrize("spec, want", [
    (None, ("in-process", None)), ("", ("in-process", None)), ("local:3", ("local", 3)),
    ("tcp://10.0.0.5:8786", ("address", "tcp://10.0.0.5:8786")), ("node12:8786", ("address", "node12:8786")),
])
def test_parse_spec(spec, want):
    assert parse_spec(spec) == want


@pytest.mark.parametrize("spec, msg", [
    ("local:0", "positive integer"), ("local:two", "positive integer"), ("local:-1", "positive integer"),
    ("local:100000", "at most"), ("banana", "expected local:N"), ("/nonexistent/sched.json", "no such scheduler file"),
    ("tcp://host:99999", "out of range"),
])
def test_bad_specs_are_one_line_value_errors(spec, msg):
    with pytest.raises(SchedulerError, match=msg) as e:
        get_scheduler(spec)
    assert isinstance(e.value, ValueError) and "\n" not in str(e.value)


def test_missing_dask_is_a_clear_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    with pytest.raises(SchedulerError, match=r"needs Dask.*boundcheck\[dist\]") as e:
        get_scheduler("local:2")
    assert "\n" not in str(e.value)
    assert isinstance(get_scheduler(None), InProcess)  # the default never needs Dask


def test_unreachable_address_is_a_one_line_error():
    pytest.importorskip("distributed")
    with pytest.raises(SchedulerError, match="cannot connect"):
        get_scheduler("tcp://127.0.0.1:9", connect_timeout=2)


# ----------------------------------------------------------------------------- in-process
def test_in_process_map_is_an_ordered_loop():
    seen, prog = [], []
    with get_scheduler(None) as s:
        assert s.kind == "in-process" and s.workers == 1
        out = s.map(square_plus, range(5), args=(1,), on_result=lambda i, r: seen.append((i, r)),
                    progress=lambda d, n: prog.append((d, n)))
    assert out == [1, 2, 5, 10, 17]
    assert seen == list(enumerate(out)) and prog == [(k, 5) for k in range(1, 6)]
    with pytest.raises(ValueError, match="bad unit 3"):  # propagates unchanged, at once
        InProcess().map(fails_on_three, range(6))


# ----------------------------------------------------------------------------- Dask
@needs_dask
def test_dask_map_equals_in_process_in_order(dask2):
    assert isinstance(dask2, DaskScheduler) and dask2.workers == 2
    units = list(range(40))[::-1]
    prog, seen = [], {}
    got = dask2.map(square_plus, units, args=(7,), progress=lambda d, n: prog.append((d, n)),
                    on_result=lambda i, r: seen.__setitem__(i, r))
    assert got == InProcess().map(square_plus, units, args=(7,))
    assert [d for d, _ in prog] == list(range(1, 41)) and {n for _, n in prog} == {40}
    assert seen == dict(enumerate(got))
    assert dask2.map(square_plus, []) == []


@needs_dask
def test_dask_ships_shared_args_once_and_they_arrive_intact(dask2):
    big = np.random.default_rng(0).standard_normal((64, 20_000))  # 10 MB: scattered, not per unit
    got = dask2.map(row_sum, range(64), args=(big,))
    assert got == [float(big[i].sum()) for i in range(64)]  # bit for bit (aligned copies, see engine._dumps)


@needs_dask
def test_dask_failure_is_reported_with_its_unit_and_the_rest_complete(dask2):
    done = {}
    with pytest.raises(UnitFailed) as e:
        dask2.map(fails_on_three, range(6), on_result=lambda i, r: done.__setitem__(i, r),
                  describe=lambda u: f"x={u}")
    f = e.value.failures
    assert [x.index for x in f] == [3] and f[0].unit == "x=3" and "ValueError: bad unit 3" in f[0].error
    assert "unit 4 of 6 (x=3) failed after 1 retry: ValueError: bad unit 3" == str(e.value)
    assert "fails_on_three" in f[0].traceback
    assert done == {0: 0, 1: 1, 2: 2, 4: 4, 5: 5}  # every other unit finished and was handed back


@needs_dask
def test_dask_retries_a_transient_failure(dask2, tmp_path):
    assert dask2.map(flaky, range(4), args=(str(tmp_path),)) == [100, 101, 102, 103]
    with pytest.raises(UnitFailed, match="after 0 retries: RuntimeError: transient"):
        dask2.map(flaky, [9], args=(str(tmp_path),), retries=0)


@needs_dask
def test_dask_lost_worker_is_reported_not_dropped(dask2):
    done = {}
    with pytest.raises(UnitFailed) as e:
        dask2.map(dies_on_two, range(4), describe=lambda u: f"x={u}", on_result=lambda i, r: done.__setitem__(i, r))
    failed = {x.index for x in e.value.failures}
    # Dask blames every task that was on a worker when it died (a queued neighbour may be blamed
    # too): the culprit is always reported, and every unit is either handed back or reported
    assert 2 in failed and all("KilledWorker" in x.error for x in e.value.failures)
    assert failed | set(done) == {0, 1, 2, 3} and not failed & set(done)
    assert dask2.map(square_plus, range(3)) == [0, 1, 4]  # the cluster recovered its workers


@needs_dask
def test_context_manager_closes_the_cluster_it_started():
    with get_scheduler("local:1") as s:
        cluster = s.cluster
        assert s.map(square_plus, [3]) == [9]
        assert "local cluster, 1 worker" in s.describe()
    assert cluster.status.name == "closed" and s.client.status == "closed"
