"""Recompute the trend, gap and breakpoint tables from the curated dataset.

``recompute(wh, ...)`` is the plain function (read curated -> fit -> write, charts, export);
``recompute_flow`` is a thin Prefect 3 flow over it, built on first access so that importing
this module (tests, ``paramtrack recompute --no-prefect``) does not import Prefect. Call
:func:`paramtrack.settings.configure_prefect` before touching ``recompute_flow``.

Steps: a ``runs`` row (flow='recompute', status running) is committed first; the curated
dataset is read; the fits run in memory; then the three result tables are replaced *and* the
run is marked completed in one transaction; exports and charts are written from the same
in-memory frames afterwards.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from trends.charts import write_charts
from trends.fit import TrendConfig, fit_trends
from trends.gap import GapConfig, gap_table
from warehouse import Warehouse
from warehouse.models_store import read_curated
from warehouse.trends_store import (
    export_results,
    finish_run,
    recompute_due,
    start_run,
    write_results,
)


@dataclass
class RecomputeOutcome:
    run_id: str | None
    skipped: bool = False                     # --if-due and nothing changed
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    trends: pd.DataFrame | None = None
    gap: pd.DataFrame | None = None
    breakpoints: pd.DataFrame | None = None
    charts: list[Path] = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "skipped": self.skipped, "seconds": round(self.seconds, 3),
                "counts": self.counts, "charts": [str(p) for p in self.charts],
                "exports": [str(p) for p in self.exports]}


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
    """Read curated models, fit, replace trends/gap/breakpoints atomically, export, chart."""
    t0 = time.perf_counter()
    config = config or TrendConfig()
    gap_config = gap_config or GapConfig(until=config.until)
    if if_due:
        with wh.read() as con:
            if not recompute_due(con):
                return RecomputeOutcome(run_id=None, skipped=True,
                                        seconds=time.perf_counter() - t0)
    run_id = run_id or f"recompute-{uuid.uuid4().hex[:12]}"
    params = {"trend_config": _jsonable(asdict(config)), "gap_config": _jsonable(asdict(gap_config)),
              "charts_dir": str(charts_dir) if charts_dir else None,
              "export_dir": str(export_dir) if export_dir else None}
    with wh.write() as con:
        start_run(con, run_id, params)
    try:
        with wh.read() as con:
            models = read_curated(con)
        result = fit_trends(models, config)
        gap = gap_table(models, gap_config)
        counts: dict[str, int] = {"models_read": len(models), "models_fitted": len(result.sample)}
        with wh.write() as con:
            counts.update(write_results(con, run_id, trends=result.trends, gap=gap,
                                        breakpoints=result.breakpoints))
            counts["scarce_bands"] = int(gap["scarce"].sum()) if len(gap) else 0
            finish_run(con, run_id, "completed", counts=counts)
    except BaseException as exc:
        with wh.write() as con:
            finish_run(con, run_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise
    outcome = RecomputeOutcome(run_id=run_id, counts=counts, trends=result.trends, gap=gap,
                               breakpoints=result.breakpoints)
    if export_dir is not None:
        with wh.read() as con:
            outcome.exports = export_results(con, Path(export_dir))
    if charts_dir is not None:
        outcome.charts = write_charts(result.sample, result.trends, gap, Path(charts_dir))
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


def _build_flow():
    from prefect import flow

    @flow(name="recompute", log_prints=False, validate_parameters=False)
    def recompute_flow(
        db_path: str | Path,
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
        """Refit trends, the gap table and the breakpoint from the curated dataset."""
        cfg = TrendConfig(until=until, resamples=resamples, seed=seed, gap_split=gap_split,
                          break_year=break_year)
        outcome = recompute(Warehouse(db_path), config=cfg,
                            gap_config=GapConfig(since_year=since_year, until=until),
                            charts_dir=charts_dir, export_dir=export_dir, if_due=if_due)
        return outcome.summary()

    return recompute_flow


def __getattr__(name: str):
    if name == "recompute_flow":
        fn = _build_flow()
        globals()["recompute_flow"] = fn
        return fn
    raise AttributeError(name)
