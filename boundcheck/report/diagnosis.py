"""The diagnosis block of a refuted statement's page: what must change, one error at a time.

Reads the record's ``diagnosis`` (:mod:`boundcheck.engine.diagnosis`): the named corrections,
the minimal sets that make the statement hold, and every set's verdict with its own
counterexample file; and, where the text admits several readings, the verdict under each.
"""
from __future__ import annotations

from typing import Any

from boundcheck.report.collect import ReportData
from boundcheck.report.layout import STATUS_COLOURS, TEXT_W, Doc
from boundcheck.report.statement import add_block

__all__ = ["diagnosis_block"]


def diagnosis_block(doc: Doc, r: Any, st: Any, data: ReportData) -> None:
    diag = getattr(r, "diagnosis", None)
    if not diag:
        return
    from boundcheck.engine.diagnosis import needs_line, readings_line
    doc.heading("Diagnosis: the corrections, one at a time", 10.5, color=STATUS_COLOURS["refuted"])
    doc.text(needs_line(st, diag).split(": ", 1)[-1].replace("*", ""), size=8.5, weight="bold")
    rows = [(name, text) for name, text in diag["corrections"].items()]
    doc.table(["correction", "what it changes"], rows, [1.3, TEXT_W - 1.3], size=7.5)
    srows = []
    for s in diag["subsets"]:
        applied = " + ".join(s["apply"]) if s["apply"] else "none (as printed)"
        if s.get("reading"):
            applied += f"  [{s['reading']}]"
        ratio = "-" if s.get("worst_ratio") is None else f"{s['worst_ratio']:.4g}"
        srows.append((applied, s["status"], ratio, s.get("counterexample") or (s.get("same_as") or "-")))
    doc.table(["corrections applied", "status", "ratio", "counterexample (or the registered statement)"], srows,
              [2.4, 0.8, 0.6, TEXT_W - 3.8], size=7,
              dash="'-': no ratio (RHS ≤ 0 at the counterexample) or no counterexample (the set holds).")
    rl = readings_line(st, diag)
    if rl:
        doc.text(rl.split(" — ", 1)[-1], size=7.5, color="#333333")
    for name, rd in diag.get("readings", {}).items():
        if rd.get("note"):
            doc.text(f"Reading '{name}': {rd['note']}", size=7, color="#555555")


add_block("diagnosis", diagnosis_block, after="counterexample")
