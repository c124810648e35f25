"""``boundcheck report``: the PDF's contents, honesty, atomicity, input checks, and the proof-step runner.

One small report (three statements and their corrections, verify budget 8 s) is built once
per module and read back with pypdf; pages are also rendered with pdftoppm when it is
installed.  Other tests re-render that data (no new search) or fail before any work.
Total ≈ 40–70 s on 2 cores.
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

from boundcheck.cli import app as cli  # noqa: E402
from boundcheck.report import inputs as _inputs  # noqa: E402
from boundcheck.report import layout as _layout  # noqa: E402
from boundcheck.report import proofs as _proofs  # noqa: E402
from boundcheck.report import render as _render  # noqa: E402
from boundcheck.report import statement as _statement  # noqa: E402
from boundcheck.report.pages import tightness  # noqa: E402

IDS = ["lemma6", "theorem7", "theorem13"]  # verified; refuted + corrected; big-O family + corrected


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    out = d / "report.pdf"
    notes: list = []
    data, pages = _render.build_report(out, IDS, budget=8, seed=0, trials=2048, counterexample_dir=d / "ce", step_limit=15,
                                       progress=lambda f, note: notes.append((f, note)))
    data.timings["_progress"] = notes
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


def test_report_states_trials_seed_budget_and_versions(built):
    out, data, _ = built
    texts = _texts(out)
    title, summary = texts[0], next(t for t in texts if "Summary" in t)
    assert "Seed 0, 2048 trials per statement" in summary
    assert "2048 per statement" in title and "8 s deadline for the proof steps" in title
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
    _render.render(fake, out)
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


def _no_work(monkeypatch) -> None:
    """Make any start of the work (verify, the proof runner) fail the test."""
    import boundcheck.engine.verify as ev
    from boundcheck.report import collect as rc

    def must_not_run(*a, **k):
        raise AssertionError("work started although an input is bad")

    monkeypatch.setattr(ev, "verify", must_not_run)
    monkeypatch.setattr(rc, "start_proofs", must_not_run)


def _count_calls_then_fail(monkeypatch, exc: BaseException, after: int) -> None:
    real = _statement.statement_page
    calls = {"n": 0}

    def boom(doc, r, data):
        calls["n"] += 1
        if calls["n"] > after:
            raise exc
        return real(doc, r, data)

    monkeypatch.setattr(_statement, "statement_page", boom)


@pytest.mark.parametrize("exc", [RuntimeError("boom mid-write"), KeyboardInterrupt()])
def test_error_mid_write_leaves_no_pdf_and_no_temp(built, tmp_path, monkeypatch, exc):
    _, data, _ = built
    fake = dataclasses.replace(data, records=data.records[:3])
    out = tmp_path / "sub" / "r.pdf"
    _count_calls_then_fail(monkeypatch, exc, after=1)
    with pytest.raises(type(exc)):
        _render.render(fake, out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file, nor the directory made for the PDF


def test_existing_pdf_survives_a_failed_write(built, tmp_path, monkeypatch):
    _, data, _ = built
    out = tmp_path / "r.pdf"
    out.write_bytes(b"%PDF-old")
    _count_calls_then_fail(monkeypatch, RuntimeError("x"), after=0)
    with pytest.raises(RuntimeError):
        _render.render(dataclasses.replace(data, records=data.records[:1]), out)
    assert out.read_bytes() == b"%PDF-old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf"]


def test_unwritable_directory_is_one_line_exit_2_before_any_work(tmp_path, monkeypatch, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    real_access = os.access
    if real_access(ro, os.W_OK):  # running as root: permissions do not stop us, so pretend
        monkeypatch.setattr(os, "access", lambda p, m, *a, **k: False if Path(p) == ro else real_access(p, m))

    _no_work(monkeypatch)
    try:
        code = cli.main(["report", "--out", str(ro / "r.pdf"), "--budget", "5"])
    finally:
        ro.chmod(0o755)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "cannot write" in err, err
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
            tex = _layout.latex_for_mathtext(sp.latex(e))
            assert isinstance(_layout.mathtext_ok(tex), bool)
    assert _layout.mathtext_ok(_layout.latex_for_mathtext(r"\tfrac{a}{b} + \lvert x \rvert + \operatorname{E} x"))
    assert not _layout.mathtext_ok(r"\begin{cases} a & b \end{cases}")


def test_rejected_formula_falls_back_to_text(tmp_path):
    from matplotlib.backends.backend_pdf import PdfPages
    with PdfPages(tmp_path / "m.pdf") as pdf:
        doc = _layout.Doc(pdf, "footer")
        doc.new_page()
        assert doc.math(r"\begin{cases} a \end{cases}", "plain fallback") == "text"
        assert doc.math(r"\frac{a}{b} \leq \sqrt{K}", "x") == "math"
        doc.finish_page()
    assert "plain fallback" in _texts(tmp_path / "m.pdf")[0]


def test_tightness_wording():
    rec = dataclasses.make_dataclass("R", ["status", "worst_ratio"])
    assert tightness(rec("verified", 0.995)).startswith("tight")
    assert tightness(rec("verified", 0.5)) == "reached 0.5 of bound"
    assert tightness(rec("refuted", 3.0)) == "bound violated"
    assert "unresolved" in tightness(rec("unresolved", None))


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
    run = _proofs.run_proofs(proofs, budget=60, step_limit=2)
    got = {s.name: s.outcome for s in run.steps}
    assert got == {"test_step1_fast": "passed", "test_step2_hangs": "timeout", "test_step3_wrong": "failed",
                   "test_step4_param[1]": "passed", "test_step4_param[2]": "passed",
                   "test_step5_fixture": "passed"}, (got, run.note)
    assert next(s for s in run.steps if s.name == "test_step1_fast").doc == "Step 1: arithmetic."
    assert "planted" in next(s for s in run.steps if s.name == "test_step3_wrong").message


def test_missing_proofs_folder_is_said_not_crashed():
    run = _proofs.run_proofs(None)
    assert run.steps == [] and "no proofs/ folder" in run.note


def test_report_is_a_registered_command():
    args = cli.build_parser().parse_args(["report", "--budget", "5", "--with-rates"])
    assert args.command == "report" and args.budget == 5 and args.with_rates
    assert sys.modules["boundcheck.cli.commands.report"].run is args.func


# ---------------------------------------------------------------- bad input: one line, exit 2, before any work
def _one_line_exit_2(capsys, argv, *needles):
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2, (argv, err)
    assert err.count("\n") == 1 and err.startswith("boundcheck: error: "), err
    for n in needles:
        assert n in err, (n, err)
    return err


@pytest.mark.parametrize("extra, needle", [
    (["--with-rates", "--rates-grid", "nope"], "--rates-grid"),
    (["--with-rates", "--rates-grid", "default;B=0"], "--rates-grid"),
    (["--with-rates", "--rates-seeds", "1"], "--rates-seeds"),
    (["--step-limit", "0"], "step limit"),
])
def test_bad_rates_options_fail_before_any_work(tmp_path, monkeypatch, capsys, extra, needle):
    _no_work(monkeypatch)
    _one_line_exit_2(capsys, ["report", "--out", str(tmp_path / "r.pdf"), "--budget", "5",
                              "--counterexample-dir", str(tmp_path / "ce"), *extra], needle)
    assert list(tmp_path.iterdir()) == []


def _bad_paths(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    cases = [
        (["--counterexample-dir", str(afile)], "not a directory"),
        (["--counterexample-dir", str(afile / "sub")], "not a directory"),
        (["--out", str(tmp_path)], "directory"),
        (["--out", str(afile / "x.pdf")], "not a directory"),
    ]
    if Path("/etc/passwd").is_file():
        cases += [(["--counterexample-dir", "/etc/passwd"], "not a directory"),
                  (["--out", "/etc/passwd/x.pdf"], "not a directory")]
    return cases


def test_bad_output_paths_fail_before_any_work(tmp_path, monkeypatch, capsys):
    _no_work(monkeypatch)
    for extra, needle in _bad_paths(tmp_path):
        before = sorted(p.name for p in tmp_path.iterdir())
        argv = ["report", "--out", str(tmp_path / "r.pdf"), "--budget", "5",
                "--counterexample-dir", str(tmp_path / "ce"), *extra]
        _one_line_exit_2(capsys, argv, needle)
        assert sorted(p.name for p in tmp_path.iterdir()) == before, extra


def test_unwritable_virtual_filesystem_is_refused(tmp_path, monkeypatch, capsys):
    if not Path("/sys").is_dir():
        pytest.skip("no /sys")
    try:  # root passes os.access everywhere; only a real attempt tells
        fd, probe = __import__("tempfile").mkstemp(dir="/sys")
    except OSError:
        pass
    else:
        os.close(fd)
        os.unlink(probe)
        pytest.skip("/sys is writable here")
    _no_work(monkeypatch)
    _one_line_exit_2(capsys, ["report", "--out", "/sys/x.pdf", "--budget", "5"], "cannot write")
    _one_line_exit_2(capsys, ["report", "--out", str(tmp_path / "r.pdf"), "--counterexample-dir", "/sys/x"],
                     "--counterexample-dir", "cannot write")
    assert not Path("/sys/x.pdf").exists() and list(tmp_path.iterdir()) == []


def test_failed_run_removes_the_directories_made_for_the_pdf(tmp_path, monkeypatch):
    from boundcheck.report import collect as rc

    def boom(*a, **k):
        raise RuntimeError("work failed")

    monkeypatch.setattr(rc, "start_proofs", boom)
    monkeypatch.setattr(_render, "collect", boom)
    with pytest.raises(RuntimeError):
        _render.build_report(tmp_path / "a" / "b" / "r.pdf", ["lemma6"], budget=1, counterexample_dir=None)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- honest labels and citations
_DOTTED = __import__("re").compile(r"\bboundcheck(?:\.[A-Za-z_]\w*)+")


def _resolves(dotted: str) -> bool:
    import importlib
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for a in parts[i:]:
                obj = getattr(obj, a)
        except AttributeError:
            return False
        return True
    return False


def test_every_cited_function_exists(built, tmp_path):
    out, data, _ = built
    fake = dataclasses.replace(data, records=data.records[:1], with_rates=True,
                               rates={"grid": "default", "seeds": 16, "function": _inputs.RATES_FUNCTION,
                                      "methods": {}, "errors": {"gd": "RuntimeError: planted"}, "seconds": {}})
    out2 = tmp_path / "rates.pdf"
    _render.render(fake, out2)
    text = "\n".join(_texts(out) + _texts(out2))
    cited = set(_DOTTED.findall(text))
    assert _inputs.RATES_FUNCTION in cited
    assert "boundcheck.rates.run_rates" not in text
    missing = sorted(c for c in cited if not _resolves(c.rstrip(".")))
    assert not missing, missing


def _page_of(texts, sid):
    return next(t for t in texts if f"id {sid} " in t)


def test_refuted_page_shows_rhs_minus_lhs_and_says_which_ratio(built):
    from boundcheck.outputs import files
    import mpmath
    out, data, _ = built
    rec = next(r for r in data.records if r.id == "theorem7")
    assert rec.status == "refuted" and rec.counterexample
    saved = files.load(rec.counterexample, "counterexample")["high_precision_check"]
    texts = _texts(out)
    k = texts.index(_page_of(texts, "theorem7"))
    page = texts[k] + texts[k + 1]  # the plots may flow onto the next page
    assert "smallest slack RHS − LHS" not in page
    line = next(ln for ln in page.splitlines() if ln.startswith("RHS − LHS, saved counterexample"))
    shown = float(line.rsplit(" ", 1)[1].replace("−", "-"))
    truth = float(mpmath.mpf(saved["rhs"]) - mpmath.mpf(saved["lhs"]))
    assert truth < 0 and shown == pytest.approx(truth, rel=1e-3), (line, truth)
    assert "(after shrinking)" in page and "during the search" in page
    assert "saved counterexample" in page  # the histogram's legend names the shrunk instance's line


def test_refuted_page_has_the_diagnosis_block(built):
    """Issue 14: the statement's page says what must change, one correction at a time, with every
    insufficient set's own counterexample file."""
    out, data, _ = built
    rec = next(r for r in data.records if r.id == "theorem7")
    assert rec.diagnosis and rec.diagnosis["minimal"]  # its content at this small budget: see test_errata.py
    texts = _texts(out)
    k = texts.index(_page_of(texts, "theorem7"))
    page = " ".join(" ".join(texts[k:k + 3]).split())  # the block may flow onto the next pages
    assert "Diagnosis: the corrections, one at a time" in page
    assert "needs " in page and "Algorithm 1 averages w_1..w_T" in page
    for name in ("average", "step_size", "none (as printed)"):
        assert name in page
    for s in rec.diagnosis["subsets"]:
        if s["status"] == "refuted" and s["apply"]:
            assert Path(s["counterexample"]).name in page.replace(" ", ""), s


def test_histogram_marks_ratios_seen_and_the_saved_counterexample(built, tmp_path):
    _, data, _ = built
    rec = next(r for r in data.records if r.id == "theorem7")
    ce = dict(data.counterexamples["theorem7"])
    ce["check"] = dict(ce["check"], ratio=1.155)
    fake_rec = dataclasses.replace(rec, ratios_sample=[1.42], worst_ratio=1.155, ratio_by_K={})
    fake = dataclasses.replace(data, records=[fake_rec], counterexamples={"theorem7": ce},
                               lemma12={"error": "not computed in this test"})
    out = tmp_path / "h.pdf"
    _render.render(fake, out)
    text = "\n".join(_texts(out))
    assert "largest seen 1.42" in text and "saved counterexample 1.155" in text
    assert "ratios seen during the search" in text


def test_every_dash_in_a_table_is_explained(tmp_path):
    from matplotlib.backends.backend_pdf import PdfPages
    with PdfPages(tmp_path / "t.pdf") as pdf:
        doc = _layout.Doc(pdf, "footer")
        doc.new_page()
        doc.table(["a", "b"], [("x", "-"), ("y", 1)], [1, 1], dash="planted meaning")
        doc.table(["a", "b"], [("x", 2)], [1, 1], dash="must not appear")
        doc.finish_page()
    t = _texts(tmp_path / "t.pdf")[0]
    assert "'-': planted meaning." in t and "must not appear" not in t


def test_summary_explains_its_dashes(built):
    out, _, _ = built
    summary = next(t for t in _texts(out) if "Summary" in t)
    assert "'-': in 'counterexample', none was saved" in summary  # lemma6 is verified: no file
    from boundcheck.report.pages import _summary_dashes
    assert _summary_dashes([("a", "refuted", 3, "-", "bound violated", "a.json")]).startswith("in 'worst ratio'")
    assert _summary_dashes([("a", "verified", 3, "0.5", "reached 0.5 of bound", "x")]) == ""


# ---------------------------------------------------------------- progress
def test_progress_covers_every_phase_in_order(built):
    _, data, _ = built
    notes = data.timings["_progress"]
    fracs = [f for f, _ in notes]
    assert fracs == sorted(fracs) and fracs[-1] == 1.0 and 0 <= fracs[0] < 0.05
    phases = list(dict.fromkeys(n.split(":", 1)[0] for _, n in notes))
    assert phases[:2] == ["verify", "proof steps"] and phases[-1] == "typesetting"
    assert notes[-1] == (1.0, "typesetting: done")
    assert {"counterexamples", "Lemma 12"} <= set(phases)
    assert sum(n.startswith("typesetting: page") for _, n in notes) >= 5  # per page, not one jump


def test_cli_without_a_terminal_prints_phase_lines():
    import io
    from boundcheck.cli.commands.report import _PhaseLines
    buf = io.StringIO()
    pl = _PhaseLines(buf)
    for f, n in [(0.0, "verify"), (0.1, "verify: lemma6: best ratio 0.5"), (0.5, "proof steps"), (0.9, "typesetting: page 1")]:
        pl(f, n)
    assert buf.getvalue().splitlines() == ["boundcheck: report: verify (0%)", "boundcheck: report: proof steps (50%)",
                                           "boundcheck: report: typesetting (90%)"]


def test_command_module_is_lazy():
    code = ("import sys; import boundcheck.cli.commands.report; "
            "print(sorted(m for m in ('matplotlib', 'sympy', 'reportlab') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1])))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


# ---------------------------------------------------------------- files read through the one loader
def test_result_files_are_read_through_the_loader(built, tmp_path):
    from boundcheck.outputs import files
    _, data, _ = built
    v1 = next(r for r in data.records if r.id == "theorem7").counterexample
    got = _inputs.read_result_file(v1)  # a v1 file, accepted by the loader's legacy table
    assert got["kind"] == "counterexample" and got["structure"] and got["check"]["is_counterexample"]
    fam = next(r for r in data.records if r.id == "theorem13").counterexample
    assert _inputs.read_result_file(fam)["kind"] == "family"
    rec = files.load(v1, "counterexample")
    payload = {k: rec[k] for k in ("statement", "scale", "structure", "params", "high_precision_check")}
    v2 = files.write(tmp_path / "v2.json", "counterexample", payload)
    assert _inputs.read_result_file(v2)["check"] == got["check"]
    bad = tmp_path / "bad.json"
    for text in ("{", '{"format": "boundcheck-counterexample", "version": 1, "params": {"x": [NaN]}}', "[1]",
                 '{"format": "boundcheck/counterexample", "version": 2, "params": {"x": ["1"]}}'):
        bad.write_text(text)
        assert "error" in _inputs.read_result_file(bad), text
    (tmp_path / "fifo").unlink(missing_ok=True)
    os.mkfifo(tmp_path / "fifo")
    assert "not a regular file" in _inputs.read_result_file(tmp_path / "fifo")["error"]


def _summary(ds="covtype"):
    return {"dataset": ds, "agreement": {"optimum": {}}, "config": {},
            "figures": {"png": "/nonexistent.png", "pdf": "/nonexistent.pdf"}}


def test_figures_summaries_plain_and_versioned(tmp_path, capsys):
    import json
    from boundcheck.outputs import files
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps([_summary(), _summary("mnist")]))
    v2 = files.write(tmp_path / "v2.json", "figures", {"runs": [_summary()]})  # what `figures --json` writes
    one = files.write(tmp_path / "one.json", "figures", {"runs": [_summary("mnist")]})
    got = _inputs.load_figures_summaries([plain, v2, one])
    assert [g["dataset"] for g in got] == ["covtype", "mnist", "covtype", "mnist"]
    bad = tmp_path / "bad.json"
    for text in ('{"format": "boundcheck/verify", "version": 2}', '[{"dataset": 1}]', "[NaN]", "{"):
        bad.write_text(text)
        with pytest.raises(ValueError, match="--with-figures"):
            _inputs.load_figures_summaries([bad])
    _one_line_exit_2(capsys, ["report", "--out", str(tmp_path / "r.pdf"), "--with-figures",
                              str(tmp_path / "missing.json")], "no such file")


# ---------------------------------------------------------------- seams for blocks, sections, statuses, fields
def test_new_blocks_sections_statuses_and_fields_render(built, tmp_path, monkeypatch):
    _, data, _ = built
    monkeypatch.setattr(_statement, "STATEMENT_BLOCKS", list(_statement.STATEMENT_BLOCKS))
    monkeypatch.setattr(_render, "SECTIONS", list(_render.SECTIONS))

    def diagnosis(doc, r, st, d):
        if r.id in d.extras.get("note", {}):
            doc.text("Note block: " + d.extras["note"][r.id], size=8.5)

    _statement.add_block("note", diagnosis, after="counterexample")
    _render.add_section("certificates", lambda doc, d: (doc.new_page(), doc.text("Certificates section " * 5)),
                        after="statements")
    with pytest.raises(ValueError):
        _statement.add_block("x", diagnosis, after="nope")
    Extra = dataclasses.make_dataclass("Extra", [("certificate", str, "exact")], bases=(type(data.records[0]),))
    first = data.records[0]
    certified = Extra(**{**dataclasses.asdict(first), "status": "certified"})
    fake = dataclasses.replace(data, records=[certified, *data.records[1:3]], extras={"note": {
        data.records[1].id: "drop hypothesis H (planted)"}}, lemma12={"error": "not computed in this test"})
    out = tmp_path / "s.pdf"
    _render.render(fake, out)
    texts = _texts(out)
    assert "1 certified" in next(t for t in texts if "Summary" in t)
    assert "CERTIFIED" in _page_of(texts, first.id)
    assert "Note block: drop hypothesis H (planted)" in "".join(texts)
    assert any("Certificates section" in t for t in texts)
