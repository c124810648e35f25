"""The counter-based batch generator: example i of batch t of the run with seed σ is a pure
function of (σ, t, i), bit-identical in NumPy and PyTorch, on CPU and CUDA.

The hash is Wellons' two-round xorshift-multiply "hash32" (constants 0x2c1b3c6d,
0x297a2d39) on 32-bit values held in int64: both multipliers are < 2³¹, so no product
overflows and every backend computes the same integers.  Consequences: runs that share a
seed share their data (common random numbers across a grid; example i does not depend on
B, so a larger batch is a superset), and ``runner.sample_batches`` reproduces any run's
data on the host for the reference implementation.

Rademacher design x_j = ±√σ_j.  Coordinate j of an example is bit j mod 32 of word ⌊j/32⌋
of the example's hash (word 0 is the example key itself, word w > 0 is hash(key ^ c_w));
the uniform u uses 24 bits of hash(key ^ c).  Batches are produced feature-major, as the
sign matrix Σ[run, j, i] = ±1 (shape (m, n, B)), the layout the gradient kernels stream
fastest (each mat-vec runs along rows of length B).  NumPy hashes in place, transposes 8×8
bit blocks in registers and unpacks them with ``np.unpackbits`` (no table gather, no
per-coordinate Python work): about 0.8 ns per generated element.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from boundcheck.experiments.runner.backend import Backend

__all__ = ["mix32", "seed_key", "batch_key", "example_index_keys", "RademacherDesign"]

_M32 = 0xFFFFFFFF
_C1, _C2 = 0x2C1B3C6D, 0x297A2D39


def mix32(x: Any) -> Any:
    """The 32-bit hash on values in [0, 2³²) (NumPy/torch int64 arrays or Python ints)."""
    x = x ^ (x >> 15)
    x = (x * _C1) & _M32
    x = x ^ (x >> 12)
    x = (x * _C2) & _M32
    return x ^ (x >> 15)


def _mix32_inplace(x: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """``mix32`` on an int64 NumPy array, in place (``tmp``: scratch of the same shape): the
    same integers, without the five temporaries the expression form allocates."""
    np.right_shift(x, 15, out=tmp)
    np.bitwise_xor(x, tmp, out=x)
    np.multiply(x, _C1, out=x)
    np.bitwise_and(x, _M32, out=x)
    np.right_shift(x, 12, out=tmp)
    np.bitwise_xor(x, tmp, out=x)
    np.multiply(x, _C2, out=x)
    np.bitwise_and(x, _M32, out=x)
    np.right_shift(x, 15, out=tmp)
    np.bitwise_xor(x, tmp, out=x)
    return x


def seed_key(seed: int) -> int:
    s = int(seed) & 0xFFFFFFFFFFFFFFFF
    return mix32(mix32(s & _M32) ^ mix32((s >> 32) ^ 0x2545F491))


def batch_key(t: int) -> int:
    return mix32((int(t) * 0x9E3779B9 + 0x7F4A7C15) & _M32)


def example_index_keys(B: int) -> list[int]:
    """The per-index keys of examples 0..B−1 (combined with a run's batch key)."""
    return [mix32((i * 0x85EBCA77 + 0xC2B2AE3D) & _M32) for i in range(B)]


_WORD_KEYS = [mix32(0x68E31DA4 + 0x1B56C4E9 * w & _M32) for w in range(64)]
_NOISE_KEY = 0x3C6EF372


_T8 = (np.uint64(0x00AA00AA00AA00AA), np.uint64(0x0000CCCC0000CCCC), np.uint64(0x00000000F0F0F0F0))


def _transpose8(x: np.ndarray) -> np.ndarray:
    """Transpose the 8×8 bit matrix in each uint64 (byte e, bit f ↦ byte f, bit e): the
    three-round shift-and-mask transpose of Hacker's Delight §7-3."""
    for sh, mask in zip((7, 14, 28), _T8):
        u = np.uint64(sh)
        t = (x ^ (x >> u)) & mask
        x = x ^ t ^ (t << u)
    return x


def _feature_major_bits(byts: np.ndarray, n: int) -> np.ndarray:
    """Bits (m, n, B) in {0, 1} from sample-major hash bytes (m, B, nb), B a multiple of 8.

    8 examples × 8 features are one 8×8 bit matrix (a uint64): transposed in registers, a
    byte then holds one feature of 8 consecutive examples, and ``np.unpackbits`` along the
    last axis (its fast path) writes the bits feature-major.  Measured: 0.3 ns per bit,
    against 1.3 ns for unpacking along a middle axis and 0.6 ns for transposing the bytes."""
    m, B, nb = byts.shape
    g = np.ascontiguousarray(byts.reshape(m, B // 8, 8, nb).transpose(0, 3, 1, 2))    # (m, nb, B/8, 8 examples)
    f = _transpose8(g.view(np.uint64)[..., 0]).view(np.uint8).reshape(m, nb, B // 8, 8)
    f = np.ascontiguousarray(f.transpose(0, 1, 3, 2)).reshape(m, 8 * nb, B // 8)       # byte: 8 examples
    return np.unpackbits(f, axis=-1, bitorder="little")[:, :n]


class RademacherDesign:
    """Draws the sign matrix Σ (m, n, B) ∈ {±1} of the design X = diag(√σ)·Σ, and a uniform per
    example, for a problem with ``sigma``.

    The kernels work with Σ and fold √σ into their small vectors: (w∘√σ)ᵀΣ equals wᵀX bit
    for bit (a product with ±1 is exact), and √σ∘(Σr) is X r up to rounding, so the batch
    is never scaled (a pass over it saved)."""

    def __init__(self, problem: Any, be: Backend, dtype: Any) -> None:
        self.problem = problem
        self.be = be
        self.dtype = dtype
        self.n = problem.n
        self.words = (self.n + 31) // 32
        s = np.sqrt(np.asarray(problem.sigma, dtype=float))
        self.s = be.asarray(s, dtype)                      # (n,): √σ_j
        if be.name != "numpy":
            self.shifts = be.asarray(np.arange(8), be.int64)

    def example_keys(self, bkeys: Any, ex_keys: Any) -> Any:
        """Per-example keys (m, B) from per-run batch keys (m,) and per-index keys (B,)."""
        if self.be.name == "numpy":
            k = np.bitwise_xor(bkeys[:, None], ex_keys[None, :])
            return _mix32_inplace(k, np.empty_like(k))
        return mix32(bkeys[:, None] ^ ex_keys[None, :])

    def signs(self, keys: Any) -> Any:
        """Σ (m, n, B) in the working dtype from per-example keys (m, B): Σ[r, j, i] = 2·bit_j − 1,
        bit j of the example's hash (NumPy works in blocks of 8 examples: the run pads B to one)."""
        be = self.be
        m, B = keys.shape
        n = self.n
        nb = (n + 7) // 8
        if be.name == "numpy" and B % 8:
            return self.signs(np.pad(keys, ((0, 0), (0, -B % 8))))[:, :, :B]
        if be.name == "numpy":
            H = np.empty((m, B, self.words), dtype=np.int64)
            H[:, :, 0] = keys
            tmp = np.empty_like(keys)
            for w in range(1, self.words):
                h = np.bitwise_xor(keys, _WORD_KEYS[w])
                H[:, :, w] = _mix32_inplace(h, tmp)
            # word w, byte b → byte 4w + b (little-endian order, whatever the machine's)
            byts = H.astype("<u4").view(np.uint8).reshape(m, B, 4 * self.words)[:, :, :nb]
            sg = _feature_major_bits(byts, n).view(np.int8)
            sg *= 2
            sg -= 1
            return sg.astype(self.dtype, order="C")
        parts = []
        for w in range(self.words):
            h = keys if w == 0 else mix32(keys ^ _WORD_KEYS[w])
            for b in range(4):
                parts.append((h >> (8 * b)) & 0xFF)
        byts = be.xp.stack(parts[:nb], 1)                                         # (m, nb, B)
        bits = (byts[:, :, None, :] >> self.shifts[None, None, :, None]) & 1     # (m, nb, 8, B)
        bits = bits.reshape(m, 8 * nb, B)[:, :n]
        return be.cast(bits, self.dtype) * 2.0 - 1.0

    def uniform(self, keys: Any) -> Any:
        """u ~ U(0, 1) (24 bits, never 0 or 1) per example, shape (m, B)."""
        be = self.be
        if be.name == "numpy":
            hu = np.bitwise_xor(keys, _NOISE_KEY)
            _mix32_inplace(hu, np.empty_like(hu))
            np.right_shift(hu, 8, out=hu)
            u = hu.astype(self.dtype)
            u += 0.5
            u *= 2.0 ** -24
            return u
        hu = mix32(keys ^ _NOISE_KEY)
        return (be.cast(hu >> 8, self.dtype) + 0.5) * (2.0 ** -24)
