r"""Theorem 13 (Section 4.3) — data-echoed accelerated gradient descent on quadratics.

As printed: *Suppose f is a convex quadratic in w, for all ξ. Then, T outer steps of
echoed AGD, with echoing factor K and step size η = Θ(min{1/β, ρ/(K²D√(B/T^{3/2}))}),
produces a point w_out satisfying*

    E[F(w_out)] − F(w^*) = O(β‖w_0 − w^*‖²/(K²T²) + ρ‖w_0 − w^*‖/√(BT)).

Reference: Section 4.3, Theorem 13 (proof deferred to the supplement); Algorithm 2 (final
iterate).  Θ(·) read as η = c·min{…} for a constant c > 0; initial state λ_0 = 1, d_0 = 0.

Printed: refuted by the family ``theorem13_family(c)`` (boundcheck/paper/agd.py):
f(w, ξ) = aw (a convex quadratic with zero Hessian, β = 0), 𝒟 = δ_a, ρ = a = 1, n = 1,
w_0 = 0, w* = −D, D = K = T = 1, B = 4^m.  The printed η = cρT^{3/4}/(K²D√B) = c/√B; one AGD
step from λ_0 = 1, d_0 = 0 is a GD step (γ_1 = 0): w_1 = −c/√B, gap F(w_1) − F(w*) = 1 − c/√B,
rate βD²/(K²T²) + ρD/√(BT) = 1/√B, ratio = √B − c → ∞ for every fixed c, so no constant makes
the O(·) hold.
(The printed η has the wrong units: ∝ ρ/D instead of D/ρ.)

Corrected (``theorem13_corrected``): η = min{1/β, η₂}, η₂ = (D/ρ)√(2B/(K(K+1)T(KT+1)²)),
λ_0 = 1, d_0 = 0, w_out = w_T:
    E[F(w_T)] − F(w*) ≤ 2βD²/(KT+1)² + 2ρD√(2K(K+1)T/B)/(KT+1) ≤ 2βD²/(K²T²) + 4ρD/√(BT).
Our proof.  λ_j (j = 0..KT) is data-independent; Λ_t := λ_{tK}² − λ_{tK}, z_t := w_t + λ_{tK}d_t.
(1) Lemma 11 on batch t (λ_{tK} ≥ 1: λ_0 = 1, and λ_j ≥ 1 afterwards):
    Λ_{t+1}(f̄_t(w_{t+1}) − f̄_t(w*)) − Λ_t(f̄_t(w_t) − f̄_t(w*)) ≤ (‖z_t − w*‖² − ‖z_{t+1} − w*‖²)/(2η);
(2) given the past, w_t is fixed and ξ^(t) fresh: E f̄_t(w_t) = E F(w_t), E f̄_t(w*) = F(w*),
    and E f̄_t(w_{t+1}) ≥ E F(w_{t+1}) − ε (Theorem 2; Λ_{t+1} ≥ 0);
(3) sum over t (telescopes; Λ_0 = 0, z_0 = w_0):
    Λ_T(E F(w_T) − F*) ≤ D²/(2η) + ε Σ_{t=1}^T Λ_t ≤ D²/(2η) + εTΛ_T   (Λ_t nondecreasing);
(4) Λ_T = λ_{KT−1}² (recursion) and λ_j ≥ 1 + j/2 (λ_{j+1} ≥ λ_j + ½), so Λ_T ≥ (KT+1)²/4;
    Lemma 12 (explicit, λ ≥ 1): ε ≤ ηρ²K(K+1)/B.  Hence
    E F(w_T) − F* ≤ g(η) := 2D²/(η(KT+1)²) + ηρ²K(K+1)T/B;
(5) η = η₂ ≤ 1/β: both terms of g equal S := ρD√(2K(K+1)T/B)/(KT+1), g = 2S;
(6) η = 1/β ≤ η₂ (1/β = vη₂, v ∈ (0, 1]): g = 2βD²/(KT+1)² + vS, bound − g = (2 − v)S ≥ 0;
(7) (KT+1)² ≥ K²T², and 2S ≤ 4ρD/√(BT) ⇔ 2(KT+1)² − K(K+1)T² = KT²(K−1) + 4KT + 2 ≥ 0.  ∎
The constant 4 is the supremum (K = 1, T → ∞); 3 would not do.

Checks: the family for c ∈ {0.01, 1, 100} in mpmath (ratio = √B − c for every member,
strictly increasing, unbounded — and over hypothesis-drawn c); (1)–(3) exactly on every
branch of an enumerated echoed AGD run (mpmath, two-point least-squares distribution, ε the
exact uniform stability over every reached state, checked against Lemma 12's constant);
(4)–(7) symbolically and the λ facts numerically up to j = 4000; the corrected theorem
numerically on registry instances.  Planted errors: the constant 3 in (7); the printed η
does not balance (5).
"""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from boundcheck.core.algorithms import AGDState, accelerated_gradient_descent, lambda_sequence
from boundcheck.paper.agd import theorem13_family

AGD = accelerated_gradient_descent()
beta, rho, D = sp.symbols("beta rho D", positive=True)
K, T, B = sp.symbols("K T B", positive=True)
ETA2 = D / rho * sp.sqrt(2 * B / (K * (K + 1) * T * (K * T + 1) ** 2))
S = rho * D * sp.sqrt(2 * K * (K + 1) * T / B) / (K * T + 1)
BOUND = 2 * beta * D**2 / (K * T + 1) ** 2 + 2 * S


def g(eta):
    return 2 * D**2 / (eta * (K * T + 1) ** 2) + eta * rho**2 * K * (K + 1) * T / B


# ----------------------------------------------------------------------------- printed: refuted
def _check_family(c, members):
    with mpmath.workdps(60):
        rows = theorem13_family(c, members=members, exact=True)
        ratios = []
        for row in rows:
            Bv = row["B"]
            ratio = mpmath.mpf(row["lhs"]) / mpmath.mpf(row["rate"])
            assert row["K"] == row["T"] == 1
            assert abs(mpmath.mpf(row["eta"]) - mpmath.mpf(c) / mpmath.sqrt(Bv)) < mpmath.mpf(10) ** -25
            assert abs(ratio - (mpmath.sqrt(Bv) - c)) < mpmath.mpf(10) ** -20 * (1 + abs(ratio))
            ratios.append(ratio)
        assert all(b > a for a, b in zip(ratios, ratios[1:]))  # strictly increasing
        return ratios


@pytest.mark.parametrize("c", [0.01, 1, 100])
def test_printed_family_ratio_unbounded(c):
    """Ratio (E F(w_T) − F*)/(βD²/(K²T²) + ρD/√(BT)) = √B − c, increasing, past any bound."""
    ratios = _check_family(c, 10)
    assert ratios[-1] > 1024 - c - 1e-9  # B = 4^10
    Bs = sp.Symbol("B", positive=True)
    assert sp.limit(sp.sqrt(Bs) - sp.Float(c), Bs, sp.oo) == sp.oo


@settings(max_examples=20, deadline=None)
@given(c=st.floats(1e-3, 1e3))
def test_printed_family_any_constant(c):
    """Refuted as printed: for every Θ-constant c the family's ratio is √B − c (mpmath), increasing."""
    _check_family(c, 6)


# ----------------------------------------------------------------------------- corrected: symbolic
def test_step_4_lambda_facts():
    """Λ_0 = 0 at λ_0 = 1; Λ_T = λ_{KT}² − λ_{KT} = λ_{KT−1}²; λ_j ≥ 1 + j/2 ⇒ Λ_T ≥ (KT+1)²/4 (j ≤ 4000, mpmath)."""
    with mpmath.workdps(30):
        lams, _ = lambda_sequence(mpmath.mpf(1), 4000)
        assert lams[0] ** 2 - lams[0] == 0
        for j in range(4000):
            assert abs(lams[j + 1] ** 2 - lams[j + 1] - lams[j] ** 2) <= mpmath.mpf(10) ** -20 * lams[j] ** 2
            assert lams[j + 1] >= lams[j] + mpmath.mpf(1) / 2
            assert lams[j] >= 1 + mpmath.mpf(j) / 2
        for kt in (1, 2, 7, 100, 4000):
            assert lams[kt] ** 2 - lams[kt] >= (mpmath.mpf(kt) + 1) ** 2 / 4 * (1 - mpmath.mpf(10) ** -20)
    assert sp.simplify((1 + (K * T - 1) / 2) ** 2 - (K * T + 1) ** 2 / 4) == 0


def test_step_4_assembly():
    """D²/(2ηΛ_T) + εT with Λ_T = (KT+1)²/4 and ε = ηρ²K(K+1)/B is g(η)."""
    eta = sp.Symbol("eta", positive=True)
    lamT = (K * T + 1) ** 2 / 4
    assert sp.simplify(D**2 / (2 * eta * lamT) + eta * rho**2 * K * (K + 1) / B * T - g(eta)) == 0


def test_step_5_balanced_case():
    """η = η₂: both terms of g equal S; g(η₂) = 2S."""
    assert sp.simplify(2 * D**2 / (ETA2 * (K * T + 1) ** 2) - S) == 0
    assert sp.simplify(ETA2 * rho**2 * K * (K + 1) * T / B - S) == 0
    assert sp.simplify(g(ETA2) - 2 * S) == 0


def test_step_6_curvature_case():
    """η = 1/β = vη₂, v ∈ (0, 1]: bound − g(1/β) = (2 − v)S ≥ 0."""
    v = sp.Symbol("v", positive=True)
    diff = (BOUND - g(1 / beta)).subs(beta, 1 / (v * ETA2))
    assert sp.simplify(diff - (2 - v) * S) == 0


def _final_gap(const):
    """2S ≤ c·ρD/√(BT)  ⇔  4·2K(K+1)T/(KT+1)² ≤ c²/T  ⇔  c²(KT+1)² − 8K(K+1)T² ≥ 0: returns the latter."""
    return sp.expand(const**2 * (K * T + 1) ** 2 - 8 * K * (K + 1) * T**2)


def test_step_7_final_form():
    """(7) 2S ≤ 4ρD/√(BT): 16(KT+1)² − 8K(K+1)T² = 8(KT²(K−1) + 4KT + 2) ≥ 0 (K = 1 + k: all terms ≥ 0)."""
    k = sp.Symbol("k", nonnegative=True)
    gap = _final_gap(4)
    assert sp.expand(gap - 8 * (K * T**2 * (K - 1) + 4 * K * T + 2)) == 0
    poly = sp.Poly(sp.expand(gap.subs(K, 1 + k)), k, T)
    assert all(cf >= 0 for cf in poly.coeffs())
    # curvature: (KT+1)² ≥ K²T²
    assert sp.expand((K * T + 1) ** 2 - K**2 * T**2) == 2 * K * T + 1


def test_planted_constant_3_fails():
    """Planted error: 2S ≤ 3ρD/√(BT) fails (K = 1, T = 4: 9·25 < 8·2·16)."""
    assert _final_gap(3).subs({K: 1, T: 4}) < 0


def test_planted_printed_eta_does_not_balance():
    """Planted error: with the printed η = ρT^{3/4}/(K²D√B) the two terms of g are not equal."""
    e = rho * T ** sp.Rational(3, 4) / (K**2 * D * sp.sqrt(B))
    assert sp.simplify(2 * D**2 / (e * (K * T + 1) ** 2) - e * rho**2 * K * (K + 1) * T / B) != 0


# ----------------------------------------------------------------------------- corrected: chain on an instance
Bv, Kv, Tv = 2, 2, 2


@pytest.fixture(scope="module")
def chain(kit):
    mp = mpmath.mpf
    with mpmath.workdps(50):
        vec = lambda *v: np.array([mp(t) for t in v], dtype=object)  # noqa: E731
        support = [(vec(1, 0), mp(1)), (vec(1, 1), mp(-1))]  # β ≤ 2
        probs = [mp(1) / 3, mp(2) / 3]
        out = []
        for eta in (mp(1) / 2, mp(1) / 7):
            w0 = vec("0.5", -1)
            s0 = AGDState(eta, 0 * w0, mp(1))
            levels, eps = kit.enumerate_echo(AGD, s0, w0, support, probs, Bv, Kv, Tv, kit.ls_value, kit.ls_grad)
            out.append((eta, w0, levels, eps))
        return support, probs, out


@pytest.mark.parametrize("ws", [(0, 0), (2, -3), (-1, 0.5)])
def test_steps_1_to_3_on_every_branch(kit, chain, ws):
    """(1) per batch on every branch, (2) conditionally on every history, (3) telescoped; ε ≤ ηρ²K(K+1)/B."""
    support, probs, runs = chain
    with mpmath.workdps(50):
        ws = np.array([mpmath.mpf(v) for v in ws], dtype=object)
        F = kit.population(kit.ls_value, support, probs)
        fbar = lambda b, w: sum(kit.ls_value(w, support[i]) for i in b) / len(b)  # noqa: E731
        tol = mpmath.mpf(10) ** -35
        for eta, w0, levels, eps in runs:
            Lam = lambda s: s.lam**2 - s.lam  # noqa: E731
            z = lambda nd: nd.w + nd.s.lam * nd.s.d - ws  # noqa: E731
            for t in range(Tv):
                for nd in levels[t + 1]:  # (1)
                    b, par = nd.hist[-1], nd.parent
                    lhs = Lam(nd.s) * (fbar(b, nd.w) - fbar(b, ws)) - Lam(par.s) * (fbar(b, par.w) - fbar(b, ws))
                    assert lhs <= (kit.sq(z(par)) - kit.sq(z(nd))) / (2 * eta) + tol
                for par in levels[t]:  # (2)
                    kids = [nd for nd in levels[t + 1] if nd.parent is par]
                    cw = [nd.prob / par.prob for nd in kids]
                    assert abs(sum(c * fbar(nd.hist[-1], par.w) for c, nd in zip(cw, kids)) - F(par.w)) < tol
                    EF = sum(c * F(nd.w) for c, nd in zip(cw, kids))
                    assert sum(c * fbar(nd.hist[-1], nd.w) for c, nd in zip(cw, kids)) >= EF - eps - tol
            # (3)
            lam_T = levels[Tv][0].s
            lhs = Lam(lam_T) * (kit.expect(levels[Tv], lambda nd: F(nd.w)) - F(ws))
            rhs = kit.sq(w0 - ws) / (2 * eta) + eps * sum(Lam(levels[t][0].s) for t in range(1, Tv + 1)) \
                - kit.expect(levels[Tv], lambda nd: kit.sq(z(nd))) / (2 * eta)
            assert lhs <= rhs + tol
            # Lemma 12's explicit constant on this instance (ρ over a ball holding every visited point)
            pts = [nd.w for lv in levels for nd in lv] + [q for lv in levels[1:] for nd in lv for q in nd.inner.queries]
            R = max(mpmath.sqrt(kit.sq(p)) for p in pts)
            rho_c = max(mpmath.sqrt(kit.sq(x)) * (mpmath.sqrt(kit.sq(x)) * R + abs(y)) for x, y in support)
            assert 0 < eps <= eta * rho_c**2 * Kv * (Kv + 1) / Bv


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_numeric_confirmation_corrected(kit, seed):
    """theorem13_corrected on registry instances (quadratic families, exact expectations)."""
    kit.confirm("theorem13_corrected", seed)
