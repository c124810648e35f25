"""Exact PEP certificates (proofs) and exact witnesses (refutations), checked as untrusted files.

A certificate is "proved" only when its multipliers, rebuilt against the registry's declaration,
satisfy the identity exactly and leave a PSD matrix (exact rationals; rigorous balls with δ > 0
for AGD).  A witness is "refuted" only when exact coordinates satisfy every interpolation
condition and violate the bound; both are re-checked by the CLI (check-certificate, replay).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from boundcheck.cli.app import main
from boundcheck.outputs.files import MalformedFile
from boundcheck.paper import get_statement
from boundcheck.pep.certificate import (certificate_record, check_certificate, ldl_psd_exact, prove, psd_exact,
                                        save_certificate)
from boundcheck.pep.witness import check_witness, refute, save_witness

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "drori_teboulle_gd.py")


@pytest.fixture(scope="module")
def dt():
    from boundcheck.lang.modules import load_statement_files
    load_statement_files([EXAMPLE])
    return get_statement("drori_teboulle_gd"), get_statement("drori_teboulle_gd_false")


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _write(tmp_path: Path, rec: dict, name: str = "c.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(rec), encoding="utf-8")
    return p


# ------------------------------------------------------------------------------ proofs
@pytest.mark.parametrize("eta_frac", ["1", "1/2"])
@pytest.mark.parametrize("K", [1, 2, 3, 4])
def test_lemma5_exact_certificate(K, eta_frac):
    cert = prove(get_statement("lemma5"), K, {"eta_frac": eta_frac})
    assert cert is not None and cert.delta == 0 and cert.arith == "exact"
    res = check_certificate(certificate_record(cert))
    assert res.valid, res.reason


@pytest.mark.parametrize("K,gamma", [(2, "1"), (3, "1"), (3, "1/2")])
def test_lemma8_corrected_exact_certificate(K, gamma):
    cert = prove(get_statement("lemma8_corrected"), K, {"gamma": gamma, "eta_frac": 1})
    assert cert is not None and cert.delta == 0
    assert check_certificate(certificate_record(cert)).valid


def test_drori_teboulle_K8_exact_and_both_psd_tests_agree(dt):
    cert = prove(dt[0], 8, {})
    assert cert is not None and cert.delta == 0
    assert check_certificate(certificate_record(cert)).valid
    # the two exact PSD tests agree, on a PSD matrix and on a non-PSD one
    from flint import fmpq
    S = [[fmpq(2), fmpq(1)], [fmpq(1), fmpq(1, 2)]]   # PSD, singular
    T = [[fmpq(1), fmpq(2)], [fmpq(2), fmpq(1)]]      # indefinite
    assert psd_exact(S)[0] and ldl_psd_exact(S)[0]
    assert not psd_exact(T)[0] and not ldl_psd_exact(T)[0]


def _max_chars(cert) -> int:
    return max(len(v) for _, _, v in certificate_record(cert)["multipliers"])


def test_drori_teboulle_K32_certificate(dt, tmp_path, capsys):
    cert = prove(dt[0], 32, {})
    assert cert is not None and cert.delta == 0
    # basis recovery keeps the rationals short (the least-change projection gave ~900 digits)
    assert _max_chars(cert) <= 40
    p = save_certificate(tmp_path / "k32.json", cert)
    t0 = time.perf_counter()
    res = check_certificate(p)
    seconds = time.perf_counter() - t0
    assert res.valid, res.reason
    print(f"exact check of the K = 32 certificate: {seconds:.2f} s")
    code, out, _ = _cli(capsys, "check-certificate", str(p), "--module", EXAMPLE)
    assert code == 0 and "VALID" in out


@pytest.mark.slow
def test_drori_teboulle_K64_exact_certificate(dt, tmp_path):
    """K = 64 with δ = 0 (the check's time is measured in benchmarks/bench_pep.py).  Basis recovery on the
    primal-refined nullspace: ~30 s to prove (two 66×66 SDP solves), ~1.3 s to check."""
    t0 = time.perf_counter()
    cert = prove(dt[0], 64, {})
    prove_s = time.perf_counter() - t0
    assert cert is not None and cert.delta == 0 and cert.arith == "exact"
    assert _max_chars(cert) <= 40
    p = save_certificate(tmp_path / "k64.json", cert)
    t0 = time.perf_counter()
    res = check_certificate(p)
    check_s = time.perf_counter() - t0
    assert res.valid, res.reason
    print(f"K = 64: δ = 0, prove {prove_s:.1f} s, exact check {check_s:.2f} s")  # timings: benchmarks/, not asserts


def test_seeded_support_falls_back_to_the_whole_set():
    """lemma8_corrected K = 10 (γ = 1/2, η = 1/β) seeded with the full PEP's dual (as `boundcheck pep`
    does): the margin's sparse support alone is too relaxed (value 0.049 > 0); the whole current
    set without a margin is solved instead, and δ = 0 follows."""
    from boundcheck.pep.statements import build
    st = get_statement("lemma8_corrected")
    values = {"gamma": "1/2", "eta_frac": "1"}
    inst = build(st, 10, values, "float")
    dsol = inst.problem("difference").solve("auto")
    cert = prove(st, 10, values, inst.method, solution=dsol)
    assert cert is not None and cert.delta == 0
    assert check_certificate(certificate_record(cert)).valid


def test_basis_recovered_short_multiplier_is_not_slack(dt):
    """The short multipliers of a basis-recovered certificate leave no slack in the equalities:
    one of them changed in its last digit breaks the exact identity."""
    rec = certificate_record(prove(dt[0], 8, {}))
    assert max(len(v) for _, _, v in rec["multipliers"]) <= 20
    assert check_certificate(rec).valid
    i, lab, v = rec["multipliers"][-1]
    p, _, q = v.partition("/")
    bad = json.loads(json.dumps(rec))
    bad["multipliers"][-1] = [i, lab, f"{int(p) + 1}/{q or 1}"]
    assert not check_certificate(bad).valid


def test_lemma11_corrected_ball_certificate(tmp_path, capsys):
    cert = prove(get_statement("lemma11_corrected"), 3, {"lambda_init": 1, "eta_frac": 1})
    assert cert is not None and cert.arith == "ball" and cert.delta > 0 and cert.dependent
    assert "ball arithmetic" in cert.claim
    p = save_certificate(tmp_path / "l11.json", cert)
    code, out, _ = _cli(capsys, "check-certificate", str(p))
    assert code == 0, out
    # a ball certificate cannot claim δ = 0
    rec = json.loads(p.read_text())
    rec["delta"] = "0"
    assert _cli(capsys, "check-certificate", str(_write(tmp_path, rec, "z.json")))[0] == 1


# ------------------------------------------------------------------------------ tampering
@pytest.fixture(scope="module")
def lemma5_cert():
    return certificate_record(prove(get_statement("lemma5"), 3, {"eta_frac": 1}))


def _tampered(rec: dict, how: str) -> dict:
    r = json.loads(json.dumps(rec))
    if how == "multiplier":
        i, lab, v = r["multipliers"][0]
        r["multipliers"][0] = [i, lab, v + "1" if "/" not in v else v.split("/")[0] + "1/" + v.split("/")[1]]
    elif how == "drop":
        r["multipliers"].pop()
    elif how == "negative":
        r["multipliers"][0][2] = "-" + r["multipliers"][0][2]
    elif how == "param":
        r["params"]["beta"] = "2"  # (another η ≤ 1/β is proved by the same multipliers: the classical proof)
    elif how == "fingerprint":
        r["fingerprint"] = "0" * len(r["fingerprint"])
    elif how == "label":
        r["multipliers"][0][1] = r["multipliers"][1][1]
    elif how == "index":
        r["multipliers"][0][0] = 10_000
    elif how == "normalisation":
        r["multipliers"].append([20, "tr G ≤ 1", "1"])
    elif how == "false_statement":  # the same multipliers offered for the false potential form
        r["statement"], r["fingerprint"] = "lemma5_potential", get_statement("lemma5_potential").fingerprint()
    elif how == "delta":
        r["delta"] = "-1"
    return r


@pytest.mark.parametrize("how", ["multiplier", "drop", "negative", "param", "fingerprint", "label", "index",
                                 "normalisation", "delta", "false_statement"])
def test_tampered_certificate_rejected(lemma5_cert, how, tmp_path, capsys):
    assert check_certificate(lemma5_cert).valid
    bad = _tampered(lemma5_cert, how)
    p = _write(tmp_path, {**bad, "format": "boundcheck/certificate", "version": 2})
    res = check_certificate(p)
    assert not res.valid
    code, out, err = _cli(capsys, "check-certificate", str(p))
    assert code == 1 and "INVALID" in out


@pytest.mark.parametrize("content", [
    "not json", "[]", '{"format": "boundcheck/certificate", "version": 2}',
    "MULT_EVAL", "MULT_ZERO_DEN", "K_HUGE", "PARAM_SYMPY"])
def test_malformed_certificate_exit_2(lemma5_cert, content, tmp_path, capsys):
    rec = {**lemma5_cert, "format": "boundcheck/certificate", "version": 2}
    if content == "MULT_EVAL":
        rec["multipliers"][0] = [rec["multipliers"][0][0], rec["multipliers"][0][1], "__import__('os')"]
        text = json.dumps(rec)
    elif content == "MULT_ZERO_DEN":
        rec["multipliers"][0] = [rec["multipliers"][0][0], rec["multipliers"][0][1], "1/0"]
        text = json.dumps(rec)
    elif content == "K_HUGE":
        rec["K"] = 10 ** 9
        text = json.dumps(rec)
    elif content == "PARAM_SYMPY":
        rec["params"] = {**rec["params"], "eta": "sqrt(2)"}
        text = json.dumps(rec)
    else:
        text = content
    p = tmp_path / "m.json"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(MalformedFile):
        check_certificate(p)
    code, out, err = _cli(capsys, "check-certificate", str(p))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------------------ refutations
@pytest.mark.parametrize("sid,K,values", [
    ("lemma5_potential", 2, {"eta_frac": 1}),
    ("lemma5_potential", 4, {"eta_frac": 1}),
    ("lemma8", 3, {"gamma": "1/2", "eta_frac": 1}),
    ("lemma11", 3, {"lambda_init": "1/2", "eta_frac": 1}),
])
def test_witness_replays(sid, K, values, tmp_path, capsys):
    w = refute(get_statement(sid), K, values)
    assert w is not None and w.lhs > w.rhs
    p = save_witness(tmp_path / "w.json", w)
    assert check_witness(p).valid
    code, out, _ = _cli(capsys, "replay", str(p))
    assert code == 0 and "still a counterexample" in out


def test_drori_teboulle_false_witness_and_tampering(dt, tmp_path, capsys):
    w = refute(dt[1], 8, {})
    assert w is not None
    p = save_witness(tmp_path / "w.json", w)
    assert _cli(capsys, "replay", str(p), "--module", EXAMPLE)[0] == 0
    rec = json.loads(p.read_text())
    # one function value moved: an interpolation condition breaks
    rec["values"][1] = "1000"
    q = _write(tmp_path, rec, "t.json")
    assert not check_witness(q).valid
    assert _cli(capsys, "replay", str(q), "--module", EXAMPLE)[0] == 1
    # the coordinates of w_init halved: the iterates move with them, the witness no longer violates
    rec = json.loads(p.read_text())
    rec["vectors"] = [[v for v in row] for row in rec["vectors"]]
    rec["vectors"][0] = [("-" if v.startswith("-") else "") + _half(v.lstrip("-")) for v in rec["vectors"][0]]
    assert not check_witness(_write(tmp_path, rec, "h.json")).valid
    # the true statement is not refuted, and its certificate stands
    assert refute(dt[0], 8, {}) is None
    rec = json.loads(p.read_text())
    rec["statement"], rec["fingerprint"] = "drori_teboulle_gd", dt[0].fingerprint()
    assert not check_witness(_write(tmp_path, rec, "u.json")).valid
    # malformed witness: exit 2, one line
    rec["values"] = ["eval('1')"] * len(rec["values"])
    code, out, err = _cli(capsys, "replay", str(_write(tmp_path, rec, "v.json")), "--module", EXAMPLE)
    assert code == 2 and len(err.strip().splitlines()) == 1


def _half(v: str) -> str:
    p, _, q = v.partition("/")
    return f"{p}/{2 * int(q or 1)}"


def test_relaxation_class_never_refuted(dt):
    from boundcheck import LIPSCHITZ_SMOOTH_CONVEX
    st = dt[1].copy(id="drori_teboulle_gd_false_lipschitz", cls=LIPSCHITZ_SMOOTH_CONVEX)
    from boundcheck.pep.statements import build
    inst = build(st, 4, {"rho": 10})
    assert not inst.exact_class
    assert inst.problem("difference").solve("clarabel").value > 0   # the relaxation's bound is exceeded …
    assert refute(st, 4, {"rho": 10}) is None                       # … but that refutes nothing
