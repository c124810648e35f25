r"""Lemma 8 (Section 4.2) — potential-bounded regret for proximal GD.

As printed: *Let f be a β-smooth convex function. Consider the potential function*

    V(w, {η, γ, w_pivot}, w^*) = ‖w − w^*‖²/(2ηK) + γ‖w − w_pivot‖²/2.

*Then K-step proximal gradient descent, with step-size η ≤ 1/(β + γ) has regret bounded by*

    f(w_out) − f(w^*) ≤ V(w_out, s_out, w^*) − V(w_init, s_init, w^*).

Reference: Section 4.2, Lemma 8 (proof deferred to the paper's supplement).  Prox-GD runs
GD on φ = f + (γ/2)‖w − w_pivot‖² and returns the pivot p_new = (1/K) Σ_{j=0}^{K−1} w_j.

The printed lemma is false (``lemma8``):
* f = (β/2)w² (n = 1), w* = 0, w_init = pivot = x, K = 1, η = 1/(β+γ): w_1 = γx/(β+γ),
  p_new = x and LHS − RHS = βx²(β² + 2βγ + 3γ²)/(2(β+γ)²) > 0 for every β > 0, γ ≥ 0, x ≠ 0
  (e.g. β = γ = 1, x = 1: LHS = 1/8 > RHS = −5/8);
* the order of Definition 3 (V(in) − V(out)) with the printed V fails too: f ≡ 0, pivot 0,
  w_0 = 1, w* = 2, K = 1, ηγ = 1: w_1 = 0, RHS = −3γ/2 < 0 = LHS.

Corrected (``lemma8_corrected``): V = ‖w − w*‖²/(2ηK) + γ‖w_pivot − w*‖²/2 and
f(w_out) − f(w*) ≤ V(in) − V(out).  Our proof: φ = f + (γ/2)‖w − p‖² is γ-strongly convex and
(β+γ)-smooth; g_j = ∇φ(w_j), u_j = w_j − w*.
(a) descent (η ≤ 1/(β+γ)): φ(w_{j+1}) ≤ φ(w_j) − (η/2)‖g_j‖²;
(b) strong convexity: φ(w_j) − φ(w*) ≤ ⟨g_j, u_j⟩ − (γ/2)‖u_j‖²;
(c) (a)+(b) and ⟨g, u⟩ − η‖g‖²/2 = (‖u‖² − ‖u − ηg‖²)/(2η):
    φ(w_{j+1}) − φ(w*) ≤ (‖u_j‖² − ‖u_{j+1}‖²)/(2η) − (γ/2)‖u_j‖²;
(d) sum over j = 0..K−1, and φ(w_j) nonincreasing (a):
    K(φ(w_K) − φ(w*)) ≤ (‖u_0‖² − ‖u_K‖²)/(2η) − (γ/2) Σ_{j<K} ‖u_j‖²;
(e) Jensen: Σ_{j<K} ‖w_j − w*‖² = K‖p_new − w*‖² + Σ_{j<K} ‖w_j − p_new‖² ≥ K‖p_new − w*‖²;
(f) φ(w_K) = f(w_K) + (γ/2)‖w_K − p‖², φ(w*) = f(w*) + (γ/2)‖w* − p‖², so
    f(w_K) − f(w*) ≤ V(in) − V(out) − (γ/2)‖w_K − p‖² ≤ V(in) − V(out).  ∎

Checks: both counterexamples exactly (Fractions; general form in sympy; the first through
the registry in mpmath and over a hypothesis-drawn family); (c), (e), (f) symbolically;
(a)–(f) and strong convexity exactly along prox-GD iterates of a least-squares objective;
``lemma8_corrected`` numerically on registry instances.  Planted errors: η = 2/(β+γ)
breaks (a); the printed pivot term ‖w − w_pivot‖ in place of ‖w_pivot − w*‖ breaks (f).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from boundcheck.core import numerics as nm
from boundcheck.core.algorithms import proximal_gradient_descent
from boundcheck.paper import get_statement

PROX = proximal_gradient_descent()


def _V_printed(w, p, ws, eta, gamma, K):
    return (w - ws) ** 2 / (2 * eta * K) + gamma * (w - p) ** 2 / 2


def _quad_instance(b, g, x):
    """f = (β/2)w², w* = 0, w_init = pivot = x, K = 1, η = 1/(β+γ): (LHS, printed RHS)."""
    eta = 1 / (b + g)
    w0 = np.array([x], dtype=object)
    r = PROX.run(w0, PROX.init(eta=eta, gamma=g, pivot=w0), lambda w: b * w, 1)
    w1, p1 = r.w_out[0], r.s_out.pivot[0]
    lhs = b * w1**2 / 2
    rhs = _V_printed(w1, p1, 0, eta, g, 1) - _V_printed(x, x, 0, eta, g, 1)
    return lhs, rhs


# ----------------------------------------------------------------------------- printed: refuted
def test_printed_counterexample_exact():
    """β = γ = 1, x = 1: η = ½, w_1 = ½, LHS = 1/8 > RHS = −5/8."""
    assert _quad_instance(Fraction(1), Fraction(1), Fraction(1)) == (Fraction(1, 8), Fraction(-5, 8))


def test_printed_counterexample_general_form():
    """LHS − RHS = βx²(β² + 2βγ + 3γ²)/(2(β+γ)²) for the quadratic instance (sympy)."""
    b, g, x = sp.symbols("beta gamma x", positive=True)
    eta = 1 / (b + g)
    w1 = x - eta * (b * x + g * (x - x))
    lhs = b * w1**2 / 2
    rhs = _V_printed(w1, x, 0, eta, g, 1) - _V_printed(x, x, 0, eta, g, 1)
    assert sp.simplify(lhs - rhs - b * x**2 * (b**2 + 2 * b * g + 3 * g**2) / (2 * (b + g) ** 2)) == 0


def test_printed_counterexample_through_registry():
    """The same instance through the registry's lemma8 evaluation (quadratic family, mpmath)."""
    with nm.mp_precision(50):
        p = {"ex.A": np.array([[[[1.0]]]]), "ex.b": np.array([[[0.0]]]), "w0": np.array([[1.0]]),
             "ws": np.array([[0.0]]), "piv": np.array([[1.0]]), "u": np.array([1.0]), "gfrac": np.array([1.0])}
        lhs, rhs, _ = get_statement("lemma8").run({"family": "quadratic", "n": 1, "K": 1, "B": 1},
                                                  {k: nm.to_mp(v) for k, v in p.items()})
        assert lhs[0] > 0 > rhs[0] + 0.5


@settings(max_examples=20, deadline=None)
@given(b=st.fractions(0, 100).filter(lambda v: v > 0), g=st.fractions(0, 100),
       x=st.fractions(-100, 100).filter(lambda v: v != 0))
def test_printed_counterexample_family(b, g, x):
    """Refuted as printed: every β > 0, γ ≥ 0, x ≠ 0 of the quadratic instance violates it, exactly."""
    lhs, rhs = _quad_instance(b, g, x)
    assert lhs - rhs == b * x**2 * (b**2 + 2 * b * g + 3 * g**2) / (2 * (b + g) ** 2) > 0


def test_printed_potential_reversed_order_fails():
    """V(in) − V(out) with the printed V: f ≡ 0, p = 0, w_0 = 1, w* = 2, K = 1, ηγ = 1 ⇒ RHS = −3γ/2 < 0."""
    for g in (Fraction(1), Fraction(2, 7), Fraction(9)):
        eta = 1 / g
        w0 = np.array([Fraction(1)], dtype=object)
        r = PROX.run(w0, PROX.init(eta=eta, gamma=g, pivot=0 * w0), lambda w: 0 * w, 1)
        w1, p1 = r.w_out[0], r.s_out.pivot[0]
        rhs = _V_printed(Fraction(1), 0, 2, eta, g, 1) - _V_printed(w1, p1, 2, eta, g, 1)
        assert (w1, p1) == (0, 1) and rhs == -3 * g / 2 < 0


# ----------------------------------------------------------------------------- corrected: proof
def test_step_c_identity():
    """(c) ⟨g, u⟩ − η‖g‖²/2 − (γ/2)‖u‖² = (‖u‖² − ‖u − ηg‖²)/(2η) − (γ/2)‖u‖² (sympy, R³)."""
    g = sp.symbols("g1:4", real=True)
    u = sp.symbols("u1:4", real=True)
    eta, gam = sp.symbols("eta gamma", positive=True)
    uu = sum(a * a for a in u)
    lhs = sum(a * b for a, b in zip(g, u)) - eta * sum(a * a for a in g) / 2 - gam * uu / 2
    rhs = (uu - sum((a - eta * b) ** 2 for a, b in zip(u, g))) / (2 * eta) - gam * uu / 2
    assert sp.expand(lhs - rhs) == 0


def test_step_e_jensen_identity():
    """(e) Σ_{j<K} ‖w_j − w*‖² − K‖p_new − w*‖² = Σ_{j<K} ‖w_j − p_new‖² (sympy, R², K ≤ 4)."""
    ws = sp.symbols("s1:3", real=True)
    for k in range(1, 5):
        W = [sp.symbols(f"w{j}_1:3", real=True) for j in range(k)]
        p = [sum(w[i] for w in W) / k for i in range(2)]
        lhs = sum(sum((w[i] - ws[i]) ** 2 for i in range(2)) for w in W) - k * sum((p[i] - ws[i]) ** 2 for i in range(2))
        rhs = sum(sum((w[i] - p[i]) ** 2 for i in range(2)) for w in W)
        assert sp.expand(lhs - rhs) == 0


def _assembly(pivot_term_printed=False):
    """(f): the bound on φ(w_K) − φ(w*) rearranged, minus the corrected V(in) − V(out) − (γ/2)‖w_K − p‖²."""
    A, Bk, q, qn, r, eta, gam, K = sp.symbols("A B_K q q_n r eta gamma K", positive=True)
    # A = ‖w_0 − w*‖², B_K = ‖w_K − w*‖², q = ‖p − w*‖², q_n = ‖p_new − w*‖², r = ‖w_K − p‖²
    # from (d)+(e): f(w_K) + γr/2 − f(w*) − γq/2 ≤ (A − B_K)/(2ηK) − γ q_n/2
    bound_f = (A - Bk) / (2 * eta * K) - gam * qn / 2 - gam * r / 2 + gam * q / 2
    if pivot_term_printed:  # the printed pivot term: r_0 = ‖w_0 − p‖², r_n = ‖w_K − p_new‖²
        r0, rn = sp.symbols("r_0 r_n", positive=True)
        V_in, V_out = A / (2 * eta * K) + gam * r0 / 2, Bk / (2 * eta * K) + gam * rn / 2
    else:
        V_in, V_out = A / (2 * eta * K) + gam * q / 2, Bk / (2 * eta * K) + gam * qn / 2
    return sp.simplify(bound_f - (V_in - V_out - gam * r / 2))


def test_step_f_assembly():
    """(f) f(w_K) − f(w*) ≤ V(in) − V(out) − (γ/2)‖w_K − p‖² is exactly the rearranged (d)+(e)."""
    assert _assembly() == 0


def test_planted_printed_pivot_term_in_assembly():
    """Planted error: the printed pivot term does not come out of the assembly."""
    assert _assembly(pivot_term_printed=True) != 0


# least squares in R², mean Hessian diag(5/3, 1/3): β = 5/3
SUPPORT = [((2, 0), 1), ((0, 1), -2), ((1, 0), 3)]
BETA = Fraction(5, 3)


def _step_failures(kit, gamma, eta, pivot, ws, K=5, w0=("7/2", "-5/2")):
    batch = [(kit.fr(*x), Fraction(y)) for x, y in SUPPORT]
    f, gf = kit.batch_value(kit.ls_value, batch), kit.batch_grad(kit.ls_grad, batch)
    p, ws, w0 = kit.fr(*pivot), kit.fr(*ws), kit.fr(*w0)
    phi = lambda w: f(w) + gamma * kit.sq(w - p) / 2  # noqa: E731
    gphi = lambda w: gf(w) + gamma * (w - p)  # noqa: E731
    r = PROX.run(w0, PROX.init(eta=eta, gamma=gamma, pivot=p), gf, K)
    its, pn = r.iterates, r.s_out.pivot
    bad = set()
    for j in range(K):
        w, w1, g = its[j], its[j + 1], gphi(its[j])
        for y in (ws, w1, p):  # γ-strong convexity of φ at w
            if not phi(y) >= phi(w) + kit.dot(g, y - w) + gamma * kit.sq(y - w) / 2:
                bad.add("strong convexity")
        if not phi(w1) <= phi(w) - eta / 2 * kit.sq(g):
            bad.add("a: descent")
        if not phi(w) - phi(ws) <= kit.dot(g, w - ws) - gamma * kit.sq(w - ws) / 2:
            bad.add("b: strong convexity at w*")
        if not phi(w1) - phi(ws) <= (kit.sq(w - ws) - kit.sq(w1 - ws)) / (2 * eta) - gamma * kit.sq(w - ws) / 2:
            bad.add("c: one step")
    if not K * (phi(its[K]) - phi(ws)) <= (kit.sq(its[0] - ws) - kit.sq(its[K] - ws)) / (2 * eta) - gamma / 2 * sum(kit.sq(w - ws) for w in its[:K]):
        bad.add("d: summed")
    if not sum(kit.sq(w - ws) for w in its[:K]) >= K * kit.sq(pn - ws):
        bad.add("e: Jensen")
    V_in = kit.sq(w0 - ws) / (2 * eta * K) + gamma * kit.sq(p - ws) / 2
    V_out = kit.sq(its[K] - ws) / (2 * eta * K) + gamma * kit.sq(pn - ws) / 2
    if not f(its[K]) - f(ws) <= V_in - V_out - gamma * kit.sq(its[K] - p) / 2:
        bad.add("f: corrected lemma")
    return bad


@pytest.mark.parametrize("gamma", [Fraction(0), Fraction(1, 3), Fraction(4)])
@pytest.mark.parametrize("u", [Fraction(1), Fraction(1, 3)])
@pytest.mark.parametrize("pivot,ws", [(("7/2", "-5/2"), ("0", "0")), (("-1", "2"), ("3", "1/2")), (("0", "0"), ("-2", "-2"))])
def test_steps_along_exact_iterates(kit, gamma, u, pivot, ws):
    """(a)–(f) exactly along prox-GD iterates, η = u/(β + γ) (edge u = 1 included)."""
    assert _step_failures(kit, gamma, u / (BETA + gamma), pivot, ws) == set()


def test_planted_step_size_breaks_descent(kit):
    """Planted error: η = 2/(β+γ) violates the hypothesis and step (a) is detected to fail."""
    gamma = Fraction(1, 3)
    assert "a: descent" in _step_failures(kit, gamma, 2 / (BETA + gamma), ("-1", "2"), ("3", "1/2"))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_numeric_confirmation_corrected(kit, seed):
    """lemma8_corrected on registry instances (every convex family, any pivot)."""
    kit.confirm("lemma8_corrected", seed)
