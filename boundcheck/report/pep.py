"""The report's exact worst-case pages: one per statement with certificates or witnesses.

Reads the files ``boundcheck pep`` wrote (``<reports>/certificates``, ``<reports>/witnesses``)
and **re-checks every one** here, exactly (a file is untrusted input): a certificate proves
LHS − RHS ≤ δ·tr G for every function of the class at its grid point; a witness is an exact
instance that violates the bound.  A file that fails its re-check is listed as such.
"""
from __future__ import annotations

import re
from pathlib import Path

from boundcheck.report.collect import ReportData
from boundcheck.report.layout import STATUS_COLOURS, TEXT_W, Doc

__all__ = ["pep_pages", "pep_files"]


def pep_files(data: ReportData) -> Path:
    base = Path(data.counterexample_dir).parent if data.counterexample_dir else Path("reports")
    return base


def _rows(st_id: str, base: Path) -> list[tuple]:
    from boundcheck.outputs import files
    from boundcheck.pep.certificate import check_certificate
    from boundcheck.pep.witness import check_witness
    stem = re.sub(r"[^A-Za-z0-9_.-]", "", st_id)
    out = []
    for kind, sub, check in (("certificate", "certificates", check_certificate), ("witness", "witnesses", check_witness)):
        d = base / sub
        if not d.is_dir():
            continue
        for p in sorted(d.glob(f"{stem}_K*.json"))[:200]:
            try:
                rec = files.load(p, kind=kind)
                res = check(str(p))
            except ValueError as exc:
                out.append((0, "-", "malformed", "-", p.name, str(exc)[:60]))
                continue
            if rec.get("statement") != st_id:
                continue
            params = ", ".join(f"{k}={v}" for k, v in sorted((rec.get("params") or {}).items()) if k != "beta")
            if kind == "certificate":
                verdict = ("proved" if str(res.delta) == "0" else "proved to δ") if res.valid else "INVALID"
                delta = ("0" if str(res.delta) == "0" else f"{float(__import__('fractions').Fraction(str(res.delta))):.0e}"
                         ) if res.valid else "-"
            else:
                verdict = "refuted" if res.valid else "INVALID"
                delta = "-"
            out.append((int(rec.get("K", 0)), params or "-", verdict, delta, p.name, "" if res.valid else res.reason[:60]))
    out.sort(key=lambda r: (r[0], r[1]))
    return out


def pep_pages(doc: Doc, data: ReportData) -> None:
    base = pep_files(data)
    for r in data.records:
        rows = _rows(r.id, base)
        if not rows:
            continue
        st = data.statements.get(r.id)
        doc.new_page()
        doc.cont = f"{r.id}: exact worst cases"
        doc.heading(f"{r.id}: exact worst cases over every function of the class (PEP)", 13)
        proved = sum(x[2] in ("proved", "proved to δ") for x in rows)
        refuted = sum(x[2] == "refuted" for x in rows)
        exact = sum(x[2] == "proved" and x[3] == "0" for x in rows)
        doc.text(f"{len(rows)} grid points re-checked for this report: {exact} proved (δ = 0: the statement itself), "
                 f"{proved - exact} proved to δ > 0 (LHS − RHS ≤ δ·tr G), {refuted} refuted by an exact witness.  A certificate is a set of rational "
                 "multipliers of the interpolation conditions whose residual is positive semidefinite, checked in exact "
                 "rationals (or rigorous ball arithmetic where the method's coefficients are irrational): it shows "
                 "LHS − RHS ≤ δ·tr G for every function of the class at that point.  Re-check any file with "
                 "'boundcheck check-certificate FILE' or 'boundcheck replay FILE'.", size=8.5)
        if st is not None and getattr(st, "printed", ""):
            doc.text(f"As printed: {st.printed}", size=7.5, color="#333333")
        colours = [[None, None, STATUS_COLOURS["verified"] if x[2] in ("proved", "proved to δ") else
                    STATUS_COLOURS["refuted"] if x[2] == "refuted" else STATUS_COLOURS["unresolved"], None, None, None]
                   for x in rows]
        doc.table(["K", "parameters", "verdict", "δ", "file", "note"], rows, [0.35, 1.6, 0.75, 0.6, 2.6, TEXT_W - 5.9],
                  size=7, colours=colours, dash="no δ (a witness, or an invalid file)")

