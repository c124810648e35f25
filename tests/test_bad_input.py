"""The bad-input matrix (issue 15, items 1–4, 6, 7, 11): through the CLI, every bad input gets one
line on stderr, exit 2, before any work, and leaves no file behind."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from boundcheck.cli.app import main


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _files(d: Path) -> set:
    return {str(p.relative_to(d)) for p in d.rglob("*")}


CASES = [
    # output paths (item 1, 2)
    ("verify-json-dir", lambda d: ["verify", "--statement", "lemma6", "--json", str(d), "--out-dir", str(d / "ce")]),
    ("verify-json-sys", lambda d: ["verify", "--statement", "lemma6", "--json", "/sys/x.json"]),
    ("verify-json-through-file", lambda d: ["verify", "--statement", "lemma6", "--json", "/etc/passwd/x.json"]),
    ("verify-out-dir-file", lambda d: ["verify", "--statement", "lemma6", "--out-dir", "/etc/passwd"]),
    ("search-json-dir", lambda d: ["search", "lemma6", "--json", str(d), "--out", str(d / "ce")]),
    ("search-out-file", lambda d: ["search", "lemma6", "--out", "/etc/passwd"]),
    ("search-json-sys", lambda d: ["search", "lemma6", "--json", "/sys/x.json", "--out", str(d / "ce")]),
    ("report-out-dir", lambda d: ["report", "--out", str(d)]),
    ("report-out-sys", lambda d: ["report", "--out", "/sys/x.pdf"]),
    ("report-ce-dir-file", lambda d: ["report", "--out", str(d / "r.pdf"), "--counterexample-dir", "/etc/passwd"]),
    ("report-bad-rates-grid", lambda d: ["report", "--out", str(d / "r.pdf"), "--with-rates", "--rates-grid", "nope"]),
    ("new-statement-out-dir", lambda d: ["new-statement", "x", "--out", str(d)]),
    # statements (item 3, 4)
    ("relax-defined-step", lambda d: ["search", "theorem7", "--relax", "eta", "--out", str(d / "ce")]),
    ("relax-unknown", lambda d: ["search", "lemma6", "--relax", "frac", "--out", str(d / "ce")]),
    ("search-family-statement", lambda d: ["search", "theorem13", "--out", str(d / "ce")]),
    ("verify-encoding", lambda d: ["verify", "--statement", "gd", "--out-dir", str(d / "ce")]),
    ("search-encoding", lambda d: ["search", "definition1", "--out", str(d / "ce")]),
    ("unknown-statement", lambda d: ["show", "lemma99"]),
    # resource limits (item 6)
    ("verify-budget-huge", lambda d: ["verify", "--budget", "1e9", "--statement", "lemma6"]),
    ("verify-trials-huge", lambda d: ["verify", "--trials", "1000000000", "--statement", "lemma6"]),
    ("replay-dps-huge", lambda d: ["replay", str(d / "x.json"), "--dps", "100000"]),
    # messages (item 11)
    ("family-unknown", lambda d: ["search", "lemma6", "--family", "nope", "--out", str(d / "ce")]),
    ("module-missing", lambda d: ["verify", "--module", "/nonexistent.py", "--out-dir", str(d / "ce")]),
    ("module-not-python", lambda d: ["verify", "--module", "/etc/passwd", "--out-dir", str(d / "ce")]),
    ("replay-missing", lambda d: ["replay", str(d / "missing.json")]),
    ("seed-negative", lambda d: ["search", "lemma6", "--seed", "-1", "--out", str(d / "ce")]),
    ("budget-inf", lambda d: ["search", "lemma6", "--budget", "inf", "--out", str(d / "ce")]),
    ("scale-nan", lambda d: ["search", "lemma6", "--scale", "nan", "--out", str(d / "ce")]),
    ("growth-bad", lambda d: ["search", "lemma12_smooth_convex", "--growth", "5,x", "--out", str(d / "ce")]),
    ("verify-scheduler-bad", lambda d: ["verify", "--statement", "lemma6", "--scheduler", "local:x",
                                        "--out-dir", str(d / "ce")]),
    ("search-scheduler-bad", lambda d: ["search", "lemma6", "--scheduler", "nowhere", "--out", str(d / "ce")]),
    ("search-restarts-zero", lambda d: ["search", "lemma6", "--restarts", "0", "--out", str(d / "ce")]),
    ("search-restarts-over-trials", lambda d: ["search", "lemma6", "--restarts", "9", "--trials", "4",
                                               "--out", str(d / "ce")]),
    ("new-statement-bad-name", lambda d: ["new-statement", "9lives", "--out", str(d / "t.py")]),
]

EXPECT = {"verify-json-dir": "is a directory", "search-out-file": "not a directory", "report-bad-rates-grid": "grid",
          "relax-defined-step": "cannot relax", "search-family-statement": "family of instances",
          "verify-encoding": "encoding", "module-missing": "no such file", "module-not-python": "not a Python file",
          "replay-missing": "no such file", "seed-negative": "--seed", "budget-inf": "finite",
          "verify-budget-huge": "week", "family-unknown": "invalid choice", "replay-dps-huge": "--dps",
          "verify-scheduler-bad": "local:N", "search-scheduler-bad": "--scheduler", "search-restarts-zero": "--restarts",
          "search-restarts-over-trials": "cannot be split"}


@pytest.mark.parametrize("name,argv", CASES, ids=[c[0] for c in CASES])
def test_bad_input_one_line_exit_2_nothing_left(name, argv, tmp_path, capsys):
    d = tmp_path / "work"
    d.mkdir()
    before = _files(d)
    code, out, err = _run(argv(d), capsys)
    assert code == 2, (name, code, out, err)
    assert err.strip() and err.strip().count("\n") == 0, f"{name}: expected one line, got {err!r}"
    assert "Traceback" not in err
    assert _files(d) == before, f"{name} left files behind: {_files(d) - before}"
    if name in EXPECT:
        assert EXPECT[name] in err, (name, err)


def test_verbose_after_the_subcommand_is_accepted(capsys, tmp_path):
    code, out, err = _run(["show", "lemma6", "-v"], capsys)
    assert code == 0 and "Lemma 6" in out


def test_quiet_prints_nothing_but_errors(capsys, tmp_path):
    code, out, err = _run(["verify", "--statement", "lemma6", "--trials", "512", "--quiet",
                           "--out-dir", str(tmp_path / "ce")], capsys)
    assert code == 0 and out == "" and err == ""


def test_module_can_import_its_sibling_files(tmp_path, capsys):
    (tmp_path / "mylib.py").write_text("LIMIT = 1\n")
    (tmp_path / "mine.py").write_text(
        "import boundcheck as bc\nfrom mylib import LIMIT\n"
        "ST = bc.statement('gd_sib', 'Mine', cls=bc.SMOOTH_CONVEX, method='gd', setting=bc.one_batch(),\n"
        "    params={bc.eta: bc.Interval(0, LIMIT / bc.beta, left_open=True)}, lhs=bc.f(bc.w_out) - bc.f(bc.w_init),"
        " bound=0)\nSTATEMENTS = [ST]\n")
    code, out, err = _run(["verify", "--module", str(tmp_path / "mine.py"), "--trials", "512",
                           "--out-dir", str(tmp_path / "ce")], capsys)
    assert code == 0, err
    from boundcheck.lang import unregister
    unregister("gd_sib")
