"""The figure of ``boundcheck rates``: error vs K with the bound's two terms, the curvature
sweeps, and Figures 2–3-style phase panels."""
from __future__ import annotations

import numpy as np

__all__ = ["plot_rates", "PLOT_SUFFIXES"]

#: the file types ``plot_rates`` writes (by extension); anything else is refused up front
PLOT_SUFFIXES = (".png", ".pdf", ".svg")


def plot_rates(res: dict, path: str) -> None:
    """Error vs K for several B with the bound's two terms; Figures 2–3-style phase panels."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from boundcheck.outputs.common import atomic_output

    m = res["method"]
    c = res["constants"]
    grid = [p for p in res["points"] if p["sweep"] == "grid" and p["variant"] == "corrected"]
    Ts = sorted({p["T"] for p in grid})
    Tp = Ts[len(Ts) // 2] if Ts else None
    Bs = sorted({p["B"] for p in grid})
    ph = res["phase"]
    pBs = sorted({r["B"] for r in ph["rows"]})
    ncol = max(3, len(pBs))
    fig = plt.figure(figsize=(3.2 * ncol, 7.0))
    gs = fig.add_gridspec(2, ncol)
    ax = fig.add_subplot(gs[0, : ncol // 2 + (ncol % 2)])
    cmap = plt.get_cmap("viridis")
    for i, b in enumerate(Bs):
        pts = sorted([p for p in grid if p["B"] == b and p["T"] == Tp], key=lambda p: p["K"])
        if not pts:
            continue
        col = cmap(i / max(1, len(Bs) - 1))
        K = np.array([p["K"] for p in pts])
        mean = np.array([p["mean"] for p in pts])
        err = np.array([[p["mean"] - max(p["ci_lo"], 1e-300) for p in pts], [p["ci_hi"] - p["mean"] for p in pts]])
        ax.errorbar(K, mean, yerr=err, marker="o", color=col, label=f"B={b}", capsize=2)
        ax.plot(K, [p["bound_statistical"] for p in pts], ls=":", color=col)
        if i == 0:
            ax.plot(K, [p["bound_curvature"] for p in pts], ls="--", color="k", label="bound: curvature term")
    ax.plot([], [], ls=":", color="gray", label="bound: statistical term (per B)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("echoing factor K")
    ax.set_ylabel("E[F(w_out)] − F(w*)")
    ax.set_title(f"echoed {m}, corrected step rule, T={Tp}")
    ax.legend(fontsize=7)
    ax2 = fig.add_subplot(gs[0, ncol // 2 + (ncol % 2):])
    for sweep, mk, lab in (("K", "o", "sweep K, η=1/β"), ("T", "s", "sweep T, η=1/β"),
                           ("K-prox-rule", "^", "sweep K, prox's corrected (η, γ)")):
        cps = [p for p in res["points"] if p["sweep"] == f"curvature-{sweep}"]
        if not cps:
            continue
        x = np.array([p["K"] * p["T"] for p in cps])
        ax2.plot(x, [p["mean"] for p in cps], marker=mk, label=f"B={cps[0]['B']}, {lab}")
        ax2.plot(x, [p["population_gap"] for p in cps], ls="--", color="gray",
                 label="B=∞ (population gradient)" if sweep == "K" else None)
    ax2.set_xscale("log", base=2)
    ax2.set_yscale("log")
    ax2.set_xlabel("total steps KT")
    ax2.set_ylabel("E[gap]")
    fits = "\n".join(f"{e['axis']} ({e['regime']}): {e['exponent']:.2f} (Table 2: {e['table2']:g})"
                     for e in res["exponents"] if e["exponent"] is not None)
    ax2.set_title("curvature-dominated regime", fontsize=9)
    ax2.text(0.02, 0.02, "fitted exponents\n" + fits, transform=ax2.transAxes, fontsize=7, va="bottom",
             bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
    ax2.legend(fontsize=7)
    for i, b in enumerate(pBs):
        a = fig.add_subplot(gs[1, i])
        rows = sorted([r for r in ph["rows"] if r["B"] == b and r["batches"]], key=lambda r: r["K"])
        if rows:
            K = [r["K"] for r in rows]
            a.plot(K, [r["steps"] for r in rows], marker="o", color="tab:blue", label="steps KT")
            a.plot(K, [r["samples"] for r in rows], marker="o", color="tab:red", label="samples BT")
            a3 = a.twinx()
            key = "gamma" if m == "prox" else "eta"
            vals = [r[key] if r[key] else np.nan for r in rows]
            a3.plot(K, vals, marker=".", color="goldenrod", alpha=0.8)
            a3.set_yscale("log")
            a3.tick_params(axis="y", labelsize=6, colors="goldenrod")
        a.set_xscale("log", base=2)
        a.set_yscale("log")
        a.set_xlabel("K")
        reg = next((x["regime"] for x in ph["regimes"] if x["B"] == b), None)
        a.set_title(f"B={b}" + (f"\n{reg.split(' (')[0]}" if reg else ""), fontsize=8)
        if i == 0:
            a.set_ylabel(f"to reach {ph['target_fraction']:g}·gap0")
        if rows and not any(ax_.get_legend() for ax_ in fig.axes[2:]):
            a.legend(fontsize=7)
    fig.suptitle(f"boundcheck rates: echoed {m} (β={c['beta']:.3g}, ρ={c['rho']:.3g}, D={c['D']:.3g}); "
                 f"tuned {'γ' if m == 'prox' else 'η'} in gold", fontsize=9)
    fig.tight_layout()
    import os
    suffix = os.path.splitext(str(path))[1].lower()
    if suffix not in PLOT_SUFFIXES:
        plt.close(fig)
        raise ValueError(f"--plot {path}: unsupported file type {suffix or '(none)'!r}; use {', '.join(PLOT_SUFFIXES)}")
    with atomic_output(path, suffix=suffix) as tmp:
        fig.savefig(tmp, dpi=110, format=suffix[1:])
    plt.close(fig)
