"""The recompute as a Prefect flow: ``recompute_flow``, what the hourly ``recompute-if-due``
deployment runs, over the plain function in :mod:`flows.refit`.

Defined at module level so a deployment can load it by its entrypoint
(``flows/recompute.py:recompute_flow``). Importing this module imports Prefect: call
:func:`paramtrack.core.settings.configure_prefect` first. ``paramtrack recompute`` uses the flow
only when a Prefect server is configured (``PREFECT_API_URL``); otherwise it calls
:func:`flows.refit.recompute` directly.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow

from paramtrack.flows import notify, runlog
from paramtrack.flows.refit import (
    EXPORT_FILES,
    RecomputeOutcome,
    config_parameters,
    log,
    prepare_output_dir,
    prepare_output_dirs,
    recompute,
)
from paramtrack.trends.fit import TrendConfig
from paramtrack.trends.gap import GapConfig
from paramtrack.warehouse import Warehouse

__all__ = [
    "EXPORT_FILES",
    "RecomputeOutcome",
    "config_parameters",
    "prepare_output_dir",
    "prepare_output_dirs",
    "recompute",
    "recompute_flow",
]


@flow(name="recompute", log_prints=False, validate_parameters=False, on_failure=notify.HOOKS, on_crashed=notify.HOOKS)
def recompute_flow(
    db_path: str | Path | None = None,
    charts_dir: str | Path | None = None,
    export_dir: str | Path | None = None,
    if_due: bool = False,
    until: date | None = None,
    since_year: int = 2020,
    resamples: int = 1000,
    seed: int = TrendConfig.seed,
    gap_split: float = TrendConfig.gap_split,
    break_year: int = TrendConfig.break_year,
) -> dict[str, Any]:
    """Refit trends, the gap table and the breakpoint from the curated dataset.

    Defined at module level so that a deployment's entrypoint (``flows/recompute.py:
    recompute_flow``) names something Prefect can import in a fresh process: a flow built
    inside a function made every scheduled run crash with "Function ... not found".

    ``db_path`` None: ``PARAMTRACK_DB``, else ``data/paramtrack.duckdb`` in the working
    directory. A relative ``charts_dir``/``export_dir`` (a ``prefect.yaml`` deployment's
    ``charts``) is beside the warehouse, not wherever the worker happens to run. A failure
    or crash is posted to ``PARAMTRACK_NOTIFY_URL`` when set (:mod:`flows.notify`).
    """
    runlog.install()  # in the deployment's process, where this file is loaded by its path
    from paramtrack.core.settings import read_settings

    db = Path(db_path or read_settings().db_path).expanduser().resolve()
    charts_dir = db.parent / charts_dir if charts_dir is not None else None
    export_dir = db.parent / export_dir if export_dir is not None else None
    db_path = db
    cfg = TrendConfig(until=until, resamples=resamples, seed=seed, gap_split=gap_split, break_year=break_year)
    outcome = recompute(
        Warehouse(db_path),
        config=cfg,
        gap_config=GapConfig(since_year=since_year, until=until),
        charts_dir=charts_dir,
        export_dir=export_dir,
        if_due=if_due,
    )
    if outcome.skipped:
        log.info("Recompute not due: no dataset change since the last completed recompute")
    else:
        log.info(
            "Recomputed %s in %.1f s (run %s)",
            ", ".join(f"{k} {v}" for k, v in outcome.counts.items()),
            outcome.seconds,
            outcome.run_id,
        )
    return outcome.summary()
