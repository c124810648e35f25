"""Synthetic distributions 𝒟 with closed-form population risk F and minimiser w*.

Fresh batches are drawn i.i.d. from 𝒟 (the stochastic minibatch oracle of Section 2.1).
Designs have bounded support so that the paper's ρ-Lipschitz hypothesis holds with a
finite, certified ρ on any ball.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from boundcheck.core.losses import Constants, LossFamily, get_family
from boundcheck.core.optima import minimize_quadratic
from boundcheck.core.validate import check_array, check_nonnegative, check_positive, check_positive_int

__all__ = ["LinearRegression", "LogisticRegression", "QuadraticOverBall", "PROBLEMS", "get_problem"]


@dataclass(frozen=True)
class LinearRegression:
    """Least squares with a Rademacher design: x_j = ±√σ_j, y = ⟨x, w_true⟩ + u, u ~ U[−s, s].

    F(w) = ½(w − w_true)ᵀ diag(σ)(w − w_true) + s²/6, minimised at w* = w_true with
    F* = s²/6 (closed form).  ‖x‖² = Σσ_j exactly, |y| ≤ ‖x‖‖w_true‖₁-bound + s.
    """

    sigma: np.ndarray
    w_true: np.ndarray
    noise: float = 0.5
    family: LossFamily = field(default_factory=lambda: get_family("least-squares"))
    name: str = "linreg"

    @classmethod
    def make(cls, n: int = 10, *, condition: float = 10.0, noise: float = 0.5, seed: int = 0) -> "LinearRegression":
        n = check_positive_int("n", n)
        check_positive("condition", condition)
        check_nonnegative("noise", noise)
        rng = np.random.default_rng(seed)
        sigma = np.geomspace(1.0, 1.0 / condition, n)
        w_true = rng.standard_normal(n)
        w_true /= np.linalg.norm(w_true)
        return cls(sigma, w_true, float(noise))

    @property
    def n(self) -> int:
        return int(self.sigma.shape[0])

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...] | int) -> dict:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        signs = rng.choice(np.array([-1.0, 1.0]), size=shape + (self.n,))
        x = signs * np.sqrt(self.sigma)
        y = x @ self.w_true + self.noise * rng.uniform(-1.0, 1.0, size=shape)
        return {"x": x, "y": y}

    def population_risk(self, w: Any) -> Any:
        d = np.asarray(w) - self.w_true
        return 0.5 * np.sum(self.sigma * d * d, axis=-1) + self.noise**2 / 6

    @property
    def w_star(self) -> np.ndarray:
        return self.w_true

    @property
    def f_star(self) -> float:
        return self.noise**2 / 6

    def constants(self, radius: float) -> Constants:
        """Certified β, ρ over the support of 𝒟 and the ball ‖w‖ ≤ radius."""
        nx2 = float(np.sum(self.sigma))
        nx = np.sqrt(nx2)
        ymax = float(np.sum(np.sqrt(self.sigma) * np.abs(self.w_true))) + self.noise
        return Constants(nx2 * (1 + 1e-12), nx * (nx * radius + ymax) * (1 + 1e-12), radius,
                         "support bound: ‖x‖² = Σσ, |y| ≤ Σ√σ|w_true| + s")


@dataclass(frozen=True)
class QuadraticOverBall:
    """Population quadratic F(w) = E[½wᵀA_ξw − b_ξᵀw] restricted to W = {‖w‖ ≤ R}.

    A_ξ = diag(σ) (fixed), b_ξ = σ⊙c + noise; w* over the ball solved exactly (cvxpy,
    cross-checked with the secular equation).
    """

    sigma: np.ndarray
    center: np.ndarray
    radius: float
    noise: float = 0.5
    family: LossFamily = field(default_factory=lambda: get_family("quadratic"))
    name: str = "quadratic-ball"

    @classmethod
    def make(cls, n: int = 10, *, radius: float = 0.5, condition: float = 10.0, noise: float = 0.5,
             seed: int = 0) -> "QuadraticOverBall":
        rng = np.random.default_rng(seed)
        sigma = np.geomspace(1.0, 1.0 / condition, n)
        c = rng.standard_normal(n)
        return cls(sigma, c / np.linalg.norm(c), float(radius), float(noise))

    @property
    def n(self) -> int:
        return int(self.sigma.shape[0])

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...] | int) -> dict:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        A = np.broadcast_to(np.diag(self.sigma), shape + (self.n, self.n)).copy()
        b = self.sigma * self.center + self.noise * rng.uniform(-1, 1, size=shape + (self.n,))
        return {"A": A, "b": b}

    def population_risk(self, w: Any) -> Any:
        w = np.asarray(w)
        return 0.5 * np.sum(self.sigma * w * w, axis=-1) - w @ (self.sigma * self.center)

    @property
    def w_star(self) -> np.ndarray:
        return minimize_quadratic(np.diag(self.sigma), self.sigma * self.center, self.radius).w

    @property
    def f_star(self) -> float:
        return float(self.population_risk(self.w_star))

    def constants(self, radius: float) -> Constants:
        return Constants(float(self.sigma.max()) * (1 + 1e-12),
                         float(self.sigma.max() * radius + np.linalg.norm(self.sigma * self.center)
                               + self.noise * np.sqrt(self.n)) * (1 + 1e-12), radius, "support bound")


@dataclass(frozen=True)
class LogisticRegression:
    """Well-specified logistic regression: x_j = ±√σ_j (Rademacher), P(y = +1 | x) = s(⟨x, w_true⟩).

    f(w, (x, y)) = log(1 + e^{−y⟨x, w⟩}).  The design has 2ⁿ support points, so
    F(w) = 2⁻ⁿ Σ_x [p(x) log(1 + e^{−⟨x,w⟩}) + (1 − p(x)) log(1 + e^{⟨x,w⟩})] is an exact finite
    sum.  The model is well specified, so ∇F(w_true) = E[x(s(⟨x, w_true⟩) − p(x))] = 0: the
    optimum is w* = w_true exactly (``certificate()`` re-checks it numerically: the gradient
    norm at w* and the smallest Hessian eigenvalue bound ‖ŵ − w*‖ for the float evaluation).
    β = Σσ/4 and ρ = ‖x‖ = √Σσ hold globally (logistic family constants).
    """

    sigma: np.ndarray
    w_true: np.ndarray
    family: LossFamily = field(default_factory=lambda: get_family("logistic"))
    name: str = "logistic"

    MAX_N = 16  # the support (2ⁿ points) is enumerated

    @classmethod
    def make(cls, n: int = 8, *, condition: float = 10.0, scale: float = 1.0, seed: int = 0) -> "LogisticRegression":
        n = check_positive_int("n", n)
        if n > cls.MAX_N:
            raise ValueError(f"n must be <= {cls.MAX_N} for the logistic problem (F enumerates 2^n points), got {n}")
        check_positive("condition", condition)
        check_positive("scale", scale)
        rng = np.random.default_rng(seed)
        sigma = np.geomspace(1.0, 1.0 / condition, n)
        w_true = rng.standard_normal(n)
        return cls(sigma, scale * w_true / np.linalg.norm(w_true))

    def __post_init__(self) -> None:
        if self.sigma.shape[0] > self.MAX_N:
            raise ValueError(f"n must be <= {self.MAX_N} for the logistic problem, got {self.sigma.shape[0]}")

    @property
    def n(self) -> int:
        return int(self.sigma.shape[0])

    @property
    def support(self) -> np.ndarray:
        """The 2ⁿ design points (rows), x = s ⊙ √σ for every sign vector s."""
        bits = (np.arange(2**self.n)[:, None] >> np.arange(self.n)) & 1
        return (2.0 * bits - 1.0) * np.sqrt(self.sigma)

    @property
    def p_plus(self) -> np.ndarray:
        """P(y = +1 | x) at each support point."""
        m = self.support @ self.w_true
        return 0.5 * (1 + np.tanh(m / 2))

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...] | int) -> dict:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        signs = rng.choice(np.array([-1.0, 1.0]), size=shape + (self.n,))
        x = signs * np.sqrt(self.sigma)
        p = 0.5 * (1 + np.tanh((x @ self.w_true) / 2))
        y = np.where(rng.uniform(size=shape) < p, 1.0, -1.0)
        return {"x": x, "y": y}

    def population_risk(self, w: Any) -> Any:
        m = np.asarray(w, dtype=float) @ self.support.T  # (..., 2ⁿ)
        p = self.p_plus
        return np.mean(p * np.logaddexp(0.0, -m) + (1 - p) * np.logaddexp(0.0, m), axis=-1)

    def population_grad(self, w: Any) -> Any:
        S = self.support
        m = np.asarray(w, dtype=float) @ S.T
        return (0.5 * (1 + np.tanh(m / 2)) - self.p_plus) @ S / S.shape[0]

    @property
    def w_star(self) -> np.ndarray:
        return self.w_true

    @property
    def f_star(self) -> float:
        return float(self.population_risk(self.w_true))

    def certificate(self) -> dict:
        """‖∇F(w*)‖ (float), λ_min(∇²F(w*)) and the implied bound ‖ŵ − w*‖ ≤ ‖∇F‖/λ_min."""
        S = self.support
        s = self.p_plus
        H = (S * (s * (1 - s))[:, None]).T @ S / S.shape[0]
        lam = float(np.linalg.eigvalsh(H)[0])
        g = float(np.linalg.norm(self.population_grad(self.w_true)))
        return {"grad_norm": g, "lambda_min": lam, "distance_bound": g / lam if lam > 0 else float("inf")}

    def constants(self, radius: float) -> Constants:
        nx2 = float(np.sum(self.sigma))
        return Constants(nx2 / 4 * (1 + 1e-12), np.sqrt(nx2) * (1 + 1e-12), radius,
                         "logistic: ‖x‖² = Σσ on the support; β = Σσ/4, ρ = √Σσ (global)")


PROBLEMS = {"linreg": LinearRegression.make, "quadratic-ball": QuadraticOverBall.make,
            "logistic": LogisticRegression.make}


def get_problem(name: str, **kw: Any) -> Any:
    """A built-in problem with closed-form population risk F and exact w*: "linreg",
    "quadratic-ball" or "logistic" (a key of :data:`PROBLEMS`), built with ``kw``.  Raises
    ValueError for an unknown name."""
    try:
        return PROBLEMS[name](**kw)
    except KeyError:
        raise ValueError(f"unknown problem {name!r}; choose from {sorted(PROBLEMS)}") from None
