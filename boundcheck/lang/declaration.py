"""A statement is one declaration; everything numeric is derived from it.

    LEMMA6 = register(statement(
        "lemma6", "Lemma 6", section="4.1", title="Stability of GD",
        printed="… gradient descent … is ε-uniformly stable with ε = 2ηKρ²/B.",
        cls=SMOOTH_CONVEX.restrict(CLOSED_FORM_SUP), method="gd", setting=neighbours(),
        params={eta: Interval(0, 1 / beta)},
        lhs=stability(), bound=2 * eta * K * rho**2 / B))

The declaration gives the function class (its hypotheses and the loss families that realise
it), the inner method, the setting (one batch, neighbouring batches, or an echoed run on a
finite distribution), each parameter with its domain (declared once: the printed hypothesis,
sampling, projection, the vectorised check, the counts per hypothesis, replay validation and
the file schema all derive from it), the quantity (a :mod:`~boundcheck.lang.terms` term), the
bound (a sympy expression, exactly as printed) with its relation, and the printed text.  The
same declaration evaluates in float64 (the search) and in mpmath (the re-check and replay).

A *table* statement (Table 2) is declared by its rows: each row is a registered statement
whose quantity and instances it reuses, with the table's bound for that row.  A big-O
statement is checked through ``explicit`` (the bound with derived constants); one that is
refuted only by a family of instances (Theorem 13 as printed) declares ``big_o_family`` —
the one hand-written escape hatch (a family is a sequence of instances along a parameter, not
an instance the search can draw).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import numpy as np
import sympy as sp

from boundcheck.core import numerics as nm
from boundcheck.core.losses import FAMILIES, is_legacy
from boundcheck.lang.classes import FunctionClass
from boundcheck.lang.designs import DESIGNS
from boundcheck.lang.domains import Choice, Domain, Fixed, Integers, as_domain, evaluate_expr
from boundcheck.lang.settings import METHODS, STATE_SCALARS, Echo, Setting, raw_name
from boundcheck.lang.symbols import SYMBOLS, hypothesis_text
from boundcheck.lang.terms import Term, as_term

__all__ = ["Statement", "Evaluation", "statement", "REGISTRY", "register", "unregister", "SYMBOLS", "CLAIM_KINDS",
           "evaluate_expr", "ByMethod"]

CLAIM_KINDS = ("theorem", "lemma", "corollary", "proposition", "claim", "table")
RELATIONS = ("<=", ">=")


class Evaluation(NamedTuple):
    """(LHS, RHS) of C candidate instances in the ``LHS ≤ RHS`` orientation, the hypotheses each
    violates (name → bool mask), and the magnitude of the compared terms (None in exact mode)."""

    lhs: Any
    rhs: Any
    violations: dict
    magnitude: Any


@dataclass(frozen=True)
class ByMethod:
    """A parameter whose domain depends on the inner method drawn (Theorem 4: η ≤ 1/β for GD,
    η ≤ 1/(β + γ) for prox-GD)."""

    domains: Mapping[str, Any]

    def resolve(self, method: str) -> Domain | None:
        d = self.domains.get(method)
        return None if d is None else as_domain(d)


@dataclass(eq=False)
class Statement:
    """One declared statement (see the module docstring).  Construct with :func:`statement`."""

    id: str
    number: str
    title: str = ""
    printed: str = ""
    kind: str = "lemma"
    section: str = ""
    cls: FunctionClass | None = None
    method: str | tuple[str, ...] = "gd"
    setting: Setting | None = None
    params: Mapping[sp.Symbol, Any] = field(default_factory=dict)
    lhs: Term | None = None
    bound: Any = None
    relation: str = "<="
    where: Mapping[sp.Symbol, Term] = field(default_factory=dict)
    structure: Mapping[str, Any] = field(default_factory=dict)
    state: Mapping[str, Any] = field(default_factory=dict)
    quantity: str = ""
    big_o: bool = False
    explicit: Any = None
    big_o_constants: Mapping[str, Any] = field(default_factory=dict)
    big_o_family: Callable[..., list[dict]] | None = None
    rows: Mapping[str, str] | None = None   # a table: method → the registered statement of that row
    corrected_by: str | None = None
    corrects: str | None = None
    correction: str | None = None
    readings: tuple[str, ...] = ()
    proof: str = ""
    proof_module: str | None = None
    notes: tuple[str, ...] = ()
    default_trials: int = 32768
    reference: str = ""
    corrections: tuple = ()           # Correction(name, text, changes): named single changes (errata)
    alternative_readings: tuple = ()  # Reading(name, text, changes): where the text admits several
    pep_grid: Mapping[str, Any] | None = None  # default grid of the exact worst-case engine (boundcheck pep)

    # ------------------------------------------------------------------------- declaration
    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            raise ValueError(f"{self.id}: relation must be one of {RELATIONS}, got {self.relation!r}")
        self.params = {(_sym(k)): v for k, v in dict(self.params).items()}
        self.where = {(_sym(k)): as_term(v) for k, v in dict(self.where).items()}
        if self.lhs is not None:
            self.lhs = as_term(self.lhs)
        if self.bound is not None:
            self.bound = sp.sympify(self.bound)
        if self.explicit is not None:
            self.explicit = sp.sympify(self.explicit)
        if not self.quantity and self.lhs is not None:
            self.quantity = str(self.lhs)
        if self.lhs is not None and self.setting is not None:
            self._check_declaration()

    def _check_declaration(self) -> None:
        if self.cls is None:
            raise ValueError(f"{self.id}: a checkable statement needs its function class (cls=)")
        for m in self.methods:
            if m not in METHODS:
                raise ValueError(f"{self.id}: unknown method {m!r}; choose from {sorted(METHODS)}")
            for fieldname, pname in STATE_SCALARS[m].items():
                if pname == "lambda_init" and SYMBOLS["lambda_init"] not in self.params:
                    continue  # AGD's λ_init defaults to 1 (Nesterov's start)
                if SYMBOLS.get(pname, sp.Symbol(pname)) not in self.params:
                    raise ValueError(f"{self.id}: method {m!r} needs the parameter {pname} (its state's {fieldname})")
        terms = [self.lhs, *self.where.values()]
        missing = sorted(set().union(*[self.setting.needs_ok(t.needs) for t in terms]))
        if missing:
            raise ValueError(f"{self.id}: the {self.setting.name} setting does not provide {missing}")
        if self.relation == ">=" and self.big_o:
            raise ValueError(f"{self.id}: a big-O statement is an upper bound (relation '<=')")

    @property
    def methods(self) -> tuple[str, ...]:
        return (self.method,) if isinstance(self.method, str) else tuple(self.method)

    @property
    def families(self) -> tuple[str, ...]:
        if self.rows:
            return tuple(dict.fromkeys(f for r in self.rows.values() for f in REGISTRY[r].families))
        return self.cls.families if self.cls is not None else ()

    @property
    def expectation(self) -> str:
        if self.rows:
            return "exact"
        return "exact" if isinstance(self.setting, Echo) else "none"

    @property
    def algorithm(self) -> str:
        ms = " | ".join(self.methods)
        if isinstance(self.setting, Echo):
            alg = "Algorithm 2" if self.setting.output == "final" else \
                ("Algorithm 1" if self.setting.output == "printed" else "Algorithm 1, proof average")
            return f"echo-{ms} ({alg})"
        return ms

    @property
    def hypotheses(self) -> tuple:
        """The printed hypotheses on the parameters (sympy relations), from their domains."""
        out: list = []
        for sym, d in self.params.items():
            if isinstance(d, ByMethod):
                for m, dd in d.domains.items():
                    out += [h for h in as_domain(dd).hypotheses(sym) if h not in out]
            else:
                out += [h for h in as_domain(d).hypotheses(sym) if h not in out]
        return tuple(out)

    @property
    def checkable(self) -> bool:
        """Numerically checkable instance by instance (a big-O claim settled by a family is not)."""
        return self.big_o_family is None and (bool(self.rows) or (self.lhs is not None and self.setting is not None))

    def bound_expr(self) -> Any:
        """What numeric checks test: the explicit bound of a big-O statement, else the bound."""
        return self.explicit if self.explicit is not None else self.bound

    def symbols(self) -> list[sp.Symbol]:
        b = self.bound.free_symbols if self.bound is not None else set()
        return sorted(b | set().union(*[h.free_symbols for h in self.hypotheses]), key=lambda s: s.name)

    def bound_value(self, params: Mapping[str, Any]) -> Any:
        """The bound (explicit for big-O) at ``params`` (names as the symbols'), float or mpmath."""
        return evaluate_expr(self.bound_expr(), dict(params))

    def hypotheses_hold(self, params: Mapping[str, Any]) -> dict[str, bool]:
        return {hypothesis_text(h): bool(evaluate_expr(h, dict(params))) for h in self.hypotheses}

    def latex(self) -> str:
        return sp.latex(self.bound)

    def state_spec(self, fieldname: str) -> Any:
        default = "free"
        if isinstance(self.setting, Echo):
            default = "w_init" if fieldname == "pivot" else 0
        return self.state.get(fieldname, default)

    def fingerprint(self) -> str:
        """A hash of the declaration (what is checked, not how it is searched): the key under
        which saved counterexamples are re-checked first."""
        parts = [self.id, self.kind, sp.srepr(self.bound), sp.srepr(self.explicit) if self.explicit is not None else "",
                 self.relation, str(self.lhs), repr(sorted((s.name, str(t)) for s, t in self.where.items())),
                 repr([(s.name, self._describe_param(d)) for s, d in self.params.items()]),
                 "" if self.cls is None else f"{self.cls.name}:{','.join(self.cls.families)}",
                 ",".join(self.methods), repr(self.setting), repr(sorted(self.state.items(), key=str)),
                 repr(sorted(self.structure.items(), key=str)), repr(sorted((self.rows or {}).items()))]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]

    @staticmethod
    def _describe_param(d: Any) -> str:
        if isinstance(d, ByMethod):
            return "{" + ", ".join(f"{m}: {as_domain(x).describe(sp.Symbol('x'))}" for m, x in d.domains.items()) + "}"
        return as_domain(d).describe(sp.Symbol("x"))

    # ------------------------------------------------------------------------- structure
    def param_domains(self, method: str) -> list[tuple[sp.Symbol, Domain]]:
        out = []
        for sym, d in self.params.items():
            dd = d.resolve(method) if isinstance(d, ByMethod) else as_domain(d)
            if dd is not None:
                out.append((sym, dd))
        if method == "agd" and SYMBOLS["lambda_init"] not in self.params:
            out.append((SYMBOLS["lambda_init"], Fixed(1)))
        return out

    def structure_domains(self) -> dict[str, Any]:
        """Every structure key with its domain (the schema ``replay`` validates against)."""
        if self.rows:
            doms: dict[str, Any] = {"method": Choice(tuple(self.rows))}
            for r in self.rows.values():
                for k, v in REGISTRY[r].structure_domains().items():
                    if k == "family":
                        prev = doms.get("family")
                        doms["family"] = Choice(tuple(dict.fromkeys((prev.options if prev else ()) + v.options)))
                    elif k != "method":
                        prev = doms.get(k)
                        doms[k] = v if prev is None else Integers(min(prev.lo, v.lo), max(prev.hi, v.hi), prev.prior,
                                                                  prev.tiers)
            return doms
        doms = dict(self.setting.structure_domains())
        doms.update(self.structure)
        doms["family"] = Choice(self.cls.families)
        doms["method"] = Choice(self.methods)
        return doms

    def draw_structure(self, rng: np.random.Generator, family: str | Sequence[str] | None = None,
                       fixed: Mapping[str, Any] | None = None) -> dict:
        """One random structure; ``family`` a name or several (a group); ``fixed`` pins keys (K = 80)."""
        fams = (family,) if isinstance(family, str) else (tuple(family) if family is not None else None)
        if fams is not None:
            bad = [f for f in fams if f not in self.families]
            if bad or not fams:
                raise ValueError(f"family {', '.join(bad) or '(none)'} is not in {self.id}'s function class; "
                                 f"admissible: {list(self.families)}")
        doms = self.structure_domains()
        s = {"family": Choice(fams).sample(rng) if fams else doms["family"].sample(rng)}
        for k in ("n", "K", "B", "T"):
            if k in doms:
                s[k] = doms[k].sample(rng)
        s["method"] = doms["method"].sample(rng)
        s = self.setting.draw_structure(rng, s)
        if isinstance(self.setting, Echo) and "K" in self.structure:  # a statement's K range wins over the K·T cap
            s["K"] = min(s["K"], self.structure["K"].hi)
        for k, v in (fixed or {}).items():
            if k not in doms or not doms[k].contains(v):
                raise ValueError(f"cannot fix {k} = {v!r} for {self.id} (its structure: {sorted(doms)})")
            s[k] = v
        return s

    def layout(self, structure: dict, legacy: bool = False) -> dict[str, tuple]:
        """Every raw parameter's trailing axes, named ("B", "n", a number): the file schema."""
        if self.rows:
            return REGISTRY[self.rows[structure["method"]]].layout(structure, legacy)
        out = dict(self.setting.layout(self, structure, legacy))
        for sym, d in self.param_domains(structure["method"]):
            if d.raw:
                out[raw_name(sym.name)] = ()
        return out

    def expected_shapes(self, structure: dict, legacy: bool = False) -> dict[str, tuple[int, ...]]:
        """The shape of every raw parameter of one instance (a leading axis of 1)."""
        out = {}
        for k, axes in self.layout(structure, legacy).items():
            out[k] = (1,) + tuple(a if isinstance(a, int) else int(structure[a]) for a in axes)
        return out

    def validate_structure(self, structure: Mapping[str, Any]) -> dict:
        """Check a structure against the declaration (keys, ranges, family, method); returns it."""
        doms = self.structure_domains()
        unknown = sorted(set(structure) - set(doms))
        if unknown:
            raise ValueError(f"unknown structure field(s) {unknown} for {self.id} (fields: {sorted(doms)})")
        missing = sorted(set(doms) - set(structure))
        if missing:
            raise ValueError(f"structure is missing {missing}")
        for k, d in doms.items():
            v = structure[k]
            if isinstance(d, Integers):
                hi = d.hi if k != "B" or not isinstance(self.setting, Echo) else 729
                if isinstance(v, bool) or not isinstance(v, int) or not (d.lo <= v <= max(hi, d.hi)):
                    raise ValueError(f"structure[{k!r}] must be an integer in [{d.lo}, {max(hi, d.hi)}], got {v!r}")
            elif not d.contains(v):
                raise ValueError(f"structure[{k!r}] = {v!r} is not one of {list(d.options)}")
        return dict(structure)

    # ------------------------------------------------------------------------- numerics
    def sample(self, rng: np.random.Generator, C: int, family: str | Sequence[str] | None = None,
               relax: Sequence[str] = (), fixed: Mapping[str, Any] | None = None) -> tuple[dict, dict]:
        """C raw instances of one random structure (drawn within the hypotheses, except those
        named in ``relax``; structure keys in ``fixed`` pinned)."""
        if self.rows:
            fams = (family,) if isinstance(family, str) else family
            opts = [m for m, r in self.rows.items()
                    if (fams is None or set(fams) & set(REGISTRY[r].families))
                    and (not fixed or "method" not in fixed or fixed["method"] == m)]
            if not opts:
                raise ValueError(f"family {family!r} is in no row of {self.id}")
            m = opts[int(rng.integers(len(opts)))]
            row = REGISTRY[self.rows[m]]
            if fams is not None:
                fams = tuple(f for f in fams if f in row.families)
            return row.sample(rng, C, fams, relax, {k: v for k, v in (fixed or {}).items() if k != "method"})
        s = self.draw_structure(rng, family, fixed)
        raw = self.setting.sample_raw(self, rng, C, s)
        for sym, d in self.param_domains(s["method"]):
            if d.raw:
                raw[raw_name(sym.name)] = d.sample(rng, C, relax=sym.name in relax)
        design = DESIGNS.get(s["family"])
        if design is not None and design[2](self, s) and rng.random() < design[0]:
            design[1](rng, C, s, raw)  # a designed round: the family's own sampler
        return s, raw

    def project(self, structure: dict, raw: dict, relax: Sequence[str] = ()) -> dict:
        """Raw parameters perturbed by the search, mapped back onto their raw domains."""
        if self.rows:
            return REGISTRY[self.rows[structure["method"]]].project(structure, raw, relax)
        out = dict(raw)
        for sym, d in self.param_domains(structure["method"]):
            k = raw_name(sym.name)
            if d.raw and k in out and not nm.is_exact(out[k]):
                out[k] = d.project(out[k], relax=sym.name in relax)
        if "p0" in out and not nm.is_exact(out["p0"]):
            out["p0"] = np.clip(out["p0"], 1e-6, 1.0)
        if "rW" in out and not nm.is_exact(out["rW"]):
            out["rW"] = np.maximum(out["rW"], 1.0)
        if structure.get("family") == "logistic":
            for k in out:
                if k.endswith(".y") and not nm.is_exact(out[k]):
                    out[k] = np.where(out[k] >= 0, 1.0, -1.0)
        return out

    def decode_params(self, structure: dict, raw: dict, env: dict, viol: dict) -> None:
        """Decode every parameter (declared order) into ``env`` and record hypothesis violations."""
        C = next(iter(raw.values())).shape[0]
        for sym, d in self.param_domains(structure["method"]):
            bad = np.zeros(C, dtype=bool)
            r = None
            if d.raw:
                r = raw[raw_name(sym.name)]
                bad |= ~d.raw_ok(nm.to_float(r))
            val = d.decode(r, env)
            if np.ndim(val) == 0:
                val = np.full(C, val, dtype=object if nm.is_exact(raw["w0"]) else float)
            env[sym.name] = val
            if d.raw:  # a defined or fixed parameter satisfies its equation by construction
                caught = np.zeros(C, dtype=bool)
                for h in d.hypotheses(sym):
                    ok = np.broadcast_to(np.asarray(evaluate_expr(h, env), dtype=bool), (C,))
                    name = hypothesis_text(h)
                    viol[name] = viol.get(name, np.zeros(C, dtype=bool)) | ~ok
                    caught |= ~ok
                # a raw value outside its raw domain that no relation caught (NaN, a hostile file)
                if (bad & ~caught).any():
                    key = f"{sym.name} in its domain"
                    viol[key] = viol.get(key, np.zeros(C, dtype=bool)) | (bad & ~caught)

    def base_env(self, structure: dict, constants: dict) -> dict:
        env = {k: structure[k] for k in ("K", "B", "T", "n") if k in structure}
        env.update(constants)
        return env

    def normalize(self, structure: Mapping[str, Any]) -> dict:
        """A structure with the inner method filled in when the statement has only one (files
        and proof checks written before the statement language omit it)."""
        s = dict(structure)
        if "method" not in s and not self.rows and len(self.methods) == 1:
            s["method"] = self.methods[0]
        return s

    def _context(self, structure: dict, raw: dict) -> tuple[Any, dict]:
        ctx = self.setting.evaluate(self, structure, raw)
        env = dict(ctx.env)
        for sym, t in self.where.items():
            v, _ = t.evaluate(ctx)
            env[sym.name] = v[:, 0]
        return ctx, env

    def values(self, structure: dict, raw: dict) -> dict:
        """Every symbol of the statement at these instances: structure, certified constants
        (β, ρ, D, …), decoded parameters (η, γ, …) and the run-dependent symbols of the bound."""
        structure = self.normalize(structure)
        if self.rows:
            return REGISTRY[self.rows[structure["method"]]].values(structure, raw)
        return self._context(structure, raw)[1]

    def evaluate(self, structure: dict, raw: dict, bound: Any = None) -> Evaluation:
        """(LHS, RHS, violations, magnitude) of every candidate in ``raw`` (``LHS ≤ RHS`` form)."""
        structure = self.normalize(structure)
        if self.rows:
            row = REGISTRY[self.rows[structure["method"]]]
            rows = list(self.rows)
            b = self.bound_expr()
            return row.evaluate(structure, raw, bound=b[rows.index(structure["method"])])
        ctx, env = self._context(structure, raw)
        exact = ctx.exact
        lhs, lmag = self.lhs.evaluate(ctx)
        if np.shape(lhs)[1:] != (1,):
            raise ValueError(f"{self.id}: the quantity {self.lhs} depends on the batch sequence: take E(·)")
        lhs, lmag = lhs[:, 0], lmag[:, 0]
        expr = self.bound_expr() if bound is None else bound
        rhs = evaluate_expr(expr, env)
        rhs = np.broadcast_to(np.asarray(rhs, dtype=object if exact else float), (ctx.C,))
        mag = None
        if not exact:
            rmag = sum(np.abs(np.broadcast_to(np.asarray(evaluate_expr(a, env), dtype=float), (ctx.C,)))
                       for a in _additive_terms(expr))
            mag = np.asarray(lmag, dtype=float) + rmag
        if self.relation == ">=":
            lhs, rhs = rhs, lhs
        return Evaluation(lhs, rhs, ctx.violations, mag)

    # compatibility with the proof suite ---------------------------------------------------
    def run(self, structure: dict, params: dict) -> tuple:
        """(LHS, RHS, violated hypotheses) of every candidate instance in ``params``."""
        e = self.evaluate(structure, params)
        return e.lhs, e.rhs, e.violations

    def run_full(self, structure: dict, params: dict) -> tuple:
        e = self.evaluate(structure, params)
        return e.lhs, e.rhs, e.violations, e.magnitude

    def is_legacy_file(self, structure: dict, params: Mapping[str, Any]) -> bool:
        fam = structure.get("family")
        if fam not in FAMILIES:
            return False
        prefixes = {k.split(".", 1)[0] + "." for k in params if "." in k}
        return any(is_legacy(fam, {k[len(p):]: v for k, v in params.items() if k.startswith(p)}) for p in prefixes)

    def summary(self) -> dict:
        return {
            "id": self.id, "kind": self.kind, "number": self.number, "section": self.section, "title": self.title,
            "printed": self.printed, "hypotheses": [hypothesis_text(h) for h in self.hypotheses],
            "class": None if self.cls is None else self.cls.describe(), "quantity": self.quantity,
            "relation": self.relation, "bound": str(self.bound), "bound_latex": sp.latex(self.bound) if self.bound is not None else "",
            "explicit": None if self.explicit is None else str(self.explicit), "algorithm": self.algorithm,
            "families": list(self.families), "setting": None if self.setting is None else self.setting.name,
            "expectation": self.expectation, "big_o": self.big_o, "corrected_by": self.corrected_by,
            "corrects": self.corrects, "correction": self.correction, "readings": list(self.readings),
            "proof": self.proof, "proof_module": self.proof_module, "fingerprint": self.fingerprint(),
        }

    def copy(self, **changes: Any) -> "Statement":
        """A copy with fields changed (e.g. a planted or a user's variant); links are dropped
        unless given."""
        kw = {"corrected_by": None, "corrects": None, "correction": None}
        kw.update(changes)
        return replace(self, **kw)


_TERMS_CACHE: dict = {}


def _additive_terms(expr: Any) -> tuple:
    """The additive terms of a bound once expanded ((V_0 − V_T)/T + ε → V_0/T, −V_T/T, ε): their
    absolute values add up to the magnitude that float64 cancellation is measured against."""
    t = _TERMS_CACHE.get(expr)
    if t is None:
        t = _TERMS_CACHE[expr] = sp.Add.make_args(sp.expand(expr))
    return t


def _sym(k: Any) -> sp.Symbol:
    if isinstance(k, sp.Symbol):
        return k
    if isinstance(k, str):
        return SYMBOLS.get(k, sp.Symbol(k))
    raise ValueError(f"a parameter is named by a sympy Symbol or a string, got {k!r}")


def statement(id: str, number: str, **kw: Any) -> Statement:
    """Declare a statement (see the module docstring for the fields)."""
    return Statement(id=id, number=number, **kw)


REGISTRY: dict[str, Statement] = {}


def register(st: Statement) -> Statement:
    """Add ``st`` to the one statement registry (ids are unique)."""
    if not isinstance(st, Statement):
        raise ValueError(f"register takes a Statement, got {type(st).__name__}")
    if st.id in REGISTRY:
        raise ValueError(f"statement id {st.id!r} is already registered")
    REGISTRY[st.id] = st
    return st


def unregister(sid: str) -> None:
    """Remove statement ``sid`` from the registry (no error if it is not registered); the
    inverse of :func:`register`, e.g. for a test that registers its own statements."""
    REGISTRY.pop(sid, None)
