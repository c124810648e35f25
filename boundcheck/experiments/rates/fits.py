"""Statistics of ``rates``: Student-t intervals for a mean over seeds, and fitted exponents with
``scipy.stats.bootstrap`` intervals that resample seeds jointly across a sweep.

Runs with one seed share their data at every point of a sweep (common random numbers), so
the points of a sweep are not independent: resampling must pick the same seeds for every
point.  ``stats.bootstrap((G,), slope, axis=-1, vectorized=True)`` does exactly that — G is
(points, seeds) and the resampled axis is the seed axis.  The interval is BCa (bias-corrected
and accelerated), whose coverage with 16 seeds is better than the percentile interval's.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["mean_ci", "fit_exponent"]


def _t975(df: int) -> float:
    if df < 1:
        return float("inf")
    from scipy import stats
    return float(stats.t.ppf(0.975, df))


def mean_ci(x: np.ndarray) -> tuple[float, float, float, float]:
    """(mean, sd, lower, upper): 95% Student-t interval for the mean over seeds."""
    x = np.asarray(x, dtype=float)
    m = float(np.mean(x))
    if x.size < 2:
        return m, float("nan"), float("-inf"), float("inf")
    sd = float(np.std(x, ddof=1))
    h = _t975(x.size - 1) * sd / math.sqrt(x.size)
    return m, sd, m - h, m + h


def fit_exponent(x: Any, G: np.ndarray, *, n_boot: int = 2000, seed: int = 0, method: str = "BCa") -> dict:
    """Slope of log E[gap] against log x (least squares), with a 95% bootstrap interval over seeds.

    G: (points, seeds).  Seeds are resampled jointly across points (see the module docstring);
    ``method``: "BCa" (default) or "percentile".  The interval is None when it cannot be formed
    (fewer than 2 seeds, or every resample the same).
    """
    from scipy import stats

    x = np.asarray(x, dtype=float)
    G = np.asarray(G, dtype=float)
    m = G.mean(axis=1)
    if len(x) < 2 or not np.all(np.isfinite(m)) or np.any(m <= 0):
        return {"slope": None, "lo": None, "hi": None, "points": len(x), "local": []}
    lx = np.log(x) - np.log(x).mean()
    slope = float(lx @ np.log(m) / (lx @ lx))

    def statistic(g: np.ndarray, axis: int = -1) -> np.ndarray:
        # g: (points, ..., seeds) — one resample of the seeds per trailing batch index
        with np.errstate(divide="ignore", invalid="ignore"):
            lm = np.log(np.mean(g, axis=axis))
        return np.tensordot(lx, lm, axes=(0, 0)) / (lx @ lx)

    lo = hi = None
    if G.shape[1] >= 2 and np.ptp(G, axis=1).max() > 0:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a degenerate resample distribution gives NaN, handled below
            r = stats.bootstrap((G,), statistic, axis=-1, vectorized=True, paired=False, n_resamples=n_boot,
                                confidence_level=0.95, method=method, rng=np.random.default_rng(seed))
        a, b = float(r.confidence_interval.low), float(r.confidence_interval.high)
        if math.isfinite(a) and math.isfinite(b):
            lo, hi = a, b
    local = (np.diff(np.log(m)) / np.diff(np.log(x))).tolist()
    return {"slope": slope, "lo": lo, "hi": hi, "points": int(len(x)), "local": local}
