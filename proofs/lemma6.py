r"""Lemma 6 (Section 4.1) — stability of GD.

As printed: *For a β-smooth function f, and any 0 ≤ η ≤ 1/β, gradient descent on f, run
with step size η for K steps, is ε-uniformly stable with ε = 2ηKρ²/B.*

Reference: Section 4.1, Lemma 6 (proof deferred to the paper's Appendix B; the argument
is that of Hardt et al. [21]).  Convexity of f(·, ξ) is the standing assumption of
Section 2.1 and is needed (GD on a concave quadratic is expansive).

Our proof.  Let G(w) = w − η∇f̄_ξ(w) and G'(w) = w − η∇f̄_ξ'(w) for neighbouring batches
that differ in example 1 (ξ_1 → ξ'_1); δ_j = w_j − w'_j, δ_0 = 0.

(a) Non-expansiveness.  For convex β-smooth f̄, co-coercivity
    ⟨∇f̄(x) − ∇f̄(y), x − y⟩ ≥ ‖∇f̄(x) − ∇f̄(y)‖²/β gives, expanding the square,
    ‖x − y − η(∇f̄(x) − ∇f̄(y))‖² = ‖x − y‖² − 2η⟨Δg, x − y⟩ + η²‖Δg‖²
                                    ≤ ‖x − y‖² − η(2/β − η)‖Δg‖² ≤ ‖x − y‖²   for η ≤ 2/β.
(b) One step: δ_{j+1} = G(w_j) − G(w'_j) + (η/B)(∇f(w'_j, ξ'_1) − ∇f(w'_j, ξ_1)), so
    ‖δ_{j+1}‖ ≤ ‖δ_j‖ + 2ηρ/B, and ‖δ_K‖ ≤ 2ηKρ/B.
(c) f(·, ξ) is ρ-Lipschitz: sup_ξ |f(w_K, ξ) − f(w'_K, ξ)| ≤ ρ‖δ_K‖ ≤ 2ηKρ²/B.  ∎

Tightness: for linear losses ∇f̄ is constant, the increments of (b) all point the same
way and, replacing a_0 (‖a_0‖ = ρ) by −a_0, ε = 2ηKρ²/B exactly.

Checks: (a) symbolically (the expansion, sympy) and along exact least-squares iterates
(Fractions; co-coercivity and the contraction inequality, η ∈ (0, 2/β]); (b) as an exact
identity and (b), (c) as inequalities in mpmath (ρ certified over a ball holding every
visited point); tightness exactly; the lemma numerically on registry instances (linear
and quadratic losses, closed-form sup over Ξ).  Planted errors: η = 3/β breaks (a); the
per-step increment ηρ/B (factor 2 dropped) is violated by the tight instance.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from boundcheck.core.algorithms import gradient_descent

GD = gradient_descent()

# least squares, orthogonal features: mean Hessian of the batch diag(5/3, 1/3) (β = 5/3);
# the neighbour replaces example 0 by ((1, 1), −1): mean Hessian [[2/3, 1/3], [1/3, 2/3]] (β = 1)
BATCH = [((2, 0), 1), ((0, 1), -2), ((1, 0), 3)]
REPLACEMENT = ((1, 1), -1)
BETA = Fraction(5, 3)


def _ex(kit, e):
    return (kit.fr(*e[0]), Fraction(e[1]))


def test_step_a_expansion():
    """(a) ‖d − ηΔg‖² − (‖d‖² − η(2/β − η)‖Δg‖²) = −2η(⟨Δg, d⟩ − ‖Δg‖²/β) (sympy, R³)."""
    d = sp.symbols("d1:4", real=True)
    g = sp.symbols("g1:4", real=True)
    eta, beta = sp.symbols("eta beta", positive=True)
    gg = sum(x * x for x in g)
    lhs = sum((x - eta * y) ** 2 for x, y in zip(d, g)) - (sum(x * x for x in d) - eta * (2 / beta - eta) * gg)
    assert sp.simplify(lhs + 2 * eta * (sum(x * y for x, y in zip(g, d)) - gg / beta)) == 0
    u = sp.Symbol("u", positive=True)  # η(2/β − η) ≥ 0 for η = 2u/β, u ∈ (0, 1]
    assert sp.factor((eta * (2 / beta - eta)).subs(eta, 2 * u / beta)) == -4 * u * (u - 1) / beta**2


def _contraction_failures(kit, eta, K=5):
    batch = [_ex(kit, e) for e in BATCH]
    grad = kit.batch_grad(kit.ls_grad, batch)
    x = GD.run(kit.fr(3, -1), GD.init(eta=eta), grad, K).iterates
    y = GD.run(kit.fr("-1/2", 4), GD.init(eta=eta), grad, K).iterates
    bad = set()
    for xj, yj, x1, y1 in zip(x, y, x[1:], y[1:]):
        dg = grad(xj) - grad(yj)
        if not kit.dot(dg, xj - yj) >= kit.sq(dg) / BETA:
            bad.add("co-coercivity")
        if not kit.sq(x1 - y1) <= kit.sq(xj - yj) - eta * (2 / BETA - eta) * kit.sq(dg):
            bad.add("a: contraction inequality")
        if not kit.sq(x1 - y1) <= kit.sq(xj - yj):
            bad.add("a: non-expansive")
    return bad


@pytest.mark.parametrize("eta", [Fraction(1, 7), 1 / BETA, 2 / BETA])
def test_step_a_along_exact_iterates(kit, eta):
    """(a) co-coercivity and the contraction inequality hold exactly, up to η = 2/β."""
    assert _contraction_failures(kit, eta) == set()


def test_planted_step_size_3_over_beta_is_expansive(kit):
    """Planted error: η = 3/β > 2/β — the check detects the expansion."""
    assert "a: non-expansive" in _contraction_failures(kit, 3 / BETA)


def _neighbour_runs(kit, eta, K, batch, repl, w0):
    batch2 = [repl] + batch[1:]
    g1 = kit.batch_grad(kit.ls_grad, batch)
    g2 = kit.batch_grad(kit.ls_grad, batch2)
    r1 = GD.run(w0, GD.init(eta=eta), g1, K).iterates
    r2 = GD.run(w0, GD.init(eta=eta), g2, K).iterates
    return r1, r2, g1, g2


@pytest.mark.parametrize("eta,K", [(Fraction(3, 5), 4), (Fraction(1, 4), 6), (Fraction(1, 10), 3)])
def test_steps_b_c_neighbouring_batches(kit, eta, K):
    """(b) exact decomposition of δ_{j+1}; ‖δ_{j+1}‖ ≤ ‖δ_j‖ + 2ηρ/B; (c) ε ≤ ρ‖δ_K‖ ≤ 2ηKρ²/B."""
    batch = [_ex(kit, e) for e in BATCH]
    repl = _ex(kit, REPLACEMENT)
    Bv = len(batch)
    w0 = kit.fr(2, "-3/2")
    r1, r2, g1, g2 = _neighbour_runs(kit, eta, K, batch, repl, w0)
    mp = lambda v: mpmath.mpf(v.numerator) / v.denominator  # noqa: E731
    nrm = lambda v: mpmath.sqrt(mp(kit.sq(v)))  # noqa: E731
    with mpmath.workdps(50):
        R = max(nrm(w) for w in r1 + r2)
        # ρ: Lipschitz constant of every f(·, ξ), ξ ∈ {batch, replacement}, on the ball ‖w‖ ≤ R
        rho = max(nrm(x) * (nrm(x) * R + abs(mp(y))) for x, y in batch + [repl])
        for j in range(K):
            d0, d1 = r1[j] - r2[j], r1[j + 1] - r2[j + 1]
            G = lambda w, g: w - eta * g(w)  # noqa: E731
            pert = eta / Bv * (kit.ls_grad(r2[j], repl) - kit.ls_grad(r2[j], batch[0]))
            assert all(v == 0 for v in d1 - (G(r1[j], g1) - G(r2[j], g1) + pert))  # exact
            assert nrm(d1) <= nrm(d0) + nrm(pert) <= nrm(d0) + 2 * eta * rho / Bv
        dK = nrm(r1[K] - r2[K])
        assert dK <= 2 * eta * K * rho / Bv
        eps = max(abs(mp(kit.ls_value(r1[K], z) - kit.ls_value(r2[K], z))) for z in batch + [repl])
        assert eps <= rho * dK <= 2 * eta * K * rho**2 / Bv


def _tight_linear(kit, eta, K):
    """Linear losses, a_0 = (3, 4) (ρ = 5) replaced by −a_0: returns ‖δ_K‖² and per-step ‖δ_j‖²."""
    a = [kit.fr(3, 4), kit.fr(1, -2), kit.fr(0, 5)]
    a2 = [-a[0]] + a[1:]
    w0 = kit.fr(1, 1)
    r1 = GD.run(w0, GD.init(eta=eta), lambda w: sum(a) / 3 + 0 * w, K).iterates
    r2 = GD.run(w0, GD.init(eta=eta), lambda w: sum(a2) / 3 + 0 * w, K).iterates
    return [kit.sq(x - y) for x, y in zip(r1, r2)], Fraction(5), 3


@pytest.mark.parametrize("eta,K", [(Fraction(1), 1), (Fraction(2, 3), 5), (Fraction(7), 3)])
def test_tightness_linear(kit, eta, K):
    """Tight: ‖δ_j‖ = 2ηjρ/B exactly, and ε = sup_{‖a‖≤ρ} |⟨a, δ_K⟩| = ρ‖δ_K‖ = 2ηKρ²/B (squares compared)."""
    d2, rho, Bv = _tight_linear(kit, eta, K)
    for j, v in enumerate(d2):
        assert v == (2 * eta * j * rho / Bv) ** 2
    assert rho**2 * d2[K] == (2 * eta * K * rho**2 / Bv) ** 2


def test_planted_increment_without_factor_2(kit):
    """Planted error: a per-step increment ηρ/B (instead of 2ηρ/B) is violated by the tight instance."""
    d2, rho, Bv = _tight_linear(kit, Fraction(1), 2)
    assert not d2[1] <= (1 * rho / Bv) ** 2


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_numeric_confirmation(kit, seed):
    """The lemma on registry instances (linear / quadratic losses, closed-form sup over Ξ)."""
    kit.confirm("lemma6", seed)
