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
from datetime import UTC, date, datetime
from typing import Any

import duckdb

#: Run statuses, in the order a run can reach them.
RUN_STATUSES = ("running", "completed", "failed", "interrupted", "source_down")


def _now() -> datetime:
    return datetime.now(UTC)


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


def mark_interrupted(con: duckdb.DuckDBPyConnection, *, alive: Callable[[int], bool] = _pid_alive) -> list[str]:
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


def start_run(
    con: duckdb.DuckDBPyConnection,
    flow: str,
    parameters: dict[str, Any],
    *,
    key: str | None = None,
    resumed_from: str | None = None,
    run_id: str | None = None,
) -> str:
    """Record a run as 'running' (with this process's pid and host, so a later run can tell a
    dead one from a live one) and return its id: ``run_id`` when the caller names it."""
    run_id = run_id or str(uuid.uuid4())
    con.execute(
        "INSERT INTO runs (run_id, flow, parameters, status, started_at, pid, host, job_key,"
        " resumed_from) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
        [
            run_id,
            flow,
            json.dumps(parameters, default=str),
            _now(),
            os.getpid(),
            socket.gethostname(),
            key,
            resumed_from,
        ],
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


def save_checkpoint(
    con: duckdb.DuckDBPyConnection,
    key: str,
    step: str,
    *,
    position: int,
    total: int | None,
    run_id: str,
    job_started_at: datetime,
) -> None:
    """Record progress; call inside the transaction that commits the work it describes."""
    con.execute(
        "INSERT OR REPLACE INTO run_checkpoints (job_key, step, position, total, run_id,"
        " job_started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [key, step, position, total, run_id, job_started_at, _now()],
    )


def unfinished_windows(con: duckdb.DuckDBPyConnection, flow: str, *, newer_than_days: int) -> list[dict[str, Any]]:
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
        out.append(
            {
                "since": date.fromisoformat(p["since"]),
                "until": date.fromisoformat(p["until"]),
                "categories": list(p["categories"]),
            }
        )
    return out


# -- one live run per job ------------------------------------------------------------------------
#
# Two ingests of one window at once would each commit batches and checkpoints over the other's,
# and the second would "resume" the live first (its row is 'running', its checkpoint unfinished).
# So a run holds a row in ``run_locks`` for its job while it works: pid and host say who, and a
# heartbeat (refreshed every LOCK_HEARTBEAT_S by the run) says it is still working. A second run
# refuses while the holder is live; a lock whose process is gone (same host) or whose heartbeat
# is older than LOCK_STALE_AFTER_S (another host, or a hung process) is taken over.

#: How often a live run refreshes its lock's heartbeat.
LOCK_HEARTBEAT_S = 30.0
#: A heartbeat older than this means the holder stopped working: its lock is taken over.
LOCK_STALE_AFTER_S = 300.0


def discover_window_key(since: date, until: date, categories: list[str] | tuple[str, ...]) -> str:
    """The job key of a discover run over a window (what ``runs.job_key`` and the lock hold)."""
    return job_key("discover", {"since": since, "until": until, "categories": sorted(categories)})


@dataclass(frozen=True)
class RunLock:
    job_key: str
    run_id: str
    pid: int
    host: str
    acquired_at: datetime
    heartbeat_at: datetime

    def describe(self, now: datetime | None = None) -> str:
        age = ((now or _now()) - self.heartbeat_at).total_seconds()
        return (
            f"run {self.run_id[:8]} (pid {self.pid} on {self.host}, started "
            f"{self.acquired_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC, last heartbeat "
            f"{max(0, round(age))} s ago)"
        )


def _lock_row(con: duckdb.DuckDBPyConnection, key: str) -> RunLock | None:
    row = con.execute(
        "SELECT job_key, run_id, pid, host, acquired_at, heartbeat_at FROM run_locks WHERE job_key = ?", [key]
    ).fetchone()
    return RunLock(*row) if row else None


def live_lock(
    con: duckdb.DuckDBPyConnection,
    key: str,
    *,
    now: datetime | None = None,
    alive: Callable[[int], bool] = _pid_alive,
    stale_after_s: float = LOCK_STALE_AFTER_S,
) -> RunLock | None:
    """The lock another *live* run holds on ``key``, or None (free, ours, or stale)."""
    lock = _lock_row(con, key)
    if lock is None:
        return None
    here = socket.gethostname()
    if lock.host == here and lock.pid == os.getpid():
        return None  # this process's own (an earlier run of it that did not get to release)
    if lock.host == here and not alive(lock.pid):
        return None  # its process is gone: killed, crashed, rebooted
    if ((now or _now()) - lock.heartbeat_at).total_seconds() > stale_after_s:
        return None  # silent too long: another host's dead run, or a hung or reused pid
    return lock


def check_lock(
    con: duckdb.DuckDBPyConnection,
    key: str,
    *,
    now: datetime | None = None,
    alive: Callable[[int], bool] = _pid_alive,
    stale_after_s: float = LOCK_STALE_AFTER_S,
    what: str = "run",
) -> None:
    """Raise :class:`~paramtrack.core.errors.RunLockedError` (one line) while a live run holds ``key``."""
    from paramtrack.core.errors import RunLockedError

    now = now or _now()
    held = live_lock(con, key, now=now, alive=alive, stale_after_s=stale_after_s)
    if held is not None:
        raise RunLockedError(
            f"another {what} of this window is running: {held.describe(now)}",
            hint="wait for it to finish; a run whose process is gone, or "
            f"silent for {stale_after_s / 60:g} min, is taken over",
        )


def acquire_lock(
    con: duckdb.DuckDBPyConnection,
    key: str,
    run_id: str,
    *,
    now: datetime | None = None,
    alive: Callable[[int], bool] = _pid_alive,
    stale_after_s: float = LOCK_STALE_AFTER_S,
    what: str = "run",
) -> RunLock | None:
    """Take ``key``'s lock for ``run_id`` (inside the transaction that starts the run, which a
    second process cannot interleave: DuckDB lets one process write the file at a time); returns
    the stale lock it took over, if any. Raises :class:`RunLockedError` while a live run holds it."""
    now = now or _now()
    check_lock(con, key, now=now, alive=alive, stale_after_s=stale_after_s, what=what)
    previous = _lock_row(con, key)
    con.execute(
        "INSERT OR REPLACE INTO run_locks (job_key, run_id, pid, host, acquired_at,"
        " heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)",
        [key, run_id, os.getpid(), socket.gethostname(), now, now],
    )
    return previous


def heartbeat(con: duckdb.DuckDBPyConnection, key: str, run_id: str) -> bool:
    """Refresh the lock's heartbeat; False when ``run_id`` no longer holds it (taken over)."""
    rows = con.execute(
        "UPDATE run_locks SET heartbeat_at = ? WHERE job_key = ? AND run_id = ? RETURNING run_id", [_now(), key, run_id]
    ).fetchall()
    return bool(rows)


def release_lock(con: duckdb.DuckDBPyConnection, key: str, run_id: str) -> None:
    """Drop the lock if ``run_id`` still holds it."""
    con.execute("DELETE FROM run_locks WHERE job_key = ? AND run_id = ?", [key, run_id])


def last_completed(
    con: duckdb.DuckDBPyConnection, flow: str, parameters: dict[str, Any] | None = None
) -> datetime | None:
    """Start of the last completed run of ``flow``; with ``parameters``, of the last one whose
    stored parameters include all of these (the same configuration)."""
    rows = con.execute(
        "SELECT parameters, started_at FROM runs WHERE flow = ? AND status = 'completed'", [flow]
    ).fetchall()
    starts = [started for stored, started in rows if parameters is None or _includes(stored, parameters)]
    return max(starts, default=None)


def _includes(stored: str | None, wanted: dict[str, Any]) -> bool:
    try:
        params = json.loads(stored or "{}")
    except ValueError:
        return False
    return isinstance(params, dict) and all(params.get(k) == v for k, v in wanted.items())
