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
from typing import Any, Callable

__all__ = ["lemma", "LemmaRefuted", "LemmaUnresolved", "check", "DEFAULT_DB"]

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
    if path:
        lines.append(f"  saved: {path}  (boundcheck replay {path} --module <this file>)")
    return "\n".join(lines)


def lemma(func: Callable[[], Any] | None = None, *, trials: int | None = None, seed: int | None = None,
          heavy: bool = False) -> Any:
    """Mark a test function that returns a Statement as a checked lemma (see the module docstring).

    ``trials``/``seed`` override ``--boundcheck-trials``/``--boundcheck-seed``; ``heavy`` puts the
    ``boundcheck_heavy`` marker on it (deselect with ``-m "not boundcheck_heavy"``)."""
    def wrap(f: Callable[[], Any]) -> Any:
        @functools.wraps(f)
        def run_without_plugin() -> None:  # plain pytest without the plugin, or a direct call
            check(f(), trials=trials, seed=seed or 0)
        run_without_plugin._boundcheck_lemma = {"func": f, "trials": trials, "seed": seed, "heavy": heavy}
        return run_without_plugin
    return wrap(func) if func is not None else wrap
