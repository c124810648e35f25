"""The one search engine: maximise LHS/RHS of a statement over its admissible instances.

Used by ``verify``, ``search``, ``report`` and the pytest plugin alike.  A search is budgeted
by a **count** of evaluated instances (``trials``), so the same seed and the same count give
the same result on any machine at any load; ``budget`` (seconds) is only an upper cap, and a
run it stops says so (``stopped_by == "time"``).

Each round evaluates C candidate instances of one structure as one array program:

* explore: C fresh draws from the declaration's priors (one structure per round);
* mutate: C multi-scale relative-noise mutations of an elite, projected onto the raw domains;
* evolution-strategy ascent: an antithetic Gaussian-smoothing estimate of the score's gradient
  through the unrolled algorithm, C perturbations per array call.

A candidate with LHS > S·RHS in float64 is re-checked in high precision
(:func:`boundcheck.engine.recheck.recheck`) — largest excess first, at most ``max_rechecks``
per search; only a survivor is a counterexample (shrunk, re-checked, JSON-ready).  Excesses
below float64 resolution are ties (counted, never re-checked); violations left when the
re-check count is used up are counted as ``unchecked`` (``verify`` then cannot say verified).
An instance violating a declared hypothesis is never a counterexample; the engine counts, per
hypothesis, the instances it rejected.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from boundcheck.engine.recheck import HIGH_DPS, presmall, recheck, shrink
from boundcheck.lang.declaration import REGISTRY

log = logging.getLogger("boundcheck")

__all__ = ["SearchResult", "search", "recheck", "score", "TIE", "TIE_MAGNITUDE", "HIGH_DPS"]

#: a float64 excess (LHS − S·RHS)/(|LHS| + |S·RHS|) at or below this is a tie: below float64 resolution
TIE = 64 * np.finfo(float).eps
#: … or an excess at or below this times the magnitude of the terms being compared (e.g. the
#: potentials of a regret bound): cancellation makes smaller excesses unresolvable in float64
TIE_MAGNITUDE = 1e-12
CANDIDATES = 64


@dataclass
class SearchResult:
    """What a search saw: enough figures to have refuted the statement.

    trials: admissible instances evaluated; evaluations: all instances evaluated (the count
    budget); inadmissible: per-hypothesis counts of instances rejected; best_ratio: max LHS/RHS
    over admissible instances with RHS > 0; smallest_slack: min 1 − LHS/RHS; found: a
    counterexample survived high precision; dropped: float-only violations that did not
    survive; stopped_by: "trials" (the budget was spent), "found", or "time" (the cap).
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
    evaluations_to_found: int | None = None
    ratios: list = field(default_factory=list)       # a sample of admissible ratios (for plots)
    ratio_by_K: dict = field(default_factory=dict)   # worst ratio per K
    best_instance: dict | None = None
    would_refute_without: dict = field(default_factory=dict)  # hypothesis → confirmed violations without it
    ties: int = 0
    unchecked: int = 0
    rechecks: int = 0
    worst_excess: float = -math.inf  # max (LHS − S·RHS)/(size of the terms) over admissible instances (≤ 0 holds)
    stopped_by: str = "trials"
    trials_budget: int = 0
    seed: int = 0
    fingerprint: str = ""
    reused: str | None = None  # a saved counterexample that was re-checked first and still holds
    method: str = "random draws + evolution-strategy gradient ascent + mutation; mpmath re-check"

    def as_dict(self, timings: bool = True) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("ratios", "best_instance")}
        d["ratios_sample"] = self.ratios[:2000]
        if not timings:
            d.pop("seconds")
        return d


def score(lhs: np.ndarray, rhs: np.ndarray, scale: float, mag: np.ndarray | None = None) -> np.ndarray:
    """Normalised excess (LHS − s·RHS)/(size of the compared terms) ∈ [−1, 1]; > 0 means violated.

    The size is the magnitude of the terms (e.g. f(w_0) and f(w_K) for a descent claim whose bound
    is 0) when the statement reports it, else |LHS| + |s·RHS|: a bound of 0 would otherwise make
    every satisfied instance score −1 and leave the search without a gradient."""
    srhs = scale * rhs
    den = np.abs(lhs) + np.abs(srhs) + 1e-300
    if mag is not None:
        den = np.maximum(den, np.abs(lhs) + np.abs(mag) * (1 + abs(scale)) / 2 + 1e-300)
    with np.errstate(invalid="ignore"):
        s = (lhs - srhs) / den
    return np.where(np.isfinite(s), s, -1.0)


def _admissible(viol: Mapping[str, Any], C: int) -> tuple[np.ndarray, dict, np.ndarray]:
    ok = np.ones(C, dtype=bool)
    nviol = np.zeros(C, dtype=int)
    counts = {}
    for name, v in viol.items():
        v = np.broadcast_to(np.asarray(v, dtype=bool), (C,))
        counts[name] = int(v.sum())
        ok &= ~v
        nviol += v
    return ok, counts, nviol


def _take(params: dict, idx: Any) -> dict:
    return {k: v[idx] for k, v in params.items()}


class _Search:
    """One search's state; ``run`` is the loop (kept apart from the bookkeeping of ``consider``)."""

    def __init__(self, st: Any, *, trials: int, budget: float | None, seed: int, scale: float, family: str | None,
                 candidates: int, stop_on_found: bool, progress: Callable[[float, str], None] | None, do_shrink: bool,
                 relax: tuple[str, ...], max_rechecks: int | None, fixed: Mapping[str, Any] | None = None) -> None:
        self.st, self.trials, self.scale, self.family = st, trials, scale, family
        self.candidates, self.stop_on_found, self.progress, self.do_shrink = candidates, stop_on_found, progress, do_shrink
        self.relax = relax
        self.fixed = dict(fixed or {})
        self.rng = np.random.default_rng(seed)
        self.res = SearchResult(st.id, float(scale), seed=seed, trials_budget=trials, fingerprint=st.fingerprint())
        self.t0 = time.monotonic()
        self.deadline = None if budget is None else self.t0 + budget
        self.elites: list[tuple[float, dict, dict]] = []
        self.max_rechecks = max_rechecks if max_rechecks is not None else max(24, trials // 128)
        self.hyp_rechecks_left = max(16, self.max_rechecks // 2)

    # --------------------------------------------------------------------------------------
    def _evaluate(self, struct: dict, params: dict) -> tuple | None:
        try:
            with np.errstate(all="ignore"):
                e = self.st.evaluate(struct, params)
        except (FloatingPointError, OverflowError, ValueError, ZeroDivisionError, np.linalg.LinAlgError):
            return None
        return (np.asarray(e.lhs, dtype=float), np.asarray(e.rhs, dtype=float), e.violations,
                None if e.magnitude is None else np.asarray(e.magnitude, dtype=float))

    def _would_refute(self, struct: dict, params: dict, viol: dict, over: np.ndarray, nviol: np.ndarray,
                      excess: np.ndarray) -> None:
        """Count instances that violate one hypothesis alone and the bound (high precision):
        'the statement would be refuted without that hypothesis'.  One re-check per round, of
        the largest excess (the likeliest to survive high precision), within a count budget."""
        cand = np.nonzero(over & (nviol == 1))[0]
        if not len(cand) or self.hyp_rechecks_left <= 0:
            return
        j = int(cand[int(np.argmax(excess[cand]))])
        self.hyp_rechecks_left -= 1
        try:
            chk = recheck(self.st, struct, _take(params, slice(j, j + 1)), self.scale)
        except (ArithmeticError, ValueError, FloatingPointError, IndexError, TypeError):
            return
        if chk["margin_confirmed"]:
            name = next(n for n, v in viol.items() if bool(np.broadcast_to(np.asarray(v, dtype=bool), over.shape)[j]))
            self.res.would_refute_without[name] = self.res.would_refute_without.get(name, 0) + 1

    def consider(self, struct: dict, params: dict, ev: tuple) -> bool:
        """Book one round's evaluations; returns True when a counterexample was confirmed."""
        lhs, rhs, viol, mag = ev
        res, scale = self.res, self.scale
        C = lhs.shape[0]
        ok, counts, nviol = _admissible(viol, C)
        over = lhs > scale * rhs
        self._would_refute(struct, params, viol, over, nviol, score(lhs, rhs, scale, mag))
        for k, v in counts.items():
            if v:
                res.inadmissible[k] = res.inadmissible.get(k, 0) + v
        res.evaluations += C
        res.trials += int(ok.sum())
        with np.errstate(all="ignore"):
            ratio = np.where(ok & (rhs > 0), lhs / np.where(rhs > 0, rhs, 1.0), np.nan)
        sc = np.where(ok, score(lhs, rhs, scale, mag), -np.inf)
        if np.any(ok):
            res.worst_excess = max(res.worst_excess, float(np.max(np.where(ok & ~over, sc, -np.inf))))
        viol_idx = np.nonzero(ok & over)[0]
        viol_idx = viol_idx[np.argsort(-sc[viol_idx], kind="stable")]
        for j in map(int, viol_idx):
            excess = lhs[j] - scale * rhs[j]
            if sc[j] <= TIE or (mag is not None and excess <= TIE_MAGNITUDE * mag[j]):
                res.ties += 1
                ratio[j], sc[j] = np.nan, -np.inf
                continue
            if res.rechecks >= self.max_rechecks:
                res.unchecked += 1
                ratio[j], sc[j] = np.nan, -np.inf
                continue
            p1 = _take(params, slice(j, j + 1))
            res.rechecks += 1
            s1 = struct
            if self.do_shrink and sc[j] > 1e-6:  # a clear violation: make it small before mpmath sees it
                s_small, p_small = presmall(self.st, struct, p1, scale)
                if s_small != struct:
                    chk = self._recheck(s_small, p_small)
                    if chk["is_counterexample"]:
                        self._found(s_small, p_small, chk)
                        return True
            chk = self._recheck(s1, p1)
            if chk["is_counterexample"]:
                if self.stop_on_found:
                    self._found(s1, p1, chk)
                    return True
                # keep searching: the counterexample with the largest re-checked ratio is kept
                prev = res.counterexample["check"].get("ratio") if res.counterexample else None
                if res.counterexample is None or (chk["ratio"] or -math.inf) > (prev or -math.inf):
                    self._found(s1, p1, chk)
                ratio[j] = chk["ratio"] if chk["ratio"] is not None else np.nan
                continue
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
            self._add_elite(float(sc[i]), struct, _take(params, slice(i, i + 1)))
        return False

    def _add_elite(self, sc: float, struct: dict, params1: dict) -> None:
        """Keep the 12 best instances, at most 3 per loss family: a family whose instances tie at
        the bound (a zero loss) must not crowd the others out of the pool the search climbs from."""
        fam = struct.get("family")
        same = [e for e in self.elites if e[1].get("family") == fam]
        if len(same) >= 3:
            worst = min(same, key=lambda e: e[0])
            if sc <= worst[0]:
                return
            self.elites.remove(worst)
        self.elites.append((sc, struct, params1))
        self.elites.sort(key=lambda e: -e[0])
        del self.elites[12:]

    def _recheck(self, struct: dict, p1: dict) -> dict:
        try:
            return recheck(self.st, struct, p1, self.scale)
        except (ArithmeticError, ValueError, FloatingPointError, IndexError, TypeError):
            return {"is_counterexample": False, "ratio": None}

    def _found(self, struct: dict, p1: dict, chk: dict) -> None:
        res = self.res
        if not res.found:
            res.evaluations_to_found = res.evaluations
        res.found = True
        s2, p2, chk2 = struct, p1, chk
        if self.do_shrink:
            s2, p2, chk2 = shrink(self.st, struct, p1, self.scale, check=chk)
        res.counterexample = {"structure": dict(s2), "params": {k: np.asarray(v, dtype=float) for k, v in p2.items()},
                              "check": chk2}
        if chk["ratio"] is not None:
            res.best_ratio = max(res.best_ratio, chk["ratio"])
            k = struct.get("K")
            if k is not None:
                res.ratio_by_K[k] = max(res.ratio_by_K.get(k, -math.inf), chk["ratio"])

    # --------------------------------------------------------------------------------------
    def _mutate(self, elite: dict, C: int, struct: dict) -> dict:
        """C relative-noise mutations of one elite (multi-scale σ per candidate); candidate 0 is the elite."""
        rng = self.rng
        sig = np.exp(rng.uniform(np.log(1e-3), np.log(0.5), size=C))
        out = {}
        for k, v in elite.items():
            base = np.repeat(v[None], C, axis=0)
            if k.endswith(".y") and struct.get("family") == "logistic":
                out[k] = np.where(rng.random(base.shape) < 0.05, -base, base)
            else:
                scale_k = np.abs(base) + 0.1 * (np.sqrt(np.mean(v * v)) + 1e-12)
                s = sig.reshape((C,) + (1,) * (base.ndim - 1))
                out[k] = base + s * scale_k * rng.standard_normal(base.shape)
            out[k][0] = v
        return self.st.project(struct, out, self.relax)

    def _es_step(self, struct: dict, elite: dict, C: int, sigma: float, lr: float) -> dict | None:
        """One ES gradient-ascent step on the score (antithetic pairs); returns the new point."""
        half = max(C // 2, 1)
        rng = self.rng
        noise = {k: rng.standard_normal((half,) + v.shape) for k, v in elite.items()}
        scl = {k: np.abs(v) + 0.1 * (np.sqrt(np.mean(v * v)) + 1e-12) for k, v in elite.items()}
        both = {k: np.concatenate([elite[k][None] + sigma * scl[k][None] * noise[k],
                                   elite[k][None] - sigma * scl[k][None] * noise[k]]) for k in elite}
        both = self.st.project(struct, both, self.relax)
        ev = self._evaluate(struct, both)
        self.res.evaluations += 2 * half
        if ev is None:
            return None
        lhs, rhs, viol, mag = ev
        ok, _, _ = _admissible(viol, 2 * half)
        sc = np.where(ok, score(lhs, rhs, self.scale, mag), -1.0)
        diff = sc[:half] - sc[half:]
        if not np.any(diff):
            return {k: v for k, v in elite.items()}
        diff = diff / (np.std(diff) + 1e-12)
        new = {k: elite[k] + lr * scl[k] * np.tensordot(diff, noise[k], axes=(0, 0)) / half for k in elite}
        return {k: v[0] for k, v in self.st.project(struct, {k: v[None] for k, v in new.items()}, self.relax).items()}

    def run(self) -> SearchResult:
        res = self.res
        rounds = 0
        while res.evaluations < self.trials:
            if self.deadline is not None and time.monotonic() > self.deadline:
                res.stopped_by = "time"
                break
            rounds += 1
            C = min(self.candidates, self.trials - res.evaluations)
            if rounds % 3 == 1 or not self.elites:
                struct, params = self.st.sample(self.rng, C, self.family, self.relax, self.fixed)
            else:
                # the top elite half the time, else any of the pool (one per family at least)
                k = 0 if self.rng.random() < 0.5 else int(self.rng.integers(len(self.elites)))
                _, struct, e1 = self.elites[k]
                e = _take(e1, 0)
                if rounds % 3 == 0 and C >= 8:
                    new = self._es_step(struct, e, C, sigma=float(np.exp(self.rng.uniform(-6, -1))), lr=0.5)
                    e = new if new is not None else e
                    C = min(self.candidates, self.trials - res.evaluations)
                    if C <= 0:
                        break
                params = self._mutate(e, C, struct)
            ev = self._evaluate(struct, params)
            if ev is None:
                res.evaluations += C
                continue
            if self.consider(struct, params, ev) and self.stop_on_found:
                res.stopped_by = "found"
                break
            if self.progress:
                self.progress(min(res.evaluations, self.trials), f"best ratio {res.best_ratio:.4g}")
        res.seconds = time.monotonic() - self.t0
        if self.elites:
            res.best_instance = {"structure": self.elites[0][1], "params": self.elites[0][2]}
        return res


def search(st: Any, *, trials: int | None = None, budget: float | None = None, seed: int = 0, scale: float = 1.0,
           family: str | None = None, candidates: int = CANDIDATES, stop_on_found: bool = True,
           progress: Callable[[float, str], None] | None = None, shrink: bool = True, relax: Sequence[str] = (),
           max_rechecks: int | None = None, database: Any = None,
           structure: Mapping[str, Any] | None = None) -> SearchResult:
    """Maximise LHS/RHS of ``st`` (its bound × ``scale``) over ``trials`` evaluated instances.

    ``trials`` defaults to the statement's ``default_trials``; ``budget`` (seconds) is an optional
    cap.  ``relax``: parameter names whose domain is widened (their instances are never
    counterexamples; see ``would_refute_without``).  ``database``: an
    :class:`~boundcheck.engine.database.ExampleDatabase` whose saved counterexamples for this
    declaration are re-checked before searching (hypothesis's example database).  ``structure``
    pins structure keys (e.g. ``{"K": 80}``) for every drawn instance."""
    if not st.checkable:
        raise ValueError(f"statement {st.id!r} has no numeric instantiation (it is settled by a family of "
                         f"instances: use 'boundcheck verify --statement {st.id}')" if st.big_o_family is not None
                         else f"statement {st.id!r} has no numeric instantiation")
    if isinstance(scale, bool) or not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    trials = st.default_trials if trials is None else trials
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    if trials > 10**8:
        raise ValueError(f"trials = {trials} is beyond what one search can evaluate (at most 10^8)")
    if budget is not None and not (isinstance(budget, (int, float)) and math.isfinite(budget) and budget > 0):
        raise ValueError(f"budget must be a positive finite number of seconds, got {budget!r}")
    fams = (family,) if isinstance(family, str) else (tuple(family) if family is not None else ())
    bad_f = [f for f in fams if f not in st.families]
    if bad_f:
        raise ValueError(f"family {', '.join(bad_f)} is not in {st.id}'s function class; admissible: "
                         f"{list(st.families)}")
    relax = tuple(relax)
    known = set().union(*[_relaxable(_row(st, m) if st.rows else st) for m in (st.rows or [None])])
    bad = [r for r in relax if r not in known]
    if bad:
        raise ValueError(f"cannot relax {', '.join(bad)}: {st.id}'s parameters with a domain to widen are "
                         f"{', '.join(sorted(known)) or 'none (its parameters are defined by formulas)'}")
    if database is not None and scale == 1.0 and not relax and not structure and family is None:
        hit = database.replay_first(st)
        if hit is not None:
            return hit
    return _Search(st, trials=int(trials), budget=budget, seed=seed, scale=float(scale), family=family,
                   candidates=candidates, stop_on_found=stop_on_found, progress=progress, do_shrink=shrink,
                   relax=relax, max_rechecks=max_rechecks, fixed=structure).run()


def _row(st: Any, m: str) -> Any:
    return REGISTRY[st.rows[m]]


def _relaxable(st: Any) -> set[str]:
    """Parameters with a domain the search can widen (not those defined by a formula)."""
    return {sym.name for m in st.methods for sym, d in st.param_domains(m) if d.raw}
