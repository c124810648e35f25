"""Section 4.1: echoed gradient descent — Lemma 5, Lemma 6, Theorem 7 (as printed and corrected)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from boundcheck.core import numerics as nm
from boundcheck.core.losses import get_family
from boundcheck.lang import instances as cm
from boundcheck.lang.statement import B, D, K, T, Statement, beta, eta, register, rho
from boundcheck.lang.sampling import structure
from boundcheck.lang import expectation as ex_

d_init = sp.Symbol("d_init", nonnegative=True)  # ‖w_init − w*‖
d_out = sp.Symbol("d_out", nonnegative=True)    # ‖w_out − w*‖


# ----------------------------------------------------------------------------- Lemma 5
def _regret_sample(families):
    def sample(rng, C, family=None):
        st = structure(rng, families, family)
        n, Bs = st["n"], st["B"]
        ex = cm.draw_examples(rng, st["family"], (C, Bs), n)
        scale = np.exp(rng.uniform(-2, 2, size=(C, 1)))
        w0 = scale * rng.standard_normal((C, n))
        ws = w0 + np.exp(rng.uniform(-3, 2, size=(C, 1))) * rng.standard_normal((C, n))
        u = np.where(rng.random(C) < 0.3, 1.0, rng.uniform(0, 1, C))  # the edge η = 1/β often
        return st, {**{f"ex.{k}": v for k, v in ex.items()}, "w0": w0, "ws": ws, "u": u}
    return sample


def _ex(params, prefix="ex."):
    return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}


def _gd_regret_run(st, p):
    fam = get_family(st["family"])
    ex = _ex(p)
    b, _ = cm.cand_constants(st["family"], ex, 0.0)
    u = p["u"]
    et = cm.eta_from_u(u, b)
    r = cm.GD.run(p["w0"], cm.GD.init(eta=et), lambda w: fam.mean_grad(w, ex), st["K"])
    fo, fs = fam.mean_value(r.w_out, ex), fam.mean_value(p["ws"], ex)
    lhs = fo - fs
    params = {"eta": et, "K": st["K"], "d_init": cm.norm(p["w0"] - p["ws"]), "d_out": cm.norm(r.w_out - p["ws"]),
              "beta": b}
    return lhs, params, _mag(fo, fs, params["d_init"] ** 2 / (2 * et * st["K"]), params["d_out"] ** 2 / (2 * et * st["K"]))


def _mag(*terms):
    """Magnitude of the terms of a comparison (float only; None in exact arithmetic)."""
    if any(nm.is_exact(t) for t in terms):
        return None
    return sum(np.abs(np.asarray(t, dtype=float)) for t in terms)


def _lemma5_eval(statement):
    def evaluate(statement, st, p):
        lhs, params, mag = _gd_regret_run(st, p)
        rhs = statement.bound_value(params)
        return lhs, rhs, {}, None if mag is None else mag + np.abs(rhs)
    return evaluate


LEMMA5 = register(Statement(
    id="lemma5", kind="lemma", number="Lemma 5", section="4.1", title="Potential-bounded regret for GD",
    printed=r"Let f be a β-smooth convex function. Then K steps of gradient descent on f, with a step size "
            r"η ≤ 1/β, satisfies the potential-bounded regret property with V(w,s,w^*) := ½‖w − w^*‖²: "
            r"f(w_out) − f(w^*) ≤ (1/(ηK)) (‖w_init − w^*‖²/2 − ‖w_out − w^*‖²/2)",
    hypotheses=(sp.Le(eta, 1 / beta), sp.Gt(eta, 0)),
    quantity="f̄(w_K) − f̄(w*) after K GD steps on a batch objective f̄ (any w*)",
    bound=(d_init**2 / 2 - d_out**2 / 2) / (eta * K),
    algorithm="gd", families=cm.CONVEX, expectation="none", tight_expected=True,
    readings=("The text names the potential V := ½‖w − w*‖², but the displayed inequality carries the factor "
              "1/(ηK): the display is the potential-bounded regret property for V = ‖w − w*‖²/(2ηK). lemma5 "
              "encodes the display; the named potential is registered as lemma5_potential (refuted).",),
    proof_module="lemma5", proof="proofs/lemma5.py (our proof: per-step descent + convexity, telescoped; monotone f(w_j))",
))
LEMMA5.sample = _regret_sample(cm.CONVEX)
LEMMA5.evaluate = _lemma5_eval(LEMMA5)

LEMMA5_POTENTIAL = register(Statement(
    id="lemma5_potential", kind="lemma", number="Lemma 5 (named potential)", section="4.1",
    title="GD has potential-bounded regret with V = ½‖w − w*‖² (Definition 3)",
    printed=r"... satisfies the potential-bounded regret property with V(w, s, w^*) := \frac12\|w - w^*\|^2",
    hypotheses=(sp.Le(eta, 1 / beta), sp.Gt(eta, 0)),
    quantity="f̄(w_out) − f̄(w*) after K GD steps (Definition 3 with the potential named in Lemma 5)",
    bound=d_init**2 / 2 - d_out**2 / 2,
    algorithm="gd", families=cm.CONVEX, corrected_by="lemma5",
    correction="Definition 3 holds for V = ‖w − w*‖²/(2ηK), the scaling of Lemma 5's own display (id lemma5).",
    proof_module="lemma5", proof="proofs/lemma5.py",
))
LEMMA5_POTENTIAL.sample = _regret_sample(cm.CONVEX)
LEMMA5_POTENTIAL.evaluate = _lemma5_eval(LEMMA5_POTENTIAL)


# ----------------------------------------------------------------------------- Lemma 6
def _stab_sample(families):
    def sample(rng, C, family=None):
        st = structure(rng, families, family)
        n, Bs = st["n"], st["B"]
        ex = cm.draw_examples(rng, st["family"], (C, Bs), n)
        rep = get_family(st["family"]).sample(rng, (C, 1), n)
        for k in rep:  # the replacement: often the antipode of example 0 (worst case for linear terms)
            flip = (rng.random(C) < 0.5).reshape((C,) + (1,) * (rep[k].ndim - 1))
            rep[k] = np.where(flip, -ex[k][:, :1] if k != "A" else ex[k][:, :1], rep[k] * np.abs(ex[k][:, :1]).mean())
        w0 = np.exp(rng.uniform(-3, 1, size=(C, 1))) * rng.standard_normal((C, n))
        u = np.where(rng.random(C) < 0.3, 1.0, rng.uniform(0, 1, C))
        extra = {}
        return st, {**{f"ex.{k}": v for k, v in ex.items()}, **{f"rep.{k}": v for k, v in rep.items()},
                    "w0": w0, "u": u, **extra}
    return sample


def neighbour_batches(p):
    ex = _ex(p)
    rep = _ex(p, "rep.")
    ex2 = {}
    for k, v in ex.items():
        v2 = v.copy()
        v2[:, 0] = rep[k][:, 0]
        ex2[k] = v2
    return ex, ex2


def stability_run(st, p, method, make_state):
    """Run ``method`` K steps on ξ and its neighbour ξ' from the same (w0, s0).

    Returns (ε_instance, ρ, β, η, extras): the sup over Ξ of |f(w_K, ξ) − f(w'_K, ξ)|
    (closed form) and the certified ρ over the ball holding every point visited."""
    fam = get_family(st["family"])
    ex, ex2 = neighbour_batches(p)
    b1, _ = cm.cand_constants(st["family"], ex, 0.0)
    b2, _ = cm.cand_constants(st["family"], ex2, 0.0)
    b = np.maximum(b1, b2)
    s0, et, extra = make_state(st, p, b)
    r1 = method.run(p["w0"], s0, lambda w: fam.mean_grad(w, ex), st["K"])
    r2 = method.run(p["w0"], s0, lambda w: fam.mean_grad(w, ex2), st["K"])
    pts = r1.iterates + r1.queries + r2.iterates + r2.queries
    R = cm.norm(pts[0])
    for q in pts[1:]:
        R = np.maximum(R, cm.norm(q))
    dom = cm.domain_radii(st["family"], ex, ex2)
    rho_c = cm.rho_over_domain(st["family"], dom, R)
    lhs, how = cm.stability_sup(st["family"], r1.w_out, r2.w_out, dom)
    return lhs, rho_c, b, et, extra


def _gd_state(st, p, b):
    et = cm.eta_from_u(p["u"], b)
    return cm.GD.init(eta=et), et, {}


def _lemma6_eval(statement):
    def evaluate(statement, st, p):
        lhs, rho_c, b, et, _ = stability_run(st, p, cm.GD, _gd_state)
        return lhs, statement.bound_value({"eta": et, "K": st["K"], "rho": rho_c, "B": st["B"], "beta": b})
    return evaluate


LEMMA6 = register(Statement(
    id="lemma6", kind="lemma", number="Lemma 6", section="4.1", title="Stability of GD",
    printed=r"For a β-smooth function f, and any 0 ≤ η ≤ 1/β, gradient descent on f, run with step size η for "
            r"K steps, is ε-uniformly stable with ε = 2ηKρ²/B.",
    hypotheses=(sp.Le(eta, 1 / beta), sp.Ge(eta, 0)),
    quantity="sup_ξ |f(A(ξ), ξ) − f(A(ξ'), ξ)| for neighbouring batches ξ, ξ' (Definition 1), closed form over Ξ",
    bound=2 * eta * K * rho**2 / B,
    algorithm="gd", families=cm.CLOSED_FORM_SUP, tight_expected=True,
    readings=("Convexity of f(·, ξ) is the standing assumption of Section 2.1 and is required (GD on a concave "
              "quadratic is expansive); it is listed as a hypothesis.",),
    proof_module="lemma6", proof="proofs/lemma6.py (our proof: GD on a convex β-smooth function with η ≤ 2/β is non-expansive; the "
          "replaced example moves each step by ≤ 2ηρ/B)",
))
LEMMA6.sample = _stab_sample(cm.CLOSED_FORM_SUP)
LEMMA6.evaluate = _lemma6_eval(LEMMA6)


# ----------------------------------------------------------------------------- Theorem 7
def _thm7_eta_printed(b, r, Dv, Kv, Bv, Tv):
    c = r / (Kv * Dv) * nm.sqrt(Bv / Tv) if nm.is_exact(Dv) else r / (Kv * Dv) * np.sqrt(Bv / Tv)
    return c


THEOREM7 = register(Statement(
    id="theorem7", kind="theorem", number="Theorem 7", section="4.1", title="Data-echoed GD",
    printed=r"T outer steps of data-echoed gradient descent, with a step size of η = min{1/β, (ρ/(KD))√(B/T)} and "
            r"K internal steps, produces a point w_out satisfying E[F(w_out)] − F(w*) ≤ βD²/(2KT) + 2ρD/√(BT)",
    hypotheses=(sp.Eq(eta, sp.Min(1 / beta, rho / (K * D) * sp.sqrt(B / T))),),
    quantity="E[F(w_out)] − F(w*), Algorithm 1 (average iterate as printed: w_0..w_{T−1}) with GD, ‖w_0 − w*‖ ≤ D",
    bound=beta * D**2 / (2 * K * T) + 2 * rho * D / sp.sqrt(B * T),
    algorithm="echo-gd (Algorithm 1)", families=cm.CONVEX, expectation="exact",
    corrected_by="theorem7_corrected",
    readings=("'βD² = 2αD' next to the display is a text-extraction artefact and is ignored.",),
    proof_module="theorem7", proof="proofs/theorem7.py",
))
THEOREM7_CORRECTED = register(Statement(
    id="theorem7_corrected", kind="theorem", number="Theorem 7 (corrected)", section="4.1",
    title="Data-echoed GD, step size and average corrected",
    printed=r"η = min{1/β, (D/(2ρK))√(B/T)}, w_out = (1/T)Σ_{t=1}^{T} w_t: E[F(w_out)] − F(w*) ≤ βD²/(2KT) + 2ρD/√(BT)",
    hypotheses=(sp.Eq(eta, sp.Min(1 / beta, D / (2 * rho * K) * sp.sqrt(B / T))),),
    quantity="E[F(w_out)] − F(w*), Algorithm 1 averaging w_1..w_T (the average Theorem 4's proof uses) with GD",
    bound=beta * D**2 / (2 * K * T) + 2 * rho * D / sp.sqrt(B * T),
    algorithm="echo-gd (Algorithm 1, proof average)", families=cm.CONVEX, expectation="exact",
    corrects="theorem7",
    correction="The printed η = (ρ/(KD))√(B/T) has the wrong units (a small ρ/D makes η vanish, the run stands "
               "still and F(w_0) − F(w*) = ρD exceeds 2ρD/√(BT)); η = (D/(2ρK))√(B/T) balances Theorem 4's terms, "
               "and Algorithm 1 must average w_1..w_T.",
    proof_module="theorem7", proof="proofs/theorem7.py (Theorem 4 + Lemmas 5, 6, case by case over the min)",
))


# ----------------------------------------------------------------------------- expectation instances
def expectation_sample(families, T_max=3, B_max=8, K_max=100):
    """Instances of an echoed run on a two-point distribution (exact expectations)."""
    def sample(rng, C, family=None):
        st = structure(rng, families, family, K_max=K_max)
        st["B"], st["T"] = ex_.pick_BT(rng, B_max, T_max)
        if st["n"] > 10:
            st["n"] = int(rng.integers(1, 11))
        if st["K"] * st["T"] > 120:
            st["K"] = max(1, 120 // st["T"])
        sup, p0 = ex_.sample_support(rng, st["family"], C, st["n"])
        scale = np.exp(rng.uniform(-2, 2, size=(C, 1)))
        w0 = scale * rng.standard_normal((C, st["n"]))
        ws = w0 + np.exp(rng.uniform(-3, 3, size=(C, 1))) * rng.standard_normal((C, st["n"]))
        rW = 1 + np.exp(rng.uniform(-3, 2, size=C))
        return st, {**{f"sup.{k}": v for k, v in sup.items()}, "p0": p0, "w0": w0, "ws": ws, "rW": rW}
    return sample


def safe_beta(b):
    """β = 0 (linear losses) makes 1/β infinite: use a tiny positive β instead in exact
    arithmetic (it only enlarges the bound, so a counterexample stays one)."""
    if nm.is_exact(b):
        import mpmath
        return np.array([bi if bi > 0 else mpmath.mpf("1e-300") for bi in b], dtype=object)
    return b


def expectation_setup(st, p):
    """Common derived quantities: support, D, radius of W, certified (β, ρ) over W."""
    sup = _ex(p, "sup.")
    w0, ws = p["w0"], p["ws"]
    Dv = cm.norm(w0 - ws)
    RW = p["rW"] * np.maximum(cm.norm(w0), cm.norm(ws))
    b, r = ex_.support_constants(st["family"], sup, RW)
    return sup, Dv, RW, safe_beta(b), r


def _thm7_eval(statement, average):
    def evaluate(statement, st, p):
        hyp = statement.hypotheses[0]
        sup, Dv, RW, b, r = expectation_setup(st, p)
        params = {"beta": b, "rho": r, "D": Dv, "K": st["K"], "T": st["T"], "B": st["B"]}
        et = cm.evaluate_expr(hyp.rhs, params)  # η exactly as the statement prescribes it
        g = ex_.echo_gap(cm.GD, cm.GD.init(eta=et[:, None]), st, p, sup, RW, average)
        rhs = statement.bound_value(params)
        return g.gap, rhs, g.in_W, _mag(g.F_out, g.F_star, rhs)
    return evaluate


THEOREM7.sample = expectation_sample(cm.CONVEX)
THEOREM7.evaluate = _thm7_eval(THEOREM7, "printed")
THEOREM7_CORRECTED.sample = expectation_sample(cm.CONVEX)
THEOREM7_CORRECTED.evaluate = _thm7_eval(THEOREM7_CORRECTED, "proof")
