"""Designed instances (boundcheck.lang.designs) and growth tables (boundcheck.engine.growth):
Section 6's conjecture ε = O(ηρ²K²/B) for smooth convex losses, searched by the one engine."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from boundcheck.engine.growth import growth, grows, replay_growth, save_growth
from boundcheck.engine.recheck import recheck
from boundcheck.experiments.agd_stability import difference_recursion
from boundcheck.lang.designs import best_pattern, gamma_schedule, switch_design, switch_response
from boundcheck.outputs import files
from boundcheck.paper import get_statement


def test_switch_response_matches_constant_curvature_recursion():
    """Metamorphic: an all-on (all-off) pattern is AGD's recursion with constant curvature a (0)."""
    g = gamma_schedule(3.0, 12)
    for a_on in (0.3, 1.0):
        P = np.ones((1, 12), dtype=bool)
        assert np.allclose(switch_response(P, g, a_on)[0], difference_recursion(a_on, 12, gammas=g, e=1.0))
    assert np.allclose(switch_response(np.zeros((1, 12), dtype=bool), g, 1.0)[0],
                       difference_recursion(0.0, 12, gammas=g, e=1.0))


def test_best_pattern_beats_constant_curvature():
    """The switching pattern's linear response exceeds every constant-curvature one (the design's
    whole point), and the designed windows keep the base example ρ-Lipschitz: Σ 2κh ≤ ρ."""
    K, lam0 = 40, 100.0
    g = gamma_schedule(lam0, K)
    P, v = best_pattern(K, lam0, 1.0, np.random.default_rng(0))
    const = max(np.abs(switch_response(np.full((1, K), on), g, 1.0)).max() for on in (False, True))
    assert v > 10 * const
    des = switch_design(P, lam0)
    assert des["centres"].size == int(P.sum()) and np.all(des["halfwidths"] > 0)
    assert 2 * des["halfwidths"].sum() <= 1.0 + 1e-12 and des["margin"] > 0
    assert switch_design(np.zeros(K, dtype=bool), lam0)["centres"].size == 0  # no switch: a linear loss


@pytest.fixture(scope="module")
def table():
    st = get_statement("lemma12_smooth_convex")
    return st, growth(st, (10, 40), trials=2048, seed=0)


def test_growth_rows_are_rechecked_and_grow(table):
    st, rows = table
    assert [r["K"] for r in rows] == [10, 40]
    small, big = rows
    assert small["ratio"] <= 1 + 1 / 10 + 1e-9  # below the quadratic constant at K = 10
    assert big["counterexample"] and big["structure"]["family"] == "pwq-ridge" and not big["violated_hypotheses"]
    assert big["ratio"] > 5 and big["ratio"] == pytest.approx(big["float_ratio"], rel=1e-6)
    assert big["ratio"] <= big["structure"]["B"] * (1 + 1 / 40)  # the trivial cap ε ≤ 2ηρ²K/B·B
    assert growth(st, (10, 40), trials=2048, seed=0)[1]["ratio"] == big["ratio"]  # same seed, same table


def test_small_batch_breaks_the_linear_regime(table):
    """Planted: the design's value is not trusted blindly — the same instance at B = 100 no longer
    realises the switching pattern and the exact ratio collapses."""
    st, rows = table
    big = rows[1]
    chk = recheck(st, {**big["structure"], "B": 100}, big["params"], 1.0)
    assert chk["ratio"] < 0.2 * big["ratio"]


def test_growth_file_replays(table, tmp_path):
    st, rows = table
    path = save_growth(tmp_path / "g.json", st, rows, seed=0)
    rec = files.load(path, "growth")
    out = replay_growth(rec)
    assert out["saved_ratios_agree"]
    assert grows([{"ratio": 1.0}, {"ratio": 3.0}, {"ratio": 12.0}]) and not grows([{"ratio": 1.0}, {"ratio": 0.9}])


def test_growth_constant_comes_from_the_declaration(table):
    """Issue 12 item 2: the column c (LHS ≤ c·ηρ²K²/B) is ratio × explicit/bound of the declaration, not a special
    case of ids starting with "lemma12": the same statement under another id gets the same constants."""
    import dataclasses

    from boundcheck.engine.growth import rate_constant, rate_factor, rate_label
    st, rows = table
    for r in rows:
        assert r["constant"] == pytest.approx(r["ratio"] * (r["K"] + 1) / r["K"], rel=1e-12)
    mine = dataclasses.replace(st, id="my_agd_stability_claim")
    assert str(rate_factor(mine)) == "(K + 1)/K" and rate_label(mine) == "c = LHS/(K²ηρ²/B)"
    assert [rate_constant(mine, {**r["structure"], "K": r["K"]}, r["ratio"]) for r in rows] == [r["constant"] for r in rows]
    # no explicit constant (or not a big-O claim): no column value
    assert rate_factor(get_statement("lemma6")) is None and rate_label(get_statement("lemma6")) == "c"
    assert rate_constant(get_statement("table2"), {"K": 4}, 1.0) is None
    src = (Path(__file__).parents[1] / "boundcheck" / "engine" / "growth.py").read_text(encoding="utf-8")
    assert "lemma12" not in src.replace("Lemma 12", "")
