"""verify and search on Dask (issue 17): a module-scoped LocalCluster of 2 workers gives the same
records, search results and growth rows as this process for the same seed and trials."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from boundcheck.engine.growth import growth
from boundcheck.engine.restarts import derived_seed, search_restarts, split_trials
from boundcheck.engine.verify import verify
from boundcheck.paper import get_statement
from boundcheck.parallel import InProcess, SchedulerError, check_relative_paths, dask_available, get_scheduler

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
needs_dask = pytest.mark.skipif(not dask_available(), reason="needs dask[distributed] (the 'dist' extra)")


@pytest.fixture(scope="module")
def dask2():
    if not dask_available():
        pytest.skip("needs dask[distributed]")
    with get_scheduler("local:2", retries=1) as s:
        yield s


def _records(recs, root: Path) -> list[dict]:
    """Records without timings, paths relative to the run's folder."""
    return json.loads(json.dumps([r.as_dict(timings=False) for r in recs], default=str).replace(str(root), "<out>"))


def _payload(path: Path) -> dict:
    d = json.loads(path.read_text())
    d.pop("created", None)
    return d


@needs_dask
def test_verify_on_dask_equals_in_process(dask2, tmp_path):
    """Statements then diagnoses as units: the same records (lemma8 refuted, its diagnosis, its
    corrected version verified; lemma6 verified) and byte-for-byte the same counterexample files."""
    a, b = tmp_path / "a", tmp_path / "b"
    ra = verify(["lemma8", "lemma6"], trials=400, seed=0, out_dir=a, reuse=False)
    seen = []
    rb = verify(["lemma8", "lemma6"], trials=400, seed=0, out_dir=b, reuse=False, scheduler=dask2,
                on_record=seen.append)
    assert [r.id for r in ra] == [r.id for r in rb] == ["lemma6", "lemma8", "lemma8_corrected"]
    assert sorted(r.id for r in seen) == sorted(r.id for r in rb)  # every settled unit reported
    assert _records(ra, a) == _records(rb, b)
    assert {r.id: r.status for r in rb} == {"lemma6": "verified", "lemma8": "refuted", "lemma8_corrected": "verified"}
    assert rb[1].diagnosis["minimal"] == [["order", "pivot_term"]]
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) and "lemma8.json" in names
    for n in names:
        assert _payload(a / n) == _payload(b / n)


@needs_dask
def test_verify_on_dask_imports_the_users_module_on_the_workers(dask2, tmp_path):
    from boundcheck.lang.modules import load_statement_files
    mod = str(EXAMPLES / "false_lemma.py")
    ids = load_statement_files([mod])
    ra = verify(ids, trials=300, out_dir=tmp_path / "a", reuse=False)
    rb = verify(ids, trials=300, out_dir=tmp_path / "b", reuse=False, scheduler=dask2, modules=[mod])
    assert [r.status for r in rb] == ["refuted"]
    assert _records(ra, tmp_path / "a") == _records(rb, tmp_path / "b")


def test_restart_seeds_and_trials():
    assert [derived_seed(7, i) for i in range(3)] == [derived_seed(7, i) for i in range(5)][:3]  # not on R
    assert len({derived_seed(7, i) for i in range(64)}) == 64 and derived_seed(7, 0) != derived_seed(8, 0)
    assert split_trials(10, 3) == [4, 3, 3] and sum(split_trials(1601, 16)) == 1601
    st = get_statement("lemma6")
    with pytest.raises(ValueError, match="restarts"):
        search_restarts(st, 0)
    with pytest.raises(ValueError, match="cannot be split"):
        search_restarts(st, 8, trials=4)
    one = search_restarts(st, 1, trials=200, seed=3)
    from boundcheck.engine.search import search
    assert one.as_dict(timings=False)["best_ratio"] == search(st, trials=200, seed=3).best_ratio  # R = 1: plain


@needs_dask
@pytest.mark.parametrize("sid, scale, trials", [("lemma9", 0.98, 1600), ("theorem2", 1.0, 600)])
def test_search_restarts_on_dask_equal_in_process(dask2, sid, scale, trials):
    """A found search (stops at the first restart, in order, that found) and a verified one."""
    st = get_statement(sid)
    ra = search_restarts(st, 4, trials=trials, seed=3, scale=scale)
    rb = search_restarts(st, 4, trials=trials, seed=3, scale=scale, scheduler=dask2)
    strip = lambda r: {k: v for k, v in r.as_dict(timings=False).items() if k != "counterexample"}  # noqa: E731
    assert strip(ra) == strip(rb)
    assert ra.found == (sid == "lemma9")
    if ra.found:
        assert ra.counterexample["check"] == rb.counterexample["check"]
    else:
        assert ra.evaluations == trials and ra.trials_budget == trials  # every restart ran its share


@needs_dask
def test_growth_rows_on_dask_equal_in_process(dask2):
    st = get_statement("lemma12_smooth_convex")
    ra = growth(st, (10, 40), trials=1024, seed=0)
    rb = growth(st, (10, 40), trials=1024, seed=0, scheduler=dask2)
    key = lambda rows: [{k: (v if k != "params" else {n: a.tolist() for n, a in v.items()}) for k, v in r.items()}  # noqa: E731
                        for r in rows]
    assert key(ra) == key(rb)


def test_relative_paths_are_refused_when_workers_run_elsewhere(tmp_path):
    class Elsewhere(InProcess):
        kind = "dask"

        def working_directories(self):
            return {"/somewhere/else"}
    check_relative_paths(InProcess(), {"--out-dir": "reports"})  # in-process: nothing to check
    check_relative_paths(Elsewhere(), {"--out-dir": str(tmp_path)})  # absolute: fine
    with pytest.raises(SchedulerError, match="--out-dir reports is relative"):
        check_relative_paths(Elsewhere(), {"--out-dir": "reports"})


@needs_dask
def test_cli_verify_on_local_cluster_equals_in_process(tmp_path, monkeypatch, capsys):
    """``boundcheck verify --scheduler local:2`` (issue 17, done-when) on two statements."""
    from boundcheck.cli.app import main
    monkeypatch.chdir(tmp_path)
    base = ["verify", "--statement", "lemma11", "--trials", "300", "--no-reuse", "-q"]
    assert main(base + ["--out-dir", "a", "--json", "a.json"]) == 0
    assert main(base + ["--out-dir", "b", "--json", "b.json", "--scheduler", "local:2"]) == 0
    ra, rb = (json.loads(Path(f).read_text())["records"] for f in ("a.json", "b.json"))
    for r in ra + rb:
        r.pop("seconds")
    assert json.dumps(ra).replace('"a/', '"X/') == json.dumps(rb).replace('"b/', '"X/')
    assert "Receive client connection" not in capsys.readouterr().err  # the cluster's chatter stays quiet


@needs_dask
@pytest.mark.slow
def test_default_verify_on_local_cluster_equals_in_process(dask2, tmp_path):
    """The whole default ``verify`` (every statement, diagnoses included) on 2 workers."""
    ra = verify(None, seed=0, out_dir=tmp_path / "a", reuse=False)
    rb = verify(None, seed=0, out_dir=tmp_path / "b", reuse=False, scheduler=dask2)
    assert _records(ra, tmp_path / "a") == _records(rb, tmp_path / "b")
    assert sum(r.status == "verified" for r in rb) == 12 and sum(r.status == "refuted" for r in rb) == 7


def test_pep_grid_on_dask_equals_in_process(dask2, tmp_path):
    """boundcheck pep: grid points as units; the same verdicts, ratios and certificate files."""
    from boundcheck.paper import get_statement
    from boundcheck.pep.grid import grid_points, run_grid
    for sid, K, vals in (("lemma5", [1, 2, 3], {"eta_frac": ["1/2", "1"]}),
                         ("lemma5_potential", [2, 3], {"eta_frac": ["1"]})):
        st = get_statement(sid)
        pts = grid_points(st, K, vals)
        here = run_grid(st, pts, out_dir=str(tmp_path / "here"))
        there = run_grid(st, pts, out_dir=str(tmp_path / "there"), scheduler=dask2)
        strip = lambda r: {**r.as_dict(), "seconds": 0, "file": Path(r.file).name if r.file else None}  # noqa: E731
        assert [strip(r) for r in here] == [strip(r) for r in there]
    for sub in ("certificates", "witnesses"):
        a = sorted((tmp_path / "here" / sub).iterdir())
        b = sorted((tmp_path / "there" / sub).iterdir())
        assert [p.name for p in a] == [p.name for p in b] and a
        for x, y in zip(a, b):  # identical payloads (the envelope's creation time aside)
            import json
            jx, jy = json.loads(x.read_text()), json.loads(y.read_text())
            jx.pop("created", None), jy.pop("created", None)
            assert jx == jy
