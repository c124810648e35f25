"""The one search engine, the high-precision re-check, counterexample files and ``verify``.

Owns: deciding verified / refuted / unresolved.  May import: ``core``, ``lang``, ``paper``
(the registry's built-in statements), ``outputs`` and ``parallel`` (``verify``, ``search``'s
restarts and growth rows fan out through it).
"""
