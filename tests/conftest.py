"""Shared fixtures for the foundation unit tests (tests/test_*.py).

Exact arithmetic helpers are exposed as the ``exact`` fixture (not as an importable
module: ``conftest`` is not a unique module name once other test directories exist).
Hypothesis settings are given per test (``FAST`` in each file), never as a global
profile, so that loading this conftest does not change anyone else's tests.
"""
from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest


def _fr(*values) -> np.ndarray:
    """1-D object array of Fractions: ``fr(1, "1/2")``."""
    return np.array([Fraction(v) for v in values], dtype=object)


def _frm(rows) -> np.ndarray:
    """n-D object array of Fractions from nested lists."""
    return np.vectorize(Fraction, otypes=[object])(np.array(rows, dtype=object))


def _as_float(a) -> np.ndarray:
    return np.vectorize(float, otypes=[float])(np.asarray(a, dtype=object))


def _assert_equal(got, expected) -> None:
    """Element-wise exact equality; every entry of ``got`` must still be a Fraction."""
    got = np.asarray(got, dtype=object)
    expected = np.asarray(expected, dtype=object)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    for g, e in zip(got.flat, expected.flat):
        assert isinstance(g, Fraction), f"expected an exact Fraction, got {type(g).__name__} {g!r}"
        assert g == Fraction(e), f"{got!r} != {expected!r}"


@pytest.fixture(scope="session")
def exact() -> SimpleNamespace:
    """``exact.fr``, ``exact.frm``, ``exact.as_float``, ``exact.assert_equal``."""
    return SimpleNamespace(fr=_fr, frm=_frm, as_float=_as_float, assert_equal=_assert_equal)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def default_verify(tmp_path_factory):
    """One default ``verify`` (seed 0, each statement's default trials, diagnosis on, no reuse)
    shared by the tests that pin its verdicts, worst ratios and diagnoses."""
    from boundcheck.engine import verify as V
    out = tmp_path_factory.mktemp("verify-ce")
    return {r.id: r for r in V.verify(seed=0, out_dir=out, reuse=False)}
