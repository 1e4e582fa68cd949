"""Operators read what happened: a lock wait said once, Prefect's repeated tracebacks kept out
of terminals and run logs, and `status` saying whether a recompute is due and both schedules."""

from __future__ import annotations

import json
import logging

import pytest

from paramtrack.core.errors import SourceUnavailableError
from paramtrack.flows.runlog import TracebackOnce
from paramtrack.review_queue.service import ReviewService
from paramtrack.warehouse import Warehouse

PCD = "pcd_notable_ml_systems_2022-09.csv"


@pytest.mark.slow
def test_waiting_for_the_warehouse_lock_is_said_once(tmp_path, caplog, hold_write_lock):
    wh = Warehouse(tmp_path / "w.duckdb", lock_timeout_s=30)
    wh.migrate()
    holder = hold_write_lock(wh.path, 2.5)
    try:
        with caplog.at_level(logging.WARNING, logger="paramtrack.warehouse"), wh.write():
            pass
    finally:
        holder.wait(10)
    waits = [r.getMessage() for r in caplog.records if r.name == "paramtrack.warehouse"]
    assert len(waits) == 1, waits  # once, though the open was retried dozens of times
    assert waits[0].startswith(f"Waiting for the warehouse {wh.path}: PID {holder.pid}")


def _record(logger: logging.Logger, exc: BaseException) -> logging.LogRecord:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logger.addHandler(handler)
    try:
        try:
            raise exc
        except BaseException:
            logger.error("Task run failed with exception: %r", exc, exc_info=True)
    finally:
        logger.removeHandler(handler)
    return records[0]


def test_a_traceback_is_logged_once_and_never_for_an_explained_error():
    logger = logging.getLogger("test.engine")
    logger.propagate = False
    once = TracebackOnce()
    logger.addFilter(once)
    try:
        refused = SourceUnavailableError("arXiv API at http://127.0.0.1:9/api/query refused the connection")
        line = _record(logger, refused)
        assert line.exc_info is None and "refused the connection" in line.getMessage()  # one line, no traceback

        bug = KeyError("candidate_id")
        first = _record(logger, bug)  # the task run's record: the traceback, once
        assert first.exc_info is not None
        again = _record(logger, bug)  # the subflow's record of the same exception
        assert again.exc_info is None and "candidate_id" in again.getMessage()
        try:
            try:
                raise bug
            except KeyError as inner:
                raise RuntimeError("flow failed") from inner
        except RuntimeError as wrapped:
            parent = _record(logger, wrapped)  # the parent's record: raised from the same bug
        assert parent.exc_info is None
        assert _record(logger, ValueError("another bug")).exc_info is not None  # a new one shows
    finally:
        logger.removeFilter(once)


def test_the_engine_loggers_carry_the_filter():
    from paramtrack.flows import runlog

    runlog.install()  # what every flow does when it starts

    for name in ("prefect.flow_runs", "prefect.task_runs"):
        assert any(isinstance(f, TracebackOnce) for f in logging.getLogger(name).filters), name


@pytest.fixture()
def epoch_db(tmp_path, corpus_dir, cli):
    db = tmp_path / "w.duckdb"
    assert cli("--db", str(db), "import-epoch", str(corpus_dir / "epoch" / PCD)).exit_code == 0
    return db


def _status(cli, db) -> dict:
    result = cli("--db", str(db), "status", "--json")
    return json.loads(result.stdout)


def test_status_says_whether_a_recompute_is_due_and_shows_both_schedules(
    epoch_db, cli, seed_paper, candidate, monkeypatch
):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)  # no schedules to read: both "unset"
    report = _status(cli, epoch_db)
    assert report["recompute"]["due"] is True and report["recompute"]["message"].startswith("due: the dataset")
    assert [(s["name"], s["deployment"]) for s in report["schedules"]] == [
        ("weekly ingest", "weekly-discover/weekly-ingest"),
        ("hourly recompute", "recompute/recompute-if-due"),
    ]
    assert all(s["state"] == "unset" for s in report["schedules"])

    assert cli("--db", str(epoch_db), "recompute", "--no-charts").exit_code == 0  # the default settings
    report = _status(cli, epoch_db)
    assert report["recompute"]["due"] is False and "nothing changed" in report["recompute"]["message"]

    wh = Warehouse(epoch_db)
    seed_paper(wh, "2401.99002", "Approved Later", [candidate(13e9, model="Later-13B", evidence="A 13B model.")])
    ReviewService(wh).decide("2401.99002", reviewer="alice", action="approve", expected_version=0)
    report = _status(cli, epoch_db)
    assert report["recompute"]["due"] is True

    text = cli("--db", str(epoch_db), "status").stdout
    assert "Recompute: due: the dataset changed at" in text


def test_the_frames_of_a_logged_failure_let_go_of_what_they_held():
    """Prefect keeps a failed run's exception until the process exits; its frames must not keep a
    DuckDB connection alive that long (DuckDB reports it at exit as "nanobind: leaked ...")."""
    import gc
    import weakref

    class Connection:
        pass

    refs = []

    def work() -> None:
        con = Connection()
        refs.append(weakref.ref(con))
        raise RuntimeError("the run failed while holding a connection")

    logger = logging.getLogger("test.engine.frames")
    logger.propagate = False
    logger.addFilter(TracebackOnce())
    try:
        work()
    except RuntimeError as exc:
        kept = exc  # what Prefect's Failed state does with it
        logger.error("Encountered exception during execution: %r", exc, exc_info=True)
    gc.collect()
    assert refs[0]() is None and kept.__traceback__ is not None


@pytest.mark.parametrize("installed", [False, True])
def test_duckdbs_leak_report_stays_off_stderr_at_exit(tmp_path, installed):
    """A daemon thread alive at exit (Prefect's workers) makes DuckDB print ~40 'nanobind:
    leaked ...' lines; paramtrack's processes filter them out, and only them."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import sys, threading, time
        if {installed!r}:
            from paramtrack.core import exit_noise
            exit_noise.install()  # what the CLI does at start, and every flow through runlog.install()
        import duckdb
        con = duckdb.connect({str(tmp_path / "w.duckdb")!r})
        con.execute("SELECT 1").fetchall()
        con.close()
        threading.Thread(target=lambda: time.sleep(60), daemon=True).start()
        print("a real error line", file=sys.stderr)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "a real error line" in result.stderr
    assert ("nanobind" in result.stderr) is not installed, result.stderr[-500:]
