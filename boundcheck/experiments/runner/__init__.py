"""Batched runner: echoed GD / prox-GD / AGD over a grid of runs as one array program.

A *run* is one execution of the data-echoing meta-algorithm (Algorithm 1 for gd/prox,
Algorithm 2 for agd) with its own (B, K, T, η, γ, seed).  All runs of a block are rows of
the same arrays — ``w`` has shape (R, n), the current batch X has shape (R, n, B_max) — and
one Python loop walks the *global inner step* s = 0, 1, …: at step s every active run takes
inner step j = s mod K_r of outer step t = ⌊s / K_r⌋.  Hence:

* no per-run Python work in the update: runs are sorted by their total step count
  S_r = K_r T_r, so the runs still active at step s are a suffix ``[a:]`` of the arrays (a
  view, no copy), and the work done is exactly Σ_r S_r (no masking waste for heterogeneous
  K, T);
* fresh batches are drawn when s ≡ 0 (mod K_r).  The schedule of (run, batch) switches is
  built once on the host and uploaded before the loop; at step s the switching runs are
  one slice of it.  Blocks whose runs all have K = 1 never store a batch: it is generated
  in cache-sized chunks and consumed at once (``run.py``);
* different batch sizes share a block by zero-weight padding to the block's B_max;
  ``run_grid`` groups runs into blocks of similar B (≤ 2× padding) under a memory budget;
* no host–device copies inside the loop: index arrays are uploaded once, loop-invariant
  scalars (the AGD momentum γ_s, the batch counter) are Python numbers.

Fresh batches.  The paper's oracle draws i.i.d. batches from 𝒟.  To make the NumPy and the
PyTorch backend see *the same* data without copying it from the host, examples are
generated on the device by a counter-based generator (``generator.py``): example i of batch
t of the run with seed σ is a pure function of (σ, t, i), bit-identical in NumPy and torch.

Problems.  The runner needs a *kernel* for the problem (``kernels.py``): how to draw a batch,
the batch gradient ∇f̄_ξ, and the closed-form population gap F(w) − F(w*).  Implemented for
``LinearRegression`` (Rademacher design, least squares) and ``LogisticRegression`` (the same
design, well-specified labels, F summed exactly over the 2ⁿ support points).

Modules: ``backend`` (NumPy / PyTorch), ``generator`` (the counter-based hash and the
design), ``kernels`` (per problem), ``run`` (the loop, blocks, results).
"""
from boundcheck.experiments.runner.backend import Backend, cuda_available, get_backend, torch_available
from boundcheck.experiments.runner.generator import mix32 as _mix32
from boundcheck.experiments.runner.kernels import kernel_for
from boundcheck.experiments.runner.run import (METHODS, RunResult, batch_moments, plan_blocks, run_batch, run_grid,
                                               sample_batches)

__all__ = ["Backend", "get_backend", "torch_available", "cuda_available", "RunResult", "run_batch", "run_grid",
           "plan_blocks", "sample_batches", "batch_moments", "kernel_for", "METHODS", "_mix32"]
