r"""Lemma 5 (Section 4.1) — potential-bounded regret for GD.

As printed: *Let f be a β-smooth convex function. Then K steps of gradient descent on f,
with a step size η ≤ 1/β, satisfies the potential-bounded regret property with
V(w, s, w^*) := ½‖w − w^*‖²:*

    f(w_out) − f(w^*) ≤ (1/(ηK)) (‖w_init − w^*‖²/2 − ‖w_out − w^*‖²/2).

Reference: Section 4.1, Lemma 5 (proof deferred to the paper's Appendix A, which we do
not have).  Two registry ids: ``lemma5`` is the display (equivalently Definition 3 with
V = ‖w − w*‖²/(2ηK)); ``lemma5_potential`` is Definition 3 with the potential as named,
V = ½‖w − w*‖², which is false.

Our proof of the display.  Write g_j = ∇f(w_j), w_{j+1} = w_j − ηg_j, u_j = w_j − w*.

(a) Descent lemma (β-smoothness): f(w_{j+1}) ≤ f(w_j) − η‖g_j‖² + (βη²/2)‖g_j‖²
    ≤ f(w_j) − (η/2)‖g_j‖², because −η + βη²/2 − (−η/2) = u(u − 1)/(2β) ≤ 0 for η = u/β,
    u ∈ (0, 1] — this is where ηβ ≤ 1 is used.
(b) Convexity: f(w_j) − f(w*) ≤ ⟨g_j, u_j⟩.
(c) (a)+(b): f(w_{j+1}) − f(w*) ≤ ⟨g_j, u_j⟩ − (η/2)‖g_j‖² = (‖u_j‖² − ‖u_{j+1}‖²)/(2η)
    (the identity ⟨g, u⟩ − η‖g‖²/2 = (‖u‖² − ‖u − ηg‖²)/(2η)).
(d) Summing (c) over j = 0..K−1 telescopes: Σ_{j=1}^{K} (f(w_j) − f(w*)) ≤ (‖u_0‖² − ‖u_K‖²)/(2η).
(e) By (a) f(w_j) is nonincreasing, so K(f(w_K) − f(w*)) ≤ Σ_{j=1}^{K} (f(w_j) − f(w*));
    divide by K.  ∎

The named potential fails (``lemma5_potential``): for a linear f(w) = ⟨a, w⟩ (β = 0, so
any η is allowed) w_K = w_0 − sa with s = ηK, and with u = w_0 − w*
LHS − RHS = (1 − s)⟨a, u⟩ − s‖a‖² + s²‖a‖²/2; a = 1, u = 10, K = 1, η = ½ gives
LHS = 19/2 > RHS = 39/8.

Checks: (a), (c), (d) symbolically (sympy); (a)–(e) and the display along exact
(Fraction) GD iterates of a least-squares objective, including the edge η = 1/β; the
counterexample exactly, in general form (sympy), through the registry (mpmath) and over
a hypothesis-drawn family; the display numerically on registry instances.  Planted
errors: a step size η = 2/β breaks step (a); a wrong constant breaks the identity of (c).
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from boundcheck.core import numerics as nm
from boundcheck.core.algorithms import gradient_descent
from boundcheck.paper import get_statement

GD = gradient_descent()


# ----------------------------------------------------------------------------- symbolic steps
def test_step_a_descent_constant():
    """(a) −η + βη²/2 ≤ −η/2 when η = u/β, u ∈ (0, 1]: the difference is u(u−1)/(2β)."""
    beta, u = sp.symbols("beta u", positive=True)
    eta = u / beta
    diff = (-eta + beta * eta**2 / 2) - (-eta / 2)
    assert sp.simplify(diff - u * (u - 1) / (2 * beta)) == 0
    # u(u−1) ≤ 0 on (0, 1]: substitute u = 1/(1+t), t ≥ 0 ⇒ u(u−1) = −t/(1+t)² ≤ 0
    t = sp.Symbol("t", nonnegative=True)
    assert sp.simplify((u * (u - 1)).subs(u, 1 / (1 + t)) + t / (1 + t) ** 2) == 0


def _three_point(coef):
    g = sp.symbols("g1:4", real=True)
    u = sp.symbols("u1:4", real=True)
    eta = sp.Symbol("eta", positive=True)
    ip = sum(a * b for a, b in zip(g, u))
    gg = sum(a * a for a in g)
    uu = sum(a * a for a in u)
    vv = sum((a - eta * b) ** 2 for a, b in zip(u, g))
    return sp.expand(ip - coef * eta * gg - (uu - vv) / (2 * eta))


def test_step_c_three_point_identity():
    """(c) ⟨g, u⟩ − η‖g‖²/2 = (‖u‖² − ‖u − ηg‖²)/(2η) (vectors in R³)."""
    assert _three_point(sp.Rational(1, 2)) == 0


def test_step_d_telescope():
    """(d) Σ_{j<K} (r_j − r_{j+1}) = r_0 − r_K."""
    for k in range(1, 8):
        r = sp.symbols(f"r0:{k + 1}")
        assert sp.expand(sum(r[j] - r[j + 1] for j in range(k)) - (r[0] - r[k])) == 0


# ----------------------------------------------------------------------------- exact iterates
# least squares with orthogonal features: mean Hessian diag(5/3, 1/3), β = 5/3 exactly
SUPPORT = [((2, 0), 1), ((0, 1), -2), ((1, 0), 3)]


def _objective(kit):
    batch = [(kit.fr(*x), Fraction(y)) for x, y in SUPPORT]
    return kit.batch_value(kit.ls_value, batch), kit.batch_grad(kit.ls_grad, batch)


BETA = Fraction(5, 3)


def _step_failures(kit, eta, ws, K=6, w0=("7/2", "-5/2")):
    """Run K exact GD steps and return the names of the proof steps that fail."""
    f, grad = _objective(kit)
    w0 = kit.fr(*w0)
    ws = kit.fr(*ws)
    its = GD.run(w0, GD.init(eta=eta), grad, K).iterates
    bad = set()
    for j in range(K):
        w, w1 = its[j], its[j + 1]
        g = grad(w)
        if not f(w1) <= f(w) - eta / 2 * kit.sq(g):
            bad.add("a: descent")
        if not f(w) - f(ws) <= kit.dot(g, w - ws):
            bad.add("b: convexity")
        if not f(w1) - f(ws) <= (kit.sq(w - ws) - kit.sq(w1 - ws)) / (2 * eta):
            bad.add("c: one step")
        if not f(w1) <= f(w):
            bad.add("e: monotone")
    if not sum(f(its[j]) - f(ws) for j in range(1, K + 1)) <= (kit.sq(its[0] - ws) - kit.sq(its[K] - ws)) / (2 * eta):
        bad.add("d: telescoped")
    if not K * f(its[K]) <= sum(f(its[j]) for j in range(1, K + 1)):
        bad.add("e: average")
    if not f(its[K]) - f(ws) <= (kit.sq(its[0] - ws) / 2 - kit.sq(its[K] - ws) / 2) / (eta * K):
        bad.add("display")
    return bad


@pytest.mark.parametrize("eta", [BETA**-1, Fraction(1, 2), Fraction(1, 7)])
@pytest.mark.parametrize("ws", [("0", "0"), ("1/2", "-2"), ("-3", "4"), ("9", "1/3")])
def test_steps_along_exact_iterates(kit, eta, ws):
    """(a)–(e) and the display hold exactly along GD iterates (η ≤ 1/β, edge included)."""
    assert _step_failures(kit, eta, ws) == set()


def test_planted_step_size_above_one_over_beta_breaks_descent(kit):
    """Planted error: η = 2/β violates ηβ ≤ 1 and step (a) is detected to fail."""
    assert "a: descent" in _step_failures(kit, 2 / BETA, ("1/2", "-2"))


def test_planted_wrong_constant_breaks_identity():
    """Planted error: ⟨g, u⟩ − η‖g‖² ≠ (‖u‖² − ‖u − ηg‖²)/(2η)."""
    assert _three_point(1) != 0


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_numeric_confirmation(kit, seed):
    """The display on registry instances (every convex family, K up to 100)."""
    kit.confirm("lemma5", seed)


# ----------------------------------------------------------------------------- lemma5_potential
def _linear_gd(a, u, eta, K):
    """LHS and the named-potential RHS for f(w) = ⟨a, w⟩, w* = 0, w_0 = u (exact)."""
    w0 = np.array(u, dtype=object)
    a = np.array(a, dtype=object)
    wK = GD.run(w0, GD.init(eta=eta), lambda w: a + 0 * w, K).w_out
    lhs = sum(a * wK)  # f(w_K) − f(w*)
    rhs = sum(w0 * w0) / 2 - sum(wK * wK) / 2
    return lhs, rhs


def test_potential_counterexample_exact():
    """lemma5_potential: a = 1, w_0 − w* = 10, K = 1, η = ½: LHS = 19/2 > RHS = 39/8."""
    lhs, rhs = _linear_gd([Fraction(1)], [Fraction(10)], Fraction(1, 2), 1)
    assert (lhs, rhs) == (Fraction(19, 2), Fraction(39, 8))
    assert lhs > rhs


def test_potential_counterexample_general_form():
    """For linear f: LHS − RHS = (1 − s)⟨a, u⟩ − s‖a‖² + s²‖a‖²/2, s = ηK (sympy)."""
    a = sp.symbols("a1:3", real=True)
    u = sp.symbols("u1:3", real=True)
    s = sp.Symbol("s", positive=True)
    wK = [ui - s * ai for ui, ai in zip(u, a)]
    lhs = sum(ai * wi for ai, wi in zip(a, wK))
    rhs = (sum(ui**2 for ui in u) - sum(wi**2 for wi in wK)) / 2
    ip, aa = sum(x * y for x, y in zip(a, u)), sum(x * x for x in a)
    assert sp.expand(lhs - rhs - ((1 - s) * ip - s * aa + s**2 * aa / 2)) == 0


def test_potential_counterexample_through_registry():
    """The same instance through the registry's lemma5_potential evaluation, in mpmath."""
    st_ = get_statement("lemma5_potential")
    with nm.mp_precision(50):
        p = {"ex.a": nm.to_mp(np.array([[[1.0]]])), "w0": nm.to_mp(np.array([[10.0]])),
             "ws": nm.to_mp(np.array([[0.0]])), "u": nm.to_mp(np.array([0.5]))}
        lhs, rhs, _ = st_.run({"family": "linear", "n": 1, "K": 1, "B": 1}, p)
        assert lhs[0] == mpmath.mpf(19) / 2 and rhs[0] == mpmath.mpf(39) / 8
        # the display (lemma5) holds on it: RHS = (100 − 90.25)/(2·½) = 9.75 ≥ 9.5
        lhs5, rhs5, _ = get_statement("lemma5").run({"family": "linear", "n": 1, "K": 1, "B": 1}, p)
        assert lhs5[0] <= rhs5[0]


@settings(max_examples=20, deadline=None)
@given(a=st.lists(st.integers(-9, 9), min_size=2, max_size=2).filter(any),
       K=st.integers(1, 6), q=st.integers(2, 50), c=st.fractions(1, 100))
def test_potential_counterexample_family(a, K, q, c):
    """Refuted as printed: every linear instance with s = ηK ≤ ½ and w_0 − w* = c·a, c ≥ 1,
    violates the named potential exactly (then LHS − RHS ≥ ‖a‖² s²/2 > 0)."""
    a = [Fraction(x) for x in a]
    eta = Fraction(1, 2 * K * q)  # s = ηK = 1/(2q) ≤ ¼
    s = eta * K
    lhs, rhs = _linear_gd(a, [c * x for x in a], eta, K)
    aa = sum(x * x for x in a)
    assert lhs - rhs == (1 - s) * c * aa - s * aa + s * s * aa / 2
    assert lhs - rhs >= aa * s * s / 2 > 0
