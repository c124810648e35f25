"""The text report of ``boundcheck rates``: measured vs bound tables, exponents, phase transition."""
from __future__ import annotations

from boundcheck.experiments.rates.statements import VARIANTS

__all__ = ["format_report"]


def format_report(res: dict) -> str:
    from boundcheck.outputs.common import fmt, format_table
    m = res["method"]
    c = res["constants"]
    noise = f", noise={res['problem']['noise']}" if res["problem"]["noise"] is not None else ""
    out = [f"rates for echoed {m} on {res['problem']['name']} (n={res['problem']['n']}, "
           f"condition={fmt(res['problem']['condition'])}{noise}): "
           f"β={fmt(c['beta'])}, ρ={fmt(c['rho'])} on ‖w‖ ≤ {fmt(c['R'])}, D={fmt(c['D'])}, "
           f"F(w0)−F*={fmt(c['gap0'])}; {res['seeds']} seeds, {res['backend']}/{res['device']} {res['dtype']}"]
    variants = VARIANTS[m]
    grid = [p for p in res["points"] if p["sweep"] in ("grid", "probe")]
    by = {(p["sweep"], p["variant"], p["B"], p["K"], p["T"]): p for p in grid}
    keys = sorted({(p["sweep"], p["B"], p["K"], p["T"]) for p in grid}, key=lambda k: (k[0] != "grid", k[1:]))
    hdr = ["B", "K", "T"]
    for vname, sid, _ in variants:
        hdr += [f"η {vname}", f"E[gap] {vname} [95% CI]", f"bound {sid or 'O(·)'}"]
    rows = []
    for sw, B, K, T in keys:
        r: list = [f"{B}{'*' if sw == 'probe' else ''}", K, T]
        for vname, sid, _ in variants:
            p = by.get((sw, vname, B, K, T))
            if p is None:
                r += ["-", "-", "-"]
                continue
            flag = " VIOLATED" if p["violation"] else ""
            r += [p["eta"], f"{fmt(p['mean'], 3)} [{fmt(p['ci_lo'], 3)}, {fmt(p['ci_hi'], 3)}]",
                  (fmt(p["bound"], 3) if p["bound"] is not None else f"rate {fmt(p['table2_rate'], 3)}") + flag]
        rows.append(r)
    out += ["", "measured E[F(w_out)] − F(w*) vs the bounds (corrected = registry's corrected statement; "
            "printed = as printed; * = probe, T = 1)", format_table(hdr, rows)]
    cps = [p for p in res["points"] if p["sweep"].startswith("curvature")]
    if cps:
        rows = [(p["sweep"][len("curvature-"):], p["B"], p["K"], p["T"], p["mean"],
                 f"[{fmt(p['ci_lo'], 3)}, {fmt(p['ci_hi'], 3)}]",
                 p["population_gap"], p["curvature_share"], p["bound_curvature"]) for p in cps]
        note = "; for prox γ → 0, so prox-GD is GD here" if m == "prox" else ""
        out += ["", "curvature-dominated sweeps (η = 1/β, the B → ∞ limit of the corrected rule" + note + "; "
                "B=∞ = exact population gradient; prox-rule = prox's own corrected (η, γ))",
                format_table(["sweep", "B", "K", "T", "E[gap]", "95% CI", "gap at B=∞", "share", "bound curv. term"],
                             rows)]
    rows = [(e["axis"], e["regime"], e["where"], ",".join(map(str, e["x"])),
             e["exponent"], f"[{fmt(e['ci_lo'], 3)}, {fmt(e['ci_hi'], 3)}]", e["table2"], e["verdict"] or "-")
            for e in res["exponents"]]
    out += ["", f"fitted exponents of E[gap] (Table 2, echoed {m}: {res['table2']})",
            format_table(["axis", "regime", "slice", "values", "exponent", "95% CI", "Table 2", "verdict"], rows)]
    ph = res["phase"]
    Ks = sorted({r["K"] for r in ph["rows"]})
    rows = []
    for b in sorted({r["B"] for r in ph["rows"]}):
        cells = []
        for k in Ks:
            r = next(x for x in ph["rows"] if x["B"] == b and x["K"] == k)
            cells.append("-" if r["batches"] is None else f"{r['steps']}/{r['samples']}")
        reg = next(x for x in ph["regimes"] if x["B"] == b)
        rows.append([b] + cells + [reg["regime"] or "-"])
    out += ["", f"phase transition: steps KT / samples BT until E[F(w_t)] − F* ≤ {fmt(ph['target'], 3)} "
            f"({ph['target_fraction']:g} of the initial gap), {ph['tuned']} tuned per (B, K)",
            format_table(["B"] + [f"K={k}" for k in Ks] + ["regime"], rows)]
    if ph["transition_B"] is not None:
        out.append(f"transition: curvature-dominated from B = {ph['transition_B']} on")
    v, pv, unc = res["violations"], res["printed_violations"], res["uncertified"]
    out += ["", f"violations of the corrected bounds: {len(v) if v else 'none'}"]
    for x in v:
        out.append(f"  {x['statement']} at B={x['B']} K={x['K']} T={x['T']}: lower CI {fmt(x['ci_lo'])} > bound {fmt(x['bound'])}")
    out.append(f"violations of the printed statements: {len(pv) if pv else 'none'}")
    for x in pv:
        out.append(f"  {x['statement']} ({x['sweep']}) at B={x['B']} K={x['K']} T={x['T']}: "
                   f"lower CI {fmt(x['ci_lo'])} > bound {fmt(x['bound'])}")
    for x in res["diverged"]:
        out.append(f"diverged ({x['variant']} step size η={fmt(x['eta'])}): B={x['B']} K={x['K']} T={x['T']}, "
                   f"E[gap] = {fmt(x['mean'])}, max ‖w‖ = {fmt(x['max_norm'])}")
    if unc:
        out.append(f"warning: {len(unc)} point(s) left the ball ‖w‖ ≤ {fmt(c['R'])}; ρ is not certified there")
    rt = res["runtime"]
    out.append(f"runtime {rt['seconds']:.1f}s (runner {rt['runner_seconds']:.1f}s, "
               f"{fmt(rt['throughput'] or 0, 3)} echoed steps·examples·dims/s)")
    return "\n".join(out)
