"""SQL for the recompute results: the ``trends``, ``gap`` and ``breakpoints`` tables, "is a
recompute due", and CSV/Parquet export. The recompute's ``runs`` rows are ``runs_store``'s, like
every other run's.

``write_results`` deletes and re-inserts all three tables inside the caller's transaction
(``with wh.write() as con``), so a reader sees either the previous complete result or the new
one, never a mixture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from paramtrack.warehouse import runs_store
from paramtrack.warehouse.csv_files import copy_csv

RESULT_TABLES = ("trends", "gap", "breakpoints")
FLOW = "recompute"


def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, run_id: str) -> int:
    if frame.empty:
        return 0
    frame = frame.assign(run_id=run_id)
    cols = list(frame.columns)
    name = f"_result_{table}"
    con.register(name, frame)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM {name}")
    finally:
        con.unregister(name)
    return len(frame)


def write_results(
    con: duckdb.DuckDBPyConnection, run_id: str, *, trends: pd.DataFrame, gap: pd.DataFrame, breakpoints: pd.DataFrame
) -> dict[str, int]:
    """Replace the three result tables (call inside one ``wh.write()`` transaction)."""
    for table in RESULT_TABLES:
        con.execute(f"DELETE FROM {table}")
    return {
        "trends": _insert_frame(con, "trends", trends, run_id),
        "gap": _insert_frame(con, "gap", gap, run_id),
        "breakpoints": _insert_frame(con, "breakpoints", breakpoints, run_id),
    }


def recompute_due(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any] | None = None) -> bool:
    """True when ``dataset_events`` has an event newer than the start of the last completed
    recompute (the start, not the end: a change that lands while a recompute runs may have
    been missed by it), or when models exist and no recompute ever completed.

    With ``parameters`` (the fit configuration as stored in ``runs.parameters``) only runs with
    that configuration count, so an ad-hoc run with another ``--gap-split`` does not make the
    scheduled default recompute think it is up to date.
    """
    last_run = runs_store.last_completed(con, FLOW, parameters)
    event_row = con.execute("SELECT max(changed_at) FROM dataset_events").fetchone()
    assert event_row is not None, "an aggregate without GROUP BY always returns one row"
    last_event = event_row[0]
    if last_run is None:
        if last_event is not None:
            return True
        count_row = con.execute("SELECT count(*) FROM models").fetchone()
        assert count_row is not None, "count(*) always returns one row"
        return count_row[0] > 0
    return last_event is not None and last_event > last_run


def read_table(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    if table not in RESULT_TABLES:
        raise ValueError(f"unknown result table {table!r}")
    order = {
        "trends": "metric = 'parameters' DESC, metric, domain = 'all' DESC, domain, "
        "CASE WHEN era LIKE 'pre%' THEN 0 WHEN era LIKE '%below%' THEN 2 "
        "WHEN era LIKE '%above%' THEN 3 ELSE 1 END",
        "gap": "domain = 'all' DESC, domain, band_kind, band_lo_log10",
        "breakpoints": "metric = 'parameters' DESC, metric, domain",
    }[table]
    return con.execute(f"SELECT * FROM {table} ORDER BY {order}").df()


def export_results(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """Write each result table as ``<table>.csv`` and ``<table>.parquet`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for table in RESULT_TABLES:
        for fmt, opts in (("csv", "FORMAT csv, HEADER true"), ("parquet", "FORMAT parquet")):
            path = out_dir / f"{table}.{fmt}"
            target = str(path).replace("'", "''")
            if fmt == "csv":
                copy_csv(con, f"SELECT * FROM {table} ORDER BY ALL", path)  # no formula runs in a spreadsheet
            else:
                con.execute(f"COPY (SELECT * FROM {table} ORDER BY ALL) TO '{target}' ({opts})")
            written.append(path)
    return written
