"""``figures_run``: the library entry point behind ``boundcheck figures`` — sweep, figures, the
``boundcheck/figures`` files (every point, and the summary the report reads)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from boundcheck.experiments.figures.kernel import resolve_device
from boundcheck.experiments.figures.plots import agreement, make_figures
from boundcheck.experiments.figures.sweep import SweepConfig, full_config, quick_config, sweep
from boundcheck.outputs.files import write

__all__ = ["figures_run", "write_summary", "summary_of"]

_SUMMARY_KEYS = ("dataset", "figures", "agreement", "seconds", "cached_columns", "columns", "config", "optimum",
                 "device", "scheduler")



def summary_of(r: dict) -> dict:
    """The per-dataset summary (what ``--json`` and the report carry) of a ``figures_run`` result."""
    return {k: r[k] for k in _SUMMARY_KEYS if k in r}


def write_summary(path: str | os.PathLike, runs: list[dict], *, command: str | None = None) -> Path:
    """Write the ``figures --json`` file: ``boundcheck/figures`` with one summary per dataset
    (read back with ``boundcheck.outputs.files.load(path, "figures")``)."""
    return write(path, "figures", {"runs": [summary_of(r) for r in runs]}, command=command)


def figures_run(dataset: str = "covtype", *, quick: bool = False, device: str = "auto", out: str | os.PathLike = ".",
                data_dir: str | os.PathLike | None = None, cache: str | os.PathLike | None = None,
                use_cache: bool = True, config: SweepConfig | None = None, progress: bool | None = None,
                download: bool = False, log_fn: Callable[[str], None] | None = None, scheduler: Any = None,
                dataset_obj: Any = None) -> dict:
    """Sweep, figures, and a ``boundcheck/figures`` file of every point next to the figures.

    Returns {"dataset", "figures": {png, pdf, json}, "agreement", "seconds", "cached_columns",
    "columns", "config", "optimum", "device", "scheduler"} — what the PDF report includes.
    ``scheduler``: a ``boundcheck.parallel`` scheduler for the columns (default in-process).
    ``dataset_obj``: a ``Dataset`` to use instead of loading ``dataset`` (other data, tests).
    """
    if config is None:
        config = quick_config(dataset) if quick else full_config(dataset, cpu=resolve_device(device) == "cpu")
    res = sweep(config, data_dir=data_dir, device=device, cache=cache, use_cache=use_cache, progress=progress,
                download=download, log_fn=log_fn, scheduler=scheduler, dataset=dataset_obj)
    agr = agreement(res)
    paths = make_figures(res, out)
    jpath = Path(out) / (paths["png"].stem + ".json")
    out_rec = {"dataset": dataset, "figures": {**{k: str(v) for k, v in paths.items()}, "json": str(jpath)},
               "agreement": agr, "seconds": res["seconds"], "cached_columns": res["cached_columns"],
               "columns": len(res["columns"]), "config": res["config"], "optimum": res["optimum"],
               "device": res["device"], "scheduler": res["scheduler"]}
    # every point: the same file kind as the summary, with the columns added
    write(jpath, "figures", {"runs": [{**out_rec, "key": res["key"], "column_data": res["columns"],
                                       "dataset_description": res["dataset_description"]}]})
    return out_rec
