"""Exact expectations for echoed runs on finitely supported distributions.

𝒟 puts mass p on support point s_0 and 1 − p on s_1.  A batch of B i.i.d. draws is,
for f̄_ξ, only its count vector (k, B − k), with probability C(B,k) p^k (1−p)^(B−k).
The T outer steps are enumerated outer step by outer step ((B+1)^T sequences, a leading
array axis, no Python loop per sequence), which gives

* E[·] exactly (a finite sum; exact in mpmath when the inputs are object arrays), and
* the exact uniform stability ε of the inner method over Ξ = support (Definition 1):
  the sup over every initial state the run reaches, every pair of neighbouring batches
  (counts differing by one example) and every evaluation point ξ ∈ Ξ — the ε that
  Theorem 4's proof applies, conditionally on the past, at every outer step.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.losses import get_family, mean_grad_fn, per_example_constants

MAX_SEQUENCES = 729


def _norm(v: Any) -> Any:
    return nm.sqrt((v * v).sum(axis=-1)) if nm.is_exact(v) else np.sqrt(np.sum(v * v, axis=-1))


class EchoExpectation(NamedTuple):
    outer: list          # w_t expanded to all T-step sequences: (C, E_T, n), t = 0..T
    states: list         # final states (fields expanded) at t = T
    prob: Any            # (C, E_T) probabilities of the sequences
    eps: Any             # (C,) exact uniform stability over reached states
    radius: Any          # (C,) max norm of every point visited (iterates and gradient queries)
    E: int


def pick_BT(rng: np.random.Generator, B_max: int = 8, T_max: int = 3) -> tuple[int, int]:
    """T uniform in 1..T_max, then B log-uniform up to what the enumeration allows for that T
    ((B+1)^T ≤ MAX_SEQUENCES; at least ``B_max``, at most 64): large batches matter for every
    statistical term, and T = 1 is cheap to enumerate."""
    Tv = int(rng.integers(1, T_max + 1))
    cap = 1
    while (cap + 2) ** Tv <= MAX_SEQUENCES and cap < 64:
        cap += 1
    cap = max(cap, min(B_max, int(MAX_SEQUENCES ** (1 / Tv)) - 1))
    Bv = int(np.exp(rng.uniform(0, np.log(cap + 1))))
    return max(1, min(Bv, cap)), Tv


def batch_probs(p0: Any, Bv: int) -> Any:
    """(C, B+1) probabilities of counts k = 0..B of support point 0."""
    ks = np.arange(Bv + 1)
    coef = np.array([math.comb(Bv, int(k)) for k in ks], dtype=object)
    if nm.is_exact(p0):
        return np.array([[coef[k] * pi**int(k) * (1 - pi) ** int(Bv - k) for k in ks] for pi in p0], dtype=object)
    p0 = np.asarray(p0, dtype=float)[:, None]
    return coef.astype(float)[None, :] * p0**ks[None, :] * (1 - p0) ** (Bv - ks)[None, :]


def _expand(x: Any, Bv: int) -> Any:
    """(C, E, n) → (C, E·(B+1), n), each prefix repeated for the next batch's B+1 outcomes."""
    if isinstance(x, np.ndarray) and x.ndim == 3:
        return np.repeat(x, Bv + 1, axis=1)
    return x


def _expand_state(s: Any, Bv: int) -> Any:
    return type(s)(*[_expand(v, Bv) for v in s])


def echo_expectation(method, s0, family: str, support: dict, p0: Any, w0: Any, Bv: int, Kv: int, Tv: int) -> EchoExpectation:
    """Enumerate T outer steps of ``method`` (K steps per batch) over all batch sequences.

    support fields: (C, 2, …); p0: (C,); w0: (C, n); s0's per-run fields: (C, 1) or (C, 1, n).
    """
    fam = get_family(family)
    sup = {k: v[:, None] for k, v in support.items()}  # (C, 1, m, …)
    counts = np.stack([np.arange(Bv + 1), Bv - np.arange(Bv + 1)], axis=1)  # (B+1, 2)
    wts = counts / Bv if not nm.is_exact(w0) else np.array([[nm._mp(int(a)) / Bv for a in r] for r in counts], dtype=object)
    q = batch_probs(p0, Bv)
    w = w0[:, None, :]
    s = s0
    prob = q[:, :0].sum(axis=1, keepdims=True) * 0 + 1  # (C, 1) ones, exact-aware
    outer = [w]
    eps = None
    radius = _norm(w0)
    for t in range(Tv):
        E_t = w.shape[1]
        w = _expand(w, Bv)
        s = _expand_state(s, Bv)
        weights = np.tile(wts, (E_t, 1))
        r = method.run(w, s, mean_grad_fn(family, support, weights), Kv)
        for pt in r.iterates[1:] + r.queries:
            radius = np.maximum(radius, np.max(_norm(pt), axis=1))
        w, s = r.w_out, r.s_out
        # exact uniform stability at this outer step: neighbours k, k+1; ξ over the support
        f = fam.value(w, sup).reshape(w.shape[0], E_t, Bv + 1, 2)
        d = f[:, :, 1:, :] - f[:, :, :-1, :]
        d = np.vectorize(abs, otypes=[object])(d) if nm.is_exact(d) else np.abs(d)
        e_t = d.reshape(d.shape[0], -1).max(axis=1) if d.size else np.zeros(w.shape[0])
        eps = e_t if eps is None else np.maximum(eps, e_t)
        prob = (prob[:, :, None] * q[:, None, :]).reshape(prob.shape[0], -1)
        outer = [_expand(o, Bv) for o in outer] + [w]
    return EchoExpectation(outer, s, prob, eps, radius, w.shape[1])


def expect(prob: Any, x: Any) -> Any:
    """E[x] for x of shape (C, E) under the sequence probabilities."""
    return (prob * x).sum(axis=1)


def population(family: str, support: dict, p0: Any, w: Any) -> Any:
    """F(w) = p f(w, s_0) + (1 − p) f(w, s_1); w: (C, E, n) → (C, E)."""
    fam = get_family(family)
    v = fam.value(w, {k: x[:, None] for k, x in support.items()})  # (C, E, 2)
    p = p0[:, None]
    return p * v[..., 0] + (1 - p) * v[..., 1]


def support_constants(family: str, support: dict, radius: Any) -> tuple[Any, Any]:
    """Certified (β, ρ) over the support and the ball of the given radius (per candidate)."""
    b, r = per_example_constants(family, support, radius)
    b, r = b.max(axis=1), r.max(axis=1)
    if nm.is_exact(radius):
        b, r = nm.to_mp(b), nm.to_mp(r)
    return b, r
