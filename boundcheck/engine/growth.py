"""Growth tables: how the worst ratio of a statement grows along a structure key (K).

A big-O claim (Section 6's conjecture ε = O(ηρ²K²/B)) is not refuted by one instance but by
ratios that grow without bound.  ``growth`` runs the one search engine once per K (the key
pinned), re-checks the best instance of each run in high precision, and reports the verified
ratios.  The table is saved as a ``boundcheck/growth`` file whose every row carries its
instance, so ``replay`` re-checks each row's ratio from the file.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

from boundcheck.engine.recheck import recheck
from boundcheck.engine.instances import check_instance, statement_of
from boundcheck.engine.search import search
from boundcheck.outputs import files
from boundcheck.outputs.files import MalformedFile
from boundcheck.lang.modules import load_statement_files
from boundcheck.paper import get_statement

__all__ = ["growth", "save_growth", "replay_growth", "grows", "rate_factor", "rate_constant", "rate_label"]


def rate_factor(st: Any) -> Any:
    """explicit/bound of a big-O statement, simplified, when it depends on structure keys only (Lemma 12 and
    Section 6's conjecture: ηρ²K(K+1)/B over ηρ²K²/B = (K+1)/K), else None.  A verified ratio LHS/explicit
    times this factor is the constant c in LHS ≤ c·bound (the printed rate) that the instance needs."""
    if not st.big_o or st.setting is None or not isinstance(st.explicit, sp.Expr) or not isinstance(st.bound, sp.Expr):
        return None
    f = sp.simplify(st.explicit / st.bound)
    keys = set(st.setting.structure_domains()) | set(st.structure or ())
    return f if {x.name for x in f.free_symbols} <= keys else None


def rate_constant(st: Any, structure: dict, ratio: float | None) -> float | None:
    """The constant c = ratio × explicit/bound at ``structure`` (None where the declaration has no such factor,
    or the structure lacks one of its keys)."""
    f = rate_factor(st)
    if f is None or ratio is None:
        return None
    subs = {x: structure[x.name] for x in f.free_symbols if isinstance(structure.get(x.name), int)}
    if len(subs) != len(f.free_symbols):
        return None
    return float(ratio * f.subs(subs))


def rate_label(st: Any) -> str:
    """The column header of :func:`rate_constant`: ``c = LHS/(printed rate)``, one line."""
    f = rate_factor(st)
    if f is None:
        return "c"
    from sympy.printing.pretty.pretty_symbology import pretty_symbol
    b = st.bound.subs({x: sp.Symbol(pretty_symbol(x.name)) for x in st.bound.free_symbols})
    text = sp.sstr(b).replace("**2", "²").replace("**3", "³").replace("**", "^").replace("*", "")
    return f"c = LHS/({text})"


def growth(st: Any, K_list: Sequence[int] = (5, 10, 20, 40, 80), *, trials: int | None = None, seed: int = 0,
           family: Any = None, progress: Callable[[float, str], None] | None = None, scheduler: Any = None,
           modules: Sequence[str] = ()) -> list[dict]:
    """One verified row per K: the best instance the engine found with K pinned, re-checked.

    ``scheduler``: a :mod:`boundcheck.parallel` scheduler (the rows are its units; the same rows
    as in this process); ``modules``: the user's statement files ``st`` comes from."""
    ks = [int(K) for K in K_list]
    if scheduler is not None and scheduler.kind != "in-process":
        opts = {"statement": st.id, "modules": [str(m) for m in modules], "trials": trials, "seed": seed,
                "family": family}
        return scheduler.map(_row_unit, ks, args=(opts,), describe=lambda K: f"K = {K}", label="growth",
                             progress=(lambda d, n: progress(d, f"{d} of {n} rows")) if progress else None)
    rows = []
    for i, K in enumerate(ks):
        rows.append(_row(st, K, trials=trials, seed=seed, family=family))
        if progress:
            progress(i + 1, f"K = {K}: ratio {rows[-1]['ratio']}")
    return rows


def _row_unit(K: int, opts: dict) -> dict:
    load_statement_files(opts["modules"])
    return _row(get_statement(opts["statement"]), K, trials=opts["trials"], seed=opts["seed"], family=opts["family"])


def _row(st: Any, K: int, *, trials: int | None, seed: int, family: Any) -> dict:
    r = search(st, trials=trials, seed=seed, family=family, structure={"K": K}, stop_on_found=False, shrink=False)
    row = {"K": K, "evaluations": r.evaluations, "trials": r.trials, "float_ratio": r.best_ratio,
           "ratio": None, "constant": None, "counterexample": False, "structure": None, "params": None}
    best = r.counterexample or r.best_instance  # the largest re-checked violation, else the top elite
    if best is not None:
        s, p = best["structure"], best["params"]
        chk = recheck(st, s, p, 1.0)
        row.update({"structure": dict(s), "params": {k: np.asarray(v, dtype=float) for k, v in p.items()},
                    "ratio": chk["ratio"], "counterexample": chk["is_counterexample"],
                    "violated_hypotheses": chk["violated_hypotheses"], "lhs": chk["lhs"], "rhs": chk["rhs"]})
        # the ratio against the printed rate (c in ε ≤ c·ηρ²K²/B): × explicit/rate at this K, from the declaration
        row["constant"] = rate_constant(st, {**dict(s), "K": K}, chk["ratio"])
    return row


def grows(rows: Sequence[dict]) -> bool:
    """Growth without bound, as far as a table can show it: every verified ratio above 1 is
    exceeded by the next one, and the last is ≥ 10× the first (and ≥ 10)."""
    rs = [r["ratio"] for r in rows]
    if any(x is None for x in rs) or len(rs) < 2:
        return False
    return all(b > a for a, b in zip(rs, rs[1:]) if a > 1) and rs[-1] >= 10 * max(rs[0], 1.0)


def save_growth(path: str | Path, st: Any, rows: Sequence[dict], *, seed: int | None = None) -> Path:
    payload = {"statement": st.id, "fingerprint": st.fingerprint(), "key": "K", "grows": grows(rows),
               "rows": [{**{k: v for k, v in r.items() if k != "params"},
                         "params": None if r["params"] is None else {k: np.asarray(v).tolist()
                                                                     for k, v in r["params"].items()}}
                        for r in rows]}
    return files.write(path, "growth", payload, seed=seed)


def replay_growth(rec: dict) -> dict:
    """Re-check every row's instance and compare its ratio with the saved one."""
    st = statement_of(rec)
    agree, rows = True, []
    for r in rec["rows"]:
        if r.get("params") is None:
            rows.append({"K": r["K"], "ratio": None})
            continue
        structure, params = check_instance(st, r["structure"], r["params"])
        if structure.get("K") != r["K"]:
            raise MalformedFile(f"row K = {r['K']} holds an instance with K = {structure.get('K')}")
        chk = recheck(st, structure, params, 1.0)
        saved = r.get("ratio")
        same = (saved is None and chk["ratio"] is None) or (
            saved is not None and chk["ratio"] is not None and math.isclose(saved, chk["ratio"], rel_tol=1e-9))
        agree &= same
        rows.append({"K": r["K"], "ratio": chk["ratio"], "counterexample": chk["is_counterexample"]})
    g = grows(rows)
    return {"statement": st.id, "kind": "growth", "rows": rows, "saved_ratios_agree": bool(agree), "still_grows": g,
            "still_counterexample": bool(agree and g and any(r.get("counterexample") for r in rows)),
            "check": {"violated_hypotheses": [], "dps": [60, 90]}}
