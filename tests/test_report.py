"""``boundcheck report``: the PDF's contents, honesty, atomicity, and the proof-step runner.

One small report (three statements and their corrections, verify budget 8 s) is built once
per module and read back with pypdf; pages are also rendered with pdftoppm when it is
installed.  Total ≈ 30–60 s on 2 cores.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")

from boundcheck.report import report as _report
from boundcheck.cli import app as cli  # noqa: E402

IDS = ["lemma6", "theorem7", "theorem13"]  # verified; refuted + corrected; big-O family + corrected


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    out = d / "report.pdf"
    data, pages = _report.build_report(out, IDS, budget=8, seed=0, counterexample_dir=d / "ce", step_limit=15)
    return out, data, pages


def _texts(path: Path) -> list[str]:
    reader = pypdf.PdfReader(str(path))
    return [p.extract_text() or "" for p in reader.pages]


def test_every_statement_and_status_appear(built):
    out, data, pages = built
    texts = _texts(out)
    assert len(texts) == pages >= 2 + len(data.records)
    ids = {r.id for r in data.records}
    assert {"lemma6", "theorem7", "theorem7_corrected", "theorem13", "theorem13_corrected"} <= ids
    summary = next(t for t in texts if "Summary" in t)
    for r in data.records:
        assert r.id in summary, r.id
        # the statement's own page carries its id and its status (badge)
        own = [t for t in texts if f"id {r.id} " in t]
        assert own, f"no page for {r.id}"
        assert r.status.upper() in own[0], (r.id, r.status)
    assert {r.status for r in data.records} >= {"verified", "refuted"}


def test_each_page_has_content(built):
    out, _, _ = built
    for k, t in enumerate(_texts(out), 1):
        body = t.replace("boundcheck", "").strip()
        assert len(body) > 80, f"page {k} is (nearly) empty: {t!r}"


def test_report_states_budget_seed_and_versions(built):
    out, data, _ = built
    texts = _texts(out)
    title, summary = texts[0], next(t for t in texts if "Summary" in t)
    assert "Budget: 8 s" in summary
    assert "seed 0" in summary
    for word in ("numpy", "sympy", "matplotlib", "machine", "budget"):
        assert word.lower() in title.lower(), word
    assert "--budget 8" in data.command or data.command == ""
    assert "Lemma 12" in "".join(texts)  # the c_K page


def test_unresolved_is_marked_on_summary(built, tmp_path):
    _, data, _ = built
    recs = [dataclasses.replace(data.records[0], status="unresolved", note="only 3 admissible trials"),
            *data.records[1:2]]
    fake = dataclasses.replace(data, records=recs, lemma12={"error": "not computed in this test"})
    out = tmp_path / "u.pdf"
    _report.render(fake, out)
    summary = next(t for t in _texts(out) if "Summary" in t)
    assert "UNRESOLVED" in summary
    assert "1 unresolved" in summary
    assert f"{recs[0].id} — only 3 admissible trials" in summary


def test_pages_render_non_blank_with_pdftoppm(built, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    import matplotlib.image as mpimg
    import numpy as np
    out, _, pages = built
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(out), str(tmp_path / "pg")], check=True, timeout=120)
    files = sorted(tmp_path.glob("pg-*.png"))
    assert len(files) == pages
    for f in files:
        img = mpimg.imread(f)[..., :3]
        body = img[: int(img.shape[0] * 0.93)]  # above the footer line
        inked = np.mean(body.mean(axis=-1) < 0.9)
        assert inked > 0.002, f"{f.name} looks blank ({inked:.4f} of pixels inked above the footer)"


def _count_calls_then_fail(monkeypatch, exc: BaseException, after: int) -> None:
    real = _report._statement_page
    calls = {"n": 0}

    def boom(doc, r, data):
        calls["n"] += 1
        if calls["n"] > after:
            raise exc
        return real(doc, r, data)

    monkeypatch.setattr(_report, "_statement_page", boom)


@pytest.mark.parametrize("exc", [RuntimeError("boom mid-write"), KeyboardInterrupt()])
def test_error_mid_write_leaves_no_pdf_and_no_temp(built, tmp_path, monkeypatch, exc):
    _, data, _ = built
    fake = dataclasses.replace(data, records=data.records[:3])
    out = tmp_path / "sub" / "r.pdf"
    _count_calls_then_fail(monkeypatch, exc, after=1)
    with pytest.raises(type(exc)):
        _report.render(fake, out)
    assert not out.exists()
    assert list(out.parent.iterdir()) == []  # no temporary file left behind


def test_existing_pdf_survives_a_failed_write(built, tmp_path, monkeypatch):
    _, data, _ = built
    out = tmp_path / "r.pdf"
    out.write_bytes(b"%PDF-old")
    _count_calls_then_fail(monkeypatch, RuntimeError("x"), after=0)
    with pytest.raises(RuntimeError):
        _report.render(dataclasses.replace(data, records=data.records[:1]), out)
    assert out.read_bytes() == b"%PDF-old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf"]


def test_unwritable_directory_is_one_line_exit_2_before_any_work(tmp_path, monkeypatch, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    real_access = os.access
    if real_access(ro, os.W_OK):  # running as root: permissions do not stop us, so pretend
        monkeypatch.setattr(os, "access", lambda p, m, *a, **k: False if Path(p) == ro else real_access(p, m))

    def must_not_run(*a, **k):
        raise AssertionError("checks ran although the output cannot be written")

    monkeypatch.setattr(_report, "collect", must_not_run)
    try:
        code = cli.main(["report", "--out", str(ro / "r.pdf"), "--budget", "5"])
    finally:
        ro.chmod(0o755)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "not writable" in err, err
    assert list(ro.iterdir()) == []


def test_out_is_a_directory_is_bad_input(tmp_path, capsys):
    assert cli.main(["report", "--out", str(tmp_path), "--budget", "5"]) == 2
    assert "directory" in capsys.readouterr().err


def test_bad_budget_and_unknown_statement(tmp_path, capsys):
    assert cli.main(["report", "--out", str(tmp_path / "r.pdf"), "--budget", "0"]) == 2
    assert cli.main(["report", "--out", str(tmp_path / "r.pdf"), "--statement", "lemma99"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "unknown statement" in err[1]
    assert not (tmp_path / "r.pdf").exists() and list(tmp_path.iterdir()) == []


def test_formulas_typeset_or_fall_back():
    import sympy as sp
    from boundcheck.paper import get_statement, statement_ids
    for sid in statement_ids():
        st = get_statement(sid)
        for e in [st.bound, *st.hypotheses]:
            tex = _report.latex_for_mathtext(sp.latex(e))
            assert isinstance(_report.mathtext_ok(tex), bool)
    assert _report.mathtext_ok(_report.latex_for_mathtext(r"\tfrac{a}{b} + \lvert x \rvert + \operatorname{E} x"))
    assert not _report.mathtext_ok(r"\begin{cases} a & b \end{cases}")


def test_rejected_formula_falls_back_to_text(tmp_path):
    from matplotlib.backends.backend_pdf import PdfPages
    with PdfPages(tmp_path / "m.pdf") as pdf:
        doc = _report._Doc(pdf, "footer")
        doc.new_page()
        assert doc.math(r"\begin{cases} a \end{cases}", "plain fallback") == "text"
        assert doc.math(r"\frac{a}{b} \leq \sqrt{K}", "x") == "math"
        doc.finish_page()
    assert "plain fallback" in _texts(tmp_path / "m.pdf")[0]


def test_tightness_wording():
    R = _report
    rec = dataclasses.make_dataclass("R", ["status", "worst_ratio"])
    assert R.tightness(rec("verified", 0.995)).startswith("tight")
    assert R.tightness(rec("verified", 0.5)) == "reached 0.5 of bound"
    assert R.tightness(rec("refuted", 3.0)) == "bound violated"
    assert "unresolved" in R.tightness(rec("unresolved", None))


def test_proof_runner_records_pass_fail_timeout_and_goes_on(tmp_path):
    pytest.importorskip("pytest")
    proofs = tmp_path / "proj" / "proofs"
    proofs.mkdir(parents=True)
    (proofs / "demo.py").write_text(textwrap.dedent('''
        import time
        import pytest

        def test_step1_fast():
            """Step 1: arithmetic."""
            assert 1 + 1 == 2

        def test_step2_hangs():
            time.sleep(60)

        def test_step3_wrong():
            assert 2 + 2 == 5, "planted"

        @pytest.mark.parametrize("k", [1, 2])
        def test_step4_param(k):
            assert k > 0

        def test_step5_fixture(tmp_path):
            assert tmp_path.exists()
    '''))
    run = _report.run_proofs(proofs, budget=60, step_limit=2)
    got = {s.name: s.outcome for s in run.steps}
    assert got == {"test_step1_fast": "passed", "test_step2_hangs": "timeout", "test_step3_wrong": "failed",
                   "test_step4_param[1]": "passed", "test_step4_param[2]": "passed",
                   "test_step5_fixture": "passed"}, (got, run.note)
    assert next(s for s in run.steps if s.name == "test_step1_fast").doc == "Step 1: arithmetic."
    assert "planted" in next(s for s in run.steps if s.name == "test_step3_wrong").message


def test_missing_proofs_folder_is_said_not_crashed():
    run = _report.run_proofs(None)
    assert run.steps == [] and "no proofs/ folder" in run.note


def test_report_is_a_registered_command():
    args = cli.build_parser().parse_args(["report", "--budget", "5", "--with-rates"])
    assert args.command == "report" and args.budget == 5 and args.with_rates
    assert sys.modules["boundcheck.cli.commands.report"].run is args.func
