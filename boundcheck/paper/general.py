"""Section 2.2 and Section 4: Theorem 2 (stability ⇒ generalisation), Theorem 4 (the data-echoing
recipe, as printed and corrected) and Table 2 (the rates)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from boundcheck.core import numerics as nm
from boundcheck.core.algorithms import AGDState
from boundcheck.lang import instances as cm
from boundcheck.lang import expectation as ex_
from boundcheck.lang.statement import B, D, K, T, Statement, beta, eps, eta, gamma, register, rho
from boundcheck.lang.sampling import pick, structure
from boundcheck.paper.gd import _ex, _mag, expectation_sample, expectation_setup, safe_beta

V0 = sp.Symbol("V_0", real=True)     # V_A(w_0, s_0, w*)
VT = sp.Symbol("V_T", real=True)     # E[V_A(w_T, s_T, w*)]
METHODS_T4 = ("gd", "prox")


def _with_method(sample, methods):
    def s(rng, C, family=None):
        st, p = sample(rng, C, family)
        st["method"] = pick(rng, list(methods))
        p["u"] = np.where(rng.random(C) < 0.3, 1.0, rng.uniform(0, 1, C))
        p["gfrac"] = np.exp(rng.uniform(-4, 3, size=C))
        p["lam0"] = np.where(rng.random(C) < 0.5, 1.0, np.exp(rng.uniform(0, 6, C)))
        return st, p
    return s


def _state(st, p, b):
    """Initial state of the inner method for an expectation instance (per-run fields (C, 1[, n]))."""
    u = p["u"]
    m = st["method"]
    if m == "gd":
        et = cm.eta_from_u(u, b)
        return cm.GD, cm.GD.init(eta=et[:, None]), {"eta": et}
    if m == "prox":
        g = p["gfrac"] * b if not nm.is_exact(b) else np.array([gf * bi for gf, bi in zip(p["gfrac"], b)], dtype=object)
        g = np.where(np.asarray(nm.to_float(b), dtype=float) > 1e-200, g, p["gfrac"]) if not nm.is_exact(g) else \
            np.array([gi if bi > mp_tiny() else gf for gi, bi, gf in zip(g, b, p["gfrac"])], dtype=object)
        et = u / (b + g)
        return cm.PROX, cm.PROX.init(eta=et[:, None], gamma=g[:, None], pivot=p["w0"][:, None, :]), {"eta": et, "gamma": g}
    et = cm.eta_from_u(u, b)
    return cm.AGD, AGDState(et[:, None], 0 * p["w0"][:, None, :], p["lam0"][:, None]), {"eta": et}


def mp_tiny():
    import mpmath
    return mpmath.mpf("1e-200")


# ----------------------------------------------------------------------------- Theorem 2
THEOREM2 = register(Statement(
    id="theorem2", kind="theorem", number="Theorem 2", section="2.2", title="Stability implies generalisation",
    printed=r"If an algorithm A is ε-uniformly stable, then it holds that |E_{ξ∼𝒟^B}[f̄_ξ(A(ξ)) − F(A(ξ))]| ≤ ε.",
    hypotheses=(sp.Ge(eps, 0),),
    quantity="|E_ξ[f̄_ξ(A(ξ)) − F(A(ξ))]| for A = K steps of GD / prox-GD / AGD, with ε the exact uniform "
             "stability of A over Ξ = supp 𝒟 (finite support, enumerated)",
    bound=eps, algorithm="gd | prox | agd", families=cm.CONVEX, expectation="exact",
    proof_module="theorem2", proof="proofs/theorem2.py (the standard symmetrisation argument, [7], [21])",
))


def _thm2_eval(statement, st, p):
    sup = _ex(p, "sup.")
    b, _ = ex_.support_constants(st["family"], sup, cm.norm(p["w0"]))
    b = safe_beta(b)
    method, s0, _ = _state(st, p, b)
    res = ex_.echo_expectation(method, s0, st["family"], sup, p["p0"], p["w0"], st["B"], st["K"], 1)
    w = res.outer[-1]  # (C, B+1, n): A(ξ) for every batch composition
    Bv = st["B"]
    counts = np.stack([np.arange(Bv + 1), Bv - np.arange(Bv + 1)], axis=1)
    wts = counts / Bv if not nm.is_exact(w) else np.array([[nm._mp(int(a)) / Bv for a in r] for r in counts], dtype=object)
    fbar = cm.weighted_value(st["family"], w, {k: v[:, None] for k, v in sup.items()}, wts)
    F = ex_.population(st["family"], sup, p["p0"], w)
    gap = ex_.expect(res.prob, fbar - F)
    lhs = np.vectorize(abs, otypes=[object])(gap) if nm.is_exact(gap) else np.abs(gap)
    return lhs, statement.bound_value({"epsilon": res.eps}), {}


def _thm2_sample(rng, C, family=None):
    st, p = _with_method(expectation_sample(cm.CONVEX, T_max=1), ("gd", "prox", "agd"))(rng, C, family)
    st["T"] = 1
    return st, p


THEOREM2.sample = _thm2_sample
THEOREM2.evaluate = _thm2_eval


# ----------------------------------------------------------------------------- Theorem 4
def _potential(st, params, w, s, ws):
    """V_A: GD → ‖w − w*‖²/(2ηK) (Lemma 5's display); prox → corrected Lemma 8 potential."""
    et = params["eta"]
    nd = w.ndim
    v = cm.sqnorm(w - ws) / (2 * cm.col(et, nd - 1) * st["K"])
    if st["method"] == "prox":
        v = v + cm.col(params["gamma"], nd - 1) * cm.sqnorm(s.pivot - ws) / 2
    return v


def _thm4_eval(statement, average):
    def evaluate(statement, st, p):
        sup, Dv, RW, b, r = expectation_setup(st, p)
        method, s0, params = _state(st, p, b)
        g = ex_.echo_gap(method, s0, st, p, sup, RW, average)
        res, ws = g.run, p["ws"][:, None, :]
        v0 = _potential(st, params, p["w0"][:, None, :], s0, ws)[:, 0]
        vT = ex_.expect(res.prob, _potential(st, params, res.outer[-1], res.states, ws))
        rhs = statement.bound_value({"V_0": v0, "V_T": vT, "T": st["T"], "epsilon": res.eps})
        return g.gap, rhs, g.in_W, _mag(g.F_out, g.F_star, v0 / st["T"], vT / st["T"], res.eps)
    return evaluate


_T4_BOUND = (V0 - VT) / T + eps
THEOREM4 = register(Statement(
    id="theorem4", kind="theorem", number="Theorem 4", section="4", title="Stability + potential-bounded regret",
    printed=r"Let A be an ε-uniformly stable algorithm. Furthermore, suppose A has the potential-bounded regret "
            r"property with respect to V_A. Then, for any w^* ∈ W, Algorithm 1 with inner algorithm A satisfies "
            r"E[F(w_out)] − F(w^*) ≤ (V_A(w_0, s_0, w^*) − E[V_A(w_T, s_T, w^*)])/T + ε.",
    hypotheses=(sp.Ge(eps, 0),),
    quantity="E[F(w_out)] − F(w*), Algorithm 1 as printed (average of w_0..w_{T−1}); A = GD (V of Lemma 5's "
             "display) or prox-GD (V of corrected Lemma 8); ε = exact uniform stability over every reached state",
    bound=_T4_BOUND, algorithm="echo (Algorithm 1)", families=cm.CONVEX, expectation="exact",
    corrected_by="theorem4_corrected",
    proof_module="theorem4", proof="proofs/theorem4.py",
))
THEOREM4_CORRECTED = register(Statement(
    id="theorem4_corrected", kind="theorem", number="Theorem 4 (corrected)", section="4",
    title="Theorem 4 for Algorithm 1 averaging w_1..w_T",
    printed=r"As Theorem 4, with w_out = (1/T) Σ_{t=1}^{T} w_t.",
    hypotheses=(sp.Ge(eps, 0),), quantity="as theorem4, with w_out = (1/T) Σ_{t=1}^{T} w_t",
    bound=_T4_BOUND, algorithm="echo (Algorithm 1, proof average)", families=cm.CONVEX, expectation="exact",
    corrects="theorem4",
    correction="The proof sums E[F(w_{t+1})] for t = 0..T−1, i.e. bounds the average of w_1..w_T; the printed "
               "Algorithm 1 averages w_0..w_{T−1}, and F(w_0) is not controlled (T = 1 is already a counterexample).",
    proof_module="theorem4", proof="proofs/theorem4.py (the paper's proof, steps checked)",
))
THEOREM4.sample = _with_method(expectation_sample(cm.CONVEX), METHODS_T4)
THEOREM4.evaluate = _thm4_eval(THEOREM4, "printed")
THEOREM4_CORRECTED.sample = _with_method(expectation_sample(cm.CONVEX), METHODS_T4)
THEOREM4_CORRECTED.evaluate = _thm4_eval(THEOREM4_CORRECTED, "proof")


# ----------------------------------------------------------------------------- Table 2
_curv = {"gd": beta * D**2 / (K * T), "prox": beta * D**2 / (K * T), "agd": beta * D**2 / (K**2 * T**2)}
_stat = rho * D / sp.sqrt(B * T)
# explicit constants (C1, C2) implied by the corrected Theorems 7, 10, 13 (proofs/table2.py)
TABLE2_CONSTANTS = {"gd": (sp.Rational(1, 2), 2), "prox": (sp.Rational(1, 2), 2 * sp.sqrt(2)), "agd": (2, 4)}
TABLE2 = register(Statement(
    id="table2", kind="table", number="Table 2", section="1.1", title="Data-echoed convergence rates",
    printed=r"SGD: O(βD²/(KT) + ρD/√(BT)) (Thm 7); Minibatch-Prox: O(βD²/(KT) + ρD/√(BT)) (Thm 10); "
            r"Stochastic AGD: O(βD²/(K²T²) + ρD/√(BT)) (Thm 13; quadratics). Standard column: K = 1.",
    hypotheses=(),
    quantity="E[F(w_out)] − F(w*) of the echoed method at the corrected step sizes (K = 1: the standard column)",
    bound=sp.Tuple(*[_curv[m] + _stat for m in ("gd", "prox", "agd")]), big_o=True,
    explicit=sp.Tuple(*[TABLE2_CONSTANTS[m][0] * _curv[m] + TABLE2_CONSTANTS[m][1] * _stat for m in ("gd", "prox", "agd")]),
    big_o_constants={m: {"curvature": str(TABLE2_CONSTANTS[m][0]), "statistical": str(TABLE2_CONSTANTS[m][1])}
                     for m in TABLE2_CONSTANTS},
    algorithm="echo-gd | echo-prox | echo-agd", families=cm.CONVEX, expectation="exact",
    readings=("The Minibatch-Prox 'standard' entry O(e^{−K/κ} + ρD/√(BT)) is Wang et al.'s cited result under "
              "their assumptions; it is not a claim of this paper and is not checked.",
              "Rates hold at the corrected step sizes (the printed ones of Theorems 7 and 13 are refuted)."),
    proof_module="table2", proof="proofs/table2.py (explicit constants from the corrected theorems)",
))


def _table2_sample(rng, C, family=None):
    m = pick(rng, ["gd", "prox", "agd"])
    fams = cm.QUADRATIC if m == "agd" else cm.CONVEX
    if family is not None and family not in fams:
        fams = cm.CONVEX if family in cm.CONVEX else fams
        m = "gd" if m == "agd" else m
    st, p = expectation_sample(fams, K_max=40)(rng, C, family)
    st["method"] = m
    return st, p


def _table2_eval(statement, st, p):
    from boundcheck.paper.links import corrected_evaluator
    lhs, _, viol, mag = corrected_evaluator(st["method"])(st, p)
    sup, Dv, RW, b, r = expectation_setup(st, p)
    rows = statement.bound_value({"beta": b, "rho": r, "D": Dv, "K": st["K"], "T": st["T"], "B": st["B"]})
    return lhs, rows[["gd", "prox", "agd"].index(st["method"])], viol, mag


TABLE2.sample = _table2_sample
TABLE2.evaluate = _table2_eval
