"""Check your own lemma in pytest: the plugin runs a test file of @lemma functions as a user would.

A true lemma passes with its figures in the verbose line; a false one fails with LHS, RHS, the
instance and the path of its counterexample file, which the next run re-checks first; the
saved file replays through ``--module`` on the test file itself.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

USER_TESTS = '''
import boundcheck as bc
from boundcheck.testing import lemma

@lemma(trials=4096)
def test_gd_decreases_f():
    return bc.statement("gd_descent", "My lemma", cls=bc.SMOOTH_CONVEX, method="gd", setting=bc.one_batch(),
                        params={bc.eta: bc.Interval(0, 1 / bc.beta, left_open=True)},
                        lhs=bc.f(bc.w_out) - bc.f(bc.w_init), bound=0)

@lemma(trials=4096)
def test_gd_with_steps_up_to_3_over_beta_decreases_f():
    return bc.statement("gd_descent_3", "My false lemma", cls=bc.SMOOTH_CONVEX, method="gd", setting=bc.one_batch(),
                        params={bc.eta: bc.Interval(0, 3 / bc.beta, left_open=True)},
                        lhs=bc.f(bc.w_out) - bc.f(bc.w_init), bound=0)
'''


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_user_lemma_file_under_plain_pytest(tmp_path):
    (tmp_path / "test_mine.py").write_text(USER_TESTS)
    r = _pytest(tmp_path, "-v", "test_mine.py")
    out = r.stdout
    assert r.returncode == 1, out
    assert "test_gd_decreases_f VERIFIED (" in out and "admissible trials of 4096" in out
    assert "gd_descent_3 is refuted" in out and "LHS = " in out and "instance: {'family'" in out
    saved = tmp_path / ".boundcheck" / "examples" / "gd_descent_3.json"
    assert saved.exists() and str(saved) in out
    again = _pytest(tmp_path, "-q", "test_mine.py")  # the saved counterexample is re-checked first
    assert "a saved counterexample, re-checked first" in again.stdout
    rep = subprocess.run([sys.executable, "-m", "boundcheck", "replay", str(saved), "--module", "test_mine.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert rep.returncode == 0 and "still a counterexample" in rep.stdout


def test_options_and_marker(tmp_path):
    (tmp_path / "test_mine.py").write_text(USER_TESTS.replace("@lemma(trials=4096)\ndef test_gd_decreases_f():",
                                                              "@lemma(heavy=True)\ndef test_gd_decreases_f():"))
    r = _pytest(tmp_path, "-v", "--boundcheck-trials", "1024", "--boundcheck-seed", "3", "-m", "boundcheck_heavy",
                "test_mine.py")
    assert r.returncode == 0, r.stdout
    assert "admissible trials of 1024" in r.stdout and "1 deselected" in r.stdout


def test_new_statement_scaffold_runs_and_never_overwrites(tmp_path):
    run = [sys.executable, "-m", "boundcheck", "new-statement", "my_rate", "--setting", "minimizer"]
    r = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and (tmp_path / "test_my_rate.py").exists()
    again = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "never overwrites" in again.stderr
    t = _pytest(tmp_path, "-v", "--boundcheck-trials", "2048", "test_my_rate.py")
    assert t.returncode == 0 and "VERIFIED (" in t.stdout, t.stdout


PEP_TESTS = '''
import boundcheck as bc
import sympy as sp
from boundcheck.testing import lemma

D0 = sp.Symbol("D0", nonnegative=True)

def _dt(sid, denominator):
    return bc.statement(sid, "Drori-Teboulle", cls=bc.REALISABLE_SMOOTH_CONVEX, method="gd",
                        setting=bc.one_batch(comparator="minimizer"), params={bc.eta: bc.Defined(1 / bc.beta)},
                        lhs=bc.f(bc.w_out) - bc.f(bc.w_star), where={D0: bc.norm(bc.w_init - bc.w_star)},
                        bound=bc.beta * D0**2 / denominator)

@lemma(trials=512)
def test_tight_rate():
    return _dt("dt_tight", 4 * bc.K + 2)

@lemma(trials=512)
def test_barely_false_rate():
    return _dt("dt_barely_false", (4 * bc.K + 2) * sp.Rational(10001, 10000))
'''


def test_exact_worst_case_certifies_and_catches_what_the_search_misses(tmp_path):
    """A one-batch lemma gets exact PEP certificates in its verbose line; a bound that is false by
    0.1 % (beyond a 256-trial search) is refuted by an exact witness, which replays."""
    (tmp_path / "test_pep.py").write_text(PEP_TESTS)
    r = _pytest(tmp_path, "-v", "test_pep.py")
    out = r.stdout
    assert r.returncode == 1, out
    assert "test_tight_rate VERIFIED (" in out and "certificate: exact at 3/3 PEP points" in out, out
    assert "dt_barely_false is refuted" in out, out  # by the search, or else by the exact worst case
    # the PEP alone: a bound false by 0.01 % has an exact witness at K = 1 (ratio 1.0001)
    import runpy
    from boundcheck.testing import certify
    st = runpy.run_path(str(tmp_path / "test_pep.py"))["_dt"]("dt_barely_false",
                                                            (4 * __import__("boundcheck").K + 2) * __import__("sympy").Rational(10001, 10000))
    pep = certify(st, K=(1,), out_dir=tmp_path / ".boundcheck")
    assert pep.witness and pep.proved == 0, pep
    wit = sorted((tmp_path / ".boundcheck" / "witnesses").glob("dt_barely_false_K*.json"))
    assert wit
    rep = subprocess.run([sys.executable, "-m", "boundcheck", "replay", str(wit[0]), "--module", "test_pep.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert rep.returncode == 0 and "still a counterexample" in rep.stdout, rep.stdout + rep.stderr
    for c in (tmp_path / ".boundcheck" / "certificates").glob("dt_tight_K*.json"):
        chk = subprocess.run([sys.executable, "-m", "boundcheck", "check-certificate", str(c), "--module", "test_pep.py"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert chk.returncode == 0 and "VALID" in chk.stdout, chk.stdout + chk.stderr
