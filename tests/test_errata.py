"""Errata one error at a time: every refuted statement carries a diagnosis (issue 14).

Uses the session's default ``verify`` (tests/conftest.py): its records carry, for every refuted
statement with declared corrections, the minimal sets of corrections that make it hold and a
counterexample of its own for every insufficient set; readings are searched one by one.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from boundcheck.cli.app import main
from boundcheck.engine.replay import replay
from boundcheck.lang.corrections import variant
from boundcheck.paper import REGISTRY, get_statement

REFUTED_WITH_CORRECTIONS = ["theorem4", "lemma5_potential", "theorem7", "lemma8", "theorem10", "lemma11", "theorem13"]


def test_every_refuted_statement_has_a_diagnosis(default_verify):
    for sid, r in default_verify.items():
        if r.status == "refuted":
            assert r.diagnosis is not None, sid
            d = r.diagnosis
            assert set(d) >= {"corrections", "minimal", "subsets"}
            assert set(d["corrections"]) == {c.name for c in REGISTRY[sid].corrections}
            for s in d["subsets"]:
                assert set(s) >= {"apply", "status", "counterexample"}
    assert {i for i, r in default_verify.items() if r.status == "refuted"} == set(REFUTED_WITH_CORRECTIONS)


def test_theorem7_needs_both_corrections(default_verify):
    d = default_verify["theorem7"].diagnosis
    assert d["minimal"] and all({"average", "step_size"} <= set(m) for m in d["minimal"])
    for s in d["subsets"]:
        if set(s["apply"]) != {"average", "step_size"}:
            assert s["status"] == "refuted", s
            out = replay(s["counterexample"])  # each insufficient set: its own replayable counterexample
            assert out["still_counterexample"], s
            assert json.loads(Path(s["counterexample"]).read_text())["statement"] == s["id"]


def test_theorem10_with_only_the_average_corrected_is_settled(default_verify):
    """The printed γ and the printed constant, Algorithm 1 with the proof's average."""
    d = default_verify["theorem10"].diagnosis
    row = next(s for s in d["subsets"] if s["apply"] == ["average"])
    assert row["status"] in ("verified", "refuted")
    assert row["status"] == "verified" and row["trials"] >= 1000, row  # numeric evidence: no violation, ratio below 1
    assert ["average"] in d["minimal"]


def test_theorem4_is_refuted_under_both_readings_of_epsilon(default_verify):
    d = default_verify["theorem4"].diagnosis
    ur = d["under_readings"]
    assert set(ur["status"].values()) == {"refuted"} and len(ur["status"]) == 2
    every = ur["counterexample_under_every_reading"]
    assert every is not None and replay(every["counterexample"])["still_counterexample"]
    rec = json.loads(Path(every["counterexample"]).read_text())
    assert rec["structure"]["family"] == "linear"  # ε does not depend on the start: both readings


def test_step_size_alone_of_theorems_7_and_13(default_verify):
    t7 = {tuple(s["apply"]): s["status"] for s in default_verify["theorem7"].diagnosis["subsets"]}
    assert t7[("step_size",)] == "refuted" and t7[("average",)] == "refuted"
    t13 = {tuple(s["apply"]): s["status"] for s in default_verify["theorem13"].diagnosis["subsets"]}
    assert t13[()] == "refuted" and t13[("step_size",)] == "verified"


def test_all_corrections_give_the_registered_corrected_statement():
    """Applying every declared correction reproduces the corrected statement registered beside it."""
    from boundcheck.engine.diagnosis import _same_claim
    for sid in REFUTED_WITH_CORRECTIONS:
        st = REGISTRY[sid]
        if sid == "theorem13":
            continue  # its corrected statement is the sharper explicit bound; the correction keeps the rate
        v = variant(st, [c.name for c in st.corrections])

        class R:  # what _same_claim reads of a record
            id = st.corrected_by
        assert _same_claim(v, R), sid


def test_variant_ids_resolve_for_replay():
    v = get_statement("theorem7+average")
    assert v.setting.output == "proof" and v.id == "theorem7+average"
    with pytest.raises(ValueError):
        get_statement("theorem7+nonsense")


def test_verify_table_says_what_must_change(tmp_path, capsys):
    code = main(["verify", "--statement", "theorem7", "--out-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "diagnosis: theorem7: needs both *Algorithm 1 averages w_1..w_T" in out and "η = min{1/β, (D/(2ρK))" in out


def test_readings_document_matches_the_registry_and_the_verdicts(default_verify):
    """docs/readings.md's registry block is what the declarations and the default verify give:
    a changed correction text, reading or verdict that is not regenerated fails here
    (``python -m boundcheck.report.readings`` regenerates it)."""
    from boundcheck.engine.verify import _order
    from boundcheck.report.readings import current_block, registry_block
    doc = Path(__file__).resolve().parents[1] / "docs" / "readings.md"
    records = [default_verify[i] for i in _order(default_verify)]
    assert current_block(doc) == registry_block(records)
