"""Check your own lemmas in pytest: the ``@lemma`` decorator, the pytest plugin, and strategies.

    import boundcheck as bc
    from boundcheck.testing import lemma

    @lemma(trials=8192)
    def test_gd_decreases_f():
        return bc.statement("gd_descent", "My lemma", cls=bc.SMOOTH_CONVEX, method="gd",
                            setting=bc.one_batch(), params={bc.eta: bc.Interval(0, 1 / bc.beta, left_open=True)},
                            lhs=bc.f(bc.w_out) - bc.f(bc.w_init), bound=0)

Under pytest (the plugin is registered through the ``pytest11`` entry point when boundcheck is
installed) each decorated function is one test item: it passes when the statement is verified
(the verbose line gives the trials and the worst ratio), and fails with the counterexample —
LHS, RHS, the instance, the path of its JSON file — when it is refuted, or with the reason when
it is unresolved.  A counterexample is saved in ``.boundcheck/examples`` under the rootdir and
re-checked first on the next run, as hypothesis's example database is.  Without the plugin the
decorated function still runs the same check when called.

Hypothesis strategies for your own property tests live in :mod:`boundcheck.testing.strategies`
(``pip install boundcheck[testing]``).  Layer: above the engine; the CLI does not import it.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable, NamedTuple

__all__ = ["lemma", "LemmaRefuted", "LemmaUnresolved", "check", "certify", "PepStatus", "DEFAULT_DB", "DEFAULT_PEP_K"]

#: the steps at which a @lemma's exact worst case is computed by default (small: seconds)
DEFAULT_PEP_K = (1, 2, 3)

DEFAULT_DB = Path(".boundcheck") / "examples"


class LemmaRefuted(AssertionError):
    """A statement checked in a test was refuted (the message holds the counterexample)."""


class LemmaUnresolved(AssertionError):
    """The search could not settle the statement (never reported as verified)."""


def check(st: Any, *, trials: int | None = None, seed: int = 0, database: str | Path | None = DEFAULT_DB,
          scale: float = 1.0) -> Any:
    """Verify ``st`` like ``boundcheck verify`` (count budget, saved counterexamples first); return
    the search result, or raise :class:`LemmaRefuted` / :class:`LemmaUnresolved`."""
    from boundcheck.engine.database import ExampleDatabase
    from boundcheck.engine.replay import save_counterexample
    from boundcheck.engine.search import search
    db = None
    if database is not None:
        db = ExampleDatabase(database)
    r = search(st, trials=trials, seed=seed, scale=scale, database=db)
    if r.found:
        ce = r.counterexample
        path = ce.get("path") or r.reused
        if path is None and database is not None:
            Path(database).mkdir(parents=True, exist_ok=True)
            path = str(Path(database) / f"{st.id}.json")
            save_counterexample(path, st, scale, ce["structure"], ce["params"], ce["check"], seed=seed)
        raise LemmaRefuted(describe_counterexample(st, ce, path, reused=r.reused is not None))
    if r.unchecked or r.trials < 200:
        raise LemmaUnresolved(f"{st.id} unresolved: " + (f"{r.unchecked} float64 violations not re-checked"
                                                         if r.unchecked else f"only {r.trials} admissible trials"))
    return r


class PepStatus(NamedTuple):
    """The exact worst-case engine's answer for a lemma: certificates at some grid points, or a
    witness, or why there is no PEP for it."""

    proved: int          # grid points with an exact certificate (δ = 0)
    approx: int          # grid points with a certificate of LHS − RHS ≤ δ·tr G, δ > 0
    points: int          # grid points tried
    witness: str | None  # the file of an exact witness (the lemma is then false)
    worst_ratio: float | None
    reason: str = ""

    def line(self) -> str:
        if self.reason:
            return f"certificate: none ({self.reason})"
        if self.witness:
            return f"certificate: none — refuted by an exact witness ({self.witness})"
        txt = f"certificate: exact at {self.proved}/{self.points} PEP points"
        if self.approx:
            txt += f" (+{self.approx} with δ > 0)"
        if self.worst_ratio is not None:
            txt += f", exact worst ratio {self.worst_ratio:.6g}"
        return txt


def _pep_values(st: Any) -> list[dict]:
    """The parameter points of a lemma's PEP: its declared ``pep_grid``, else the defaults of
    :func:`boundcheck.pep.grid.default_values` (the edge and the middle of each interval)."""
    from boundcheck.pep.grid import grid_points
    return [p for _, p in grid_points(st, [1], None)]


def certify(st: Any, *, K: tuple[int, ...] = DEFAULT_PEP_K, out_dir: str | Path | None = None) -> PepStatus:
    """The exact worst case of a one-batch lemma at small K (``boundcheck pep``): exact certificates
    (proved over every function of the class at those points) or an exact witness (refuted)."""
    from boundcheck.lang.settings import OneBatch
    if not K:
        return PepStatus(0, 0, 0, None, None, "PEP not asked for")
    if not isinstance(st.setting, OneBatch) or len(st.methods) != 1:
        return PepStatus(0, 0, 0, None, None, f"no one-batch PEP for a {type(st.setting).__name__} setting")
    from boundcheck.lang.declaration import REGISTRY, register, unregister
    from boundcheck.pep.forms import NotAPepQuantity
    from boundcheck.pep.grid import evaluate_point
    # the exact checkers rebuild a PEP from the registry (a file names its statement): a lemma
    # declared in a test is registered while it is certified, unless an equal one already is
    added = REGISTRY.get(st.id) is None
    if not added and REGISTRY[st.id].fingerprint() != st.fingerprint():
        return PepStatus(0, 0, 0, None, None, f"another statement is registered as {st.id!r}")
    if added:
        register(st)
    try:
        vals = _pep_values(st)
        points = [(k, v) for k in K for v in vals]
        rows = [evaluate_point((st, k, v, None), None if out_dir is None else str(out_dir), True, "auto")
                for k, v in points]
    except (NotAPepQuantity, ValueError) as exc:
        return PepStatus(0, 0, 0, None, None, f"no PEP: {exc}")
    finally:
        if added:
            unregister(st.id)
    wit = next((r for r in rows if r.verdict == "refuted"), None)
    ratios = [r.ratio for r in rows if r.ratio is not None]
    return PepStatus(sum(r.verdict == "proved" and r.delta == "0" for r in rows),
                     sum(r.verdict == "proved to δ" for r in rows), len(rows),
                     None if wit is None else (wit.file or f"K = {wit.K}, {wit.params}"),
                     max(ratios) if ratios else None)


def describe_counterexample(st: Any, ce: dict, path: str | None, reused: bool = False) -> str:
    """A counterexample in a few readable lines."""
    import numpy as np
    c = ce["check"]
    lines = [f"{st.id} is refuted{' (a saved counterexample, re-checked first)' if reused else ''}:",
             f"  LHS = {c['lhs'][:24]}  >  RHS = {c['scaled_rhs'][:24]}   (re-checked at {c['dps'][0]} and {c['dps'][1]} "
             f"digits)",
             f"  instance: {ce['structure']}"]
    for k, v in ce["params"].items():
        a = np.asarray(v, dtype=float)
        lines.append(f"    {k} = {np.array2string(a.reshape(-1)[:8], precision=4, separator=', ')}"
                     + (" …" if a.size > 8 else ""))
    try:  # the statement's own symbols at the instance (β certified from the losses, η decoded from u, …)
        vals = st.values(ce["structure"], {k: np.asarray(v, dtype=float) for k, v in ce["params"].items()})
        shown = [(k, float(np.asarray(v, dtype=float).reshape(-1)[0])) for k, v in vals.items()
                 if k not in ("K", "B", "n", "T") and np.size(v) >= 1 and np.asarray(v).dtype != object]
        if shown:
            lines.append("  values: " + ", ".join(f"{k} = {v:.6g}" for k, v in shown[:8]))
    except Exception:  # noqa: BLE001 - a display nicety; the counterexample itself is already checked
        pass
    if path:
        lines.append(f"  saved: {path}  (boundcheck replay {path} --module <this file>)")
    return "\n".join(lines)


def lemma(func: Callable[[], Any] | None = None, *, trials: int | None = None, seed: int | None = None,
          heavy: bool = False, pep_K: tuple[int, ...] = DEFAULT_PEP_K) -> Any:
    """Mark a test function that returns a Statement as a checked lemma (see the module docstring).

    ``trials``/``seed`` override ``--boundcheck-trials``/``--boundcheck-seed``; ``heavy`` puts the
    ``boundcheck_heavy`` marker on it (deselect with ``-m "not boundcheck_heavy"``); ``pep_K``: the
    steps at which a one-batch lemma's exact worst case (PEP) is computed after the search (``()``:
    none) — exact certificates are reported in the verbose line, an exact witness fails the test."""
    def wrap(f: Callable[[], Any]) -> Any:
        @functools.wraps(f)
        def run_without_plugin() -> None:  # plain pytest without the plugin, or a direct call
            check(f(), trials=trials, seed=seed or 0)
        run_without_plugin._boundcheck_lemma = {"func": f, "trials": trials, "seed": seed, "heavy": heavy,
                                                "pep_K": tuple(pep_K)}
        return run_without_plugin
    return wrap(func) if func is not None else wrap
