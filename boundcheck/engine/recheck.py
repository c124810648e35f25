"""The high-precision re-check and the shrinking of counterexamples.

A float64 violation is only believed after :func:`recheck`: the same declaration evaluated on
the very same numbers (floats convert to mpmath exactly) at ``dps`` and ``dps + 30`` digits; a
counterexample is one whose margin LHS − S·RHS is positive at both precisions, agrees to 6
significant digits between them (rounding artefacts of exact equalities shrink with the
precision; a real violation does not), and that violates no hypothesis *in high precision*.
``verify``, ``search`` and ``replay`` all decide through this one function, so they never
disagree about an instance.

:func:`shrink` makes a confirmed counterexample smaller (K, T, B, n) and rounder (fewer
significant digits), keeping only steps after which the re-check still confirms it.  It is
budgeted by a count of re-checks, never by the clock.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from boundcheck.core import numerics as nm

__all__ = ["recheck", "shrink", "presmall", "HIGH_DPS", "SHRINK_STEPS"]

HIGH_DPS = 60
#: at most this many re-checks are spent shrinking one counterexample
SHRINK_STEPS = 40


def _mp_eval(st: Any, structure: dict, params1: dict, scale: Any, dps: int):
    import mpmath
    with nm.mp_precision(dps):
        exact = {k: nm.to_mp(v) for k, v in params1.items()}
        e = st.evaluate(structure, exact)
        s = mpmath.mpf(str(scale))
        lhs0, rhs0 = e.lhs[0], e.rhs[0]
        bad = sorted(name for name, v in e.violations.items() if bool(np.asarray(v)[0]))
        return lhs0, rhs0, s, lhs0 - s * rhs0, bad


def recheck(st: Any, structure: dict, params1: dict, scale: float, dps: int = HIGH_DPS) -> dict:
    """Re-evaluate one instance (params with a leading axis of length 1) in high precision."""
    import mpmath
    l1, r1, s, m1, bad = _mp_eval(st, structure, params1, scale, dps)
    l2, r2, _, m2, bad2 = _mp_eval(st, structure, params1, scale, dps + 30)
    stable = m1 > 0 and m2 > 0 and abs(m1 - m2) <= mpmath.mpf("1e-6") * abs(m2)
    bad = sorted(set(bad) | set(bad2))
    with nm.mp_precision(dps + 30):
        ratio = float(l2 / r2) if r2 > 0 else None
        return {"lhs": mpmath.nstr(l2, 40), "rhs": mpmath.nstr(r2, 40), "scaled_rhs": mpmath.nstr(s * r2, 40),
                "margin": mpmath.nstr(m2, 20), "margin_at_lower_precision": mpmath.nstr(m1, 20),
                "violated_hypotheses": bad, "is_counterexample": bool(stable and not bad), "ratio": ratio,
                "margin_confirmed": bool(stable), "dps": [dps, dps + 30]}


def _safe_recheck(st: Any, structure: dict, params1: dict, scale: float) -> dict | None:
    try:
        return recheck(st, structure, params1, scale)
    except (ArithmeticError, ValueError, IndexError, TypeError, np.linalg.LinAlgError):
        return None  # a structure the statement cannot take (e.g. beyond the enumeration)


def _cut_axis(params: dict, axes: dict[str, tuple], role: str, new: int) -> dict:
    """Keep the first ``new`` entries of every axis that counts ``role`` (B examples, n coordinates)."""
    out = {}
    for k, v in params.items():
        a = v
        for i, r in enumerate(axes.get(k, ()), start=1):
            if r == role and a.ndim > i:
                a = np.take(a, np.arange(new), axis=i)
        out[k] = a
    return out


def _in_schema(st: Any, structure: dict) -> bool:
    """A shrunk structure must stay inside the declaration's (e.g. B ≥ 2 for two-point batches)."""
    try:
        st.validate_structure(structure)
        return True
    except ValueError:
        return False


def _float_violates(st: Any, structure: dict, params1: dict, scale: float) -> bool:
    """A clear float64 violation (normalised excess > 1e−6: far above float noise)."""
    if not _in_schema(st, structure):
        return False
    try:
        with np.errstate(all="ignore"):
            e = st.evaluate(structure, params1)
    except (ArithmeticError, ValueError, IndexError, TypeError, np.linalg.LinAlgError):
        return False
    lhs, rhs = float(np.asarray(e.lhs, dtype=float)[0]), float(np.asarray(e.rhs, dtype=float)[0])
    if any(bool(np.asarray(v)[0]) for v in e.violations.values()) or not (np.isfinite(lhs) and np.isfinite(rhs)):
        return False
    return (lhs - scale * rhs) > 1e-6 * (abs(lhs) + abs(scale * rhs))


def presmall(st: Any, structure: dict, params1: dict, scale: float, steps: int = SHRINK_STEPS) -> tuple[dict, dict]:
    """The instance made smaller (T, B, K, n) while its float64 violation stays clear, before any
    high-precision arithmetic: a re-check of a large echoed run (hundreds of enumerated batch
    sequences in mpmath) costs seconds, of the small one milliseconds.  Only the re-check
    decides: if the small instance does not survive it, the engine re-checks the original."""
    best_s, best_p = dict(structure), dict(params1)
    left = steps
    for key in ("T", "B", "K"):
        while key in best_s and best_s[key] > 1 and left > 0:
            left -= 1
            s2 = dict(best_s)
            s2[key] = max(1, best_s[key] // 2) if best_s[key] > 4 else best_s[key] - 1
            p2 = best_p
            if key in ("B", "K"):  # examples, and the windows of a ridge loss (its file schema's K axis)
                p2 = _cut_axis(best_p, st.layout(best_s, st.is_legacy_file(best_s, best_p)), key, s2[key])
            if not _float_violates(st, s2, p2, scale):
                break
            best_s, best_p = s2, p2
    return best_s, best_p


def shrink(st: Any, structure: dict, params1: dict, scale: float, steps: int = SHRINK_STEPS,
           check: dict | None = None) -> tuple[dict, dict, dict]:
    """Greedy shrinking of a confirmed counterexample (smaller T, B, K, n; rounder numbers).

    T first: the enumerated sequences (B+1)^T make each later re-check cheap.  ``check``: the
    re-check the counterexample already passed (not repeated)."""
    best_s, best_p = dict(structure), dict(params1)
    best_chk = check if check is not None else recheck(st, best_s, best_p, scale)
    left = [steps]

    def try_(s2: dict, p2: dict) -> bool:
        nonlocal best_s, best_p, best_chk
        if left[0] <= 0 or not _in_schema(st, s2):
            return False
        left[0] -= 1
        chk = _safe_recheck(st, s2, p2, scale)
        if chk is not None and chk["is_counterexample"]:
            best_s, best_p, best_chk = s2, p2, chk
            return True
        return False

    for key in ("T", "B", "K"):
        while key in best_s and best_s[key] > 1 and left[0] > 0:
            s2 = dict(best_s)
            s2[key] = max(1, best_s[key] // 2) if best_s[key] > 4 else best_s[key] - 1
            p2 = best_p
            if key in ("B", "K"):
                p2 = _cut_axis(best_p, st.layout(best_s, st.is_legacy_file(best_s, best_p)), key, s2[key])
            if not try_(s2, p2):
                break
    n = best_s.get("n")
    while n and n > 1 and left[0] > 0:
        for n2 in sorted({1, 2, n // 2, n - 1}):
            if 1 <= n2 < n:
                axes = st.layout(best_s, st.is_legacy_file(best_s, best_p))
                if try_(dict(best_s, n=n2), _cut_axis(best_p, axes, "n", n2)):
                    break
        else:
            break
        if best_s["n"] == n:
            break
        n = best_s["n"]
    for digits in (1, 2, 3, 4, 6):
        p2 = {k: (np.vectorize(lambda x, d=digits: float(f"{x:.{d}g}"))(v) if v.dtype != object else v)
              for k, v in best_p.items()}
        if try_(dict(best_s), p2):
            break
    return best_s, best_p, best_chk
