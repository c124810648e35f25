"""The sympy encodings of the algorithms (registry) agree with the executable algorithms."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

import boundcheck as bc
from boundcheck.paper import get_encoding
from boundcheck.paper.definitions import d, gam_f, grad, j, lam_f, t, w


def _obj(x, y):
    # least squares on rationals: ∇f̄(w) = mean((x w − y) x), exact with Fractions
    return bc.batch_objective("least-squares", {"x": np.array(x, dtype=object), "y": np.array(y, dtype=object)})


def test_gd_step_matches_encoding():
    obj = _obj([[Fraction(1)], [Fraction(2)]], [Fraction(1), Fraction(0)])
    eta = Fraction(1, 10)
    w0 = np.array([Fraction(1, 3)], dtype=object)
    r = bc.gradient_descent().run(w0, bc.GDState(eta), obj, 3)
    enc = get_encoding("gd").form  # Eq(w(j+1), w(j) − η ∇f̄(w(j)))
    vals = [sp.Rational(1, 3)]
    g = lambda v: sp.Rational(1, 2) * ((v - 1) * 1 + (2 * v) * 2)  # mean((x v − y) x)
    for _ in range(3):
        rhs = enc.rhs.subs(sp.Symbol("eta", nonnegative=True), sp.Rational(1, 10))
        rhs = rhs.replace(grad, lambda a: g(a)).subs(w(j), vals[-1])
        vals.append(sp.nsimplify(rhs))
    assert [Fraction(str(v)) for v in vals] == list(r.iterates[i][0] for i in range(4))


def test_agd_lambda_recursion_matches_encoding():
    import mpmath

    enc = get_encoding("agd").form
    with mpmath.workdps(50):
        lams, gams = bc.lambda_sequence(mpmath.mpf(1), 4)
        for k in range(4):
            L0, L1 = sp.Float(str(lams[k]), 50), sp.Float(str(lams[k + 1]), 50)
            rec = (enc[0].lhs - enc[0].rhs).subs({lam_f(j + 1): L1, lam_f(j): L0})
            assert abs(rec) < 1e-40
            gm = (enc[1].lhs - enc[1].rhs).subs({gam_f(j + 1): sp.Float(str(gams[k]), 50), lam_f(j): L0,
                                                  lam_f(j + 1): L1})
            assert abs(gm) < 1e-40
        assert abs(lams[1] - (1 + mpmath.sqrt(5)) / 2) < 1e-40


def test_algorithm1_average_encoding_is_the_printed_one():
    enc = get_encoding("algorithm1").form
    T_ = sp.Symbol("T", positive=True, integer=True)
    ws = [sp.Rational(k, 7) for k in range(4)]  # w_0..w_3 with T = 3
    val = enc.rhs.subs(T_, 3).doit().replace(w, lambda a: ws[int(a)])
    obj = _obj([[Fraction(0)]], [Fraction(0)])  # zero gradient: GD stands still…
    r = bc.echo(bc.gradient_descent(), np.array([Fraction(0)], dtype=object), bc.GDState(Fraction(1)), [obj] * 3, 1)
    assert r.average == "printed"
    # …so compare the encoding on a synthetic trajectory with the executable averaging rule
    pts = ws[:-1]
    assert sp.nsimplify(val) == sum(pts) / 3


def test_prox_pivot_encoding():
    enc = get_encoding("prox").form[1]
    K_ = sp.Symbol("K", positive=True, integer=True)
    obj = _obj([[Fraction(1)], [Fraction(3)]], [Fraction(2), Fraction(-1)])
    w0 = np.array([Fraction(1)], dtype=object)
    s0 = bc.ProxState(Fraction(1, 8), Fraction(1, 2), np.array([Fraction(0)], dtype=object))
    r = bc.proximal_gradient_descent().run(w0, s0, obj, 4)
    ws = [sp.Rational(str(v[0])) for v in r.iterates]
    val = enc.rhs.subs(K_, 4).doit().replace(w, lambda a: ws[int(a)])
    assert sp.nsimplify(val) == sp.Rational(str(r.s_out.pivot[0]))
