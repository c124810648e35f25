r"""Theorem 7 (Section 4.1) — data-echoed gradient descent.

As printed: *T outer steps of data-echoed gradient descent, with a step size of
η = min{1/β, (ρ/(KD))√(B/T)} and K internal steps, produces a point w_out satisfying*

    E[F(w_out)] − F(w^*) ≤ βD²/(2KT) + 2ρD/√(BT).

Reference: Section 4.1, Theorem 7 (proof deferred to the paper's Appendix C).  D bounds
‖w_0 − w*‖ (Section 2.1); w_out is Algorithm 1's printed average of w_0..w_{T−1}.

The printed statement is false, for two independent reasons (both shown exactly):
(i)  the printed average: for T = 1, w_out = w_0.  Linear loss f(w, ξ) = ⟨a, w⟩ (β-smooth
     for every β ≥ 0), 𝒟 = δ_a, ‖a‖ = ρ, w_0 − w* = D a/ρ: F(w_0) − F(w*) = ρD, while the bound
     is βD²/(2K) + 2ρD/√B < ρD for B ≥ 5 and small β (e.g. ρ = D = K = 1, B = 9,
     β = 1/1000: 1 > 1/2000 + 2/3);
(ii) the printed step size, even with the proof's average of w_1..w_T: η ∝ ρ/D has the
     wrong units.  a = ρ = 1, D = 100, B = 100, T = K = 1, β = 1/1000: η = 1/10,
     w_1 = w_0 − a/10, gap 999/10 > bound 5 + 20 = 25.

Corrected (``theorem7_corrected``): η = min{1/β, c}, c = (D/(2ρK))√(B/T), w_out = average of
w_1..w_T.  Our proof: η ≤ 1/β, so Lemma 5 (V = ‖w − w*‖²/(2ηK), V(w_0) ≤ D²/(2ηK), V ≥ 0)
and Lemma 6 (ε = 2ηKρ²/B) apply, and Theorem 4 (corrected) gives
    E[F(w_out)] − F(w*) ≤ D²/(2ηKT) + 2ηKρ²/B.
Case η = c ≤ 1/β: the sum is exactly 2ρD/√(BT).  Case η = 1/β ≤ c: the first term is
βD²/(2KT) and the second is ≤ 2cKρ²/B = ρD/√(BT).  Either way ≤ βD²/(2KT) + 2ρD/√(BT).  ∎

Checks: the two counterexamples exactly (Fractions; (i) also through the registry in
mpmath) and over hypothesis-drawn families; the assembly and both cases symbolically
(sympy; case 2 as (2 − v)ρD/√(BT) with 1/β = v·c, v ∈ (0, 1]); the intermediate bound
D²/(2ηKT) + 2ηKρ²/B and the corrected theorem numerically on registry instances.
Planted error: case 1 with the printed η does not give 2ρD/√(BT).
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp
from hypothesis import given, settings, strategies as st

from boundcheck.core import numerics as nm
from boundcheck.core.algorithms import gradient_descent
from boundcheck.paper import get_statement
from boundcheck.lang import evaluate_expr

GD = gradient_descent()
beta, rho, D = sp.symbols("beta rho D", positive=True)
K, T, B = sp.symbols("K T B", positive=True)


def bound_printed():
    return beta * D**2 / (2 * K * T) + 2 * rho * D / sp.sqrt(B * T)


def route(eta):
    """Theorem 4 + Lemma 5 (V_0 = D²/(2ηK)) + Lemma 6 (ε = 2ηKρ²/B)."""
    V0, eps = D**2 / (2 * eta * K), 2 * eta * K * rho**2 / B
    return V0 / T + eps


# ----------------------------------------------------------------------------- printed: refuted
def _linear_run(a, u, eta, K_, T_=1):
    """𝒟 = δ_a, f = ⟨a, w⟩, w* = 0, w_0 = u: (F(printed average) − F*, F(proof average) − F*)."""
    a, w = np.array(a, dtype=object), np.array(u, dtype=object)
    outer = [w]
    for _ in range(T_):
        outer.append(GD.run(outer[-1], GD.init(eta=eta), lambda v: a + 0 * v, K_).w_out)
    printed = sum(outer[:-1][1:], outer[0]) / T_
    proof = sum(outer[2:], outer[1]) / T_
    return sum(a * printed), sum(a * proof)


def test_printed_average_counterexample_exact():
    """(i) ρ = D = K = T = 1, B = 9, β = 1/1000: printed η = min{1000, 3} = 3; gap 1 > 1/2000 + 2/3."""
    b, r, d, k, bb = Fraction(1, 1000), 1, 1, 1, 9
    eta = min(1 / b, Fraction(r, k * d) * 3)  # √(B/T) = 3
    gap, _ = _linear_run([Fraction(1)], [Fraction(1)], eta, k)
    bound = b * d**2 / (2 * k) + Fraction(2 * r * d, 3)
    assert gap == 1 and bound == Fraction(1, 2000) + Fraction(2, 3) and gap > bound


def test_printed_average_counterexample_through_registry():
    """(i) through the registry's theorem7 (exact enumeration over the batch, mpmath)."""
    st_ = get_statement("theorem7")
    with nm.mp_precision(50):
        p = {"sup.a": np.array([[[1.0], [1.0]]]), "p0": np.array([1.0]), "w0": np.array([[1.0]]),
             "ws": np.array([[0.0]]), "rW": np.array([8.0])}
        lhs, rhs, viol = st_.run({"family": "linear", "n": 1, "K": 1, "B": 9, "T": 1},
                                 {k: nm.to_mp(v) for k, v in p.items()})
        assert not any(bool(np.asarray(v)[0]) for v in viol.values())
        # ρ is the certified (float-margin) Lipschitz constant, a hair above 1: RHS ≈ 2/3
        assert lhs[0] == 1 and rhs[0] < mpmath.mpf("0.667") and lhs[0] > rhs[0]


@settings(max_examples=20, deadline=None)
@given(Bv=st.integers(5, 10**6), r=st.fractions(1, 10), d=st.fractions(1, 10), k=st.integers(1, 50))
def test_printed_average_counterexample_family(Bv, r, d, k):
    """(i) refuted for every B ≥ 5 (β = 0, linear loss, T = 1): ρD > 2ρD/√B, compared exactly as B > 4."""
    gap, _ = _linear_run([r], [d], Fraction(1), k)  # w_out = w_0 whatever η is
    assert gap == r * d
    # gap > 2ρD/√B  ⇔  √B > 2  ⇔  B > 4
    assert Bv > 4 and gap**2 * Bv > (2 * r * d) ** 2


def test_printed_step_size_counterexample_exact():
    """(ii) a = ρ = 1, D = 100, B = 100, T = K = 1, β = 1/1000: η = 1/10, gap 999/10 > 25 (proof average)."""
    b, r, d, k, Bv, T_ = Fraction(1, 1000), 1, 100, 1, 100, 1
    eta = min(1 / b, Fraction(r, k * d) * 10)  # √(B/T) = 10
    assert eta == Fraction(1, 10)
    _, gap = _linear_run([Fraction(1)], [Fraction(100)], eta, k)
    bound = b * d**2 / (2 * k * T_) + Fraction(2 * r * d, 10)
    assert gap == Fraction(999, 10) and bound == 25 and gap > bound


@settings(max_examples=20, deadline=None)
@given(q=st.integers(3, 1000), m=st.integers(2, 50))
def test_printed_step_size_counterexample_family(q, m):
    """(ii) B = q², ρ = K = T = 1, β = 0, D = mq ≥ 2q, proof average: gap = D − q/D > 2D/q."""
    Dv = m * q
    eta = Fraction(q, Dv)  # (ρ/(KD))√(B/T)
    _, gap = _linear_run([Fraction(1)], [Fraction(Dv)], eta, 1)
    assert gap == Dv - Fraction(q, Dv) and gap > Fraction(2 * Dv, q)


# ----------------------------------------------------------------------------- corrected: proof
def test_corrected_case_eta_equals_c():
    """Case η = c = (D/(2ρK))√(B/T): D²/(2cKT) + 2cKρ²/B = 2ρD/√(BT) exactly."""
    c = D / (2 * rho * K) * sp.sqrt(B / T)
    assert sp.simplify(route(c) - 2 * rho * D / sp.sqrt(B * T)) == 0


def test_corrected_case_eta_equals_one_over_beta():
    """Case η = 1/β ≤ c: with 1/β = v·c, v ∈ (0, 1], printed bound − route = (2 − v)ρD/√(BT) ≥ 0."""
    v = sp.Symbol("v", positive=True)
    c = D / (2 * rho * K) * sp.sqrt(B / T)
    diff = (bound_printed() - route(1 / beta)).subs(beta, 1 / (v * c))
    assert sp.simplify(diff - (2 - v) * rho * D / sp.sqrt(B * T)) == 0
    # and its first term is exactly the curvature term βD²/(2KT)
    assert sp.simplify(D**2 / (2 * (1 / beta) * K * T) - beta * D**2 / (2 * K * T)) == 0


def test_planted_printed_eta_in_case_1():
    """Planted error: with the printed η = (ρ/(KD))√(B/T) case 1 does not give 2ρD/√(BT); it exceeds it."""
    e = rho / (K * D) * sp.sqrt(B / T)
    diff = sp.simplify(route(e) - 2 * rho * D / sp.sqrt(B * T))
    assert diff != 0
    assert diff.subs({rho: 1, D: 100, B: 100, T: 1, K: 1}) > 0


@settings(max_examples=20, deadline=None)
@given(lb=st.floats(-6, 6), lr=st.floats(-6, 6), ld=st.floats(-6, 6), k=st.integers(1, 200),
       Bv=st.integers(1, 10**4), t=st.integers(1, 10**3))
def test_corrected_min_route_below_bound(lb, lr, ld, k, Bv, t):
    """η = min{1/β, c}: route(η) ≤ printed bound, in mpmath over wide parameter ranges."""
    with mpmath.workdps(40):
        b, r, d = mpmath.mpf(10) ** lb, mpmath.mpf(10) ** lr, mpmath.mpf(10) ** ld
        eta = min(1 / b, d / (2 * r * k) * mpmath.sqrt(mpmath.mpf(Bv) / t))
        val = d**2 / (2 * eta * k * t) + 2 * eta * k * r**2 / Bv
        bnd = b * d**2 / (2 * k * t) + 2 * r * d / mpmath.sqrt(Bv * t)
        assert val <= bnd * (1 + mpmath.mpf(10) ** -30)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_numeric_confirmation_corrected(kit, seed):
    """theorem7_corrected on registry instances (exact expectations), and the intermediate
    route bound D²/(2ηKT) + 2ηKρ²/B on the same instances."""
    kit.confirm("theorem7_corrected", seed)
    st_ = get_statement("theorem7_corrected")
    s, p = st_.sample(np.random.default_rng(seed), 8)
    lhs, _, viol = st_.run(s, p)
    v = st_.values(s, p)  # the statement's symbols at these instances (β, ρ, D certified; η as defined)
    b, r, Dv, eta = v["beta"], v["rho"], v["D"], v["eta"]
    assert np.allclose(eta, evaluate_expr(st_.hypotheses[0].rhs, v))
    val = Dv**2 / (2 * eta * s["K"] * s["T"]) + 2 * eta * s["K"] * r**2 / s["B"]
    ok = ~np.any([np.asarray(v, dtype=bool) for v in viol.values()], axis=0)
    assert np.all((lhs <= val + 1e-9 * (np.abs(lhs) + np.abs(val)))[ok])
