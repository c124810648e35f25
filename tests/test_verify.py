"""``verify`` (library and CLI): records, links to corrected versions, exit codes, and
planted errors.

A planted error is a copy of a registered statement whose bound (or, for a big-O
statement, explicit bound) is multiplied by 0.98, registered under a new id for the
duration of one test.  Every statement planted here is attained (its worst ratio is 1),
so the planted copy is false and ``verify`` must say so; the same copy must also make
an ordinary pytest-style numeric check (``assert_bound_holds``) fail, while the true
statement passes that check: neither check is one that cannot fail.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from boundcheck.cli.app import main
from boundcheck.engine import verify as _verify
from boundcheck.engine.search import recheck
from boundcheck.lang import unregister
from boundcheck.paper import REGISTRY, Statement, get_statement

RECORD_FIELDS = {"id", "status", "trials", "worst_ratio", "counterexample", "corrected_by"}
PLANT = sp.Rational(98, 100)


def planted(sid: str, factor: sp.Expr = PLANT, new_id: str | None = None) -> Statement:
    """A copy of ``sid`` with its bound × factor (the explicit bound for big-O statements);
    no links to printed/corrected versions, so verify checks the copy alone."""
    st = get_statement(sid)
    kw = {"id": new_id or f"{sid}_planted"}
    if st.explicit is not None:
        kw["explicit"] = st.explicit * factor
    else:
        kw["bound"] = st.bound * factor
    return st.copy(**kw)


@contextlib.contextmanager
def registered(st: Statement):
    assert st.id not in REGISTRY
    REGISTRY[st.id] = st
    try:
        yield st
    finally:
        REGISTRY.pop(st.id, None)


def assert_bound_holds(st: Statement, rounds: int = 20, C: int = 64, seed: int = 0) -> float:
    """The numeric check a test suite would write: draw admissible instances and assert
    LHS ≤ RHS.  A float64 violation beyond rounding (excess > 1e-9·(|LHS| + |RHS|) and
    > 1e-12: both sides are often exactly 0 in exact arithmetic, e.g. at a zero-loss
    optimum, and come out as ±1e-18 in float64) is confirmed in high precision before it fails the check (regret bounds are
    differences of nearly equal numbers, and attained bounds tie: float noise is not a
    violation).  Returns the worst ratio seen."""
    rng = np.random.default_rng(seed)
    worst = -np.inf
    for _ in range(rounds):
        struct, params = st.sample(rng, C)
        with np.errstate(all="ignore"):
            lhs, rhs, viol = st.run(struct, params)
        lhs, rhs = np.asarray(lhs, dtype=float), np.asarray(rhs, dtype=float)
        ok = np.ones(C, dtype=bool)
        for v in viol.values():
            ok &= ~np.asarray(v, dtype=bool)
        pos = ok & (rhs > 0)
        if pos.any():
            worst = max(worst, float(np.max(lhs[pos] / rhs[pos])))
        excess = ((lhs - rhs) > 1e-9 * (np.abs(lhs) + np.abs(rhs))) & ((lhs - rhs) > 1e-12)
        for j in np.nonzero(ok & excess)[0][:3]:
            chk = recheck(st, struct, {k: v[j:j + 1] for k, v in params.items()}, 1.0)
            assert not chk["is_counterexample"], (
                f"{st.id}: LHS {chk['lhs'][:20]} > RHS {chk['rhs'][:20]} at {struct} (high precision)")
    return worst


# ----------------------------------------------------------------------------- library
def test_verify_records_and_corrected_versions(tmp_path):
    records = _verify.verify(["lemma6", "theorem7"], trials=4096, seed=0, out_dir=tmp_path)
    by = {r.id: r for r in records}
    # theorem7 as printed is refuted and pulls in its corrected version
    assert set(by) == {"lemma6", "theorem7", "theorem7_corrected"}
    for r in records:
        d = r.as_dict()
        assert RECORD_FIELDS <= set(d), RECORD_FIELDS - set(d)
        json.dumps(d)  # JSON-ready
    assert by["lemma6"].status == "verified" and by["lemma6"].counterexample is None
    assert by["lemma6"].trials >= _verify.MIN_TRIALS
    assert 0.99 <= by["lemma6"].worst_ratio <= 1 + 1e-9  # attained bound, approached
    assert by["theorem7"].status == "refuted"
    assert by["theorem7"].corrected_by == "theorem7_corrected"
    assert Path(by["theorem7"].counterexample).exists()
    assert by["theorem7_corrected"].status == "verified"
    assert _verify.exit_code(records) == 0


def test_exit_code_rules():
    R = _verify.Record
    ok = R("a", "verified", 500, 0.9, 0.1, None, None)
    ref = R("b", "refuted", 10, 2.0, None, "x.json", "b_corrected")
    fix = R("b_corrected", "verified", 500, 0.5, 0.5, None, None)
    unres = R("c", "unresolved", 5, None, None, None, None)
    assert _verify.exit_code([ok]) == 0
    assert _verify.exit_code([ok, ref, fix]) == 0
    assert _verify.exit_code([ok, ref]) == 1  # corrected version not verified (not run)
    assert _verify.exit_code([ok, dataclasses.replace(ref, corrected_by=None)]) == 1
    assert _verify.exit_code([ok, unres]) == 1


# ----------------------------------------------------------------------------- CLI
def test_cli_verify_lemma6_json(tmp_path, capsys):
    out = tmp_path / "v.json"
    code = main(["verify", "--statement", "lemma6", "--trials", "4096", "--json", str(out),
                 "--out-dir", str(tmp_path / "ce")])
    text = capsys.readouterr().out
    assert code == 0, text
    run = json.loads(out.read_text())
    assert run["format"] == "boundcheck/verify" and run["seed"] == 0 and run["trials"] == 4096
    assert run["boundcheck"] and run["command"].startswith("boundcheck")
    recs = run["records"]
    assert isinstance(recs, list) and [r["id"] for r in recs] == ["lemma6"]
    assert RECORD_FIELDS <= set(recs[0])
    assert recs[0]["status"] == "verified"
    assert "lemma6" in text and "verified" in text


@pytest.mark.parametrize("argv", [["verify", "--statement", "lemma99"],
                                  ["verify", "--statement", "__import__('os')"],
                                  ["verify", "--budget", "-1", "--statement", "lemma6"],
                                  ["verify", "--trials", "0", "--statement", "lemma6"],
                                  ["verify", "--budget", "inf", "--statement", "lemma6"],
                                  ["verify", "--budget", "1e9", "--statement", "lemma6"],
                                  ["verify", "--seed", "-1", "--statement", "lemma6"],
                                  ["verify", "--statement", "gd"], ["verify", "--statement", "definition1"]])
def test_cli_verify_bad_input_exit_2(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() and err.strip().count("\n") == 0 and "Traceback" not in err


# ----------------------------------------------------------------------------- planted errors
# one per module: gd (lemma6), prox (lemma9), agd (lemma12, big-O: its explicit bound),
# prox (lemma8_corrected), general (theorem4_corrected)
PLANTED = ["lemma6", "lemma9", "lemma12", "lemma8_corrected", "theorem4_corrected"]


@pytest.mark.parametrize("sid", PLANTED)
def test_planted_error_is_refuted(sid, tmp_path):
    st = planted(sid)
    if get_statement(sid).big_o:
        assert st.explicit != get_statement(sid).explicit and st.bound == get_statement(sid).bound
    with registered(st):
        records = _verify.verify([st.id], trials=8192, seed=0, out_dir=tmp_path)
        assert [r.id for r in records] == [st.id]
        rec = records[0]
        assert rec.status == "refuted", rec
        assert _verify.exit_code(records) == 1
        assert Path(rec.counterexample).exists()
        saved = json.loads(Path(rec.counterexample).read_text())
        assert saved["statement"] == st.id
        # LHS/RHS is against the planted bound: above 1, and not above 1/0.98 (the true
        # statement holds on the same instance)
        assert 1 < saved["high_precision_check"]["ratio"] <= float(1 / PLANT) * (1 + 1e-12)
        assert main(["replay", rec.counterexample]) == 0


def test_planted_error_cli_exit_1(tmp_path, capsys):
    st = planted("lemma6", new_id="lemma6_planted_cli")
    with registered(st):
        code = main(["verify", "--statement", st.id, "--trials", "8192", "--out-dir", str(tmp_path),
                     "--json", str(tmp_path / "v.json")])
    out = capsys.readouterr().out
    assert code == 1, out
    assert json.loads((tmp_path / "v.json").read_text())["records"][0]["status"] == "refuted"
    assert st.id not in REGISTRY


@pytest.mark.parametrize("sid", PLANTED)
def test_numeric_confirmation_fails_on_planted_copy(sid):
    worst = assert_bound_holds(get_statement(sid))  # the true statement passes …
    assert worst <= 1 + 1e-9
    with pytest.raises(AssertionError):  # … the planted copy fails the same check
        assert_bound_holds(planted(sid))


# ----------------------------------------------------------------------------- user module
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "false_lemma.py"


@pytest.fixture
def unregister_false_lemma():
    yield
    unregister("false_gd_stability")


def test_false_lemma_example_is_refuted_and_replays(tmp_path, capsys, unregister_false_lemma):
    """examples/false_lemma.py: ε = ηKρ²/B (half of Lemma 6) through --module."""
    ce_dir = tmp_path / "ce"
    code = main(["verify", "--module", str(EXAMPLE), "--trials", "4096", "--out-dir", str(ce_dir),
                 "--json", str(tmp_path / "v.json")])
    out = capsys.readouterr().out
    assert code == 1, out
    recs = json.loads((tmp_path / "v.json").read_text())["records"]
    assert [(r["id"], r["status"]) for r in recs] == [("false_gd_stability", "refuted")]
    ce = ce_dir / "false_gd_stability.json"
    assert recs[0]["counterexample"] == str(ce) and ce.exists()
    assert main(["replay", "--module", str(EXAMPLE), str(ce)]) == 0
    assert "still a counterexample" in capsys.readouterr().out
    assert main(["search", "--module", str(EXAMPLE), "false_gd_stability", "--out", str(tmp_path / "s")]) == 0
    assert "found" in capsys.readouterr().out and list((tmp_path / "s").glob("false_gd_stability-*.json"))
    # the bound is exactly half of Lemma 6's, on the same instances
    assert sp.simplify(REGISTRY["false_gd_stability"].bound * 2 - get_statement("lemma6").bound) == 0
    # without the module the statement is unknown: the file is refused, nothing imported from it
    unregister("false_gd_stability")
    assert main(["replay", str(ce)]) == 2
    assert "unknown statement id 'false_gd_stability'" in capsys.readouterr().err
