"""Links between statements (Table 2 reuses the corrected theorems' evaluations)."""
from __future__ import annotations


def corrected_evaluator(method: str):
    from boundcheck.lang.statement import REGISTRY
    sid = {"gd": "theorem7_corrected", "prox": "theorem10_corrected", "agd": "theorem13_corrected"}[method]
    return REGISTRY[sid].run_full
