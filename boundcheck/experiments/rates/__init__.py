"""Rates against bounds: Theorems 7, 10, 13 and Table 2, measured with the batched runner.

What is measured (``run_rates``), for one method (gd | prox | agd):

1. **Bound grid** (B × K × T): E[F(w_out)] − F(w*) over seeds, with a Student-t
   confidence interval, for each statement variant — as printed (printed step size,
   Algorithm 1's printed average w_0..w_{T−1}) and as corrected (the registry's corrected
   step size, the average w_1..w_T) — compared with the statement's bound.  A grid point
   whose *lower* confidence limit exceeds the bound is a violation.  A probe point
   (huge B, T = 1) is added where Algorithm 1's printed average is w_0 itself.
2. **Exponents.**  Curvature-dominated regime: K- and T-sweeps at a large B with the
   B → ∞ limit of the corrected step rules (η = 1/β; prox's γ ∝ 1/√B → 0), each also run
   with the exact population gradient (B = ∞) to show the measured error *is* the
   curvature term.  Noise-dominated regime: B- and T-slices of the bound grid (corrected
   rule) where the bound's statistical term dominates.  Exponents are least-squares
   slopes in log–log, with 95% bootstrap intervals over seeds (seeds are resampled jointly
   across a sweep: runs with one seed share their data).  Table 2: K^−1 (GD, prox),
   K^−2 (AGD on quadratics) in the curvature term; (BT)^−1/2 in the statistical term.
3. **Phase transition** (the paper's Figures 2–3): for each (B, K) a constant step size
   (prox: γ with η = 1/(β+γ)) is tuned on a grid to minimise the number of batches t
   until E[F(w_t)] − F(w*) ≤ target; steps K·t and samples B·t are reported.  Small B:
   samples plateau in K (noise-dominated); large B: steps plateau (curvature-dominated).

The problem: least squares with a Rademacher design whose spectrum σ_j is geometric over
``condition`` (equal weight per decade, so GD shows its worst-case 1/(KT) and AGD its
1/(KT)² over a wide range), w* = w_true with ‖w*‖ = 1, w_0 = −w* (D = 2); β, ρ are the
certified support bounds over the ball ‖w‖ ≤ R = 1.25, and every run reports whether its
iterates (and AGD's query points) stayed in that ball.

Step sizes and bounds come from the statement registry (``statements``: nothing re-typed).
Modules: ``grid`` (presets, ``--grid``, the problem), ``statements`` (registry-derived step
sizes, bounds, Table 2), ``fits`` (t intervals, exponents with ``scipy.stats.bootstrap``),
``measure`` (``run_rates``; the runner's grid chunks are the units of a scheduler),
``report`` (text) and ``plots`` (figure).
"""
from __future__ import annotations


from boundcheck.experiments.rates.fits import fit_exponent, mean_ci
from boundcheck.experiments.rates.grid import (LOGISTIC_MAX_N, PRESETS, PROBLEM_KINDS, Grid, grid_fields, make_problem,
                                               parse_grid, problem_constants)
from boundcheck.experiments.rates.measure import UNIT_RUNS, check_feasible, estimate, run_rates
from boundcheck.experiments.rates.plots import PLOT_SUFFIXES, plot_rates
from boundcheck.experiments.rates.report import format_report
from boundcheck.experiments.rates.statements import (STEP_STATEMENT, TABLE2_EXPONENTS, TABLE2_TEXT, VARIANTS,
                                                     bound_split, bound_value, step_sizes, table2_rate)

__all__ = [
    "Grid", "PRESETS", "parse_grid", "grid_fields", "PROBLEM_KINDS", "LOGISTIC_MAX_N", "make_problem",
    "problem_constants", "VARIANTS", "STEP_STATEMENT", "TABLE2_EXPONENTS", "TABLE2_TEXT", "step_sizes", "bound_value",
    "bound_split", "table2_rate", "mean_ci", "fit_exponent", "run_rates", "estimate", "check_feasible", "UNIT_RUNS",
    "plot_rates", "PLOT_SUFFIXES", "format_report",
]
