"""The PEP engine's core: statements as PEPs, closed forms, hypotheses enforced, bad input."""
from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from boundcheck.paper import get_statement
from boundcheck.pep.forms import NotAPepQuantity
from boundcheck.pep.statements import build

ROOT = Path(__file__).resolve().parents[1]


def _ex(name: str) -> dict:
    return runpy.run_path(str(ROOT / "examples" / f"{name}.py"))


def _ratio(st, K, vals, solver="clarabel"):
    return build(st, K, vals).problem("ratio").solve(solver).value


@pytest.mark.parametrize("K", [1, 2, 5])
def test_drori_teboulle_tight_and_its_false_variant_exact(K):
    ns = _ex("drori_teboulle_gd")
    assert _ratio(ns["GD_RATE"], K, {}) == pytest.approx(1.0, abs=1e-6)
    # β‖w_0 − w*‖²/(4N + 4) is broken by exactly (4N + 4)/(4N + 2)
    assert _ratio(ns["GD_RATE_FALSE"], K, {}) == pytest.approx((4 * K + 4) / (4 * K + 2), rel=1e-6)


@pytest.mark.parametrize("K", [1, 3, 6])
def test_strongly_convex_contraction_closed_form(K):
    # GD with η = 1/L on L-smooth μ-strongly convex f: ‖w_K − w*‖² ≤ (1 − μ/L)^{2K}‖w_0 − w*‖², tight;
    # the declared bound is (1 − ημ)^K, so the worst ratio is (1 − μ/L)^K with L = β + μ
    ns = _ex("strongly_convex_gd")
    mu, L = 0.25, 1.25
    assert _ratio(ns["CONTRACTION"], K, {"mu": "1/4", "eta_frac": "1"}) == pytest.approx((1 - mu / L) ** K, rel=1e-6)


@pytest.mark.parametrize("K,u", [(1, "1"), (3, "1"), (4, "1/2")])
def test_lemma5_is_tight_over_all_smooth_convex_functions(K, u):
    assert _ratio(get_statement("lemma5"), K, {"eta_frac": u}) == pytest.approx(1.0, abs=1e-4)


def test_false_statements_have_a_positive_difference_and_true_ones_none():
    for sid, vals, K, bad in [("lemma5", {"eta_frac": "1"}, 4, False), ("lemma5_potential", {"eta_frac": "1"}, 3, True),
                              ("lemma8_corrected", {"gamma": "1/2", "eta_frac": "1"}, 3, False),
                              ("lemma8", {"gamma": "1/2", "eta_frac": "1"}, 3, True),
                              ("lemma11_corrected", {"lambda_init": "1", "eta_frac": "1"}, 3, False),
                              ("lemma11", {"lambda_init": "1/2", "eta_frac": "1"}, 1, True)]:
        v = build(get_statement(sid), K, vals).problem("difference").solve().value
        assert (v > 1e-3) if bad else (v < 1e-6), (sid, v)


def test_scaling_beta_keeps_the_ratio():
    # metamorphic: f → c·f with η → η/c leaves Lemma 5's worst ratio unchanged
    st = get_statement("lemma5")
    a = _ratio(st, 3, {"eta_frac": "1/2"})
    b = _ratio(st, 3, {"eta_frac": "1/2", "beta": "4"})
    assert a == pytest.approx(b, rel=1e-5)


def test_declared_hypotheses_are_enforced():
    with pytest.raises(ValueError, match="violates the hypothesis"):
        build(get_statement("lemma5"), 2, {"eta_frac": "3/2"})
    with pytest.raises(ValueError, match="violates the hypothesis"):
        build(get_statement("lemma11_corrected"), 2, {"lambda_init": "1/2", "eta_frac": "1"})
    with pytest.raises(ValueError, match="unknown PEP parameter"):
        build(get_statement("lemma5"), 2, {"eta_frac": "1", "zeta": "1"})
    with pytest.raises(ValueError, match="rational"):
        build(get_statement("lemma5"), 2, {"eta_frac": "__import__('os')"})


def test_quantities_that_are_not_quadratic_are_refused():
    import sympy as sp

    from boundcheck import SMOOTH_CONVEX, Interval, beta, eta, f, norm, one_batch, statement, w_init, w_out, w_star
    d0 = sp.Symbol("d0", nonnegative=True)
    st = statement("tmp_not_quadratic", "-", cls=SMOOTH_CONVEX, method="gd", setting=one_batch(),
                   params={eta: Interval(0, 1 / beta, left_open=True)}, lhs=f(w_out) - f(w_star),
                   where={d0: norm(w_init - w_star)}, bound=d0)  # ‖·‖, not squared
    with pytest.raises(NotAPepQuantity, match="squared"):
        build(st, 2, {"eta_frac": "1"})


def test_stability_statements_are_pointed_to_the_two_trajectory_pep():
    with pytest.raises(ValueError, match="one-batch"):
        build(get_statement("lemma6"), 2, {"eta_frac": "1"})


def test_solvers_agree():
    inst = build(_ex("drori_teboulle_gd")["GD_RATE_FALSE"], 5, {})
    a = inst.problem("ratio").solve("clarabel").value
    b = inst.problem("ratio").solve("scs").value
    assert a == pytest.approx(b, rel=1e-5) and a == pytest.approx(24 / 22, rel=1e-5)


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "boundcheck", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_cli_pep_bad_input_is_one_line_exit_2(tmp_path):
    for args in (["pep", "lemma5", "--K", "1", "--eta-frac", "2"], ["pep", "nope"], ["pep", "lemma5", "--K", "0"],
                 ["pep", "lemma5", "--K", "1", "--eta-frac", "x"], ["pep", "theorem7", "--K", "1"],
                 ["pep", "lemma5", "--K", "1", "--json", str(tmp_path)]):
        r = _cli(*args, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    assert not any(tmp_path.iterdir())


def test_cli_pep_solves_a_grid_without_certifying(tmp_path):
    r = _cli("pep", "lemma5", "--K", "1,2", "--eta-frac", "1", "--no-certify", "--json", str(tmp_path / "p.json"),
             cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "unsettled" in r.stdout
    from boundcheck.outputs import files
    rec = files.load(tmp_path / "p.json", kind="pep")
    assert [row["K"] for row in rec["rows"]] == [1, 2]
    assert all(abs(row["ratio"] - 1) < 1e-4 for row in rec["rows"])


def test_cli_pep_reproduces_lemma6_exactly_and_prints_the_sandwich(tmp_path):
    r = _cli("pep", "lemma6", "--K", "1,3", "--json", str(tmp_path / "l6.json"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    from boundcheck.outputs import files
    rows = files.load(tmp_path / "l6.json", kind="pep")["rows"]
    assert [row["verdict"] for row in rows] == ["proved"] * 4
    # ε = 2ηKρ²/B exactly (B = 10, η = 1/2 and 1)
    assert sorted(row["extra"]["closed_form"] for row in rows) == sorted(["1/10", "1/5", "3/10", "3/5"])
    s = _cli("pep", "lemma12_smooth_convex", "--sandwich", "--K", "1..3", cwd=tmp_path)
    assert s.returncode == 0, s.stderr
    assert "upper/lower" in s.stdout and "3 rows" in s.stdout
    bad = _cli("pep", "lemma6", "--sandwich", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


USER_MODULE = '''
import boundcheck as bc
STATEMENTS = [bc.statement("gd_no_increase", "My lemma", cls=bc.SMOOTH_CONVEX, method="gd", setting=bc.one_batch(),
                           params={bc.eta: bc.Interval(0, 1 / bc.beta, left_open=True)},
                           lhs=bc.f(bc.w_out) - bc.f(bc.w_init), bound=0),
              bc.statement("gd_no_increase_3", "My false lemma", cls=bc.SMOOTH_CONVEX, method="gd",
                           setting=bc.one_batch(), params={bc.eta: bc.Interval(0, 3 / bc.beta, left_open=True)},
                           lhs=bc.f(bc.w_out) - bc.f(bc.w_init), bound=0)]
'''


def test_cli_pep_on_a_users_module_with_default_points(tmp_path):
    (tmp_path / "mine.py").write_text(USER_MODULE)
    ok = _cli("pep", "gd_no_increase", "--module", "mine.py", "--K", "1,2", "--json", "a.json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    from boundcheck.outputs import files
    rows = files.load(tmp_path / "a.json", kind="pep")["rows"]
    assert [(r["K"], r["params"]["eta_frac"], r["verdict"]) for r in rows] == [
        (1, "1/2", "proved"), (1, "1", "proved"), (2, "1/2", "proved"), (2, "1", "proved")]
    bad = _cli("pep", "gd_no_increase_3", "--module", "mine.py", "--K", "1", "--json", "b.json", cwd=tmp_path)
    assert bad.returncode == 0, bad.stderr  # every point settled (one refuted)
    rows = files.load(tmp_path / "b.json", kind="pep")["rows"]
    assert any(r["verdict"] == "refuted" for r in rows), rows  # η = 3/β: f increases
    wit = next(r["file"] for r in rows if r["verdict"] == "refuted")
    rep = _cli("replay", wit, "--module", "mine.py", cwd=tmp_path)
    assert rep.returncode == 0 and "still a counterexample" in rep.stdout, rep.stdout + rep.stderr


def test_lemma5_closed_form_certificate_is_what_the_engine_finds_and_checks_for_every_K():
    from boundcheck.pep.certificate import certificate_record, check_certificate, prove
    from boundcheck.pep.classic import lemma5_certificate
    found = prove(get_statement("lemma5"), 4, {"eta_frac": "1/2"})
    closed = lemma5_certificate(4, "1/2")
    assert [(i, str(v)) for i, _, v in found.multipliers] == [(i, str(v)) for i, _, v in closed.multipliers]
    for K in list(range(1, 13)) + [20]:
        for u in ("1/4", "1"):
            res = check_certificate(certificate_record(lemma5_certificate(K, u)))
            assert res.valid and str(res.delta) == "0", (K, u, res.reason)
    bad = lemma5_certificate(5, "1")._replace(multipliers=[(i, lab, v * 2 if n == 0 else v) for n, (i, lab, v) in
                                                            enumerate(lemma5_certificate(5, "1").multipliers)])
    assert not check_certificate(certificate_record(bad)).valid


def test_iterate_terms_index_like_the_numeric_settings():
    """w(j) in a quantity: w(−1) is w_out and w(0) is w_init, as in the search's settings."""
    import numpy as np

    from boundcheck import f, norm, w, w_star
    st = get_statement("lemma5")
    a = build(st, 3, {"eta_frac": "1"})
    b = build(st.copy(id="tmp_w", lhs=f(w(-1)) - f(w_star)), 3, {"eta_frac": "1"})
    assert np.array_equal(a.lhs.a, b.lhs.a)
    d_init = sp.Symbol("d_init", nonnegative=True)
    c = build(st.copy(id="tmp_w0", where={**st.where, d_init: norm(w(0) - w_star)}), 3, {"eta_frac": "1"})
    assert np.array_equal(a.rhs.Q, c.rhs.Q)
    with pytest.raises(ValueError, match="iterates"):
        build(st.copy(id="tmp_w9", lhs=f(w(9))), 3, {"eta_frac": "1"})
