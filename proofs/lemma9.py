r"""Lemma 9 (Section 4.2) — stability of proximal GD.

As printed: *For a β-smooth function f, any λ ≥ 0 and any 0 ≤ η ≤ 1/(β + λ), K steps of
proximal gradient descent are ε-uniformly stable with*

    ε = (2ρ²/(Bγ)) (1 − (1 − ηγ)^K).

Reference: Section 4.2, Lemma 9 (proof deferred to the paper's supplement).  The λ of the
hypotheses is the prox parameter γ (extraction artefact); at γ = 0 the bound is read as
its limit 2ηKρ²/B (Lemma 6).  f(·, ξ) convex (standing assumption).

Our proof.  Prox-GD with pivot p is G(w) = w − η(∇f̄(w) + γ(w − p)); both runs on
neighbouring batches start from the same state, hence share p.
(a) Contraction: G(x) − G(y) = (1 − ηγ)(x − y) − ηΔg = (1 − ηγ)[(x − y) − η'Δg] with
    η' = η/(1 − ηγ).  From η ≤ 1/(β+γ): 1 − ηγ − ηβ = 1 − u ≥ 0 (η = u/(β+γ)), so η'β ≤ 1 and
    the bracket is non-expansive (co-coercivity, Lemma 6 (a)): ‖G(x) − G(y)‖ ≤ (1 − ηγ)‖x − y‖.
    (If ηγ = 1 then β = 0, Δg = 0 and G(x) = G(y).)
(b) δ_{j+1} = G(w_j) − G(w'_j) + (η/B)(∇f(w'_j, ξ'_1) − ∇f(w'_j, ξ_1)), so
    ‖δ_{j+1}‖ ≤ (1 − ηγ)‖δ_j‖ + 2ηρ/B and ‖δ_K‖ ≤ (2ηρ/B) Σ_{j<K} (1 − ηγ)^j.
(c) Σ_{j<K} (1 − ηγ)^j = (1 − (1 − ηγ)^K)/(ηγ), so ε ≤ ρ‖δ_K‖ ≤ (2ρ²/(Bγ))(1 − (1 − ηγ)^K);
    as γ → 0 this tends to 2ηKρ²/B.  ∎
Tight: for linear losses with a_0 (‖a_0‖ = ρ) replaced by −a_0, every increment points the
same way and ε equals the bound exactly.

Checks: (a) symbolically and exactly along prox-GD iterates; (b) as an exact identity and
as mpmath inequalities; (c) and the γ → 0 limit symbolically; tightness exactly
(including ηγ = 1); the lemma numerically on registry instances.  Planted error: a
claimed contraction factor (1 − 2ηγ) is violated by the tight instance.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from boundcheck.core.algorithms import proximal_gradient_descent

PROX = proximal_gradient_descent()
BATCH = [((2, 0), 1), ((0, 1), -2), ((1, 0), 3)]  # least squares, β = 5/3
REPLACEMENT = ((1, 1), -1)                          # neighbour batch: β = 1
BETA = Fraction(5, 3)


def test_step_a_factorisation():
    """(a) (1−ηγ)d − ηΔg = (1−ηγ)(d − η'Δg), η' = η/(1−ηγ); and 1 − ηγ − ηβ = 1 − u for η = u/(β+γ)."""
    d, g, eta, gam, beta, u = sp.symbols("d g eta gamma beta u", positive=True)
    ep = eta / (1 - eta * gam)
    assert sp.simplify((1 - eta * gam) * d - eta * g - (1 - eta * gam) * (d - ep * g)) == 0
    assert sp.simplify((1 - eta * gam - eta * beta).subs(eta, u / (beta + gam)) - (1 - u)) == 0


def _ex(kit, e):
    return (kit.fr(*e[0]), Fraction(e[1]))


@pytest.mark.parametrize("gamma", [Fraction(1, 5), Fraction(2), Fraction(30)])
@pytest.mark.parametrize("u", [Fraction(1), Fraction(1, 2)])
def test_step_a_contraction_along_exact_iterates(kit, gamma, u):
    """(a) ‖G(x) − G(y)‖² ≤ (1 − ηγ)²‖x − y‖² exactly, η = u/(β+γ)."""
    eta = u / (BETA + gamma)
    batch = [_ex(kit, e) for e in BATCH]
    grad, p = kit.batch_grad(kit.ls_grad, batch), kit.fr(1, -1)
    x = PROX.run(kit.fr(3, -1), PROX.init(eta=eta, gamma=gamma, pivot=p), grad, 5).iterates
    y = PROX.run(kit.fr("-1/2", 4), PROX.init(eta=eta, gamma=gamma, pivot=p), grad, 5).iterates
    for xj, yj, x1, y1 in zip(x, y, x[1:], y[1:]):
        assert kit.sq(x1 - y1) <= (1 - eta * gamma) ** 2 * kit.sq(xj - yj)


@pytest.mark.parametrize("gamma,u,K", [(Fraction(1, 3), Fraction(1), 4), (Fraction(3), Fraction(1, 2), 6)])
def test_step_b_neighbouring_batches(kit, gamma, u, K):
    """(b) exact decomposition of δ_{j+1}; ‖δ_{j+1}‖ ≤ (1−ηγ)‖δ_j‖ + 2ηρ/B; ε ≤ ρ‖δ_K‖ ≤ the bound."""
    eta = u / (BETA + gamma)
    batch = [_ex(kit, e) for e in BATCH]
    repl = _ex(kit, REPLACEMENT)
    Bv, p, w0 = len(batch), kit.fr(1, -1), kit.fr(2, "-3/2")
    g1 = kit.batch_grad(kit.ls_grad, batch)
    g2 = kit.batch_grad(kit.ls_grad, [repl] + batch[1:])
    r1 = PROX.run(w0, PROX.init(eta=eta, gamma=gamma, pivot=p), g1, K).iterates
    r2 = PROX.run(w0, PROX.init(eta=eta, gamma=gamma, pivot=p), g2, K).iterates
    G = lambda w: w - eta * (g1(w) + gamma * (w - p))  # noqa: E731
    mp = lambda v: mpmath.mpf(v.numerator) / v.denominator  # noqa: E731
    nrm = lambda v: mpmath.sqrt(mp(kit.sq(v)))  # noqa: E731
    with mpmath.workdps(50):
        R = max(nrm(w) for w in r1 + r2)
        rho = max(nrm(x) * (nrm(x) * R + abs(mp(y))) for x, y in batch + [repl])
        q = 1 - mp(eta * gamma)
        for j in range(K):
            pert = eta / Bv * (kit.ls_grad(r2[j], repl) - kit.ls_grad(r2[j], batch[0]))
            d1 = r1[j + 1] - r2[j + 1]
            assert all(v == 0 for v in d1 - (G(r1[j]) - G(r2[j]) + pert))
            assert nrm(d1) <= q * nrm(r1[j] - r2[j]) + nrm(pert) <= q * nrm(r1[j] - r2[j]) + 2 * mp(eta) * rho / Bv
        dK = nrm(r1[K] - r2[K])
        bound = 2 * rho**2 / (Bv * mp(gamma)) * (1 - q**K)
        eps = max(abs(mp(kit.ls_value(r1[K], z) - kit.ls_value(r2[K], z))) for z in batch + [repl])
        assert eps <= rho * dK <= bound


def test_step_c_geometric_series_and_limit():
    """(c) Σ_{j<K}(1−ηγ)^j = (1 − (1−ηγ)^K)/(ηγ); the bound → 2ηKρ²/B as γ → 0 (sympy)."""
    eta, gam, rho, B = sp.symbols("eta gamma rho B", positive=True)
    K = sp.Symbol("K", positive=True, integer=True)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    q = 1 - eta * gam
    s = sp.summation(q**j, (j, 0, K - 1))
    general = s.args[-1][0] if isinstance(s, sp.Piecewise) else s  # the branch q ≠ 1 (ηγ > 0)
    assert sp.simplify(general - (1 - q**K) / (eta * gam)) == 0
    for k in range(1, 7):  # and for concrete K, no case split
        assert sp.simplify(sum(q**i for i in range(k)) - (1 - q**k) / (eta * gam)) == 0
    bound = 2 * rho**2 / (B * gam) * (1 - q**K)
    assert sp.simplify(sp.limit(bound, gam, 0) - 2 * eta * K * rho**2 / B) == 0
    assert sp.simplify(2 * eta * rho / B * (1 - q**K) / (eta * gam) * rho - bound) == 0


def _tight(kit, eta, gamma, K):
    """Linear losses, a_0 = (3, 4) (ρ = 5) replaced by −a_0, B = 3: ‖δ_j‖², j = 0..K."""
    a = [kit.fr(3, 4), kit.fr(1, -2), kit.fr(0, 5)]
    a2 = [-a[0]] + a[1:]
    w0, p = kit.fr(1, 1), kit.fr(-2, 3)
    r1 = PROX.run(w0, PROX.init(eta=eta, gamma=gamma, pivot=p), lambda w: sum(a) / 3 + 0 * w, K).iterates
    r2 = PROX.run(w0, PROX.init(eta=eta, gamma=gamma, pivot=p), lambda w: sum(a2) / 3 + 0 * w, K).iterates
    return [kit.sq(x - y) for x, y in zip(r1, r2)]


@pytest.mark.parametrize("eta,gamma,K", [(Fraction(1, 2), Fraction(2), 3), (Fraction(1, 3), Fraction(1), 5),
                                         (Fraction(1, 10), Fraction(1, 4), 4)])
def test_tightness_linear(kit, eta, gamma, K):
    """Tight: ‖δ_j‖ = (2ηρ/B)Σ_{i<j}(1−ηγ)^i and ε = ρ‖δ_K‖ = the bound (squares, exact; ηγ = 1 included)."""
    d2, rho, Bv, q = _tight(kit, eta, gamma, K), 5, 3, 1 - eta * gamma
    for j, v in enumerate(d2):
        assert v == (2 * eta * rho / Bv * sum(q**i for i in range(j))) ** 2
    assert rho**2 * d2[K] == (2 * Fraction(rho**2) / (Bv * gamma) * (1 - q**K)) ** 2


def test_planted_contraction_factor_too_small(kit):
    """Planted error: the factor (1 − 2ηγ) in place of (1 − ηγ) is violated by the tight instance."""
    eta, gamma = Fraction(1, 3), Fraction(1)
    d2 = _tight(kit, eta, gamma, 3)
    inc2 = (2 * eta * 5 / Fraction(3)) ** 2
    assert any(not (mpmath.sqrt(d2[j + 1]) <= (1 - 2 * eta * gamma) * mpmath.sqrt(d2[j]) + mpmath.sqrt(inc2))
               for j in range(3))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_numeric_confirmation(kit, seed):
    """The lemma on registry instances (linear / quadratic losses, γ down to 1e−6·β)."""
    kit.confirm("lemma9", seed)
