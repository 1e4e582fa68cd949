"""What a run did and how the warehouse is doing: the data behind the digest and ``status``.

The ``runs`` table keeps counts, not lists, so the papers, failures and problems of one run are
found by time: everything the run wrote carries a timestamp between the run's ``started_at`` and
its ``finished_at`` (now, while it is still running). Two runs writing the same file at the same
time would see each other's rows; paramtrack's runs are weekly and a second ingest waits on the
database lock between steps, so the overlap is the exception, and the digest says which window
it read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from paramtrack.warehouse import catalog
from paramtrack.warehouse.migrations import newest_known, pending_migrations, unknown_migrations

#: A discover run older than this is overdue: the schedule is weekly, plus a day of slack.
STALE_AFTER = timedelta(days=8)
#: A run still marked 'running' after this long has almost certainly died without saying so.
STUCK_AFTER = timedelta(hours=12)


@dataclass(frozen=True)
class RunInfo:
    """One row of ``runs``, with its JSON columns decoded."""

    run_id: str
    flow: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    counts: dict[str, Any]
    error: str | None
    parameters: dict[str, Any]

    def count(self, key: str) -> int:
        """A numeric entry of ``counts`` (0 when absent: older rows lack newer keys)."""
        value = self.counts.get(key)
        return int(value) if isinstance(value, (int, float)) else 0


@dataclass(frozen=True)
class NotablePaper:
    """A paper that became notable during the run, with its top proposal if it has one."""

    arxiv_id: str
    title: str
    citations: int | None
    proposed: float | None
    kind: str | None
    score: float | None
    review_status: str | None


@dataclass(frozen=True)
class ExtractionFailure:
    arxiv_id: str
    title: str
    error: str
    transient: bool


@dataclass(frozen=True)
class PdfFailure:
    arxiv_id: str
    title: str
    error: str
    attempts: int


@dataclass(frozen=True)
class SourceProblem:
    source: str
    problem: str
    count: int


@dataclass(frozen=True)
class RunReport:
    """Everything the digest of one run shows."""

    run: RunInfo
    new_notable: list[NotablePaper]
    queue_size: int
    extraction_failures: list[ExtractionFailure]
    pdf_failures: list[PdfFailure]
    source_problems: list[SourceProblem]


@dataclass(frozen=True)
class Health:
    """The warehouse file's state; ``problems`` empty means healthy."""

    path: str
    size_bytes: int
    applied: list[str]
    pending: list[str]
    tables: dict[str, int]
    stuck_runs: list[RunInfo]
    last_discover: RunInfo | None
    last_discover_age: timedelta | None
    problems: list[str] = field(default_factory=list)
    #: Migrations in the file that this code does not know: a newer paramtrack wrote it.
    unknown: list[str] = field(default_factory=list)


_RUN_COLUMNS = "run_id, flow, status, started_at, finished_at, seconds, counts, error, parameters"


def _json(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    try:
        decoded = json.loads(value)
    except (TypeError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _run(row: tuple) -> RunInfo:
    run_id, flow, status, started, finished, seconds, counts, error, parameters = row
    return RunInfo(
        run_id=run_id,
        flow=flow,
        status=status,
        started_at=started,
        finished_at=finished,
        seconds=seconds,
        counts=_json(counts),
        error=error,
        parameters=_json(parameters),
    )


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    assert row is not None, "count(*) always returns one row"
    return row[0] > 0


def get_run(con: duckdb.DuckDBPyConnection, run_id: str) -> RunInfo | None:
    row = con.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", [run_id]).fetchone()
    return _run(row) if row else None


def previous_run_started(con: duckdb.DuckDBPyConnection, run: RunInfo) -> datetime | None:
    """When the run of the same flow before ``run`` started (None for the first one): the
    previous digest's cut-off, so each digest lists what happened since the one before it."""
    row = con.execute(
        "SELECT max(started_at) FROM runs WHERE flow = ? AND started_at < ? AND run_id <> ?",
        [run.flow, run.started_at, run.run_id],
    ).fetchone()
    return row[0] if row else None


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[RunInfo]:
    """The newest runs first (any flow, any status)."""
    if not _has_table(con, "runs"):
        return []
    rows = con.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY started_at DESC LIMIT ?", [limit]).fetchall()
    return [_run(r) for r in rows]


def last_dataset_change(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the curated dataset last changed (an approval, an undo, an Epoch import), or None:
    what ``status`` compares with the last recompute to say whether one is due."""
    if not _has_table(con, "dataset_events"):
        return None
    row = con.execute("SELECT max(changed_at) FROM dataset_events").fetchone()
    return row[0] if row else None


def queue_size(con: duckdb.DuckDBPyConnection) -> int:
    """Papers waiting for a decision: pending, or flagged for a second look (``review_queue``)."""
    if not _has_table(con, "review_items"):
        return 0
    row = con.execute("SELECT count(*) FROM review_items WHERE status IN ('pending', 'second_look')").fetchone()
    assert row is not None, "count(*) always returns one row"
    return row[0]


def source_problems(run: RunInfo) -> list[SourceProblem]:
    """``counts["source_problems"]`` as rows; malformed entries are skipped, not fatal."""
    raw = run.counts.get("source_problems") or []
    out: list[SourceProblem] = []
    if not isinstance(raw, list):
        return out
    for item in raw:
        if not isinstance(item, dict):
            continue
        count = item.get("count", 0)
        out.append(
            SourceProblem(
                source=str(item.get("source", "?")),
                problem=str(item.get("problem", "?")),
                count=int(count) if isinstance(count, (int, float)) else 0,
            )
        )
    return out


def run_report(con: duckdb.DuckDBPyConnection, run_id: str) -> RunReport:
    """The digest's data for one run; ``LookupError`` when the run is unknown."""
    run = get_run(con, run_id)
    if run is None:
        raise LookupError(f"no run {run_id} in the warehouse")
    window = [run.started_at, run.finished_at or datetime.now(UTC)]
    notable = con.execute(
        "SELECT p.arxiv_id, p.title, p.citation_count, o.top_value, o.top_kind, o.top_score,"
        "       o.status"
        " FROM papers p LEFT JOIN review_overview o USING (arxiv_id)"
        " WHERE p.notable_since BETWEEN ? AND ?"
        " ORDER BY p.citation_count DESC NULLS LAST, p.arxiv_id",
        window,
    ).fetchall()
    extraction = con.execute(
        "SELECT e.arxiv_id, coalesce(p.title, ''), e.error, e.error_transient"
        " FROM extractions e LEFT JOIN papers p USING (arxiv_id)"
        " WHERE e.error IS NOT NULL AND e.extracted_at BETWEEN ? AND ?"
        " ORDER BY e.arxiv_id",
        window,
    ).fetchall()
    pdfs = con.execute(
        "SELECT d.arxiv_id, coalesce(p.title, ''), d.error, d.attempts"
        " FROM pdfs d LEFT JOIN papers p USING (arxiv_id)"
        " WHERE d.error IS NOT NULL AND d.sha256 IS NULL AND d.fetched_at BETWEEN ? AND ?"
        " ORDER BY d.arxiv_id",
        window,
    ).fetchall()
    return RunReport(
        run=run,
        new_notable=[NotablePaper(*r) for r in notable],
        queue_size=queue_size(con),
        extraction_failures=[ExtractionFailure(a, t, e, bool(tr)) for a, t, e, tr in extraction],
        pdf_failures=[PdfFailure(*r) for r in pdfs],
        source_problems=source_problems(run),
    )


def health(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    stuck_after: timedelta = STUCK_AFTER,
) -> Health:
    """Migrations, size, row counts, stuck runs and the age of the last completed discover run.

    Works on a file with pending migrations (the connection need not be migrated): only
    ``runs``, ``review_items`` and the catalog are read, which every schema version has.
    """
    now = now or datetime.now(UTC)
    unknown = unknown_migrations(con)
    pending = pending_migrations(con)
    applied = (
        [r[0] for r in con.execute("SELECT name FROM _migrations ORDER BY name").fetchall()]
        if _has_table(con, "_migrations")
        else []
    )
    tables = catalog.table_counts(con)
    stuck: list[RunInfo] = []
    last: RunInfo | None = None
    if _has_table(con, "runs") and not unknown:  # a newer schema's tables are not ours to read
        stuck = [
            _run(r)
            for r in con.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE status = 'running' AND started_at < ? ORDER BY started_at",
                [now - stuck_after],
            ).fetchall()
        ]
        row = con.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE flow = 'discover' AND status = 'completed'"
            " ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
        last = _run(row) if row else None
    age = now - (last.finished_at or last.started_at) if last else None
    problems: list[str] = []
    if unknown:
        problems.append(
            f"schema {unknown[-1]} is newer than this paramtrack knows (newest "
            f"{newest_known()}): upgrade paramtrack before using this warehouse"
        )
    if pending:
        problems.append(
            f"{len(pending)} migration(s) pending: {', '.join(pending)}"
            " (applied by the next run, or 'paramtrack db migrate')"
        )
    for run in stuck:
        problems.append(
            f"run {run.run_id[:8]} ({run.flow}) still 'running' since "
            f"{run.started_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC: it probably died"
        )
    if last is None and not unknown:
        problems.append("no completed discover run yet")
    elif age is not None and age > stale_after:
        problems.append(
            f"last completed discover run is {age.days} days old "
            f"(more than {stale_after.days}): is the weekly schedule running?"
        )
    size = Path(path).stat().st_size if Path(path).exists() else 0
    return Health(
        path=str(path),
        size_bytes=size,
        applied=applied,
        pending=pending,
        tables=tables,
        stuck_runs=stuck,
        last_discover=last,
        last_discover_age=age,
        problems=problems,
        unknown=unknown,
    )
