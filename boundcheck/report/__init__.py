"""The PDF report: runs verify, the proof steps, Lemma 12's c_K (and rates), and typesets it all.

Modules, in the order a report is made:

* ``proofs``    — the proof-step runner (pytest in a subprocess, per-step time limits);
* ``inputs``    — checks of every argument and output path before any work starts, and the
                  one place files the report did not compute are read (``outputs.files.load``);
* ``collect``   — runs the checks and gathers :class:`~boundcheck.report.collect.ReportData`;
* ``layout``    — the A4 flowing layout on matplotlib figures (text, formulas, tables, axes);
* ``pages``     — title, summary and proof-overview pages;
* ``statement`` — the page of one statement, built from blocks (extra blocks plug in there);
* ``sections``  — Lemma 12, rates and real-data figures pages;
* ``render``    — the section order, the atomic PDF write and :func:`build_report`.

May import every library layer below it; nothing imports it but the CLI.  This file holds
only the defaults (the CLI reads them for ``--help`` without importing matplotlib); the rest
of the public API is loaded on first use.
"""
from __future__ import annotations

import importlib
from typing import Any

#: default wall-clock budget (seconds) of the checks: ``verify`` gets all of it, the proof
#: steps run concurrently within the same window.  With c_K and typesetting the whole
#: report takes about 95 s on 2 cores.
DEFAULT_BUDGET = 75.0
#: time limit of one proof step (one test function)
STEP_LIMIT = 30.0
DEFAULT_OUT = "reports/boundcheck-report.pdf"

_PUBLIC = {
    "build_report": "render", "render": "render", "SECTIONS": "render",
    "collect": "collect", "ReportData": "collect",
    "ProofStep": "proofs", "ProofRun": "proofs", "run_proofs": "proofs", "find_proofs_dir": "proofs",
    "check_inputs": "inputs", "load_figures_summaries": "inputs",
    "tightness": "pages", "latex_for_mathtext": "layout", "mathtext_ok": "layout",
    "statement_page": "statement", "STATEMENT_BLOCKS": "statement",
}

__all__ = ["DEFAULT_BUDGET", "STEP_LIMIT", "DEFAULT_OUT", *_PUBLIC]


def __getattr__(name: str) -> Any:
    mod = _PUBLIC.get(name)
    if mod is None:
        raise AttributeError(f"module 'boundcheck.report' has no attribute {name!r}")
    return getattr(importlib.import_module(f"boundcheck.report.{mod}"), name)
