"""Tests for boundcheck.experiments.agd_stability (Lemma 12: the constant c_K and its recursions).

The smooth-convex conjecture (Section 6) is searched by the engine itself: tests/test_designs.py."""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from boundcheck.core import numerics as nm
from boundcheck.experiments.agd_stability import c_K, companion_norm, difference_recursion, gamma_schedule, impulse_responses, naive_bound, naive_table, proven_constant, stability_quadratic_exact
from boundcheck.core.algorithms import lambda_sequence


# ----------------------------------------------------------------------------- schedules / recursion
def test_gamma_schedule_matches_algorithms():
    _, gams = lambda_sequence(2.5, 7)
    assert np.allclose(gamma_schedule(2.5, 7), gams)
    assert np.all(gamma_schedule(math.inf, 5) == 1.0)
    with pytest.raises(ValueError):
        gamma_schedule(-math.inf, 3)
    with pytest.raises(ValueError):
        gamma_schedule(1.0, 0)


def test_difference_recursion_shapes_and_values():
    d = difference_recursion(np.array([0.0, 0.5]), 3, math.inf, e=1.0, eta=1.0)
    assert d.shape == (4, 2)
    # a = 0, γ ≡ 1, constant e = 1: δ_K = −K(K+1)/2
    assert np.allclose(d[:, 0], [0, -1, -3, -6])
    with pytest.raises(ValueError):
        difference_recursion(1.5, 3)
    with pytest.raises(ValueError):
        difference_recursion(0.2, 3, e=[1.0, 2.0])


def test_difference_recursion_mpmath():
    with nm.mp_precision(40):
        a = nm.to_mp(np.array([0.25]))
        d = difference_recursion(a, 4, mpmath.mpf(3), e=mpmath.mpf(1))
        assert d.dtype == object and isinstance(d[-1, 0], mpmath.mpf)
        df = difference_recursion(np.array([0.25]), 4, 3.0, e=1.0)
        assert abs(float(d[-1, 0]) - df[-1, 0]) < 1e-12


def test_impulse_responses_match_driven_recursion():
    a = np.array([0.0, 0.01, 0.3, 1.0])
    K = 8
    phi = impulse_responses(a, K, 2.0)
    assert phi.shape == (K, 4)
    for j in range(K):
        e = np.zeros(K)
        e[j] = 1.0
        assert np.allclose(difference_recursion(a, K, 2.0, e)[-1], -phi[j])
    assert np.allclose(phi[K - 1], 1.0)


# ----------------------------------------------------------------------------- c_K
def test_c_K_values_and_runtime():
    r = c_K(1000)
    assert r.seconds < 20
    for K in (1, 2, 5, 10, 100, 1000):
        assert r.inside[K - 1] == pytest.approx(1 + 1 / K, rel=1e-9)
        assert r.realisable[K - 1] == pytest.approx(1 + 1 / K, rel=1e-9)
    assert np.all(r.inside <= r.bound * (1 + 1e-12))
    assert np.all(r.outside <= r.inside * (1 + 1e-12)) and np.all(r.realisable <= r.outside * (1 + 1e-12))
    assert r.a_common.all() and r.refined == (1, 2, 5, 10, 100, 1000)


def test_c_K_increases_with_lambda0_to_the_limit():
    vals = [c_K(50, l0, refine=()).inside[-1] for l0 in (0.0, 1.0, 10.0, 1e3, 1e6, math.inf)]
    assert all(x <= y + 1e-12 for x, y in zip(vals, vals[1:]))
    assert vals[-1] == pytest.approx(1 + 1 / 50)
    assert c_K(1000, 1.0, refine=()).inside[-1] == pytest.approx(0.2524, abs=1e-3)


def test_planted_wrong_constant_is_refuted():
    """A planted constant 0.9·(1 + 1/K) must be refuted (a realisable instance exceeds it)."""
    wrong = lambda K: 0.9 * proven_constant(K)  # noqa: E731
    r = c_K(200, 1e8, refine=())
    assert np.all(r.realisable[1:] > wrong(r.K[1:]))
    # and the true one is not refuted
    assert np.all(r.inside <= proven_constant(r.K) * (1 + 1e-12))


def test_c_K_rejects_bad_grid():
    with pytest.raises(ValueError):
        c_K(5, a_grid=[0.1, 2.0])
    with pytest.raises(ValueError):
        c_K(0)


# ----------------------------------------------------------------------------- naive
def test_naive_bound_table():
    t = naive_table((1, 2, 5, 10, 100))
    assert t["first_K_10x"] == 7 and t["first_K_1e6x"] == 23
    assert t["rows"][-1]["log10_ratio"] > 30
    nv = naive_bound(10, 1.0)
    assert np.all(nv.log10_product <= nv.log10_power + 1e-12)
    assert companion_norm(0.0, 1.0) == pytest.approx(1 + math.sqrt(2))


# ----------------------------------------------------------------------------- exact stability
def _quad_instance(seed=0, n=3, B=5):
    rng = np.random.default_rng(seed)
    L = rng.standard_normal((B, n, n)) / np.sqrt(n)
    A = np.einsum("bij,bkj->bik", L, L)
    b = rng.standard_normal((B, n))
    repl = {"A": A[0] * 0.5, "b": -b[0]}
    H = A.mean(0)
    eta = 1.0 / np.linalg.eigvalsh(H)[-1]
    return {"A": A, "b": b}, repl, eta


def test_stability_quadratic_exact_respects_lemma_bound():
    ex, repl, eta = _quad_instance()
    for K in (1, 3, 10):
        for lam0 in (0.0, 1.0, 50.0):
            out = stability_quadratic_exact(ex, 0, repl, w_init=np.zeros(3), eta=eta, K=K, lam0=lam0,
                                            eval_ball={"rho": 1.0})
            assert out["epsilon"] == pytest.approx(out["delta_norm"])
            assert out["epsilon"] <= out["bound_fine"] * (1 + 1e-9)
            assert out["bound_fine"] <= out["bound_lemma"] * (1 + 1e-9)


def test_stability_quadratic_exact_linear_tight():
    """Linear losses, λ_0 huge: ε = ηρ²K(K+1)/B up to O(1/λ_0)."""
    g = np.array([0.6, 0.8])
    ex = {"a": np.array([g, [1.0, 0.0], [0.0, 1.0]])}
    out = stability_quadratic_exact(ex, 0, {"a": -g}, w_init=np.zeros(2), eta=0.5, K=6, lam0=1e9,
                                    family="linear", eval_examples={"a": np.array([g])})
    assert out["epsilon"] == pytest.approx(0.5 * 6 * 7 / 3, rel=1e-6)
    assert out["epsilon"] <= out["bound_lemma"] * (1 + 1e-9)


def test_stability_quadratic_ball_closed_form_is_sup():
    ex, repl, eta = _quad_instance(1)
    out = stability_quadratic_exact(ex, 2, repl, w_init=np.ones(3), eta=eta, K=4, lam0=2.0,
                                    eval_ball={"beta": 2.0, "rho": 0.5})
    w, wp = out["w_K"], out["w_K_prime"]
    rng = np.random.default_rng(0)
    best = 0.0
    for _ in range(3000):  # random feasible (A, b): none exceeds the closed form
        u = rng.standard_normal(3)
        u /= np.linalg.norm(u)
        A = 2.0 * np.outer(u, u) * rng.random()
        b = rng.standard_normal(3)
        b *= 0.5 * rng.random() / np.linalg.norm(b)
        f = lambda z: 0.5 * z @ A @ z - b @ z  # noqa: E731
        best = max(best, abs(f(w) - f(wp)))
    assert best <= out["epsilon"] * (1 + 1e-12)
    assert best >= 0.8 * out["epsilon"]


def test_stability_quadratic_exact_validation():
    ex, repl, eta = _quad_instance()
    with pytest.raises(ValueError):
        stability_quadratic_exact(ex, 0, repl, w_init=np.zeros(3), eta=3 * eta, K=2, eval_ball={"rho": 1.0})
    with pytest.raises(ValueError):
        stability_quadratic_exact(ex, 0, repl, w_init=np.zeros(3), eta=eta, K=2)
    with pytest.raises(ValueError):
        stability_quadratic_exact(ex, 0, repl, w_init=np.zeros(3), eta=eta, K=2, family="huber",
                                  eval_ball={"rho": 1.0})


def test_plot_c_K_runs():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from boundcheck.experiments.agd_stability import plot_c_K
    fig, ax = plt.subplots()
    data = plot_c_K(ax, K_max=50, lam0s=(1.0, math.inf))
    assert set(data) == {1.0, math.inf}
    plt.close(fig)
