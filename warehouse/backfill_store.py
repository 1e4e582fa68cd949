"""Backfill checkpoints: how far a backfill's OAI-PMH harvest got, kept beside its papers.

A backfill over years of arXiv takes hours (one OAI page per 3 s, hundreds of pages per set) and
can be killed. Each page's papers and the checkpoint that says "continue after this page" are
written in one transaction (:func:`save_page`), so after a crash the warehouse holds exactly the
pages the checkpoint claims, and a re-run with the same arguments continues from the saved
resumption token. Upserts are idempotent, so replaying a page (after an expired token forces a
restart from the window start) changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import duckdb

from paramtrack.warehouse import papers_store

__all__ = ["Checkpoint", "backfill_key", "load", "start", "save_page", "restart_set", "mark", "finish"]

_COLUMNS = (
    "backfill_key",
    "window_from",
    "window_to",
    "categories",
    "sets_done",
    "current_set",
    "resumption_token",
    "pages",
    "records_seen",
    "records_kept",
    "harvest_done",
    "bulk_done",
    "restarts",
    "last_run_id",
    "completed_at",
)


@dataclass(frozen=True)
class Checkpoint:
    """One backfill's progress (a row of ``backfills``)."""

    backfill_key: str
    window_from: date
    window_to: date
    categories: tuple[str, ...]
    sets_done: tuple[str, ...] = ()
    current_set: str | None = None
    resumption_token: str | None = None
    pages: int = 0
    records_seen: int = 0
    records_kept: int = 0
    harvest_done: bool = False
    bulk_done: bool = False
    restarts: int = 0
    last_run_id: str | None = None
    completed_at: datetime | None = field(default=None, compare=False)

    @property
    def resuming(self) -> bool:
        """True when an earlier run of this backfill got somewhere."""
        return self.pages > 0 or self.harvest_done


def _now() -> datetime:
    return datetime.now(UTC)


def backfill_key(window_from: date, window_to: date, categories: Sequence[str]) -> str:
    """The identity of a backfill: same window and categories -> same checkpoint."""
    return f"{window_from:%Y-%m}..{window_to:%Y-%m} {','.join(sorted(set(categories)))}"


def load(con: duckdb.DuckDBPyConnection, key: str) -> Checkpoint | None:
    row = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM backfills WHERE backfill_key = ?", [key]).fetchone()
    if row is None:
        return None
    data = dict(zip(_COLUMNS, row))
    data["categories"] = tuple(data["categories"] or ())
    data["sets_done"] = tuple(data["sets_done"] or ())
    return Checkpoint(**data)


def start(
    con: duckdb.DuckDBPyConnection, key: str, window_from: date, window_to: date, categories: Sequence[str], run_id: str
) -> Checkpoint:
    """The checkpoint to continue from (a fresh one for a new backfill), claimed by ``run_id``."""
    now = _now()
    existing = load(con, key)
    if existing is None:
        con.execute(
            "INSERT INTO backfills (backfill_key, window_from, window_to, categories, sets_done,"
            " last_run_id, started_at, updated_at) VALUES (?, ?, ?, ?, [], ?, ?, ?)",
            [key, window_from, window_to, list(categories), run_id, now, now],
        )
    else:
        con.execute("UPDATE backfills SET last_run_id = ?, updated_at = ? WHERE backfill_key = ?", [run_id, now, key])
    cp = load(con, key)
    assert cp is not None
    return cp


def _write(con: duckdb.DuckDBPyConnection, cp: Checkpoint) -> None:
    con.execute(
        "UPDATE backfills SET sets_done = ?, current_set = ?, resumption_token = ?, pages = ?,"
        " records_seen = ?, records_kept = ?, harvest_done = ?, bulk_done = ?, restarts = ?,"
        " last_run_id = ?, updated_at = ?, completed_at = ? WHERE backfill_key = ?",
        [
            list(cp.sets_done),
            cp.current_set,
            cp.resumption_token,
            cp.pages,
            cp.records_seen,
            cp.records_kept,
            cp.harvest_done,
            cp.bulk_done,
            cp.restarts,
            cp.last_run_id,
            _now(),
            cp.completed_at,
            cp.backfill_key,
        ],
    )


def save_page(
    con: duckdb.DuckDBPyConnection,
    cp: Checkpoint,
    *,
    set_spec: str,
    next_token: str | None,
    seen: int,
    kept: int,
    rows: Sequence[papers_store.PaperRow],
    aged_out: Sequence[str],
) -> tuple[Checkpoint, papers_store.UpsertCounts]:
    """Upsert one page's papers and move the checkpoint past it, in the caller's transaction.

    ``next_token`` None means the set is finished.
    """
    counts = papers_store.upsert_papers(con, rows)
    papers_store.mark_aged_out(con, aged_out)
    finished = next_token is None
    new = replace(
        cp,
        sets_done=cp.sets_done + ((set_spec,) if finished and set_spec not in cp.sets_done else ()),
        current_set=None if finished else set_spec,
        resumption_token=next_token,
        pages=cp.pages + 1,
        records_seen=cp.records_seen + seen,
        records_kept=cp.records_kept + kept,
    )
    _write(con, new)
    return new, counts


def restart_set(con: duckdb.DuckDBPyConnection, cp: Checkpoint) -> Checkpoint:
    """Forget an expired resumption token: the current set is harvested again from the start."""
    new = replace(cp, resumption_token=None, restarts=cp.restarts + 1)
    _write(con, new)
    return new


def mark(con: duckdb.DuckDBPyConnection, cp: Checkpoint, **changes: object) -> Checkpoint:
    """Record a finished stage (``harvest_done=True``, ``bulk_done=True``)."""
    new = replace(cp, **changes)  # type: ignore[arg-type]
    _write(con, new)
    return new


def finish(con: duckdb.DuckDBPyConnection, cp: Checkpoint) -> Checkpoint:
    return mark(con, cp, completed_at=_now())
