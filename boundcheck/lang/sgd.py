"""The SGD setting: T steps on one uniformly drawn example each, exact over every sample path.

For Hardt–Recht–Singer's stability of SGD (and users' statements about sampled methods): a
dataset S of B examples and its neighbour S' (example 0 replaced), T steps of gradient descent
on one example each, the example drawn uniformly at every step; the B^T sample paths are
enumerated (at most 729), so expectations are exact.  Each step is the paper's gradient
descent update (``core.algorithms``) on that example's loss — one definition of the update.

``stability()`` is ρ·E_path‖w_T − w'_T‖, with ρ certified over the ball every visited point of
both runs lies in: an upper bound of the uniform stability sup_ξ E[f(w_T, ξ) − f(w'_T, ξ)] over
ρ-Lipschitz losses (what HRS's proof bounds), and equal to it for linear losses (the difference
then points the same way on every path).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.losses import get_family
from boundcheck.lang.domains import Integers
from boundcheck.lang.instances import cand_constants, norm
from boundcheck.lang.settings import (METHODS, EvalContext, Setting, _logu, _prefixed, decode_neighbours,
                                      neighbour_examples)

__all__ = ["SGDPaths", "sgd_paths", "MAX_PATHS"]

MAX_PATHS = 729


@dataclass(frozen=True)
class SGDPaths(Setting):
    """T single-example gradient steps with uniform sampling, every sample path enumerated."""

    name = "sgd-paths"

    def provides(self) -> set[str]:
        return {"stability", "point:w_init"}

    def structure_domains(self) -> dict[str, Any]:
        return {"n": Integers(1, 10, tiers=((0.5, 3), (0.3, 10))), "B": Integers(1, 8, "uniform"),
                "T": Integers(1, 6, "uniform"), "K": Integers(1, 1)}

    def draw_structure(self, rng: np.random.Generator, structure: dict) -> dict:
        while structure["B"] ** structure["T"] > MAX_PATHS:  # the enumeration's limit
            structure["T"] -= 1
        return structure

    def layout(self, st: Any, structure: dict, legacy: bool = False) -> dict[str, tuple]:
        fam = structure["family"]
        out = self.example_layout(fam, "ex.", "B", legacy)
        out.update(self.example_layout(fam, "rep.", 1, legacy))
        out["w0"] = ("n",)
        return out

    def sample_raw(self, st: Any, rng: np.random.Generator, C: int, structure: dict) -> dict:
        n, B, fam = structure["n"], structure["B"], structure["family"]
        ex, rep = neighbour_examples(rng, fam, C, B, n, structure["K"])
        raw = {**_prefixed("ex.", ex), **_prefixed("rep.", rep)}
        raw["w0"] = _logu(rng, C, -3, 1) * rng.standard_normal((C, n))
        return raw

    def evaluate(self, st: Any, structure: dict, raw: dict) -> EvalContext:
        fam_name, B, T = structure["family"], structure["B"], structure["T"]
        if B ** T > MAX_PATHS:
            raise ValueError(f"B^T = {B ** T} sample paths exceed the enumeration limit {MAX_PATHS}")
        fam = get_family(fam_name)
        ex, ex2, viol, env, exact = decode_neighbours(st, structure, raw)
        w0 = raw["w0"]
        C, E = w0.shape[0], B ** T
        paths = np.array([[(e // B ** t) % B for t in range(T)] for e in range(E)], dtype=int)  # (E, T)
        gd = METHODS["gd"]
        s0 = gd.init(eta=np.reshape(env["eta"], (C, 1)))
        sup1 = {k: v[:, None] for k, v in ex.items()}   # (C, 1, B, …)
        sup2 = {k: v[:, None] for k, v in ex2.items()}
        w1 = np.repeat(w0[:, None, :], E, axis=1)
        w2 = w1.copy()
        R = norm(w1).max(axis=1) if not exact else np.array([max(r) for r in norm(w1)], dtype=object)
        for t in range(T):
            onehot = (paths[:, t][:, None] == np.arange(B)[None, :]).astype(float)  # (E, B): the drawn example
            if exact:
                onehot = nm.to_mp(onehot)

            def pick(sup, oh=onehot):
                return lambda w: (fam.grad(w, sup) * oh[None, :, :, None]).sum(axis=2)
            w1 = gd.run(w1, s0, pick(sup1), 1).w_out  # one step of the paper's GD on the drawn example
            w2 = gd.run(w2, s0, pick(sup2), 1).w_out
            R = np.maximum(R, np.maximum(norm(w1).max(axis=1), norm(w2).max(axis=1)))
        _, r_a = cand_constants(fam_name, ex, R)
        _, r_b = cand_constants(fam_name, ex2, R)
        env["rho"] = np.maximum(r_a, r_b)
        dist = norm(w1 - w2)  # (C, E)
        mean_dist = dist.sum(axis=1) / E
        sup = env["rho"] * mean_dist
        ctx = EvalContext(env=env, C=C, exact=exact, method="gd", points={"w_init": w0[:, None]}, states={},
                          stability=lambda: sup)
        ctx.violations = viol
        return ctx


def sgd_paths() -> SGDPaths:
    """SGD with uniform sampling for T steps, exact over the B^T sample paths (Hardt–Recht–Singer)."""
    return SGDPaths()
