"""The public hypothesis strategies (issue 16, item 2): they draw what they promise, a user's
``@given`` property test runs on them, and a false property shrinks to a small instance."""
from __future__ import annotations

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, find, given, settings  # noqa: E402

import boundcheck as bc  # noqa: E402
from boundcheck.testing.strategies import (examples, families, instances, neighbouring_batches,  # noqa: E402
                                           step_sizes)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
LEMMA6 = bc.get_statement("lemma6")


def _holds(st, inst, slack=1e-9):
    structure, raw = inst
    with np.errstate(all="ignore"):
        e = st.evaluate(structure, raw)
    return bool(e.lhs[0] <= e.rhs[0] * (1 + slack) + 1e-12)


@FAST
@given(instances(LEMMA6))
def test_a_true_lemma_holds_on_every_drawn_instance(inst):
    structure, raw = inst
    assert structure["family"] in LEMMA6.cls.families and 1 <= structure["K"] <= 8 and 1 <= structure["B"] <= 4
    assert _holds(LEMMA6, inst)


@FAST
@given(families(bc.SMOOTH_CONVEX), step_sizes(2.0, limit=2.0))
def test_families_and_step_sizes_stay_in_their_hypotheses(fam, eta):
    assert fam in bc.SMOOTH_CONVEX.families and 0 < eta <= 2.0 / 2.0


@FAST
@given(examples("least-squares", B=3, n=2))
def test_examples_carry_certified_constants(ex):
    assert ex["beta"].shape == (1,) and ex["rho"].shape == (1,)
    assert np.all(ex["beta"] >= 0) and np.all(np.isfinite(ex["rho"]))


@FAST
@given(neighbouring_batches("logistic", B=3, n=2))
def test_neighbouring_batches_differ_in_example_0_only(pair):
    a, b = pair
    for k in a:
        np.testing.assert_array_equal(a[k][:, 1:], b[k][:, 1:])


def test_a_false_property_shrinks_to_a_small_instance():
    """Half of Lemma 6's bound is false (Lemma 6 is attained): hypothesis finds it and shrinks the
    structure to K = B = n = 1."""
    half = LEMMA6.copy(id="lemma6_half_for_strategies", bound=LEMMA6.bound / 2)
    structure, _ = find(instances(half), lambda inst: not _holds(half, inst, slack=1e-6),
                        settings=settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck),
                                          database=None))
    assert (structure["K"], structure["B"], structure["n"]) == (1, 1, 1), structure
