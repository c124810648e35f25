"""Unit tests of the CLI (boundcheck/cli.py) and ``boundcheck echo`` (boundcheck/_commands/echo.py)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from boundcheck.cli.commands.echo import echo_run
from boundcheck.core.problems import get_problem
from boundcheck.cli.app import main
from boundcheck.outputs.files import load

ENVELOPE = ("format", "version", "boundcheck", "python", "created", "kind", "command")

SMALL = ["--dim", "3", "-B", "4", "-K", "2", "-T", "3"]


def _run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _table_rows(out):
    """Data rows of the printed table (the lines between the dashed rule and the 'output' line)."""
    lines = out.strip().splitlines()
    rule = next(i for i, l in enumerate(lines) if set(l.replace(" ", "")) == {"-"})
    end = next(i for i, l in enumerate(lines) if l.startswith("output ("))
    return lines[rule - 1], lines[rule + 1:end], lines


@pytest.mark.parametrize("method,output", [("gd", "average iterate (Algorithm 1, printed)"),
                                           ("prox", "average iterate (Algorithm 1, printed)"),
                                           ("agd", "final iterate (Algorithm 2)")])
def test_echo_prints_a_table_and_writes_json(method, output, capsys, tmp_path):
    path = tmp_path / "run.json"
    rc, out, err = _run(capsys, "echo", "--method", method, *SMALL, "--json", str(path))
    assert rc == 0 and err == ""
    header, rows, lines = _table_rows(out)
    assert lines[0].startswith(f"{method} on linreg (n=3, B=4, K=2, T=3, η=")
    assert ("γ=" in lines[0]) == (method == "prox")
    assert header.split() == ["t", "K_t", "F(w_t)", "-", "F*", "||w_t", "-", "w*||"]
    assert len(rows) == 3 + 1  # t = 0..T
    for t, row in enumerate(rows):
        cells = row.split()
        assert cells[0] == str(t) and cells[1] == ("-" if t == 0 else "2")
        assert all(math.isfinite(float(v)) for v in cells[2:])
    assert lines[-1].startswith(f"output ({output}): F(w_out) - F* = ")

    data = load(path, "echo")  # a boundcheck/echo file, read by the one loader
    assert data["command"] == "echo" and data["format"] == "boundcheck/echo"
    data = {k: v for k, v in data.items() if k not in ENVELOPE}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]  # atomic write: no temp file left
    assert data["method"] == method and data["problem"] == "linreg" and data["output"] == output
    assert (data["n"], data["B"], data["K"], data["T"], data["seed"]) == (3, 4, 2, 3, 0)
    assert data["ks"] == [2, 2, 2]
    assert len(data["gap"]) == len(data["dist"]) == 4 and len(data["w_out"]) == 3
    assert (data["gamma"] is None) == (method != "prox")
    # the table shows what the JSON holds
    for row, gap, dist in zip(rows, data["gap"], data["dist"]):
        assert float(row.split()[2]) == pytest.approx(gap, rel=1e-3, abs=1e-6)
        assert float(row.split()[3]) == pytest.approx(dist, rel=1e-3, abs=1e-6)
    assert float(lines[-1].rsplit("=", 1)[1]) == pytest.approx(data["gap_out"], rel=1e-5)
    # and the JSON is the library result, re-computable from the same arguments
    lib = echo_run(method, "linreg", n=3, B=4, K=2, T=3, seed=0)
    assert json.loads(json.dumps(lib)) == data


def test_echo_table_matches_closed_form_risk(capsys):
    rc, out, _ = _run(capsys, "echo", "--method", "gd", *SMALL)
    assert rc == 0
    prob = get_problem("linreg", n=3)
    res = echo_run("gd", "linreg", n=3, B=4, K=2, T=3)
    # row t = 0 is w_0 = 0: F(0) − F* = ½ Σ σ_j w_true,j², ‖0 − w*‖ = ‖w_true‖ = 1
    assert res["gap"][0] == pytest.approx(0.5 * np.sum(prob.sigma * prob.w_true**2), rel=1e-12)
    assert res["dist"][0] == pytest.approx(1.0, rel=1e-12)
    assert res["gap_out"] >= 0 and all(g >= 0 for g in res["gap"])  # F* is the minimum
    # Algorithm 1 as printed averages w_0..w_{T−1}; "proof" averages w_1..w_T
    w_printed = np.array(echo_run("gd", "linreg", n=3, B=4, K=2, T=3)["w_out"])
    w_proof = np.array(echo_run("gd", "linreg", n=3, B=4, K=2, T=3, average="proof")["w_out"])
    assert not np.allclose(w_printed, w_proof)


def test_echo_options(capsys, tmp_path):
    rc, out, _ = _run(capsys, "echo", "--method", "gd", *SMALL, "--average", "proof")
    assert rc == 0 and "average iterate (Algorithm 1, proof)" in out
    rc, out, _ = _run(capsys, "echo", "--method", "prox", "--problem", "quadratic-ball", *SMALL,
                      "--eta", "0.1", "--gamma", "0.5", "--seed", "3", "--json", str(tmp_path / "q.json"))
    assert rc == 0 and out.startswith("prox on quadratic-ball (n=3, B=4, K=2, T=3, η=0.1, γ=0.5, seed=3)")
    data = {k: v for k, v in load(tmp_path / "q.json", "echo").items() if k not in ENVELOPE}
    assert data["eta"] == 0.1 and data["gamma"] == 0.5 and data["seed"] == 3
    assert all(g >= -1e-12 for g in data["gap"])  # F* over the ball is the minimum over the ball
    # same seed, same run
    again = echo_run("prox", "quadratic-ball", n=3, B=4, K=2, T=3, eta=0.1, gamma=0.5, seed=3)
    assert json.loads(json.dumps(again)) == data


@pytest.mark.parametrize("argv,needle", [
    (["echo", "-K", "0"], "K must be a positive integer"),
    (["echo", "-T", "0"], "T must be a positive integer"),
    (["echo", "-B", "-2"], "B must be a positive integer"),
    (["echo", "--dim", "0"], "n must be a positive integer"),
    (["echo", "--eta", "-1"], "eta must be > 0"),
    (["echo", "--eta", "0"], "eta must be > 0"),
    (["echo", "--eta", "nan"], "eta must be finite"),
    (["echo", "--method", "prox", "--gamma", "-1"], "gamma must be >= 0"),
    (["echo", "--method", "prox", "--gamma", "nan"], "gamma must be finite"),
    (["echo", "-T", "100000000"], "would keep about"),
    (["echo", "-B", "100000000"], "would keep about"),
    (["echo", "--dim", "1000000"], "at most n = 10000"),
    (["echo", "--gamma", "0.5"], "--gamma is the prox parameter; it does not apply to --method gd"),
    (["echo", "--method", "agd", "--gamma", "0.5"], "does not apply to --method agd"),
    (["echo", "--method", "agd", "--average", "proof"], "agd outputs the final iterate"),
    (["echo", "--json", "/sys/x.json"], "cannot write in /sys"),
    (["echo", "--json", "/etc/passwd/x.json"], "/etc/passwd is not a directory"),
])
def test_value_errors_become_one_line_and_exit_2(argv, needle, capsys):
    rc, out, err = _run(capsys, *argv)
    assert rc == 2
    assert err.endswith("\n") and err.count("\n") == 1, err  # exactly one line, no traceback
    assert err.startswith("boundcheck: error: ") and needle in err
    assert out == ""


def test_unwritable_json_path_is_a_clean_error(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc, out, err = _run(capsys, "echo", *SMALL, "--json", str(blocker / "sub" / "run.json"))
    assert rc == 2 and err.count("\n") == 1 and "is not a directory" in err and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    rc, out, err = _run(capsys, "echo", *SMALL, "--json", str(tmp_path))  # an existing directory
    assert rc == 2 and err.count("\n") == 1 and "is a directory" in err and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # no temp file left in the parent


@pytest.mark.parametrize("eta, needle", [("100", "diverged: F(w_t) − F* ="), ("1e308", "iterates overflowed")])
def test_divergence_is_warned_about_and_stops_with_a_clear_message(capsys, tmp_path, eta, needle):
    """Issue 15 item 7: η > 1/β is warned about; a diverging run stops (exit 2) instead of printing
    1e163 with exit 0, and writes nothing."""
    rc, out, err = _run(capsys, "echo", "--eta", eta, "--json", str(tmp_path / "x.json"))
    lines = err.strip().splitlines()
    assert rc == 2 and out == "" and len(lines) == 2
    assert lines[0].startswith("boundcheck: warning: η = ") and "> 1/β" in lines[0]
    assert lines[1].startswith("boundcheck: error: ") and needle in lines[1]
    assert list(tmp_path.iterdir()) == []


def test_a_large_step_that_converges_only_warns(capsys):
    rc, out, err = _run(capsys, "echo", "--eta", "0.3")
    assert rc == 0 and err.count("\n") == 1 and "warning: η = 0.3 > 1/β" in err


def test_command_lists_match_the_library():
    """The parser's choices are written out (boundcheck --help imports no numerics): keep them equal."""
    from boundcheck.cli.commands import echo
    from boundcheck.core.algorithms import METHODS
    from boundcheck.core.problems import PROBLEMS
    assert echo.METHODS == tuple(sorted(METHODS)) and echo.PROBLEMS == tuple(sorted(PROBLEMS))


@pytest.mark.parametrize("argv", [["echo", "--method", "sgd"], ["echo", "--problem", "nope"],
                                  ["echo", "-K", "two"], ["frobnicate"]])
def test_argparse_errors_exit_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("boundcheck: error: ")


def test_no_command_prints_help_and_exits_2(capsys):
    rc, out, _ = _run(capsys)
    assert rc == 2 and "usage: boundcheck" in out and "echo" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("boundcheck ")
