"""Rates against bounds: grid specs, bounds, step rules, fits, and the ``rates`` command."""
from __future__ import annotations

import json

import numpy as np
import pytest

from boundcheck.experiments import rates as _rates
from boundcheck.cli.app import main

# --------------------------------------------------------------------------- grid specs


def test_presets_and_overrides():
    assert _rates.parse_grid(None) == _rates.PRESETS["default"]
    g = _rates.parse_grid("small;B=4,16;K=1..8;target=0.2;eta=1,0.5")
    assert g.B == (4, 16) and g.K == (1, 2, 4, 8) and g.target == 0.2 and g.eta == (1.0, 0.5)
    assert g.n == _rates.PRESETS["small"].n
    assert _rates.parse_grid("Bc=512").Bc == 512


@pytest.mark.parametrize("spec, msg", [
    ("huge", "unknown preset"),
    ("B=4;Q=3", "unknown key 'Q'"),
    ("B=4,x", "needs integers"),
    ("B=0", "must be positive"),
    ("K=2.5", "needs integers"),
    ("B=8..2", "range"),
    ("B=", "empty value"),
    ("target=2", "fraction"),
    ("default;B", "expected key=values"),
])
def test_bad_grid_specs(spec, msg):
    with pytest.raises(ValueError, match=msg):
        _rates.parse_grid(spec)


# --------------------------------------------------------------------------- bounds and rules
PRM = dict(beta=2.2, rho=4.1, D=2.0, K=np.array([1, 3, 16]), T=np.array([1, 8, 64]), B=np.array([4, 50, 1024]),
           eta=0.1, gamma=0.3)


@pytest.mark.parametrize("sid", ["theorem7", "theorem7_corrected", "theorem10", "theorem10_corrected",
                                 "theorem13_corrected"])
def test_registry_and_local_bounds_agree(sid):
    np.testing.assert_allclose(_rates.bound_value(sid, PRM), _rates._local_bound(sid, PRM), rtol=1e-12)


def test_bound_terms_split_the_corrected_bounds():
    for method, sid in (("gd", "theorem7_corrected"), ("prox", "theorem10_corrected"), ("agd", "theorem13_corrected")):
        c, s = _rates.bound_terms(method, PRM)
        np.testing.assert_allclose(c + s, _rates.bound_value(sid, PRM), rtol=1e-12)
        assert np.all(s > 0) and np.all(c > 0)
        # the statistical term does not depend on β: the split is the printed curvature term
        c2, s2 = _rates.bound_terms(method, dict(PRM, beta=2 * PRM["beta"]))
        np.testing.assert_allclose(s2, s, rtol=1e-12)
        np.testing.assert_allclose(c2, 2 * c, rtol=1e-12)


def test_step_rules():
    b, r, D = 2.0, 3.0, 1.5
    kw = dict(beta=b, rho=r, D=D, B=np.array([4.0, 1e8]), K=np.array([8.0, 1.0]), T=np.array([16.0, 1.0]))
    eta, g = _rates.step_rule("gd", "corrected", **kw)
    np.testing.assert_allclose(eta, [D / (2 * r * 8) * np.sqrt(4 / 16), 1 / b])
    assert g is None
    eta, _ = _rates.step_rule("gd", "printed", **kw)
    np.testing.assert_allclose(eta, [r / (8 * D) * np.sqrt(4 / 16), 1 / b])
    eta, g = _rates.step_rule("prox", "corrected", **kw)
    np.testing.assert_allclose(g, r / D * np.sqrt(2 * np.array([16, 1]) / np.array([4, 1e8])))
    np.testing.assert_allclose(eta, 1 / (b + g))
    _, gp = _rates.step_rule("prox", "printed", **kw)
    np.testing.assert_allclose(gp, g / np.sqrt(2))
    eta, _ = _rates.step_rule("agd", "corrected", **kw)
    np.testing.assert_allclose(eta[0], D / r * np.sqrt(2 * 4 / (8 * 9 * 16 * 129**2)))
    eta, g = _rates.step_rule("prox", "cap", **kw)
    np.testing.assert_allclose(eta, 1 / b) and np.testing.assert_allclose(g, 0)
    with pytest.raises(ValueError):
        _rates.step_rule("gd", "tuned", **kw)


# --------------------------------------------------------------------------- statistics
def test_mean_ci_covers_the_mean():
    rng = np.random.default_rng(0)
    hits = sum(lo <= 1.0 <= hi for lo, hi in (_rates.mean_ci(1 + rng.standard_normal(8))[2:] for _ in range(400)))
    assert 0.9 < hits / 400 < 0.99
    m, sd, lo, hi = _rates.mean_ci(np.array([2.0]))
    assert m == 2 and lo == -np.inf and hi == np.inf


def test_fit_exponent_recovers_a_power_law():
    rng = np.random.default_rng(1)
    x = np.array([1, 2, 4, 8, 16])
    G = 3.0 * x[:, None] ** -1.5 * np.exp(0.05 * rng.standard_normal((5, 32)))
    f = _rates.fit_exponent(x, G)
    assert f["lo"] <= -1.5 <= f["hi"] and abs(f["slope"] + 1.5) < 0.03 and f["hi"] - f["lo"] < 0.1
    assert len(f["local"]) == 4
    assert _rates.fit_exponent(x, -G)["slope"] is None


# --------------------------------------------------------------------------- the measurement and the command
def test_problem_constants():
    prob, w0 = _rates.make_problem(n=8, condition=100.0, noise=0.2)
    c = _rates.problem_constants(prob, w0)
    assert c["D"] == pytest.approx(2.0) and c["R"] == pytest.approx(1.25)
    assert c["beta"] >= float(np.sum(prob.sigma)) and c["gap0"] == pytest.approx(0.5 * np.sum(prob.sigma * 4 * prob.w_star**2))


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory):
    """Run the command once per method on the small preset (shared by the tests below)."""
    out = {}
    d = tmp_path_factory.mktemp("rates")
    for method in ("gd", "prox", "agd"):
        js, png = d / f"{method}.json", d / f"{method}.png"
        rc = main(["rates", "--method", method, "--grid", "small", "--seeds", "3", "--json", str(js),
                   "--plot", str(png), "--no-progress"])
        out[method] = (rc, json.loads(js.read_text()), png)
    return out


@pytest.mark.parametrize("method", ["gd", "prox", "agd"])
def test_cli_smoke(small_runs, method):
    rc, res, png = small_runs[method]
    assert rc == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for key in ("points", "exponents", "violations", "printed_violations", "phase", "constants", "runtime"):
        assert key in res
    assert res["violations"] == []  # no violation of a corrected (verified) bound
    axes = {(e["axis"], e["regime"]) for e in res["exponents"]}
    assert ("K", "curvature") in axes and ("B", "noise") in axes
    for e in res["exponents"]:
        if e["exponent"] is not None:
            assert e["ci_lo"] <= e["exponent"] <= e["ci_hi"]
    grid = [p for p in res["points"] if p["sweep"] == "grid" and p["variant"] == "corrected"]
    assert grid and all(p["ci_lo"] <= p["mean"] <= p["ci_hi"] and p["mean"] <= p["bound"] for p in grid)
    assert all(p["in_ball"] for p in grid)
    assert res["phase"]["rows"] and res["phase"]["regimes"]


def test_curvature_exponents_have_the_right_sign_and_size(small_runs):
    for method, expect in (("gd", -1.0), ("agd", -2.0)):
        e = next(e for e in small_runs[method][1]["exponents"] if e["axis"] == "K")
        assert expect - 0.5 < e["exponent"] < expect + 0.5


def test_cli_prints_tables(capsys):
    rc = main(["rates", "--method", "gd", "--grid", "small;Bp=16;Kp=1,2;Kc=1,2,4;Tc=2,4;B=4,16;K=1,4;T=2",
               "--seeds", "2", "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "measured E[F(w_out)] − F(w*) vs the bounds" in out and "fitted exponents" in out
    assert "violations of the corrected bounds: none" in out


@pytest.mark.parametrize("argv, msg", [
    (["--grid", "B=0"], "--grid: B values must be positive"),
    (["--grid", "nonsense"], "--grid: unknown preset"),
    (["--seeds", "1"], "--seeds must be an integer >= 2"),
])
def test_cli_bad_input_exits_2_with_one_line(capsys, argv, msg):
    rc = main(["rates", "--grid", "small", *argv] if argv[0] != "--grid" else ["rates", *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert msg in err and err.count("\n") == 1


def test_logistic_problem_runs_and_agd_refuses_it(capsys):
    res = _rates.run_rates("prox", "small;probe=0", seeds=2, problem="logistic")
    assert res["violations"] == [] and res["problem"]["name"] == "logistic-spread"
    assert res["constants"]["R"] == float("inf")  # logistic ρ is global: no ball to leave
    assert res["problem"]["certificate"]["grad_norm"] < 1e-14
    rc = main(["rates", "--method", "agd", "--problem", "logistic", "--grid", "small"])
    assert rc == 2 and "quadratic losses" in capsys.readouterr().err


def test_torch_backend_gives_the_same_measurement():
    pytest.importorskip("torch")
    spec = "small;B=4,16;K=1,4;T=2;Kc=1,2,4;Tc=2,4;Bp=16;Kp=1,2;probe=0"
    a = _rates.run_rates("agd", spec, seeds=2)
    b = _rates.run_rates("agd", spec, seeds=2, backend="torch", device="cpu")
    ma = [p["mean"] for p in a["points"]]
    mb = [p["mean"] for p in b["points"]]
    np.testing.assert_allclose(mb, ma, rtol=1e-10)
    assert b["backend"] == "torch"
