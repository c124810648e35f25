"""Section 4.3: echoed AGD — Lemma 11, Lemma 12, Theorem 13 (as printed and corrected)."""
from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from boundcheck.core import numerics as nm
from boundcheck.core.algorithms import accelerated_gradient_descent
from boundcheck.lang import (B, D, Defined, E, F, Integers, Interval, K, T, beta, c, d_init, d_out, echoed, eta, f, lam_init,
                             lam_out, lambda_init, neighbours, norm, one_batch, register, rho, stability, statement,
                             w_init, w_out, w_star)
from boundcheck.lang.corrections import Correction, Reading
from boundcheck.paper.common import CLOSED_FORM, CONVEX, K_SMALL, LAMBDA_INIT, QUADRATICS, STEP, STEP0

z_in = sp.Symbol("z_in", nonnegative=True)    # ‖w_init + λ_init d_init − w‖
z_out = sp.Symbol("z_out", nonnegative=True)  # ‖w_out + λ_out d_out − w‖
AGD = accelerated_gradient_descent()

_LAMBDA_GE_1 = Interval(1, sp.oo, log_range=(-6, 10), edge=0.3)  # raw lam0 = λ_init
_L11 = dict(
    cls=CONVEX, method="agd", setting=one_batch(), structure={"K": K_SMALL},
    lhs=(lam_out**2 - lam_out) * (f(w_out) - f(w_star)) - (lam_init**2 - lam_init) * (f(w_init) - f(w_star)),
    bound=(z_in**2 - z_out**2) / (2 * eta),
    where={z_in: norm(w_init + lam_init * d_init - w_star), z_out: norm(w_out + lam_out * d_out - w_star)},
    quantity="(λ_out² − λ_out)(f̄(w_out) − f̄(w)) − (λ_init² − λ_init)(f̄(w_init) − f̄(w)) after K AGD steps, any w, "
             "any initial state (d, λ)")
LEMMA11 = register(statement(
    "lemma11", "Lemma 11", section="4.3", title="Potential-bounded regret for AGD", **_L11,
    params={eta: STEP, lambda_init: LAMBDA_INIT},
    printed=r"Let f be a β-smooth convex function. Running accelerated gradient descent for K steps, with a step "
            r"size η ≤ 1/β, gives the regret bound (λ_out² − λ_out)(f(w_out) − f(w)) − (λ_init² − λ_init)"
            r"(f(w_init) − f(w)) ≤ \frac{1}{2n}(‖w_init + λ_init d_init − w‖² − ‖w_out + λ_out d_out − w‖²).",
    corrected_by="lemma11_corrected",
    corrections=(Correction("lambda_range", "initial states with λ_init ≥ 1 (every state echoed AGD reaches after "
                                            "its first step)", {"params": {lambda_init: _LAMBDA_GE_1}}),),
    readings=("1/(2n) is 1/(2η) (text-extraction artefact).",
              "λ_{j+1} is the positive root of λ² − λ = λ_j² (the text does not say; Nesterov's choice).",
              "The initial state (d_init, λ_init) is arbitrary (λ_init ≥ 0: the λ-recursion's own range)."),
    proof_module="lemma11", proof="proofs/lemma11.py (our proof: the FISTA-type one-step inequality with weight "
                                  "θ = λ_j, telescoped)",
    pep_grid={"K": tuple(range(1, 11)), "lambda_init": ("1/2",), "eta_frac": ("1",)},
))
LEMMA11_CORRECTED = register(statement(
    "lemma11_corrected", "Lemma 11 (λ_init ≥ 1)", section="4.3", **_L11,
    title="Potential-bounded regret for AGD from states with λ_init ≥ 1",
    params={eta: STEP, lambda_init: _LAMBDA_GE_1},
    printed=r"As Lemma 11, for initial states with λ_init ≥ 1 (every state echoed AGD reaches after its first step).",
    corrects="lemma11",
    correction="The one-step inequality combines convexity at w_j with weight λ_j − 1, which must be ≥ 0: "
               "λ_init ∈ (0, 1) breaks it (λ_init = 0 or ≥ 1 is fine).",
    proof_module="lemma11", proof="proofs/lemma11.py",
    pep_grid={"K": tuple(range(1, 11)), "lambda_init": ("1", "3/2", "3"), "eta_frac": ("1/4", "1/2", "1")},
))

LEMMA12 = register(statement(
    "lemma12", "Lemma 12", section="4.3", title="Stability of AGD (quadratics)",
    printed=r"Suppose that f is a β-smooth convex quadratic function of w for any ξ. Then, for any 0 ≤ η ≤ 1/β and "
            r"initial state s_init, K steps of accelerated gradient descent are ε-uniformly stable with "
            r"ε = O(ηρ²K²/B).",
    cls=CLOSED_FORM, method="agd", setting=neighbours(), params={eta: STEP0, lambda_init: LAMBDA_INIT},
    lhs=stability(), bound=eta * rho**2 * K**2 / B, big_o=True, explicit=eta * rho**2 * K * (K + 1) / B,
    default_trials=32768,
    big_o_constants={"c_K": "(K+1)/K (sup over spectra in [0, β] and λ_init ≥ 0, approached as λ_init → ∞ at "
                            "zero curvature, attained at K = 1); proved in proofs/lemma12.py"},
    quantity="sup_ξ |f(A(ξ), ξ) − f(A(ξ'), ξ)| for neighbouring quadratic batches (Definition 1), closed form over Ξ",
    readings=("Big-O: checked through the explicit constant ε ≤ ηρ²K(K+1)/B proved in proofs/lemma12.py for "
              "initial states with λ_init ≥ 0 (|φ_{K,j}| ≤ K − j for momentum in [0, 1]); with the negative root of "
              "λ² − λ = λ_j² the momentum exceeds 1 and the constant fails (c_5 ≈ 1.6e3).",),
    proof_module="lemma12", proof="proofs/lemma12.py (our derivation; the paper's is in its supplement)",
))

LEMMA12_SMOOTH_CONVEX = register(statement(
    "lemma12_smooth_convex", "Section 6 conjecture", kind="conjecture", section="6",
    title="AGD is O(ηρ²K²/B)-uniformly stable on smooth convex losses (conjectured in [11])",
    printed=r"This work provides further motivation to show the O(ηρ²K²/B)-uniform stability of AGD for smooth "
            r"convex functions, which was conjectured in [11] with different motives.",
    cls=CONVEX.restrict(("huber", "softplus", "pwq-ridge"), name="smooth convex, globally Lipschitz"),
    method="agd", setting=neighbours(batch="two-point", sup="lipschitz"),
    params={eta: STEP0, lambda_init: LAMBDA_INIT},
    structure={"B": Integers(2, 10**15, "log"), "K": Integers(1, 80)},
    lhs=stability(), bound=eta * rho**2 * K**2 / B, big_o=True, explicit=eta * rho**2 * K * (K + 1) / B,
    default_trials=4096,
    quantity="sup_ξ |f(A(ξ), ξ) − f(A(ξ'), ξ)| = ρ‖w_K − w'_K‖ (Ξ holds the linear losses), two-point neighbouring "
             "batches of smooth convex ρ-Lipschitz losses",
    readings=("Not a claim of the paper: Section 6 cites it as an open conjecture. Checked through Lemma 12's sharp "
              "quadratic constant, ε ≤ ηρ²K(K+1)/B: a ratio far beyond it that grows with K, re-checked in high "
              "precision, refutes the constant; the big-O claim needs the growth (see 'boundcheck search "
              "lemma12_smooth_convex' and the growth table of the PEP engine's sandwich).",
              "Curvature-switching instances need large B (the ratio of an instance with d_init = 0 is at most "
              "B(1 + 1/K)); the family's designed sampler picks B for the runs' linear regime."),
    proof_module="lemma12", proof="proofs/lemma12.py (the quadratic case; beyond quadratics only instances)",
    pep_grid={"K": tuple(range(1, 11)), "eta_frac": ("1",), "lambda_init": ("1",), "B": ("1000",)},
))


def theorem13_family(c_value: float = 1.0, members: int = 8, exact: bool = False) -> list[dict]:
    """The family refuting Theorem 13 as printed: for every fixed Θ-constant c the ratio
    (E[F(w_T)] − F(w*)) / (βD²/(K²T²) + ρD/√(BT)) grows like √B.

    f(w, ξ) = a·w (a convex quadratic with zero Hessian), 𝒟 = δ_a, ‖a‖ = ρ = 1, n = 1,
    w_0 = 0, w* = −D, D = 1, K = T = 1, B = 4^m.  The printed η = c·ρT^{3/4}/(K²D√B)
    shrinks like 1/√B, so AGD barely moves: E[F(w_T)] − F(w*) = ρD − cρ³/(D√B) while the
    bound's rate is ρD/√B; the ratio is √B − c.  Computed by running AGD (Algorithm 2).
    """
    out = []
    for m in range(1, members + 1):
        Bv = 4**m
        if exact:
            with nm.mp_precision(60):
                a, Dv, rv = mpmath.mpf(1), mpmath.mpf(1), mpmath.mpf(1)
                et = c_value * rv / (Dv * mpmath.sqrt(Bv))
                w0 = np.array([[mpmath.mpf(0)]], dtype=object)
                r = AGD.run(w0, AGD.init(eta=et, d=0 * w0, lam=mpmath.mpf(1)), lambda w: 0 * w + a, 1)
                gap = a * r.w_out[0, 0] - a * (-Dv)
                rate = rv * Dv / mpmath.sqrt(Bv)
                out.append({"B": Bv, "K": 1, "T": 1, "c": c_value, "eta": mpmath.nstr(et, 30),
                            "lhs": mpmath.nstr(gap, 30), "rate": mpmath.nstr(rate, 30), "ratio": float(gap / rate)})
        else:
            et = c_value / np.sqrt(Bv)
            r = AGD.run(np.array([[0.0]]), AGD.init(eta=et, d=np.zeros((1, 1)), lam=1.0), lambda w: 0 * w + 1.0, 1)
            gap = float(r.w_out[0, 0] + 1.0)
            rate = 1 / np.sqrt(Bv)
            out.append({"B": Bv, "K": 1, "T": 1, "c": c_value, "eta": et, "lhs": gap, "rate": rate, "ratio": gap / rate})
    return out


_E2 = D / rho * sp.sqrt(2 * B / (K * (K + 1) * T * (K * T + 1) ** 2))
_T13_COMMON = dict(cls=QUADRATICS, method="agd", setting=echoed("final"), structure={"K": Integers(1, 40)},
                   lhs=E(F(w_out)) - F(w_star), default_trials=12288)
THEOREM13 = register(statement(
    "theorem13", "Theorem 13", kind="theorem", section="4.3", title="Data-echoed AGD (quadratics)", **_T13_COMMON,
    printed=r"Suppose f is a convex quadratic in w, for all ξ. Then, T outer steps of echoed AGD, with echoing "
            r"factor K and step size η = Θ(min{1/β, ρ/(K²D√(B/T^{3/2}))}), produces a point w_out satisfying "
            r"E[F(w_out)] − F(w^*) = O(β‖w_0 − w^*‖²/(K²T²) + ρ‖w_0 − w^*‖/√(BT)).",
    params={eta: Defined(c * sp.Min(1 / beta, rho / (K**2 * D * sp.sqrt(B / T**sp.Rational(3, 2))))), lambda_init: 1},
    bound=beta * D**2 / (K**2 * T**2) + rho * D / sp.sqrt(B * T), big_o=True, big_o_family=theorem13_family,
    quantity="E[F(w_T)] − F(w*), Algorithm 2 (final iterate) with AGD from λ_0 = 1, d_0 = 0, D = ‖w_0 − w*‖",
    corrected_by="theorem13_corrected",
    corrections=(Correction("step_size", "η = min{1/β, (D/ρ)√(2B/(K(K+1)T(KT+1)²))} (η scales like (D/ρ)√B), "
                                         "checked with the constants it gives: 2βD²/(K²T²) + 4ρD/√(BT)",
                            {"params": {eta: Defined(sp.Min(1 / beta, _E2))}, "big_o_family": None,
                             "explicit": 2 * beta * D**2 / (K**2 * T**2) + 4 * rho * D / sp.sqrt(B * T)}),),
    alternative_readings=(
        Reading("Θ uniform", "the Θ- and O-constants are absolute (uniform in β, ρ, D)"),
        Reading("Θ per problem", "the constants may depend on β, ρ and D (not on B, K, T)",
                note="the refuting family keeps β = 0, ρ = D = 1 fixed and lets B grow, so it refutes under this "
                     "reading too: no search of its own is needed"),),
    readings=("Θ(·) is read as η = c·min{…} for a constant c > 0; the big-O claim is refuted only by a family of "
              "instances along which the ratio grows without bound for every fixed c.",
              "The initial AGD state is not printed; λ_0 = 1, d_0 = 0 (Nesterov's start).",
              "A linear loss is a convex quadratic with zero Hessian."),
    proof_module="theorem13", proof="proofs/theorem13.py",
))

THEOREM13_CORRECTED = register(statement(
    "theorem13_corrected", "Theorem 13 (corrected, explicit)", kind="theorem", section="4.3",
    title="Data-echoed AGD on quadratics with explicit constants",
    printed=r"η = min{1/β, (D/ρ)√(2B/(K(K+1)T(KT+1)²))}, λ_0 = 1, d_0 = 0, w_out = w_T: E[F(w_out)] − F(w^*) ≤ "
            r"2βD²/(KT+1)² + 2ρD√(2K(K+1)T/B)/(KT+1)  (≤ 2βD²/(K²T²) + 4ρD/√(BT))",
    **_T13_COMMON, params={eta: Defined(sp.Min(1 / beta, _E2)), lambda_init: 1},
    bound=2 * beta * D**2 / (K * T + 1) ** 2 + 2 * rho * D * sp.sqrt(2 * K * (K + 1) * T / B) / (K * T + 1),
    quantity="E[F(w_T)] − F(w*), Algorithm 2 with AGD from λ_0 = 1, d_0 = 0",
    corrects="theorem13",
    correction="The printed η ∝ ρ/(D√B) has the wrong units and shrinks with B; Lemmas 11, 12 (ε ≤ ηρ²K(K+1)/B) and "
               "Theorem 2 give the bound above for η ∝ (D/ρ)√B/(K²T^{3/2}).",
    proof_module="theorem13", proof="proofs/theorem13.py (Lemma 11 telescoped over batches with weights λ²−λ, "
                                    "Theorem 2, Lemma 12 explicit)",
))
