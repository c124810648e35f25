"""The pytest plugin: each ``@lemma``-decorated test is a verify run with a readable verdict.

Registered through the ``pytest11`` entry point (``boundcheck = boundcheck.testing.plugin``).
Imports nothing heavy at load time: pytest loads it for every run in an environment where
boundcheck is installed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: Any) -> None:
    g = parser.getgroup("boundcheck", "boundcheck: checking statements")
    g.addoption("--boundcheck-trials", type=int, default=None, metavar="N",
                help="instances each @lemma test evaluates (default: the statement's own)")
    g.addoption("--boundcheck-seed", type=int, default=0, metavar="S", help="seed of every @lemma search (default 0)")
    g.addoption("--boundcheck-db", default=None, metavar="DIR",
                help="where counterexamples are saved and re-checked first (default <rootdir>/.boundcheck/examples)")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "boundcheck_heavy: a @lemma test with a large budget (deselect with "
                                       "-m 'not boundcheck_heavy')")


class LemmaItem(pytest.Item):
    """One statement, checked by the one search engine."""

    def __init__(self, *, func: Any, spec: dict, **kw: Any) -> None:
        super().__init__(**kw)
        self.func, self.spec = func, spec
        self.result: Any = None
        if spec.get("heavy"):
            self.add_marker(pytest.mark.boundcheck_heavy)

    def runtest(self) -> None:
        from boundcheck.testing import check
        cfg = self.config
        st = self.func()
        trials = self.spec.get("trials") or cfg.getoption("--boundcheck-trials")
        seed = self.spec.get("seed") if self.spec.get("seed") is not None else cfg.getoption("--boundcheck-seed")
        db = cfg.getoption("--boundcheck-db") or str(Path(str(cfg.rootpath)) / ".boundcheck" / "examples")
        self.result = check(st, trials=trials, seed=seed, database=db)
        r = self.result
        import math
        worst = (f"worst ratio {r.best_ratio:.6g}" if math.isfinite(r.best_ratio)
                 else f"worst (LHS − RHS)/size {r.worst_excess:.3g}")  # RHS ≤ 0 everywhere: no ratio
        from boundcheck.testing import LemmaRefuted, certify
        pep = certify(st, K=tuple(self.spec.get("pep_K", (1, 2, 3))), out_dir=Path(db).parent)
        if pep.witness:  # the search missed it; the exact worst case did not
            raise LemmaRefuted(f"{st.id} is refuted by its exact worst case over every function of the class "
                               f"(PEP): an exact witness violates the bound; saved: {pep.witness} "
                               f"(boundcheck replay {pep.witness} --module <this file>)")
        self.user_properties.append(("boundcheck", f"{r.trials} admissible trials of {r.evaluations}, {worst}, "
                                                   f"{pep.line()}"))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        from boundcheck.testing import LemmaRefuted, LemmaUnresolved
        if excinfo.errisinstance((LemmaRefuted, LemmaUnresolved)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple:
        return self.path, None, f"lemma {self.name}"


def pytest_pycollect_makeitem(collector: Any, name: str, obj: Any) -> Any:
    spec = getattr(obj, "_boundcheck_lemma", None)
    if spec is None:
        return None
    return LemmaItem.from_parent(collector, name=name, func=spec["func"], spec=spec)


def pytest_report_teststatus(report: Any, config: Any) -> Any:
    if report.when == "call" and report.passed:
        for k, v in getattr(report, "user_properties", ()):
            if k == "boundcheck":
                return "passed", ".", (f"VERIFIED ({v})", {"green": True})
    return None
