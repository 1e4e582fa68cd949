"""Both scheduled deployments run on a real Prefect server, as `paramtrack serve` registers them.

`test_schedule.py` checks that `serve` registers the deployments; these tests make them *run*:
each is triggered through Prefect's REST API (what `prefect deployment run` and the cron
scheduler do: a flow run the serving process picks up and executes in a fresh process that
loads the flow by its entrypoint) and must reach Completed. The weekly ingest reads the replay
server; the hourly recompute refits after an approval and does nothing when nothing is due.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from paramtrack.warehouse import Warehouse

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

PCD = "pcd_notable_ml_systems_2022-09.csv"
#: The replay server needs no politeness: the deployment's live pacing defaults, turned off.
FAST = {"arxiv_delay_seconds": 0.0, "s2_min_interval": 0.0, "pdf_delay_seconds": 0.0}


class Served:
    """What `paramtrack serve` runs against: the Prefect API, the warehouse, the replay server,
    the serving process and its log, and the webhook its failure notices go to."""

    def __init__(self, api, db: Path, replay, proc: subprocess.Popen, log: Path, hooks) -> None:
        self.api, self.db, self.replay, self.proc, self.log = api, db, replay, proc, log
        self.hooks = hooks

    def notifications(self, flow_run_id: str) -> list[dict]:
        return [h["json"] for h in self.hooks.received if h["json"]["flow_run_id"] == flow_run_id]

    def runs(self, flow: str) -> list[tuple]:
        with Warehouse(self.db).read() as con:
            return con.execute("SELECT status, error FROM runs WHERE flow = ? ORDER BY started_at", [flow]).fetchall()

    def run(self, deployment: str, parameters: dict | None = None, timeout: float = 300) -> dict:
        return self.api.run_deployment(deployment, parameters, timeout)


@pytest.fixture(scope="module")
def served(tmp_path_factory, corpus_dir, paramtrack_exe, cli, start_prefect_server, webhook_receiver):
    """A Prefect server, the replay server, a warehouse with Epoch's 2022 file imported, and
    `paramtrack serve` registering and executing both deployments."""
    from paramtrack.replay.server import ReplayServer

    work = tmp_path_factory.mktemp("served")
    db = work / "data" / "w.duckdb"
    imported = cli("--db", db, "import-epoch", corpus_dir / "epoch" / PCD)
    assert imported.exit_code == 0, imported.stderr
    with (
        start_prefect_server(work / "server-home") as api,
        ReplayServer(corpus_dir, log_level="critical") as replay,
        webhook_receiver() as hooks,
    ):
        env = {
            **os.environ,
            "PREFECT_API_URL": api.url,
            "PREFECT_HOME": str(work / "client-home"),
            "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        }
        log = work / "serve.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [
                    paramtrack_exe,
                    "--db",
                    str(db),
                    "serve",
                    "--arxiv-url",
                    replay.arxiv_api_url,
                    "--s2-url",
                    replay.s2_api_url,
                    "--notify-url",
                    hooks.url,
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            yield Served(api, db, replay, proc, log, hooks)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _message(run: dict) -> str:
    return f"{run['state_type']}: {(run.get('state') or {}).get('message')}"


def test_the_weekly_ingest_deployment_runs_to_completed(served, wait_for):
    run = served.run("weekly-ingest", FAST)

    assert run["state_type"] == "COMPLETED", _message(run) + "\n" + served.log.read_text()[-3000:]
    assert served.runs("discover") == [("completed", None)]
    # The run's progress lines are in Prefect, read back through its API: the flow's own and
    # its tasks' (a line logged inside a task carries the task run's id).
    logs = wait_for(
        lambda: [line for line in served.api.flow_run_logs(run["id"]) if line["name"].startswith("paramtrack.")],
        30,
        "the run's logs",
    )
    lines = [line["message"] for line in logs]
    assert any(m.startswith("arXiv: ") and "papers submitted" in m for m in lines), lines
    assert any(m.startswith("Warehouse: ") for m in lines), lines
    assert any(line["task_run_id"] and line["name"].startswith("paramtrack.") for line in logs), logs
    # The weekly (parent) run's own log is not empty: its first line is the run's summary.
    first = wait_for(lambda: served.api.own_logs(run["id"]), 30, "the parent run's own log")[0]["message"]
    assert first.startswith("Weekly run completed: ") and "papers read" in first and "staged for review" in first


def test_the_recompute_deployment_refits_after_an_approval_and_does_nothing_when_nothing_is_due(
    served, wait_for, seed_paper, candidate
):
    from paramtrack.review_queue.service import ReviewService

    first = served.run("recompute-if-due")  # the Epoch import made a recompute due
    assert first["state_type"] == "COMPLETED", _message(first) + "\n" + served.log.read_text()[-3000:]
    assert served.runs("recompute") == [("completed", None)]
    assert (served.db.parent / "charts" / "trends.png").is_file()

    idle = served.run("recompute-if-due")
    assert idle["state_type"] == "COMPLETED", _message(idle)
    assert served.runs("recompute") == [("completed", None)]  # nothing due: no refit
    wait_for(
        lambda: any("not due" in line["message"] for line in served.api.flow_run_logs(idle["id"])),
        30,
        "the idle run's 'not due' line in Prefect's logs",
    )

    wh = Warehouse(served.db)
    seed_paper(
        wh,
        "2401.99001",
        "A Model Approved Between Two Runs",
        [candidate(13e9, model="Approved-13B", evidence="We train a 13B model.", page=1)],
        published=__import__("datetime").date(2024, 1, 15),
    )
    ReviewService(wh).decide("2401.99001", reviewer="alice", action="approve")

    after = served.run("recompute-if-due")
    assert after["state_type"] == "COMPLETED", _message(after)
    assert served.runs("recompute") == [("completed", None), ("completed", None)]
    with wh.read() as con:
        assert con.execute("SELECT count(*) FROM curated_models WHERE system = 'Approved-13B'").fetchone()[0] == 1


@pytest.fixture()
def status(run_paramtrack, served):
    """`paramtrack status --json` (or, with ``as_json=False``, the text) as a process of its own:
    it reads the serving Prefect API's address from its environment."""

    def run(*, as_json: bool = True):
        args = ["--json"] if as_json else []
        return run_paramtrack("--db", served.db, "status", *args, env={"PREFECT_API_URL": served.api.url})

    return run


def test_a_failed_scheduled_run_is_a_health_problem_and_the_next_digest_lists_it(served, status, wait_for, free_port):
    import json

    nobody = f"http://127.0.0.1:{free_port()}/api/query"  # refuses connections: arXiv is down
    failed = served.run("weekly-ingest", {**FAST, "arxiv_api_url": nobody})
    assert failed["state_type"] == "FAILED", _message(failed)
    # The failure hook posted it to the webhook `serve --notify-url` names.
    posted = wait_for(lambda: served.notifications(failed["id"]), 30, "the failure notification")
    assert posted[0]["state"] == "Failed" and posted[0]["flow"] == "weekly-discover"
    assert posted[0]["text"].startswith(
        f"paramtrack: scheduled run '{failed['name']}' of weekly-discover ended Failed: "
    )
    assert "refused the connection" in posted[0]["message"]

    shown = status()
    assert shown.exit_code == 1, shown.stdout + shown.stderr
    report = json.loads(shown.stdout)
    weekly = [r for r in report["scheduled_runs"] if r["deployment"] == "weekly-discover/weekly-ingest"]
    assert weekly[0]["state"] == "FAILED" and weekly[0]["flow_run_id"] == failed["id"]
    problem = [p for p in report["health"]["problems"] if "weekly-discover/weekly-ingest" in p]
    assert problem and "Failed" in problem[0] and "refused the connection" in problem[0], problem

    ok = served.run("weekly-ingest", FAST)
    assert ok["state_type"] == "COMPLETED", _message(ok)
    assert served.notifications(ok["id"]) == []  # only failures are posted
    digests = sorted((served.db.parent / "digests").glob("*.md"), key=lambda p: p.stat().st_mtime)
    newest = digests[-1].read_text()
    assert "## Scheduled runs that failed (1)" in newest, newest
    assert failed["name"] in newest and "refused the connection" in newest
    after = json.loads(status().stdout)
    assert not [p for p in after["health"]["problems"] if "weekly-discover/weekly-ingest" in p]


def test_a_failed_weekly_run_says_why_in_its_first_log_line_and_its_subflow_is_not_completed(served, wait_for):
    """A real cause that fails the discover subflow itself: another live ingest holds this
    week's window (the run-lock of a process that is alive). Read back from Prefect's API."""
    import socket
    from datetime import UTC, datetime, timedelta

    from paramtrack.core.settings import DEFAULT_CATEGORIES
    from paramtrack.warehouse import runs_store

    until = datetime.now(UTC).date()
    key = runs_store.discover_window_key(until - timedelta(days=7), until, list(DEFAULT_CATEGORIES))
    with Warehouse(served.db).write() as con:
        con.execute(
            "INSERT INTO run_locks (job_key, run_id, pid, host, acquired_at, heartbeat_at)"
            " VALUES (?, 'another-ingest', ?, ?, now(), now())",
            [key, os.getpid(), socket.gethostname()],  # this test process: alive
        )
    try:
        failed = served.run("weekly-ingest", FAST)
    finally:
        with Warehouse(served.db).write() as con:
            con.execute("DELETE FROM run_locks WHERE run_id = 'another-ingest'")
    assert failed["state_type"] == "FAILED", _message(failed)
    assert "another ingest of this window is running" in failed["state"]["message"]

    logs = wait_for(lambda: served.api.own_logs(failed["id"]), 30, "the parent run's own log")
    first = logs[0]["message"]
    assert first.startswith(f"Weekly run failed: {until - timedelta(days=7)}..{until}: another ingest of this window")
    assert "\n" not in first and "Traceback" not in first
    assert not [line for line in logs if "Traceback" in line["message"]]  # the engine added none
    subflows = [served.api.flow_run(i) for i in served.api.subflow_runs(failed["id"]) if i != failed["id"]]
    assert [(r["name"] != failed["name"], r["state_type"]) for r in subflows] == [(True, "FAILED")]
    # the serving terminal: one traceback at most per failure, and no library noise
    served_log = served.log.read_text()
    assert "Traceback" not in served_log  # this failure and the refused connection's before it
    assert "nanobind" not in served_log and "leaked" not in served_log
    assert "Unexpected result for failed state" not in served_log


def test_status_shows_both_schedules(served, status):
    import json

    report = json.loads(status().stdout)
    assert [(s["deployment"], s["state"]) for s in report["schedules"]] == [
        ("weekly-discover/weekly-ingest", "scheduled"),
        ("recompute/recompute-if-due", "scheduled"),
    ]
    text = status(as_json=False).stdout
    assert "Next scheduled recompute: " in text and "(recompute/recompute-if-due)" in text
    assert "Recompute: " in text


def test_a_crashed_scheduled_run_makes_status_exit_1_with_its_message(served, status, wait_for, child_pids):
    # A weekly run whose arXiv request hangs, killed with SIGKILL mid-run: the serving process
    # reports it to Prefect as Crashed, as it would after an OOM kill or a reboot.
    served.replay.add_fault("/api/query", "timeout", times=None, delay=60)
    try:
        run_id = served.api.trigger(served.api.deployment_id("weekly-ingest"), FAST)
        child = wait_for(lambda: child_pids(served.proc.pid), 120, "the flow run's process")
        wait_for(
            lambda: httpx.get(f"{served.api.url}/flow_runs/{run_id}", timeout=5).json()["state_type"] == "RUNNING",
            120,
            "the flow run to start",
        )
        for pid in child:
            os.kill(pid, signal.SIGKILL)
        crashed = served.api.wait_final(run_id, 120)
    finally:
        served.replay.faults.clear()
    assert crashed["state_type"] == "CRASHED", _message(crashed)
    posted = wait_for(lambda: served.notifications(run_id), 60, "the crash notification")
    assert posted[0]["state"] == "Crashed"

    shown = status()
    assert shown.exit_code == 1, shown.stdout + shown.stderr
    import json

    problems = json.loads(shown.stdout)["health"]["problems"]
    assert any("weekly-discover/weekly-ingest" in p and "Crashed" in p and crashed["name"] in p for p in problems), (
        problems
    )
