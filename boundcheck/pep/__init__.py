"""Exact worst cases: performance estimation (PEP) with exact certificates.

Owns: symbolic points and Gram forms (``forms``), function classes with their interpolation
conditions and the symbolic oracle (``functions``), the SDP assembled as one sparse conic
program and solved by Clarabel/SCS (``problem``), a declared statement as a PEP
(``statements``), two-trajectory PEPs for uniform stability (``stability``), exact and ball
arithmetic — rationals, PSD tests, exact linear algebra (``exact``), exact dual certificates: the search (``certificate``, which
re-exports the rest) and the type, records and checker (``check``), exact primal witnesses
(``witness``) and parameter grids (``grid``).  May import ``boundcheck.core``, ``boundcheck.lang``,
``boundcheck.paper`` and ``boundcheck.outputs``; the engine (verify, replay) imports it, never
the other way round (the AGD sandwich, which needs both, is an experiment:
``boundcheck.experiments.sandwich``).
"""
