r"""Lemma 12 (stability of AGD on convex quadratics): our proof, with its steps as checks.

The paper (Section 4.3) states Lemma 12 with ε = O(ηρ²K²/B), says it was "essentially
proved" in Chen, Jin & Yu (2018) whose main argument it believes has a small typo, and
defers an alternate derivation to a supplement.  We have neither the supplement nor [11];
the proof below is **ours**.  It gives the explicit constant

    ε ≤ ηρ²K(K+1)/B = (1 + 1/K)·ηρ²K²/B,

and shows it is the best possible constant (approached by linear losses as λ_0 → ∞).
Every test function in this file checks one named step (sympy for algebra, exact
rationals / mpmath for inequalities) and each has a planted-error twin that must fail.

Setting
-------
f(w, ζ) = ½wᵀA_ζw − b_ζᵀw with A_ζ ⪰ 0, f̄_ξ β-smooth, 0 < η ≤ 1/β; ‖∇f(y, ζ)‖ ≤ ρ at the
points where it is used (the query points of the runs and the segment [w'_K, w_K]).
AGD as printed: y_j = w_j + d_j, w_{j+1} = y_j − η∇f̄(y_j), λ_{j+1}² − λ_{j+1} = λ_j² with
the positive root, γ_{j+1} = (λ_j − 1)/λ_{j+1}, d_{j+1} = γ_{j+1}(w_{j+1} − w_j).  Two runs
from the same (w_init, η, d_init, λ_0 ≥ 0) on batches ξ, ξ' that differ in example i.

Step 0 (difference recursion).  With δ_j = w_j − w'_j, Δd_j = d_j − d'_j (Δd_0 = 0),
H = ∇²f̄_ξ and e_j = ∇f̄_ξ(y'_j) − ∇f̄_ξ'(y'_j) = (1/B)(∇f(y'_j, ξ_i) − ∇f(y'_j, ξ'_i)):
    δ_{j+1} = (I − ηH)(δ_j + Δd_j) − ηe_j,   Δd_{j+1} = γ_{j+1}(δ_{j+1} − δ_j),  ‖e_j‖ ≤ 2ρ/B.
(Add and subtract ∇f̄_ξ(y'_j); ∇f̄_ξ(y) − ∇f̄_ξ(y') = H(y − y') because f̄_ξ is quadratic.)

Step 1 (diagonalise).  In an eigenvector of H with eigenvalue h, a := ηh ∈ [0, 1], c := 1 − a,
each coordinate follows x_{m+1} = c((1 + γ_m)x_m − γ_m x_{m−1}) + input.  By linearity
δ_K = −η Σ_{j<K} Φ_{K,j}(H) e_j where φ_{K,j}(a) is the value at time K of the free
recursion started at (x_j, x_{j+1}) = (0, 1); ‖Φ_{K,j}(H)‖₂ = max_{h ∈ spec H} |φ_{K,j}(ηh)|.
Hence ε ≤ ρ‖δ_K‖ ≤ (2ηρ²/B) Σ_j max_{a∈[0,1]} |φ_{K,j}(a)|.  φ_{K,j} depends only on
γ_{j+1}, …, γ_{K−1}.

Step 2 (the schedule).  For λ_0 ≥ 0: λ_m ≥ 1 for m ≥ 1 (λ_{m+1} = (1 + √(1+4λ_m²))/2 ≥ 1),
λ_{m+1} ≥ λ_m + ½ > λ_m − 1, so γ_m ∈ [0, 1) for m ≥ 2 and γ_1 = (λ_0 − 1)/λ_1 ∈ [−1, 1)
(γ_1 ≥ −1 ⟺ λ_0 + λ_1 ≥ 1).  γ_1 < 0 exactly when λ_0 < 1; only φ_{K,0} sees γ_1.

Step 3 (bang-bang reduction).  The one-step map on (x_{m−1}, x_m) is
T_γ(u, v) = (v, c(v + γ(v − u))) = (1 − γ)T_0(u, v) + γT_1(u, v): affine in γ.  So for a
fixed start and any γ-sequence in [0, 1]^n the state after n steps lies in the convex hull
of the 2^n states reached with γ ∈ {0, 1} (induction: T_γ p ∈ [T_0 p, T_1 p] and T_0, T_1
are linear).  |x| is convex, so max |x_n| over γ ∈ [0,1]^n is attained at a {0,1}-sequence.

Step 4 (γ = 1 runs after a restart).  A γ = 0 step gives x_{m+1} = c x_m: a "restart" state
(v, cv).  Along γ = 1 steps, Q_i := x_{i+1}² − 2c x_{i+1}x_i + c x_i² satisfies Q_{i+1} = cQ_i,
and Q_i = c(x_i − x_{i+1})² + (1 − c)x_{i+1}².  At the restart Q_m = c(1 − c)v², hence
(1 − c)x_{i+1}² ≤ c^{i−m}·c(1 − c)v², i.e. |x_{i+1}| ≤ c^{(i−m+1)/2}|v| ≤ |v| (0 < c < 1;
c = 1 keeps x ≡ v, c = 0 gives x ≡ 0).  A later γ = 0 step restarts from a value ≤ |v|.
So from a restart state every {0,1}-continuation stays bounded by |v|.

Step 5 (γ = 1 run from the impulse).  From (0, 1), γ ≡ 1: x_{j+1+L} = Σ_{k=0}^{L} r^k r̄^{L−k}
with r, r̄ the roots of z² − 2cz + c (discriminant 4c(c − 1) ≤ 0, |r|² = c), so
|x_{j+1+L}| ≤ (L + 1)c^{L/2} ≤ L + 1 (c = 1: x_{j+1+L} = L + 1 exactly).

Step 6 (linear growth, the key fact).  For a {0,1}-sequence after the impulse: until the
first γ = 0 step the run of Step 5 gives |x_{j+n}| ≤ n; the first γ = 0 step (at time m)
restarts from |x_m| ≤ m − j, and by Step 4 nothing later exceeds it.  With Step 3:
for all a ∈ [0, 1] and all γ_{j+1}, …, γ_{K−1} ∈ [0, 1],   |φ_{K,j}(a)| ≤ K − j.

Step 7 (negative first momentum, λ_0 ∈ [0, 1)).  For j = 0 the first step gives
(x_1, x_2) = (1, ct), t = 1 + γ_1 ∈ [0, 1).  Write (1, ct) = (1, c) − (1 − t)c·(0, 1): a
restart state (response ≤ 1 by Steps 3–4) minus an impulse at j = 1 (response ≤ K − 1 by
Step 6), so |φ_{K,0}| ≤ 1 + (1 − t)c(K − 1) ≤ K.  (γ_1 ≥ 0 is covered by Step 6.)

Step 8 (sum).  Σ_{j=0}^{K−1} (K − j) = K(K + 1)/2, so ε ≤ ηρ²K(K+1)/B, c_K ≤ 1 + 1/K.

Step 9 (tightness).  Linear losses ⟨g_ζ, w⟩ (H = 0, a = 0, any η), ξ_i = g, ξ'_i = −g,
‖g‖ = ρ: e_j ≡ 2g/B, φ_{K,j}(0) = Σ_{n=0}^{K−1−j} Π_{m=j+1}^{j+n} γ_m → K − j as λ_0 → ∞
(γ_m → 1), and the evaluation example ζ = g gives ε = ρ‖δ_K‖ → ηρ²K(K+1)/B.  So the sup
of c_K over instances and λ_0 ≥ 0 is exactly 1 + 1/K (not attained at finite λ_0).

Where the argument stops (why the conjecture needs more).  Step 3 uses one fixed c.  Along
a trajectory of a non-quadratic loss the curvature a_m varies; with γ ≈ 1 the pattern
a = (0, 0, 1) maps (x, 0) ↦ (0, −γx) ↦ (−γx, −γ(1+γ')x) ↦ (−γ(1+γ')x, 0): a factor
≈ 2 every three steps.  ``probe_smooth_convex`` realises this (Part B of the module).

The naive argument.  Bounding |φ_{K,j}| by Π_m ‖M_m‖₂ with the companion matrices
M = [[c(1+γ), −cγ], [1, 0]] fails: det(MMᵀ − I) = −c²(1+γ)² < 0 whenever c(1+γ) ≠ 0, so
‖M‖₂ > 1 and the product grows exponentially ((1 + √2)^{K−1−j} at a = 0, γ = 1), while the
truth is ≤ K − j.  (We do not know what the typo in [11] is; this is the failure mode a
power-of-a-norm argument has.)

Not proved, only observed: |φ_{K,j}(a)| ≤ φ_{K,j}(0) (the maximiser over a is a = 0 for
every j at the AGD schedules checked), which makes the "sup inside" and "sup outside"
worst cases coincide; and c_K ≤ 1 + 1/K also for λ_0 < 0 (outside Step 2's hypotheses).
The negative root of λ² − λ = λ_0² makes γ > 1 and Lemma 12 false (c_5 ≈ 1.6e3 at λ_0 = 1).
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from boundcheck.experiments.agd_stability import c_K, companion_norm, difference_recursion, gamma_schedule, impulse_responses, naive_bound, proven_constant
from boundcheck.core.algorithms import accelerated_gradient_descent
from boundcheck.core.losses import batch_objective, neighbour
from boundcheck.core import numerics as nm

c, g, g2, u, v, lam = sp.symbols("c gamma gamma2 u v lambda", real=True)


# ----------------------------------------------------------------------------- helpers
def _T(gam, cc, state):
    x_prev, x = state
    return (x, cc * ((1 + gam) * x - gam * x_prev))


def _max_bangbang(cc, n, start=(0, 1), first=None):
    """max |x| after n steps over all {0,1} momentum sequences (exact if cc is a Fraction)."""
    states = {start}
    best = abs(start[1])
    for step in range(n):
        choices = (first,) if (step == 0 and first is not None) else (0, 1)
        states = {_T(gm, cc, s) for s in states for gm in choices}
        best = max(best, max(abs(s[1]) for s in states))
    return best, states


def _run_free(cc, gams, start=(0, 1)):
    s = start
    xs = [s[1]]
    for gm in gams:
        s = _T(gm, cc, s)
        xs.append(s[1])
    return xs


# ----------------------------------------------------------------------------- step 0
def test_step0_difference_recursion_symbolic():
    """Step 0: δ_{j+1} = (1 − ηh)(δ_j + Δd_j) − η e_j for quadratics (1-D symbolic; the
    matrix case is the same computation with H in place of h)."""
    w, wp, d, dp, h, eta, b, bp, hi, bi, hip, bip, B = sp.symbols("w wp d dp h eta b bp hi bi hip bip B", real=True)
    # f̄_ξ(y) = ½h y² − b y ;  ξ' replaces example i: h' = h + (hip − hi)/B, b' = b + (bip − bi)/B
    hp = h + (hip - hi) / B
    bpp = b + (bip - bi) / B
    grad = lambda y, hh, bb: hh * y - bb  # noqa: E731
    y, yp = w + d, wp + dp
    w1 = y - eta * grad(y, h, b)
    w1p = yp - eta * grad(yp, hp, bpp)
    e = grad(yp, h, b) - grad(yp, hp, bpp)
    e_def = ((hi * yp - bi) - (hip * yp - bip)) / B  # (1/B)(∇f(y', ξ_i) − ∇f(y', ξ'_i))
    assert sp.simplify(e - e_def) == 0
    assert sp.simplify((w1 - w1p) - ((1 - eta * h) * ((w - wp) + (d - dp)) - eta * e)) == 0


def test_step0_recursion_matches_algorithms_on_quadratic_batches():
    """Step 0 numerically: _algorithms' AGD (50-digit mpmath) on two neighbouring quadratic
    batches satisfies δ_{j+1} = (I − ηH)(δ_j + Δd_j) − ηe_j at every step."""
    rng = np.random.default_rng(3)
    n, B, K = 3, 4, 6
    with nm.mp_precision(50):
        L = rng.standard_normal((B, n, n))
        A = nm.to_mp(np.einsum("bij,bkj->bik", L, L))
        b = nm.to_mp(rng.standard_normal((B, n)))
        ex = {"A": A, "b": b}
        repl = {"A": nm.to_mp(np.eye(n)), "b": nm.to_mp(np.array([1.0, -2.0, 0.0]))}
        f1 = batch_objective("quadratic", ex)
        f2 = batch_objective("quadratic", neighbour("quadratic", ex, 1, repl))
        H = sum(A[k] for k in range(B)) / B
        eta = 1 / mpmath.mpf(float(np.linalg.eigvalsh(nm.to_float(H))[-1]) * 1.01)
        w0 = nm.to_mp(np.array([1.0, -1.0, 2.0]))
        agd = accelerated_gradient_descent()
        s0 = agd.init(w0, eta=eta, lam=mpmath.mpf(1.5))
        r1, r2 = agd.run(w0, s0, f1, K), agd.run(w0, s0, f2, K)
        es = [f1.grad(y) - f2.grad(y) for y in r2.queries]
        I = nm.to_mp(np.eye(n))
        for j in range(K):
            dlt = r1.iterates[j] - r2.iterates[j]
            ddd = r1.states[j].d - r2.states[j].d
            rhs = (I - eta * H).dot(dlt + ddd) - eta * es[j]
            assert max(abs(x) for x in (r1.iterates[j + 1] - r2.iterates[j + 1] - rhs)) < mpmath.mpf(10) ** -40
        assert max(abs(x) for x in es[0]) > 0.01  # the perturbation is not trivially zero


# ----------------------------------------------------------------------------- step 1
def test_step1_impulse_decomposition():
    """Step 1: δ_K of the driven recursion equals −η Σ_j φ_{K,j}(a) e_j (mpmath, 50 digits)."""
    with nm.mp_precision(50):
        a = nm.to_mp(np.array([0, 0.125, 0.5, 0.9, 1.0]))
        K = 9
        es = [mpmath.mpf(k + 1) / 7 * (-1) ** k for k in range(K)]
        eta = mpmath.mpf("0.3")
        lam0 = mpmath.mpf(2)
        dl = difference_recursion(a, K, lam0, es, eta=eta)
        phi = impulse_responses(a, K, lam0)
        pred = -eta * sum(phi[j] * es[j] for j in range(K))
        assert max(abs(x) for x in dl[-1] - pred) < mpmath.mpf(10) ** -45


# ----------------------------------------------------------------------------- step 2
def test_step2_schedule_ranges():
    """Step 2: λ_0 ≥ 0 ⇒ λ_1 ≥ 1, γ_1 ∈ [−1, 1), γ_m ∈ [0, 1) (m ≥ 2) — symbolic facts + mpmath sweep."""
    lam_next = (1 + sp.sqrt(1 + 4 * lam**2)) / 2
    assert sp.simplify(lam_next**2 - lam_next - lam**2) == 0  # the positive root solves the recursion
    # λ' − (λ + ½) = (√(1+4λ²) − 2λ)/2 ≥ 0 since 1 + 4λ² ≥ 4λ²
    assert sp.simplify((lam_next - lam - sp.Rational(1, 2)) - (sp.sqrt(1 + 4 * lam**2) - 2 * lam) / 2) == 0
    with nm.mp_precision(50):
        for l0 in [0, 0.01, 0.3, 0.999, 1, 1.5, 10, 1e6]:
            gm = gamma_schedule(mpmath.mpf(l0), 60)
            assert -1 <= gm[0] < 1
            assert all(0 <= x < 1 for x in gm[1:])
            assert (gm[0] < 0) == (l0 < 1)


def test_step2_planted_negative_root_breaks_range():
    """Planted: with the negative root γ leaves [0, 1] (so Lemma 12 must fail there)."""
    gm = gamma_schedule(1.0, 6, root="negative")
    assert np.max(gm) > 1
    assert c_K(5, 1.0, root="negative", refine=()).inside[-1] > 100 * proven_constant(5)


# ----------------------------------------------------------------------------- step 3
def test_step3_map_affine_in_gamma():
    """Step 3: T_γ = (1 − γ)T_0 + γT_1 (sympy)."""
    Tg = _T(g, c, (u, v))
    T0, T1 = _T(0, c, (u, v)), _T(1, c, (u, v))
    for k in range(2):
        assert sp.expand(Tg[k] - ((1 - g) * T0[k] + g * T1[k])) == 0


def test_step3_bangbang_dominates_random_sequences():
    """Step 3: max |x_n| over random γ ∈ [0,1]^n never exceeds the bang-bang max (exact rationals)."""
    rng = np.random.default_rng(0)
    for cc in [Fraction(0), Fraction(1, 7), Fraction(1, 2), Fraction(9, 10), Fraction(1)]:
        n = 9
        bb, _ = _max_bangbang(cc, n)
        for _ in range(200):
            gams = [Fraction(int(k), 16) for k in rng.integers(0, 17, size=n)]
            assert max(abs(x) for x in _run_free(cc, gams)) <= bb


# ----------------------------------------------------------------------------- step 4
def test_step4_restart_quadratic_form():
    """Step 4: Q_{i+1} = cQ_i along γ = 1; Q = c(x_i − x_{i+1})² + (1−c)x_{i+1}²; Q(restart) = c(1−c)v²."""
    x0, x1 = sp.symbols("x0 x1", real=True)
    Q = lambda a_, b_: b_**2 - 2 * c * b_ * a_ + c * a_**2  # noqa: E731  (a_=x_i, b_=x_{i+1})
    x2 = c * (2 * x1 - x0)
    assert sp.expand(Q(x1, x2) - c * Q(x0, x1)) == 0
    assert sp.expand(Q(x0, x1) - (c * (x0 - x1) ** 2 + (1 - c) * x1**2)) == 0
    assert sp.expand(Q(v, c * v) - c * (1 - c) * v**2) == 0


def test_step4_restart_state_never_grows():
    """Step 4 numerically: from (1, c) every {0,1}-continuation stays ≤ 1 in |x| (exact)."""
    for cc in [Fraction(k, 13) for k in range(14)]:
        bb, _ = _max_bangbang(cc, 12, start=(Fraction(1), cc))
        assert bb <= 1


def test_step4_planted_time_varying_curvature_grows():
    """Planted (the step that fails for non-quadratics): varying c, pattern (1,1,0) of c with γ = 1,
    grows like 2^{n/3} from the restart state — the bound of Step 4 needs one fixed c."""
    s = (Fraction(1), Fraction(0))
    for k in range(30):
        s = _T(1, 1 if k % 3 != 2 else 0, s)
    assert abs(s[0]) >= 2**9


# ----------------------------------------------------------------------------- step 5
def test_step5_impulse_run_bound():
    """Step 5: γ ≡ 1 from (0,1): |x_{1+L}| ≤ (L+1)c^{L/2} (mpmath, c-grid, L ≤ 200); discriminant ≤ 0."""
    z = sp.symbols("z")
    disc = sp.discriminant(z**2 - 2 * c * z + c, z)
    assert sp.expand(disc - 4 * c * (c - 1)) == 0
    with nm.mp_precision(50):
        for cc in [mpmath.mpf(k) / 64 for k in range(65)]:
            xs = _run_free(cc, [1] * 200, start=(mpmath.mpf(0), mpmath.mpf(1)))
            for L, x in enumerate(xs):
                assert abs(x) <= (L + 1) * mpmath.sqrt(cc) ** L * (1 + mpmath.mpf(10) ** -40)


# ----------------------------------------------------------------------------- step 6
def test_step6_linear_growth_exhaustive_bangbang():
    """Step 6: max over all {0,1}^n momentum sequences of |φ| ≤ n+1 after n steps (exact, n ≤ 12)."""
    for cc in [Fraction(k, 11) for k in range(12)]:
        states = {(Fraction(0), Fraction(1))}
        for n in range(1, 13):
            states = {_T(gm, cc, s) for s in states for gm in (0, 1)}
            assert max(abs(s[1]) for s in states) <= n + 1


def test_step6_linear_growth_agd_schedules():
    """Step 6 at AGD's schedules: |φ_{K,j}(a)| ≤ K − j for K = 400, a on a fine grid, several λ_0."""
    a = np.concatenate(([0.0], np.geomspace(1e-8, 1, 300)))
    for l0 in [0.0, 0.5, 1.0, 7.0, 1e3, math.inf]:
        phi = np.abs(impulse_responses(a, 400, l0))
        assert np.all(phi <= (400 - np.arange(400))[:, None] * (1 + 1e-12))


def test_step6_planted_sublinear_claim_refuted():
    """Planted: the stronger claim |φ| ≤ n after n steps (instead of n+1) is refuted (c = 1, γ = 1)."""
    xs = _run_free(Fraction(1), [1] * 5)
    assert xs[5] == 6 and not xs[5] <= 5


# ----------------------------------------------------------------------------- step 7
def test_step7_negative_first_momentum():
    """Step 7: λ_0 ∈ [0,1): |φ_{K,0}| ≤ 1 + (1 − t)c(K−1) ≤ K with t = 1 + γ_1 (mpmath + exact)."""
    t, K = sp.symbols("t K", positive=True)
    # 1 + (1−t)c(K−1) ≤ K  ⟺  (K−1)(1 − (1−t)c) ≥ 0
    assert sp.expand(K - (1 + (1 - t) * c * (K - 1)) - (K - 1) * (1 - (1 - t) * c)) == 0
    for l0 in [0.0, 0.2, 0.7, 0.99]:
        gm = gamma_schedule(l0, 200)
        a = np.concatenate(([0.0], np.geomspace(1e-6, 1, 200)))
        phi0 = np.abs(impulse_responses(a, 200, gammas=gm))[0]
        tt = 1 + gm[0]
        assert np.all(phi0 <= 1 + (1 - tt) * (1 - a) * 199 + 1e-9)
    for cc in [Fraction(k, 9) for k in range(10)]:
        for tt in [Fraction(0), Fraction(1, 3), Fraction(5, 6)]:
            best, _ = _max_bangbang(cc, 10, start=(Fraction(1), cc * tt))
            assert best <= 1 + (1 - tt) * cc * 10


# ----------------------------------------------------------------------------- step 8
def test_step8_sum_gives_constant():
    """Step 8: Σ_{j<K}(K − j) = K(K+1)/2, so (2/K²)·Σ = 1 + 1/K; c_K(K ≤ 1000) ≤ 1 + 1/K numerically."""
    K, j = sp.symbols("K j", integer=True, positive=True)
    assert sp.simplify(sp.summation(K - j, (j, 0, K - 1)) - K * (K + 1) / 2) == 0
    r = c_K(1000, math.inf, refine=(1, 2, 5, 10, 100, 1000))
    assert np.all(r.inside <= r.bound * (1 + 1e-12))
    for l0 in [0.0, 1.0, 30.0]:
        rr = c_K(300, l0, refine=())
        assert np.all(rr.inside <= rr.bound * (1 + 1e-12))


# ----------------------------------------------------------------------------- step 9
def test_step9_tightness_linear_losses_mpmath():
    """Step 9: linear losses, λ_0 large, run through _algorithms in 60 digits: ε·B/(ηρ²K²) → 1 + 1/K."""
    with nm.mp_precision(60):
        for K in (1, 2, 5, 20):
            B, n = 3, 2
            gv = np.array([mpmath.mpf(3) / 5, mpmath.mpf(4) / 5], dtype=object)  # ‖g‖ = ρ = 1
            ex = {"a": np.array([gv, nm.to_mp(np.array([1, 0])), nm.to_mp(np.array([0, 1]))], dtype=object)}
            f1 = batch_objective("linear", ex)
            f2 = batch_objective("linear", neighbour("linear", ex, 0, {"a": -gv}))
            w0 = nm.to_mp(np.zeros(n))
            eta = mpmath.mpf("0.37")
            agd = accelerated_gradient_descent()
            s0 = agd.init(w0, eta=eta, lam=mpmath.mpf(10) ** 30)
            dK = agd.run(w0, s0, f1, K).w_out - agd.run(w0, s0, f2, K).w_out
            eps = abs((gv * dK).sum())  # evaluation example ζ = g
            ratio = eps * B / (eta * K**2)
            assert abs(ratio - (1 + mpmath.mpf(1) / K)) < mpmath.mpf(10) ** -20


def test_step9_planted_wrong_constant_refuted():
    """Planted: a claimed constant 0.9·(1 + 1/K) is refuted by the machinery (λ_0 = 1e6 instance)."""
    for K in (2, 10, 100):
        r = c_K(K, 1e6, refine=())
        assert r.realisable[-1] > 0.9 * proven_constant(K)  # a realisable instance beats the wrong constant


# ----------------------------------------------------------------------------- naive
def test_naive_companion_norm_exceeds_one():
    """Naive argument: det(MMᵀ − I) = −c²(1+γ)² (sympy) ⇒ ‖M‖₂ > 1; closed-form norm matches SVD."""
    M = sp.Matrix([[c * (1 + g), -c * g], [1, 0]])
    assert sp.expand((M * M.T - sp.eye(2)).det() + c**2 * (1 + g) ** 2) == 0
    rng = np.random.default_rng(1)
    a, gm = rng.random(500), rng.random(500)
    from boundcheck.experiments.agd_stability import companion_matrix
    sv = np.linalg.norm(companion_matrix(a, gm), ord=2, axis=(-2, -1))
    assert np.allclose(sv, companion_norm(a, gm), rtol=1e-12)
    assert np.all(companion_norm(a[a < 1], gm[a < 1]) > 1)
    assert np.all(np.diff(companion_norm(np.linspace(0, 1, 101), 0.7)) <= 1e-15)  # max over a at a = 0


def test_naive_bound_blows_up():
    """Naive argument: exceeds the true constant 10× by K = 7 and 1e6× by K = 23 (λ_0 → ∞)."""
    nv = naive_bound(100, math.inf)
    true = proven_constant(nv.K)
    ratio = nv.log10_product - np.log10(true)
    assert np.nonzero(ratio >= 1)[0][0] + 1 == 7
    assert np.nonzero(ratio >= 6)[0][0] + 1 == 23
    # and it is a valid (if useless) upper bound
    assert np.all(nv.log10_product >= np.log10(c_K(100, math.inf, refine=()).inside) - 1e-12)


@pytest.mark.parametrize("K", [3, 8])
def test_planted_naive_spectral_radius_claim_refuted(K):
    """Planted: 'every product has norm ≤ 1' (a tempting fix) is false: ‖M(0,1)^n‖ grows."""
    from boundcheck.experiments.agd_stability import companion_matrix
    P = np.linalg.matrix_power(companion_matrix(0.0, 1.0), K)
    assert np.linalg.norm(P, 2) > K
