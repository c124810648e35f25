r"""Lemma 11 (Section 4.3) — potential-bounded regret for AGD.

As printed: *Let f be a β-smooth convex function. Running accelerated gradient descent
for K steps, with a step size η ≤ 1/β, gives the regret bound*

    (λ_out² − λ_out)(f(w_out) − f(w)) − (λ_init² − λ_init)(f(w_init) − f(w))
        ≤ (1/(2η)) (‖w_init + λ_init d_init − w‖² − ‖w_out + λ_out d_out − w‖²).

Reference: Section 4.3, Lemma 11 (proof deferred to the supplement).  "1/(2n)" in the
extracted text is 1/(2η).  AGD (Section 3.1): y_j = w_j + d_j, w_{j+1} = y_j − η∇f(y_j),
λ_{j+1}² − λ_{j+1} = λ_j² (positive root), γ_{j+1} = (λ_j − 1)/λ_{j+1}, d_{j+1} = γ_{j+1}(w_{j+1} − w_j).

Our proof (FISTA-type), one step j, θ = λ_j, w⁺ = w_{j+1}, y = y_j, z_j = w_j + λ_j d_j:
(a) key inequality (descent lemma with ηβ ≤ 1, then convexity at y; g = (y − w⁺)/η):
    f(w⁺) − f(x) ≤ ⟨g, y − x⟩ − (η/2)‖g‖² = (1/η)⟨y − w⁺, y − x⟩ − ‖y − w⁺‖²/(2η)  for every x;
(b) take x = w_j with weight θ − 1 **≥ 0** and x = w with weight 1, multiply by θ; with
    a = θ(y − w⁺), b = θy − (θ−1)w_j − w and 2⟨a, b⟩ − ‖a‖² = ‖b‖² − ‖b − a‖²:
    θ²(f(w⁺) − f(w)) − (θ² − θ)(f(w_j) − f(w)) ≤ (‖b‖² − ‖b − a‖²)/(2η);
(c) b = z_j − w, and b − a = w_j + λ_j(w_{j+1} − w_j) − w = z_{j+1} − w because
    w_{j+1} + λ_{j+1}d_{j+1} = w_j + λ_j(w_{j+1} − w_j) (uses γ_{j+1} = (λ_j − 1)/λ_{j+1});
(d) θ² = λ_j² = λ_{j+1}² − λ_{j+1}, so (b) is the lemma for one step; (e) telescope over j.  ∎

The weight θ − 1 = λ_j − 1 must be ≥ 0.  For j ≥ 1 it is: λ_{j+1} = (1 + √(1 + 4λ_j²))/2 ≥ 1
for every real λ_j (and λ_{j+1} ≥ λ_j + ½ for λ_j ≥ 0).  At j = 0 it needs λ_init ≥ 1
(λ_init = 0 is also fine: both sides vanish).  For λ_init ∈ (0, 1) the printed lemma is
false (``lemma11``): f(v) = v²/2 (β = 1), η = 1, w = 0, K = 1, λ_init = θ, w_init = x,
d_init = −x/θ: w_1 = 0, LHS = (θ − θ²)x²/2 > 0 > −(1 − θ)²x²/2 = RHS; θ = ½, x = 1: 1/8 > −1/8.
``lemma11_corrected`` adds λ_init ≥ 1 (every state echoed AGD passes between batches).

Checks: (a)–(d) as sympy identities, the λ facts symbolically; (a), (b) and the lemma
along AGD iterates of a least-squares objective (mpmath, 50 digits; λ_init ∈ {0, 1, 2, 10⁴});
the counterexample exactly (Fractions, via (c), (d)) and through the algorithm (mpmath),
over a hypothesis family, through the registry, and the search engine's own
counterexample re-checked in mpmath; ``lemma11_corrected`` numerically on registry
instances.  Planted error: γ_{j+1} = λ_j/λ_{j+1} breaks identity (c).
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from boundcheck.core import numerics as nm
from boundcheck.core.algorithms import accelerated_gradient_descent
from boundcheck.paper import get_statement

AGD = accelerated_gradient_descent()
lam = sp.Symbol("lambda", real=True)


# ----------------------------------------------------------------------------- symbolic steps
def test_lambda_facts():
    """λ' = (1 + √(1+4λ²))/2 solves λ'² − λ' = λ²; λ' ≥ 1 for real λ; λ' ≥ λ + ½ for λ ≥ 0."""
    nxt = (1 + sp.sqrt(1 + 4 * lam**2)) / 2
    assert sp.simplify(nxt**2 - nxt - lam**2) == 0
    assert sp.simplify(nxt - 1 - (sp.sqrt(1 + 4 * lam**2) - 1) / 2) == 0  # √(1+4λ²) ≥ 1
    lp = sp.Symbol("l", nonnegative=True)
    assert sp.expand((1 + 4 * lp**2) - (2 * lp) ** 2) == 1  # √(1+4λ²) ≥ 2λ ⇒ λ' ≥ λ + ½


def _vec(name):
    return sp.symbols(f"{name}1:3", real=True)


def _dot(u, v):
    return sum(a * b for a, b in zip(u, v))


def test_step_a_key_identity():
    """(a) with g = (y − w⁺)/η: ⟨g, y − x⟩ − (η/2)‖g‖² = (1/η)⟨y − w⁺, y − x⟩ − ‖y − w⁺‖²/(2η)."""
    eta = sp.Symbol("eta", positive=True)
    y, wp, xx = _vec("y"), _vec("p"), _vec("x")
    g = [(a - b) / eta for a, b in zip(y, wp)]
    ym = [a - b for a, b in zip(y, wp)]
    lhs = _dot(g, [a - b for a, b in zip(y, xx)]) - eta / 2 * _dot(g, g)
    rhs = _dot(ym, [a - b for a, b in zip(y, xx)]) / eta - _dot(ym, ym) / (2 * eta)
    assert sp.simplify(lhs - rhs) == 0


def test_step_b_combination_identity():
    """(b) θ[(θ−1)K(w_j) + K(w)] = (‖b‖² − ‖b − a‖²)/(2η), K(x) = (1/η)⟨y−w⁺, y−x⟩ − ‖y−w⁺‖²/(2η)."""
    eta, th = sp.symbols("eta theta", positive=True)
    y, wp, wj, w = _vec("y"), _vec("p"), _vec("j"), _vec("w")
    ym = [a - b for a, b in zip(y, wp)]
    Kx = lambda x: _dot(ym, [a - b for a, b in zip(y, x)]) / eta - _dot(ym, ym) / (2 * eta)  # noqa: E731
    a = [th * v for v in ym]
    b = [th * yi - (th - 1) * ji - wi for yi, ji, wi in zip(y, wj, w)]
    bma = [p - q for p, q in zip(b, a)]
    assert sp.expand(th * ((th - 1) * Kx(wj) + Kx(w)) - (_dot(b, b) - _dot(bma, bma)) / (2 * eta)) == 0
    # 2⟨a, b⟩ − ‖a‖² = ‖b‖² − ‖b − a‖²
    assert sp.expand(2 * _dot(a, b) - _dot(a, a) - (_dot(b, b) - _dot(bma, bma))) == 0
    # b = z_j − w with y = w_j + d_j, z_j = w_j + θd_j; b − a = w_j + θ(w⁺ − w_j) − w
    d = [yi - ji for yi, ji in zip(y, wj)]
    assert all(sp.expand(bi - (ji + th * di - wi)) == 0 for bi, ji, di, wi in zip(b, wj, d, w))
    assert all(sp.expand(ci - (ji + th * (pi - ji) - wi)) == 0 for ci, ji, pi, wi in zip(bma, wj, wp, w))
    # LHS coefficients: θ[θ(f⁺ − f_w) − (θ − 1)(f_j − f_w)] = θ²(f⁺ − f_w) − (θ² − θ)(f_j − f_w)
    fp, fj, fw = sp.symbols("f_p f_j f_w", real=True)
    assert sp.expand(th * (th * (fp - fw) - (th - 1) * (fj - fw)) - (th**2 * (fp - fw) - (th**2 - th) * (fj - fw))) == 0


def _z_identity(gamma_next):
    l0 = sp.Symbol("l0", positive=True)
    l1 = (1 + sp.sqrt(1 + 4 * l0**2)) / 2
    wj, w1 = sp.symbols("w_j w_1", real=True)
    d1 = gamma_next(l0, l1) * (w1 - wj)
    return sp.simplify(w1 + l1 * d1 - (wj + l0 * (w1 - wj)))


def test_step_c_z_identity():
    """(c) w_{j+1} + λ_{j+1}d_{j+1} = w_j + λ_j(w_{j+1} − w_j) with γ_{j+1} = (λ_j − 1)/λ_{j+1}."""
    assert _z_identity(lambda l0, l1: (l0 - 1) / l1) == 0


def test_planted_wrong_momentum_breaks_z_identity():
    """Planted error: γ_{j+1} = λ_j/λ_{j+1} does not give identity (c)."""
    assert _z_identity(lambda l0, l1: l0 / l1) != 0


def test_step_e_telescope():
    """(e) Σ_j [(c_{j+1}φ_{j+1} − c_jφ_j) − (r_j − r_{j+1})] = c_Kφ_K − c_0φ_0 − (r_0 − r_K)."""
    for k in range(1, 6):
        c, phi, r = sp.symbols(f"c0:{k + 1}"), sp.symbols(f"f0:{k + 1}"), sp.symbols(f"r0:{k + 1}")
        s = sum((c[j + 1] * phi[j + 1] - c[j] * phi[j]) - (r[j] - r[j + 1]) for j in range(k))
        assert sp.expand(s - (c[k] * phi[k] - c[0] * phi[0] - (r[0] - r[k]))) == 0


# ----------------------------------------------------------------------------- along iterates
SUPPORT = [((2, 0), 1), ((0, 1), -2), ((1, 0), 3)]  # least squares, β = 5/3


@pytest.mark.parametrize("lam0", ["0", "1", "2", "10000"])
@pytest.mark.parametrize("u", ["1", "1/3"])
def test_steps_along_iterates(lam0, u):
    """(a), (b) per step and the lemma, along AGD iterates (mpmath, 50 digits)."""
    with mpmath.workdps(50):
        mp = lambda v: mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator  # noqa: E731
        vec = lambda *v: np.array([mp(t) for t in v], dtype=object)  # noqa: E731
        batch = [(vec(*x), mp(y)) for x, y in SUPPORT]
        f = lambda w: sum((sum(x * w) - y) ** 2 / 2 for x, y in batch) / 3  # noqa: E731
        grad = lambda w: sum((sum(x * w) - y) * x for x, y in batch) / 3  # noqa: E731
        eta = mp(u) * 3 / 5
        w0, d0, ws = vec(3, -1), vec("1/2", "-3/4"), vec("-1/3", 2)
        r = AGD.run(w0, AGD.init(eta=eta, d=d0, lam=mp(lam0)), grad, 6)
        tol = mpmath.mpf(10) ** -40
        for j in range(6):
            s0, s1 = r.states[j], r.states[j + 1]
            wj, w1, y = r.iterates[j], r.iterates[j + 1], r.queries[j]
            for x in (wj, ws):  # (a)
                assert f(w1) - f(x) <= sum((y - w1) * (y - x)) / eta - sum((y - w1) ** 2) / (2 * eta) + tol
            th = s0.lam
            z0, z1 = wj + th * s0.d - ws, w1 + s1.lam * s1.d - ws
            lhs = (s1.lam**2 - s1.lam) * (f(w1) - f(ws)) - (th**2 - th) * (f(wj) - f(ws))
            assert lhs <= (sum(z0 * z0) - sum(z1 * z1)) / (2 * eta) + tol  # (b)–(d)
        lin, lout = mp(lam0), r.s_out.lam
        zin, zout = w0 + lin * d0 - ws, r.w_out + lout * r.s_out.d - ws
        lhs = (lout**2 - lout) * (f(r.w_out) - f(ws)) - (lin**2 - lin) * (f(w0) - f(ws))
        assert lhs <= (sum(zin * zin) - sum(zout * zout)) / 2 / eta + tol


# ----------------------------------------------------------------------------- printed: refuted
def _counterexample(theta, xv):
    """f = v²/2, η = 1, w = 0, K = 1, λ_init = θ, w_init = x, d_init = −x/θ.

    Returns the exact (LHS, RHS) using (c), (d) — λ_1² − λ_1 = θ² and z_1 = w_0 + θ(w_1 − w_0) —
    and the same two numbers from the algorithm's own (mpmath) λ_1, d_1."""
    w0 = np.array([xv], dtype=object)
    d0 = np.array([-xv / theta], dtype=object)
    r = AGD.run(w0, AGD.init(eta=Fraction(1), d=d0, lam=theta), lambda v: v, 1)
    w1 = r.w_out[0]
    f = lambda v: v * v / 2  # noqa: E731
    lhs = theta**2 * f(w1) - (theta**2 - theta) * f(xv)
    rhs = ((xv + theta * d0[0]) ** 2 - (xv + theta * (w1 - xv)) ** 2) / 2
    l1 = r.s_out.lam
    lhs_mp = (l1**2 - l1) * f(nm._mp(w1)) - (nm._mp(theta) ** 2 - nm._mp(theta)) * f(nm._mp(xv))
    rhs_mp = (nm._mp((xv + theta * d0[0]) ** 2) - (nm._mp(w1) + l1 * r.s_out.d[0]) ** 2) / 2
    return w1, lhs, rhs, lhs_mp, rhs_mp


def test_printed_counterexample_exact():
    """λ_init = ½, w_init = 1, d_init = −2, f = v²/2, η = 1, w = 0: LHS = 1/8 > RHS = −1/8."""
    with mpmath.workdps(50):
        w1, lhs, rhs, lhs_mp, rhs_mp = _counterexample(Fraction(1, 2), Fraction(1))
        assert (w1, lhs, rhs) == (0, Fraction(1, 8), Fraction(-1, 8))
        assert abs(lhs_mp - mpmath.mpf(1) / 8) < mpmath.mpf(10) ** -45
        assert abs(rhs_mp + mpmath.mpf(1) / 8) < mpmath.mpf(10) ** -45


@settings(max_examples=20, deadline=None)
@given(theta=st.fractions(0, 1).filter(lambda t: 0 < t < 1), xv=st.fractions(-50, 50).filter(lambda v: v != 0))
def test_printed_counterexample_family(theta, xv):
    """Refuted as printed: every λ_init = θ ∈ (0, 1), x ≠ 0: LHS − RHS = (1 − θ)x²/2 > 0 (exact; mpmath agrees)."""
    with mpmath.workdps(40):
        w1, lhs, rhs, lhs_mp, rhs_mp = _counterexample(theta, xv)
        assert w1 == 0 and lhs - rhs == (1 - theta) * xv**2 / 2 > 0
        assert abs((lhs_mp - rhs_mp) - nm._mp(lhs - rhs)) < mpmath.mpf(10) ** -30 * (1 + abs(nm._mp(xv)) ** 2)


def test_printed_counterexample_through_registry():
    """The clean instance through the registry (quadratic family, mpmath): a counterexample to lemma11,
    inadmissible for lemma11_corrected (λ_init < 1)."""
    p = {"ex.A": np.array([[[[1.0]]]]), "ex.b": np.array([[[0.0]]]), "w0": np.array([[1.0]]), "ws": np.array([[0.0]]),
         "d0": np.array([[-2.0]]), "u": np.array([1.0]), "lam0": np.array([0.5])}
    s = {"family": "quadratic", "n": 1, "K": 1, "B": 1}
    with nm.mp_precision(50):
        q = {k: nm.to_mp(v) for k, v in p.items()}
        lhs, rhs, _ = get_statement("lemma11").run(s, q)
        assert lhs[0] > mpmath.mpf("0.12") and rhs[0] < mpmath.mpf("-0.12")
        _, _, viol = get_statement("lemma11_corrected").run(s, q)
        assert bool(np.asarray(viol["λ_init ≥ 1"])[0])


def test_search_engine_counterexample_rechecked():
    """The counterexample found by ``search(get_statement("lemma11"), budget=5, seed=2)`` (shrunk),
    re-checked by the registry's two-precision mpmath re-check."""
    from boundcheck.engine.search import recheck
    s = {"family": "squared-hinge", "n": 2, "K": 1, "B": 2}
    p = {"ex.x": np.array([[[0.1, 0.2], [-0.02, 0.3]]]), "ex.y": np.array([[0.1, 0.2]]), "w0": np.array([[-3.0, 0.7]]),
         "ws": np.array([[-3.0, 0.4]]), "d0": np.array([[0.6, -1.0]]), "u": np.array([0.5]), "lam0": np.array([0.8])}
    chk = recheck(get_statement("lemma11"), s, p, 1.0)
    assert chk["is_counterexample"] and float(chk["margin"]) > 1e-4


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_numeric_confirmation_corrected(kit, seed):
    """lemma11_corrected on registry instances (λ_init = 1, λ_init up to e^10; λ_init < 1 inadmissible)."""
    kit.confirm("lemma11_corrected", seed)
