"""SQL for the recompute results: the ``trends``, ``gap`` and ``breakpoints`` tables, the
``runs`` bookkeeping of flow='recompute', "is a recompute due", and CSV/Parquet export.

``write_results`` deletes and re-inserts all three tables inside the caller's transaction
(``with wh.write() as con``), so a reader sees either the previous complete result or the new
one, never a mixture.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

RESULT_TABLES = ("trends", "gap", "breakpoints")
FLOW = "recompute"


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, parameters: dict[str, Any]) -> datetime:
    started = datetime.now(UTC)
    con.execute(
        "INSERT INTO runs (run_id, flow, parameters, status, started_at) VALUES (?, ?, ?, 'running', ?)",
        [run_id, FLOW, json.dumps(parameters, default=str), started],
    )
    return started


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    *,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    finished = datetime.now(UTC)
    con.execute(
        "UPDATE runs SET status = ?, finished_at = ?, "
        "seconds = epoch(?::TIMESTAMPTZ) - epoch(started_at), counts = ?, error = ? "
        "WHERE run_id = ?",
        [status, finished, finished, json.dumps(counts or {}, default=str), error, run_id],
    )


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


def last_completed_recompute(
    con: duckdb.DuckDBPyConnection, parameters: dict[str, Any] | None = None
) -> datetime | None:
    """Start of the last completed recompute; with ``parameters``, of the last one whose stored
    parameters include all of these (the same fit configuration)."""
    rows = con.execute(
        "SELECT parameters, started_at FROM runs WHERE flow = ? AND status = 'completed'", [FLOW]
    ).fetchall()
    starts = [started for stored, started in rows if parameters is None or _includes(stored, parameters)]
    return max(starts, default=None)


def _includes(stored: str | None, wanted: dict[str, Any]) -> bool:
    try:
        params = json.loads(stored or "{}")
    except ValueError:
        return False
    return isinstance(params, dict) and all(params.get(k) == v for k, v in wanted.items())


def recompute_due(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any] | None = None) -> bool:
    """True when ``dataset_events`` has an event newer than the start of the last completed
    recompute (the start, not the end: a change that lands while a recompute runs may have
    been missed by it), or when models exist and no recompute ever completed.

    With ``parameters`` (the fit configuration as stored in ``runs.parameters``) only runs with
    that configuration count, so an ad-hoc run with another ``--gap-split`` does not make the
    scheduled default recompute think it is up to date.
    """
    last_run = last_completed_recompute(con, parameters)
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
            con.execute(f"COPY (SELECT * FROM {table} ORDER BY ALL) TO '{target}' ({opts})")
            written.append(path)
    return written
