"""The one search engine, the high-precision re-check, counterexample files and ``verify``.

Owns: deciding verified / refuted / unresolved.  May import: ``core``, ``lang``, ``paper``
(the registry's built-in statements) and ``outputs``.
"""
