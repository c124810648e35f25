"""The batched runner equals the reference algorithms; the backends agree."""
from __future__ import annotations

import numpy as np
import pytest

from boundcheck.core import algorithms as alg
from boundcheck.experiments import runner as rn
from boundcheck.core.losses import batch_objective
from boundcheck.core.problems import LinearRegression, LogisticRegression

# heterogeneous runs: every run has its own B, K, T, η, γ and seed (seeds 0 shared: same data)
RUNS = dict(B=[3, 5, 2, 4, 1], K=[2, 3, 1, 4, 5], T=[3, 2, 4, 2, 3], eta=[0.1, 0.2, 0.15, 0.05, 0.3],
            gamma=[0.3, 0.0, 1.0, 0.5, 2.0], seed=[0, 1, 0, 7, 3])


PROBLEMS = {"linreg": LinearRegression.make(n=5, noise=0.3, seed=1),
            "logistic": LogisticRegression.make(n=5, condition=10.0, scale=2.0, seed=1)}


@pytest.fixture(scope="module")
def problem() -> LinearRegression:
    return PROBLEMS["linreg"]


W0 = np.array([0.1, -0.2, 0.0, 0.3, 0.05])


def _kw(method: str) -> dict:
    kw = dict(RUNS)
    if method != "prox":
        kw.pop("gamma")
    return kw


def _reference(problem, method, r, population=False):
    m = alg.get_method(method)
    kw = {"eta": RUNS["eta"][r]}
    if method == "prox":
        kw["gamma"] = RUNS["gamma"][r]
    s0 = m.init(W0, **kw)
    if population:
        grad = getattr(problem, "population_grad", lambda w: problem.sigma * (w - problem.w_star))
        batches = [grad] * RUNS["T"][r]
    else:
        batches = [batch_objective(problem.family, ex)
                   for ex in rn.sample_batches(problem, RUNS["seed"][r], RUNS["B"][r], RUNS["T"][r])]
    return {avg: alg.echo(m, W0, s0, batches, RUNS["K"][r], output="average", average=avg)
            for avg in ("printed", "proof")}


@pytest.mark.parametrize("kind", sorted(PROBLEMS))
@pytest.mark.parametrize("method", ["gd", "prox", "agd"])
def test_numpy_runner_equals_reference_echo(kind, method):
    problem = PROBLEMS[kind]
    res = rn.run_batch(problem, method, w0=W0, record=True, **_kw(method))
    for r in range(len(RUNS["B"])):
        ref = _reference(problem, method, r)
        np.testing.assert_allclose(res.w_printed[r], ref["printed"].w_out, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(res.w_proof[r], ref["proof"].w_out, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(res.w_final[r], ref["proof"].outer[-1], rtol=1e-12, atol=1e-14)
        outer = np.stack(ref["proof"].outer)
        T = RUNS["T"][r]
        gaps = problem.population_risk(outer) - problem.f_star
        np.testing.assert_allclose(res.traj[r, : T + 1], gaps, rtol=1e-9, atol=1e-13)
        assert np.all(np.isnan(res.traj[r, T + 1:]))
        run_avg = [problem.population_risk(outer[1: t + 1].mean(0)) - problem.f_star for t in range(1, T + 1)]
        np.testing.assert_allclose(res.traj_avg[r, 1: T + 1], run_avg, rtol=1e-9, atol=1e-13)
        its = [w for inner in ref["proof"].inner for w in inner.iterates]
        if method == "agd":
            its += [q for inner in ref["proof"].inner for q in inner.queries]
        assert res.max_norm[r] == pytest.approx(max(np.linalg.norm(w) for w in its), rel=1e-12)
        assert res.gap_final[r] == pytest.approx(gaps[-1], rel=1e-9, abs=1e-13)


@pytest.mark.parametrize("kind", sorted(PROBLEMS))
@pytest.mark.parametrize("method", ["gd", "prox", "agd"])
def test_population_mode_is_exact_gradient_descent_on_F(kind, method):
    problem = PROBLEMS[kind]
    res = rn.run_batch(problem, method, w0=W0, population=True, **_kw(method))
    for r in range(len(RUNS["B"])):
        ref = _reference(problem, method, r, population=True)
        np.testing.assert_allclose(res.w_proof[r], ref["proof"].w_out, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(res.w_final[r], ref["proof"].outer[-1], rtol=1e-12, atol=1e-14)


def test_record_only_at_given_batches(problem):
    kw = dict(B=[2, 3], K=[1, 3], T=[9, 6], eta=0.2, seed=[0, 1], w0=W0, record=True)
    full = rn.run_batch(problem, "agd", **kw)
    part = rn.run_batch(problem, "agd", record_t=[0, 2, 5], **kw)
    for r, T in enumerate((9, 6)):
        for t in range(T + 1):
            if t in (0, 2, 5) or t == T:  # the last batch is always recorded
                assert part.traj[r, t] == pytest.approx(full.traj[r, t], rel=1e-12)
                if t:
                    assert part.traj_avg[r, t] == pytest.approx(full.traj_avg[r, t], rel=1e-12)
            else:
                assert np.isnan(part.traj[r, t]) and np.isnan(part.traj_avg[r, t])
    np.testing.assert_array_equal(part.w_proof, full.w_proof)


def test_run_grid_blocks_give_the_same_numbers_in_the_given_order(problem):
    B = np.array([1, 300, 2, 64, 7, 300, 1])
    kw = dict(B=B, K=[1, 2, 3, 1, 2, 2, 4], T=[2, 3, 1, 2, 5, 1, 2], eta=0.2, seed=[0, 1, 2, 3, 4, 5, 6], w0=W0)
    grid = rn.run_grid(problem, "gd", budget_bytes=1e5, **kw)
    assert grid.blocks > 1
    one = rn.run_batch(problem, "gd", **kw)
    np.testing.assert_allclose(grid.w_proof, one.w_proof, rtol=1e-12, atol=1e-15)
    assert grid.work == one.work
    assert grid.padded_work < one.padded_work


def test_batches_are_a_function_of_seed_batch_and_index(problem):
    a = rn.sample_batches(problem, 3, 8, 3)
    b = rn.sample_batches(problem, 3, 5, 2)  # smaller B, fewer batches: a prefix of the same data
    for t in range(2):
        np.testing.assert_array_equal(a[t]["x"][:5], b[t]["x"])
        np.testing.assert_array_equal(a[t]["y"][:5], b[t]["y"])
    c = rn.sample_batches(problem, 4, 8, 1)
    assert not np.array_equal(a[0]["x"], c[0]["x"])
    assert not np.array_equal(a[0]["x"], a[1]["x"])


def test_generated_batches_have_the_design_moments():
    p = LinearRegression(np.ones(40), np.zeros(40), 1.0)  # 40 > 32 coordinates: two sign words
    ex = rn.sample_batches(p, 0, 4096, 2)
    x = np.concatenate([e["x"] for e in ex])
    u = np.concatenate([e["y"] for e in ex])
    N = x.shape[0]
    assert set(np.unique(x)) == {-1.0, 1.0}
    assert np.max(np.abs(x.mean(0))) * np.sqrt(N) < 4.5  # each coordinate a fair sign
    corr = np.corrcoef(np.column_stack([x, u]).T)
    np.fill_diagonal(corr, 0)
    assert np.max(np.abs(corr)) * np.sqrt(N) < 5.0  # no visible dependence between coordinates / noise
    assert np.all(np.abs(u) < 1) and abs(u.var() - 1 / 3) < 0.02  # U(−1, 1)
    # population risk agrees with the sample mean of the loss (a check of F's closed form)
    p2 = LinearRegression.make(n=6, noise=0.5, seed=2)
    ex = rn.sample_batches(p2, 1, 4096, 4)
    w = np.linspace(-1, 1, 6)
    emp = np.mean([np.mean(0.5 * (e["x"] @ w - e["y"]) ** 2) for e in ex])
    assert emp == pytest.approx(float(p2.population_risk(w)), rel=0.03)


def test_float32_is_close_to_float64(problem):
    kw = dict(B=[16, 64], K=[4, 8], T=[8, 4], eta=[0.2, 0.1], seed=[0, 1], w0=W0)
    for method in ("gd", "prox", "agd"):
        extra = {"gamma": [0.1, 0.2]} if method == "prox" else {}
        r64 = rn.run_batch(problem, method, **kw, **extra)
        r32 = rn.run_batch(problem, method, dtype="float32", **kw, **extra)
        assert r32.dtype == "float32"
        np.testing.assert_allclose(r32.w_final, r64.w_final, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(r32.gap_proof, r64.gap_proof, rtol=1e-3, atol=1e-6)


def test_diverging_runs_become_inf_or_nan_silently(problem):
    with np.errstate(all="raise"):
        r = rn.run_batch(problem, "gd", B=4, K=[50, 2], T=4, eta=[40.0, 0.1], w0=W0)
    assert not np.isfinite(r.gap_final[0]) or r.gap_final[0] > 1e10
    assert np.isfinite(r.gap_final[1])


@pytest.mark.parametrize("bad, msg", [
    (dict(method="sgd"), "unknown method"),
    (dict(B=[0, 2]), "positive integers"),
    (dict(K=[1.5]), "positive integers"),
    (dict(eta=[-0.1]), "eta must be > 0"),
    (dict(B=[1, 2], K=[1, 2, 3]), "inconsistent lengths"),
    (dict(method="prox"), "needs gamma"),
    (dict(dtype="float16"), "dtype"),
    (dict(backend="jax"), "backend"),
    (dict(device="cuda"), "numpy backend runs on the CPU"),
    (dict(w0=np.zeros(3)), "w0 must have shape"),
])
def test_bad_input_raises_value_error(problem, bad, msg):
    kw = dict(method="gd", B=2, K=1, T=1, eta=0.1, w0=W0)
    kw.update(bad)
    method = kw.pop("method")
    with pytest.raises(ValueError, match=msg):
        rn.run_batch(problem, method, **kw)


def test_logistic_problem_is_well_specified_with_exact_F():
    p = PROBLEMS["logistic"]
    cert = p.certificate()
    assert cert["grad_norm"] < 1e-14 and cert["lambda_min"] > 0
    # F is the exact expectation: a large sample of the loss agrees, and w* minimises it
    ex = rn.sample_batches(p, 0, 4096, 8)
    w = np.linspace(-1, 1, p.n)
    emp = np.mean([np.mean(np.logaddexp(0, -e["y"] * (e["x"] @ w))) for e in ex])
    assert emp == pytest.approx(float(p.population_risk(w)), rel=0.02)
    rng = np.random.default_rng(0)
    assert np.all(p.population_risk(p.w_star + 0.1 * rng.standard_normal((50, p.n))) > p.f_star)
    # labels: the empirical P(y = +1 | x) matches s(⟨x, w_true⟩) on average
    x = np.concatenate([e["x"] for e in ex])
    y = np.concatenate([e["y"] for e in ex])
    s = 0.5 * (1 + np.tanh(x @ p.w_true / 2))
    assert abs(np.mean((y > 0) - s)) < 4 / np.sqrt(len(y))
    with pytest.raises(ValueError, match="n must be <= 16"):
        LogisticRegression.make(n=17)


def test_unsupported_problem_is_a_value_error():
    from boundcheck.core.problems import QuadraticOverBall
    with pytest.raises(ValueError, match="no kernel"):
        rn.run_batch(QuadraticOverBall.make(n=3), "gd", B=2, K=1, T=1, eta=0.1)


# ----------------------------------------------------------------------------- torch
@pytest.mark.parametrize("kind", sorted(PROBLEMS))
@pytest.mark.parametrize("method", ["gd", "prox", "agd"])
def test_torch_cpu_equals_numpy(kind, method):
    pytest.importorskip("torch")
    problem = PROBLEMS[kind]
    kw = _kw(method)
    a = rn.run_batch(problem, method, w0=W0, record=True, **kw)
    b = rn.run_batch(problem, method, w0=W0, record=True, backend="torch", device="cpu", **kw)
    assert b.backend == "torch" and b.device == "cpu"
    for f in ("w_final", "w_printed", "w_proof", "gap_final", "gap_proof", "gap_printed", "max_norm"):
        np.testing.assert_allclose(getattr(b, f), getattr(a, f), rtol=1e-12, atol=1e-14, err_msg=f)
    np.testing.assert_allclose(b.traj, a.traj, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(b.traj_avg, a.traj_avg, rtol=1e-10, atol=1e-14)


def test_torch_generates_bit_identical_batches(problem):
    torch = pytest.importorskip("torch")
    keys = np.array([[rn._mix32(i * 7919 + 3) for i in range(64)]], dtype=np.int64)
    kn = rn.kernel_for(problem, rn.get_backend("numpy"), np.float64)
    kt = rn.kernel_for(problem, rn.get_backend("torch", "cpu"), torch.float64)
    Xn, yn = kn.draw(keys)
    Xt, yt = kt.draw(torch.as_tensor(keys))
    np.testing.assert_array_equal(rn._mix32(torch.as_tensor(keys)).numpy(), rn._mix32(keys))  # same integers
    np.testing.assert_array_equal(Xt.numpy(), Xn)  # same design
    np.testing.assert_allclose(yt.numpy(), yn, rtol=1e-15, atol=1e-15)  # y = ⟨x, w⟩ + s·u: summation order only


def test_device_auto_picks_cpu_without_cuda():
    pytest.importorskip("torch")
    be = rn.get_backend("torch", "auto")
    assert be.device == ("cuda" if rn.cuda_available() else "cpu")


@pytest.mark.gpu
@pytest.mark.skipif(not rn.cuda_available(), reason="needs CUDA")
@pytest.mark.parametrize("method", ["gd", "prox", "agd"])
def test_cuda_equals_numpy(problem, method):  # pragma: no cover - no GPU here
    kw = _kw(method)
    a = rn.run_batch(problem, method, w0=W0, record=True, **kw)
    b = rn.run_batch(problem, method, w0=W0, record=True, backend="torch", device="cuda", **kw)
    assert b.device.startswith("cuda")
    np.testing.assert_allclose(b.w_proof, a.w_proof, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(b.traj, a.traj, rtol=1e-9, atol=1e-13)


# ----------------------------------------------------------------------------- fresh batches, shared seeds
SHARED = dict(B=[3, 5, 2, 4, 1, 6], T=[3, 2, 4, 2, 3, 3], eta=[0.1, 0.2, 0.15, 0.05, 0.3, 0.12],
              gamma=[0.3, 0.0, 1.0, 0.5, 2.0, 0.1], seed=[0, 1, 0, 7, 0, 1])


@pytest.mark.parametrize("K", [1, 2])
@pytest.mark.parametrize("method", ["gd", "prox", "agd"])
def test_shared_seed_batches_are_generated_once_and_equal_the_reference(method, K):
    """K = 1 blocks never store a batch, and runs with one seed share one generated batch (K = 1
    and stored draws alike): every run still takes exactly the reference's steps."""
    problem = PROBLEMS["linreg"]
    kw = {k: v for k, v in SHARED.items() if method == "prox" or k != "gamma"}
    res = rn.run_batch(problem, method, w0=W0, K=K, **kw)
    assert res.info["fresh"] is (K == 1)
    m = alg.get_method(method)
    for r in range(6):
        init = {"eta": SHARED["eta"][r], **({"gamma": SHARED["gamma"][r]} if method == "prox" else {})}
        batches = [batch_objective(problem.family, ex)
                   for ex in rn.sample_batches(problem, SHARED["seed"][r], SHARED["B"][r], SHARED["T"][r])]
        ref = alg.echo(m, W0, m.init(W0, **init), batches, K, output="average", average="proof")
        np.testing.assert_allclose(res.w_proof[r], ref.w_out, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(res.w_final[r], ref.outer[-1], rtol=1e-12, atol=1e-14)
    if rn.torch_available():
        t = rn.run_batch(problem, method, w0=W0, K=K, backend="torch", device="cpu", **kw)
        np.testing.assert_allclose(t.w_final, res.w_final, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("K", [1, 3])
def test_large_batches_take_the_per_run_path_with_shared_seeds(K):
    """Batches ≥ 256 KiB per run are reduced by one gemv pair per run (no padding work), also when
    several runs read one shared batch."""
    problem = PROBLEMS["logistic"]
    kw = dict(B=[7000, 9000, 8000], T=[2, 2, 1], eta=[0.3, 0.2, 0.25], seed=[4, 4, 5], K=K)
    res = rn.run_batch(problem, "gd", w0=W0, **kw)
    m = alg.get_method("gd")
    for r in range(3):
        batches = [batch_objective(problem.family, ex)
                   for ex in rn.sample_batches(problem, kw["seed"][r], kw["B"][r], kw["T"][r])]
        ref = alg.echo(m, W0, m.init(W0, eta=kw["eta"][r]), batches, K, average="proof")
        np.testing.assert_allclose(res.w_proof[r], ref.w_out, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("method", ["gd", "prox", "agd"])
def test_float32_runner_follows_the_reference_algorithm(method):
    """One definition of each update: the float32 runner tracks core.algorithms.echo (float64) to
    float32 accuracy, run by run."""
    problem = PROBLEMS["linreg"]
    res = rn.run_batch(problem, method, w0=W0, dtype="float32", **_kw(method))
    for r in range(len(RUNS["B"])):
        ref = _reference(problem, method, r)
        np.testing.assert_allclose(res.w_final[r], ref["proof"].outer[-1], rtol=2e-5, atol=2e-6)


def test_reference_comparison_catches_a_planted_wrong_update():
    """The comparison is not vacuous: AGD's momentum off by one step (γ_{j+2} for γ_{j+1}), or a
    step size 0.1 % too large, is caught at the tolerance the tests above use."""
    problem = PROBLEMS["linreg"]
    r = 3  # K = 4: several momentum steps per batch
    res = rn.run_batch(problem, "agd", w0=W0, **_kw("agd"))
    good = _reference(problem, "agd", r)["proof"].outer[-1]
    np.testing.assert_allclose(res.w_final[r], good, rtol=1e-12, atol=1e-14)
    batches = [batch_objective(problem.family, ex)
               for ex in rn.sample_batches(problem, RUNS["seed"][r], RUNS["B"][r], RUNS["T"][r])]
    m = alg.get_method("agd")
    shifted = alg.echo(m, W0, m.init(W0, eta=RUNS["eta"][r], lam=alg.lambda_sequence(1.0, 1)[0][1]),
                       batches, RUNS["K"][r], output="final")
    bigger = alg.echo(m, W0, m.init(W0, eta=RUNS["eta"][r] * 1.001), batches, RUNS["K"][r], output="final")
    for wrong in (shifted.w_out, bigger.w_out):
        with pytest.raises(AssertionError):
            np.testing.assert_allclose(res.w_final[r], wrong, rtol=1e-12, atol=1e-14)
