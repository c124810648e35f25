r"""Theorem 2 (Section 2.2) — stability implies generalisation.

As printed: *If an algorithm A is ε-uniformly stable, then it holds that*

    | E_{ξ∼𝒟^B} [ f̄_ξ(A(ξ)) − F(A(ξ)) ] | ≤ ε.

Reference: Section 2.2, Theorem 2 (a version of Bousquet–Elisseeff [7], as stated in
Hardt et al. [21]).  The paper gives no proof; our write-up of the standard symmetrisation
argument:

Proof.  Let ξ = (ξ_1..ξ_B) and ξ' = (ξ'_1..ξ'_B) be independent batches of i.i.d. draws,
and ξ^{(i)} = ξ with its i-th example replaced by ξ'_i.

(1) ξ'_i is independent of A(ξ), so E[F(A(ξ))] = E[f(A(ξ), ξ'_i)] for every i.
(2) Swapping the names ξ_i ↔ ξ'_i does not change the joint law of (ξ, ξ'), and maps
    (A(ξ), ξ_i) to (A(ξ^{(i)}), ξ'_i); hence E[f̄_ξ(A(ξ))] = (1/B) Σ_i E[f(A(ξ), ξ_i)]
    = (1/B) Σ_i E[f(A(ξ^{(i)}), ξ'_i)]   ("renaming").
(3) E[f̄_ξ(A(ξ)) − F(A(ξ))] = (1/B) Σ_i E[f(A(ξ^{(i)}), ξ'_i) − f(A(ξ), ξ'_i)], and every
    term is bounded by ε in absolute value because ξ, ξ^{(i)} differ in one example
    (Definition 1).  ∎

Checks: (1), (2) and (3) as exact identities/inequalities (Fractions) on a two-point
distribution with rational least-squares data, A = K steps of GD with rational η, by
enumerating every (ξ, ξ') ∈ Ξ^B × Ξ^B; ε is the exact uniform stability over Ξ.  Numeric
confirmation: the registry instances (GD / prox-GD / AGD, exact finite-support
expectations).  Planted error: dropping the swap in (2) is detected.
"""
from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from boundcheck.core.algorithms import gradient_descent

GD = gradient_descent()
B, K = 2, 2
ETA = Fraction(1, 4)  # β = max ‖x‖² = 2 ⇒ η ≤ 1/β


@pytest.fixture(scope="module")
def inst(kit):
    support = [(kit.fr(1, 0), Fraction(1)), (kit.fr(1, 1), Fraction(-1))]
    probs = [Fraction(1, 3), Fraction(2, 3)]
    w0 = kit.fr("1/2", -1)
    batches = list(itertools.product(range(2), repeat=B))

    def A(b):
        return GD.run(w0, GD.init(eta=ETA), kit.batch_grad(kit.ls_grad, [support[i] for i in b]), K).w_out

    out = {b: A(b) for b in batches}
    P = {b: probs[b[0]] * probs[b[1]] for b in batches}
    F = kit.population(kit.ls_value, support, probs)
    _, eps = kit.enumerate_echo(GD, GD.init(eta=ETA), w0, support, probs, B, K, 1, kit.ls_value, kit.ls_grad)
    f = lambda w, i: kit.ls_value(w, support[i])  # noqa: E731
    return dict(support=support, probs=probs, batches=batches, out=out, P=P, F=F, eps=eps, f=f)


def _pairs(inst):
    for b in inst["batches"]:
        for b2 in inst["batches"]:
            yield b, b2, inst["P"][b] * inst["P"][b2]


def _E_fbar(inst):
    return sum(inst["P"][b] * sum(inst["f"](inst["out"][b], i) for i in b) / B for b in inst["batches"])


def _E_F(inst):
    return sum(inst["P"][b] * inst["F"](inst["out"][b]) for b in inst["batches"])


def _swap(b, b2, i):
    return b[:i] + (b2[i],) + b[i + 1:]


def test_step1_population_is_fresh_example(inst):
    """(1) E[F(A(ξ))] = E[f(A(ξ), ξ'_i)] for every i (exact)."""
    for i in range(B):
        e = sum(p * inst["f"](inst["out"][b], b2[i]) for b, b2, p in _pairs(inst))
        assert e == _E_F(inst)


def test_step2_renaming(inst):
    """(2) E[f(A(ξ), ξ_i)] = E[f(A(ξ^{(i)}), ξ'_i)] for every i, hence (1/B)Σ_i … = E[f̄_ξ(A(ξ))]."""
    total = 0
    for i in range(B):
        lhs = sum(p * inst["f"](inst["out"][b], b[i]) for b, b2, p in _pairs(inst))
        rhs = sum(p * inst["f"](inst["out"][_swap(b, b2, i)], b2[i]) for b, b2, p in _pairs(inst))
        assert lhs == rhs
        total += rhs
    assert total / B == _E_fbar(inst)


def test_step3_termwise_stability(inst):
    """(3) |f(A(ξ^{(i)}), ξ'_i) − f(A(ξ), ξ'_i)| ≤ ε for every ξ, ξ', i, and the conclusion."""
    f, out, eps = inst["f"], inst["out"], inst["eps"]
    assert eps > 0
    diff = 0
    for b, b2, p in _pairs(inst):
        for i in range(B):
            t = f(out[_swap(b, b2, i)], b2[i]) - f(out[b], b2[i])
            assert abs(t) <= eps
            diff += p * t / B
    assert diff == _E_fbar(inst) - _E_F(inst)
    assert abs(_E_fbar(inst) - _E_F(inst)) <= eps


def test_planted_renaming_without_swap_is_detected(inst):
    """Planted error: 'renaming' that keeps the evaluation point ξ_i (no swap) is not an identity here."""
    for i in range(B):
        good = sum(p * inst["f"](inst["out"][b], b[i]) for b, b2, p in _pairs(inst))
        wrong = sum(p * inst["f"](inst["out"][_swap(b, b2, i)], b[i]) for b, b2, p in _pairs(inst))
        assert wrong != good


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_numeric_confirmation(kit, seed):
    """Registry instances (GD / prox-GD / AGD, exact finite-support expectations): |gap| ≤ ε."""
    kit.confirm("theorem2", seed)
