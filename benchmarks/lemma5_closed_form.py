"""Lemma 5's exact certificate in closed form, checked exactly for every K up to a bound.

The certificates ``boundcheck pep lemma5`` finds have the same multipliers at every step size:
(j + 1)/K on the interpolation condition between consecutive iterates (w_j, w_{j+1}) and 1/K on
the condition between the comparator w* and each iterate w_j (j < K): the classical proof
(descent lemma weighted by j + 1, convexity at each iterate, telescoped).  This script writes
those multipliers for K = 1..K_max and η ∈ {1/4, 1/2, 1}/β and checks each certificate exactly
(``check_certificate``: rational identity, residual PSD), so Lemma 5 is proved over every smooth
convex function for every such K, not only on the solver's grid.

    python benchmarks/lemma5_closed_form.py [--K-max 64]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from boundcheck.pep.certificate import certificate_record, check_certificate
from boundcheck.pep.classic import lemma5_certificate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--K-max", type=int, default=64)
    ap.add_argument("--out", default="benchmarks/results/lemma5_closed_form.json")
    a = ap.parse_args()
    rows, t0 = [], time.perf_counter()
    for K in range(1, a.K_max + 1):
        for u in ("1/4", "1/2", "1"):
            t = time.perf_counter()
            res = check_certificate(certificate_record(lemma5_certificate(K, u)))
            rows.append({"K": K, "eta_frac": u, "valid": res.valid, "reason": res.reason,
                         "seconds": time.perf_counter() - t})
            print(f"K={K:3d} ηβ={u:>3}: {'VALID' if res.valid else 'INVALID'} ({res.reason}) "
                  f"{rows[-1]['seconds']:.2f} s", flush=True)
    Path(a.out).write_text(json.dumps({"K_max": a.K_max, "all_valid": all(r["valid"] for r in rows),
                                       "seconds": time.perf_counter() - t0, "rows": rows}, indent=1))
    print(f"{sum(r['valid'] for r in rows)}/{len(rows)} valid in {time.perf_counter() - t0:.0f} s → {a.out}")


if __name__ == "__main__":
    main()
