"""The paper's algorithms, exactly as printed (Section 3, Algorithms 1 and 2).

An inner method is a stateful map  (w_out, s_out) = A(w_init, s_init, ξ, k)  (Section 2.1).
Each method is a small NamedTuple of pure functions (``init``, ``run``), in the style of
optax; its state is a NamedTuple.  ``echo`` is the data-echoing meta-algorithm: it runs
A for K_t steps on each of T batches and returns the whole trajectory.

Everything works on float arrays *and* on object arrays of mpmath/Fraction numbers, so
the same code re-evaluates a counterexample in high precision.  Leading axes of ``w``
(and of η, γ, …) are independent runs: one call advances many instances at once.

Printed choices that look questionable are implemented as printed and have a named
alternative (see ``docs/readings.md``):

* Algorithm 1 outputs ``(1/T) Σ_{t=0}^{T-1} w_t`` (``average="printed"``); the proof of
  Theorem 4 sums F(w_{t+1}), i.e. averages w_1..w_T (``average="proof"``).
* AGD's λ_{j+1} solves λ² − λ = λ_j²; the printed text does not say which root.  The
  positive root (Nesterov's choice) is the default (``root="positive"``); the other root
  is selectable (``root="negative"``).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Literal, NamedTuple, Sequence, Union

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.losses import Objective
from boundcheck.core.validate import check_array, check_finite_real, check_nonnegative, check_positive, check_positive_int

__all__ = [
    "GDState",
    "ProxState",
    "AGDState",
    "InnerRun",
    "InnerMethod",
    "EchoRun",
    "gradient_descent",
    "proximal_gradient_descent",
    "accelerated_gradient_descent",
    "echo",
    "algorithm1",
    "algorithm2",
    "METHODS",
    "get_method",
    "lambda_sequence",
]

GradFn = Callable[[Any], Any]
Oracle = Union[Objective, GradFn]


class GDState(NamedTuple):
    """Gradient descent state s = {η} (Section 3.1)."""

    eta: Any


class ProxState(NamedTuple):
    """Proximal GD state s = {η, γ, w_pivot} (Section 3.1)."""

    eta: Any
    gamma: Any
    pivot: Any


class AGDState(NamedTuple):
    """Accelerated GD state s = {η, d, λ} (Section 3.1)."""

    eta: Any
    d: Any
    lam: Any


State = Union[GDState, ProxState, AGDState]


class InnerRun(NamedTuple):
    """One call of an inner method.

    iterates: w_0, …, w_k (length k+1).
    queries:  the points where ∇f̄ was evaluated (w_j for GD/prox, w_j + d_j for AGD), length k.
    states:   s_0, …, s_k (AGD: (η, d_j, λ_j); GD/prox: constant within the call except
              that the prox pivot is replaced at the end).
    """

    w_out: Any
    s_out: State
    iterates: list
    queries: list
    states: list


class InnerMethod(NamedTuple):
    """A stateful inner method  (w_out, s_out) = A(w_init, s_init, ξ, k)."""

    name: str
    init: Callable[..., State]
    run: Callable[[Any, State, Oracle, int], InnerRun]


def _grad_fn(oracle: Oracle) -> GradFn:
    if isinstance(oracle, Objective):
        return oracle.grad
    if callable(oracle):
        return oracle
    raise ValueError(f"batch must be an Objective or a gradient callable, got {type(oracle).__name__}")


def _col(x: Any) -> Any:
    """Broadcast a per-run scalar (shape (...)) against w (shape (..., n))."""
    if np.ndim(x) == 0:
        return x
    return np.asarray(x)[..., None]


def _check_scalar_or_array(name: str, x: Any, *, positive: bool) -> Any:
    if np.ndim(x) == 0:
        return check_positive(name, x) if positive else check_nonnegative(name, x)
    a = check_array(name, x)
    bad = ~(np.vectorize(lambda v: v > 0 if positive else v >= 0, otypes=[bool])(a))
    if np.any(bad):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'} everywhere")
    return a


def _check_w(name: str, w: Any) -> Any:
    return check_array(name, w, min_ndim=1)


# ----------------------------------------------------------------------------- GD
def _gd_init(w_init: Any = None, *, eta: Any) -> GDState:
    return GDState(_check_scalar_or_array("eta", eta, positive=True))


def _gd_run(w_init: Any, s_init: GDState, batch: Oracle, k: int) -> InnerRun:
    k = check_positive_int("k", k)
    w = _check_w("w_init", w_init)
    grad = _grad_fn(batch)
    eta = _col(s_init.eta)
    its, qs = [w], []
    for _ in range(k):  # w_{j+1} = w_j − η ∇f̄(w_j)
        qs.append(w)
        w = w - eta * grad(w)
        its.append(w)
    return InnerRun(w, s_init, its, qs, [s_init] * (k + 1))


def gradient_descent() -> InnerMethod:
    """Gradient descent, state {η} (Section 3.1): w_{j+1} = w_j − η∇f̄_ξ(w_j), w_out = w_K."""
    return InnerMethod("gd", _gd_init, _gd_run)


# ----------------------------------------------------------------------------- prox-GD
def _prox_init(w_init: Any = None, *, eta: Any, gamma: Any, pivot: Any = None) -> ProxState:
    eta = _check_scalar_or_array("eta", eta, positive=True)
    gamma = _check_scalar_or_array("gamma", gamma, positive=False)
    if pivot is None:
        if w_init is None:
            raise ValueError("pivot: give w_pivot or w_init (the default pivot is w_init)")
        pivot = w_init
    return ProxState(eta, gamma, _check_w("pivot", pivot))


def _prox_run(w_init: Any, s_init: ProxState, batch: Oracle, k: int) -> InnerRun:
    k = check_positive_int("k", k)
    w = _check_w("w_init", w_init)
    grad = _grad_fn(batch)
    eta, gamma, pivot = _col(s_init.eta), _col(s_init.gamma), s_init.pivot
    its, qs = [w], []
    for _ in range(k):  # GD on f̄_prox(w) = f̄_ξ(w) + (γ/2)‖w − w_pivot‖²
        qs.append(w)
        w = w - eta * (grad(w) + gamma * (w - pivot))
        its.append(w)
    # s_out = {η, γ, (1/K) Σ_{j=0}^{K-1} w_j}: the average of w_0..w_{K-1}, as printed
    new_pivot = sum(its[:-1][1:], its[0]) / k
    s_out = ProxState(s_init.eta, s_init.gamma, new_pivot)
    return InnerRun(w, s_out, its, qs, [s_init] * k + [s_out])


def proximal_gradient_descent() -> InnerMethod:
    """Proximal GD, state {η, γ, w_pivot} (Section 3.1); returns the new pivot (1/K)Σ_{j<K} w_j."""
    return InnerMethod("prox", _prox_init, _prox_run)


# ----------------------------------------------------------------------------- AGD
def _next_lambda(lam: Any, root: str) -> Any:
    # λ_{j+1}² − λ_{j+1} = λ_j²  ⇒  λ_{j+1} = (1 ± sqrt(1 + 4λ_j²)) / 2
    disc = nm.sqrt(1 + 4 * lam * lam)
    # negative root written as −2λ²/(1 + disc) = (1 − disc)/2: no cancellation as λ_j → 0
    return (1 + disc) / 2 if root == "positive" else -2 * lam * lam / (1 + disc)


def _hp_lambda(lam: Any) -> Any:
    """λ as mpmath numbers, for exact / high-precision runs: Fraction − mpf and Fraction / mpf
    are undefined in mpmath, and a float λ would drop the run to float64 at the first sqrt."""
    if type(lam).__name__ == "arb":  # a rigorous ball (flint.arb) stays a ball: never rounded
        return lam
    a = nm.to_mp(lam)
    return a[()] if a.ndim == 0 else a


def lambda_sequence(lam0: Any, k: int, root: Literal["positive", "negative"] = "positive") -> tuple[list, list]:
    """λ_0..λ_k and γ_1..γ_k of Section 3.1 (γ_{j+1} = (λ_j − 1)/λ_{j+1})."""
    if root not in ("positive", "negative"):
        raise ValueError(f"root must be 'positive' or 'negative', got {root!r}")
    lams, gams = [_hp_lambda(lam0) if isinstance(lam0, Fraction) else lam0], []
    for _ in range(k):
        nxt = _next_lambda(lams[-1], root)
        gams.append((lams[-1] - 1) / nxt)
        lams.append(nxt)
    return lams, gams


def _agd_init(w_init: Any = None, *, eta: Any, d: Any = None, lam: Any = 1) -> AGDState:
    eta = _check_scalar_or_array("eta", eta, positive=True)
    if d is None:
        if w_init is None:
            raise ValueError("d: give the initial momentum d or w_init (the default d is 0)")
        d = 0 * np.asarray(w_init)
    if np.ndim(lam) == 0:
        check_finite_real("lam", lam)
    else:
        lam = check_array("lam", lam)
    return AGDState(eta, _check_w("d", d), lam)


def _make_agd_run(root: str) -> Callable:
    def run(w_init: Any, s_init: AGDState, batch: Oracle, k: int) -> InnerRun:
        k = check_positive_int("k", k)
        w = _check_w("w_init", w_init)
        grad = _grad_fn(batch)
        eta, d, lam = _col(s_init.eta), s_init.d, s_init.lam
        if nm.is_exact(w):
            lam = _hp_lambda(lam)
        its, qs, states = [w], [], [s_init]
        for _ in range(k):
            y = w + d  # w_{j+1} = (w_j + d_j) − η∇f̄(w_j + d_j)
            qs.append(y)
            w_next = y - eta * grad(y)
            lam_next = _next_lambda(lam, root)
            gamma_next = (lam - 1) / lam_next  # γ_{j+1} = (λ_j − 1)/λ_{j+1}
            d = _col(gamma_next) * (w_next - w)  # d_{j+1} = γ_{j+1}(w_{j+1} − w_j)
            w, lam = w_next, lam_next
            its.append(w)
            states.append(AGDState(s_init.eta, d, lam))
        return InnerRun(w, states[-1], its, qs, states)

    return run


def accelerated_gradient_descent(root: Literal["positive", "negative"] = "positive") -> InnerMethod:
    """Nesterov's AGD, state {η, d, λ} (Section 3.1), s_out = {η, d_K, λ_K}, w_out = w_K.

    ``root`` selects the solution of λ_{j+1}² − λ_{j+1} = λ_j² (not specified in print).
    """
    if root not in ("positive", "negative"):
        raise ValueError(f"root must be 'positive' or 'negative', got {root!r}")
    return InnerMethod("agd" if root == "positive" else "agd-negative-root", _agd_init, _make_agd_run(root))


METHODS: dict[str, Callable[[], InnerMethod]] = {
    "gd": gradient_descent,
    "prox": proximal_gradient_descent,
    "agd": accelerated_gradient_descent,
}


def get_method(name: str) -> InnerMethod:
    """A fresh inner method by name: "gd" (gradient descent), "prox" (proximal gradient descent)
    or "agd" (Nesterov's accelerated gradient descent), the methods Algorithm 1 echoes
    (Sections 4.1-4.3).  Raises ValueError for any other name."""
    try:
        return METHODS[name]()
    except KeyError:
        raise ValueError(f"unknown method {name!r}; choose from {sorted(METHODS)}") from None


# ----------------------------------------------------------------------------- echo
class EchoRun(NamedTuple):
    """A run of the data-echoing meta-algorithm.

    w_out: the output (average or final iterate).
    outer: w_0, …, w_T (length T+1).
    states: s_0, …, s_T.
    inner: the T inner runs (every inner iterate, query point and state).
    ks: K_0, …, K_{T-1}.
    """

    w_out: Any
    outer: list
    states: list
    inner: list
    ks: tuple
    output: str
    average: str


def echo(
    method: InnerMethod,
    w0: Any,
    s0: State,
    batches: Sequence[Oracle],
    k: int | Sequence[int],
    *,
    output: Literal["average", "final"] = "average",
    average: Literal["printed", "proof"] = "printed",
) -> EchoRun:
    """Data-echoing meta-algorithm (Algorithm 1: ``output="average"``; Algorithm 2: ``"final"``).

    For t = 0..T−1: (w_{t+1}, s_{t+1}) ← A(w_t, s_t, ξ^(t), K_t).

    Args:
        method: the inner method A.
        w0, s0: initial point and state.
        batches: the T batches ξ^(0..T−1) (Objectives or gradient callables).
        k: K (same for every batch) or the per-batch K_t.
        output: "average" (Algorithm 1) or "final" (Algorithm 2, w_out = w_T).
        average: for Algorithm 1, "printed" = (1/T) Σ_{t=0}^{T−1} w_t as printed, or
            "proof" = (1/T) Σ_{t=1}^{T} w_t, the average the proof of Theorem 4 uses.
    """
    if not isinstance(method, InnerMethod):
        raise ValueError(f"method must be an InnerMethod, got {type(method).__name__}")
    if output not in ("average", "final"):
        raise ValueError(f"output must be 'average' or 'final', got {output!r}")
    if average not in ("printed", "proof"):
        raise ValueError(f"average must be 'printed' or 'proof', got {average!r}")
    batches = list(batches)
    if not batches:
        raise ValueError("batches is empty: T must be >= 1")
    T = len(batches)
    if np.ndim(k) == 0 and not isinstance(k, (list, tuple)):
        ks = (check_positive_int("k", k),) * T
    else:
        ks = tuple(check_positive_int(f"k[{t}]", kt) for t, kt in enumerate(k))
        if len(ks) != T:
            raise ValueError(f"k has {len(ks)} entries but there are {T} batches")
    w = _check_w("w0", w0)
    outer, states, inner = [w], [s0], []
    s = s0
    for t in range(T):
        r = method.run(w, s, batches[t], ks[t])
        w, s = r.w_out, r.s_out
        outer.append(w)
        states.append(s)
        inner.append(r)
    if output == "final":
        w_out = outer[-1]
    else:
        pts = outer[:-1] if average == "printed" else outer[1:]
        w_out = sum(pts[1:], pts[0]) / T
    return EchoRun(w_out, outer, states, inner, ks, output, average)


def algorithm1(method: InnerMethod, w0: Any, s0: State, batches: Sequence[Oracle], k: int | Sequence[int],
               *, average: Literal["printed", "proof"] = "printed") -> EchoRun:
    """Algorithm 1 (data-echoing meta-algorithm, average iterate)."""
    return echo(method, w0, s0, batches, k, output="average", average=average)


def algorithm2(method: InnerMethod, w0: Any, s0: State, batches: Sequence[Oracle], k: int | Sequence[int]) -> EchoRun:
    """Algorithm 2 (data-echoing meta-algorithm, final iterate)."""
    return echo(method, w0, s0, batches, k, output="final")
