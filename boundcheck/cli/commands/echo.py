"""``boundcheck echo``: run an echoed method on a built-in problem, print the gap per outer step."""
from __future__ import annotations

import argparse
import math
import sys

#: the names of ``core.algorithms.METHODS`` and ``core.problems.PROBLEMS`` (a test keeps them equal),
#: here so that ``boundcheck --help`` imports no numerics
METHODS = ("agd", "gd", "prox")
PROBLEMS = ("linreg", "logistic", "quadratic-ball")
#: ``echo`` runs the reference implementation (a Python loop per inner step, every iterate kept):
#: beyond these it is the wrong tool (``rates`` runs grids at scale)
MAX_DIM = 10_000
MAX_BYTES = 1 << 30         # iterates, states and batches kept by the reference run
MAX_SECONDS = 600.0         # estimated at 20 µs per inner step + 2 ns per example·coordinate
DIVERGED = 1e12             # F(w_t) − F* beyond this many times max(F(w_0) − F*, 1): diverged


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("echo", help="run data-echoed GD / prox-GD / AGD on a built-in problem",
                       description="Run a data-echoed method (Algorithm 1 for gd/prox, Algorithm 2 for agd) "
                       "on a built-in problem with closed-form F and print F(w_t) − F(w*) per outer step.")
    p.add_argument("--method", choices=list(METHODS), default="gd")
    p.add_argument("--problem", choices=list(PROBLEMS), default="linreg")
    p.add_argument("--dim", type=int, default=10, help=f"dimension n (default 10, at most {MAX_DIM})")
    p.add_argument("-B", "--batch-size", dest="B", type=int, default=16)
    p.add_argument("-K", "--echo", dest="K", type=int, default=4, help="echoing factor K (inner steps per batch)")
    p.add_argument("-T", "--batches", dest="T", type=int, default=10, help="number of fresh batches T")
    p.add_argument("--eta", type=float, default=None, help="step size (default 1/β, or 1/(β+γ) for prox)")
    p.add_argument("--gamma", type=float, default=None,
                   help="prox parameter γ (prox only; default (ρ/D)√(T/B), Theorem 10)")
    p.add_argument("--average", choices=["printed", "proof"], default=None,
                   help="Algorithm 1's average (gd, prox): printed = w_0..w_{T-1} (default); proof = w_1..w_T")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="PATH", help="also write the run as a boundcheck/echo file")
    p.set_defaults(func=run)


def _check(args: argparse.Namespace) -> None:
    """Everything about the options that can be refused before any work (one line, exit 2)."""
    for name, v in (("B", args.B), ("K", args.K), ("T", args.T)):
        if v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if args.dim < 1:
        raise ValueError(f"n must be a positive integer, got {args.dim!r}")
    if args.dim > MAX_DIM:
        raise ValueError(f"--dim {args.dim}: echo runs the reference implementation, at most n = {MAX_DIM}; "
                         "use 'boundcheck rates' for large problems")
    if args.gamma is not None and args.method != "prox":
        raise ValueError(f"--gamma is the prox parameter; it does not apply to --method {args.method}")
    if args.average is not None and args.method == "agd":
        raise ValueError("--average chooses Algorithm 1's average (gd, prox); agd outputs the final iterate "
                         "(Algorithm 2)")
    if args.gamma is not None and not math.isfinite(args.gamma):
        raise ValueError(f"gamma must be finite, got {args.gamma!r}")
    if args.gamma is not None and args.gamma < 0:
        raise ValueError("gamma must be >= 0")
    if args.eta is not None and not math.isfinite(args.eta):
        raise ValueError(f"eta must be finite, got {args.eta!r}")
    if args.eta is not None and args.eta <= 0:
        raise ValueError("eta must be > 0")
    n, B, K, T = args.dim, args.B, args.K, args.T
    nbytes = 8.0 * n * (3 * T * K + 2 * T + T * B)           # iterates, queries, outer points, states; batches
    seconds = T * K * 20e-6 + 2e-9 * T * K * B * n
    if nbytes > MAX_BYTES or seconds > MAX_SECONDS:
        raise ValueError(f"this run (n={n}, B={B}, K={K}, T={T}) would keep about {nbytes / 2**30:.2g} GiB and take "
                         f"about {seconds:.3g} s in the reference implementation (limits: {MAX_BYTES / 2**30:g} GiB, "
                         f"{MAX_SECONDS:g} s); use 'boundcheck rates' for runs at scale")


def run(args: argparse.Namespace) -> int:
    from boundcheck.outputs.common import format_table
    from boundcheck.outputs.files import write
    from boundcheck.outputs.paths import check_output_path

    _check(args)
    if args.json:
        check_output_path(args.json, "file", option="--json", suffixes=(".json",))
    res = echo_run(args.method, args.problem, n=args.dim, B=args.B, K=args.K, T=args.T, eta=args.eta,
                   gamma=args.gamma, average=args.average or "printed", seed=args.seed,
                   warn=lambda m: print(f"boundcheck: warning: {m}", file=sys.stderr))
    rows = [(t, res["ks"][t - 1] if t else "-", res["gap"][t], res["dist"][t]) for t in range(len(res["gap"]))]
    print(f"{res['method']} on {res['problem']} (n={args.dim}, B={args.B}, K={args.K}, T={args.T}, "
          f"η={res['eta']:.4g}{', γ=%.4g' % res['gamma'] if res['gamma'] is not None else ''}, seed={args.seed})")
    print(format_table(["t", "K_t", "F(w_t) - F*", "||w_t - w*||"], rows))
    print(f"output ({res['output']}): F(w_out) - F* = {res['gap_out']:.6g}")
    if args.json:
        write(args.json, "echo", res, command="echo")
    return 0


def echo_run(method: str, problem: str, *, n: int = 10, B: int = 16, K: int = 4, T: int = 10,
             eta: float | None = None, gamma: float | None = None, average: str = "printed", seed: int = 0,
             warn: object = None) -> dict:
    """Library entry point behind ``boundcheck echo`` (returns a JSON-ready dict).

    A step size above 1/β (the smoothness constant over the ball the run starts in) is
    warned about through ``warn(message)``; a run whose gap blows up (non-finite, or
    ``DIVERGED`` times its start) stops with a ValueError saying where, instead of printing
    numbers that mean nothing."""
    import numpy as np

    from boundcheck.core import algorithms as alg
    from boundcheck.core.losses import batch_objective
    from boundcheck.core.problems import get_problem

    m = alg.get_method(method)
    for name, v in (("B", B), ("K", K), ("T", T)):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if gamma is not None and method != "prox":
        raise ValueError(f"gamma is the prox parameter; it does not apply to method {method}")
    prob = get_problem(problem, n=n)
    rng = np.random.default_rng(seed)
    w0 = np.zeros(prob.n)
    D = float(np.linalg.norm(w0 - prob.w_star))
    c = prob.constants(radius=max(2 * D, 1.0))
    if method == "prox":
        if gamma is None:
            gamma = c.rho / max(D, 1e-12) * np.sqrt(T / B)
        eta = 1.0 / (c.beta + gamma) if eta is None else eta
        s0 = m.init(w0, eta=eta, gamma=gamma)
    else:
        eta = 1.0 / c.beta if eta is None else eta
        s0 = m.init(w0, eta=eta)
    if eta > 1.0 / c.beta and callable(warn):
        warn(f"η = {eta:.4g} > 1/β = {1.0 / c.beta:.4g}: the theorems' step-size condition fails and the run may diverge")
    batches = [batch_objective(prob.family, prob.sample(rng, B)) for _ in range(T)]
    output = "final" if method == "agd" else "average"
    fstar = prob.f_star
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            r = alg.echo(m, w0, s0, batches, K, output=output, average=average)
        except ValueError as exc:  # an iterate overflowed to inf/NaN and the next inner run refused it
            if "NaN" in str(exc) or "inf" in str(exc):
                raise ValueError(f"the run diverged (the iterates overflowed) with η = {eta:.4g}; 1/β = "
                                 f"{1.0 / c.beta:.4g}") from None
            raise
        ws = np.stack(r.outer)
        gap = prob.population_risk(ws) - fstar
    bad = ~np.isfinite(gap) | (gap > DIVERGED * max(float(gap[0]), 1.0))
    if bad.any():
        t = int(np.argmax(bad))
        raise ValueError(f"the run diverged: F(w_t) − F* = {float(gap[t]):.3g} at t = {t} with η = {eta:.4g} "
                         f"(1/β = {1.0 / c.beta:.4g}); use a smaller --eta")
    return {
        "method": method, "problem": problem, "n": n, "B": B, "K": K, "T": T, "seed": seed,
        "eta": float(eta), "gamma": None if gamma is None else float(gamma), "average": average,
        "output": "final iterate (Algorithm 2)" if output == "final" else f"average iterate (Algorithm 1, {average})",
        "ks": list(r.ks), "gap": gap.tolist(),
        "dist": np.linalg.norm(ws - prob.w_star, axis=-1).tolist(),
        "gap_out": float(prob.population_risk(r.w_out) - fstar),
        "w_out": np.asarray(r.w_out).tolist(),
    }
