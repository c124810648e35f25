"""``boundcheck figures``: Section 5 on real data — Figures 2 (CoverType) and 3 (MNIST)."""
from __future__ import annotations

import argparse
import sys

from boundcheck.cli.options import add_scheduler_argument
from boundcheck.outputs.common import format_table


def _ints(s: str) -> tuple[int, ...]:
    try:
        v = tuple(int(x) for x in s.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {s!r}") from None
    if not v or min(v) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {s!r}")
    return v


#: beyond these the grid is a typo, not a plan (a column's arrays are seeds × lrs × B × d)
MAX_B, MAX_K, MAX_SEEDS, MAX_STEPS = 1 << 20, 1024, 1000, 10**8


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "figures", help="Figures 2 and 3: data-echoed SGD on CoverType and MNIST (real data)",
        description="Logistic regression on scaled CoverType (binary) and MNIST (multinomial): for each "
        "(B, K) tune a constant learning rate (grid 0.01..10, steps of 10^(1/20)) to minimise the number of "
        "steps to reach within 1% of the certified optimal training loss; plot KT, BT and the tuned rate "
        "against K, one panel per B; write a JSON of every point and the agreement numbers.")
    p.add_argument("--dataset", choices=["covtype", "mnist", "both"], default="both")
    p.add_argument("--quick", action="store_true", help="reduced grid: minutes on 2 CPU cores")
    p.add_argument("--device", default="auto", help="auto (CUDA via PyTorch when present, else NumPy on CPU), cpu, cuda")
    add_scheduler_argument(p, units="(B, K) columns")
    p.add_argument("--out", default=".", help="output folder for the figures and JSON (default .)")
    p.add_argument("--data-dir", default=None,
                   help="folder with mnist/*.gz and covtype/covtype.libsvm.binary.scale.bz2 "
                   "(default $BOUNDCHECK_DATA, ../shared/data next to the repository, or CACHE/datasets)")
    p.add_argument("--download", action="store_true", help="download missing files into --data-dir (checksummed)")
    p.add_argument("--cache", default=None, metavar="DIR",
                   help="the one cache root: decoded data, certified optima and finished sweep columns "
                   "(default $BOUNDCHECK_CACHE or the user cache, e.g. ~/.cache/boundcheck)")
    p.add_argument("--no-cache", action="store_true", help="recompute everything; write no cache")
    p.add_argument("-B", "--batch-sizes", type=_ints, default=None, help="override the B grid, e.g. 16,1024")
    p.add_argument("-K", "--echo-factors", type=_ints, default=None, help="override the K grid, e.g. 1,2,4,8")
    p.add_argument("--seeds", type=int, default=None, help="runs per point (full grid: 20 on a GPU, 3 on CPU)")
    p.add_argument("--max-steps", type=int, default=None, help="cap on SGD steps per run")
    p.add_argument("--l2", type=float, default=None, metavar="λ",
                   help="objective F + (λ/2)‖w‖²: default 0 (as printed) for covtype, 1e-3 for mnist, whose "
                   "unregularised loss has no minimiser; --l2 0 runs MNIST as printed")
    p.add_argument("--eval-size", default=None,
                   help="training-loss evaluation rows: an integer subsample size or 'all'")
    p.add_argument("--json", metavar="PATH",
                   help="also write the summary (figure paths, agreement) as a boundcheck/figures file")
    p.set_defaults(func=run)


def _configs(args: argparse.Namespace, dev: str) -> list:
    """Every dataset's configuration, built (and so validated) before any work starts."""
    from dataclasses import replace

    from boundcheck.experiments.figures import full_config, quick_config

    for name, vals, cap in (("-B", args.batch_sizes, MAX_B), ("-K", args.echo_factors, MAX_K)):
        if vals and max(vals) > cap:
            raise ValueError(f"{name} {max(vals)} is larger than {cap}")
    if args.seeds is not None and not 1 <= args.seeds <= MAX_SEEDS:
        raise ValueError(f"--seeds must be between 1 and {MAX_SEEDS}, got {args.seeds}")
    if args.max_steps is not None and not 1 <= args.max_steps <= MAX_STEPS:
        raise ValueError(f"--max-steps must be between 1 and {MAX_STEPS}, got {args.max_steps}")
    eval_size: object = "keep"
    if args.eval_size is not None:
        if args.eval_size == "all":
            eval_size = None
        else:
            try:
                eval_size = int(args.eval_size)
            except ValueError:
                raise ValueError(f"--eval-size must be an integer or 'all', got {args.eval_size!r}") from None
            if eval_size < 1:
                raise ValueError(f"--eval-size must be a positive integer or 'all', got {args.eval_size!r}")
    out = []
    for ds in (["covtype", "mnist"] if args.dataset == "both" else [args.dataset]):
        cfg = quick_config(ds) if args.quick else full_config(ds, cpu=dev == "cpu")
        over: dict = {}
        if args.batch_sizes:
            over["Bs"] = args.batch_sizes
        if args.echo_factors:
            over["Ks"] = args.echo_factors
        if args.seeds is not None:
            over["seeds"] = args.seeds
        if args.max_steps is not None:
            over["max_steps"] = args.max_steps
        if args.l2 is not None and args.l2 != cfg.l2:
            over["l2"] = args.l2
        if eval_size != "keep":
            over["eval_size"] = eval_size
        if over:
            cfg = replace(cfg, **over, name=cfg.name + "-custom")  # SweepConfig validates: ValueError
        out.append(cfg)
    return out


def run(args: argparse.Namespace) -> int:
    from boundcheck.experiments.figures import figures_run, resolve_device, write_summary
    from boundcheck.outputs.paths import check_output_path
    from boundcheck.parallel import UnitFailed, get_scheduler, parse_spec

    # ---- every input checked before any work (one line, exit 2, nothing left behind)
    check_output_path(args.out, "dir", option="--out")
    if args.cache is not None:
        check_output_path(args.cache, "dir", option="--cache")
    if args.json:
        check_output_path(args.json, "file", option="--json", suffixes=(".json",))
    parse_spec(args.scheduler)
    dev = resolve_device(args.device)
    configs = _configs(args, dev)
    _memory_check(configs)
    if not args.quick and dev == "cpu" and any(c.dataset == "mnist" for c in configs):
        print("boundcheck: warning: the full MNIST grid on CPU takes many hours (B = 16 needs ~10⁵ steps "
              "per K); use --quick, a GPU, a cluster (--scheduler), or a smaller grid (-B/-K/--seeds)",
              file=sys.stderr)
    out = []
    try:
        with get_scheduler(args.scheduler) as sched:
            for cfg in configs:
                r = figures_run(cfg.dataset, device=dev, out=args.out, data_dir=args.data_dir, cache=args.cache,
                                use_cache=not args.no_cache, config=cfg, download=args.download, scheduler=sched,
                                log_fn=lambda m: print(f"boundcheck: {m}", file=sys.stderr))
                out.append(r)
                _print(r, cfg)
    except UnitFailed as exc:  # a worker failure is not bad input: exit 1, one line, finished columns cached
        print(f"boundcheck: error: {exc} (finished columns are cached; rerun to resume)", file=sys.stderr)
        return 1
    if args.json:
        write_summary(args.json, out, command="figures")
        print(f"summary written to {args.json}")
    return 0


def _print(r: dict, cfg: object) -> None:
    a = r["agreement"]
    o = a["optimum"]
    ds = r["dataset"]
    if o["l2"]:
        print(f"{ds}: objective F + (λ/2)‖w‖², λ = {o['l2']:g} (not the paper's: see --help); "
              f"F_λ* ∈ [{o['ours_lower']:.8f}, {o['ours_upper']:.8f}] (certified gap {o['certified_gap']:.1e}); "
              f"unregularised loss there {o['unregularised_loss_at_optimum']:.6f} vs the paper's ≈ {o['reported']}"
              + (" (so the reported value is not the unregularised optimum)"
                 if o.get("reported_is_not_unregularised_optimum") else ""))
    else:
        print(f"{ds}: F* ∈ [{o['ours_lower']:.8f}, {o['ours_upper']:.8f}] (certified gap "
              f"{o['certified_gap']:.1e}); paper reports ≈ {o['reported']} (difference {o['difference']:+.4f})")
    rows = []
    for rB in a["per_B"]:
        for K, kt, bt, lr in zip(rB["Ks"], rB["KT"], rB["BT"], rB["lr"]):
            rows.append((rB["B"], K, kt, bt, lr))
        for K in rB["censored_Ks"]:
            rows.append((rB["B"], K, f"> {cfg.max_steps}", "-", "-"))  # type: ignore[attr-defined]
    print(format_table(["B", "K", "KT (steps)", "BT (samples)", "tuned lr"], rows))
    srows = [(rB["B"], rB["regime"] or "-", rB["KT_slope"], rB["BT_slope"], rB["lr_slope"],
              rB["lr_ratio_K1_over_Kmax"], rB["K_ratio"]) for rB in a["per_B"]]
    print(format_table(["B", "regime", "slope KT", "slope BT", "slope lr", "lr(K=1)/lr(Kmax)", "Kmax/1"], srows))
    pt = a["phase_transition_B"]
    print(f"phase transition (KT slope crosses 1/2): B ≈ {pt:.3g}" if pt else
          "phase transition: not bracketed by this B grid")
    print(f"figures: {r['figures']['png']}, {r['figures']['pdf']}; every point: {r['figures']['json']} "
          f"({r['seconds']:.1f}s, {r['cached_columns']}/{r['columns']} columns from cache, device {r['device']}, "
          f"{r['scheduler']})")


def _memory_check(configs: list) -> None:
    """Refuse up front a grid whose largest column cannot fit in this machine's memory."""
    import os

    from boundcheck.experiments.figures.sweep import estimate_column_bytes

    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: no estimate to compare with
        return
    for cfg in configs:
        need = estimate_column_bytes(cfg)
        if need > 0.5 * total:
            raise ValueError(f"{cfg.dataset}: one column of this grid (B = {max(cfg.Bs)}, {cfg.seeds} seeds, "
                             f"{len(cfg.lrs)} learning rates) needs about {need / 2**30:.1f} GiB, more than half "
                             f"of this machine's {total / 2**30:.1f} GiB; use smaller -B or --seeds")
