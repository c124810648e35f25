"""Unit tests of boundcheck/_optima.py: cvxpy optima, checked against closed forms and KKT."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from boundcheck.core.losses import get_family
from boundcheck.core.optima import Optimum, SolverError, minimize_batch, minimize_quadratic, quadratic_ball_closed_form

FAST = settings(max_examples=25, deadline=None, derandomize=True)


def _q(H, c, w):
    return 0.5 * w @ H @ w - c @ w


def _assert_ball_kkt(H, c, w, radius, tol=1e-8):
    """Independent optimality check of argmin ½wᵀHw − cᵀw over ‖w‖ ≤ R (H ⪰ 0).

    Interior: Hw = c.  Boundary: ‖w‖ = R and −∇ = c − Hw = μw with μ ≥ 0.
    """
    g = H @ w - c
    scale = 1 + np.linalg.norm(c) + np.linalg.norm(H) * np.linalg.norm(w)
    nw = np.linalg.norm(w)
    if radius is None or nw < radius * (1 - 1e-9):
        assert np.linalg.norm(g) <= tol * scale, g
    else:
        assert nw == pytest.approx(radius, rel=1e-9)
        mu = -(g @ w) / (w @ w)
        assert mu >= -tol * scale
        assert np.linalg.norm(g + mu * w) <= tol * scale


# ----------------------------------------------------------------------------- quadratics
def test_quadratic_unconstrained_and_inside_ball():
    H = np.array([[2.0, 0.5], [0.5, 1.0]])
    c = np.array([1.0, -1.0])
    w_star = np.linalg.solve(H, c)  # (6/7, −10/7)
    np.testing.assert_allclose(w_star, [6 / 7, -10 / 7], rtol=1e-15)
    for radius in (None, 5.0):  # ‖w*‖ ≈ 1.67 < 5: the ball is inactive
        o = minimize_quadratic(H, c, radius)
        assert isinstance(o, Optimum) and o.status == "optimal" and o.solver in ("CLARABEL", "SCS")
        np.testing.assert_allclose(o.w, w_star, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(quadratic_ball_closed_form(H, c, radius), w_star, rtol=1e-12)
        assert o.value == pytest.approx(-0.5 * c @ w_star, rel=1e-12)
        assert o.residual <= 1e-10 and o.closed_form_error <= 1e-6 * (1 + np.linalg.norm(w_star))
        assert np.isnan(o.gap_bound)


def test_quadratic_outside_ball_hand_cases():
    # H = hI: the constrained minimiser is the projection R·c/‖c‖
    c = np.array([3.0, 4.0])
    o = minimize_quadratic(2 * np.eye(2), c, radius=1.0)
    np.testing.assert_allclose(o.w, [0.6, 0.8], rtol=1e-12)
    # diagonal H: compare with a dense 1-D search over the boundary angle (the unconstrained
    # minimiser (3, 3/4) lies outside the ball of radius 1/2)
    H = np.diag([1.0, 4.0])
    c = np.array([3.0, 3.0])
    R = 0.5
    o = minimize_quadratic(H, c, R)
    th = np.linspace(-np.pi, np.pi, 200001)
    pts = R * np.stack([np.cos(th), np.sin(th)], axis=1)
    vals = 0.5 * (pts**2 @ np.diag(H)) - pts @ c
    i = np.argmin(vals)
    assert np.linalg.norm(o.w - pts[i]) <= 1e-4
    assert o.value <= vals[i] + 1e-12 and o.value == pytest.approx(vals[i], abs=1e-8)
    _assert_ball_kkt(H, c, o.w, R)
    np.testing.assert_allclose(quadratic_ball_closed_form(H, c, R), o.w, rtol=1e-12)


def test_quadratic_singular_hessian():
    H = np.diag([1.0, 0.0])
    # c in the range of H: min-norm minimiser (1, 0)
    o = minimize_quadratic(H, np.array([1.0, 0.0]))
    np.testing.assert_allclose(o.w, [1.0, 0.0], atol=1e-12)
    # c not in the range: unbounded on ℝⁿ (reported as a SolverError, not a stray exception) …
    with pytest.raises(SolverError, match="unbounded"):
        minimize_quadratic(H, np.array([1.0, 1.0]))
    # … but fine on a ball, where the answer is on the boundary
    o = minimize_quadratic(H, np.array([1.0, 1.0]), radius=2.0)
    _assert_ball_kkt(H, np.array([1.0, 1.0]), o.w, 2.0)


@FAST
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 4), radius=st.one_of(st.none(), st.floats(0.05, 4.0)),
       scale=st.floats(0.1, 5.0))
def test_quadratic_matches_kkt_and_beats_feasible_points(seed, n, radius, scale):
    rng = np.random.default_rng(seed)
    L = rng.standard_normal((n, n))
    H = L @ L.T + 0.2 * np.eye(n)
    c = scale * rng.standard_normal(n)
    o = minimize_quadratic(H, c, radius)
    wc = quadratic_ball_closed_form(H, c, radius)
    np.testing.assert_allclose(o.w, wc, rtol=1e-12, atol=1e-12)
    _assert_ball_kkt(H, c, o.w, radius)
    assert o.closed_form_error <= 1e-4 * (1 + np.linalg.norm(wc))  # cvxpy ~ √gap accurate
    # no random feasible point is better
    P = rng.standard_normal((200, n))
    if radius is not None:
        P *= radius * rng.random((200, 1)) ** (1 / n) / np.linalg.norm(P, axis=1, keepdims=True)
    vals = 0.5 * np.einsum("mi,ij,mj->m", P, H, P) - P @ c
    assert o.value <= vals.min() + 1e-12 * (1 + abs(o.value))


# ----------------------------------------------------------------------------- batch objectives
def test_least_squares_matches_lstsq(rng):
    X = rng.standard_normal((20, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(20)
    w_ls = np.linalg.lstsq(X, y, rcond=None)[0]
    o = minimize_batch("least-squares", {"x": X, "y": y})
    np.testing.assert_allclose(o.w, w_ls, rtol=1e-10, atol=1e-10)
    assert o.value == pytest.approx(0.5 * np.mean((X @ w_ls - y) ** 2), rel=1e-10)
    # with an active ball: on the boundary and KKT for H = XᵀX/B, c = Xᵀy/B
    R = 0.5 * np.linalg.norm(w_ls)
    o = minimize_batch("least-squares", {"x": X, "y": y}, radius=R)
    _assert_ball_kkt(X.T @ X / 20, X.T @ y / 20, o.w, R)


def test_quadratic_family_uses_mean_hessian(rng):
    fam = get_family("quadratic")
    ex = fam.sample(rng, 5, 3)
    o = minimize_batch(fam, ex, radius=0.3)
    o2 = minimize_quadratic(ex["A"].mean(axis=0), ex["b"].mean(axis=0), 0.3)
    np.testing.assert_allclose(o.w, o2.w, rtol=1e-12, atol=1e-14)


def test_unconstrained_logistic_has_tiny_gradient(rng):
    fam = get_family("logistic")
    x = rng.standard_normal((40, 2))
    y = np.where(rng.random(40) < 0.5, 1.0, -1.0)  # random labels: not separable
    o = minimize_batch(fam, {"x": x, "y": y})
    g = fam.mean_grad(o.w, {"x": x, "y": y})
    assert np.linalg.norm(g) <= 1e-6
    assert o.residual <= 1e-6 and np.isnan(o.gap_bound) and np.isnan(o.closed_form_error)
    # no nearby point is better
    P = o.w + 0.1 * rng.standard_normal((100, 2))
    assert o.value <= fam.mean_value(P, {"x": x, "y": y}).min() + 1e-12


@pytest.mark.parametrize("name", ["logistic", "huber", "softplus", "squared-hinge"])
@pytest.mark.parametrize("radius", [None, 0.3])
def test_smooth_families_kkt(name, radius):
    rng = np.random.default_rng(7)
    fam = get_family(name)
    ex = fam.sample(rng, 12, 3)
    ex["y"] = ex["y"] if name == "logistic" else ex["y"] + 0.5 * rng.standard_normal(12)
    o = minimize_batch(fam, ex, radius)
    assert o.status == "optimal"
    assert np.all(np.isfinite(o.w)) and o.value == pytest.approx(float(fam.mean_value(o.w, ex)), rel=1e-12)
    P = rng.standard_normal((300, 3))
    if radius is not None:
        assert np.linalg.norm(o.w) <= radius * (1 + 1e-6)
        P *= radius * rng.random((300, 1)) ** (1 / 3) / np.linalg.norm(P, axis=1, keepdims=True)
        assert np.isfinite(o.gap_bound) and o.gap_bound >= 0
    else:
        P = o.w + 0.2 * P
    assert o.value <= fam.mean_value(P, ex).min() + 1e-8


def test_linear_needs_a_radius():
    a = np.array([[1.0, 2.0], [3.0, 2.0]])  # mean (2, 2)
    with pytest.raises(ValueError, match="radius"):
        minimize_batch("linear", {"a": a})
    o = minimize_batch("linear", {"a": a}, radius=2.0)
    np.testing.assert_allclose(o.w, -2.0 * np.array([2.0, 2.0]) / np.sqrt(8), atol=1e-6)
    assert o.value == pytest.approx(-2.0 * np.sqrt(8), rel=1e-6)


# ----------------------------------------------------------------------------- failures
def test_impossible_tolerance_raises_solver_error(rng):
    x = rng.standard_normal((30, 2))
    y = np.where(rng.random(30) < 0.5, 1.0, -1.0)
    with pytest.raises(SolverError, match="residual"):
        minimize_batch("logistic", {"x": x, "y": y}, tol=1e-30)
    with pytest.raises(SolverError):
        minimize_quadratic(np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([1.0, -1.0]), 0.3, tol=1e-30)
    assert issubclass(SolverError, RuntimeError)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="H must be square"):
        minimize_quadratic(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match=r"\bH\b.*NaN"):
        minimize_quadratic(np.array([[1.0, np.nan], [0.0, 1.0]]), np.ones(2))
    with pytest.raises(ValueError, match=r"\bc\b"):
        minimize_quadratic(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="radius"):
        minimize_quadratic(np.eye(2), np.ones(2), radius=0.0)
    with pytest.raises(ValueError, match="positive semidefinite"):
        minimize_quadratic(np.diag([1.0, -1.0]), np.ones(2))
    with pytest.raises(ValueError, match="radius"):
        minimize_batch("least-squares", {"x": np.ones((2, 2)), "y": np.ones(2)}, radius=-1.0)
    with pytest.raises(ValueError, match="unknown loss family"):
        minimize_batch("hinge", {"x": np.ones((2, 2)), "y": np.ones(2)})
    with pytest.raises(ValueError, match=r"batch\['y'\]"):
        minimize_batch("least-squares", {"x": np.ones((2, 2)), "y": np.array([1.0, np.inf])})
