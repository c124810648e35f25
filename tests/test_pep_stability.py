"""Two-trajectory stability PEPs (boundcheck.pep.stability): Lemma 6 and Lemma 9 reproduced exactly
(rational certificate + attaining instance), the AGD sandwich (Section 6's conjecture) ordered."""
from __future__ import annotations

from fractions import Fraction as Fr

import pytest

from boundcheck.experiments.sandwich import agd_lower_bound, sandwich
from boundcheck.pep.stability import (check_certificate, exact_psd, gd_prox_certificate, lemma6_bound, lemma9_bound,
                                      linear_instance, stability_bound, stability_pep)


@pytest.mark.parametrize("K,eta,B", [(1, Fr(1), 10), (3, Fr(1, 2), 5), (4, Fr(2, 3), 1000), (6, Fr(1), 2)])
def test_lemma6_reproduced_exactly(K, eta, B):
    """Hardt–Recht–Singer: the PEP value is exactly (2ηKρ/B)² — an exact rational certificate of the
    upper bound and the exact linear-loss instance attaining it; the float SDP agrees."""
    r = stability_bound("gd", K, eta, B)
    assert r.closed_form == 2 * eta * K / B == lemma6_bound(K, eta, B)
    assert r.exact and r.certificate["valid"] and r.certificate["psd"] and r.certificate["f_identity"]
    assert r.instance["feasible"] and Fr(r.instance["epsilon"]) == r.closed_form
    assert r.status == "optimal" and r.upper == pytest.approx(float(r.closed_form), rel=1e-6)


@pytest.mark.parametrize("K,eta,B,gamma", [(3, Fr(1, 2), 10, Fr(1)), (5, Fr(1, 3), 7, Fr(1, 2)),
                                           (4, Fr(1, 5), 100, Fr(3))])
def test_lemma9_reproduced_exactly(K, eta, B, gamma):
    r = stability_bound("prox", K, eta, B, gamma=gamma)
    assert r.closed_form == lemma9_bound(K, eta, B, gamma) == 2 / (B * gamma) * (1 - (1 - eta * gamma) ** K)
    assert r.exact and Fr(r.instance["epsilon"]) == r.closed_form
    assert r.upper == pytest.approx(float(r.closed_form), rel=1e-5)


def test_lemma9_free_pivot_and_scaling():
    """A free common pivot does not change the value; β, ρ ≠ 1 scale as ε ∝ ρ²/β at fixed ηβ, γ/β."""
    r = stability_bound("prox", 3, Fr(1, 3), 10, gamma=1, free_pivot=True, certify=False)
    assert r.upper == pytest.approx(float(lemma9_bound(3, Fr(1, 3), 10, 1)), rel=1e-6)
    s = stability_bound("gd", 3, Fr(1, 4), 10, beta=2, rho=3)
    assert s.exact and s.closed_form == lemma6_bound(3, Fr(1, 4), 10, rho=3)


def test_tampered_certificate_rejected():
    """The exact check is not a rubber stamp: a smaller bound, a changed multiplier or a negative one fail."""
    prob, meta = stability_pep("gd", 3, eta=1, B=10, arith="exact")
    lam, bound = gd_prox_certificate(prob, meta)
    assert check_certificate(prob, lam, bound)["valid"]
    assert not check_certificate(prob, lam, bound - Fr(1, 10**6))["valid"]
    k = next(iter(lam))
    assert not check_certificate(prob, {**lam, k: lam[k] * Fr(101, 100)}, bound)["valid"]
    k2 = max(lam)
    bad = check_certificate(prob, {**lam, k2 + 1 if k2 + 1 < len(prob.inequalities) else 0: Fr(-1)}, bound)
    assert not bad["valid"]
    inst = linear_instance(prob, meta)
    assert inst["feasible"] and inst["objective"] == bound
    # only the PSD test can reject this one: every multiplier and the bound halved keep the identity
    # (the objective has no function-value part) and the constant, but claim half the true worst case
    half = check_certificate(prob, {k: v / 2 for k, v in lam.items()}, bound / 2)
    assert half["f_identity"] and half["constant_ok"] and not half["psd"] and not half["valid"]


def test_exact_psd():
    assert exact_psd([[1, 1], [1, 1]]) == (True, 1)
    assert exact_psd([[1, 2], [2, 1]])[0] is False
    assert exact_psd([[0, 1], [1, 0]])[0] is False
    assert exact_psd([[Fr(1, 3), 0, 0], [0, 0, 0], [0, 0, 2]]) == (True, 2)


@pytest.fixture(scope="module")
def agd_rows():
    return sandwich(range(1, 6), eta=1, B=1000, seed=0)


def test_agd_sandwich_ordered(agd_rows):
    """Upper (PEP over the Lipschitz relaxation) ≥ lower (explicit instances) for K = 1..5; the upper
    bound ε grows with K; at K = 1, 2 both are Lemma 6's 2ηKρ²/B (no momentum yet with λ_init = 1)."""
    for r in agd_rows:
        assert r["status"] == "optimal"
        assert r["upper"] >= r["lower"] * (1 - 1e-6)
        assert r["upper_ratio"] <= r["quadratic_constant"] + 1e-6  # below Lemma 12's quadratic constant here
    ups = [r["upper"] for r in agd_rows]
    assert all(b > a for a, b in zip(ups, ups[1:]))
    assert agd_rows[0]["upper"] == pytest.approx(2 / 1000, rel=1e-6)
    assert agd_rows[1]["upper"] == pytest.approx(4 / 1000, rel=1e-6)


def test_agd_lower_bound_is_an_instance():
    lo = agd_lower_bound(3, 1000)
    assert lo["kind"] == "linear" and lo["ratio_rate"] == pytest.approx(0.7292785611, rel=1e-8)


@pytest.mark.parametrize("kw,msg", [
    (dict(method="gd", K=0, eta=1, B=10), "K must be"),
    (dict(method="gd", K=2, eta=2, B=10), "η ≤ 1/β"),
    (dict(method="gd", K=2, eta=1, B=1), "B must be"),
    (dict(method="prox", K=2, eta=1, B=10, gamma=1), "1/\\(β \\+ γ\\)"),
    (dict(method="prox", K=2, eta=Fr(1, 2), B=10), "give gamma"),
    (dict(method="agd", K=2, eta=1, B=10, arith="exact"), "irrational"),
    (dict(method="sgd", K=2, eta=1, B=10), "method must be"),
])
def test_bad_input(kw, msg):
    with pytest.raises(ValueError, match=msg):
        stability_pep(kw.pop("method"), kw.pop("K"), **kw)
