"""Rejected records: screening's refusals, one row per record per run (migration 0009).

Values are always bound as parameters: a rejected record is hostile by definition (its excerpt
may hold quotes, SQL or markup), and nothing here builds SQL from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import duckdb

__all__ = ["RejectedRecord", "record_rejections", "rejections_for_run"]


@dataclass(frozen=True)
class RejectedRecord:
    """What the store needs of a rejection (``discovery.screening.Rejection`` has this shape)."""

    record_id: str
    source: str
    reason: str
    excerpt: str


class Rejected(Protocol):
    """Any record of a rejection with these fields (``discovery.screening.Rejection`` is one):
    the store does not import discovery."""

    @property
    def record_id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def excerpt(self) -> str: ...


def record_rejections(
    con: duckdb.DuckDBPyConnection, run_id: str, rejections: Iterable[Rejected], *, at: datetime | None = None
) -> int:
    """Insert this run's rejections (a record rejected twice in one run is kept once)."""
    when = at or datetime.now(UTC)
    rows = [[run_id, r.source, r.record_id, r.reason, r.excerpt, when] for r in rejections]
    if rows:
        con.executemany(
            "INSERT INTO rejected_records (run_id, source, record_id, reason, excerpt, rejected_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, record_id) DO NOTHING",
            rows,
        )
    return len(rows)


def rejections_for_run(con: duckdb.DuckDBPyConnection, run_id: str) -> list[RejectedRecord]:
    """The rejections one run recorded, by record id."""
    return [
        RejectedRecord(record_id=r[0], source=r[1], reason=r[2], excerpt=r[3])
        for r in con.execute(
            "SELECT record_id, source, reason, excerpt FROM rejected_records WHERE run_id = ? ORDER BY record_id",
            [run_id],
        ).fetchall()
    ]
