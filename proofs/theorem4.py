r"""Theorem 4 (Section 4) — the data-echoing recipe: stability + potential-bounded regret.

As printed: *Let A be an ε-uniformly stable algorithm. Furthermore, suppose A has the
potential-bounded regret property with respect to V_A. Then, for any w^* ∈ W, Algorithm 1
with inner algorithm A satisfies*

    E[F(w_out)] − F(w^*) ≤ (V_A(w_0, s_0, w^*) − E[V_A(w_T, s_T, w^*)]) / T + ε.

Reference: Section 4, Theorem 4 and its proof (given in the paper).  Algorithm 1 as
printed outputs w_out = (1/T) Σ_{t=0}^{T−1} w_t.

The paper's proof, step by step (E_t conditions on the batches up to time t):
(1) potential-bounded regret on batch t: f̄_t(w_{t+1}) − f̄_t(w*) ≤ V(w_t, s_t) − V(w_{t+1}, s_{t+1});
(2) uniform stability through Theorem 2, conditionally on the past (A is run from the
    fixed (w_t, s_t) on a fresh batch): E_{ξ^(t)}[F(w_{t+1})] ≤ E_{ξ^(t)}[f̄_t(w_{t+1})] + ε;
(3) w* is deterministic: E_{ξ^(t)}[f̄_t(w*)] = F(w*);
(4) hence E[F(w_{t+1})] − F(w*) ≤ E[V_t] − E[V_{t+1}] + ε;
(5) summing over t = 0..T−1 telescopes: Σ_t (E[F(w_{t+1})] − F(w*)) ≤ V_0 − E[V_T] + Tε;
(6) Jensen (F convex): F((1/T) Σ_{t=1}^{T} w_t) ≤ (1/T) Σ_{t=1}^{T} F(w_t).
The steps bound the average of w_1..w_T — ``theorem4_corrected`` — not the printed
average of w_0..w_{T−1}.  (The printed chain also carries a spurious "+ε" inside the sum
of its last display; with it the final line would read +2ε.  Without it the chain is
exactly (5)+(6).)

The printed average makes the theorem false (``theorem4``): T = 1, K = 1, 𝒟 = δ_a (Ξ =
{a}, so ε = 0), f(w) = ⟨a, w⟩, A = GD with V = ‖w − w*‖²/(2ηK) (Lemma 5's display, which
holds for linear f and any η): w_out = w_0, LHS = ⟨a, u⟩ with u = w_0 − w*, RHS =
(‖u‖² − ‖u − ηa‖²)/(2η) = ⟨a, u⟩ − η‖a‖²/2 < LHS.

Checks: (1)–(6) and the corrected conclusion exactly (Fractions) on every branch of an
echoed run on a two-point distribution (least squares, B = K = T = 2), for GD (Lemma 5's
potential) and prox-GD (corrected Lemma 8's potential), ε the exact uniform stability
over every reached state; the counterexample exactly and over a hypothesis-drawn family;
``theorem4_corrected`` numerically on registry instances.  Planted error: step (2)
without the stability term ε is detected to fail (the batch loss under-estimates F).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from boundcheck.core.algorithms import gradient_descent, proximal_gradient_descent

GD = gradient_descent()
PROX = proximal_gradient_descent()
Bv, Kv, Tv = 2, 2, 2


def _setup(kit, method):
    support = [(kit.fr(1, 0), Fraction(1)), (kit.fr(1, 1), Fraction(-1))]  # β ≤ max ‖x‖² = 2
    probs = [Fraction(1, 3), Fraction(2, 3)]
    w0 = kit.fr("1/2", -1)
    if method == "gd":
        eta = Fraction(1, 2)
        s0 = GD.init(eta=eta)
        V = lambda w, s, ws: kit.sq(w - ws) / (2 * eta * Kv)  # noqa: E731  Lemma 5's display
        meth = GD
    else:
        eta, gamma = Fraction(1, 3), Fraction(1)  # η = 1/(β + γ)
        s0 = PROX.init(eta=eta, gamma=gamma, pivot=w0)
        V = lambda w, s, ws: kit.sq(w - ws) / (2 * eta * Kv) + gamma * kit.sq(s.pivot - ws) / 2  # noqa: E731
        meth = PROX
    levels, eps = kit.enumerate_echo(meth, s0, w0, support, probs, Bv, Kv, Tv, kit.ls_value, kit.ls_grad)
    F = kit.population(kit.ls_value, support, probs)
    fbar = lambda b, w: sum(kit.ls_value(w, support[i]) for i in b) / len(b)  # noqa: E731
    return dict(levels=levels, eps=eps, F=F, fbar=fbar, V=V, probs=probs)


def _failures(kit, S, ws, eps_factor=1):
    ws = kit.fr(*ws)
    levels, eps, F, fbar, V = S["levels"], S["eps"] * eps_factor, S["F"], S["fbar"], S["V"]
    bad = set()
    for t in range(Tv):
        for nd in levels[t + 1]:  # (1) on every branch
            b = nd.hist[-1]
            if not fbar(b, nd.w) - fbar(b, ws) <= V(nd.parent.w, nd.parent.s, ws) - V(nd.w, nd.s, ws):
                bad.add("1: regret")
        for par in levels[t]:  # (2), (3) conditionally on every history
            kids = [nd for nd in levels[t + 1] if nd.parent is par]
            cw = [nd.prob / par.prob for nd in kids]
            assert sum(cw) == 1
            EF = sum(c * F(nd.w) for c, nd in zip(cw, kids))
            Efb = sum(c * fbar(nd.hist[-1], nd.w) for c, nd in zip(cw, kids))
            if not EF <= Efb + eps:
                bad.add("2: stability")
            if sum(c * fbar(nd.hist[-1], ws) for c, nd in zip(cw, kids)) != F(ws):
                bad.add("3: E f̄(w*) = F(w*)")
        # (4) unconditionally
        lhs = kit.expect(levels[t + 1], lambda nd: F(nd.w)) - F(ws)
        if not lhs <= kit.expect(levels[t], lambda nd: V(nd.w, nd.s, ws)) - kit.expect(levels[t + 1], lambda nd: V(nd.w, nd.s, ws)) + eps:
            bad.add("4: one outer step")
    V0 = V(levels[0][0].w, levels[0][0].s, ws)
    EVT = kit.expect(levels[Tv], lambda nd: V(nd.w, nd.s, ws))
    total = sum(kit.expect(levels[t], lambda nd: F(nd.w)) - F(ws) for t in range(1, Tv + 1))
    if not total <= V0 - EVT + Tv * eps:
        bad.add("5: telescoped")

    def path(nd):
        out = []
        while nd is not None and nd.hist:
            out.append(nd.w)
            nd = getattr(nd, "parent", None)
        return out[::-1]  # w_1..w_T

    for leaf in levels[Tv]:  # (6) Jensen on every sequence
        ws_ = path(leaf)
        if not F(sum(ws_[1:], ws_[0]) / Tv) <= sum(F(w) for w in ws_) / Tv:
            bad.add("6: Jensen")
    out = kit.expect(levels[Tv], lambda nd: F(sum(path(nd)[1:], path(nd)[0]) / Tv))
    if not out - F(ws) <= (V0 - EVT) / Tv + eps:
        bad.add("conclusion (proof average)")
    return bad


@pytest.fixture(scope="module", params=["gd", "prox"])
def S(request, kit):
    return _setup(kit, request.param)


@pytest.mark.parametrize("ws", [("0", "0"), ("2", "-3"), ("-1", "1/2")])
def test_steps_1_to_6_on_every_branch(kit, S, ws):
    """(1)–(6) and the corrected conclusion, exactly, on every batch sequence."""
    assert S["eps"] > 0
    assert _failures(kit, S, ws) == set()


def test_planted_step_2_without_stability_term(kit, S):
    """Planted error: dropping ε in step (2) is detected (E f̄_t(w_{t+1}) < E F(w_{t+1}) here)."""
    assert "2: stability" in _failures(kit, S, ("0", "0"), eps_factor=0)


def _printed_linear(a, u, eta):
    """T = K = 1, 𝒟 = δ_a, GD, V = ‖w − w*‖²/(2η): (LHS with the printed average, RHS)."""
    a, u = np.array(a, dtype=object), np.array(u, dtype=object)  # w* = 0, w_0 = u
    w1 = GD.run(u, GD.init(eta=eta), lambda w: a + 0 * w, 1).w_out
    lhs = sum(a * u)  # F(w_0) − F(w*): printed average of w_0..w_{T−1} = w_0
    lhs_proof = sum(a * w1)  # F(w_1) − F(w*): the proof's average
    rhs = (sum(u * u) - sum(w1 * w1)) / (2 * eta) + 0  # (V_0 − V_1)/T + ε, ε = 0
    return lhs, lhs_proof, rhs


def test_printed_average_counterexample_exact():
    """theorem4 as printed: a = 1, u = 1, η = 1: LHS = 1 > RHS = ½ (the proof average gives 0 ≤ ½)."""
    lhs, lhs_proof, rhs = _printed_linear([Fraction(1)], [Fraction(1)], Fraction(1))
    assert (lhs, rhs) == (1, Fraction(1, 2)) and lhs > rhs
    assert lhs_proof <= rhs


@settings(max_examples=20, deadline=None)
@given(a=st.lists(st.fractions(-5, 5), min_size=2, max_size=2).filter(any),
       u=st.lists(st.fractions(-5, 5), min_size=2, max_size=2), eta=st.fractions(0, 10).filter(lambda x: x > 0))
def test_printed_average_counterexample_family(a, u, eta):
    """Refuted as printed: on every such instance LHS − RHS = η‖a‖²/2 > 0 exactly."""
    lhs, lhs_proof, rhs = _printed_linear(a, u, eta)
    assert lhs - rhs == eta * sum(x * x for x in a) / 2 > 0
    assert lhs_proof <= rhs


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_numeric_confirmation_corrected(kit, seed):
    """theorem4_corrected on registry instances (GD / prox-GD, exact expectations, exact ε)."""
    kit.confirm("theorem4_corrected", seed)
