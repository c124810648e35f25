"""Echoed runs at scale: the batched runner, the rates against the bounds, the real-data
figures (Section 5), the datasets, and the AGD stability analysis (Lemma 12's c_K).

Packages and modules: ``runner/`` (backend, generator, kernels, run), ``rates/`` (grid,
statements, fits, measure, report, plots), ``figures/`` (objective, optimum, kernel, column,
sweep, plots, run), ``data`` (checksummed files, the one cache root), ``agd_ck`` (Lemma 12's
c_K) and ``agd_stability`` (re-exports ``agd_ck``; the smooth-convex probe).

May import: ``core``, ``lang``, ``paper``, ``engine``, ``parallel`` and ``outputs``.
"""
