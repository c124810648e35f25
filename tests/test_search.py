"""``boundcheck search``: finds what is there, and only that — with count budgets.

Lemma 6 and Lemma 9 are attained (LHS = RHS on some instances), so with the bound × 0.98
the default trials must find a counterexample for every seed, and with the bound as printed
(S = 1) they must not, while coming close (best ratio ≥ 0.99: the search did its work).
Budgets are counts, so the same seed and trials give the same result under any load: a test
runs the same search twice and compares the JSON.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from boundcheck.cli.app import main

RELAX_ETA_PROX = "η ≤ 1/(β + γ)"
RELAX_ETA = "η ≤ 1/β"


def _search(tmp_path: Path, capsys, *args: str) -> tuple[int, dict, str, str, Path]:
    out_json = tmp_path / "result.json"
    ce_dir = tmp_path / "ce"
    try:
        code = main(["search", *args, "--json", str(out_json), "--out", str(ce_dir)])
    except SystemExit as exc:  # a usage error from argparse (one line, exit 2)
        code = exc.code
    out, err = capsys.readouterr()
    res = json.loads(out_json.read_text()) if out_json.exists() else {}
    return code, res, out, err, ce_dir


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("sid", ["lemma6", "lemma9"])
def test_scaled_tight_bound_is_refuted_and_replays(sid, seed, tmp_path, capsys):
    code, res, out, err, ce_dir = _search(tmp_path, capsys, sid, "--scale", "0.98", "--seed", str(seed))
    assert code == 0, err
    for key in ("found", "best_ratio", "scale", "counterexample", "evaluations", "seconds", "stopped_by"):
        assert key in res, key
    assert res["found"] is True and res["stopped_by"] == "found"
    assert res["scale"] == 0.98
    assert res["best_ratio"] > 0.98
    assert 0 < res["evaluations"] <= res["trials_budget"]
    ce = Path(res["counterexample"])
    assert ce.parent == ce_dir and ce.name == f"{sid}-scale0.98-seed{seed}.json" and ce.exists()
    saved = json.loads(ce.read_text())
    assert saved["format"] == "boundcheck/counterexample" and saved["statement"] == sid and saved["scale"] == 0.98
    assert saved["high_precision_check"]["is_counterexample"] is True
    assert main(["replay", str(ce)]) == 0
    assert "still a counterexample" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 20))
@pytest.mark.parametrize("sid", ["lemma6", "lemma9"])
def test_scaled_tight_bound_is_refuted_every_seed(sid, seed, tmp_path, capsys):
    """The default trials refute the 2 %-shrunk tight bounds for every seed 0–19."""
    code, res, *_ = _search(tmp_path, capsys, sid, "--scale", "0.98", "--seed", str(seed))
    assert code == 0 and res["found"] is True, res


def _assert_not_refuted(sid, seed, tmp_path, capsys):
    code, res, out, err, ce_dir = _search(tmp_path, capsys, sid, "--seed", str(seed))
    assert code == 0, err
    assert res["found"] is False, f"{sid} (a true statement) reported refuted: {res}"
    assert res["counterexample"] is None and not any(ce_dir.glob("*.json"))
    assert res["scale"] == 1.0 and res["stopped_by"] == "trials"
    # the search did its work: it came within 1 % of the attained bound, never above it
    assert 0.99 <= res["best_ratio"] <= 1 + 1e-9, res["best_ratio"]
    assert res["evaluations"] == res["trials_budget"] >= res["trials"] > 1000


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("sid", ["lemma6", "lemma9"])
def test_true_tight_bound_is_not_refuted(sid, seed, tmp_path, capsys):
    _assert_not_refuted(sid, seed, tmp_path, capsys)


def test_same_seed_and_trials_give_identical_json(tmp_path, capsys):
    """Reproducible under any load: the result depends on the seed and the count, not the clock."""
    outs = []
    for k in range(2):
        d = tmp_path / str(k)
        d.mkdir()
        code, res, *_ = _search(d, capsys, "lemma9", "--scale", "0.98", "--seed", "7", "--trials", "3000")
        assert code == 0
        for key in ("seconds", "created", "command"):
            res.pop(key, None)
        res["counterexample"] = Path(res["counterexample"]).name if res["counterexample"] else None
        outs.append(res)
    assert outs[0] == outs[1]


def test_relaxed_eta_is_reported_never_a_counterexample(tmp_path, capsys):
    """Corrected Lemma 8 needs η ≤ 1/(β + γ).  With ``--relax eta`` the search also draws
    larger steps: the instances that break the bound that way are counted (re-checked in
    high precision) under the hypothesis, never reported or saved as counterexamples."""
    code, res, out, err, ce_dir = _search(tmp_path, capsys, "lemma8_corrected", "--relax", "eta", "--trials", "4000")
    assert code == 0, err
    assert res["found"] is False and res["counterexample"] is None and not any(ce_dir.glob("*.json"))
    assert res["inadmissible"].get(RELAX_ETA_PROX, 0) > 0
    assert res["would_refute_without"].get(RELAX_ETA_PROX, 0) >= 1, res
    assert "would refute the bound if the hypothesis" in out


def test_relaxed_eta_on_lemma6_reports_no_would_refute(tmp_path, capsys):
    """Lemma 6 survives larger steps in this setting (the certified ρ grows with the
    iterates); float64 ties at attained instances must not be reported as would-refute."""
    code, res, out, err, ce_dir = _search(tmp_path, capsys, "lemma6", "--relax", "eta", "--trials", "4000")
    assert code == 0, err
    assert res["found"] is False and not any(ce_dir.glob("*.json"))
    assert res["inadmissible"].get(RELAX_ETA, 0) > 0
    assert res["would_refute_without"] == {}


@pytest.mark.parametrize("sid", ["theorem7", "theorem7_corrected", "theorem10", "table2"])
def test_relax_of_a_defined_step_size_is_one_line_exit_2(sid, tmp_path, capsys):
    """Theorems 7 and 10 define η by a formula: there is no domain to relax (was KeyError: 'u')."""
    code, res, out, err, _ = _search(tmp_path, capsys, sid, "--relax", "eta", "--trials", "64")
    assert code == 2 and err.count("\n") == 1 and "cannot relax" in err and "Traceback" not in err


@pytest.mark.parametrize("family", ["logistic", "least-squares", "no-such-family"])
def test_inadmissible_family_exits_2(family, tmp_path, capsys):
    code, res, out, err, ce_dir = _search(tmp_path, capsys, "lemma6", "--family", family)
    assert code == 2
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert not ce_dir.exists() and res == {}
    if family != "no-such-family":
        assert "not in lemma6's function class" in err


@pytest.mark.parametrize("args", [["lemma99"], ["lemma6", "--scale", "0"], ["lemma6", "--scale", "nan"],
                                  ["lemma6", "--scale", "-1"], ["lemma6", "--budget", "0"], ["lemma6", "--trials", "0"],
                                  ["lemma6", "--budget", "inf"], ["lemma6", "--seed", "-1"], ["gd"], ["definition1"]])
def test_bad_arguments_exit_2(args, tmp_path, capsys):
    code, res, out, err, ce = _search(tmp_path, capsys, *args)
    assert code == 2
    assert err.strip().count("\n") == 0 and "Traceback" not in err


def test_search_rechecks_the_saved_counterexample_first_and_no_reuse_turns_it_off(tmp_path, capsys):
    """Issue 11 item 4: before searching, ``search ID`` re-checks the counterexamples saved in --out for the same
    declaration (its fingerprint), as ``verify`` and the pytest plugin do; ``--no-reuse`` searches anyway."""
    args = ("lemma9", "--scale", "0.98", "--trials", "3000")
    code, first, out, err, ce_dir = _search(tmp_path, capsys, *args, "--seed", "7")
    assert code == 0 and first["found"] is True and first["reused"] is None and first["rechecked_first"] == []
    saved = Path(first["counterexample"])
    assert "saved counterexample" not in out.split("\n")[0]

    # the same statement again (another seed): the saved file is re-checked, nothing is drawn, no new file
    code, again, out, err, _ = _search(tmp_path, capsys, *args, "--seed", "1")
    assert code == 0, err
    assert f"re-checked saved counterexample {saved} first: still a counterexample" in out
    assert again["found"] is True and again["reused"] == str(saved) and again["counterexample"] == str(saved)
    assert again["evaluations"] == 0 and again["rechecked_first"] == [str(saved)]
    assert sorted(p.name for p in ce_dir.iterdir()) == [saved.name]
    # a smaller shrink (bound × 0.97) is refuted by it too: a file saved at scale s ≥ S is a candidate
    code, smaller, out, *_ = _search(tmp_path, capsys, "lemma9", "--scale", "0.97", "--trials", "3000")
    assert code == 0 and smaller["reused"] == str(saved) and smaller["scale"] == 0.97
    # a file saved against a smaller bound is no candidate for a larger one: S = 1 searches (and finds nothing)
    code, printed, out, *_ = _search(tmp_path, capsys, "lemma9", "--trials", "500")
    assert code == 0 and printed["reused"] is None and printed["rechecked_first"] == [] and "saved counterexample" not in out

    # --no-reuse: a fresh search, with its own file
    code, fresh, out, err, _ = _search(tmp_path, capsys, *args, "--seed", "1", "--no-reuse")
    assert code == 0, err
    assert "saved counterexample" not in out and fresh["reused"] is None and fresh["evaluations"] > 0
    assert Path(fresh["counterexample"]).name == "lemma9-scale0.98-seed1.json"

    # a file for another declaration (stale fingerprint) is not trusted: skipped, and the search runs
    for p in ce_dir.iterdir():
        rec = json.loads(p.read_text())
        rec["fingerprint"] = "0" * len(rec["fingerprint"])
        p.write_text(json.dumps(rec))
    code, stale, out, *_ = _search(tmp_path, capsys, *args, "--seed", "7")
    assert code == 0 and stale["reused"] is None and stale["rechecked_first"] == [] and stale["evaluations"] > 0


def test_search_says_when_no_saved_counterexample_still_holds(tmp_path, capsys):
    """A saved file that is no longer a counterexample (here: rewritten to claim scale 1, which the instance does
    not refute) is re-checked, reported as such, and the search runs."""
    code, first, *_ = _search(tmp_path, capsys, "lemma9", "--scale", "0.98", "--seed", "7", "--trials", "3000")
    assert code == 0 and first["found"] is True
    p = Path(first["counterexample"])
    rec = json.loads(p.read_text())
    rec["scale"] = 1.0
    p.write_text(json.dumps(rec))
    code, res, out, err, _ = _search(tmp_path, capsys, "lemma9", "--trials", "400")
    assert code == 0, err
    assert "re-checked 1 saved counterexample(s) first: none is still a counterexample" in out
    assert res["reused"] is None and res["rechecked_first"] == [str(p)] and res["evaluations"] > 0


@pytest.mark.parametrize("family", ["smooth-convex", "all", "huber"])
def test_family_beyond_the_class_names_the_statement_that_covers_it(family, tmp_path, capsys):
    """Issue 12 item 2: no lemma12 special case in the CLI — a --family outside the statement's class, covered by
    another declaration of the same claim (bound, explicit bound, method, setting), is refused naming it."""
    code, res, out, err, ce_dir = _search(tmp_path, capsys, "lemma12", "--family", family)
    assert code == 2 and not res and not ce_dir.exists()
    assert len(err.strip().splitlines()) == 1
    assert "the same claim beyond them is Section 6 conjecture (lemma12_smooth_convex, a conjecture)" in err
    assert "'boundcheck search lemma12_smooth_convex --growth 5,10,20,40,80'" in err


def test_family_beyond_the_class_is_derived_from_the_declaration(tmp_path, capsys):
    """The same rule for a user's statement with another id: derived from its fields, not its name."""
    import dataclasses

    from boundcheck.lang import register, unregister
    from boundcheck.paper import get_statement
    mine = dataclasses.replace(get_statement("lemma12"), id="my_agd_quadratic_stability")
    register(mine)
    try:
        code, _, _, err, _ = _search(tmp_path, capsys, "my_agd_quadratic_stability", "--family", "smooth-convex")
        assert code == 2 and "(lemma12_smooth_convex, a conjecture)" in err
        # within the class: searched as before
        code, res, _, err, _ = _search(tmp_path, capsys, "my_agd_quadratic_stability", "--family", "quadratics",
                                       "--trials", "64")
        assert code == 0 and res["found"] is False, err
    finally:
        unregister("my_agd_quadratic_stability")
    # a statement no other declaration extends keeps the plain message
    code, _, _, err, _ = _search(tmp_path, capsys, "lemma6", "--family", "logistic")
    assert code == 2 and "lemma6's function class" in err and "same claim beyond" not in err
    src = (Path(__file__).parents[1] / "boundcheck" / "cli" / "commands" / "search.py").read_text(encoding="utf-8")
    assert "lemma12" not in src.replace("Lemma 12", "")
