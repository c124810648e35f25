"""The page of one statement, built from blocks.

:data:`STATEMENT_BLOCKS` lists the blocks in page order — header (title, status badge),
statement (as printed, typeset checked form, hypotheses, corrections), result of the
search, counterexample (refuted only), plots, proof steps.  A block is
``block(doc, record, statement, data)``: it reads the record's fields with ``getattr`` and a
default (fields added to ``Record`` later are ignored; a block for a new field reads it the
same way), does nothing when it does not apply, and finds any data of its own in
``data.extras[name]``.  :func:`add_block` puts a new block (e.g. a diagnosis of a refuted
statement) before or after a named one.

Labels say exactly what is shown: the worst ratio of a refuted statement is that of the
saved counterexample *after shrinking*, while the histogram and the ratio-vs-K plot show
the ratios seen *during the search* (the counterexample as first found among them); slack
is given as RHS − LHS where that is known and as (RHS − LHS)/RHS where that is what the
record holds; every '-' in a table is explained under it.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from boundcheck.outputs.common import fmt
from boundcheck.report.collect import ReportData, corrections_of
from boundcheck.report.layout import OUTCOME_COLOURS, STATUS_COLOURS, TEXT_W, Doc
from boundcheck.report.pages import tightness
from boundcheck.report.proofs import BUDGET_MESSAGE, ProofStep

__all__ = ["statement_page", "STATEMENT_BLOCKS", "add_block", "Block", "rhs_minus_lhs"]

Block = Callable[[Doc, Any, Any, ReportData], None]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return getattr(obj, name, default) if obj is not None else default


# ============================================================================ header and statement
def header_block(doc: Doc, r: Any, st: Any, data: ReportData) -> None:
    title = f"{_get(st, 'number', '')} — {_get(st, 'title', '')}" if st is not None else r.id
    y0 = doc.y
    doc.text(title, size=14, weight="bold", width=TEXT_W - 1.6)
    doc.badge(r.status, y0 - 14 / 72)
    if st is None:
        doc.text(f"id {r.id}: the statement is not in the registry (loaded from a module?).", size=9)
        return
    fams = ", ".join(_get(st, "families", ()) or ()) or "none named"
    doc.text(f"id {r.id}  ·  §{_get(st, 'section', '?')}  ·  {_get(st, 'kind', '?')}  ·  algorithm "
             f"{_get(st, 'algorithm', '?')}  ·  families {fams}  ·  expectation {_get(st, 'expectation', '?')}",
             size=8, color="#444444")
    doc.rule()


def _typeset_bounds(doc: Doc, b: Any, sp: Any, *, size: float) -> None:
    labels = ("SGD: ", "prox: ", "AGD: ") if len(b) == 3 else tuple(f"[{i}] " for i in range(len(b)))
    for lab, x in zip(labels, b):
        doc.math(sp.latex(x), str(x), label=lab, size=size)


def statement_block(doc: Doc, r: Any, st: Any, data: ReportData) -> None:
    if st is None:
        return
    import sympy as sp
    doc.heading("As printed", 10.5)
    doc.text(_get(st, "printed", ""), size=8.5, max_lines=12)
    doc.heading("Checked form (typeset from the registry's sympy objects)", 10.5)
    doc.text("LHS = " + str(_get(st, "quantity", "")), size=8.5, max_lines=4)
    rel = {"<=": r"\leq", "<": "<", ">=": r"\geq", "=": "="}.get(_get(st, "relation", "<="), r"\leq")
    bound, big_o = _get(st, "bound"), bool(_get(st, "big_o", False))
    if isinstance(bound, (sp.Tuple, tuple)):
        doc.text(("LHS = O(rate) for each method, rate as printed:" if big_o else "LHS ≤ RHS, one per case:"),
                 size=8.5)
        _typeset_bounds(doc, bound, sp, size=13)
    elif bound is not None:
        lhs = r"\mathrm{LHS}\ " + (r"= O\left(" + sp.latex(bound) + r"\right)" if big_o else rel + " " + sp.latex(bound))
        doc.math(lhs, f"LHS {'= O(' + str(bound) + ')' if big_o else _get(st, 'relation', '<=') + ' ' + str(bound)}",
                 size=14.5)
    ex = _get(st, "explicit")
    if ex is not None:
        mod = _get(st, "proof_module")
        doc.text("Explicit bound the numeric check uses (constants derived in "
                 + (f"proofs/{mod}.py" if mod else "the proof") + "):", size=8.5)
        if isinstance(ex, (sp.Tuple, tuple)):
            _typeset_bounds(doc, ex, sp, size=13)
        else:
            doc.math(r"\mathrm{LHS}\ \leq " + sp.latex(ex), f"LHS <= {ex}", size=14)
    all_h = list(_get(st, "hypotheses", ()) or ())
    hyps = [h for h in all_h if not (h is sp.true or h == sp.true)]
    structural = len(all_h) - len(hyps)
    doc.text("Hypotheses" + (" (as printed):" if hyps else ":"), size=8.5, weight="bold")
    for h in hyps:
        doc.math(sp.latex(h), str(h), size=13, x=0.3)
    if structural or not hyps:
        doc.text(("(plus " if hyps else "") + f"{structural} structural hypothes{'is' if structural == 1 else 'es'} "
                 "(convexity, smoothness, gradient bound ρ, …) that hold by construction of the instance families"
                 + (")" if hyps else "") if structural else "none beyond those built into the instance families",
                 size=8, color="#444444", x=0.3)
    readings = _get(st, "readings", ()) or ()
    if readings:
        doc.text("Readings: " + "  ".join(f"({k + 1}) {x}" for k, x in enumerate(readings)), size=7.5,
                 color="#444444", max_lines=8)
    if _get(st, "corrects"):
        doc.text(f"Corrects {st.corrects}: {_get(st, 'correction', '') or ''}", size=8.5, color="#1a4d8f", max_lines=8)
    links = corrections_of(r.id, data.statements) if r.id in data.statements else []
    if links:
        doc.text("Corrected version: " + ", ".join(links) + " (its own page follows).", size=8.5, color="#1a4d8f")


# ============================================================================ result of the search
def _mp(x: Any) -> Any:
    import mpmath
    try:
        return mpmath.mpf(str(x))
    except (TypeError, ValueError):
        return None


def rhs_minus_lhs(check: dict) -> float | None:
    """RHS − LHS of a high-precision re-check (from its 40-digit LHS and RHS: no cancellation)."""
    import mpmath
    lhs, rhs = _mp(check.get("lhs")), _mp(check.get("rhs"))
    if lhs is None or rhs is None:
        return None
    with mpmath.workdps(60):
        return float(rhs - lhs)


def _seen_max(r: Any) -> float | None:
    xs = [v for v in (_get(r, "ratios_sample", ()) or ()) if v is not None and math.isfinite(v)]
    return max(xs) if xs else None


def result_block(doc: Doc, r: Any, st: Any, data: ReportData) -> None:
    doc.heading("Result of the search", 10.5)
    inad = ", ".join(f"{k}: {v}" for k, v in (_get(r, "inadmissible", {}) or {}).items()) or "none"
    rows: list[tuple[str, str]] = [
        ("status", r.status.upper() if r.status == "unresolved" else r.status),
        ("trials (admissible)", f"{r.trials}  ({_get(r, 'evaluations', 0)} evaluations, {_get(r, 'dropped', 0)} "
                                f"dropped, inadmissible: {inad})")]
    ce = data.counterexamples.get(r.id) or {}
    chk = ce.get("check") if ce.get("kind") == "counterexample" else None
    worst = _get(r, "worst_ratio")
    if r.status == "refuted" and chk:
        rows.append(("LHS / RHS, saved counterexample", (fmt(worst) + "  (after shrinking)") if worst is not None
                     else "- (RHS ≤ 0 there)"))
        rows.append(("RHS − LHS, saved counterexample", fmt(rhs_minus_lhs(chk))))
        ratio = chk.get("ratio")
        if isinstance(ratio, (int, float)):
            rows.append(("(RHS − LHS) / RHS, same instance", fmt(1 - ratio)))
        seen = _seen_max(r)
        if seen is not None:
            rows.append(("largest LHS / RHS during the search", fmt(seen) + "  (before shrinking)"))
    else:
        rows.append(("worst ratio LHS / RHS over the trials", fmt(worst) if worst is not None else
                     "- (no trial with RHS > 0)"))
        slack = _get(r, "smallest_slack")
        if slack is not None:
            rows.append(("smallest (RHS − LHS) / RHS", fmt(slack) + "  (= 1 − worst ratio; relative, not RHS − LHS)"))
    rows += [("tightness", tightness(r)), ("how checked", _get(r, "check", "") or "not recorded"),
             ("time", f"{_get(r, 'seconds', 0.0):.2f} s")]
    if _get(r, "note"):
        rows.append(("note", r.note))
    doc.table(["", ""], rows, [2.45, TEXT_W - 2.45], size=8, show_header=False,
              colours=[(None, STATUS_COLOURS.get(r.status)), *[(None, None)] * (len(rows) - 1)],
              dash="the ratio LHS / RHS is undefined where RHS ≤ 0")
    if r.status == "unresolved":
        doc.text("UNRESOLVED: the search could not settle this statement within the budget — it is not verified.",
                 size=9, weight="bold", color=STATUS_COLOURS["unresolved"])


# ============================================================================ counterexample
def _fmt_param(v: Any, limit: int = 8) -> str:
    a = np.asarray(v, dtype=float)
    if a.size == 0:
        return "[]"
    shown = ", ".join(f"{x:.4g}" for x in a.ravel()[:limit])
    more = f", … ({a.size} values)" if a.size > limit else ""
    shape = "" if a.size == 1 else f"shape {tuple(a.shape)}: "
    return f"{shape}{shown}{more}"


def _fmt_num(s: Any, digits: int = 12) -> str:
    if s is None:
        return "-"
    try:
        x = float(s)
    except (TypeError, ValueError):
        return str(s)
    return f"{x:.{digits}g}"


def _check_column(c: dict, printed: bool) -> list[str]:
    if "error" in c:
        return [c["error"], "", "", "", ""]
    viol = c.get("violated_hypotheses") or []
    if printed:
        verdict = "VIOLATED: LHS > RHS" if c.get("is_counterexample") else "not a counterexample"
    elif viol:
        verdict = "instance outside the corrected hypotheses: " + ", ".join(map(str, viol))
    else:
        verdict = "holds: LHS ≤ RHS" if not c.get("is_counterexample") else "VIOLATED as well"
    ratio = c.get("ratio")
    return [_fmt_num(c.get("lhs")), _fmt_num(c.get("rhs")), _fmt_num(c.get("margin")),
            f"{ratio:.6g}" if isinstance(ratio, (int, float)) else "-", verdict]


def _family_table(doc: Doc, ce: dict) -> None:
    doc.text(ce.get("family", ""), size=8, color="#333333")
    mem = ce.get("members", {})
    cvals = list(mem)
    if not cvals:
        return
    Bs = [m.get("B") for m in mem[cvals[0]]]
    rows = [[B] + [fmt(mem[c][k].get("ratio")) if k < len(mem[c]) else "-" for c in cvals] for k, B in enumerate(Bs)]
    doc.table(["B"] + [f"ratio at c = {c}" for c in cvals], rows, [1.0] + [1.6] * len(cvals), size=8,
              aligns=["right"] * (1 + len(cvals)), dash="no member of the family at this B for this c")


def counterexample_block(doc: Doc, r: Any, st: Any, data: ReportData) -> None:
    if r.status != "refuted":
        return
    ce = data.counterexamples.get(r.id)
    doc.heading("Counterexample", 11.5, color=STATUS_COLOURS["refuted"])
    if ce is None:
        doc.text("No counterexample file was saved for this run (counterexample directory disabled).", size=8.5)
        return
    if "error" in ce:
        doc.text(ce["error"], size=8.5, color=STATUS_COLOURS["refuted"])
        return
    doc.text(f"File: {ce['file']}", size=8, family="monospace", color="#333333")
    if ce.get("kind") == "family":
        _family_table(doc, ce)
        return
    if ce.get("kind") == "growth":
        rows = [(g.get("K"), fmt(g.get("worst")), fmt(g.get("ratio"))) for g in ce.get("rows", [])]
        doc.table(["K", "worst", "ratio"], rows, [1.0, 1.6, 1.6], size=8, aligns=["right"] * 3,
                  dash="not recorded in the growth table")
        return
    chk = ce.get("check", {})
    corrected = ce.get("corrected", {})
    cid = next(iter(corrected), None)
    struct = ", ".join(f"{k} = {v}" for k, v in ce.get("structure", {}).items())
    params = "; ".join(f"{k} = {_fmt_param(v, 6)}" for k, v in ce.get("params", {}).items())
    doc.text(f"Instance: {struct}", size=8.5)
    doc.text(f"Parameters (raw, as saved): {params}", size=7.5, family="monospace", max_lines=8)
    doc.gap(0.04)
    left = _check_column(chk, True)
    heads = ["", f"{r.id} (as printed)"]
    right = None
    if cid:
        right = _check_column(corrected.get(cid, {}), False)
        heads.append(f"{cid} on the same instance")
    scale = ce.get("scale", 1.0)
    labels = ["LHS", "RHS", "LHS − RHS" if scale == 1 else f"LHS − {scale:g}·RHS", "LHS / RHS", "verdict"]
    rows = [[lab, left[k]] + ([right[k]] if right else []) for k, lab in enumerate(labels)]
    ww = [1.0, 2.95, 2.95] if right else [1.0, 3.5]
    colours = [[None, STATUS_COLOURS["refuted"] if k == 4 else None,
                (STATUS_COLOURS["verified"] if right and right[4].startswith("holds") else None) if k == 4 else None]
               for k in range(5)]
    doc.table(heads, rows, ww, size=8, colours=colours, families=["sans-serif", "monospace", "monospace"][:len(heads)],
              dash="LHS / RHS is undefined where RHS ≤ 0; a number missing from the file")
    dps = chk.get("dps")
    if isinstance(dps, list) and len(dps) == 2:
        doc.text(f"High-precision re-check in mpmath at {dps[0]} and {dps[1]} digits (margin at the lower precision "
                 f"{_fmt_num(chk.get('margin_at_lower_precision'))}).", size=7.5, color="#444444")
    if not cid:
        doc.text("No corrected version is registered for this statement.", size=8.5)


# ============================================================================ plots
_LEGEND = dict(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False, handlelength=1.6,
               columnspacing=1.0)


def _histogram(ax: Any, r: Any, saved: float | None) -> None:
    x = np.asarray([v for v in r.ratios_sample if v is not None and math.isfinite(v)], dtype=float)
    marks = [v for v in (saved,) if v is not None and math.isfinite(v)]
    every = np.concatenate([x, marks])
    lo = float(max(np.min(every), -1.0)) if every.size else 0.0
    hi = float(max(np.max(every), 1.02)) if every.size else 1.02
    pad = 0.03 * (hi - lo)  # a bar at the largest value stays visible, not on the frame
    lo, hi = (lo if lo <= -1.0 else lo - pad), hi + pad
    clipped = int(np.sum(x < lo))
    ax.hist(np.clip(x, lo, hi), bins=40, range=(lo, hi), color="#4c72b0", alpha=0.85)
    ax.axvline(1.0, color=STATUS_COLOURS["refuted"], ls="--", lw=1.2, label="bound (ratio 1)")
    if x.size:
        ax.axvline(float(np.max(x)), color="black", ls=":", lw=1, label=f"largest seen {np.max(x):.4g}")
    if marks:
        ax.axvline(marks[0], color=STATUS_COLOURS["refuted"], ls="-", lw=1.4,
                   label=f"saved counterexample {marks[0]:.4g}")
    ax.set_xlabel("LHS / RHS per trial during the search" + (f" ({clipped} below {lo:.2g} clipped)" if clipped else ""),
                  fontsize=8)
    ax.set_ylabel("trials", fontsize=8)
    ax.set_title(f"ratios seen during the search (sample of {x.size} of {r.trials})", fontsize=8.5)
    ax.tick_params(labelsize=7)
    ax.legend(**_LEGEND)


def _by_K(ax: Any, r: Any, ce: dict) -> None:
    Ks = np.array(sorted(r.ratio_by_K), dtype=float)
    ys = np.array([r.ratio_by_K[k] for k in sorted(r.ratio_by_K)], dtype=float)
    floor = -1.0
    low = ys < floor
    ax.plot(Ks[~low], ys[~low], "o", ms=3.5, color="#4c72b0", label="worst seen at K (search)")
    if low.any():
        ax.plot(Ks[low], np.full(int(low.sum()), floor), "v", ms=4, color="#888888",
                label=f"below {floor:g} ({int(low.sum())})")
    ax.axhline(1.0, color=STATUS_COLOURS["refuted"], ls="--", lw=1.2, label="bound")
    cek, cer = ce.get("structure", {}).get("K"), ce.get("check", {}).get("ratio")
    if isinstance(cek, (int, float)) and isinstance(cer, (int, float)) and math.isfinite(cer):
        ax.plot([cek], [cer], "x", ms=7, mew=2, color=STATUS_COLOURS["refuted"], label="saved counterexample")
        ys = np.append(ys, cer)
    if Ks.max() > 20:
        ax.set_xscale("log")
    ax.set_xlabel("K (inner steps)", fontsize=8)
    ax.set_ylabel("worst LHS / RHS at this K", fontsize=8)
    ax.set_title("worst ratio vs K", fontsize=8.5)
    ax.set_ylim(max(min(float(np.min(ys)), 0.0), floor) - 0.05, max(1.1, float(np.max(ys)) * 1.05))
    ax.tick_params(labelsize=7)
    ax.legend(**_LEGEND)


def _family_plot(ax: Any, r: Any) -> None:
    ax.loglog([m["B"] for m in r.family_growth], [m["ratio"] for m in r.family_growth], "o-", ms=3.5,
              color=STATUS_COLOURS["refuted"])
    ax.set_xlabel("B (batch size) along the family", fontsize=8)
    ax.set_ylabel("ratio to the printed rate", fontsize=8)
    ax.set_title("big-O family: ratio grows without bound", fontsize=8.5)
    ax.tick_params(labelsize=7)


def plots_block(doc: Doc, r: Any, st: Any, data: ReportData) -> None:
    have_ratios = bool(_get(r, "ratios_sample"))
    have_K = len(_get(r, "ratio_by_K", {}) or {}) >= 2
    have_family = bool(_get(r, "family_growth"))
    if not (have_ratios or have_K or have_family):
        doc.text("No ratio to plot: " + ("no trials ran" if not r.trials else
                                         "the ratio LHS/RHS is undefined here (RHS ≤ 0 at every trial kept)"),
                 size=8.5, color="#444444")
        return
    ce = data.counterexamples.get(r.id) or {}
    saved = ce.get("check", {}).get("ratio") if ce.get("kind") == "counterexample" else None
    caption = ("The search stops at the first counterexample confirmed in high precision, then shrinks it "
               "(smaller K, T, B, n, rounder numbers) while it stays one: the plots show the ratios seen during the "
               "search (the counterexample as first found among them); red solid: the saved, shrunk one (the "
               "tables' numbers)." if r.status == "refuted" and saved is not None else "")
    cap_h = 0.45 if caption else 0.0
    doc.gap(0.05)
    h = 3.0
    if h + cap_h > doc.room() >= 2.4 + cap_h:  # squeeze a little rather than leave a page nearly empty
        h = doc.room() - cap_h
    doc.need(h + cap_h)  # the caption stays with its plots
    if caption:
        doc.text(caption, size=7.5, color="#555555")
    axs = doc.axes(h, 2, wspace=0.85, bottom=0.85)
    if int(have_ratios) + int(have_K or have_family) == 1:  # one plot: keep the half-width panel
        doc.fig.delaxes(axs[1])
    k = 0
    if have_ratios:
        _histogram(axs[k], r, saved)
        k += 1
    if have_K:
        _by_K(axs[k], r, ce)
    elif have_family:
        _family_plot(axs[k], r)


# ============================================================================ proof steps
def group_steps(steps: Sequence[ProofStep]) -> list[dict]:
    """One row per test function: parametrized cases are folded into 'name ×n'."""
    groups: dict[str, list[ProofStep]] = {}
    for s in steps:
        groups.setdefault(s.name.split("[", 1)[0], []).append(s)
    out = []
    for base, ss in groups.items():
        name = base.removeprefix("test_").replace("_", " ")
        outcomes = [s.outcome for s in ss]
        if len(ss) > 1:
            name += f" (×{len(ss)})"
        if len(set(outcomes)) == 1:
            outcome = outcomes[0]
        else:
            worst = next(o for o in ("failed", "error", "timeout", "xpassed", "not run", "skipped", "xfailed", "passed")
                         if o in outcomes)
            outcome = f"{worst} ({outcomes.count(worst)} of {len(ss)})"
        bad = [s for s in ss if s.outcome not in ("passed", "xfailed") and s.message]
        msg = ""
        if bad:
            b = bad[0]
            msg = (f"[{b.name.split('[', 1)[1]} " if "[" in b.name else "") + b.message
        out.append({"name": name, "outcome": outcome, "seconds": sum(s.seconds for s in ss),
                    "doc": ss[0].doc, "message": msg})
    return out


def proof_block(doc: Doc, r: Any, st: Any, data: ReportData) -> None:
    if st is None:
        return
    doc.heading("Proof steps checked", 10.5)
    mod = _get(st, "proof_module")
    doc.text(f"Proof: {_get(st, 'proof', '') or 'none recorded'}", size=8, color="#333333", max_lines=3)
    pr = data.proofs
    if mod is None:
        doc.text("No proof module is named for this statement.", size=8.5)
        return
    if mod not in pr.modules:
        if pr.proofs_dir and not (Path(pr.proofs_dir) / f"{mod}.py").exists():
            why = f"proofs/{mod}.py is not present"
        else:
            why = pr.note or f"proofs/{mod}.py was not run"
        doc.text(f"Proof steps: {why.rstrip('.')}.", size=8.5, color=STATUS_COLOURS["unresolved"])
        return
    if mod in pr.module_errors:
        doc.text(f"proofs/{mod}.py failed to load: {pr.module_errors[mod]}", size=8, color=STATUS_COLOURS["refuted"],
                 max_lines=4)
    steps = pr.for_module(mod)
    if not steps:
        doc.text(f"No steps recorded for proofs/{mod}.py" + (f" ({pr.note})" if pr.note else "."), size=8.5,
                 color=STATUS_COLOURS["unresolved"])
        return
    summary = f"proofs/{mod}.py: " + ", ".join(f"{v} {k}" for k, v in sorted(pr.counts(mod).items()))
    shown = doc.shown_modules.get(mod)
    if shown is not None:
        doc.text(summary + f" (steps listed on the page of {shown}).", size=8.5, weight="bold")
        return
    doc.shown_modules[mod] = r.id
    doc.text(summary, size=8.5, weight="bold")
    rows, cols = [], []
    for g in group_steps(steps):
        desc = g["doc"] or ""
        if g["message"] and g["message"] != BUDGET_MESSAGE:
            desc = (desc + " — " if desc else "") + g["message"]
        rows.append((g["name"], g["outcome"], f"{g['seconds']:.2f}", desc or "-"))
        cols.append((None, OUTCOME_COLOURS.get(g["outcome"].split(" ")[0]), None, None))
    doc.table(["step", "outcome", "s", "what it checks"], rows, [2.0, 0.75, 0.45, TEXT_W - 3.2], size=7,
              aligns=["left", "left", "right", "left"], colours=cols, max_lines=4,
              dash="the test function has no docstring")
    if any(s.outcome == "not run" and s.message == BUDGET_MESSAGE for s in steps):
        doc.text("'not run': the report's budget ran out before the step's turn (a larger --budget runs it; "
                 "'pytest proofs/" + mod + ".py' runs them all).", size=7.5, color="#555555")


# ============================================================================ the page
#: the blocks of a statement page, in order: (name, block)
STATEMENT_BLOCKS: list[tuple[str, Block]] = [
    ("header", header_block), ("statement", statement_block), ("result", result_block),
    ("counterexample", counterexample_block), ("plots", plots_block), ("proof", proof_block),
]


def add_block(name: str, block: Block, *, after: str | None = None, before: str | None = None) -> None:
    """Insert a block into :data:`STATEMENT_BLOCKS` (at the end without ``after``/``before``)."""
    if any(n == name for n, _ in STATEMENT_BLOCKS):
        raise ValueError(f"a statement block named {name!r} exists")
    names = [n for n, _ in STATEMENT_BLOCKS]
    ref = after or before
    if ref is not None and ref not in names:
        raise ValueError(f"no statement block named {ref!r}; blocks: {', '.join(names)}")
    i = len(names) if ref is None else names.index(ref) + (1 if after else 0)
    STATEMENT_BLOCKS.insert(i, (name, block))


def statement_page(doc: Doc, r: Any, data: ReportData) -> None:
    """The page (or pages) of one record: every block of :data:`STATEMENT_BLOCKS` in turn."""
    st = data.statements.get(r.id)
    doc.new_page()
    doc.cont = r.id
    for _, block in STATEMENT_BLOCKS:
        block(doc, r, st, data)
