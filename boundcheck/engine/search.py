"""The one search engine: maximise LHS/RHS of a registered statement over admissible instances.

Used by ``verify``, ``search`` and ``report`` alike.  Each round draws C candidate
instances of one structure (a vectorised array program: C instances per call), keeps an
elite pool, and improves elites by

* evolution-strategy gradient ascent: an antithetic Gaussian-smoothing estimate of the
  gradient of the score through the unrolled algorithm, C perturbations per array call;
* mutation (multi-scale relative noise), and projection back onto the admissible set
  (step fraction u ∈ (0, 1], probabilities in (0, 1], PSD Hessians, …).

A candidate with LHS > scale·RHS in float64 is re-evaluated in high precision (mpmath,
60 digits) by the *same* code on object arrays; only a survivor is a counterexample, it
is shrunk (smaller K, T, B, n; rounder numbers), re-checked again, and saved as JSON.
Float noise that does not survive is dropped and counted.  An instance that violates a
hypothesis is never a counterexample; the engine counts which hypothesis it violated.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.lang.statement import Statement

log = logging.getLogger("boundcheck")

__all__ = ["SearchResult", "search", "recheck", "score", "axis_roles"]

HIGH_DPS = 60
RELAX_ETA = "η ≤ its limit (1/β, or 1/(β+γ) for prox)"
#: a float64 excess (LHS − S·RHS)/(|LHS| + |S·RHS|) at or below this is a tie: below float64 resolution
TIE = 64 * np.finfo(float).eps
#: … or an excess at or below this times the magnitude of the terms being compared (e.g. the
#: potentials of a regret bound): cancellation makes smaller excesses unresolvable in float64
TIE_MAGNITUDE = 1e-12
#: at most this share of the budget (and at least 1 s) is spent on high-precision re-checks
RECHECK_SHARE = 0.3


@dataclass
class SearchResult:
    """What a search saw: enough figures to have refuted the statement.

    trials: admissible instances evaluated; evaluations: all instances evaluated;
    inadmissible: per-hypothesis counts of instances rejected; best_ratio: max LHS/RHS
    over admissible instances with RHS > 0; smallest_slack: min (RHS − LHS)/|RHS|;
    found: a counterexample survived high precision; dropped: float-only violations
    that did not survive; counterexample: the JSON-ready record (or None).
    """

    statement: str
    scale: float
    trials: int = 0
    evaluations: int = 0
    inadmissible: dict = field(default_factory=dict)
    best_ratio: float = -math.inf
    smallest_slack: float = math.inf
    found: bool = False
    dropped: int = 0
    counterexample: dict | None = None
    seconds: float = 0.0
    time_to_found: float | None = None
    ratios: list = field(default_factory=list)       # a sample of ratios (for plots)
    ratio_by_K: dict = field(default_factory=dict)   # worst ratio per K
    best_instance: dict | None = None
    would_refute_without: dict = field(default_factory=dict)  # hypothesis → instances violating the bound
    ties: int = 0        # float64 violations below float resolution (not re-checked, not counterexamples)
    unchecked: int = 0   # float64 violations left un-re-checked when the re-check time cap was reached
    method: str = "random draws + evolution-strategy gradient ascent + mutation; mpmath re-check"
    seed: int = 0
    budget: float = 0.0

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("ratios", "best_instance")}
        d["ratios_sample"] = self.ratios[:2000]
        return d


def score(lhs: np.ndarray, rhs: np.ndarray, scale: float) -> np.ndarray:
    """Normalised excess (LHS − s·RHS)/(|LHS| + |s·RHS|) ∈ [−1, 1]; > 0 means violated."""
    srhs = scale * rhs
    den = np.abs(lhs) + np.abs(srhs) + 1e-300
    with np.errstate(invalid="ignore"):
        s = (lhs - srhs) / den
    return np.where(np.isfinite(s), s, -1.0)


def _eval(st: Statement, struct: dict, params: dict) -> tuple:
    return st.run_full(struct, params)


def _admissible(viol: Mapping[str, Any], C: int) -> tuple[np.ndarray, dict]:
    ok = np.ones(C, dtype=bool)
    counts = {}
    for name, v in viol.items():
        v = np.asarray(v, dtype=bool)
        counts[name] = int(v.sum())
        ok &= ~v
    return ok, counts


# ----------------------------------------------------------------------------- projection
def project(struct: dict, params: dict) -> dict:
    """Map perturbed parameters back onto the admissible set (by parameter-name convention)."""
    out = {}
    for k, v in params.items():
        if nm.is_exact(v):
            out[k] = v
            continue
        if k in ("u",) or k.endswith(".u") or k.startswith("u_"):
            v = np.clip(np.abs(v), 1e-9, 4.0 if struct.get("_relax_eta") else 1.0)
        elif k in ("p0",):
            v = np.clip(v, 1e-6, 1.0)
        elif k in ("rW",) or k.startswith("r_"):
            v = np.maximum(v, 1.0)
        elif k in ("lam0",):
            v = np.maximum(v, 1.0)
        elif k.endswith(".A"):  # per-example Hessians: symmetric PSD
            S = (v + np.swapaxes(v, -1, -2)) / 2
            ev, V = np.linalg.eigh(S)
            v = np.einsum("...ij,...j,...kj->...ik", V, np.maximum(ev, 0), V)
        elif k.endswith(".y") and struct.get("family") == "logistic":
            v = np.where(v >= 0, 1.0, -1.0)
        elif k in ("gfrac",):
            v = np.clip(np.abs(v), 1e-6, 1e6)
        out[k] = v
    return out


def _take(params: dict, idx: Any) -> dict:
    return {k: v[idx] for k, v in params.items()}


def _repeat(params: dict, C: int) -> dict:
    return {k: np.repeat(v[None], C, axis=0) for k, v in params.items()}


def _mutate(rng: np.random.Generator, elite: dict, C: int, struct: dict) -> dict:
    """C relative-noise mutations of one elite (multi-scale σ per candidate)."""
    out = {}
    sig = np.exp(rng.uniform(np.log(1e-3), np.log(0.5), size=C))
    for k, v in elite.items():
        base = np.repeat(v[None], C, axis=0)
        if k.endswith(".y") and struct.get("family") == "logistic":
            flip = rng.random(base.shape) < 0.05
            out[k] = np.where(flip, -base, base)
            continue
        scale_k = np.abs(base) + 0.1 * (np.sqrt(np.mean(v * v)) + 1e-12)
        s = sig.reshape((C,) + (1,) * (base.ndim - 1))
        out[k] = base + s * scale_k * rng.standard_normal(base.shape)
    out = {k: v.copy() for k, v in out.items()}
    for k in out:  # keep the unperturbed elite as candidate 0
        out[k][0] = elite[k]
    return project(struct, out)


def _es_step(rng: np.random.Generator, st: Statement, struct: dict, elite: dict, C: int, scale_: float,
             sigma: float, lr: float) -> tuple[dict, int]:
    """One ES gradient-ascent step on the score (antithetic pairs), returns the new point."""
    half = max(C // 2, 1)
    noise = {k: rng.standard_normal((half,) + v.shape) for k, v in elite.items()}
    scl = {k: np.abs(v) + 0.1 * (np.sqrt(np.mean(v * v)) + 1e-12) for k, v in elite.items()}
    plus = {k: elite[k][None] + sigma * scl[k][None] * noise[k] for k in elite}
    minus = {k: elite[k][None] - sigma * scl[k][None] * noise[k] for k in elite}
    both = project(struct, {k: np.concatenate([plus[k], minus[k]]) for k in elite})
    lhs, rhs, viol, _ = _eval(st, struct, both)
    ok, _ = _admissible(viol, 2 * half)
    sc = np.where(ok, score(lhs, rhs, scale_), -1.0)
    diff = sc[:half] - sc[half:]
    if not np.any(diff):
        return {k: v[None] for k, v in elite.items()}, 2 * half
    diff = diff / (np.std(diff) + 1e-12)
    new = {k: elite[k] + lr * scl[k] * np.tensordot(diff, noise[k], axes=(0, 0)) / half for k in elite}
    return project(struct, {k: v[None] for k, v in new.items()}), 2 * half


# ----------------------------------------------------------------------------- re-check
def _mp_eval(st: Statement, struct: dict, params1: dict, scale: Any, dps: int):
    import mpmath
    with nm.mp_precision(dps):
        exact = {k: nm.to_mp(v) for k, v in params1.items()}
        lhs, rhs, viol, _ = _eval(st, struct, exact)
        s = mpmath.mpf(str(scale))
        lhs0, rhs0 = lhs[0], rhs[0]
        bad = [name for name, v in viol.items() if bool(np.asarray(v)[0])]
        return lhs0, rhs0, s, lhs0 - s * rhs0, bad


def recheck(st: Statement, struct: dict, params1: dict, scale: float, dps: int = HIGH_DPS) -> dict:
    """Re-evaluate one instance (params with a leading axis of length 1) in high precision.

    Floats convert to mpmath exactly, so the re-check starts from the very numbers that
    float64 used.  The instance is evaluated at ``dps`` and at ``dps + 30`` digits; it
    is a counterexample only if LHS − scale·RHS is positive at both precisions and the
    two margins agree to 6 significant digits (rounding artefacts, e.g. of exact
    equalities, shrink with the precision; a real violation does not).
    """
    import mpmath
    l1, r1, s, m1, bad = _mp_eval(st, struct, params1, scale, dps)
    l2, r2, _, m2, bad2 = _mp_eval(st, struct, params1, scale, dps + 30)
    stable = m1 > 0 and m2 > 0 and abs(m1 - m2) <= mpmath.mpf("1e-6") * abs(m2)
    bad = sorted(set(bad) | set(bad2))
    with nm.mp_precision(dps + 30):
        ratio = float(l2 / r2) if r2 > 0 else None
        return {"lhs": mpmath.nstr(l2, 40), "rhs": mpmath.nstr(r2, 40), "scaled_rhs": mpmath.nstr(s * r2, 40),
                "margin": mpmath.nstr(m2, 20), "margin_at_lower_precision": mpmath.nstr(m1, 20),
                "violated_hypotheses": bad, "is_counterexample": bool(stable and not bad), "ratio": ratio,
                "margin_confirmed": bool(stable),
                "dps": [dps, dps + 30]}


def _shrink(st: Statement, struct: dict, params1: dict, scale: float, deadline: float) -> tuple[dict, dict, dict]:
    """Greedy shrinking of a confirmed counterexample: smaller K, T, B, n, rounder numbers."""
    best_s, best_p = dict(struct), dict(params1)
    best_chk = recheck(st, best_s, best_p, scale)
    def try_(s2, p2):
        nonlocal best_s, best_p, best_chk
        if time.monotonic() > deadline:
            return False
        try:
            chk = recheck(st, s2, p2, scale)
        except Exception:  # a structure the statement cannot take: not smaller
            return False
        if chk["is_counterexample"]:
            best_s, best_p, best_chk = s2, p2, chk
            return True
        return False
    for key in ("K", "T", "B"):
        while key in best_s and best_s[key] > 1 and time.monotonic() < deadline:
            s2 = dict(best_s)
            s2[key] = max(1, best_s[key] // 2) if best_s[key] > 4 else best_s[key] - 1
            p2 = best_p
            if key == "B":  # batches stored as examples: keep the first B of them
                p2 = {k: (v[:, : s2["B"]] if k.startswith("ex.") and v.ndim > 1 and v.shape[1] == best_s["B"] else v)
                      for k, v in best_p.items()}
            if not try_(s2, p2):
                break
    n = best_s.get("n")
    while n and n > 1 and time.monotonic() < deadline:
        for n2 in sorted({1, 2, n // 2, n - 1}):
            if 1 <= n2 < n and _try_dim(st, best_s, best_p, n, n2, try_):
                break
        else:
            break
        n = best_s["n"]
    for digits in (1, 2, 3, 4, 6):
        p2 = {k: (np.vectorize(lambda x: float(f"{x:.{digits}g}"))(v) if v.dtype != object else v)
              for k, v in best_p.items()}
        if try_(dict(best_s), p2):
            break
    return best_s, best_p, best_chk


def axis_roles(st: Statement, family: str | None = None) -> dict[str, list]:
    """What each axis (after the candidate axis) of every parameter of ``st`` counts:
    ``"B"`` (examples of a batch), ``"n"`` (coordinates), an int (a fixed size), or None
    (cannot be told).  Read off fresh instances of the statement, drawn until B and n
    have varied, so no per-statement table has to be kept in step with the samplers."""
    refs = []
    for seed in range(64):
        rs, rp = st.sample(np.random.default_rng(seed), 1, family)
        refs.append((rs, {k: np.shape(v) for k, v in rp.items()}))
        if len(refs) >= 8 and len({r[0].get("B") for r in refs}) > 2 and len({r[0].get("n") for r in refs}) > 2:
            break
    out: dict[str, list] = {}
    for k in refs[0][1]:
        shapes = [(rs, sh[k]) for rs, sh in refs if k in sh]
        nd = len(shapes[0][1])
        if any(len(sh) != nd for _, sh in shapes):
            out[k] = [None] * (nd - 1)
            continue
        roles = []
        for ax in range(1, nd):
            cand = []
            sizes = {sh[ax] for _, sh in shapes}
            if len(sizes) == 1:
                cand.append(sizes.pop())
            for name in ("B", "n"):
                if all(name in rs and sh[ax] == rs[name] for rs, sh in shapes):
                    cand.append(name)
            roles.append(cand[0] if len(cand) == 1 else None)
        out[k] = roles
    return out


def _try_dim(st, best_s, best_p, n, n2, try_):
    """Keep the first n2 coordinates of every coordinate axis (role "n", see axis_roles);
    an axis of length n that counts examples (B = n) is left alone."""
    roles = axis_roles(st, best_s.get("family"))
    p2 = {}
    for k, v in best_p.items():
        a = v
        r = roles.get(k)
        if r is None or len(r) != a.ndim - 1:
            return False  # cannot tell the axes apart: do not shrink the dimension
        for ax in range(1, a.ndim):
            if r[ax - 1] is None and a.shape[ax] == n:
                return False
            if r[ax - 1] == "n":
                a = np.take(a, np.arange(n2), axis=ax)
        p2[k] = a
    return try_(dict(best_s, n=n2), p2)


# ----------------------------------------------------------------------------- search
def search(
    st: Statement,
    *,
    budget: float = 5.0,
    seed: int = 0,
    scale: float = 1.0,
    family: str | None = None,
    candidates: int = 64,
    stop_on_found: bool = True,
    progress: Callable[[float, str], None] | None = None,
    shrink: bool = True,
    relax: tuple[str, ...] = (),
) -> SearchResult:
    """Maximise LHS/RHS of ``st`` (its bound multiplied by ``scale``) for ``budget`` seconds."""
    if st.evaluate is None or st.sample is None:
        raise ValueError(f"statement {st.id!r} has no numeric instantiation")
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    if not (budget > 0):
        raise ValueError(f"budget must be > 0 seconds, got {budget!r}")
    if family is not None and family not in st.families:
        raise ValueError(f"family {family!r} does not satisfy the hypotheses of {st.id}; admissible: {list(st.families)}")
    rng = np.random.default_rng(seed)
    res = SearchResult(st.id, float(scale), seed=seed, budget=float(budget))
    t0 = time.monotonic()
    deadline = t0 + budget
    elites: list[tuple[float, dict, dict]] = []  # (score, struct, params1)
    checked: set = set()
    rounds = 0
    hyp_time = [0.0]  # seconds spent re-checking instances that violate a hypothesis
    recheck_time = [0.0]  # seconds spent re-checking float64 violations in high precision

    def consider(struct, params, lhs, rhs, viol, C, mag=None):
        if "eta" in relax:  # instances with η beyond its limit: flagged, never counterexamples
            viol = dict(viol)
            viol[RELAX_ETA] = np.asarray(params["u"], dtype=float) > 1.0
        ok, counts = _admissible(viol, C)
        over = lhs > scale * rhs
        # "would refute without hypothesis H": an instance violating H alone whose excess
        # survives the high-precision re-check (float64 ties, e.g. of instances where the
        # bound is attained, are not counted).  At most one re-check per round, and at most
        # 10 % of the budget: the count is a lower bound.
        nviol = sum(np.asarray(v, dtype=bool).astype(int) for v in viol.values()) if viol else np.zeros(C, int)
        cand = np.nonzero(over & (nviol == 1))[0]
        if len(cand) and hyp_time[0] < 0.1 * budget:
            j = int(cand[int(rng.integers(len(cand)))])
            t_h = time.monotonic()
            try:
                chk = recheck(st, struct, _take(params, slice(j, j + 1)), scale)
            except (ArithmeticError, ValueError, FloatingPointError):
                chk = {"margin_confirmed": False}
            hyp_time[0] += time.monotonic() - t_h
            if chk["margin_confirmed"]:
                name = next(n for n, v in viol.items() if bool(np.asarray(v, dtype=bool)[j]))
                res.would_refute_without[name] = res.would_refute_without.get(name, 0) + 1
        for k, v in counts.items():
            if v:
                res.inadmissible[k] = res.inadmissible.get(k, 0) + v
        res.evaluations += C
        res.trials += int(ok.sum())
        ratio = np.where(ok & (rhs > 0), lhs / np.where(rhs > 0, rhs, 1.0), np.nan)
        sc = np.where(ok, score(lhs, rhs, scale), -np.inf)
        # float64 violations are only believed after a high-precision re-check; the
        # re-checked ratio replaces the float one.  Largest excess first; excesses below
        # float64 resolution are ties (counted, not re-checked); violators left when the
        # re-check time cap is reached are counted as unchecked (verify then cannot say
        # "verified").
        viol_idx = np.nonzero(ok & (lhs > scale * rhs))[0]
        viol_idx = viol_idx[np.argsort(-sc[viol_idx])]
        for j in viol_idx:
            j = int(j)
            excess = lhs[j] - scale * rhs[j]
            if sc[j] <= TIE or (mag is not None and excess <= TIE_MAGNITUDE * mag[j]):
                res.ties += 1
                ratio[j], sc[j] = np.nan, -np.inf
                continue
            if recheck_time[0] > max(RECHECK_SHARE * budget, 1.0):
                res.unchecked += 1
                ratio[j], sc[j] = np.nan, -np.inf
                continue
            p1 = _take(params, slice(j, j + 1))
            t_r = time.monotonic()
            chk = recheck(st, struct, p1, scale)
            recheck_time[0] += time.monotonic() - t_r
            if chk["is_counterexample"]:
                res.found = True
                res.time_to_found = time.monotonic() - t0
                s2, p2, chk2 = (struct, p1, chk)
                if shrink:
                    s2, p2, chk2 = _shrink(st, struct, p1, scale, time.monotonic() + min(3.0, 0.3 * budget))
                res.counterexample = {"structure": dict(s2), "params": {k: np.asarray(v, dtype=float) for k, v in p2.items()},
                                      "check": chk2}
                if chk["ratio"] is not None:
                    res.best_ratio = max(res.best_ratio, chk["ratio"])
                    res.ratios.append(chk["ratio"])
                    k = struct.get("K")
                    if k is not None:
                        res.ratio_by_K[k] = max(res.ratio_by_K.get(k, -math.inf), chk["ratio"])
                return True
            res.dropped += 1
            ratio[j] = chk["ratio"] if chk["ratio"] is not None else np.nan
            sc[j] = -np.inf  # noise: never an elite
        good = np.isfinite(ratio)
        if np.any(good):
            rr = ratio[good]
            res.best_ratio = max(res.best_ratio, float(np.max(rr)))
            res.smallest_slack = min(res.smallest_slack, float(np.min(1 - rr)))
            if len(res.ratios) < 2000:
                res.ratios.extend(rr[: 2000 - len(res.ratios)].tolist())
            k = struct.get("K")
            if k is not None:
                res.ratio_by_K[k] = max(res.ratio_by_K.get(k, -math.inf), float(np.max(rr)))
        i = int(np.argmax(sc))
        if np.isfinite(sc[i]):
            elites.append((float(sc[i]), struct, _take(params, slice(i, i + 1))))
            elites.sort(key=lambda e: -e[0])
            del elites[12:]
        return False

    while time.monotonic() < deadline:
        rounds += 1
        explore = rounds % 3 == 1 or not elites
        if explore:
            struct, params = st.sample(rng, candidates, family)
            if "eta" in relax:
                struct = dict(struct, _relax_eta=True)
            if "eta" in relax and "u" in params:
                params["u"] = params["u"] * np.where(rng.random(candidates) < 0.5, rng.uniform(1, 4, candidates), 1.0)
        else:
            _, struct, e1 = elites[int(rng.integers(min(len(elites), 4)))]
            e = _take(e1, 0)
            if rounds % 3 == 2:
                params = _mutate(rng, e, candidates, struct)
            else:
                new, used = _es_step(rng, st, struct, e, candidates, scale, sigma=float(np.exp(rng.uniform(-6, -1))), lr=0.5)
                res.evaluations += used
                params = _mutate(rng, _take(new, 0), candidates, struct)
        t_round = time.monotonic()
        try:
            with np.errstate(all="ignore"):
                lhs, rhs, viol, mag = _eval(st, struct, params)
        except (FloatingPointError, OverflowError, ValueError, np.linalg.LinAlgError):
            continue
        if time.monotonic() - t_round > 0.15 * budget and candidates > 8:
            candidates //= 2  # keep rounds short relative to the budget
        lhs = np.asarray(lhs, dtype=float)
        rhs = np.asarray(rhs, dtype=float)
        mag = None if mag is None else np.asarray(mag, dtype=float)
        if consider(struct, params, lhs, rhs, viol, lhs.shape[0], mag) and stop_on_found:
            break
        if progress:
            progress(min(time.monotonic() - t0, budget), f"best ratio {res.best_ratio:.4g}")
    res.seconds = time.monotonic() - t0
    if elites:
        res.best_instance = {"structure": elites[0][1], "params": elites[0][2]}
    return res
