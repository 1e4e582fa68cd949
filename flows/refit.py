"""Recompute the trend, gap and breakpoint tables from the curated dataset, in this process.

``recompute(wh, ...)`` is the plain function (read curated -> fit -> write, charts, export);
``flows/recompute.py`` wraps it in the Prefect flow that deployments run. This module imports
no Prefect, so ``paramtrack recompute`` without a Prefect server answers in seconds instead of
starting a temporary Prefect server first (10-40 s for 1.5 s of fitting), and ``paramtrack
export`` checks its folder without importing Prefect, matplotlib or scipy.

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
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from paramtrack.flows.outputs import prepare_output_dir
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


def prepare_output_dirs(
    charts_dir: Path | str | None,
    export_dir: Path | str | None,
    *,
    labels: tuple[str, str] = ("--charts", "--export"),
) -> tuple[Path | None, Path | None]:
    """:func:`prepare_output_dir` for the chart and export folders that were asked for;
    ``labels`` name them in messages (the CLI options by default)."""
    charts = None
    if charts_dir is not None:
        from paramtrack.trends.charts import CHART_FILES  # matplotlib: only when charts are asked for

        charts = prepare_output_dir(charts_dir, label=labels[0], files=CHART_FILES)
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
                from paramtrack.trends.charts import write_charts

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
