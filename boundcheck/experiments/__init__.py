"""Echoed runs at scale: the batched runner, the rates against the bounds, the real-data
figures (Section 5), the datasets, and the AGD stability analysis (Lemma 12's c_K).

Packages and modules: ``runner/`` (backend, generator, kernels, run), ``rates/`` (grid,
statements, fits, measure, report, plots), ``figures/`` (objective, optimum, kernel, column,
sweep, plots, run), ``data`` (checksummed files, the one cache root) and ``agd_stability``
(Lemma 12's c_K; Section 6's smooth-convex conjecture is searched by the engine itself:
``lang.designs`` and ``engine.growth``).

May import: ``core``, ``lang``, ``paper``, ``engine``, ``parallel`` and ``outputs``.
"""
