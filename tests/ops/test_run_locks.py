"""One live run per window, and no orphaned Prefect server.

Real `paramtrack ingest` processes against the replay server: an arXiv request held by a
`timeout` fault keeps the first ingest busy (holding its window's lock, with Prefect's local API
server running) while the test acts on it. The lock rules themselves (live, dead, silent,
taken over) are checked on the store functions with a chosen clock and process table.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from paramtrack.core.errors import RunLockedError
from paramtrack.warehouse import Warehouse, runs_store

SINCE, UNTIL = "2013-12-01", "2014-06-30"
HOLD_S = 90  # how long the fault holds the first ingest's arXiv request


def _key() -> str:
    from paramtrack.core.settings import DEFAULT_CATEGORIES

    return runs_store.discover_window_key(
        date.fromisoformat(SINCE), date.fromisoformat(UNTIL), list(DEFAULT_CATEGORIES)
    )


# -- the rules ---------------------------------------------------------------------------------


def _lock(wh: Warehouse, *, pid: int, host: str | None = None, heartbeat_age_s: float = 0) -> None:
    now = datetime.now(UTC)
    with wh.write() as con:
        con.execute(
            "INSERT OR REPLACE INTO run_locks VALUES (?, 'run-of-another', ?, ?, ?, ?)",
            [
                _key(),
                pid,
                host or socket.gethostname(),
                now - timedelta(hours=1),
                now - timedelta(seconds=heartbeat_age_s),
            ],
        )


def test_a_live_lock_refuses_and_a_stale_one_is_taken_over(warehouse):
    other = os.getpid() + 1  # never this process; ``alive`` says whether it runs

    _lock(warehouse, pid=other, heartbeat_age_s=5)
    with warehouse.write() as con, pytest.raises(RunLockedError) as refused:
        runs_store.acquire_lock(con, _key(), "mine", alive=lambda pid: True, what="ingest")
    message = str(refused.value)
    assert message.startswith("another ingest of this window is running: run run-of-a")
    assert f"pid {other} on {socket.gethostname()}" in message and "\n" not in message

    with warehouse.write() as con:  # same host, process gone: taken over at once
        taken = runs_store.acquire_lock(con, _key(), "mine", alive=lambda pid: False)
    assert taken is not None and taken.run_id == "run-of-another"

    _lock(warehouse, pid=other, host="elsewhere", heartbeat_age_s=runs_store.LOCK_STALE_AFTER_S - 10)
    with warehouse.write() as con, pytest.raises(RunLockedError):  # another host, still beating
        runs_store.acquire_lock(con, _key(), "mine", alive=lambda pid: False)

    _lock(warehouse, pid=other, heartbeat_age_s=runs_store.LOCK_STALE_AFTER_S + 10)
    with warehouse.write() as con:  # alive pid (maybe reused) but silent for too long
        assert runs_store.acquire_lock(con, _key(), "mine", alive=lambda pid: True) is not None
        assert runs_store.heartbeat(con, _key(), "mine")
        assert not runs_store.heartbeat(con, _key(), "run-of-another")
        runs_store.release_lock(con, _key(), "mine")
        assert con.execute("SELECT count(*) FROM run_locks").fetchone() == (0,)


# -- real processes ----------------------------------------------------------------------------


@pytest.fixture()
def held_replay(corpus_dir):
    """The replay server with arXiv's API held for HOLD_S seconds per request."""
    from paramtrack.replay.server import ReplayServer

    with ReplayServer(corpus_dir, log_level="critical") as srv:
        srv.add_fault("/api/query", "timeout", times=None, delay=HOLD_S)
        yield srv


def _ingest(exe: str, db: Path, srv, **popen) -> list[str]:
    return [
        exe,
        "--db",
        str(db),
        "ingest",
        "--since",
        SINCE,
        "--until",
        UNTIL,
        "--arxiv-url",
        srv.arxiv_api_url,
        "--s2-url",
        srv.s2_api_url,
        "--arxiv-delay",
        "0",
        "--s2-interval",
        "0",
        "--pdf-delay",
        "0",
        "--no-bulk",
        "-q",
    ]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _is_server(pid: int) -> bool:
    """Prefect's ephemeral API server: ``python -m uvicorn ... prefect.server.api.server:...``."""
    return b"-m\x00uvicorn\x00" in _cmdline(pid)


def _arxiv_asked(srv) -> bool:
    return any(e["path"] == "/api/query" for e in srv.request_log)


@pytest.mark.slow
def test_a_second_ingest_of_a_live_window_refuses_in_one_line(tmp_path, paramtrack_exe, held_replay, wait_for):
    db = tmp_path / "w.duckdb"
    first = subprocess.Popen(
        _ingest(paramtrack_exe, db, held_replay),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for(lambda: _arxiv_asked(held_replay), 120, "the first ingest to ask arXiv")
        with Warehouse(db).read() as con:
            lock = con.execute("SELECT pid, host FROM run_locks").fetchall()
        assert lock == [(first.pid, socket.gethostname())]

        second = subprocess.run(
            _ingest(paramtrack_exe, db, held_replay), env=_env(), capture_output=True, text=True, timeout=120
        )
        assert second.returncode == 75, second.stdout + second.stderr  # EX_TEMPFAIL: try again later
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: another ingest of this window is running: run "), (
            second.stderr
        )
        assert f"pid {first.pid}" in lines[0] and "Traceback" not in second.stderr
        with Warehouse(db).read() as con:  # the second run never started: nothing to "resume"
            assert con.execute("SELECT count(*), min(status) FROM runs").fetchone() == (1, "running")

        held_replay.faults.clear()  # the held request times out and is retried: the first finishes
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, out[-2000:] + err[-2000:]
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    with Warehouse(db).read() as con:
        assert con.execute("SELECT status FROM runs").fetchall() == [("completed",)]
        assert con.execute("SELECT count(*) FROM run_locks").fetchone() == (0,)


@pytest.mark.slow
def test_kill_9_of_an_ingest_takes_its_prefect_server_with_it_and_the_next_run_takes_over(
    tmp_path, paramtrack_exe, held_replay, wait_for, child_pids, alive
):
    db = tmp_path / "w.duckdb"
    ingest = subprocess.Popen(
        _ingest(paramtrack_exe, db, held_replay),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    servers: list[int] = []
    try:
        wait_for(lambda: _arxiv_asked(held_replay), 120, "the ingest to ask arXiv")
        servers = [pid for pid in child_pids(ingest.pid) if _is_server(pid)]
        assert len(servers) == 1, "no ephemeral Prefect server found under the ingest"
        os.kill(ingest.pid, signal.SIGKILL)  # the main process only, not its group
        ingest.wait()
        wait_for(lambda: not alive(servers[0]), 30, "the orphaned Prefect server to stop")
    finally:
        if ingest.poll() is None:
            os.killpg(ingest.pid, signal.SIGKILL)
            ingest.wait()
        for pid in servers:  # a failed test must not leave its orphan behind either
            if alive(pid) and _is_server(pid):
                os.kill(pid, signal.SIGKILL)

    held_replay.faults.clear()
    again = subprocess.run(
        _ingest(paramtrack_exe, db, held_replay), env=_env(), capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr[-2000:]  # the dead run's lock is taken over
    with Warehouse(db).read() as con:
        assert [r[0] for r in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()] == [
            "interrupted",
            "completed",
        ]
