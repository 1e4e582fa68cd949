"""The run ledger: one ``runs`` row per flow run, and the checkpoints that make runs resumable.

A run records its process (pid, host) and a ``job_key`` naming what it does (the flow, window
and categories). When a process dies mid-run (``kill -9``, a reboot) its row stays 'running';
the next run on the same host sees that the pid is gone and marks it 'interrupted'. If that run
left a checkpoint for the same job, the new run resumes from it: it adopts the checkpoint and
records ``resumed_from``. Checkpoints are written in the same transaction as the data they
describe, so a checkpoint never claims work that was not committed.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import duckdb

#: Run statuses, in the order a run can reach them.
RUN_STATUSES = ("running", "completed", "failed", "interrupted", "source_down")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def job_key(flow: str, parameters: dict[str, Any]) -> str:
    """A stable name for "this flow over this input": equal keys may resume each other."""
    return f"{flow}:" + json.dumps(parameters, sort_keys=True, default=str)


@dataclass(frozen=True)
class Checkpoint:
    position: int
    total: int | None
    run_id: str
    job_started_at: datetime


def mark_interrupted(con: duckdb.DuckDBPyConnection, *,
                     alive: Callable[[int], bool] = _pid_alive) -> list[str]:
    """Mark this host's 'running' runs whose process is gone as 'interrupted'; returns their ids.

    Runs of other hosts are left alone: their pids mean nothing here.
    """
    host = socket.gethostname()
    rows = con.execute(
        "SELECT run_id, pid FROM runs WHERE status = 'running' AND host = ? AND pid IS NOT NULL",
        [host],
    ).fetchall()
    dead = [run_id for run_id, pid in rows if pid != os.getpid() and not alive(pid)]
    for run_id in dead:
        con.execute(
            "UPDATE runs SET status = 'interrupted', error = coalesce(error, ?),"
            " finished_at = coalesce(finished_at, ?) WHERE run_id = ?",
            ["its process ended without finishing the run (killed or crashed)", _now(), run_id],
        )
    return dead


def start_run(con: duckdb.DuckDBPyConnection, flow: str, parameters: dict[str, Any], *,
              key: str | None = None, resumed_from: str | None = None) -> str:
    run_id = str(uuid.uuid4())
    con.execute(
        "INSERT INTO runs (run_id, flow, parameters, status, started_at, pid, host, job_key,"
        " resumed_from) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
        [run_id, flow, json.dumps(parameters, default=str), _now(), os.getpid(),
         socket.gethostname(), key, resumed_from],
    )
    return run_id


def run_started_at(con: duckdb.DuckDBPyConnection, run_id: str) -> datetime | None:
    row = con.execute("SELECT started_at FROM runs WHERE run_id = ?", [run_id]).fetchone()
    return row[0] if row else None


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    status: str,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    con.execute(
        "UPDATE runs SET status = ?, finished_at = ?, counts = ?, error = ?,"
        " seconds = epoch(? - started_at) WHERE run_id = ?",
        [status, _now(), json.dumps(counts or {}, default=str), error, _now(), run_id],
    )
    if status == "completed":
        # The job is done: a later run of the same window starts from the beginning again.
        con.execute(
            "DELETE FROM run_checkpoints WHERE job_key = (SELECT job_key FROM runs WHERE run_id = ?)",
            [run_id],
        )


def unfinished_checkpoint(con: duckdb.DuckDBPyConnection, key: str, step: str) -> Checkpoint | None:
    """The progress an unfinished run of the same job committed for ``step``, if any."""
    row = con.execute(
        "SELECT c.position, c.total, c.run_id, c.job_started_at FROM run_checkpoints c"
        " JOIN runs r ON r.run_id = c.run_id"
        " WHERE c.job_key = ? AND c.step = ? AND r.status <> 'completed'",
        [key, step],
    ).fetchone()
    return Checkpoint(position=row[0], total=row[1], run_id=row[2], job_started_at=row[3]) if row else None


def save_checkpoint(con: duckdb.DuckDBPyConnection, key: str, step: str, *, position: int,
                    total: int | None, run_id: str, job_started_at: datetime) -> None:
    """Record progress; call inside the transaction that commits the work it describes."""
    con.execute(
        "INSERT OR REPLACE INTO run_checkpoints (job_key, step, position, total, run_id,"
        " job_started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [key, step, position, total, run_id, job_started_at, _now()],
    )


def unfinished_windows(con: duckdb.DuckDBPyConnection, flow: str, *,
                       newer_than_days: int) -> list[dict[str, Any]]:
    """Windows whose last run did not complete (interrupted, failed, source down), newest
    first: ``[{"since", "until", "categories"}]``. Older jobs are left alone: a window that
    failed for a month needs a person, not another automatic retry."""
    rows = con.execute(
        "SELECT parameters FROM ("
        "  SELECT parameters, status, row_number() OVER (PARTITION BY job_key"
        "         ORDER BY started_at DESC) AS newest, started_at"
        "  FROM runs WHERE flow = ? AND job_key IS NOT NULL AND status <> 'running')"
        " WHERE newest = 1 AND status <> 'completed'"
        "   AND started_at > now() - to_days(CAST(? AS INTEGER))"
        " ORDER BY started_at DESC",
        [flow, newer_than_days],
    ).fetchall()
    out = []
    for (raw,) in rows:
        p = json.loads(raw)
        out.append({"since": date.fromisoformat(p["since"]), "until": date.fromisoformat(p["until"]),
                    "categories": list(p["categories"])})
    return out
