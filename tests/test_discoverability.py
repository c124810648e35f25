"""Discoverability and labels (issue 15, items 10 and 14): ``boundcheck list`` and ``show``,
``show --module`` (what the new-statement scaffold tells a user to run), partial ``verify``
results on Ctrl-C, the scaled ratio that ``search --scale`` prints, and ``figures --help``."""
from __future__ import annotations

import json

import pytest

from boundcheck.cli.app import main
from boundcheck.paper import ENCODINGS, REGISTRY


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse --help / usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _rows(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in out.splitlines() if line.split()}


def test_list_shows_every_id_and_the_last_run_statuses(tmp_path, capsys):
    last = tmp_path / "v.json"
    code, _, err = _run(["verify", "--statement", "lemma6", "--trials", "512", "--quiet", "--json", str(last),
                         "--out-dir", str(tmp_path / "ce")], capsys)
    assert code == 0, err
    code, out, err = _run(["list", "--last", str(last)], capsys)
    assert code == 0 and err == ""
    rows = _rows(out)
    assert set(REGISTRY) | set(ENCODINGS) <= set(rows)
    assert "verified" in rows["lemma6"] and "-" in rows["theorem7"] and "theorem7_corrected" in rows["theorem7"]
    assert "encoded" in rows["gd"]
    code, out, _ = _run(["list", "--last", str(tmp_path / "none.json")], capsys)  # no run known: '-' everywhere
    assert code == 0 and "verified" not in _rows(out)["lemma6"]


def test_show_prints_text_hypotheses_bound_corrections_and_proof_module(capsys):
    code, out, err = _run(["show", "theorem7"], capsys)
    assert code == 0 and err == ""
    assert out.startswith("Theorem 7 (theorem7, theorem, §4.1)")
    assert "printed: " in out and "η = min{1/β, (ρ/(KD))√(B/T)}" in out
    assert "hypothesis: " in out and "LHS ≤ the bound:" in out
    assert "named correction 'average'" in out and "named correction 'step_size'" in out
    assert "corrected by: theorem7_corrected" in out and "proof module: proofs/theorem7.py" in out


def test_show_takes_the_users_module_as_the_scaffold_says(tmp_path, capsys):
    """The new-statement scaffold's docstring says ``boundcheck show ID --module FILE``."""
    path = tmp_path / "test_my_claim.py"
    code, _, err = _run(["new-statement", "my_claim", "--out", str(path)], capsys)
    assert code == 0, err
    assert f"boundcheck show my_claim --module {path}" in path.read_text()
    try:
        code, out, err = _run(["show", "my_claim", "--module", str(path)], capsys)
        assert code == 0, err
        assert out.splitlines()[0] == "My lemma: my_claim (my_claim, lemma)" and "hypothesis: " in out
        assert "§" not in out.splitlines()[0]  # no empty section mark for a statement without one
    finally:
        from boundcheck.lang import unregister
        if "my_claim" in REGISTRY:
            unregister("my_claim")
    code, _, err = _run(["show", "my_claim"], capsys)  # without --module: one line, exit 2
    assert code == 2 and err.count("\n") == 1 and "unknown statement id 'my_claim'" in err


def test_ctrl_c_in_verify_keeps_the_settled_statements(tmp_path, capsys, monkeypatch):
    """Ctrl-C after one statement is settled: exit 130, and --json holds that statement, marked partial."""
    from boundcheck.engine import verify as V
    real = V.verify_statement

    def one_then_interrupt(chosen, **kw):
        kw["on_record"](real(REGISTRY["lemma6"], trials=512, seed=0, out_dir=kw.get("out_dir")))
        raise KeyboardInterrupt

    monkeypatch.setattr(V, "verify", one_then_interrupt)
    out = tmp_path / "v.json"
    code, _, err = _run(["verify", "--statement", "lemma6", "--statement", "lemma9", "--json", str(out),
                         "--out-dir", str(tmp_path / "ce")], capsys)
    assert code == 130
    assert f"partial results (1 of 2 statements) written to {out}" in err
    run = json.loads(out.read_text())
    assert run["interrupted"] is True and [r["id"] for r in run["records"]] == ["lemma6"]
    assert run["seed"] == 0 and run["command"].startswith("boundcheck") and run["boundcheck"]


def test_search_with_a_scale_prints_the_scaled_ratio_next_to_the_printed_one(tmp_path, capsys):
    """Item 10: 'found yes' next to 'best ratio 1' was confusing; the scaled ratio (> 1 refutes) is printed too."""
    code, out, err = _run(["search", "lemma9", "--scale", "0.98", "--trials", "3000", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    ratios = {line.split("  ")[0].strip(): line.split()[-1] for line in out.splitlines() if "best ratio" in line}
    assert float(ratios["best ratio LHS/RHS (bound as printed)"]) <= 1 + 1e-9
    assert float(ratios["best ratio LHS/(S·RHS), S = 0.98 (> 1 refutes)"]) > 1


def test_figures_help_prints_percent_signs_once(capsys):
    code, out, _ = _run(["figures", "--help"], capsys)
    assert code == 0 and "1%" in out and "%%" not in out


@pytest.mark.parametrize("cmd", ["verify", "search", "show", "replay"])
def test_module_option_everywhere_a_statement_id_is_taken(cmd, capsys):
    code, out, _ = _run([cmd, "--help"], capsys)
    assert code == 0 and "--module" in out


def test_replaying_a_users_file_without_its_module_says_to_pass_it(tmp_path, capsys):
    """Item 11: a counterexample of a statement of one's own, replayed without --module, gets a hint."""
    code, _, err = _run(["search", "lemma9", "--scale", "0.98", "--trials", "3000", "--out", str(tmp_path), "--quiet"],
                        capsys)
    assert code == 0, err
    (f,) = tmp_path.glob("lemma9-*.json")
    d = json.loads(f.read_text())
    d["statement"] = "my_own_lemma"
    f.write_text(json.dumps(d))
    code, out, err = _run(["replay", str(f)], capsys)
    assert code == 2 and err.count("\n") == 1 and "unknown statement id 'my_own_lemma'" in err
    assert "pass its file with --module" in err
    # not "malformed": the file is fine, this process does not know the statement (issue 15 item 14)
    assert "unknown statement id 'my_own_lemma' (a statement of your own? pass its file with --module PATH)" in err
    assert "malformed" not in err


def test_verify_table_explains_its_dashes(tmp_path, capsys):
    """Item 10: '-' in the verify table is explained under it."""
    code, out, _ = _run(["verify", "--statement", "lemma6", "--trials", "512", "--out-dir", str(tmp_path)], capsys)
    assert code == 0
    table = out.split("'-': ", 1)
    assert " - " in table[0] and len(table) == 2 and "no value" in table[1]


def test_plain_verify_records_its_statuses_for_list(tmp_path, capsys, monkeypatch):
    """Issue 15 item 14: a plain 'boundcheck verify' (no --json) records its statuses in reports/last-verify.json
    (a boundcheck/verify file, written atomically) and 'list' shows them; a later run of other statements keeps them."""
    from boundcheck.outputs import files
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(["verify", "--statement", "lemma6", "--trials", "512", "--quiet"], capsys)
    assert code == 0, err
    last = tmp_path / "reports" / "last-verify.json"
    rec = files.load(last, "verify")
    assert rec["last_run"] is True and [(r["id"], r["status"]) for r in rec["records"]] == [("lemma6", "verified")]
    assert rec["records"][0]["fingerprint"] == REGISTRY["lemma6"].fingerprint() and rec["seed"] == 0
    assert not list((tmp_path / "reports").glob("*.tmp*"))  # nothing half-written left
    code, out, err = _run(["list"], capsys)
    assert code == 0 and err == "" and "verified" in _rows(out)["lemma6"] and "reports/last-verify.json" in out
    assert "verified" not in _rows(out)["lemma9"]
    code, _, err = _run(["verify", "--statement", "lemma9", "--trials", "512", "--quiet"], capsys)
    assert code == 0, err
    rows = _rows(_run(["list"], capsys)[1])
    assert "verified" in rows["lemma6"] and "verified" in rows["lemma9"]  # lemma6's status kept
    # a status recorded for another declaration of the statement is marked
    rec = json.loads(last.read_text())
    rec["records"][0]["fingerprint"] = "0" * 16
    last.write_text(json.dumps(rec))
    code, out, _ = _run(["list"], capsys)
    assert code == 0 and "(older declaration)" in out.split("lemma6", 1)[1].splitlines()[0]
    # --out-dir elsewhere: the record goes next to it
    code, _, err = _run(["verify", "--statement", "lemma6", "--trials", "512", "--quiet", "--out-dir",
                         str(tmp_path / "other" / "ce")], capsys)
    assert code == 0 and (tmp_path / "other" / "last-verify.json").is_file()


def test_list_json_is_a_plain_listing_not_a_run_record(tmp_path, capsys):
    """'list --json' writes the listing as plain JSON (no boundcheck/<kind> envelope: it is no verify record),
    so '--last' refuses it with one line and exit 2; a bad --json path is refused before anything is written."""
    out = tmp_path / "list.json"
    code, _, err = _run(["list", "--quiet", "--json", str(out), "--last", str(tmp_path / "none.json")], capsys)
    assert code == 0, err
    d = json.loads(out.read_text())
    assert "format" not in d and {r["id"] for r in d["list"]} >= set(REGISTRY) and d["last_statuses_from"] is None
    code, _, err = _run(["list", "--last", str(out)], capsys)
    assert code == 2 and err.count("\n") == 1 and "not a boundcheck/verify" in err
    code, _, err = _run(["list", "--json", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1
