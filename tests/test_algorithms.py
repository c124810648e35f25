"""Unit tests of boundcheck/_algorithms.py: the inner methods of Section 3.1 and Algorithms 1/2.

Hand-computed iterates use exact rationals (object arrays of Fraction) wherever the
arithmetic is rational (GD, prox-GD on least squares / linear / quadratic losses); AGD
involves square roots (λ_1 = (1+√5)/2, …) and is checked against closed forms in float64
and in mpmath at 50 digits.
"""
from __future__ import annotations

import math
from fractions import Fraction as Fr

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from boundcheck.core import numerics as nm
from boundcheck.core.algorithms import AGDState, GDState, InnerMethod, ProxState, accelerated_gradient_descent, algorithm1, algorithm2, echo, get_method, gradient_descent, lambda_sequence, proximal_gradient_descent
from boundcheck.core.losses import batch_objective, get_family

FAST = settings(max_examples=25, deadline=None, derandomize=True)

GD = gradient_descent()
PROX = proximal_gradient_descent()
AGD = accelerated_gradient_descent()


# ----------------------------------------------------------------------------- fixtures / helpers
@pytest.fixture
def ls1(exact):
    """1-D least squares, one example x = 2, y = 1: ∇f̄(w) = 4w − 2 (exact)."""
    return batch_objective("least-squares", {"x": exact.frm([[2]]), "y": exact.fr(1)})


@pytest.fixture
def ls2(exact):
    """2-D least squares, x = (1,0), y = 1 and x = (1,1), y = 0: ∇f̄(w) = ½(2w₁+w₂−1, w₁+w₂)."""
    return batch_objective("least-squares", {"x": exact.frm([[1, 0], [1, 1]]), "y": exact.fr(1, 0)})


@pytest.fixture
def half_square(exact):
    """f(w) = ½w² in 1-D, as a quadratic with A = [[1]], b = [0]: ∇f = w."""
    return batch_objective("quadratic", {"A": exact.frm([[[1]]]), "b": exact.frm([[0]])})


def _random_ls(rng, shape=(5,), n=2):
    fam = get_family("least-squares")
    return batch_objective(fam, fam.sample(rng, shape, n))


def _mp(x):
    """Fraction or mpf → mpf (Fraction − mpf is undefined in mpmath)."""
    return nm.to_mp(x)[()]


def _agd_reference(w0, d0, lam0, eta, grad, k):
    """Independent, plain-Python transcription of the AGD updates of Section 3.1."""
    w, d, lam = np.array(w0, dtype=float), np.array(d0, dtype=float), float(lam0)
    its, qs = [w.copy()], []
    for _ in range(k):
        y = w + d
        qs.append(y)
        w_new = y - eta * grad(y)
        lam_new = (1 + math.sqrt(1 + 4 * lam * lam)) / 2
        d = (lam - 1) / lam_new * (w_new - w)
        w, lam = w_new, lam_new
        its.append(w.copy())
    return its, qs, d, lam


# ----------------------------------------------------------------------------- GD, hand computed
def test_gd_1d_least_squares_exact(ls1, exact):
    s0 = GD.init(eta=Fr(1, 8))
    r = GD.run(exact.fr(0), s0, ls1, 3)
    # w_{j+1} = w_j − (1/8)(4 w_j − 2) = w_j/2 + 1/4  ⇒  w_j = (1 − 2^{−j})/2
    for got, want in zip(r.iterates, ["0", "1/4", "3/8", "7/16"]):
        exact.assert_equal(got, exact.fr(want))
    exact.assert_equal(r.w_out, exact.fr("7/16"))
    assert len(r.queries) == 3
    for q, it in zip(r.queries, r.iterates[:-1]):
        exact.assert_equal(q, it)  # GD queries ∇f̄ at w_j
    assert r.s_out == s0 and r.states == [s0] * 4
    assert isinstance(r.s_out, GDState)


def test_gd_2d_least_squares_exact(ls2, exact):
    r = GD.run(exact.fr(0, 0), GD.init(eta=Fr(1, 2)), ls2, 3)
    # by hand: ∇(0,0) = (−1/2, 0); ∇(1/4,0) = (−1/4, 1/8); ∇(3/8,−1/16) = (−5/32, 5/32)
    want = [("0", "0"), ("1/4", "0"), ("3/8", "-1/16"), ("29/64", "-9/64")]
    for got, w in zip(r.iterates, want):
        exact.assert_equal(got, exact.fr(*w))


def test_gd_linear_exact(exact):
    obj = batch_objective("linear", {"a": exact.frm([[1, -2], [3, 0]])})  # mean a = (2, −1)
    r = GD.run(exact.fr(1, 1), GD.init(eta=Fr(1, 3)), obj, 3)
    want = [("1", "1"), ("1/3", "4/3"), ("-1/3", "5/3"), ("-1", "2")]
    for got, w in zip(r.iterates, want):
        exact.assert_equal(got, exact.fr(*w))


def test_gd_quadratic_exact_and_batch_mean(exact):
    one = batch_objective("quadratic", {"A": exact.frm([[[2, 0], [0, 1]]]), "b": exact.frm([[2, 1]])})
    # two examples whose mean is the same (A, b): the batch objective averages them
    two = batch_objective("quadratic", {"A": exact.frm([[[2, 0], [0, 0]], [[2, 0], [0, 2]]]),
                                        "b": exact.frm([[2, 0], [2, 2]])})
    want = [("0", "0"), ("1", "1/2"), ("1", "3/4"), ("1", "7/8")]
    for obj in (one, two):
        r = GD.run(exact.fr(0, 0), GD.init(eta=Fr(1, 2)), obj, 3)
        for got, w in zip(r.iterates, want):
            exact.assert_equal(got, exact.fr(*w))


# ----------------------------------------------------------------------------- prox-GD, hand computed
def test_prox_1d_exact_and_pivot_is_average_of_w0_to_wKminus1(ls1, exact):
    s0 = PROX.init(eta=Fr(1, 16), gamma=Fr(4), pivot=exact.fr(1))
    r = PROX.run(exact.fr(0), s0, ls1, 3)
    # ∇f̄_prox(w) = 4w − 2 + 4(w − 1) = 8w − 6;  w_{j+1} = w_j − (8w_j − 6)/16
    for got, want in zip(r.iterates, ["0", "3/8", "9/16", "21/32"]):
        exact.assert_equal(got, exact.fr(want))
    # s_out = {η, γ, (1/K) Σ_{j=0}^{K−1} w_j} = (0 + 3/8 + 9/16)/3 = 5/16 (not w_K, not w_1..w_K)
    assert isinstance(r.s_out, ProxState)
    exact.assert_equal(r.s_out.pivot, exact.fr("5/16"))
    assert r.s_out.eta == Fr(1, 16) and r.s_out.gamma == 4
    assert len(r.states) == 4 and r.states[:3] == [s0] * 3 and r.states[3] is r.s_out
    exact.assert_equal(r.queries[2], exact.fr("9/16"))


@pytest.mark.parametrize("k", [1, 2, 5])
def test_prox_pivot_average_matches_definition(k, rng):
    obj = _random_ls(rng)
    r = PROX.run(np.array([0.3, -0.2]), PROX.init(eta=0.1, gamma=0.7, pivot=np.array([1.0, 2.0])), obj, k)
    np.testing.assert_allclose(r.s_out.pivot, np.mean(r.iterates[:k], axis=0), rtol=1e-14, atol=1e-15)
    assert len(r.iterates) == k + 1


def test_prox_default_pivot_is_w_init(exact):
    s = PROX.init(exact.fr(3, 4), eta=Fr(1, 2), gamma=1)
    exact.assert_equal(s.pivot, exact.fr(3, 4))


def test_prox_with_gamma_zero_is_gd(ls2, exact):
    w0 = exact.fr(1, -1)
    r_gd = GD.run(w0, GD.init(eta=Fr(1, 3)), ls2, 4)
    r_px = PROX.run(w0, PROX.init(eta=Fr(1, 3), gamma=Fr(0), pivot=exact.fr(5, 5)), ls2, 4)
    for a, b in zip(r_gd.iterates, r_px.iterates):
        exact.assert_equal(b, a)


# ----------------------------------------------------------------------------- AGD, hand computed (λ_0 = 1)
def _agd_closed_forms(sqrt, root="positive"):
    """λ_1, λ_2, γ_2 for λ_0 = 1 and the iterates of AGD on ½w², w_0 = 1, η = 1/2."""
    s5 = sqrt(5)
    if root == "positive":
        lam1 = (1 + s5) / 2
        lam2 = (1 + sqrt(7 + 2 * s5)) / 2  # 1 + 4λ_1² = 1 + 2(3 + √5)
    else:
        lam1 = (1 - s5) / 2
        lam2 = (1 - sqrt(7 - 2 * s5)) / 2
    g2 = (lam1 - 1) / lam2
    # w_1 = 1/2, d_1 = γ_1(w_1 − w_0) = 0 (γ_1 = 0), w_2 = 1/4, d_2 = −γ_2/4, w_3 = (w_2 + d_2)/2
    return lam1, lam2, g2, [1, 0.5, 0.25, (1 - g2) / 8], [1, 0.5, (1 - g2) / 4]


def test_agd_hand_computed_float(half_square):
    lam1, lam2, g2, its, qs = _agd_closed_forms(math.sqrt)
    assert lam1 == pytest.approx(1.6180339887498949) and lam2 == pytest.approx(2.1935270853)
    r = AGD.run(np.array([1.0]), AGD.init(np.array([1.0]), eta=0.5), half_square, 3)
    np.testing.assert_allclose(np.array(r.iterates, dtype=float).ravel(), its, rtol=1e-15)
    np.testing.assert_allclose(np.array(r.queries, dtype=float).ravel(), qs, rtol=1e-15)
    lams = [float(s.lam) for s in r.states]
    np.testing.assert_allclose(lams[:3], [1, lam1, lam2], rtol=1e-15)
    # d_1 = 0 because γ_1 = (λ_0 − 1)/λ_1 = 0; d_2 = γ_2(w_2 − w_1) = −γ_2/4
    assert float(r.states[1].d[0]) == 0.0
    assert float(r.states[2].d[0]) == pytest.approx(-g2 / 4, rel=1e-15)
    assert isinstance(r.s_out, AGDState) and r.s_out is r.states[-1]
    assert float(r.s_out.eta) == 0.5


def test_agd_hand_computed_high_precision(half_square, exact):
    with nm.mp_precision(50):
        lam1, lam2, g2, its, qs = _agd_closed_forms(mpmath.sqrt)
        r = AGD.run(exact.fr(1), AGD.init(exact.fr(1), eta=Fr(1, 2), lam=Fr(1)), half_square, 3)
        for got, want in zip(r.iterates, its):
            assert abs(_mp(got[0]) - want) < mpmath.mpf(10) ** -45
        assert abs(r.states[1].lam - lam1) < mpmath.mpf(10) ** -45
        assert abs(r.states[2].lam - lam2) < mpmath.mpf(10) ** -45


def test_agd_exact_input_with_default_lambda_stays_high_precision(half_square, exact):
    # the default λ_0 = 1 (a Python int) must not drag an exact run down to float64
    with nm.mp_precision(50):
        *_, its, _ = _agd_closed_forms(mpmath.sqrt)
        r = AGD.run(exact.fr(1), AGD.init(exact.fr(1), eta=Fr(1, 2)), half_square, 3)
        assert isinstance(r.w_out[0], mpmath.mpf)
        assert abs(r.w_out[0] - its[3]) < mpmath.mpf(10) ** -45


def test_agd_negative_root_hand_computed(half_square):
    lam1, lam2, g2, its, qs = _agd_closed_forms(math.sqrt, root="negative")
    agdn = accelerated_gradient_descent("negative")
    assert agdn.name == "agd-negative-root" and AGD.name == "agd"
    r = agdn.run(np.array([1.0]), agdn.init(np.array([1.0]), eta=0.5), half_square, 3)
    np.testing.assert_allclose(np.array(r.iterates, dtype=float).ravel(), its, rtol=1e-14)
    assert float(r.states[1].lam) == pytest.approx(lam1) and float(r.states[2].lam) == pytest.approx(lam2)
    r_pos = AGD.run(np.array([1.0]), AGD.init(np.array([1.0]), eta=0.5), half_square, 3)
    assert abs(float(r.w_out[0]) - float(r_pos.w_out[0])) > 0.1  # the roots really differ


@FAST
@given(seed=st.integers(0, 2**31 - 1), lam0=st.floats(1.0, 20.0), k=st.integers(1, 6))
def test_agd_matches_reference_transcription(seed, lam0, k):
    rng = np.random.default_rng(seed)
    obj = _random_ls(rng, (4,), 2)
    w0, d0 = rng.standard_normal(2), rng.standard_normal(2)
    eta = 0.3
    r = AGD.run(w0, AGD.init(eta=eta, d=d0, lam=lam0), obj, k)
    its, qs, d, lam = _agd_reference(w0, d0, lam0, eta, obj.grad, k)
    np.testing.assert_allclose(np.array(r.iterates), np.array(its), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.array(r.queries), np.array(qs), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.s_out.d, d, rtol=1e-12, atol=1e-12)
    assert float(r.s_out.lam) == pytest.approx(lam, rel=1e-14)
    # state trajectory: d_{j+1} = γ_{j+1}(w_{j+1} − w_j), λ_j from lambda_sequence
    lams, gams = lambda_sequence(lam0, k)
    for j in range(k):
        np.testing.assert_allclose(r.states[j + 1].d, gams[j] * (r.iterates[j + 1] - r.iterates[j]),
                                   rtol=1e-12, atol=1e-14)
        assert float(r.states[j + 1].lam) == pytest.approx(lams[j + 1], rel=1e-14)


# ----------------------------------------------------------------------------- float64 vs float32 vs exact
def _rational_ls_batch(exact):
    x = exact.frm([[1, "1/2"], ["-1/3", 2], ["3/4", "-1/4"]])
    y = exact.fr("1/2", -1, "2/3")
    return x, y


@pytest.mark.parametrize("method", ["gd", "prox"])
def test_exact_float64_float32_agree(method, exact):
    x, y = _rational_ls_batch(exact)
    w0 = exact.fr("1/5", "-2/5")
    m = get_method(method)
    kw = dict(gamma=Fr(1, 2), pivot=exact.fr(1, 1)) if method == "prox" else {}
    r_ex = m.run(w0, m.init(w0, eta=Fr(1, 4), **kw), batch_objective("least-squares", {"x": x, "y": y}), 6)
    assert all(isinstance(v, Fr) for v in r_ex.w_out)  # exact all the way through

    kw64 = {k: (exact.as_float(v) if isinstance(v, np.ndarray) else float(v)) for k, v in kw.items()}
    o64 = batch_objective("least-squares", {"x": exact.as_float(x), "y": exact.as_float(y)})
    r64 = m.run(exact.as_float(w0), m.init(eta=0.25, **kw64), o64, 6)
    assert r64.w_out.dtype == np.float64
    np.testing.assert_allclose(r64.w_out, exact.as_float(r_ex.w_out), rtol=1e-14, atol=1e-15)

    kw32 = {k: (v.astype(np.float32) if isinstance(v, np.ndarray) else np.float32(v)) for k, v in kw64.items()}
    o32 = batch_objective("least-squares", {"x": exact.as_float(x).astype(np.float32),
                                            "y": exact.as_float(y).astype(np.float32)})
    r32 = m.run(exact.as_float(w0).astype(np.float32), m.init(eta=np.float32(0.25), **kw32), o32, 6)
    assert r32.w_out.dtype == np.float32
    np.testing.assert_allclose(r32.w_out, r64.w_out, rtol=1e-5, atol=1e-6)


def test_agd_float64_float32_mpmath_agree(exact):
    x, y = _rational_ls_batch(exact)
    w0 = exact.fr("1/5", "-2/5")
    with nm.mp_precision(40):
        r_mp = AGD.run(w0, AGD.init(w0, eta=Fr(1, 4), lam=Fr(1)), batch_objective("least-squares", {"x": x, "y": y}), 6)
        ref = exact.as_float(r_mp.w_out)
    o64 = batch_objective("least-squares", {"x": exact.as_float(x), "y": exact.as_float(y)})
    r64 = AGD.run(exact.as_float(w0), AGD.init(exact.as_float(w0), eta=0.25), o64, 6)
    np.testing.assert_allclose(r64.w_out, ref, rtol=1e-13, atol=1e-14)
    o32 = batch_objective("least-squares", {"x": exact.as_float(x).astype(np.float32),
                                            "y": exact.as_float(y).astype(np.float32)})
    w32 = exact.as_float(w0).astype(np.float32)
    r32 = AGD.run(w32, AGD.init(w32, eta=np.float32(0.25), lam=np.float32(1)), o32, 6)
    assert r32.w_out.dtype == np.float32
    np.testing.assert_allclose(r32.w_out, ref, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- λ / γ sequences
def test_lambda_sequence_first_terms():
    lams, gams = lambda_sequence(1.0, 2)
    assert len(lams) == 3 and len(gams) == 2
    assert lams[0] == 1.0
    assert lams[1] == pytest.approx((1 + math.sqrt(5)) / 2, rel=1e-15)
    assert lams[2] == pytest.approx((1 + math.sqrt(7 + 2 * math.sqrt(5))) / 2, rel=1e-15)
    assert gams[0] == 0.0  # γ_1 = (λ_0 − 1)/λ_1 = 0
    assert gams[1] == pytest.approx(((1 + math.sqrt(5)) / 2 - 1) / lams[2], rel=1e-15)


def test_lambda_sequence_identities_and_growth():
    k = 200
    lams, gams = lambda_sequence(1.0, k)
    for j in range(k):
        assert lams[j + 1] ** 2 - lams[j + 1] == pytest.approx(lams[j] ** 2, rel=1e-13)
        assert gams[j] == pytest.approx((lams[j] - 1) / lams[j + 1], rel=1e-15)
        assert 0 <= gams[j] < 1
    for j, lam in enumerate(lams):
        assert lam >= 1 + j / 2  # λ_{j+1} ≥ λ_j + 1/2 from √(1+4λ²) ≥ 2λ


def test_lambda_sequence_high_precision():
    with nm.mp_precision(50):
        for lam0 in (Fr(1), mpmath.mpf(1), Fr(3, 2)):
            lams, gams = lambda_sequence(lam0, 10)
            tol = mpmath.mpf(10) ** -45
            for j in range(10):
                assert abs(lams[j + 1] ** 2 - lams[j + 1] - lams[j] ** 2) < tol * (1 + lams[j] ** 2)
                assert abs(gams[j] - (lams[j] - 1) / lams[j + 1]) < tol
        lams, _ = lambda_sequence(Fr(1), 1)
        assert abs(lams[1] - (1 + mpmath.sqrt(5)) / 2) < mpmath.mpf(10) ** -45


@FAST
@given(lam0=st.floats(1.0, 1e3), k=st.integers(1, 30))
def test_lambda_sequence_property(lam0, k):
    lams, gams = lambda_sequence(lam0, k)
    assert len(lams) == k + 1 and len(gams) == k
    for j in range(k):
        assert lams[j + 1] ** 2 - lams[j + 1] == pytest.approx(lams[j] ** 2, rel=1e-12)
        assert lams[j + 1] >= lams[j] + 0.5 - 1e-12
        assert gams[j] == pytest.approx((lams[j] - 1) / lams[j + 1], rel=1e-15, abs=1e-300)


def test_lambda_sequence_negative_root():
    # the other root λ_{j+1} = (1 − √(1+4λ_j²))/2 ≈ −λ_j² → 0 doubly exponentially
    k = 9  # λ_9 ≈ −1e-142; λ_10 would underflow float64
    lams, gams = lambda_sequence(1.0, k, root="negative")
    assert lams[1] == pytest.approx((1 - math.sqrt(5)) / 2, rel=1e-15)
    for j in range(k):
        assert lams[j + 1] ** 2 - lams[j + 1] == pytest.approx(lams[j] ** 2, rel=1e-12)
        assert lams[j + 1] < 0  # the other root of λ² − λ − λ_j² is < 0 for λ_j ≠ 0
        assert gams[j] == pytest.approx((lams[j] - 1) / lams[j + 1], rel=1e-15)
    # the negative-root momenta are not in [0, 1): γ_2 = (λ_1 − 1)/λ_2 > 1
    assert gams[1] > 1
    # float64 agrees with 50-digit arithmetic (no cancellation in (1 − √(1+4λ²))/2 as λ → 0)
    with nm.mp_precision(50):
        lams_mp, gams_mp = lambda_sequence(mpmath.mpf(1), k, root="negative")
        for a, b in zip(lams + gams, lams_mp + gams_mp):
            assert float(a) == pytest.approx(float(b), rel=1e-13)


def test_lambda_sequence_bad_root():
    with pytest.raises(ValueError, match="root"):
        lambda_sequence(1.0, 3, root="middle")
    with pytest.raises(ValueError, match="root"):
        accelerated_gradient_descent("middle")


def test_agd_states_follow_lambda_sequence(rng):
    obj = _random_ls(rng)
    for root in ("positive", "negative"):
        m = accelerated_gradient_descent(root)
        r = m.run(np.zeros(2), m.init(np.zeros(2), eta=0.2, lam=1.5), obj, 5)
        lams, _ = lambda_sequence(1.5, 5, root=root)
        np.testing.assert_allclose([float(s.lam) for s in r.states], lams, rtol=1e-15)


# ----------------------------------------------------------------------------- echo (Algorithms 1 and 2)
def test_echo_gd_exact_two_batches_all_outputs(exact):
    b0 = batch_objective("least-squares", {"x": exact.frm([[2]]), "y": exact.fr(1)})   # ∇ = 4w − 2
    b1 = batch_objective("least-squares", {"x": exact.frm([[1]]), "y": exact.fr(-1)})  # ∇ = w + 1
    s0 = GD.init(eta=Fr(1, 8))
    w0 = exact.fr(0)
    # batch 0, K_0 = 2: 0 → 1/4 → 3/8 ; batch 1, K_1 = 3: w ← (7/8)w − 1/8: 3/8 → 13/64 → 27/512 → −323/4096
    want_outer = ["0", "3/8", "-323/4096"]
    r1 = echo(GD, w0, s0, [b0, b1], [2, 3])
    for got, w in zip(r1.outer, want_outer):
        exact.assert_equal(got, exact.fr(w))
    exact.assert_equal(r1.w_out, exact.fr("3/16"))  # printed: (w_0 + w_1)/2
    r1p = echo(GD, w0, s0, [b0, b1], [2, 3], average="proof")
    exact.assert_equal(r1p.w_out, exact.fr("1213/8192"))  # proof: (w_1 + w_2)/2 = (3/8 − 323/4096)/2
    r2 = echo(GD, w0, s0, [b0, b1], [2, 3], output="final")
    exact.assert_equal(r2.w_out, exact.fr("-323/4096"))
    assert r1.output == "average" and r1.average == "printed" and r1p.average == "proof" and r2.output == "final"
    exact.assert_equal(r1.inner[1].iterates[1], exact.fr("13/64"))
    exact.assert_equal(r1.inner[1].iterates[2], exact.fr("27/512"))


@pytest.mark.parametrize("name", ["gd", "prox", "agd"])
def test_echo_variable_k_equals_running_by_hand(name, rng):
    m = get_method(name)
    batches = [_random_ls(rng), _random_ls(rng)]
    w0 = rng.standard_normal(2)
    kw = {"gamma": 0.5} if name == "prox" else {}
    s0 = m.init(w0, eta=0.2, **kw)
    r = echo(m, w0, s0, batches, [2, 3], output="final" if name == "agd" else "average")
    # by hand: A(w_0, s_0, ξ⁰, 2) then A(w_1, s_1, ξ¹, 3), state carried over
    a = m.run(w0, s0, batches[0], 2)
    b = m.run(a.w_out, a.s_out, batches[1], 3)
    assert r.ks == (2, 3)
    np.testing.assert_array_equal(r.outer[1], a.w_out)
    np.testing.assert_array_equal(r.outer[2], b.w_out)
    for x, y in zip(r.states[2], b.s_out):
        np.testing.assert_array_equal(x, y)
    if name == "agd":
        np.testing.assert_array_equal(r.w_out, b.w_out)
    else:
        np.testing.assert_array_equal(r.w_out, (w0 + a.w_out) / 2)


@pytest.mark.parametrize("name", ["gd", "prox", "agd"])
def test_echo_trajectory_lengths_and_contents(name, rng):
    m = get_method(name)
    ks = [1, 3, 2, 4]
    batches = [_random_ls(rng) for _ in ks]
    w0 = np.array([0.5, -0.5])
    s0 = m.init(w0, eta=0.1, **({"gamma": 1.0} if name == "prox" else {}))
    r = echo(m, w0, s0, batches, ks)
    T = len(ks)
    assert len(r.outer) == T + 1 and len(r.states) == T + 1 and len(r.inner) == T
    assert r.ks == tuple(ks)
    assert r.states[0] is s0
    np.testing.assert_array_equal(r.outer[0], w0)
    for t, (inn, k) in enumerate(zip(r.inner, ks)):
        assert len(inn.iterates) == k + 1 and len(inn.queries) == k and len(inn.states) == k + 1
        np.testing.assert_array_equal(inn.iterates[0], r.outer[t])
        np.testing.assert_array_equal(inn.iterates[-1], r.outer[t + 1])
        np.testing.assert_array_equal(inn.w_out, r.outer[t + 1])
        assert inn.s_out is r.states[t + 1] and inn.states[0] is r.states[t] and inn.states[-1] is inn.s_out
        if name == "agd":  # queries are w_j + d_j
            for j in range(k):
                np.testing.assert_allclose(inn.queries[j], inn.iterates[j] + inn.states[j].d, rtol=1e-15)
        else:
            for j in range(k):
                np.testing.assert_array_equal(inn.queries[j], inn.iterates[j])
        if name == "prox":
            np.testing.assert_allclose(inn.s_out.pivot, np.mean(inn.iterates[:k], axis=0), rtol=1e-14)
    # Algorithm 1 printed: (1/T) Σ_{t<T} w_t ; proof: (1/T) Σ_{t=1..T} w_t ; Algorithm 2: w_T
    np.testing.assert_allclose(r.w_out, np.mean(r.outer[:-1], axis=0), rtol=1e-14)
    rp = echo(m, w0, s0, batches, ks, average="proof")
    np.testing.assert_allclose(rp.w_out, np.mean(rp.outer[1:], axis=0), rtol=1e-14)
    rf = echo(m, w0, s0, batches, ks, output="final")
    np.testing.assert_array_equal(rf.w_out, rf.outer[-1])
    np.testing.assert_array_equal(np.array(rf.outer), np.array(r.outer))  # output choice only


def test_algorithm1_algorithm2_wrappers(rng):
    batches = [_random_ls(rng) for _ in range(3)]
    w0 = np.zeros(2)
    s0 = GD.init(eta=0.3)
    np.testing.assert_array_equal(algorithm1(GD, w0, s0, batches, 2).w_out, echo(GD, w0, s0, batches, 2).w_out)
    np.testing.assert_array_equal(algorithm1(GD, w0, s0, batches, 2, average="proof").w_out,
                                  echo(GD, w0, s0, batches, 2, average="proof").w_out)
    r2 = algorithm2(GD, w0, s0, batches, 2)
    assert r2.output == "final"
    np.testing.assert_array_equal(r2.w_out, r2.outer[-1])


def test_echo_scalar_k_expands(rng):
    batches = [_random_ls(rng) for _ in range(3)]
    r = echo(GD, np.zeros(2), GD.init(eta=0.1), batches, np.int64(2))
    assert r.ks == (2, 2, 2)
    r2 = echo(GD, np.zeros(2), GD.init(eta=0.1), batches, (2, 2, 2))
    np.testing.assert_array_equal(np.array(r.outer), np.array(r2.outer))


def test_echo_accepts_gradient_callable(rng):
    obj = _random_ls(rng)
    r_obj = echo(PROX, np.ones(2), PROX.init(np.ones(2), eta=0.1, gamma=0.3), [obj, obj], 3)
    r_fn = echo(PROX, np.ones(2), PROX.init(np.ones(2), eta=0.1, gamma=0.3), [obj.grad, obj.grad], 3)
    np.testing.assert_array_equal(r_obj.w_out, r_fn.w_out)


# ----------------------------------------------------------------------------- metamorphic
@pytest.mark.parametrize("B", [2, 5])
def test_gd_and_prox_on_identical_examples_equal_one_example(B, exact):
    x1, y1 = exact.frm([["1/2", -1]]), exact.fr("1/3")
    one = batch_objective("least-squares", {"x": x1, "y": y1})
    many = batch_objective("least-squares", {"x": np.repeat(x1, B, axis=0), "y": np.repeat(y1, B)})
    assert many.batch_size == B
    w0 = exact.fr(1, 2)
    for m, kw in ((GD, {}), (PROX, {"gamma": Fr(1, 3)})):
        ra = echo(m, w0, m.init(w0, eta=Fr(1, 2), **kw), [one, one], [2, 3])
        rb = echo(m, w0, m.init(w0, eta=Fr(1, 2), **kw), [many, many], [2, 3])
        for a, b in zip(ra.outer, rb.outer):
            exact.assert_equal(b, a)


def test_agd_on_identical_examples_equal_one_example(rng):
    ex = get_family("logistic").sample(rng, 1, 3)
    many = {k: np.repeat(v, 4, axis=0) for k, v in ex.items()}
    w0 = rng.standard_normal(3)
    r1 = echo(AGD, w0, AGD.init(w0, eta=0.5), [batch_objective("logistic", ex)] * 2, 3, output="final")
    r4 = echo(AGD, w0, AGD.init(w0, eta=0.5), [batch_objective("logistic", many)] * 2, 3, output="final")
    np.testing.assert_allclose(r4.w_out, r1.w_out, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", ["gd", "prox", "agd"])
@pytest.mark.parametrize("family", ["least-squares", "quadratic", "logistic"])
def test_vectorised_runs_equal_separate_runs(name, family, rng):
    C, B, n = 3, 4, 2
    fam = get_family(family)
    m = get_method(name)
    ex = [fam.sample(rng, B, n) for _ in range(C)]
    stacked = {k: np.stack([e[k] for e in ex]) for k in fam.fields}  # leading candidate axis
    w0 = rng.standard_normal((C, n))
    eta = np.array([0.05, 0.1, 0.2])
    extra = {}
    if name == "prox":
        extra = {"gamma": np.array([0.0, 0.5, 2.0]), "pivot": rng.standard_normal((C, n))}
    if name == "agd":
        extra = {"lam": np.array([1.0, 2.0, 5.0]), "d": rng.standard_normal((C, n))}
    ks = [2, 3]
    batches_v = [batch_objective(fam, stacked), batch_objective(fam, stacked)]
    r = echo(m, w0, m.init(w0, eta=eta, **extra), batches_v, ks)
    assert np.shape(r.w_out) == (C, n)
    for c in range(C):
        extra_c = {k: v[c] for k, v in extra.items()}
        bc = batch_objective(fam, ex[c])
        rc = echo(m, w0[c], m.init(w0[c], eta=eta[c], **extra_c), [bc, bc], ks)
        np.testing.assert_allclose(r.w_out[c], rc.w_out, rtol=1e-13, atol=1e-14)
        for t in range(len(ks) + 1):
            np.testing.assert_allclose(r.outer[t][c], rc.outer[t], rtol=1e-13, atol=1e-14)


def test_vectorised_exact_equals_separate_exact(exact):
    # exact arithmetic: equality, not closeness
    x = exact.frm([[[1, 0], [1, 1]], [["1/2", 2], [-1, "1/3"]]])
    y = exact.frm([[1, 0], ["1/4", -2]])
    w0 = exact.frm([[0, 0], [1, -1]])
    eta = exact.fr("1/2", "1/5")
    r = GD.run(w0, GD.init(eta=eta), batch_objective("least-squares", {"x": x, "y": y}), 3)
    for c in range(2):
        rc = GD.run(w0[c], GD.init(eta=eta[c]), batch_objective("least-squares", {"x": x[c], "y": y[c]}), 3)
        exact.assert_equal(r.w_out[c], rc.w_out)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("eta", [0, -1.0, float("nan"), float("inf"), np.array([0.1, 0.0]), "0.1", None])
@pytest.mark.parametrize("name", ["gd", "prox", "agd"])
def test_bad_eta(name, eta):
    m = get_method(name)
    with pytest.raises(ValueError, match="eta"):
        m.init(np.zeros(2), eta=eta, **({"gamma": 1.0} if name == "prox" else {}))


@pytest.mark.parametrize("gamma", [-0.1, float("nan"), np.array([0.1, -1.0])])
def test_bad_gamma(gamma):
    with pytest.raises(ValueError, match="gamma"):
        PROX.init(np.zeros(2), eta=0.1, gamma=gamma)


@pytest.mark.parametrize("k", [0, -1, 1.5, True, "2", None])
@pytest.mark.parametrize("name", ["gd", "prox", "agd"])
def test_bad_k(name, k, rng):
    m = get_method(name)
    s0 = m.init(np.zeros(2), eta=0.1, **({"gamma": 1.0} if name == "prox" else {}))
    obj = _random_ls(rng)
    with pytest.raises(ValueError, match=r"\bk\b"):
        m.run(np.zeros(2), s0, obj, k)
    with pytest.raises(ValueError, match=r"\bk\b"):
        echo(m, np.zeros(2), s0, [obj], k)


def test_bad_k_list(rng):
    obj = _random_ls(rng)
    s0 = GD.init(eta=0.1)
    with pytest.raises(ValueError, match=r"k\[1\]"):
        echo(GD, np.zeros(2), s0, [obj, obj], [2, 0])
    with pytest.raises(ValueError, match="k has 3 entries"):
        echo(GD, np.zeros(2), s0, [obj, obj], [2, 2, 2])


@pytest.mark.parametrize("family", ["least-squares", "quadratic", "linear", "logistic"])
@pytest.mark.parametrize("name", ["gd", "prox", "agd"])
def test_w_dimension_mismatch_names_w(family, name, rng):
    fam = get_family(family)
    obj = batch_objective(fam, fam.sample(rng, 3, 2))
    m = get_method(name)
    w = np.zeros(3)
    s0 = m.init(w, eta=0.1, **({"gamma": 1.0} if name == "prox" else {}))
    with pytest.raises(ValueError, match=r"\bw\b.*dimension|dimension.*\bw\b"):
        m.run(w, s0, obj, 2)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_data_and_points(bad, rng):
    ex = get_family("least-squares").sample(rng, 3, 2)
    ex["x"][1, 0] = bad
    with pytest.raises(ValueError, match=r"batch\['x'\].*NaN or inf"):
        batch_objective("least-squares", ex)
    ok = _random_ls(rng)
    with pytest.raises(ValueError, match="w0"):
        echo(GD, np.array([0.0, bad]), GD.init(eta=0.1), [ok], 1)
    with pytest.raises(ValueError, match="w_init"):
        GD.run(np.array([bad, 0.0]), GD.init(eta=0.1), ok, 1)
    with pytest.raises(ValueError, match="pivot"):
        PROX.init(eta=0.1, gamma=1.0, pivot=np.array([bad, 0.0]))
    with pytest.raises(ValueError, match=r"\bd\b"):
        AGD.init(eta=0.1, d=np.array([bad, 0.0]))


def test_nonfinite_exact_entry(exact):
    x = exact.frm([[1, 2]])
    x[0, 1] = float("nan")
    with pytest.raises(ValueError, match=r"batch\['x'\]"):
        batch_objective("least-squares", {"x": x, "y": exact.fr(1)})


def test_empty_batch_and_no_batches():
    with pytest.raises(ValueError, match="empty"):
        batch_objective("least-squares", {"x": np.zeros((0, 2)), "y": np.zeros(0)})
    with pytest.raises(ValueError, match="batches"):
        echo(GD, np.zeros(2), GD.init(eta=0.1), [], 1)


def test_unknown_names_and_bad_options(rng):
    with pytest.raises(ValueError, match="unknown method 'sgd'"):
        get_method("sgd")
    with pytest.raises(ValueError, match="unknown loss family 'hinge'"):
        batch_objective("hinge", {"x": np.ones((1, 2)), "y": np.ones(1)})
    obj = _random_ls(rng)
    s0 = GD.init(eta=0.1)
    with pytest.raises(ValueError, match="output"):
        echo(GD, np.zeros(2), s0, [obj], 1, output="best")
    with pytest.raises(ValueError, match="average"):
        echo(GD, np.zeros(2), s0, [obj], 1, average="mean")
    with pytest.raises(ValueError, match="method"):
        echo("gd", np.zeros(2), s0, [obj], 1)
    with pytest.raises(ValueError, match="batch"):
        GD.run(np.zeros(2), s0, 42, 1)
    with pytest.raises(ValueError, match="w_init"):
        GD.run(np.float64(1.0), s0, obj, 1)  # w must have at least one axis
    with pytest.raises(ValueError, match="pivot"):
        PROX.init(eta=0.1, gamma=1.0)
    with pytest.raises(ValueError, match=r"\bd\b"):
        AGD.init(eta=0.1)
    with pytest.raises(ValueError, match="lam"):
        AGD.init(np.zeros(2), eta=0.1, lam=float("nan"))


def test_method_registry():
    for name in ("gd", "prox", "agd"):
        m = get_method(name)
        assert isinstance(m, InnerMethod) and m.name == name
