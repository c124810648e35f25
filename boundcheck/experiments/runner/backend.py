"""Array backends of the batched runner: NumPy (CPU) or PyTorch (CPU or CUDA).

Arithmetic, bitwise operators, ``@``, slicing and integer-array indexing are written directly
on the arrays (they mean the same in both libraries); everything else goes through
:class:`Backend`.  PyTorch is imported only when asked for.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Backend", "get_backend", "torch_available", "cuda_available"]


def torch_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("torch") is not None


def cuda_available() -> bool:
    if not torch_available():
        return False
    import torch
    return bool(torch.cuda.is_available())


class Backend:
    """The few array operations the runner needs, for NumPy or PyTorch.

    Arithmetic, bitwise operators, ``@``, slicing and integer-array indexing are written
    directly on the arrays (they mean the same in both libraries); everything else goes
    through this class.
    """

    name: str
    device: str

    def __init__(self, name: str, device: str = "cpu") -> None:
        self.name = name
        self.device = device
        if name == "numpy":
            self.xp = np
        else:
            import torch
            self.xp = torch
            self._torch = torch

    # dtypes -------------------------------------------------------------------
    def dtype(self, name: str) -> Any:
        if name not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {name!r}")
        return getattr(self.xp, name)

    @property
    def int64(self) -> Any:
        return self.xp.int64

    # construction / transfer (outside the hot loop only) ---------------------------
    def asarray(self, a: Any, dtype: Any) -> Any:
        if self.name == "numpy":
            return np.array(a, dtype=dtype, order="C", copy=True)  # writable, never a view
        return self._torch.as_tensor(np.array(a, order="C", copy=True), device=self.device).to(dtype)

    def zeros(self, shape: tuple, dtype: Any) -> Any:
        if self.name == "numpy":
            return np.zeros(shape, dtype=dtype)
        return self._torch.zeros(shape, dtype=dtype, device=self.device)

    def full(self, shape: tuple, value: float, dtype: Any) -> Any:
        if self.name == "numpy":
            return np.full(shape, value, dtype=dtype)
        return self._torch.full(shape, value, dtype=dtype, device=self.device)

    def to_numpy(self, a: Any) -> np.ndarray:
        if self.name == "numpy":
            return np.asarray(a)
        return a.detach().to("cpu").numpy()

    # elementwise ----------------------------------------------------------------
    def cast(self, a: Any, dtype: Any) -> Any:
        return a.astype(dtype) if self.name == "numpy" else a.to(dtype)

    def sqrt(self, a: Any) -> Any:
        return self.xp.sqrt(a)

    def maximum(self, a: Any, b: Any) -> Any:
        return self.xp.maximum(a, b)

    def sum_last(self, a: Any) -> Any:
        return a.sum(axis=-1) if self.name == "numpy" else a.sum(dim=-1)

    def synchronize(self) -> None:
        if self.name == "torch" and self.device.startswith("cuda"):
            self._torch.cuda.synchronize()


def get_backend(backend: str = "numpy", device: str = "auto") -> Backend:
    """``backend``: "numpy" (default) or "torch"; ``device``: "auto" | "cpu" | "cuda" (torch only).

    auto picks CUDA when present.  NumPy runs on the CPU; asking NumPy for CUDA is an error.
    """
    if backend not in ("numpy", "torch"):
        raise ValueError(f"backend must be 'numpy' or 'torch', got {backend!r}")
    if device not in ("auto", "cpu", "cuda") and not str(device).startswith("cuda:"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    if backend == "numpy":
        if str(device).startswith("cuda"):
            raise ValueError("the numpy backend runs on the CPU; use --backend torch for --device cuda")
        return Backend("numpy", "cpu")
    if not torch_available():
        raise ValueError("the torch backend needs PyTorch (pip install torch)")
    if device == "auto":
        device = "cuda" if cuda_available() else "cpu"
    elif str(device).startswith("cuda") and not cuda_available():
        raise ValueError("--device cuda was asked for but CUDA is not available")
    return Backend("torch", str(device))


