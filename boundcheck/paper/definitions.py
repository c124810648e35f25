"""Definitions 1 and 3, the inner methods of Section 3.1 and Algorithms 1 and 2 as sympy objects.

These are encodings, not claims: they sit in their own registry (``ENCODINGS``); ``verify`` checks the
claims that rest on them.  The executable versions are in ``boundcheck.core.algorithms``;
``tests/test_definitions.py`` checks that the two agree.
"""
from __future__ import annotations

import sympy as sp

from boundcheck.lang.encoding import Encoding, register_encoding
from boundcheck.lang.symbols import K, T, eps, eta, gamma

t, j = sp.symbols("t j", integer=True, nonnegative=True)
w = sp.Function("w")              # outer iterates w_t (Algorithms 1, 2) / inner iterates w_j
d = sp.Function("d")              # AGD momentum d_j
lam_f = sp.Function("lambda")     # AGD λ_j
gam_f = sp.Function("gamma")      # AGD γ_j
grad = sp.Function("nabla_fbar")  # ∇f̄_ξ
f = sp.Function("f")
V = sp.Function("V")
A = sp.Function("A")
xi, xi_p, xi_e = sp.symbols("xi xi' xi_e")
w_init, w_out, w_star, s_init, s_out, w_pivot = sp.symbols("w_init w_out w^* s_init s_out w_pivot")

DEFINITION1 = register_encoding(Encoding(
    id="definition1", kind="definition", number="Definition 1", section="2.2", title="Uniform stability",
    printed=r"A deterministic algorithm A is ε-uniformly stable with respect to f if, for two batches ξ, ξ' "
            r"differing in exactly one example, sup_{ξ∈Ξ} |f(A(ξ), ξ) − f(A(ξ'), ξ)| ≤ ε.",
    form=sp.Le(sp.Abs(f(A(xi), xi_e) - f(A(xi_p), xi_e)), eps),
    executable="boundcheck.core.stability.closed_form_sup (closed form), boundcheck.lang.expectation (finite Ξ)",
))
DEFINITION3 = register_encoding(Encoding(
    id="definition3", kind="definition", number="Definition 3", section="4", title="Potential-bounded regret",
    printed=r"f(w_out) − f(w^*) ≤ V_A(w_init, s_init, w^*) − V_A(w_out, s_out, w^*) for all w^* ∈ W.",
    form=sp.Le(f(w_out) - f(w_star), V(w_init, s_init, w_star) - V(w_out, s_out, w_star)),
    executable="instances: lemma5, lemma8, lemma11",
))
ALGORITHM1 = register_encoding(Encoding(
    id="algorithm1", kind="algorithm", number="Algorithm 1", section="3", title="Data-echoing meta-algorithm",
    printed=r"for t = 0..T−1: (w_{t+1}, s_{t+1}) ← A(w_t, s_t, ξ^{(t)}, K); output w_out := (1/T) Σ_{t=0}^{T−1} w_t",
    form=sp.Eq(sp.Symbol("w_out"), sp.Sum(w(t), (t, 0, T - 1)) / T),
    readings=("Alternative selectable by name (average='proof'): (1/T) Σ_{t=1}^{T} w_t, the average the proof of "
              "Theorem 4 bounds; the printed average is refuted by theorem4/theorem7/theorem10.",),
    executable="boundcheck.echo(output='average', average='printed'|'proof')",
))
ALGORITHM2 = register_encoding(Encoding(
    id="algorithm2", kind="algorithm", number="Algorithm 2", section="4.3", title="Data-echoing (final iterate)",
    printed=r"for t = 0..T−1: (w_{t+1}, s_{t+1}) ← A(w_t, s_t, ξ^{(t)}, K_t); output w_out := w_T",
    form=sp.Eq(sp.Symbol("w_out"), w(T)),
    executable="boundcheck.echo(output='final')",
))
GD_STEP = register_encoding(Encoding(
    id="gd", kind="algorithm", number="§3.1 gradient descent", section="3.1", title="Inner GD, state {η}",
    printed=r"w_0 = w_init, w_{j+1} = w_j − η∇f̄_ξ(w_j) for j = 0..K−1, w_out = w_K",
    form=sp.Eq(w(j + 1), w(j) - eta * grad(w(j))),
    executable="boundcheck.gradient_descent()",
))
PROX_STEP = register_encoding(Encoding(
    id="prox", kind="algorithm", number="§3.1 proximal GD", section="3.1", title="Inner prox-GD, state {η, γ, w_pivot}",
    printed=r"w_{j+1} = w_j − η∇f̄_prox(w_j), f̄_prox = f̄_ξ + (γ/2)‖w − w_pivot‖²; s_out = {η, γ, (1/K)Σ_{j=0}^{K−1} w_j}",
    form=sp.Tuple(sp.Eq(w(j + 1), w(j) - eta * (grad(w(j)) + gamma * (w(j) - w_pivot))),
                   sp.Eq(sp.Symbol("w_pivot_out"), sp.Sum(w(j), (j, 0, K - 1)) / K)),
    executable="boundcheck.proximal_gradient_descent()",
))
AGD_STEP = register_encoding(Encoding(
    id="agd", kind="algorithm", number="§3.1 accelerated GD", section="3.1", title="Inner AGD, state {η, d, λ}",
    printed=r"λ_{j+1}² − λ_{j+1} = λ_j², γ_{j+1} = (λ_j − 1)/λ_{j+1}, w_{j+1} = (w_j + d_j) − η∇f̄(w_j + d_j), "
            r"d_{j+1} = γ_{j+1}(w_{j+1} − w_j); s_out = {η, d_K, λ_K}",
    form=sp.Tuple(sp.Eq(lam_f(j + 1) ** 2 - lam_f(j + 1), lam_f(j) ** 2),
                   sp.Eq(gam_f(j + 1), (lam_f(j) - 1) / lam_f(j + 1)),
                   sp.Eq(w(j + 1), w(j) + d(j) - eta * grad(w(j) + d(j))),
                   sp.Eq(d(j + 1), gam_f(j + 1) * (w(j + 1) - w(j)))),
    readings=("λ_{j+1}: the positive root (selectable).",),
    executable="boundcheck.accelerated_gradient_descent()",
))

IDS = ("definition1", "definition3", "algorithm1", "algorithm2", "gd", "prox", "agd")
