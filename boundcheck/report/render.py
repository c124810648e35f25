"""Writing the PDF: the order of the sections, the atomic write, and :func:`build_report`.

:data:`SECTIONS` lists the report's sections in order as ``(name, section(doc, data))``;
:func:`add_section` puts a new one (e.g. a page per certified statement) before or after a
named one.  The PDF is written to a temporary file next to the target and renamed onto it at
the end (``outputs.common.atomic_output``): an error or Ctrl-C leaves no half-written PDF,
and an existing PDF survives a failed write.  :func:`build_report` checks every input and
the output paths before any work starts.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from boundcheck._version import __version__
from boundcheck.report import DEFAULT_BUDGET, DEFAULT_OUT
from boundcheck.report import pages as _pages
from boundcheck.report import sections as _sections
from boundcheck.report import statement as _statement
from boundcheck.report import diagnosis as _diagnosis  # noqa: F401  (adds its block to the statement pages)
from boundcheck.report.collect import Phases, ReportData, collect, plan
from boundcheck.report.inputs import check_inputs, open_pdf
from boundcheck.report.layout import Doc

__all__ = ["SECTIONS", "add_section", "render", "build_report"]

Section = Callable[[Doc, ReportData], None]


def _statements(doc: Doc, data: ReportData) -> None:
    for r in data.records:
        _statement.statement_page(doc, r, data)


def _rates(doc: Doc, data: ReportData) -> None:
    if data.with_rates:
        _sections.rates_pages(doc, data)


def _figures(doc: Doc, data: ReportData) -> None:
    for fs in data.figures:
        _sections.figures_page(doc, fs)


#: the report's sections in order; the functions are looked up when the report is written
SECTIONS: list[tuple[str, Section]] = [
    ("title", lambda doc, data: _pages.title_page(doc, data)),
    ("summary", lambda doc, data: _pages.summary_pages(doc, data)),
    ("proofs", lambda doc, data: _pages.proofs_overview(doc, data)),
    ("statements", _statements),
    ("lemma12", lambda doc, data: _sections.lemma12_page(doc, data)),
    ("rates", _rates),
    ("figures", _figures),
]


def add_section(name: str, section: Section, *, after: str | None = None, before: str | None = None) -> None:
    """Insert a section into :data:`SECTIONS` (at the end without ``after``/``before``)."""
    names = [n for n, _ in SECTIONS]
    if name in names:
        raise ValueError(f"a report section named {name!r} exists")
    ref = after or before
    if ref is not None and ref not in names:
        raise ValueError(f"no report section named {ref!r}; sections: {', '.join(names)}")
    i = len(names) if ref is None else names.index(ref) + (1 if after else 0)
    SECTIONS.insert(i, (name, section))


def _pep(doc: Doc, data: ReportData) -> None:
    from boundcheck.report.pep import pep_pages
    pep_pages(doc, data)


SECTIONS.insert([n for n, _ in SECTIONS].index("statements") + 1, ("pep", _pep))


def expected_pages(data: ReportData) -> int:
    """A rough page count for the progress bar (a statement takes about 1.7 pages)."""
    rates = 1 + 2 * len((data.rates or {}).get("methods", {})) if data.with_rates else 0
    return 4 + int(1.7 * len(data.records)) + rates + 2 * len(data.figures)


def _render_into(data: ReportData, path: Path, phases: Phases | None = None) -> int:
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    rc = {"pdf.fonttype": 42, "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"],
          "font.monospace": ["DejaVu Sans Mono"], "mathtext.fontset": "dejavusans", "axes.unicode_minus": True}
    footer = f"boundcheck {__version__} report · {data.started} UTC · budget {data.budget:g} s · seed {data.seed}"
    total = max(expected_pages(data), 1)
    on_page = (lambda n: phases.update(n / total, f"page {n}")) if phases is not None else None
    with matplotlib.rc_context(rc):
        with PdfPages(path, metadata={"Title": "boundcheck report: " + _pages.PAPER["title"],
                                      "Author": "boundcheck " + __version__,
                                      "Subject": f"budget {data.budget:g} s, seed {data.seed}",
                                      "Creator": "boundcheck report (matplotlib)"}) as pdf:
            doc = Doc(pdf, footer, on_page)
            for _, section in SECTIONS:
                section(doc, data)
            doc.finish_page()
            return doc.pages


def render(data: ReportData, out: str | os.PathLike) -> int:
    """Write the PDF for ``data`` atomically; returns the number of pages."""
    target = open_pdf(out)
    try:
        pages = _render_into(data, target.tmp)
    except BaseException as exc:
        target.abort(exc)
        raise
    target.commit()
    return pages


def build_report(out: str | os.PathLike = DEFAULT_OUT, ids: Sequence[str] | None = None, *,
                 budget: float = DEFAULT_BUDGET, seed: int = 0, with_rates: bool = False,
                 progress: Callable[[float, str], None] | None = None, **kw: Any) -> tuple[ReportData, int]:
    """Check every input and the output paths, run everything, write the PDF atomically.

    Returns (data, pages).  Keyword arguments go to :func:`~boundcheck.report.collect.collect`;
    ``progress(fraction, "<phase>: <detail>")`` follows the whole report, typesetting included.
    """
    check_inputs(ids, budget=budget, step_limit=kw.get("step_limit", 1.0), with_rates=with_rates,
                 rates_grid=kw.get("rates_grid", "default"), rates_seeds=kw.get("rates_seeds", 16),
                 counterexample_dir=kw.get("counterexample_dir", "reports/counterexamples"),
                 figures=kw.get("figures", ()))
    target = open_pdf(out)  # fails fast (ValueError) when the PDF cannot be written
    try:
        phases = plan(budget, with_rates, progress)
        data = collect(ids, budget=budget, seed=seed, with_rates=with_rates, phases=phases, **kw)
        t0 = time.monotonic()
        phases.start("typesetting")
        pages = _render_into(data, target.tmp, phases)
        data.timings["render"] = time.monotonic() - t0
    except BaseException as exc:
        target.abort(exc)
        raise
    target.commit()
    phases.update(1.0, "done")
    return data, pages
