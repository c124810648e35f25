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
PRM2 = dict(beta=50.0, rho=0.3, D=3.0, K=np.array([1, 4, 32]), T=np.array([2, 16, 128]), B=np.array([1, 64, 4096]),
            eta=0.1, gamma=0.3)

#: the numbers the re-typed formulas (deleted: step_rule, _local_bound, bound_terms, table2_rate)
#: gave before the registry became their only source; they must not change
FROZEN = {
    (1, "theorem7"): [12.6, 1.0033333333333334, 0.068359375],
    (1, "theorem7_corrected"): [12.6, 1.0033333333333334, 0.068359375],
    (1, "theorem10"): [15.99655121145938, 1.1301877748043194, 0.07033098853528284],
    (1, "theorem10_corrected"): [15.996551211459378, 1.149712600954948, 0.07366101188494989],
    (1, "theorem13_corrected"): [12.6, 1.3136522170126115, 0.09331198225089779],
    (2, "theorem7"): [113.77279220613579, 3.571875, 0.05741756290260896],
    (2, "theorem10"): [114.3, 3.5785144118671814, 0.057456106631779406],
    (2, "theorem10_corrected"): [114.3, 3.5802589792178328, 0.0575958251953125],
    (2, "theorem13_corrected"): [101.69705627484771, 0.3005885174531835, 0.003622880658959716],
}
FROZEN_STEPS = {
    (1, "agd", "corrected"): ([0.45454545454545453, 0.019914550754334785, 0.00016323482226532669], None),
    (1, "agd", "printed"): ([0.45454545454545453, 0.15323001344623244, 0.005662378521220399], None),
    (1, "gd", "corrected"): ([0.45454545454545453, 0.20325203252032523, 0.06097560975609757], None),
    (1, "prox", "corrected"): ([0.27400496524603474, 0.29764959912281475, 0.34190553760470227],
                               [1.4495689014324225, 1.1596551211459378, 0.7247844507162112]),
    (1, "prox", "printed"): ([0.31007751937984496, 0.33112582781456956, 0.36866359447004604], [1.025, 0.82, 0.5125]),
    (1, "gd", "cap"): ([0.45454545454545453] * 3, None),
    (1, "prox", "cap"): ([0.45454545454545453] * 3, [0.0, 0.0, 0.0]),
    (2, "agd", "corrected"): ([0.02, 0.02, 0.000600885970121224], None),
    (2, "agd", "printed"): ([0.02, 0.0062499999999999995, 5.8066753662242236e-05], None),
    (2, "gd", "corrected"): ([0.02, 0.02, 0.02], None),
    (2, "gd", "printed"): ([0.02, 0.02, 0.017677669529663688], None),
    (2, "prox", "corrected"): ([0.0199203187250996, 0.01997175567226388, 0.01999000499750125],
                               [0.19999999999999998, 0.07071067811865475, 0.024999999999999998]),
    (2, "prox", "printed"): ([0.019943591006233125, 0.01998001998001998, 0.019992931431304563],
                             [0.1414213562373095, 0.049999999999999996, 0.017677669529663688]),
}
FROZEN_SPLIT = {
    (1, "gd"): ([4.4, 0.18333333333333335, 0.004296875], [8.2, 0.8199999999999996, 0.0640625]),
    (1, "prox"): ([4.4, 0.18333333333333335, 0.004296875], [11.59655121145938, 0.9663792676216147, 0.0693641368849499]),
    (1, "agd"): ([4.4, 0.02816, 1.6751933372992268e-05], [8.2, 1.285492217012612, 0.09329523031752482]),
    (2, "gd"): ([112.5, 3.515625, 0.054931640625], [1.2727922061357901, 0.05624999999999991, 0.002485922277608958]),
    (2, "agd"): ([100.0, 0.21301775147928995, 5.361799643964589e-05],
                 [1.6970562748477107, 0.0875707659738936, 0.003569262662520071]),
}
FROZEN_T2 = {(1, "gd"): [12.9, 0.7766666666666666, 0.040624999999999994],
             (1, "agd"): [12.9, 0.42527777777777775, 0.032039642333984375],
             (2, "prox"): [225.63639610306788, 7.059375, 0.11110624238880448],
             (2, "agd"): [113.1363961030679, 0.13798828125, 0.0012697832289534036]}


def _P(i):
    return PRM if i == 1 else PRM2


def test_registry_numbers_did_not_change():
    """Step sizes, bounds, the curvature/statistical split and Table 2's rates, all read from the
    statement registry, equal what the deleted re-typed formulas gave (to rounding)."""
    for (i, sid), want in FROZEN.items():
        np.testing.assert_allclose(_rates.bound_value(sid, _P(i)), want, rtol=1e-14)
    for (i, m, v), (eta, gam) in FROZEN_STEPS.items():
        P = _P(i)
        e, g = _rates.step_sizes(m, v, beta=P["beta"], rho=P["rho"], D=P["D"], B=P["B"], K=P["K"], T=P["T"])
        np.testing.assert_allclose(e, eta, rtol=1e-14)
        assert (g is None) == (gam is None) and (g is None or np.allclose(g, gam, rtol=1e-14, atol=0))
    for (i, m), (c, st) in FROZEN_SPLIT.items():
        c2, s2 = _rates.bound_split(m, _P(i))
        np.testing.assert_allclose(c2, c, rtol=1e-13)
        np.testing.assert_allclose(s2, st, rtol=1e-12)
    for (i, m), want in FROZEN_T2.items():
        np.testing.assert_allclose(_rates.table2_rate(m, _P(i)), want, rtol=1e-14)


def test_a_changed_statement_changes_the_numbers(monkeypatch):
    """The numbers really come from the registry: plant a wrong constant in a statement's bound and
    the frozen comparison fails."""
    import sympy as sp
    from boundcheck.experiments.rates import statements as st_mod
    from boundcheck.paper import get_statement
    st = get_statement("theorem7_corrected")
    monkeypatch.setattr(st, "bound", st.bound * sp.Rational(101, 100))
    st_mod._compiled.cache_clear()
    try:
        with pytest.raises(AssertionError):
            np.testing.assert_allclose(_rates.bound_value("theorem7_corrected", PRM),
                                       FROZEN[1, "theorem7_corrected"], rtol=1e-14)
    finally:
        monkeypatch.undo()
        st_mod._compiled.cache_clear()


def test_bound_split_splits_the_corrected_bounds():
    for method, sid in (("gd", "theorem7_corrected"), ("prox", "theorem10_corrected"), ("agd", "theorem13_corrected")):
        c, s = _rates.bound_split(method, PRM)
        np.testing.assert_allclose(c + s, _rates.bound_value(sid, PRM), rtol=1e-12)
        assert np.all(s > 0) and np.all(c > 0)
        # the statistical term does not depend on β: the split is the curvature term
        c2, s2 = _rates.bound_split(method, dict(PRM, beta=2 * PRM["beta"]))
        np.testing.assert_allclose(s2, s, rtol=1e-12)
        np.testing.assert_allclose(c2, 2 * c, rtol=1e-12)


def test_step_sizes_are_the_hypotheses_as_printed():
    b, r, D = 2.0, 3.0, 1.5
    kw = dict(beta=b, rho=r, D=D, B=np.array([4.0, 1e8]), K=np.array([8.0, 1.0]), T=np.array([16.0, 1.0]))
    eta, g = _rates.step_sizes("gd", "corrected", **kw)
    np.testing.assert_allclose(eta, [D / (2 * r * 8) * np.sqrt(4 / 16), 1 / b])
    assert g is None
    eta, _ = _rates.step_sizes("gd", "printed", **kw)
    np.testing.assert_allclose(eta, [r / (8 * D) * np.sqrt(4 / 16), 1 / b])
    eta, g = _rates.step_sizes("prox", "corrected", **kw)
    np.testing.assert_allclose(g, r / D * np.sqrt(2 * np.array([16, 1]) / np.array([4, 1e8])))
    np.testing.assert_allclose(eta, 1 / (b + g))
    _, gp = _rates.step_sizes("prox", "printed", **kw)
    np.testing.assert_allclose(gp, g / np.sqrt(2))
    eta, _ = _rates.step_sizes("agd", "corrected", **kw)
    np.testing.assert_allclose(eta[0], D / r * np.sqrt(2 * 4 / (8 * 9 * 16 * 129**2)))
    eta, g = _rates.step_sizes("prox", "cap", **kw)
    np.testing.assert_allclose(eta, 1 / b) and np.testing.assert_allclose(g, 0)
    with pytest.raises(ValueError):
        _rates.step_sizes("gd", "tuned", **kw)


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
    assert _rates.fit_exponent(x, np.repeat(G[:, :1], 4, axis=1))["lo"] is None  # identical seeds: no interval


def test_bootstrap_resamples_seeds_jointly_and_covers():
    """Coverage of the BCa interval on a known power law with seed effects shared across points
    (common random numbers): joint resampling keeps the correlation, so the interval covers the
    true exponent about 95% of the time (a count budget: 200 replications)."""
    x = np.array([1.0, 2, 4, 8])
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(200):
        seed_effect = np.exp(0.3 * rng.standard_normal(16))         # the same for every point
        G = x[:, None] ** -1.0 * seed_effect[None, :] * np.exp(0.05 * rng.standard_normal((4, 16)))
        f = _rates.fit_exponent(x, G, n_boot=500, seed=int(rng.integers(1 << 30)))
        hits += f["lo"] <= -1.0 <= f["hi"]
    assert 0.88 <= hits / 200 <= 0.995


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


# --------------------------------------------------------------------------- bad input: refused before any work
@pytest.mark.parametrize("argv, msg", [
    (["--grid", "small;B=100000000"], "needs about"),
    (["--grid", "small;probe_B=1000000000"], "needs about"),
    (["--plot", "x.txt"], "--plot x.txt: unsupported file type '.txt'"),
    (["--plot", "/sys/x.png"], "cannot write in /sys"),
    (["--json", "DIR"], "is a directory; give a file name"),
    (["--json", "/sys/x.json"], "cannot write in /sys"),
    (["--json", "/etc/passwd/x.json"], "/etc/passwd is not a directory"),
    (["--scheduler", "local:0"], "local:N needs a positive integer"),
    (["--seeds", "100000"], "--seeds must be an integer >= 2"),
])
def test_cli_refuses_bad_input_up_front(tmp_path, capsys, monkeypatch, argv, msg):
    """Issue 15 items 1, 6, 10: one line, exit 2, nothing written, no run started."""
    monkeypatch.chdir(tmp_path)
    argv = [str(tmp_path) if a == "DIR" else a for a in argv]
    rc = main(["rates", "--grid", "small", "--no-progress", *argv])
    out, err = capsys.readouterr()
    assert rc == 2 and msg in err and err.count("\n") == 1, err
    assert out == "" and list(tmp_path.iterdir()) == []


def test_grid_keys_of_the_cli_are_the_grid_fields():
    from boundcheck.cli.commands import rates as cmd
    assert tuple(_rates.grid_fields()) == cmd.GRID_KEYS


def test_json_is_a_boundcheck_rates_file(tmp_path):
    from boundcheck.outputs.files import load
    rc = main(["rates", "--method", "gd", "--grid", "small;Bp=16;Kp=1,2;Kc=1,2,4;Tc=2,4;B=4,16;K=1,4;T=2",
               "--seeds", "2", "--no-progress", "--json", str(tmp_path / "r.json")])
    assert rc == 0 and load(tmp_path / "r.json", "rates")["method"] == "gd"


@pytest.fixture(scope="module")
def dask2():
    from boundcheck.parallel import dask_available, get_scheduler
    if not dask_available():
        pytest.skip("needs dask[distributed]")
    with get_scheduler("local:2") as s:
        yield s


def test_rates_on_a_dask_cluster_equal_in_process(dask2):
    """The grid chunks are the units; the numbers are the same, bit for bit, on 2 Dask workers."""
    spec = "small;B=4,16,64;K=1,4;T=2,8;Kc=1,2,4;Tc=2,4;Bp=1,16;Kp=1,2;pseeds=2"
    here = _rates.run_rates("prox", spec, seeds=3)
    there = _rates.run_rates("prox", spec, seeds=3, scheduler=dask2)
    assert there["runtime"]["scheduler"].startswith("dask")
    assert [p["gaps"] for p in here["points"]] == [p["gaps"] for p in there["points"]]
    assert here["exponents"] == there["exponents"] and here["phase"] == there["phase"]
