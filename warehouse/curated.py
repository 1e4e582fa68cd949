"""Bookkeeping shared by everything that changes the curated ``models`` table."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb


def mark_dataset_changed(con: duckdb.DuckDBPyConnection, source: str, detail: str = "") -> None:
    """Record that ``models`` changed, so the next recompute knows it is due.

    Called inside the same transaction as the change itself: the event and the change land
    together or not at all.
    """
    con.execute(
        "INSERT INTO dataset_events (changed_at, source, detail) VALUES (?, ?, ?)",
        [datetime.now(UTC), source, detail],
    )
