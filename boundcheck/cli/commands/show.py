"""``boundcheck show ID``: one statement (or encoding) in full: printed text, hypotheses, bound."""
from __future__ import annotations

import argparse

from boundcheck.cli.modules import add_module_argument, load_modules


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("show", parents=[common], help="show one statement: printed text, hypotheses, bound, corrections",
                       description="Print a statement's printed text, function class, method and setting, its "
                       "hypotheses, the quantity and the bound (typeset from its sympy form), its readings and "
                       "corrections, and its proof module.")
    p.add_argument("id", metavar="ID")
    p.add_argument("--latex", action="store_true", help="print the bound as LaTeX as well")
    p.add_argument("--json", metavar="PATH", help="write the statement's summary as JSON")
    add_module_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sympy as sp
    from boundcheck.lang.symbols import hypothesis_text
    from boundcheck.outputs import files
    from boundcheck.paper import ENCODINGS, get_statement
    load_modules(args.module)  # a statement of your own (the new-statement scaffold says to pass its file)
    if args.id in ENCODINGS:
        e = ENCODINGS[args.id]
        print(f"{e.number} ({e.id}, {e.kind}, §{e.section}): {e.title}")
        print(f"  printed: {e.printed}")
        print("  encoded: " + sp.pretty(e.form, use_unicode=True).replace("\n", "\n           "))
        print(f"  executable: {e.executable}")
        for r in e.readings:
            print(f"  reading: {r}")
        if args.json:
            files.write(args.json, "verify", {"encoding": e.summary()})
        return 0
    st = get_statement(args.id)
    where = f", §{st.section}" if st.section else ""  # a user's statement may have no section or title
    print(f"{st.number} ({st.id}, {st.kind}{where})" + (f": {st.title}" if st.title else ""))
    print(f"  printed: {st.printed}")
    if st.cls is not None:
        print(f"  function class: {st.cls.describe()}")
    print(f"  method: {', '.join(st.methods)}; setting: {st.algorithm}")
    for h in st.hypotheses:
        print(f"  hypothesis: {hypothesis_text(h)}")
    print(f"  quantity: {st.quantity}")
    rel = "≤" if st.relation == "<=" else "≥"
    pretty = sp.pretty(st.bound, use_unicode=True)
    if "\n" in pretty:
        print(f"  LHS {rel} the bound:\n      " + pretty.replace("\n", "\n      "))
    else:
        print(f"  LHS {rel} {pretty}")
    if st.explicit is not None:
        print("  checked through the explicit bound: " + str(st.explicit))
    for sym, t in st.where.items():
        print(f"  where {sym} = {t}")
    if args.latex:
        print(f"  LaTeX: {sp.latex(st.bound)}")
    for r in st.readings:
        print(f"  reading: {r}")
    for r in st.alternative_readings:
        print(f"  alternative reading '{r.name}': {r.text}")
    for c in st.corrections:
        print(f"  named correction '{c.name}': {c.text}")
    if st.correction:
        print(f"  correction ({st.corrects} → {st.id}): {st.correction}")
    if st.corrected_by:
        print(f"  corrected by: {st.corrected_by}")
    print(f"  proof module: proofs/{st.proof_module}.py" if st.proof_module else "  proof module: none")
    print(f"  declaration fingerprint: {st.fingerprint()}")
    if args.json:
        files.write(args.json, "verify", {"statement": st.summary()})
    return 0
