"""Loss families f(w, ξ): per-example value and gradient, vectorised, with certified constants.

One registry (``FAMILIES``) serves the algorithms, the statements, the search engine, the rate
runner and the report.  The package is split by responsibility; every public name is re-exported
here, so ``from boundcheck.core.losses import X`` is the one import path:

* ``arith``: rounding margins, norms and inner products for float64 and mpmath arrays;
* ``constants``: certified constants (Section 2.1: ρ-Lipschitz, β-smooth), proven upper bounds
  with an explicit floating-point rounding margin, per batch and per example;
* ``families``: ``LossFamily``, the families' values, gradients and samplers, the registry;
* ``batches``: batch objectives f̄_ξ, neighbouring batches (Definition 1), the reduced mean
  gradient and batches realised with a chosen minimiser;
* ``raw``: the raw parameterisation a search perturbs and a counterexample file stores.

May import: numpy, ``boundcheck.core.numerics`` and ``boundcheck.core.validate``.
"""
from __future__ import annotations

from boundcheck.core.losses.batches import (REALISABLE, Objective, batch_objective, batch_size, examples_at,
                                            mean_grad_fn, neighbour, realise)
from boundcheck.core.losses.constants import GLOBAL_SLOPE, Constants, quadratic_is_convex
from boundcheck.core.losses.families import (FAMILIES, FAMILY_GROUPS, LossFamily, family_names, get_family,
                                             per_example_constants)
from boundcheck.core.losses.raw import decode_raw, field_axes, is_legacy, raw_fields, raw_violations, sample_raw

__all__ = [
    "Constants",
    "LossFamily",
    "FAMILIES",
    "FAMILY_GROUPS",
    "get_family",
    "family_names",
    "Objective",
    "batch_objective",
    "batch_size",
    "neighbour",
    "examples_at",
]

