"""Settings: where a statement's quantity lives, and how its instances are drawn and run.

* :class:`OneBatch` — one batch objective f̄_ξ (B examples of a loss family in the class),
  K steps of the inner method from (w_init, s_init); free comparator w*.  (Lemmas 5, 8, 11.)
* :class:`Neighbours` — two batches ξ, ξ' that differ in example 0, the same start; the
  quantity is Definition 1's supremum over Ξ in closed form.  (Lemmas 6, 9, 12.)
* :class:`Echo` — a distribution 𝒟 on two support points, T batches of B i.i.d. draws, the
  echoed method (Algorithm 1 with the printed or the proof's average, or Algorithm 2), and
  exact expectations by enumerating the (B+1)^T batch sequences; ε is the exact uniform
  stability over every reached state.  (Theorems 2, 4, 7, 10, 13, Table 2.)

A setting knows the raw layout of an instance (names, shapes in units of C, B, n, m), draws
raw instances, and evaluates them into an :class:`EvalContext` that the statement's terms
read.  The same code runs on float64 arrays and on object arrays of mpmath numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from boundcheck.core import numerics as nm
from boundcheck.core.algorithms import AGDState, accelerated_gradient_descent, gradient_descent, proximal_gradient_descent
from boundcheck.core.losses import (decode_raw, field_axes, get_family, mean_grad_fn, raw_fields, raw_violations, realise,
                                    sample_raw)
from boundcheck.core.stability import closed_form_sup, domain_radii, rho_over_domain
from boundcheck.lang import expectation as ex_
from boundcheck.lang.domains import Integers, evaluate_expr
from boundcheck.lang.instances import cand_constants, norm

__all__ = ["Setting", "OneBatch", "Neighbours", "Echo", "EvalContext", "METHODS", "one_batch", "neighbours", "echoed"]

METHODS = {"gd": gradient_descent(), "prox": proximal_gradient_descent(), "agd": accelerated_gradient_descent()}
#: the raw coordinate's name of a scalar parameter (kept from the files written before the language)
RAW_NAMES = {"eta": "u", "gamma": "gfrac", "lambda_init": "lam0", "mu": "mfrac"}
#: free vector state of each method, and its raw name
STATE_VECTORS = {"prox": {"pivot": "piv"}, "agd": {"d": "d0"}}
#: scalar state of each method ← the parameter (sympy symbol name) that sets it
STATE_SCALARS = {"gd": {"eta": "eta"}, "prox": {"eta": "eta", "gamma": "gamma"},
                 "agd": {"eta": "eta", "lam": "lambda_init"}}


def raw_name(param: str) -> str:
    return RAW_NAMES.get(param, f"x.{param}")


def _logu(rng: np.random.Generator, C: int, a: float, b: float) -> np.ndarray:
    return np.exp(rng.uniform(a, b, size=(C, 1)))


def _draw_batch(rng: np.random.Generator, family: str, shape: tuple[int, ...], n: int, K: int) -> dict:
    """Raw examples with a random per-candidate scale s (log-uniform): fields × s, factors × √s
    (a ridge loss's windows: K of them, the file schema's K axis; its scale is its direction's)."""
    if family == "pwq-ridge":
        ex = get_family(family).sample(rng, shape, n, windows=K)
        ex["x"] = ex["x"] * np.exp(rng.uniform(-2, 2, size=shape[:1] + (1,) * (len(shape))))
        return ex
    ex = sample_raw(family, rng, shape, n)
    C = shape[0]
    s = np.exp(rng.uniform(-2, 2, size=(C,)))
    for k in ex:
        if k == "y" and family == "logistic":
            continue
        f = np.sqrt(s) if k == "L" else s
        ex[k] = ex[k] * f.reshape((C,) + (1,) * (ex[k].ndim - 1))
    return ex


#: β of a loss with no curvature (linear): a tiny positive number in every arithmetic, so that
#: 1/β stays finite (≈ 1e300 reads as "no limit" in the step-size domains) and float64 and mpmath
#: evaluate the same formulas; it only enlarges a bound by ≈ 1e−300
TINY_BETA = 1e-300


def safe_beta(b: Any, exact: bool) -> Any:
    if exact:
        import mpmath
        tiny = mpmath.mpf(TINY_BETA)
        return np.array([bi if bi > 0 else tiny for bi in nm.to_mp(b)], dtype=object)
    b = np.asarray(b, dtype=float)
    return np.where(b > 0, b, TINY_BETA)


def _prefixed(prefix: str, d: Mapping[str, Any]) -> dict:
    return {f"{prefix}{k}": v for k, v in d.items()}


def _strip(prefix: str, d: Mapping[str, Any]) -> dict:
    return {k[len(prefix):]: v for k, v in d.items() if k.startswith(prefix)}


class EvalContext:
    """What a statement's terms read: points, states, objectives, constants, expectations.

    Scalars are (C, E) arrays, vectors (C, E, n); ``env`` holds the per-candidate (C,) values
    of the statement's symbols (parameters, constants, structure)."""

    def __init__(self, *, env: dict, C: int, exact: bool, method: str, points: dict, states: dict,
                 objective=None, population=None, expect=None, stability=None, last_batch=None) -> None:
        self.env, self.C, self.exact, self.method_name = env, C, exact, method
        self._points, self._states = points, states
        self._objective, self._population, self._expect = objective, population, expect
        self._stability, self._last = stability, last_batch
        self.violations: dict[str, np.ndarray] = {}

    def _col(self, v: Any) -> Any:
        """A scalar (), per-candidate (C,) or already (C, E) value as a (C, E) array."""
        v = np.asarray(v, dtype=object) if (self.exact or nm.is_exact(v)) else np.asarray(v, dtype=float)
        if v.ndim == 0:
            v = np.broadcast_to(v, (self.C,))
        return v[:, None] if v.ndim == 1 else v

    def constant(self, c: Any) -> Any:
        if self.exact:
            import mpmath
            val = mpmath.mpf(c.p) / c.q if hasattr(c, "p") and hasattr(c, "q") else mpmath.mpf(float(c))
            return np.full((self.C, 1), val, dtype=object)
        return np.full((self.C, 1), float(c))

    def expression(self, expr: Any) -> Any:
        return self._col(evaluate_expr(expr, self.env))

    def point(self, name: str) -> Any:
        if name.startswith("w[") and name not in self._points:
            name = self._points["_index"](int(name[2:-1]))
        try:
            return self._points[name]
        except KeyError:
            raise ValueError(f"this setting has no point {name!r}") from None

    def state(self, field: str, when: str) -> Any:
        try:
            v = self._states[when][field]
        except KeyError:
            raise ValueError(f"the method {self.method_name!r} has no state field {field!r}") from None
        return v if np.ndim(v) == 3 else self._col(v)

    def _need(self, fn: Any, what: str) -> Any:
        if fn is None:
            raise ValueError(f"this setting has no {what}")
        return fn

    def objective(self, point: Any) -> Any:
        return self._need(self._objective, "batch objective f")(point.evaluate(self)[0])

    def population(self, point: Any) -> Any:
        return self._need(self._population, "population risk F (use the Echo setting)")(point.evaluate(self)[0])

    def last_batch_objective(self, point: Any) -> Any:
        return self._need(self._last, "last batch objective")(point.evaluate(self)[0])

    def expect(self, value: Any, mag: Any) -> tuple[Any, Any]:
        return self._need(self._expect, "expectation E (use the Echo setting)")(value, mag)

    def stability(self) -> Any:
        return self._col(self._need(self._stability, "Definition 1 supremum")())


@dataclass(frozen=True)
class Setting:
    """Base class: the structure parameters and the free vectors every setting shares."""

    name = "setting"

    def structure_domains(self) -> dict[str, Any]:
        return {"n": Integers(1, 50, tiers=((0.5, 3), (0.3, 10))), "K": Integers(1, 100), "B": Integers(1, 8, "uniform")}

    def draw_structure(self, rng: np.random.Generator, structure: dict) -> dict:
        """Adjust a drawn structure to what the setting can enumerate (default: unchanged)."""
        return structure

    def needs_ok(self, needs: frozenset) -> list[str]:
        """Atoms a term needs that this setting does not provide."""
        have = self.provides()
        return sorted(a for a in needs if not a.startswith("symbol:") and not a.startswith("state:") and a not in have)

    def provides(self) -> set[str]:
        return set()

    # raw layout ------------------------------------------------------------------------------
    def example_layout(self, family: str, prefix: str, count: str, legacy: bool = False) -> dict[str, tuple]:
        return {f"{prefix}{k}": (count,) + field_axes(k) for k in raw_fields(family, legacy)}


def _method_state(method: str, env: dict, vectors: dict, w0: Any, lead: tuple[int, ...]) -> Any:
    """The inner method's initial state from the decoded parameters (per-candidate arrays
    reshaped to ``lead`` + broadcast axes) and the state vectors."""
    def sc(name):
        v = env[STATE_SCALARS[method][name]]
        return np.reshape(v, lead) if np.ndim(v) else v
    if method == "gd":
        return METHODS["gd"].init(eta=sc("eta"))
    if method == "prox":
        return METHODS["prox"].init(eta=sc("eta"), gamma=sc("gamma"), pivot=vectors["pivot"])
    lam = env[STATE_SCALARS["agd"]["lam"]]
    lam = np.reshape(lam, lead) if np.ndim(lam) else lam
    return AGDState(sc("eta"), vectors["d"], lam)


def _state_fields(method: str, s: Any) -> dict:
    if method == "gd":
        return {"eta": s.eta}
    if method == "prox":
        return {"eta": s.eta, "gamma": s.gamma, "pivot": s.pivot}
    return {"eta": s.eta, "d": s.d, "lam": s.lam}


def _vec_spec(spec: Mapping[str, Any], field: str, default: Any) -> Any:
    return spec.get(field, default)


@dataclass(frozen=True)
class OneBatch(Setting):
    """K steps of the inner method on one batch objective f̄_ξ (B examples); free w*.

    Points: w_init, w_out, w_star, w(j) (inner iterate j); states: state_init/state_out.

    ``comparator="minimizer"``: w* is a minimiser of f̄ by construction (every example is
    realised with its minimum at w*, :func:`boundcheck.core.losses.realise`), so f(w_star) is f̄*
    and ‖w_init − w_star‖ the distance to a minimiser (Drori–Teboulle, Nesterov).  A function class
    with ``strongly_convex`` adds (μ/2)‖w − w*‖² to f̄ (parameter ``mu``): f̄ is then μ-strongly
    convex with the unique minimiser w* (β stays the smoothness of the convex part: f̄ is
    (β + μ)-smooth)."""

    comparator: str = "free"

    name = "one-batch"

    def __post_init__(self) -> None:
        if self.comparator not in ("free", "minimizer"):
            raise ValueError(f"OneBatch comparator must be 'free' or 'minimizer', got {self.comparator!r}")

    def provides(self) -> set[str]:
        return {"point:w_init", "point:w_out", "point:w_star", "f"} | {f"point:w[{j}]" for j in range(-200, 201)}

    def layout(self, st: Any, structure: dict, legacy: bool = False) -> dict[str, tuple]:
        fam = structure["family"]
        out = self.example_layout(fam, "ex.", "B", legacy)
        out.update({"w0": ("n",), "ws": ("n",)})
        for field, key in STATE_VECTORS.get(structure["method"], {}).items():
            if st.state_spec(field) == "free":
                out[key] = ("n",)
        return out

    def sample_raw(self, st: Any, rng: np.random.Generator, C: int, structure: dict) -> dict:
        n, B = structure["n"], structure["B"]
        raw = _prefixed("ex.", _draw_batch(rng, structure["family"], (C, B), n, structure["K"]))
        w0 = _logu(rng, C, -2, 2) * rng.standard_normal((C, n))
        raw["w0"] = w0
        raw["ws"] = w0 + _logu(rng, C, -3, 2) * rng.standard_normal((C, n))
        m = structure["method"]
        if m == "prox" and st.state_spec("pivot") == "free":
            raw["piv"] = w0 + np.where(rng.random((C, 1)) < 0.3, 0.0, _logu(rng, C, -3, 2)) * rng.standard_normal((C, n))
        if m == "agd" and st.state_spec("d") == "free":
            raw["d0"] = np.where(rng.random((C, 1)) < 0.3, 0.0, _logu(rng, C, -4, 1)) * rng.standard_normal((C, n))
        return raw

    def evaluate(self, st: Any, structure: dict, raw: dict) -> EvalContext:
        fam_name, m, K = structure["family"], structure["method"], structure["K"]
        fam = get_family(fam_name)
        rex = _strip("ex.", raw)
        viol = raw_violations(fam_name, rex)
        ex = decode_raw(fam_name, rex)
        w0, ws = raw["w0"], raw["ws"]
        if self.comparator == "minimizer" or st.cls.strongly_convex:
            ex = realise(fam_name, ex, ws)
        exact = nm.is_exact(raw["w0"])
        b, _ = cand_constants(fam_name, ex, 0.0)
        env = st.base_env(structure, {"beta": safe_beta(b, exact)})
        st.decode_params(structure, raw, env, viol)
        vectors = _free_vectors(st, m, raw, w0)
        s0 = _method_state(m, env, vectors, w0, (w0.shape[0],))
        grad = mean_grad_fn(fam_name, ex)
        value = lambda w_: fam.mean_value(w_, {k: v[:, None] for k, v in ex.items()})  # noqa: E731
        if st.cls.strongly_convex:  # f̄ + (μ/2)‖w − w*‖²: μ-strongly convex, minimised at w*
            mu_c = np.reshape(env["mu"], (-1, 1))
            base_grad, base_value = grad, value
            grad = lambda w_: base_grad(w_) + mu_c * (w_ - ws)  # noqa: E731
            value = lambda w_: base_value(w_) + np.reshape(env["mu"], (-1, 1)) * ((w_ - ws[:, None]) ** 2).sum(axis=-1) / 2  # noqa: E731
        r = METHODS[m].run(w0, s0, grad, K)
        pts = {"w_init": w0[:, None], "w_out": r.w_out[:, None], "w_star": ws[:, None]}
        its = r.iterates
        pts["_index"] = lambda j: _iter_name(j, len(its))
        for j, x in enumerate(its):
            pts[f"w[{j}]"] = x[:, None]
        states = _lift_states({"init": _state_fields(m, s0), "out": _state_fields(m, r.s_out)})
        ctx = EvalContext(env=env, C=w0.shape[0], exact=exact, method=m, points=pts, states=states, objective=value)
        ctx.violations = viol
        return ctx


def _lift_states(states: dict) -> dict:
    """Vector state fields (C, n) → (C, 1, n): the sequence axis of the terms."""
    return {w_: {k: (v[:, None] if np.ndim(v) == 2 else v) for k, v in d.items()} for w_, d in states.items()}


def _iter_name(j: int, length: int) -> str:
    jj = j if j >= 0 else length + j
    if not 0 <= jj < length:
        raise ValueError(f"w({j}): the run has iterates w_0..w_{length - 1}")
    return f"w[{jj}]"


def _free_vectors(st: Any, method: str, raw: dict, w0: Any, lead_axis: bool = False) -> dict:
    """The method's vector state: free (raw), the initial point, or zero, as the statement says."""
    out = {}
    for field, key in STATE_VECTORS.get(method, {}).items():
        spec = st.state_spec(field)
        if spec == "free":
            v = raw[key]
        elif spec == "w_init":
            v = w0
        else:
            v = 0 * w0
        out[field] = v[:, None, :] if lead_axis else v
    return out


def neighbour_examples(rng: np.random.Generator, fam: str, C: int, B: int, n: int, K: int) -> tuple[dict, dict]:
    """Raw examples of a batch and of the example that replaces example 0 in its neighbour: half
    the draws take the antipode of example 0 (the worst case for linear terms)."""
    ex = _draw_batch(rng, fam, (C, B), n, K)
    rep = sample_raw(fam, rng, (C, 1), n) if fam != "pwq-ridge" else get_family(fam).sample(rng, (C, 1), n, windows=K)
    for k in rep:
        flip = (rng.random(C) < 0.5).reshape((C,) + (1,) * (rep[k].ndim - 1))
        anti = ex[k][:, :1] if k in ("A", "L", "c", "h", "kappa") else -ex[k][:, :1]
        rep[k] = np.where(flip, anti, rep[k] * np.abs(ex[k][:, :1]).mean())
    return ex, rep


def decode_neighbours(st: Any, structure: dict, raw: dict) -> tuple[dict, dict, dict, dict, bool]:
    """(ξ, ξ', violations, env, exact): the decoded batch and its neighbour, the class's hypotheses
    on both, β over both, and every parameter decoded."""
    fam_name = structure["family"]
    rex, rrep = _strip("ex.", raw), _strip("rep.", raw)
    viol = raw_violations(fam_name, rex)
    for k, v in raw_violations(fam_name, rrep).items():
        viol[f"{k} (replacement)"] = v
    ex, rep = decode_raw(fam_name, rex), decode_raw(fam_name, rrep)
    ex2 = {}
    for k, v in ex.items():
        v2 = v.copy()
        v2[:, 0] = rep[k][:, 0]
        ex2[k] = v2
    exact = nm.is_exact(raw["w0"])
    b1, _ = cand_constants(fam_name, ex, 0.0)
    b2, _ = cand_constants(fam_name, ex2, 0.0)
    env = st.base_env(structure, {"beta": safe_beta(np.maximum(b1, b2), exact)})
    st.decode_params(structure, raw, env, viol)
    return ex, ex2, viol, env, exact


@dataclass(frozen=True)
class Neighbours(Setting):
    """Two runs from the same (w_init, s_init) on batches ξ, ξ' that differ in example 0.

    ``stability()`` is sup_{ξ∈Ξ} |f(A(ξ), ξ) − f(A(ξ'), ξ)| (Definition 1) over Ξ, the examples
    whose constants do not exceed the instance's: ``sup="closed-form"`` for the linear and
    quadratic families (closed forms, :mod:`boundcheck.core.stability`); ``sup="lipschitz"`` for
    globally Lipschitz ridge families (Huber, softplus, piecewise-quadratic ridge), whose Ξ holds
    the linear losses of every direction, so the sup is ρ_Ξ‖w − w'‖ exactly.  The constant ρ is
    certified over the ball holding every point either run visits.

    ``batch="examples"``: B examples drawn one by one (the replaced one often the antipode of
    example 0, the worst case for linear terms); ``batch="two-point"``: example 0 and B − 1 copies
    of example 1 (so B can be as large as the linear regime of a designed instance needs)."""

    batch: str = "examples"
    sup: str = "closed-form"

    name = "neighbours"

    def __post_init__(self) -> None:
        if self.batch not in ("examples", "two-point"):
            raise ValueError(f"Neighbours batch must be 'examples' or 'two-point', got {self.batch!r}")
        if self.sup not in ("closed-form", "lipschitz"):
            raise ValueError(f"Neighbours sup must be 'closed-form' or 'lipschitz', got {self.sup!r}")

    def provides(self) -> set[str]:
        return {"stability", "point:w_init"}

    def layout(self, st: Any, structure: dict, legacy: bool = False) -> dict[str, tuple]:
        fam = structure["family"]
        out = self.example_layout(fam, "ex.", "B" if self.batch == "examples" else 2, legacy)
        out.update(self.example_layout(fam, "rep.", 1, legacy))
        out["w0"] = ("n",)
        for field, key in STATE_VECTORS.get(structure["method"], {}).items():
            if st.state_spec(field) == "free":
                out[key] = ("n",)
        return out

    def sample_raw(self, st: Any, rng: np.random.Generator, C: int, structure: dict) -> dict:
        n, fam = structure["n"], structure["family"]
        B = structure["B"] if self.batch == "examples" else 2
        ex, rep = neighbour_examples(rng, fam, C, B, n, structure["K"])
        raw = {**_prefixed("ex.", ex), **_prefixed("rep.", rep)}
        w0 = _logu(rng, C, -3, 1) * rng.standard_normal((C, n))
        raw["w0"] = w0
        m = structure["method"]
        if m == "prox" and st.state_spec("pivot") == "free":
            raw["piv"] = w0 + _logu(rng, C, -3, 1) * rng.standard_normal((C, n))
        if m == "agd" and st.state_spec("d") == "free":
            raw["d0"] = _logu(rng, C, -4, 0) * rng.standard_normal((C, n))
        return raw

    def _grad(self, fam_name: str, ex: dict, B: int):
        if self.batch == "examples":
            return mean_grad_fn(fam_name, ex)
        fam = get_family(fam_name)
        e0 = {k: v[:, :1] for k, v in ex.items()}
        e1 = {k: v[:, 1:] for k, v in ex.items()}
        return lambda w: (fam.grad(w, e0)[:, 0] + (B - 1) * fam.grad(w, e1)[:, 0]) / B

    def evaluate(self, st: Any, structure: dict, raw: dict) -> EvalContext:
        fam_name, m, K, B = structure["family"], structure["method"], structure["K"], structure["B"]
        ex, ex2, viol, env, exact = decode_neighbours(st, structure, raw)
        w0 = raw["w0"]
        vectors = _free_vectors(st, m, raw, w0)
        s0 = _method_state(m, env, vectors, w0, (w0.shape[0],))
        r1 = METHODS[m].run(w0, s0, self._grad(fam_name, ex, B), K)
        r2 = METHODS[m].run(w0, s0, self._grad(fam_name, ex2, B), K)
        pts = r1.iterates + r1.queries + r2.iterates + r2.queries
        R = norm(pts[0])
        for q in pts[1:]:
            R = np.maximum(R, norm(q))
        if self.sup == "closed-form":
            dom = domain_radii(fam_name, ex, ex2)
            env["rho"] = rho_over_domain(fam_name, dom, R)
            sup, _ = closed_form_sup(fam_name, r1.w_out, r2.w_out, dom)
        else:
            _, r_a = cand_constants(fam_name, ex, R)
            _, r_b = cand_constants(fam_name, ex2, R)
            env["rho"] = np.maximum(r_a, r_b)
            sup = env["rho"] * norm(r1.w_out - r2.w_out)
        states = _lift_states({"init": _state_fields(m, s0), "out": _state_fields(m, r1.s_out)})
        ctx = EvalContext(env=env, C=w0.shape[0], exact=exact, method=m, points={"w_init": w0[:, None]},
                          states=states, stability=lambda: sup)
        ctx.violations = viol
        return ctx


@dataclass(frozen=True)
class Echo(Setting):
    """T outer steps of the echoed method on a two-point distribution 𝒟, expectations exact.

    output: "printed" (Algorithm 1 as printed: the average of w_0..w_{T−1}), "proof" (the
    average of w_1..w_T, which Theorem 4's proof bounds) or "final" (Algorithm 2: w_T).
    Constants: β, ρ certified over the support and W = {‖w‖ ≤ r_W·max(‖w_0‖, ‖w*‖)}, r_W ≥ 1,
    D = ‖w_0 − w*‖.  Hypothesis "iterates stay in W": every visited point lies in W.
    ``T_max``, ``B_max``: the enumeration's structure ((B+1)^T ≤ 729 sequences); ``KT_max``
    caps K·T."""

    output: str = "printed"
    T_max: int = 3
    B_max: int = 8
    KT_max: int = 120

    name = "echo"

    def __post_init__(self) -> None:
        if self.output not in ("printed", "proof", "final"):
            raise ValueError(f"Echo output must be 'printed', 'proof' or 'final', got {self.output!r}")

    def provides(self) -> set[str]:
        return {"point:w_init", "point:w_out", "point:w_star", "F", "E", "stability", "fbar_last"} | \
            {f"point:w[{t}]" for t in range(-10, 11)}

    def structure_domains(self) -> dict[str, Any]:
        return {"n": Integers(1, 10, tiers=((0.5, 3), (0.3, 10))), "K": Integers(1, 100), "B": Integers(1, 64, "log"),
                "T": Integers(1, self.T_max, "uniform")}

    def draw_structure(self, rng: np.random.Generator, structure: dict) -> dict:
        """B and T jointly (the enumeration limit), then K·T ≤ KT_max."""
        structure["B"], structure["T"] = ex_.pick_BT(rng, self.B_max, self.T_max)
        if structure["K"] * structure["T"] > self.KT_max:
            structure["K"] = max(1, self.KT_max // structure["T"])
        return structure

    def layout(self, st: Any, structure: dict, legacy: bool = False) -> dict[str, tuple]:
        out = self.example_layout(structure["family"], "sup.", 2, legacy)
        out.update({"p0": (), "w0": ("n",), "ws": ("n",), "rW": ()})
        return out

    def sample_raw(self, st: Any, rng: np.random.Generator, C: int, structure: dict) -> dict:
        n = structure["n"]
        raw = _prefixed("sup.", _draw_batch(rng, structure["family"], (C, 2), n, structure["K"]))
        raw["p0"] = np.where(rng.random(C) < 0.2, 1.0, rng.uniform(0.02, 0.98, C))  # degenerate 𝒟 (p = 1) often
        w0 = _logu(rng, C, -2, 2) * rng.standard_normal((C, n))
        raw["w0"] = w0
        raw["ws"] = w0 + _logu(rng, C, -3, 3) * rng.standard_normal((C, n))
        raw["rW"] = 1 + np.exp(rng.uniform(-3, 2, size=C))
        return raw

    def evaluate(self, st: Any, structure: dict, raw: dict) -> EvalContext:
        fam_name, m = structure["family"], structure["method"]
        Bv, Kv, Tv = structure["B"], structure["K"], structure["T"]
        if (Bv + 1) ** Tv > ex_.MAX_SEQUENCES:
            raise ValueError(f"(B + 1)^T = {(Bv + 1) ** Tv} batch sequences exceed the enumeration limit "
                             f"{ex_.MAX_SEQUENCES}")
        rsup = _strip("sup.", raw)
        viol = raw_violations(fam_name, rsup)
        sup = decode_raw(fam_name, rsup)
        w0, ws, p0, rW = raw["w0"], raw["ws"], raw["p0"], raw["rW"]
        exact = nm.is_exact(w0)
        viol["𝒟 is a probability distribution (p0 ∈ [0, 1])"] = ~((np.asarray(nm.to_float(p0), dtype=float) >= 0) &
                                                                 (np.asarray(nm.to_float(p0), dtype=float) <= 1))
        viol["W contains w_0 and w* (r_W ≥ 1)"] = np.asarray(nm.to_float(rW), dtype=float) < 1
        Dv = norm(w0 - ws)
        RW = rW * np.maximum(norm(w0), norm(ws))
        b, r = ex_.support_constants(fam_name, sup, RW)
        env = st.base_env(structure, {"beta": safe_beta(b, exact), "rho": r, "D": Dv})
        st.decode_params(structure, raw, env, viol)
        C = w0.shape[0]
        vectors = _free_vectors(st, m, raw, w0, lead_axis=True)
        s0 = _method_state(m, env, vectors, w0, (C, 1))
        res = ex_.echo_expectation(METHODS[m], s0, fam_name, sup, p0, w0, Bv, Kv, Tv)
        outer = res.outer
        if self.output == "final":
            w_out = outer[-1]
        else:
            pts_ = outer[:-1] if self.output == "printed" else outer[1:]
            w_out = sum(pts_[1:], pts_[0]) / Tv
        viol["iterates stay in W (ρ-Lipschitz domain)"] = np.asarray(nm.to_float(res.radius), dtype=float) > \
            np.asarray(nm.to_float(RW), dtype=float)
        pts = {"w_init": outer[0], "w_out": w_out, "w_star": ws[:, None, :]}
        pts["_index"] = lambda t: _iter_name(t, len(outer))
        for t, x in enumerate(outer):
            pts[f"w[{t}]"] = x
        states = {"init": _state_fields(m, s0), "out": _state_fields(m, res.states)}
        prob = res.prob

        def expect(v, mag):
            return (prob * v).sum(axis=1)[:, None], (prob * mag).sum(axis=1)[:, None]

        def last_batch(w_):
            counts = np.stack([np.arange(Bv + 1), Bv - np.arange(Bv + 1)], axis=1)
            wts = counts / Bv if not exact else np.array([[nm._mp(int(a)) / Bv for a in rw] for rw in counts],
                                                        dtype=object)
            E_prev = w_.shape[1] // (Bv + 1)
            return _weighted_value(fam_name, w_, sup, np.tile(wts, (E_prev, 1)))

        ctx = EvalContext(env=env, C=C, exact=exact, method=m, points=pts, states=states,
                          population=lambda w_: ex_.population(fam_name, sup, p0, w_), expect=expect,
                          stability=lambda: res.eps, last_batch=last_batch)
        ctx.violations = viol
        return ctx


def _weighted_value(family: str, w: Any, support: Mapping[str, Any], weights: Any) -> Any:
    v = get_family(family).value(w, {k: x[:, None] for k, x in support.items()})  # (C, E, m)
    return (v * weights[None]).sum(axis=2)


def one_batch(comparator: str = "free") -> OneBatch:
    """K steps of the inner method on one batch objective (Lemmas 5, 8, 11); ``comparator="minimizer"``
    makes w* a minimiser of the batch objective by construction."""
    return OneBatch(comparator)


def neighbours(batch: str = "examples", sup: str = "closed-form") -> Neighbours:
    """Two runs on neighbouring batches, Definition 1's supremum (Lemmas 6, 9, 12)."""
    return Neighbours(batch, sup)


def echoed(output: str = "printed", *, T_max: int = 3, B_max: int = 8, KT_max: int = 120) -> Echo:
    """T echoed outer steps on a finite distribution with exact expectations (Theorems 2–13)."""
    return Echo(output, T_max, B_max, KT_max)
