"""Section 5 on real data: certified optimal training losses, the (B, K, η, seed) sweep, Figures 2–3.

Modules: ``objective`` (full-data losses), ``optimum`` (the certified F*), ``kernel`` (the batched
SGD kernel, NumPy/PyTorch), ``column`` (one (B, K) point), ``sweep`` (the grid, its cache and its
fan-out over ``boundcheck.parallel``), ``plots`` (figures, agreement numbers), ``run`` (the entry
point and the ``boundcheck/figures`` files).

Pieces (each usable alone):

* :func:`certified_optimum` — the optimal training loss F* of the (unregularised) logistic
  regression, bracketed by a primal value P(ŵ) ≥ F* and a Fenchel-dual value D ≤ F*
  (duality gap certificate, valid whether or not the infimum is attained; on MNIST it is
  not: 33 pixels are non-zero in images of one class only, so F* is an infimum).
* :func:`run_column` — one (B, K) point: data-echoed SGD (Algorithm 1, gradient descent as
  the inner method, batches of B drawn with replacement, each used for K steps, w₀ = 0)
  for every (learning rate, seed) pair as one array program (NumPy on CPU, PyTorch on
  CUDA), timed to the first step at which the mean of the last ``window`` training losses
  is within ``tol`` of F*; the learning rate minimising the mean time over seeds is
  found by grid search with exact branch-and-bound pruning.
* :func:`sweep` — the whole (B, K) grid with a progress bar and an on-disk cache keyed by
  the configuration (an interrupted sweep resumes from the finished columns), in-process or
  on a Dask cluster (one column per unit).
* :func:`make_figures` / :func:`agreement` — the paper's Figures 2 and 3 (KT, BT and the
  tuned η against K, one panel per B) and the numbers that compare them with the paper.

The training loss each step.  The paper's criterion uses the full training loss after
every SGD step.  Evaluating the loss of every (η, seed) run on all N examples after every
step costs N·d per run per step, affordable on a GPU but not on 2 CPU cores.  With
``eval_size=None`` (the GPU default) the full loss is used.  With ``eval_size=M`` the
excess loss F(w) − F(ŵ) is *estimated* on a fixed uniform subsample of M rows with a
Taylor control variate (:class:`_EvalCV`): unbiased, and with the variance of the Taylor
remainder only.  Its error is measured, not assumed: for the tuned learning rate, the
iterate at each seed's hitting step is re-evaluated on all N examples and the largest
difference between the estimated and the exact excess is reported as a fraction of the
threshold tol·F* (``subsample_error``; ≤ 0.023 on the CoverType grids, M = 2,048–4,096).
The threshold itself uses F* = P(ŵ), the certified upper end of the bracket.
"""
from __future__ import annotations

from boundcheck.experiments.figures.column import lr_grid, run_column
from boundcheck.experiments.figures.kernel import resolve_device
from boundcheck.experiments.figures.objective import full_loss
from boundcheck.experiments.figures.optimum import CertifiedOptimum, certified_optimum
from boundcheck.experiments.figures.plots import REPORTED_OPTIMUM, agreement, make_figures
from boundcheck.experiments.figures.run import figures_run, summary_of, write_summary
from boundcheck.experiments.figures.sweep import DEFAULT_L2, SweepConfig, full_config, quick_config, sweep
from boundcheck.experiments.data import load_dataset, load_mnist, load_covtype  # noqa: F401  (load… from here too)

__all__ = [
    "CertifiedOptimum", "certified_optimum", "full_loss", "REPORTED_OPTIMUM", "DEFAULT_L2", "lr_grid", "SweepConfig",
    "quick_config", "full_config", "resolve_device", "run_column", "sweep", "make_figures", "agreement",
    "figures_run", "write_summary", "summary_of", "load_dataset", "load_mnist", "load_covtype",
]
