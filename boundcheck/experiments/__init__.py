"""Echoed runs at scale: the batched runner, the rates against the bounds, the real-data
figures (Section 5), the datasets, and the AGD stability analysis (Lemma 12's c_K).

May import: ``core``, ``lang``, ``paper``, ``engine`` and ``outputs``.
"""
