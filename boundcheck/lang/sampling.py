"""Random structures (the discrete part of an instance) shared by the statements."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def pick_dim(rng: np.random.Generator, n_max: int = 50) -> int:
    # small dimensions are where tight instances live; still cover up to n_max
    r = rng.random()
    if r < 0.5:
        return int(rng.integers(1, 4))
    if r < 0.8:
        return int(rng.integers(1, 11))
    return int(rng.integers(1, n_max + 1))


def pick_K(rng: np.random.Generator, K_max: int = 100) -> int:
    r = rng.random()
    if r < 0.4:
        return int(rng.integers(1, 6))
    if r < 0.75:
        return int(rng.integers(1, 21))
    return int(rng.integers(1, K_max + 1))


def pick(rng: np.random.Generator, options: Sequence):
    return options[int(rng.integers(len(options)))]


def structure(rng: np.random.Generator, families: Sequence[str], family: str | None = None, *,
              n_max: int = 50, K_max: int = 100, B_max: int = 8, T_max: int = 0) -> dict:
    if family is not None and family not in families:
        raise ValueError(f"family {family!r} does not satisfy this statement's hypotheses; admissible: {list(families)}")
    st = {"family": family or pick(rng, list(families)), "n": pick_dim(rng, n_max), "K": pick_K(rng, K_max),
          "B": int(rng.integers(1, B_max + 1))}
    if T_max:
        st["T"] = int(rng.integers(1, T_max + 1))
    return st
