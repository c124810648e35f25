"""``boundcheck replay`` treats a counterexample file as hostile input.

Every malformed file exits 2 with one line on stderr and nothing from it is executed;
a well-formed file whose instance is not (or no longer) a counterexample exits 1; the
fixtures in tests/data/ (written by ``boundcheck search``) exit 0.

Payloads that would create a file if they were eval'd, sympified or unpickled are
first shown to be live (run deliberately on another path), so "the file does not
exist afterwards" is a test that can fail.
"""
from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from boundcheck.engine.replay import MAX_BYTES, MAX_ELEMENTS, MalformedFile, load_counterexample, replay
from boundcheck.engine.search import recheck
from boundcheck.paper import get_statement
from boundcheck.cli.app import main

DATA = Path(__file__).parent / "data"
LINEAR = DATA / "lemma6_linear_scale0.98.json"        # Lemma 6 at S = 0.98, linear loss (ratio exactly 1)
QUADRATIC = DATA / "lemma6_quadratic_scale0.98.json"  # Lemma 6 at S = 0.98, quadratic loss
THEOREM7 = DATA / "theorem7.json"                     # Theorem 7 as printed, S = 1 (refuted)
REPO = Path(__file__).resolve().parents[1]


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _write(tmp_path: Path, rec: dict | str | bytes, name: str = "ce.json") -> Path:
    p = tmp_path / name
    if isinstance(rec, bytes):
        p.write_bytes(rec)
    else:
        p.write_text(rec if isinstance(rec, str) else json.dumps(rec))
    return p


def _replay_cli(path: Path, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["replay", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def _assert_malformed(path: Path, capsys) -> str:
    code, out, err = _replay_cli(path, capsys)
    assert code == 2, (code, out, err)
    assert err.strip() and err.strip().count("\n") == 0, f"expected one line on stderr, got {err!r}"
    assert "Traceback" not in err
    return err


# ----------------------------------------------------------------------------- valid files
@pytest.mark.parametrize("path", [LINEAR, QUADRATIC, THEOREM7], ids=lambda p: p.stem)
def test_fixture_replays_as_counterexample(path, capsys):
    code, out, err = _replay_cli(path, capsys)
    assert code == 0, (out, err)
    assert "still a counterexample" in out


def test_nudged_counterexample_is_no_longer_one(tmp_path, capsys):
    """Lemma 6, linear loss, B = K = 1: the replaced example is the antipode of the
    original, so LHS = RHS and the file refutes the bound × 0.98.  Moving the replacement
    from 0.1 to 0.09 gives LHS/RHS = 0.19/0.2 = 0.95 < 0.98: exit 1."""
    rec = _load(LINEAR)
    assert rec["params"]["ex.a"] == [[[-0.1]]] and rec["params"]["rep.a"] == [[[0.1]]]
    rec["params"]["rep.a"] = [[[0.09]]]
    code, out, err = _replay_cli(_write(tmp_path, rec), capsys)
    assert code == 1, (out, err)
    assert "NOT a counterexample" in out
    res = replay(_write(tmp_path, rec))
    assert not res["still_counterexample"]
    assert res["check"]["ratio"] == pytest.approx(0.95, rel=1e-12)


def test_raising_the_scale_is_no_longer_a_counterexample(tmp_path, capsys):
    rec = _load(LINEAR)
    rec["scale"] = 1.0  # LHS = RHS exactly: not a violation of the bound itself
    code, out, _ = _replay_cli(_write(tmp_path, rec), capsys)
    assert code == 1 and "NOT a counterexample" in out


# ----------------------------------------------------------------------------- forged instances
def test_forged_batch_size_is_rejected(tmp_path, capsys):
    """One example filed as a batch of B = 5 would be evaluated against the bound for B = 5
    (2ηKρ²/5) while the run averages one example: a false 'counterexample' to the true
    Lemma 6 at S = 1.  The shape check rejects it."""
    rec = _load(LINEAR)
    rec["structure"]["B"] = 5
    rec["scale"] = 1.0
    err = _assert_malformed(_write(tmp_path, rec), capsys)
    assert "shape" in err


def test_concave_quadratic_is_never_a_counterexample(tmp_path, capsys):
    """A concave 'quadratic' (Hessian −1) makes GD expansive: w_k − w'_k = 2(2^k − 1) at
    η = 1 (no curvature is certified, so u = 1 is η = 1 in natural units), so LHS = 62 > 10 = 2ηKρ²/B at K = 5 — a violation of the
    bound (the high-precision margin is confirmed) that breaks convexity, the class's hypothesis:
    the one re-check (used by verify, search and replay alike) says it is NOT a counterexample."""
    rec = {"format": "boundcheck-counterexample", "version": 1, "statement": "lemma6", "scale": 1.0,
           "structure": {"family": "quadratic", "n": 1, "K": 5, "B": 1},
           "params": {"ex.A": [[[[-1.0]]]], "ex.b": [[[1.0]]], "rep.A": [[[[-1.0]]]], "rep.b": [[[-1.0]]],
                      "w0": [[0.0]], "u": [1.0]}}
    st = get_statement("lemma6")
    raw = recheck(st, rec["structure"], {k: np.array(v, dtype=float) for k, v in rec["params"].items()}, 1.0)
    assert raw["margin_confirmed"], "the forged instance must violate the bound (else this test is vacuous)"
    assert not raw["is_counterexample"] and any("convex" in h for h in raw["violated_hypotheses"])
    code, out, err = _replay_cli(_write(tmp_path, rec), capsys)
    assert code == 1, (out, err)
    assert "NOT a counterexample" in out and "convex (A ⪰ 0)" in out


def test_step_size_beyond_its_limit_is_never_a_counterexample(tmp_path, capsys):
    rec = _load(QUADRATIC)
    rec["params"]["u"] = [1.5]  # η = 1.5/β > 1/β
    code, out, _ = _replay_cli(_write(tmp_path, rec), capsys)
    assert code == 1
    assert "violates hypotheses" in out and "η ≤ 1/β" in out


# ----------------------------------------------------------------------------- malformed files
def _mutations():
    """(name, function rec -> rec or raw text) for files that must exit 2."""
    def m(f):
        def g(rec):
            rec = copy.deepcopy(rec)
            f(rec)  # mutates in place (its return value, e.g. of dict.pop, is not the file)
            return rec
        return g
    return [
        ("invalid-json", lambda rec: json.dumps(rec)[:-7]),
        ("not-an-object", lambda rec: "[1, 2, 3]"),
        ("empty-file", lambda rec: ""),
        ("wrong-format-tag", m(lambda r: r.update(format="boundcheck-counterexampel"))),
        ("wrong-version", m(lambda r: r.update(version=2))),
        ("missing-params", m(lambda r: r.pop("params"))),
        ("nan-literal", lambda rec: json.dumps(rec).replace('"u": [0.8]', '"u": [NaN]')),
        ("infinity-literal", lambda rec: json.dumps(rec).replace('"u": [0.8]', '"u": [Infinity]')),
        ("minus-infinity-scale", lambda rec: json.dumps(rec).replace('"scale": 0.98', '"scale": -Infinity')),
        ("overflowing-float", lambda rec: json.dumps(rec).replace('"u": [0.8]', '"u": [1e999]')),
        ("huge-integer-literal", lambda rec: json.dumps(rec).replace('"u": [0.8]', '"u": [' + "9" * 5000 + "]")),
        ("integer-too-large-for-float", lambda rec: json.dumps(rec).replace('"u": [0.8]', '"u": [' + "9" * 400 + "]")),
        ("string-number-in-params", m(lambda r: r["params"].update(u=["0.8"]))),
        ("string-scale", m(lambda r: r.update(scale="0.98"))),
        ("bool-in-params", m(lambda r: r["params"].update(u=[True]))),
        ("null-in-params", m(lambda r: r["params"].update(u=[None]))),
        ("dict-in-params", m(lambda r: r["params"].update(u=[{"x": 1}]))),
        ("string-structure-int", m(lambda r: r["structure"].update(K="1"))),
        ("float-structure-int", m(lambda r: r["structure"].update(K=1.0))),
        ("zero-K", m(lambda r: r["structure"].update(K=0))),
        ("negative-scale", m(lambda r: r.update(scale=-0.98))),
        ("unknown-statement", m(lambda r: r.update(statement="lemma99"))),
        ("statement-not-a-string", m(lambda r: r.update(statement=["lemma6"]))),
        ("unknown-structure-key", m(lambda r: r["structure"].update(evil=1))),
        ("engine-internal-structure-key", m(lambda r: r["structure"].update(_relax_eta=True))),
        ("unknown-family", m(lambda r: r["structure"].update(family="cubic"))),
        ("inadmissible-family", m(lambda r: r["structure"].update(family="logistic"))),
        ("missing-structure-key", m(lambda r: r["structure"].pop("K"))),
        ("unknown-param", m(lambda r: r["params"].update(evil=[1.0]))),
        ("missing-param", m(lambda r: r["params"].pop("w0"))),
        ("long-param-name", m(lambda r: r["params"].update({"x" * 100: [1.0]}))),
        ("ragged-array", m(lambda r: r["params"].update({"ex.a": [[[-0.1], [0.2, 0.3]]]}))),
        ("scalar-instead-of-array", m(lambda r: r["params"].update(w0=-0.01))),
        ("too-deep-nesting", m(lambda r: r["params"].update(w0=[[[[[[[[[-0.01]]]]]]]]]))),
        ("wrong-ndim", m(lambda r: r["params"].update(w0=[-0.01]))),
        ("two-candidates", m(lambda r: r["params"].update(w0=[[-0.01], [0.02]]))),
        ("wrong-dimension", m(lambda r: r["params"].update(w0=[[-0.01, 0.0]]))),
        ("batch-larger-than-B", m(lambda r: r["params"].update({"ex.a": [[[-0.1], [0.1]]]}))),
        ("replacement-of-two-examples", m(lambda r: r["params"].update({"rep.a": [[[0.1], [0.1]]]}))),
        ("huge-array", m(lambda r: r["params"].update(w0=[[0.0] * (MAX_ELEMENTS + 1)]))),
        ("invalid-utf8", lambda rec: json.dumps(rec).encode() + b"\xff\xfe"),
    ]


@pytest.mark.parametrize("name,mutate", _mutations(), ids=[n for n, _ in _mutations()])
def test_malformed_file_exits_2(name, mutate, tmp_path, capsys):
    rec = mutate(_load(LINEAR))
    path = _write(tmp_path, rec)
    _assert_malformed(path, capsys)
    with pytest.raises(MalformedFile):
        replay(path)


def test_expectation_file_beyond_the_enumeration_limit_exits_2(tmp_path, capsys):
    """Theorem 7 enumerates all (B+1)^T batch sequences: B = 10000, T = 100 must be
    refused up front, not attempted."""
    rec = _load(THEOREM7)
    rec["structure"].update(B=10_000, T=100)
    err = _assert_malformed(_write(tmp_path, rec), capsys)
    assert "enumeration limit" in err


def test_deeply_nested_json_exits_2(tmp_path, capsys):
    path = _write(tmp_path, "[" * 200_000 + "]" * 200_000)
    _assert_malformed(path, capsys)
    rec = _load(LINEAR)
    text = json.dumps(rec).replace('"u": [0.8]', '"u": ' + "[" * 100_000 + "0.8" + "]" * 100_000)
    _assert_malformed(_write(tmp_path, text, "deep2.json"), capsys)


def test_file_over_the_size_limit_exits_2(tmp_path, capsys):
    p = tmp_path / "big.json"
    with open(p, "wb") as fh:  # sparse: no disk used
        fh.truncate(MAX_BYTES + 1)
    err = _assert_malformed(p, capsys)
    assert "larger than" in err


def test_missing_file_and_directory_exit_2(tmp_path, capsys):
    _assert_malformed(tmp_path / "nope.json", capsys)
    _assert_malformed(tmp_path, capsys)


# ----------------------------------------------------------------------------- nothing executed
def _eval_payload(mark: Path) -> str:
    return f"__import__('pathlib').Path({str(mark)!r}).touch()"


def test_eval_payload_is_live(tmp_path):
    """The payload is real: eval'd (or sympified) it creates its file."""
    import sympy as sp
    live = tmp_path / "live-eval"
    eval(_eval_payload(live))  # noqa: S307 - deliberately, to show the payload works
    assert live.exists()
    live2 = tmp_path / "live-sympify"
    try:
        sp.sympify(_eval_payload(live2))
    except Exception:
        pass
    assert live2.exists()


@pytest.mark.parametrize("where", ["statement", "param-value", "param-name", "family", "scale", "structure-key"])
def test_code_in_file_is_not_executed(where, tmp_path, capsys):
    mark = tmp_path / f"pwned-{where}"
    payload = _eval_payload(mark)
    rec = _load(LINEAR)
    if where == "statement":
        rec["statement"] = payload
    elif where == "param-value":
        rec["params"]["u"] = [payload]
    elif where == "param-name":
        rec["params"][payload[:60]] = rec["params"].pop("u")
    elif where == "family":
        rec["structure"]["family"] = payload
    elif where == "scale":
        rec["scale"] = payload
    else:
        rec["structure"][payload] = 1
    _assert_malformed(_write(tmp_path, rec), capsys)
    assert not mark.exists(), "a string from the file was executed"


class _Payload:
    """Unpickling this object calls ``open(mark, "w")``: it creates the file."""

    def __init__(self, mark: Path) -> None:
        self.mark = str(mark)

    def __reduce__(self):
        return (open, (self.mark, "w"))


def test_pickle_renamed_json_is_not_unpickled(tmp_path, capsys):
    live = tmp_path / "live-pickle"
    pickle.loads(pickle.dumps(_Payload(live)))  # noqa: S301 - deliberately, to show the payload works
    assert live.exists()
    mark = tmp_path / "pwned-pickle"
    for proto in (0, 2, pickle.HIGHEST_PROTOCOL):
        path = _write(tmp_path, pickle.dumps(_Payload(mark), protocol=proto), f"ce-{proto}.json")
        _assert_malformed(path, capsys)
        assert not mark.exists(), "the file was unpickled"


def test_numpy_npy_renamed_json_exits_2(tmp_path, capsys):
    p = tmp_path / "arr.json"
    with open(p, "wb") as fh:
        np.save(fh, np.arange(4.0))
    _assert_malformed(p, capsys)


@pytest.mark.skipif(sys.platform == "win32", reason="needs /dev/zero and FIFOs")
def test_special_files_exit_2_without_reading_forever(tmp_path):
    """A symlink to /dev/zero (stat size 0, endless content), /dev/urandom and a FIFO with no
    writer.  Run in a child process with a memory limit and a timeout so that a
    regression fails this test instead of hanging or exhausting the machine."""
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    (tmp_path / "urandom.json").symlink_to("/dev/urandom")
    os.mkfifo(tmp_path / "fifo.json")
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "from boundcheck.cli import main\n"
        "print([main(['replay', p]) for p in sys.argv[1:]])\n"
    )
    files = [str(tmp_path / f) for f in ("zero.json", "urandom.json", "fifo.json")]
    out = subprocess.run([sys.executable, "-c", code, *files], capture_output=True, text=True, timeout=120,
                         cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[2, 2, 2]", (out.stdout, out.stderr[-2000:])
    assert out.stderr.count("not a regular file") == 3


def test_symlink_to_valid_file_still_replays(tmp_path, capsys):
    link = tmp_path / "link.json"
    link.symlink_to(LINEAR.resolve())
    code, out, _ = _replay_cli(link, capsys)
    assert code == 0 and "still a counterexample" in out


def test_load_counterexample_returns_plain_json(tmp_path):
    rec = load_counterexample(LINEAR)
    assert rec["statement"] == "lemma6" and rec["structure"]["B"] == 1
