"""The report's closing sections: Lemma 12's c_K page, the rates pages and the real-data figures.

Each section function takes the :class:`~boundcheck.report.layout.Doc` and the
:class:`~boundcheck.report.collect.ReportData` and says on the page what is missing when a
piece is (a helper that is not importable, a run that failed, a figure file that is gone).
The rates pages cite the function they ran by its public import path
(:data:`~boundcheck.report.inputs.RATES_FUNCTION`).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from boundcheck.outputs.common import fmt
from boundcheck.report.collect import ReportData
from boundcheck.report.inputs import RATES_FUNCTION
from boundcheck.report.layout import PAGE_W, STATUS_COLOURS, TEXT_W, Doc

__all__ = ["lemma12_page", "rates_pages", "figures_page"]


def lemma12_page(doc: Doc, data: ReportData) -> None:
    doc.new_page()
    doc.cont = "Lemma 12: c_K"
    doc.heading("Lemma 12: the stability constant c_K of AGD on quadratics", 14)
    L = data.lemma12 or {}
    if "error" in L:
        doc.text(f"Missing: {L['error']}.  This page would show c_K vs K (boundcheck.experiments.agd_stability).", size=10,
                 color=STATUS_COLOURS["unresolved"], weight="bold")
        return
    doc.text("Lemma 12 as printed gives ε = O(ηρ²K²/B).  Writing ε ≤ c_K·ηρ²K²/B, c_K is the worst case over "
             "the curvature a = ηh ∈ [0, 1] of Lemma 12's difference recursion, (2/K²)·Σ_j max_a |φ_{K,j}(a)|.  "
             "proofs/lemma12.py proves c_K ≤ 1 + 1/K, i.e. ε ≤ ηρ²K(K+1)/B, approached as λ_0 → ∞ (γ ≡ 1).  The "
             "naive argument (product of companion-matrix norms) grows exponentially.", size=8.5)
    res = L["results"]
    ax = doc.axes(5.3, 1, left=0.75, bottom=1.3, top=0.35)[0]
    right_pad = 0.9
    pos = ax.get_position()
    ax.set_position([pos.x0, pos.y0, pos.width - right_pad / PAGE_W, pos.height])
    from boundcheck.experiments import agd_stability as agd
    before = set(doc.fig.axes)
    try:
        agd.plot_c_K(ax, 1000, tuple(res), naive=True, results=res)
    except Exception as exc:  # noqa: BLE001
        ax.text(0.5, 0.5, f"plot_c_K failed: {type(exc).__name__}: {exc}", ha="center", transform=ax.transAxes)
    ax.title.set_fontsize(10)
    handles, labels = [], []
    for a in [ax, *[a for a in doc.fig.axes if a not in before]]:
        a.tick_params(labelsize=7.5)
        a.xaxis.label.set_fontsize(8.5)
        a.yaxis.label.set_fontsize(8.5)
        h, lab = a.get_legend_handles_labels()
        for hh, ll in zip(h, lab):
            if ll not in labels:
                handles.append(hh)
                labels.append(ll)
        if a.get_legend() is not None:
            a.get_legend().remove()
    if handles:  # one legend under the plot, clear of the curves
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=7.5,
                  frameon=False)
    doc.gap(0.1)
    Ks = [1, 2, 5, 10, 20, 50, 100, 1000]
    lams = list(res)
    naive = {row["K"]: row for row in (L.get("naive") or {}).get("rows", [])}
    rows = []
    for K in Ks:
        row = [K] + [f"{res[l].inside[K - 1]:.6f}" for l in lams] + [f"{1 + 1 / K:.6f}"]
        nv = naive.get(K)
        row.append(f"{10 ** nv['log10_naive']:.3g}" if nv and nv["log10_naive"] < 300 else
                   (f"1e{nv['log10_naive']:.0f}" if nv else "-"))
        rows.append(row)
    heads = ["K"] + [("c_K, λ₀ → ∞" if math.isinf(l) else f"c_K, λ₀ = {l:g}") for l in lams] + ["proven 1 + 1/K",
                                                                                                 "naive bound"]
    doc.table(heads, rows, [0.5] + [1.05] * len(lams) + [1.1, 1.0], size=8, aligns=["right"] * len(heads),
              dash="the naive bound was not computed at this K (" + (L.get("naive_error") or "not provided") + ")")
    inf_res = res.get(math.inf)
    if inf_res is not None:
        excess = float(np.max(inf_res.inside - inf_res.bound))
        doc.gap(0.05)
        doc.text(f"Largest c_K − (1 + 1/K) over K ≤ 1000 at λ₀ → ∞: {excess:.2e} (≤ 0 up to rounding: the proven "
                 f"constant is never exceeded).  Method: {inf_res.method}; K refined locally: "
                 f"{', '.join(map(str, inf_res.refined)) or 'none'}.  Computed in {L.get('seconds', 0):.1f} s.",
                 size=8, color="#333333")
    nvt = L.get("naive") or {}
    if nvt.get("first_K_10x"):
        doc.text(f"The naive bound exceeds the true constant 10× from K = {nvt['first_K_10x']} and 10⁶× from "
                 f"K = {nvt.get('first_K_1e6x')}.", size=8, color="#333333")


def figures_page(doc: Doc, fs: dict) -> None:
    """Section 5 on the real data: the agreement numbers, then the figure on a landscape page."""
    a = fs["agreement"]
    ds = fs["dataset"]
    doc.new_page()
    doc.cont = f"Figures: {ds}"
    num = {"covtype": "Figure 2", "mnist": "Figure 3"}.get(ds.split("-")[0], "Figure")
    doc.heading(f"{num} on the real data: {ds} (Section 5)", 14)
    cfg = fs.get("config") or {}
    doc.text(f"Data-echoed SGD (Algorithm 1 with GD), batches sampled with replacement, learning rate tuned per "
             f"(B, K) on a grid; {cfg.get('seeds', '?')} runs per point; device {fs.get('device', '?')}; "
             f"{fs.get('columns', '?')} (B, K) columns, {fmt(fs.get('seconds'))} s. Source: {fs['_source']}.",
             size=8.5, color="#333333")
    png = fs["figures"].get("png")
    have_png = bool(png) and Path(png).is_file()
    if have_png:
        doc.text(f"The figure ({png}) is on the next, landscape page.", size=8.5, color="#555555")
    else:
        doc.text(f"figure file missing: {png}", size=9, color=STATUS_COLOURS["unresolved"])
    o = a.get("optimum") or {}
    l2 = o.get("l2") or 0.0
    fs_name = f"F_λ* (λ = {fmt(l2, 3)})" if l2 else "F*"
    rows = [("objective", "F + (λ/2)‖w‖², λ = " + fmt(l2, 3) + " (our choice: the unregularised minimum is not "
             "attained; docs/readings.md)" if l2 else "F, the training loss (as printed)"),
            ("optimal training loss (ours, certified)",
             f"{fmt(o.get('ours_lower'), 6)} ≤ {fs_name} ≤ {fmt(o.get('ours_upper'), 6)} "
             f"(gap {fmt(o.get('certified_gap'), 3)})")]
    if l2:
        rows.append(("unregularised loss at the minimiser of F_λ", fmt(o.get("unregularised_loss_at_optimum"), 6)
                     + ("  (< reported: the reported value is not the unregularised optimum)"
                        if o.get("reported_is_not_unregularised_optimum") else "")))
    rows += [("reported in the paper", fmt(o.get("reported"))),
            ("phase transition (KT slope in K crosses 1/2)",
             ("B ≈ " + fmt(a.get("phase_transition_B"), 3) if a.get("phase_transition_B") is not None
              else "not bracketed by this B grid")
             + (f"  (bracket {a.get('phase_transition_bracket')})" if a.get("phase_transition_bracket") else ""))]
    for r in a.get("noise_regime_lr_ratios") or []:
        rows.append((f"lr(K=1)/lr(K max), noise regime, B = {r.get('B')}",
                     f"{fmt(r.get('ratio'), 3)}  (theory ∝ 1/K: {fmt(r.get('theory'), 3)})"))
    for r in a.get("curvature_regime_lr_ratios") or []:
        rows.append((f"lr(K=1)/lr(K max), curvature regime, B = {r.get('B')}", f"{fmt(r.get('ratio'), 3)}  (theory ≈ 1)"))
    doc.text("Agreement with the paper, in numbers:", size=9.5, weight="bold")
    doc.table(["quantity", "value"], rows, [3.3, TEXT_W - 3.3], size=8, dash="not in the summary")
    if have_png:
        import shutil
        doc.image_page(f"{num}: {ds} — steps KT, samples BT and tuned learning rate vs K",
                       lambda path: shutil.copyfile(png, path))


def rates_pages(doc: Doc, data: ReportData) -> None:
    R = data.rates or {}
    doc.new_page()
    doc.cont = "Rates"
    doc.heading("Rates: measured vs bounds (Theorems 7, 10, 13; Table 2)", 14)
    if "error" in R:
        doc.text(f"Missing: {R['error']}.  This section would show the rate plots and fitted exponents.", size=10,
                 weight="bold", color=STATUS_COLOURS["unresolved"])
        return
    doc.text(f"{R.get('function', RATES_FUNCTION)}(method, grid={R.get('grid')!r}, seeds={R.get('seeds')}) for each "
             "method; the same as 'boundcheck rates --method M --grid " + str(R.get("grid")) + f" --seeds "
             f"{R.get('seeds')}'.", size=8.5, color="#333333")
    for m, err in (R.get("errors") or {}).items():
        doc.text(f"echoed {m}: the run failed — {err}", size=9, color=STATUS_COLOURS["refuted"])
    try:
        from boundcheck.experiments import rates as _rates
    except Exception:  # noqa: BLE001
        _rates = None
    plots: list = []
    for m, res in (R.get("methods") or {}).items():
        doc.heading(f"echoed {m}  ({R.get('seconds', {}).get(m, 0):.1f} s)", 11.5)
        exps = res.get("exponents") or []
        if exps:
            rows = []
            for e in exps:
                lo, hi = e.get("ci_lo"), e.get("ci_hi")
                rows.append((e.get("axis", "-"), e.get("regime", "-"), str(e.get("where", "-")),
                             fmt(e.get("exponent")), f"[{fmt(lo, 3)}, {fmt(hi, 3)}]", fmt(e.get("table2")),
                             e.get("verdict") or "-"))
            doc.text("Fitted exponents of E[F(w_out)] − F(w*) (least squares in log–log, 95% bootstrap interval) "
                     "next to Table 2:", size=8.5)
            doc.table(["axis", "regime", "slice", "exponent", "95% CI", "Table 2", "verdict"], rows,
                      [0.5, 1.0, 1.7, 0.75, 1.2, 0.7, 1.2], size=7.5,
                      aligns=["left", "left", "left", "right", "left", "right", "left"],
                      dash="not in the fit's result (e.g. no Table 2 exponent for this axis, or no verdict)")
        else:
            doc.text("No fitted exponents in the result.", size=8.5)
        v, pv = res.get("violations") or [], res.get("printed_violations") or []
        doc.text(f"Violations of the corrected bounds: {len(v) or 'none'}; of the printed statements: "
                 f"{len(pv) or 'none'}.", size=8.5, weight="bold")
        for x in (v + pv)[:8]:
            doc.text(f"{x.get('statement')} at B={x.get('B')} K={x.get('K')} T={x.get('T')}: lower CI "
                     f"{fmt(x.get('ci_lo'))} > bound {fmt(x.get('bound'))}", size=8, x=0.2)
        if _rates is None or not hasattr(_rates, "plot_rates"):
            doc.text(f"{RATES_FUNCTION.rpartition('.')[0]}.plot_rates is missing: no rate plot.", size=8.5,
                     color=STATUS_COLOURS["unresolved"])
            continue
        doc.text(f"Plots: the landscape page 'echoed {m}' after these tables (boundcheck rates --plot).", size=8,
                 color="#555555")
        plots.append((m, res))
    for m, res in plots:
        doc.image_page(f"Rates: echoed {m}, measured vs bounds (plot_rates)",
                       lambda path, res=res: _rates.plot_rates(res, path))


