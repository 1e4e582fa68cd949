"""Recompute the trend, gap and breakpoint tables from the curated dataset.

``recompute(wh, ...)`` is the plain function (read curated -> fit -> write, charts, export);
``recompute_flow`` is a thin Prefect 3 flow over it, defined at module level so a deployment can
load it by its entrypoint. Importing this module imports Prefect: call
:func:`paramtrack.core.settings.configure_prefect` first.

Steps: the chart and export folders are created and checked first (a bad path is a one-line
:class:`~paramtrack.core.errors.ParamtrackError`, not a traceback after the fit); a ``runs`` row
(flow='recompute', status running) is committed; the curated dataset is read; the fits run in
memory; then, in one transaction, the three result tables are replaced, charts and exports are
written, and only then is the run marked completed. If any of that fails the tables roll back
and the run is marked failed, so "completed" always means "results, charts and exports exist".
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow

from paramtrack.core.errors import InputError
from paramtrack.flows import notify, runlog
from paramtrack.trends.charts import CHART_FILES, write_charts
from paramtrack.trends.fit import TrendConfig, fit_trends
from paramtrack.trends.gap import GapConfig, gap_table
from paramtrack.warehouse import Warehouse, runs_store
from paramtrack.warehouse.models_store import read_curated
from paramtrack.warehouse.publish import publish_after_run
from paramtrack.warehouse.trends_store import (
    FLOW,
    RESULT_TABLES,
    export_results,
    recompute_due,
    write_results,
)

log = logging.getLogger("paramtrack.recompute")
# A deployment loads this file by its path, not as ``flows.recompute``: attach the run-log
# handler here too, so the flow's lines reach its Prefect run.
runlog.install()

#: The files ``export_results`` writes into the export folder.
EXPORT_FILES = tuple(f"{table}.{fmt}" for table in RESULT_TABLES for fmt in ("csv", "parquet"))


@dataclass
class RecomputeOutcome:
    run_id: str | None
    skipped: bool = False  # --if-due and nothing changed
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    trends: pd.DataFrame | None = None
    gap: pd.DataFrame | None = None
    breakpoints: pd.DataFrame | None = None
    charts: list[Path] = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
            "counts": self.counts,
            "charts": [str(p) for p in self.charts],
            "exports": [str(p) for p in self.exports],
        }


def prepare_output_dir(path: Path | str, *, label: str, files: Iterable[str] = ()) -> Path:
    """Create the folder ``path`` now and check that ``files`` can be written into it.

    Called before any fitting (and by the CLI before Prefect starts), so a path that is a file,
    sits under a file, or is not writable is one clear line instead of a traceback after the
    results were already replaced.
    """
    out = Path(path).expanduser()
    if out.exists() and not out.is_dir():
        raise InputError(f"{label} {out} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{label} {out}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InputError(f"{label} {out}: the folder is not writable")
    for name in files:
        target = out / name
        if target.is_dir():
            raise InputError(f"{label} {out}: {name} is a folder, but a file is written there")
        if target.exists() and not os.access(target, os.W_OK):
            raise InputError(f"{label} {out}: {name} exists and is not writable")
    return out


def prepare_output_dirs(
    charts_dir: Path | str | None,
    export_dir: Path | str | None,
    *,
    labels: tuple[str, str] = ("--charts", "--export"),
) -> tuple[Path | None, Path | None]:
    """:func:`prepare_output_dir` for the chart and export folders that were asked for;
    ``labels`` name them in messages (the CLI options by default)."""
    charts = prepare_output_dir(charts_dir, label=labels[0], files=CHART_FILES) if charts_dir is not None else None
    exports = prepare_output_dir(export_dir, label=labels[1], files=EXPORT_FILES) if export_dir is not None else None
    return charts, exports


def config_parameters(config: TrendConfig, gap_config: GapConfig) -> dict[str, Any]:
    """The fit configuration as stored in ``runs.parameters`` (JSON round-tripped)."""
    raw = {"trend_config": _jsonable(asdict(config)), "gap_config": _jsonable(asdict(gap_config))}
    return json.loads(json.dumps(raw, default=str))


def recompute(
    wh: Warehouse,
    *,
    config: TrendConfig | None = None,
    gap_config: GapConfig | None = None,
    charts_dir: Path | str | None = None,
    export_dir: Path | str | None = None,
    if_due: bool = False,
    run_id: str | None = None,
) -> RecomputeOutcome:
    """Read curated models, fit, then replace trends/gap/breakpoints, write charts and exports
    and mark the run completed in one transaction (all of it, or the run is marked failed)."""
    t0 = time.perf_counter()
    config = config or TrendConfig()
    gap_config = gap_config or GapConfig(until=config.until)
    charts, exports = prepare_output_dirs(charts_dir, export_dir)
    params = config_parameters(config, gap_config) | {
        "charts_dir": str(charts) if charts else None,
        "export_dir": str(exports) if exports else None,
    }
    if if_due:
        # Only a run with this configuration *and* these outputs counts: an ad-hoc run with
        # another --gap-split, or without charts, leaves the scheduled one due.
        wanted = {k: v for k, v in params.items() if v is not None}  # outputs not asked for: any
        with wh.read() as con:
            if not recompute_due(con, wanted):
                return RecomputeOutcome(run_id=None, skipped=True, seconds=time.perf_counter() - t0)
    run_id = run_id or f"recompute-{uuid.uuid4().hex[:12]}"
    with wh.write() as con:
        runs_store.start_run(con, FLOW, params, run_id=run_id)
    outcome = RecomputeOutcome(run_id=run_id)
    try:
        with wh.read() as con:
            models = read_curated(con)
        result = fit_trends(models, config)
        gap = gap_table(models, gap_config)
        counts: dict[str, int] = {"models_read": len(models), "models_fitted": len(result.sample)}
        with wh.write() as con:
            counts.update(write_results(con, run_id, trends=result.trends, gap=gap, breakpoints=result.breakpoints))
            counts["scarce_bands"] = int(gap["scarce"].sum()) if len(gap) else 0
            if charts is not None:
                outcome.charts = write_charts(result.sample, result.trends, gap, charts)
            if exports is not None:
                outcome.exports = export_results(con, exports)  # sees this transaction's rows
            runs_store.finish_run(con, run_id, status="completed", counts=counts)
    except BaseException as exc:
        with wh.write() as con:
            runs_store.finish_run(con, run_id, status="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    publish_after_run(wh)  # the analysts' read copy (warehouse/publish.py); never raises
    outcome.counts = counts
    outcome.trends, outcome.gap, outcome.breakpoints = result.trends, gap, result.breakpoints
    outcome.seconds = time.perf_counter() - t0
    return outcome


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


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
    from paramtrack.core.settings import DEFAULT_DB

    db = Path(db_path or os.environ.get("PARAMTRACK_DB") or DEFAULT_DB).expanduser().resolve()
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
