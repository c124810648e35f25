"""Printed formulas pinned, and the precision of the re-check shown to matter.

Each printed statement's formulas — bound, step size, prox parameter, hypotheses — are
transcribed here from the paper's text (``shared/paper/laggard-data-pipelines.txt``, the
line is cited) and compared with the registry's encoding symbolically (sympy simplifies the
difference to zero).  Swapping the printed γ = (ρ/D)√(T/B) for (ρ/D)√(B/T), or Theorem 7's
printed η for the corrected one, fails here (the earlier suite caught it only by a fixture).

The run-dependent symbols of a bound are pinned by the term they are bound to (``where``):
``d_init`` must be ‖w_init − w*‖, and so on.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from boundcheck.engine.recheck import HIGH_DPS, recheck
from boundcheck.lang import SYMBOLS
from boundcheck.lang.domains import Defined, Interval, as_domain
from boundcheck.paper import get_statement

beta, rho, eta, gamma, K, T, B, D, eps, c = (SYMBOLS[s] for s in ("beta", "rho", "eta", "gamma", "K", "T", "B", "D",
                                                                  "epsilon", "c"))


def _sym(st, name):
    """The run-dependent symbol ``name`` of ``st``'s bound (from its where-bindings)."""
    for s in st.where:
        if s.name == name:
            return s
    return sp.Symbol(name)


def _where(st) -> dict[str, str]:
    return {s.name: str(t) for s, t in st.where.items()}


def _same(a, b) -> bool:
    return sp.simplify(sp.sympify(a) - sp.sympify(b)) == 0


def _defined(st, sym):
    d = as_domain(st.params[sym])
    assert isinstance(d, Defined), f"{st.id}: {sym} is not defined by a formula"
    return d.expr


def _hyps(st) -> set[str]:
    return {str(h) for h in st.hypotheses}


# ----------------------------------------------------------------------------- bounds and step sizes
def test_theorem2():  # line 126: |E[f̄_ξ(A(ξ)) − F(A(ξ))]| ≤ ε
    st = get_statement("theorem2")
    assert _same(st.bound, _sym(st, "epsilon")) and _where(st)["epsilon"] == "ε(A)"
    assert str(st.lhs) == "|E[(f̄_ξ(w_1) − F(w_1))]|"


@pytest.mark.parametrize("sid", ["theorem4", "theorem4_corrected"])
def test_theorem4(sid):  # line 201: (V_A(w_0, s_0, w*) − E[V_A(w_T, s_T, w*)])/T + ε
    st = get_statement(sid)
    V0, VT = _sym(st, "V_0"), _sym(st, "V_T")
    assert _same(st.bound, (V0 - VT) / T + _sym(st, "epsilon"))
    assert _where(st)["V_T"].startswith("E[") and _where(st)["epsilon"] == "ε(A)"
    assert st.setting.output == ("printed" if sid == "theorem4" else "proof")


def test_lemma5():  # line 232: (1/(ηK))(‖w_init − w*‖²/2 − ‖w_out − w*‖²/2); η ≤ 1/β
    st = get_statement("lemma5")
    di, do = _sym(st, "d_init"), _sym(st, "d_out")
    assert _same(st.bound, (di**2 / 2 - do**2 / 2) / (eta * K))
    assert _where(st) == {"d_init": "‖(w_init − w*)‖", "d_out": "‖(w_out − w*)‖"}
    assert "eta <= 1/beta" in _hyps(st)


def test_lemma5_named_potential():  # line 232: V(w, s, w*) := ½‖w − w*‖² in Definition 3
    st = get_statement("lemma5_potential")
    assert _same(st.bound, _sym(st, "d_init")**2 / 2 - _sym(st, "d_out")**2 / 2)


def test_lemma6():  # line 236: ε = 2ηKρ²/B for 0 ≤ η ≤ 1/β
    st = get_statement("lemma6")
    assert _same(st.bound, 2 * eta * K * rho**2 / B)
    assert _hyps(st) == {"eta <= 1/beta", "eta >= 0"}


def test_theorem7_printed():  # line 238: η = min{1/β, (ρ/(KD))√(B/T)}; βD²/(2KT) + 2ρD/√(BT)
    st = get_statement("theorem7")
    assert _same(_defined(st, eta) - sp.Min(1 / beta, rho / (K * D) * sp.sqrt(B / T)), 0)
    assert _same(st.bound, beta * D**2 / (2 * K * T) + 2 * rho * D / sp.sqrt(B * T))
    assert st.setting.output == "printed"


def test_theorem7_corrected_keeps_the_printed_bound():
    st = get_statement("theorem7_corrected")
    assert _same(st.bound, beta * D**2 / (2 * K * T) + 2 * rho * D / sp.sqrt(B * T))
    assert _same(_defined(st, eta) - sp.Min(1 / beta, D / (2 * rho * K) * sp.sqrt(B / T)), 0)


def test_lemma8():  # line 244: V = ‖w − w*‖²/(2ηK) + γ‖w − w_pivot‖²/2; V(out) − V(in); η ≤ 1/(β+γ)
    st = get_statement("lemma8")
    d0, d1, p0, p1 = (_sym(st, n) for n in ("d_init", "d_out", "p_init", "p_out"))

    def V(d, p):
        return d**2 / (2 * eta * K) + gamma * p**2 / 2
    assert _same(st.bound, V(d1, p1) - V(d0, p0))
    w = _where(st)
    assert w["p_init"] == "‖(w_init − pivot_init)‖" and w["p_out"] == "‖(w_out − pivot_out)‖"
    assert "eta <= 1/(beta + gamma)" in _hyps(st)


def test_lemma9():  # line 252: ε = (2ρ²/(Bγ))(1 − (1 − ηγ)^K); 0 ≤ η ≤ 1/(β + γ)
    st = get_statement("lemma9")
    assert _same(st.bound, 2 * rho**2 / (B * gamma) * (1 - (1 - eta * gamma) ** K))
    assert {"eta <= 1/(beta + gamma)", "eta >= 0", "gamma >= 0"} <= _hyps(st)


def test_theorem10_printed():  # line 256: γ = (ρ/D)√(T/B), η = 1/(β+γ); √(1+1/K)·2ρD/√(BT) + βD²/(2KT)
    st = get_statement("theorem10")
    assert _same(_defined(st, gamma), rho / D * sp.sqrt(T / B))
    assert not _same(_defined(st, gamma), rho / D * sp.sqrt(B / T))  # the swap this test guards against
    assert _same(_defined(st, eta), 1 / (beta + gamma))
    assert _same(st.bound, sp.sqrt(1 + 1 / K) * 2 * rho * D / sp.sqrt(B * T) + beta * D**2 / (2 * K * T))


def test_lemma11():  # line 277: (λ_out²−λ_out)(f(w_out)−f(w)) − (λ_in²−λ_in)(f(w_in)−f(w)) ≤ (1/2η)(z_in² − z_out²)
    st = get_statement("lemma11")
    assert _same(st.bound, (_sym(st, "z_in") ** 2 - _sym(st, "z_out") ** 2) / (2 * eta))
    assert str(st.lhs) == "((lam_out^2 − lam_out) · (f(w_out) − f(w*)) − (lam_init^2 − lam_init) · (f(w_init) − f(w*)))"
    assert _where(st) == {"z_in": "‖((w_init + lam_init · d_init) − w*)‖", "z_out": "‖((w_out + lam_out · d_out) − w*)‖"}


def test_lemma12():  # line 283: ε = O(ηρ²K²/B), 0 ≤ η ≤ 1/β
    st = get_statement("lemma12")
    assert st.big_o and _same(st.bound, eta * rho**2 * K**2 / B)


def test_theorem13():  # line 287: η = Θ(min{1/β, ρ/(K²D√(B/T^{3/2}))}); O(βD²/(K²T²) + ρD/√(BT))
    st = get_statement("theorem13")
    assert _same(_defined(st, eta) - c * sp.Min(1 / beta, rho / (K**2 * D * sp.sqrt(B / T ** sp.Rational(3, 2)))), 0)
    assert st.big_o and _same(st.bound, beta * D**2 / (K**2 * T**2) + rho * D / sp.sqrt(B * T))


def test_table2():  # line 50: the data-echoed column
    st = get_statement("table2")
    rows = [beta * D**2 / (K * T) + rho * D / sp.sqrt(B * T)] * 2 + [beta * D**2 / (K**2 * T**2) + rho * D / sp.sqrt(B * T)]
    assert all(_same(a, b) for a, b in zip(st.bound, rows))


def test_the_swaps_these_tests_guard_against_are_caught():
    """Planted: the printed γ with B/T swapped, and Theorem 7's printed η replaced by the corrected one."""
    st10 = get_statement("theorem10")
    swapped = st10.copy(id="t10_swapped", params={gamma: Defined(rho / D * sp.sqrt(B / T)), eta: Defined(1 / (beta + gamma))})
    assert not _same(_defined(swapped, gamma), rho / D * sp.sqrt(T / B))
    st7 = get_statement("theorem7")
    repaired = st7.copy(id="t7_repaired", params={eta: Defined(sp.Min(1 / beta, D / (2 * rho * K) * sp.sqrt(B / T)))})
    assert not _same(_defined(repaired, eta) - sp.Min(1 / beta, rho / (K * D) * sp.sqrt(B / T)), 0)


# ----------------------------------------------------------------------------- the re-check's precision matters
def _attained_lemma6_instance():
    """Lemma 6 on a linear loss with the replaced example's antipode: LHS = RHS exactly (η = 1/4,
    K = 2, B = 1, a = 1): ε = 2ηKρ²/B = 1."""
    s = {"family": "linear", "n": 1, "K": 2, "B": 1, "method": "gd"}
    p = {"ex.a": np.array([[[1.0]]]), "rep.a": np.array([[[-1.0]]]), "w0": np.array([[0.5]]), "u": np.array([0.25])}
    return s, p


def test_high_precision_recheck_resolves_what_float_cannot():
    """The bound planted 1e−20 too small (relative): a violation far below float64's resolution.
    The 60/90-digit re-check confirms it; at 15/45 digits the lower precision cannot see it, so it
    is not confirmed.  Cutting the engine's precision to 15 digits fails this test."""
    st = get_statement("lemma6")
    s, p = _attained_lemma6_instance()
    exact = recheck(st, s, p, 1.0)
    assert float(exact["margin"]) == 0.0 and not exact["is_counterexample"]  # attained exactly: a tie
    planted = st.copy(id="lemma6_minus_1e-20", bound=st.bound * (1 - sp.Rational(1, 10**20)))
    hi = recheck(planted, s, p, 1.0)  # the engine's own precision
    assert HIGH_DPS >= 40 and hi["is_counterexample"], hi
    lo = recheck(planted, s, p, 1.0, dps=15)
    assert not lo["is_counterexample"], lo
    with np.errstate(all="ignore"):
        e = planted.evaluate(s, p)
    assert float(e.lhs[0]) == float(e.rhs[0])  # float64 sees a tie
