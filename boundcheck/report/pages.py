"""The report's front pages: the title page, the summary table and the proof-check overview.

Each page function takes the :class:`~boundcheck.report.layout.Doc` and the
:class:`~boundcheck.report.collect.ReportData`; records are read with ``getattr`` and a
default, so fields added to ``engine.verify.Record`` later are ignored, and statuses other
than verified / refuted / unresolved (e.g. a future 'certified') are counted and listed too.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from boundcheck.outputs.common import fmt
from boundcheck.report.collect import ReportData, corrections_of
from boundcheck.report.layout import STATUS_COLOURS, STATUS_FILL, TEXT_W, Doc, status_colour

__all__ = ["tightness", "status_counts", "title_page", "summary_pages", "proofs_overview", "PAPER", "TIGHT"]

TIGHT = 0.99
PAPER = {
    "title": "Stochastic Optimization with Laggard Data Pipelines",
    "authors": "Naman Agarwal, Rohan Anil, Tomer Koren, Kunal Talwar, Cyril Zhang",
    "venue": "NeurIPS 2020 (34th Conference on Neural Information Processing Systems)",
}
#: the order statuses are counted in; any other status follows, in order of appearance
STATUS_ORDER = ("verified", "certified", "refuted", "unresolved")


def tightness(rec: Any) -> str:
    """How close the search got to the bound: 'tight' when the worst ratio ≥ 0.99."""
    if rec.status == "refuted":
        return "bound violated"
    if rec.status == "unresolved":
        return "not settled (unresolved)"
    w = getattr(rec, "worst_ratio", None)
    if w is None or not math.isfinite(w):
        return "-"
    if w >= TIGHT:
        return f"tight (attained, {w:.3f})"
    return f"reached {w:.3g} of bound"


def status_counts(records: list) -> dict[str, int]:
    """Records per status: the usual three always (zero included), any other as it occurs."""
    out = {s: 0 for s in ("verified", "refuted", "unresolved")}
    for r in records:
        out[r.status] = out.get(r.status, 0) + 1
    order = [s for s in STATUS_ORDER if s in out] + [s for s in out if s not in STATUS_ORDER]
    return {s: out[s] for s in order}


def _summary_dashes(rows: list) -> str:
    """What the '-' cells of the summary table mean, for the columns that have one."""
    why = {3: "in 'worst ratio', the ratio LHS/RHS is undefined (RHS ≤ 0 at the counterexample, or at every "
              "trial kept)", 4: "in 'tightness', no worst ratio to compare with the bound",
           5: "in 'counterexample', none was saved (the statement is not refuted, or no counterexample "
              "directory was given)"}
    cols = [j for j in why if any(str(row[j]).strip() == "-" for row in rows)]
    return "; ".join(why[j] for j in cols)


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in counts.items())


def title_page(doc: Doc, data: ReportData) -> None:
    doc.new_page()
    doc.gap(0.4)
    doc.text("boundcheck report", size=24, weight="bold")
    doc.gap(0.1)
    doc.text(f"Theory verification of \u201c{PAPER['title']}\u201d", size=13)
    doc.text(PAPER["authors"], size=10, color="#333333")
    doc.text(PAPER["venue"], size=10, color="#333333")
    doc.gap(0.25)
    doc.rule()
    doc.text(f"{len(data.records)} statements: {_counts_text(status_counts(data.records))}.", size=12,
             weight="bold")
    ps = data.proofs.counts()
    if data.proofs.steps:
        doc.text("Proof-check steps: " + ", ".join(f"{v} {k}" for k, v in sorted(ps.items())) + ".", size=11)
    doc.gap(0.15)
    doc.heading("This run", 12)
    rows = [
        ("trials", "each statement's default count" if data.trials is None else f"{data.trials} per statement"),
        ("budget", f"{data.budget:g} s deadline for the proof steps (run concurrently with verify, "
                   f"{data.proofs.step_limit:g} s per step at most)"),
        ("seed", str(data.seed)),
        ("statements", "all registered" if data.ids is None else ", ".join(data.ids) + " (and their corrections)"),
        ("started", data.started + " (UTC)"),
        ("checks took", f"{data.seconds:.1f} s (verify {data.timings.get('verify', 0):.1f} s, proof steps "
                        f"{data.timings.get('proofs', 0):.1f} s concurrently, Lemma 12 "
                        f"{data.timings.get('lemma12', 0):.1f} s"
                        + (f", rates {data.timings['rates']:.1f} s" if 'rates' in data.timings else "") + ")"),
        ("command", data.command or "(called from Python, not the command line)"),
        ("repository", data.git or "not a git checkout"),
        ("counterexamples", data.counterexample_dir or "not saved"),
    ]
    doc.table(["", ""], rows, [1.45, TEXT_W - 1.45], size=8.5, show_header=False)
    doc.gap(0.1)
    doc.text("To repeat the run: the command above with the same toolkit version and seed.  verify's budgets are "
             "counts of instances, so the same seed and trials give the same verdicts, trials and worst ratios on "
             "any machine, at any load.", size=8.5, color="#333333")
    doc.heading("Machine", 12)
    doc.table(["", ""], list(data.machine.items()), [1.45, TEXT_W - 1.45], size=8.5, show_header=False)
    doc.heading("Versions", 12)
    items = list(data.versions.items())
    half = (len(items) + 1) // 2
    rows2 = [(a[0], a[1], *(items[half + i] if half + i < len(items) else ("", "")))
             for i, a in enumerate(items[:half])]
    doc.table(["package", "version", "package", "version"], rows2, [1.5, 2.0, 1.5, 2.0], size=8.5)


def summary_pages(doc: Doc, data: ReportData) -> None:
    doc.new_page()
    doc.cont = "Summary"
    doc.heading("Summary", 16)
    trials = "default trials" if data.trials is None else f"{data.trials} trials per statement"
    doc.text(f"Seed {data.seed}, {trials} (verify took {data.verify_seconds:.1f} s).  "
             f"{_counts_text(status_counts(data.records))}.", size=9.5, weight="bold")
    doc.text("verified: the search found no counterexample that survives the two-precision mpmath re-check "
             "(a check over the instances tried, not a proof).  refuted: a counterexample survived (saved, "
             "replayable with 'boundcheck replay'), or for a big-O statement a family along which the ratio grows "
             "without bound.  unresolved: neither — NOT verified.  Tightness: 'tight' when the worst ratio "
             "LHS/RHS found is ≥ 0.99, else how close the search got.  Worst ratio: the largest LHS/RHS over the admissible "
             "trials; for a refuted statement, LHS/RHS at the saved counterexample (after shrinking, re-checked in "
             "high precision).", size=8, color="#333333")
    doc.gap(0.08)
    rows, fills, cols = [], [], []
    for r in data.records:
        path = getattr(r, "counterexample", None)
        ce = Path(path).name if path else "-"
        status = r.status.upper() if r.status == "unresolved" else r.status
        rows.append((r.id, status, r.trials, fmt(getattr(r, "worst_ratio", None)), tightness(r), ce))
        fills.append(STATUS_FILL.get(r.status))
        cols.append((None, status_colour(r.status), None, None, None, None))
    doc.table(["id", "status", "trials", "worst ratio", "tightness", "counterexample"], rows,
              [1.5, 0.8, 0.6, 0.75, 1.5, 1.8], size=8, aligns=["left", "left", "right", "right", "left", "left"],
              fills=fills, colours=cols, families=["monospace", "sans-serif", "sans-serif", "sans-serif",
                                                   "sans-serif", "monospace"],
              dash=_summary_dashes(rows))
    doc.gap(0.1)
    unresolved = [r for r in data.records if r.status == "unresolved"]
    if unresolved:
        doc.text("UNRESOLVED (not verified, not refuted): " + "; ".join(
            f"{r.id} — {getattr(r, 'note', '') or getattr(r, 'check', '') or 'no verdict'}" for r in unresolved), size=9, weight="bold",
            color=STATUS_COLOURS["unresolved"])
    else:
        doc.text("No statement is unresolved.", size=9)
    corr = [r for r in data.records if r.status == "refuted"]
    if corr:
        doc.gap(0.05)
        doc.text("Refuted as printed, and what corrects them:", size=9, weight="bold")
        for r in corr:
            links = corrections_of(r.id, data.statements) if r.id in data.statements else []
            by = {x.id: x for x in data.records}
            fix = ", ".join(f"{c} ({by[c].status})" if c in by else c for c in links) or "no corrected version"
            doc.text(f"• {r.id} → {fix}", size=8.5, x=0.15)
    doc.gap(0.05)
    code = data.exit_code
    doc.text(f"'boundcheck verify' exit code for these records: {code} "
             f"({'every statement verified, or refuted with its corrected version verified' if code == 0 else 'something is unresolved or refuted without a verified correction'}).",
             size=8.5, color="#333333")
    if data.counterexample_dir:
        doc.text(f"Counterexample files are in {data.counterexample_dir}/.", size=8.5, color="#333333")


def proofs_overview(doc: Doc, data: ReportData) -> None:
    pr = data.proofs
    doc.new_page()
    doc.cont = "Proof checks"
    doc.heading("Proof checks", 16)
    doc.text(f"Each module proofs/<id>.py checks one proof step per test function (sympy for algebra, exact "
             f"rationals / mpmath for inequalities, planted-error twins that must fail).  The report runs them "
             f"with pytest in a subprocess, concurrently with verify, within the same budget "
             f"({data.budget:g} s), each step limited to {pr.step_limit:g} s; steps marked slow are left to "
             f"'pytest -m slow'.", size=8.5, color="#333333")
    if pr.proofs_dir:
        doc.text(f"Folder: {pr.proofs_dir}", size=8.5, color="#333333")
    if pr.note:
        doc.text(pr.note, size=9.5, weight="bold", color=STATUS_COLOURS["unresolved"])
    if not pr.modules:
        return
    doc.gap(0.08)
    used = {}
    for sid, st in data.statements.items():
        m = getattr(st, "proof_module", None)
        if m:
            used.setdefault(m, []).append(sid)
    rows, fills = [], []
    keys = ("passed", "failed", "error", "timeout", "not run")
    for m in pr.modules:
        c = pr.counts(m)
        other = sum(v for k, v in c.items() if k not in keys)
        err = pr.module_errors.get(m, "")
        rows.append((m, ", ".join(used.get(m, [])) or "-", sum(c.values()),
                     *[c.get(k, 0) for k in keys], other))
        bad = c.get("failed", 0) + c.get("error", 0) + (1 if err else 0)
        fills.append("#fbe4e2" if bad else ("#fff0cc" if c.get("timeout", 0) or c.get("not run", 0) else None))
    tot = pr.counts()
    rows.append(("all", "", sum(tot.values()), *[tot.get(k, 0) for k in keys],
                 sum(v for k, v in tot.items() if k not in keys)))
    fills.append("#e6e6e6")
    doc.table(["module", "statements", "steps", "passed", "failed", "error", "timeout", "not run", "other"], rows,
              [1.0, 2.2, 0.5, 0.6, 0.55, 0.5, 0.62, 0.62, 0.5], size=7.5,
              aligns=["left", "left"] + ["right"] * 7, fills=fills,
              families=["monospace", "monospace"] + ["sans-serif"] * 7,
              dash="no statement of this report names the module as its proof (it is run because the report "
                   "covers all of proofs/)")
    doc.text("other: skipped, xfailed or xpassed.", size=7.5, color="#555555")
    for m, err in pr.module_errors.items():
        doc.text(f"proofs/{m}.py could not be collected: {err}", size=8, color=STATUS_COLOURS["refuted"], max_lines=4)
    named = {getattr(st, "proof_module", None) for st in data.statements.values()}
    missing = sorted({m for m in named if m} - set(pr.modules))
    if missing:
        doc.gap(0.06)
        doc.text("Proof modules named by statements but not present: " + ", ".join(f"proofs/{m}.py" for m in missing),
                 size=8.5, color=STATUS_COLOURS["unresolved"])
