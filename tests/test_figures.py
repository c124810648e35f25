"""Section 5 machinery on synthetic data (fast) and the CLI on the real data (--quick)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from boundcheck.core import algorithms as alg
from boundcheck.experiments.data import Dataset, default_data_dir
from boundcheck.experiments.figures import (SweepConfig, agreement, certified_optimum, full_loss, lr_grid, make_figures,
                                            quick_config, run_column, sweep)
from boundcheck.experiments.figures.kernel import _batch_indices, _EvalCV, _Kernel, _Ops
from boundcheck.experiments.figures.objective import _value_grad
from boundcheck.experiments.figures.optimum import CACHE_VERSION as _VERSION
from boundcheck.core.losses import batch_objective
from boundcheck.outputs.files import load


def _binary(n=400, d=6, seed=0, noise=1.0) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, size=(n, d))
    wt = rng.standard_normal(d)
    y = np.where(X @ wt - np.median(X @ wt) + noise * rng.standard_normal(n) > 0, 1.0, -1.0)
    return Dataset("synthetic-binary", X, y, "logistic", 2, False, {"synthetic": str(seed)})


def _multi(n=300, d=5, C=3, seed=1) -> Dataset:
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.uniform(0, 1, size=(n, d - 1)), np.ones((n, 1))])
    Wt = rng.standard_normal((d, C)) * 2
    y = np.argmax(X @ Wt + rng.gumbel(size=(n, C)), axis=1)
    return Dataset("synthetic-multi", X, y.astype(np.int64), "softmax", C, True, {"synthetic": str(seed)})


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOUNDCHECK_CACHE", str(tmp_path / "cache"))


# ----------------------------------------------------------------------------- grid
def test_lr_grid_is_the_papers():
    g = lr_grid()
    assert len(g) == 61
    assert g[0] == pytest.approx(0.01) and g[-1] == pytest.approx(10.0)
    assert np.allclose(g[1:] / g[:-1], 10 ** (1 / 20))


# ----------------------------------------------------------------------------- certified optimum
def test_certified_optimum_binary_brackets_cvxpy():
    from boundcheck.core.optima import minimize_batch

    ds = _binary()
    opt = certified_optimum(ds, use_cache=False)
    assert opt.lower <= opt.upper and opt.gap < 1e-8
    ref = minimize_batch("logistic", {"x": ds.X, "y": ds.y})
    assert opt.lower - 1e-7 <= ref.value <= opt.upper + 1e-7
    # the certificate is a real lower bound: no point beats it
    rng = np.random.default_rng(3)
    for _ in range(20):
        w = opt.w + rng.standard_normal(ds.d) * 0.3
        assert full_loss(ds, w) >= opt.lower


def test_certified_optimum_multinomial_and_not_attained():
    ds = _multi()
    opt = certified_optimum(ds, use_cache=False)
    assert opt.gap < 1e-6 and opt.lower <= opt.upper
    # quasi-separation: a feature that is non-zero only in class-0 rows makes F* an infimum
    X = np.hstack([ds.X, np.where(ds.y[:, None] == 0, np.random.default_rng(0).uniform(0, 1, (ds.n, 1)), 0.0)])
    X[ds.y != 0, -1] = 0.0
    X[np.flatnonzero(ds.y == 0)[5:], -1] = 0.0  # only 5 images carry it
    ds2 = Dataset("sep", X, ds.y, "softmax", 3, True, {"s": "1"})
    opt2 = certified_optimum(ds2, use_cache=False)
    assert opt2.lower <= opt2.upper <= opt.upper + 1e-9  # an extra feature cannot hurt
    assert opt2.gap < 1e-3


def test_certified_optimum_is_cached(tmp_path):
    ds = _binary(n=200)
    a = certified_optimum(ds)
    t = time.monotonic()
    b = certified_optimum(ds)
    assert time.monotonic() - t < 1.0
    assert a.upper == b.upper and np.array_equal(a.w, b.w)


@pytest.mark.parametrize("make", [_binary, _multi])
@pytest.mark.parametrize("l2", [1e-3, 0.05])
def test_certified_optimum_regularised_brackets_lbfgs(make, l2):
    """F_λ = F + (λ/2)‖w‖²: the bracket contains an independent L-BFGS minimum, no point beats it."""
    import scipy.optimize

    ds = make()
    opt = certified_optimum(ds, l2=l2, use_cache=False)
    assert opt.l2 == l2 and opt.lower <= opt.upper and opt.gap < 1e-9
    assert opt.gap > 0  # the rounding allowance: a computed gap of 0 is never reported as exact
    assert opt.upper == pytest.approx(float(full_loss(ds, opt.w, l2=l2)), abs=1e-14)
    assert opt.loss_at_optimum == pytest.approx(float(full_loss(ds, opt.w)), abs=1e-14)
    assert opt.loss_at_optimum < opt.upper  # the regulariser is positive at ŵ ≠ 0
    shape = ds.param_shape
    r = scipy.optimize.minimize(lambda v: _value_grad(ds, v.reshape(shape), l2=l2)[0], np.zeros(int(np.prod(shape))),
                                jac=lambda v: _value_grad(ds, v.reshape(shape), l2=l2)[1].ravel(), method="L-BFGS-B",
                                options={"gtol": 1e-12, "ftol": 0, "maxiter": 5000})
    assert opt.lower <= r.fun + 1e-12
    rng = np.random.default_rng(4)
    for _ in range(20):
        assert full_loss(ds, opt.w + 0.2 * rng.standard_normal(shape), l2=l2) >= opt.lower
    # the unregularised optimum is a different number, and a different cache entry
    assert certified_optimum(ds, use_cache=False).upper < opt.upper


def test_regularised_value_grad_is_the_derivative():
    ds = _multi(n=100)
    rng = np.random.default_rng(5)
    w, v = rng.standard_normal(ds.param_shape), rng.standard_normal(ds.param_shape)
    f, g = _value_grad(ds, w, l2=0.3)
    h = 1e-6
    fd = (_value_grad(ds, w + h * v, l2=0.3)[0] - _value_grad(ds, w - h * v, l2=0.3)[0]) / (2 * h)
    assert float(np.sum(g * v)) == pytest.approx(fd, rel=1e-7)
    assert f == pytest.approx(_value_grad(ds, w)[0] + 0.15 * float(np.sum(w * w)), rel=1e-14)


def test_certified_optimum_rejects_bad_l2():
    for bad in (-1e-3, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="l2"):
            certified_optimum(_binary(n=50), l2=bad, use_cache=False)
        with pytest.raises(ValueError, match="l2"):
            SweepConfig("mnist", (4,), (1,), (0.1,), seeds=1, max_steps=20, eval_size=None, l2=bad)


# ----------------------------------------------------------------------------- kernel = Algorithm 1
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 2e-4)])
@pytest.mark.parametrize("l2", [0.0, 0.02])
@pytest.mark.parametrize("make", [_binary, _multi])
def test_kernel_matches_reference_echo(make, l2, dtype, rtol):
    """The batched kernel takes exactly the steps of Algorithm 1 with GD, as ``core.algorithms``
    defines them (``echo`` with ``gradient_descent``): one definition of the update.  The batch
    gradient handed to the reference is the full-data gradient of a one-batch data set (with
    λ > 0 the inner objective of each batch is f̄_ξ + (λ/2)‖w‖²)."""
    ds = make()
    lrs = np.array([0.1, 0.5, 2.0])
    S, B, K, T = 2, 7, 3, 4
    opt = certified_optimum(ds, l2=l2, use_cache=False)
    kern = _Kernel(ds, _Ops("cpu", dtype), lrs, S, _EvalCV(ds, opt, None))
    idx = np.stack([_batch_indices(s, B, ds.n, 0, T) for s in range(S)], axis=1)  # (T, S, B)
    for t in range(T):
        kern.batch(idx[t])
        for _ in range(K):
            kern.step()
    gd = alg.gradient_descent()
    for s in range(S):
        batches = []
        for t in range(T):
            sub = Dataset("b", ds.X[idx[t, s]], ds.y[idx[t, s]], ds.loss, ds.n_classes, ds.intercept)
            batches.append(lambda w, sub=sub: _value_grad(sub, w, l2=l2)[1])
        for c, lr in enumerate(lrs):
            ref = alg.echo(gd, np.zeros(ds.param_shape), gd.init(eta=lr), batches, K)
            np.testing.assert_allclose(kern.params(s, c), ref.outer[-1], rtol=rtol, atol=rtol * 1e-2)
    if ds.loss == "logistic" and not l2:  # and the library's own logistic objective gives the same steps
        b0 = [batch_objective("logistic", {"x": ds.X[idx[t, 0]], "y": ds.y[idx[t, 0]]}) for t in range(T)]
        ref = alg.echo(gd, np.zeros(ds.d), gd.init(eta=lrs[1]), b0, K)
        np.testing.assert_allclose(kern.params(0, 1), ref.outer[-1], rtol=rtol, atol=rtol * 1e-2)


def test_kernel_test_catches_a_wrong_update():
    """Plant a wrong step (η·1.001) in the reference: the comparison above must fail."""
    ds = _binary()
    opt = certified_optimum(ds, use_cache=False)
    kern = _Kernel(ds, _Ops("cpu", "float64"), np.array([0.5]), 1, _EvalCV(ds, opt, None))
    idx = _batch_indices(0, 7, ds.n, 0, 2)
    for t in range(2):
        kern.batch(idx[t][None])
        kern.step()
    subs = [Dataset("b", ds.X[i], ds.y[i], ds.loss, 2, False) for i in idx]
    gd = alg.gradient_descent()
    ref = alg.echo(gd, np.zeros(ds.d), gd.init(eta=0.5 * 1.001), [lambda w, b=b: _value_grad(b, w)[1] for b in subs], 1)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(kern.params(0, 0), ref.outer[-1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("l2", [0.0, 0.01])
@pytest.mark.parametrize("make", [_binary, _multi])
def test_excess_estimate_kernel_vs_float64_and_exact(make, l2):
    ds = make(n=2000) if make is _binary else make(n=1500)
    opt = certified_optimum(ds, l2=l2, use_cache=False)
    rows = np.sort(np.random.default_rng(0).choice(ds.n, 300, replace=False))
    lrs = np.array([0.3, 1.0])
    for cv in (_EvalCV(ds, opt, None), _EvalCV(ds, opt, rows)):
        kern = _Kernel(ds, _Ops("cpu", "float64"), lrs, 2, cv)
        kern.batch(np.stack([_batch_indices(s, 16, ds.n, 0, 1)[0] for s in range(2)]))
        for _ in range(5):
            kern.step()
        est = kern.eval_excess()
        Ws = np.stack([kern.params(s, c) for s in range(2) for c in range(2)])
        np.testing.assert_allclose(est.ravel(), cv.estimate(ds, Ws), rtol=1e-9, atol=1e-12)
        exact = full_loss(ds, Ws, l2=l2) - opt.upper
        if cv.full:
            np.testing.assert_allclose(est.ravel(), exact, rtol=1e-9, atol=1e-12)
        assert abs(cv.estimate(ds, opt.w[None])[0]) < 1e-12  # zero at ŵ


@pytest.mark.parametrize("l2", [0.0, 0.01])
@pytest.mark.parametrize("make", [_binary, _multi])
def test_carried_evaluation_logits_match_direct(make, l2):
    """Carrying X_e W through the steps (small-batch path) = recomputing it, across resyncs and dropped runs."""
    ds = make(n=800)
    opt = certified_optimum(ds, l2=l2, use_cache=False)
    rows = np.sort(np.random.default_rng(1).choice(ds.n, 200, replace=False))
    lrs = np.array([0.05, 0.3, 1.0, 3.0])
    out = {}
    variants = [(False, "cpu"), (True, "cpu")]
    try:
        import torch  # noqa: F401
        variants.append((True, "torch-cpu"))
    except ImportError:
        pass
    for carry, dev in variants:
        for cv in (_EvalCV(ds, opt, None), _EvalCV(ds, opt, rows)):
            kern = _Kernel(ds, _Ops(dev, "float64"), lrs, 2, cv, carry=carry, resync=7)
            curve = []
            for t in range(6):
                kern.batch(np.stack([_batch_indices(s, 5, ds.n, t, 1)[0] for s in range(2)]))
                for _ in range(3):
                    kern.step()
                    curve.append(np.array(kern.ops.numpy(kern.eval_excess())))
                if t == 2:
                    kern.keep(np.array([0, 2, 3]))
            assert kern.carry is carry
            out[carry, dev, cv.full] = curve
    for full in (True, False):
        for key in variants[1:]:
            for a, b in zip(out[False, "cpu", full], out[key + (full,)]):
                np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- one column
def test_run_column_definitions_and_pruning_is_exact():
    ds = _binary(n=3000, noise=0.5)
    opt = certified_optimum(ds, use_cache=False)
    grid = lr_grid(0.1, 10.0, 10)
    full = run_column(ds, opt, 8, 2, grid, seeds=3, max_steps=4000, lr_search="grid", dtype="float64")
    cf = run_column(ds, opt, 8, 2, grid, seeds=3, max_steps=4000, lr_search="coarse-fine", coarse_stride=4,
                    dtype="float64")
    assert full["tuned_lr"] is not None
    assert cf["tuned_lr"] == full["tuned_lr"] and cf["KT_mean"] == full["KT_mean"]
    b = full["tuned_index"]
    hits = np.array(full["hits"][b], dtype=float)
    assert full["KT_mean"] == pytest.approx(hits.mean())
    assert full["BT_mean"] == pytest.approx(8 * np.ceil(hits / 2).mean())
    # every complete lr has a mean ≥ the tuned one; pruned ones were provably no better
    for m in full["mean_steps"]:
        assert m is None or m >= full["KT_mean"]
    assert full["subsample_error"] == pytest.approx(0.0, abs=1e-9)  # full evaluation: exact


def test_hitting_step_is_first_window_mean_within_tol():
    """Recompute one run's loss curve by hand and check the reported hitting step."""
    ds = _binary(n=1000, noise=0.3)
    opt = certified_optimum(ds, use_cache=False)
    B, K, lr = 64, 3, 3.0
    res = run_column(ds, opt, B, K, [lr], seeds=1, max_steps=5000, lr_search="grid", dtype="float64")
    hit = res["hits"][0][0]
    assert hit is not None
    w = np.zeros(ds.d)
    losses = []
    step = 0
    t = 0
    while step < hit:
        idx = _batch_indices(0, B, ds.n, t, 1)[0]
        for _ in range(K):
            if step == hit:
                break
            _, g = _value_grad(Dataset("b", ds.X[idx], ds.y[idx], "logistic", 2, False), w)
            w = w - lr * g
            step += 1
            losses.append(full_loss(ds, w))
        t += 1
    exc = np.convolve(np.array(losses) - opt.upper, np.ones(10) / 10, mode="valid")
    first = int(np.argmax(exc <= 0.01 * opt.upper)) + 10
    assert first == hit


# ----------------------------------------------------------------------------- sweep, cache, figures, agreement
def test_sweep_resumes_from_cache(tmp_path):
    ds = _binary(n=2000, noise=0.5)
    opt = certified_optimum(ds, use_cache=False)
    cfg = SweepConfig("covtype", (4, 64), (1, 4), tuple(lr_grid(0.1, 10, 4)), seeds=2, max_steps=3000,
                      eval_size=500, lr_search="grid")
    kw = dict(dataset=ds, optimum=opt, cache=tmp_path, progress=False)
    a = sweep(cfg, **kw)
    assert a["cached_columns"] == 0 and len(a["columns"]) == 4
    files = sorted((tmp_path / "sweeps").rglob("*.json"))
    assert len(files) == 4
    files[1].unlink()  # as if the sweep had been interrupted there
    b = sweep(cfg, **kw)
    assert b["cached_columns"] == 3
    assert [c["KT_mean"] for c in b["columns"]] == [c["KT_mean"] for c in a["columns"]]
    # a different configuration is a different key
    from dataclasses import replace
    c = sweep(replace(cfg, seeds=1), **kw)
    assert c["cached_columns"] == 0 and c["key"] != a["key"]
    agr = agreement(b)
    assert {r["B"] for r in agr["per_B"]} == {4, 64}
    paths = make_figures(b, tmp_path / "out")
    assert paths["png"].stat().st_size > 10_000 and paths["pdf"].is_file()


def test_sweep_cache_is_loaded_defensively(tmp_path):
    """A cached column is input like any other: garbage, another column's file or a foreign kind is
    recomputed, never trusted; a garbage optimum cache is recomputed too."""
    ds = _binary(n=800, noise=0.5)
    opt = certified_optimum(ds, use_cache=False)
    cfg = SweepConfig("covtype", (8,), (1, 2), tuple(lr_grid(0.3, 3, 2)), seeds=1, max_steps=1500, eval_size=None,
                      lr_search="grid")
    kw = dict(dataset=ds, optimum=opt, cache=tmp_path, progress=False)
    a = sweep(cfg, **kw)
    f1, f2 = sorted((tmp_path / "sweeps").rglob("*.json"))
    f1.write_text("{not json")
    f2.write_text(json.dumps({"format": "boundcheck/echo", "version": 2}))
    b = sweep(cfg, **kw)
    assert b["cached_columns"] == 0 and [c["hits"] for c in b["columns"]] == [c["hits"] for c in a["columns"]]
    files = sorted((tmp_path / "sweeps").rglob("*.json"))
    files[0].write_text(files[1].read_text())  # B8_K1.json now holds the K = 2 column
    c = sweep(cfg, **kw)
    assert c["cached_columns"] == 1 and c["columns"][0]["K"] == 1
    # the optimum's cache: a file of garbage is ignored and rewritten
    o1 = certified_optimum(ds, cache=tmp_path)
    (p,) = (tmp_path / "optima").glob("*.npz")
    p.write_bytes(b"garbage")
    o2 = certified_optimum(ds, cache=tmp_path)
    assert o2.upper == o1.upper and np.array_equal(o2.w, o1.w)
    assert certified_optimum(ds, cache=tmp_path).upper == o1.upper  # rewritten, and read back


@pytest.fixture(scope="module")
def dask2():
    """A real LocalCluster of 2 single-threaded worker processes, shared by the tests below."""
    from boundcheck.parallel import dask_available, get_scheduler
    if not dask_available():
        pytest.skip("needs dask[distributed]")
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with get_scheduler("local:2") as s:
        yield s


def test_sweep_on_a_dask_cluster_equals_in_process_and_resumes(tmp_path, dask2):
    """The same columns, bit for bit, whether in-process or as units on 2 Dask workers; an interrupted
    cluster sweep resumes from the finished (cached) columns."""
    ds = _binary(n=1500, noise=0.5)
    opt = certified_optimum(ds, use_cache=False)
    cfg = SweepConfig("covtype", (4, 32), (1, 2, 4), tuple(lr_grid(0.1, 10, 4)), seeds=2, max_steps=2000,
                      eval_size=300, lr_search="coarse-fine", coarse_stride=3)
    here = sweep(cfg, dataset=ds, optimum=opt, cache=tmp_path / "a", progress=False)
    there = sweep(cfg, dataset=ds, optimum=opt, cache=tmp_path / "b", progress=False, scheduler=dask2)
    assert there["scheduler"].startswith("dask") and here["scheduler"] == "in-process"
    drop = ("seconds",)
    for c1, c2 in zip(here["columns"], there["columns"]):
        assert {k: v for k, v in c1.items() if k not in drop} == {k: v for k, v in c2.items() if k not in drop}
    files = sorted((tmp_path / "b" / "sweeps").rglob("*.json"))
    assert len(files) == 6
    for f in files[::2]:
        f.unlink()  # the cluster run was interrupted after half of the columns
    again = sweep(cfg, dataset=ds, optimum=opt, cache=tmp_path / "b", progress=False, scheduler=dask2)
    assert again["cached_columns"] == 3
    assert [c["hits"] for c in again["columns"]] == [c["hits"] for c in here["columns"]]


def _fake_result(slopes):
    cols = []
    for B, s in slopes.items():
        for K in (1, 2, 4, 8):
            kt = 1000.0 * K ** s
            cols.append({"B": B, "K": K, "tuned_lr": 1.0 / K ** s, "KT_mean": kt, "BT_mean": B * kt / K,
                         "max_steps": 10**6, "subsample_error": 0.01})
    return {"config": {"dataset": "covtype", "Bs": list(slopes), "Ks": [1, 2, 4, 8], "lrs": [0.01, 10.0],
                       "tol": 0.01, "seeds": 2, "name": "quick"},
            "columns": cols, "optimum": {"upper": 0.5135, "lower": 0.5134, "gap": 1e-4}}


def test_agreement_numbers():
    agr = agreement(_fake_result({16: 1.0, 64: 0.75, 256: 0.25, 1024: 0.0}))
    assert agr["phase_transition_B"] == pytest.approx(128.0)  # halfway between 64 and 256 in log B
    noise = {r["B"]: r for r in agr["noise_regime_lr_ratios"]}
    assert noise[16]["ratio"] == pytest.approx(8.0) and noise[16]["theory"] == 8
    assert agr["optimum"]["reported"] == 0.54
    assert agr["optimum"]["difference"] == pytest.approx(0.5135 - 0.54)
    assert agreement(_fake_result({16: 1.0, 64: 0.9}))["phase_transition_B"] is None
    assert agr["optimum"]["l2"] == 0.0 and agr["optimum"]["unregularised_loss_at_optimum"] == 0.5135


def test_agreement_with_regularised_objective():
    res = _fake_result({16: 1.0, 1024: 0.0})
    res["config"]["dataset"] = "mnist"
    res["config"]["l2"] = 1e-3
    res["optimum"] = {"upper": 0.3383, "lower": 0.3383, "gap": 1e-11, "l2": 1e-3, "loss_at_optimum": 0.2846}
    o = agreement(res)["optimum"]
    assert o["l2"] == 1e-3 and o["objective"].startswith("F + ")
    assert o["unregularised_difference"] == pytest.approx(0.2846 - 0.3)
    assert o["reported_is_not_unregularised_optimum"] is True


def test_sweep_key_depends_on_l2_only_when_set():
    ds = _binary(n=100)
    opt = certified_optimum(ds, use_cache=False)
    base = SweepConfig("covtype", (4,), (1,), (0.1,), seeds=1, max_steps=20, eval_size=None)
    from dataclasses import asdict, replace
    assert base.l2 == 0.0 and replace(base, l2=1e-3).key(ds, opt) != base.key(ds, opt)
    # the unregularised key is the one computed before l2 existed (cached sweeps stay valid)
    import hashlib
    d = {k: v for k, v in asdict(base).items() if k not in ("Bs", "Ks", "name", "l2")}
    d.update(version=_VERSION, files=sorted(ds.files.items()), fstar=round(opt.upper, 12))
    assert base.key(ds, opt) == hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]
    with pytest.raises(ValueError, match="l2"):
        sweep(replace(base, l2=1e-3), dataset=ds, optimum=opt, use_cache=False, progress=False)


def test_quick_configs_are_small():
    for ds in ("covtype", "mnist"):
        c = quick_config(ds)
        assert len(c.Bs) * len(c.Ks) <= 6 and c.seeds <= 2 and len(c.lrs) == 13


# ----------------------------------------------------------------------------- devices
@pytest.mark.parametrize("make", [_binary, _multi])
def test_torch_cpu_column_matches_numpy(make):
    pytest.importorskip("torch")
    ds = make()
    opt = certified_optimum(ds, use_cache=False)
    kw = dict(seeds=2, max_steps=3000, dtype="float64", eval_size=100, lr_search="grid")
    a = run_column(ds, opt, 8, 2, [0.5, 1.0, 2.0, 4.0], device="cpu", **kw)
    b = run_column(ds, opt, 8, 2, [0.5, 1.0, 2.0, 4.0], device="torch-cpu", **kw)
    assert a["hits"] == b["hits"] and a["tuned_lr"] == b["tuned_lr"]


@pytest.mark.gpu
def test_cuda_column_matches_numpy():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA")
    ds = _binary(n=3000)
    opt = certified_optimum(ds, use_cache=False)
    grid = lr_grid(0.3, 3, 10)
    a = run_column(ds, opt, 16, 2, grid, seeds=2, max_steps=3000, dtype="float64", device="cpu")
    b = run_column(ds, opt, 16, 2, grid, seeds=2, max_steps=3000, dtype="float64", device="cuda")
    assert a["tuned_lr"] == b["tuned_lr"]
    assert abs(a["KT_mean"] - b["KT_mean"]) <= 2


# ----------------------------------------------------------------------------- the CLI on the real data
needs_data = pytest.mark.skipif(default_data_dir() is None, reason="no data dir (set BOUNDCHECK_DATA)")


def _run_cli(tmp_path, *args, timeout=1800):
    env = dict(os.environ, BOUNDCHECK_CACHE=str(tmp_path / "cache"))
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "boundcheck", "figures", *args, "--out", str(out)],
                       capture_output=True, text=True, env=env, timeout=timeout)
    assert p.returncode == 0, p.stderr[-2000:]
    return p, out


@needs_data
def test_cli_quick_covtype_reduced(tmp_path):
    """``figures --quick`` on the real LIBSVM file, with K ∈ {1, 2} and one run per point (≈ 2 min).

    Checks the shape that survives this small grid: at B = 1024 echoing is nearly free
    (KT flat, BT halves); at B = 16 it is not (KT grows, and faster than at B = 1024).
    """
    p, out = _run_cli(tmp_path, "--dataset", "covtype", "--quick", "-K", "1,2", "--seeds", "1")
    assert "F* ∈ [0.5134858" in p.stdout
    assert (out / "figure2_covtype_quick-custom.png").is_file()
    data = load(out / "figure2_covtype_quick-custom.json", "figures")["runs"][0]
    byB = {r["B"]: r for r in data["agreement"]["per_B"]}
    assert byB[1024]["KT_slope"] < 0.3 and byB[1024]["BT_slope"] < -0.7
    assert byB[16]["KT_slope"] > byB[1024]["KT_slope"] + 0.3
    assert data["agreement"]["max_subsample_error_over_threshold"] < 0.2
    assert data["optimum"]["gap"] < 1e-8


@needs_data
@pytest.mark.slow
def test_cli_quick_covtype(tmp_path):
    """The exact ``--quick`` grid (a few minutes on 2 cores)."""
    p, out = _run_cli(tmp_path, "--dataset", "covtype", "--quick")
    data = load(out / "figure2_covtype_quick.json", "figures")["runs"][0]
    byB = {r["B"]: r for r in data["agreement"]["per_B"]}
    assert byB[16]["KT_slope"] > byB[1024]["KT_slope"] + 0.3
    assert byB[16]["lr_slope"] < 0  # the tuned rate falls with K where noise matters


@needs_data
@pytest.mark.slow
def test_cli_quick_mnist(tmp_path):
    """The exact ``--quick`` MNIST grid (≈ 6.5 min on 2 cores): both regimes, the η ratio ∝ 1/K."""
    p, out = _run_cli(tmp_path, "--dataset", "mnist", "--quick", timeout=7200)
    assert (out / "figure3_mnist_quick.png").is_file()
    data = load(out / "figure3_mnist_quick.json", "figures")["runs"][0]
    byB = {r["B"]: r for r in data["agreement"]["per_B"]}
    assert byB[128]["regime"] == "noise-dominated" and byB[4096]["regime"] == "curvature-dominated"
    assert byB[128]["lr_ratio_K1_over_Kmax"] > 2 and byB[4096]["lr_ratio_K1_over_Kmax"] < 1.5
    assert 128 < data["agreement"]["phase_transition_B"] < 4096


@needs_data
@pytest.mark.slow
def test_cli_quick_covtype_on_local_cluster_equals_in_process(tmp_path):
    """``figures --quick --scheduler local:2`` gives the same columns as in-process (issue 17, done-when)."""
    _, a = _run_cli(tmp_path / "a", "--dataset", "covtype", "--quick")
    _, b = _run_cli(tmp_path / "b", "--dataset", "covtype", "--quick", "--scheduler", "local:2")
    ra = load(a / "figure2_covtype_quick.json", "figures")["runs"][0]
    rb = load(b / "figure2_covtype_quick.json", "figures")["runs"][0]
    assert rb["scheduler"].startswith("dask") and ra["scheduler"] == "in-process"
    strip = lambda c: {k: v for k, v in c.items() if k != "seconds"}  # noqa: E731
    assert [strip(c) for c in ra["column_data"]] == [strip(c) for c in rb["column_data"]]
    assert ra["agreement"] == rb["agreement"]


@needs_data
def test_cli_quick_mnist_reduced(tmp_path):
    """MNIST ``--quick`` with K ∈ {1, 2} and one run per point (≈ 2 min): the regularised objective is
    stated, certified to float64 accuracy, and the two regimes separate."""
    p, out = _run_cli(tmp_path, "--dataset", "mnist", "--quick", "-K", "1,2", "--seeds", "1")
    assert "λ = 0.001" in p.stdout and "F_λ* ∈ [0.3383366" in p.stdout
    assert "not the unregularised optimum" in p.stdout
    data = load(out / "figure3_mnist_quick-custom.json", "figures")["runs"][0]
    o = data["agreement"]["optimum"]
    assert o["l2"] == 1e-3 and o["certified_gap"] < 1e-9
    assert o["unregularised_loss_at_optimum"] == pytest.approx(0.2846, abs=1e-4)
    assert o["reported_is_not_unregularised_optimum"] is True
    byB = {r["B"]: r for r in data["agreement"]["per_B"]}
    assert byB[4096]["KT_slope"] < 0.3 and byB[4096]["BT_slope"] < -0.7
    assert byB[128]["KT_slope"] > byB[4096]["KT_slope"] + 0.4
    assert data["agreement"]["max_subsample_error_over_threshold"] < 0.25


def test_cli_bad_input_is_one_line(tmp_path):
    from boundcheck.cli.app import main
    with pytest.raises(SystemExit) as e:
        main(["figures", "-B", "0"])
    assert e.value.code == 2
    rc = main(["figures", "--dataset", "covtype", "--quick", "--data-dir", str(tmp_path), "--out", str(tmp_path)])
    assert rc == 2


@pytest.mark.parametrize("argv, msg", [
    (["--out", "/sys/x"], "--out /sys/x: cannot write in /sys"),
    (["--cache", "/etc/passwd"], "--cache /etc/passwd: is not a directory"),
    (["--json", "DIR"], "is a directory; give a file name"),
    (["--json", "/sys/x.json"], "cannot write in /sys"),
    (["--json", "/etc/passwd/x.json"], "/etc/passwd is not a directory"),
    (["--json", "x.txt"], "unsupported file type '.txt'"),
    (["--scheduler", "local:0"], "local:N needs a positive integer"),
    (["--scheduler", "nonsense"], "expected local:N"),
    (["--seeds", "0"], "--seeds must be between 1"),
    (["--eval-size", "0"], "--eval-size must be a positive integer"),
    (["--l2", "-1"], "l2 must be a finite number"),
    (["-B", "1000000", "--seeds", "900"], "needs about"),
])
def test_cli_bad_input_is_refused_before_any_work(tmp_path, capsys, monkeypatch, argv, msg):
    """Issue 15 items 1 and 6: one line, exit 2, nothing written — and before the data are even read
    (the data dir here is empty: any work would fail differently)."""
    from boundcheck.cli.app import main
    monkeypatch.chdir(tmp_path)
    argv = [str(tmp_path) if a == "DIR" else a for a in argv]
    rc = main(["figures", "--dataset", "covtype", "--quick", "--data-dir", str(tmp_path / "empty"),
               "--out", str(tmp_path / "out"), *([] if "--out" in argv else []), *argv])
    err = capsys.readouterr().err
    assert rc == 2 and msg in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_figures_files_are_boundcheck_figures_files(tmp_path):
    """--json and the every-point file: boundcheck/figures, read back by the one loader."""
    from boundcheck.experiments.figures import figures_run, write_summary
    ds = _binary(n=600, noise=0.5)
    cfg = SweepConfig("covtype", (8,), (1, 2), tuple(lr_grid(0.3, 3, 2)), seeds=1, max_steps=1500, eval_size=None,
                      lr_search="grid", name="t")
    r = figures_run("covtype", config=cfg, out=tmp_path, cache=tmp_path / "c", progress=False, dataset_obj=ds)
    every = load(r["figures"]["json"], "figures")
    assert every["runs"][0]["column_data"][0]["B"] == 8 and every["runs"][0]["agreement"]["per_B"]
    write_summary(tmp_path / "s.json", [r], command="figures")
    summ = load(tmp_path / "s.json", "figures")
    assert summ["runs"][0]["figures"]["png"].endswith(".png") and "column_data" not in summ["runs"][0]
    (tmp_path / "bad.json").write_text(json.dumps({"format": "boundcheck/figures", "version": 2, "runs": []}))
    from boundcheck.outputs.files import MalformedFile
    with pytest.raises(MalformedFile, match="non-empty"):
        load(tmp_path / "bad.json", "figures")
