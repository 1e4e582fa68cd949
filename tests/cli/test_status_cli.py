"""`paramtrack status` on a real warehouse file: in this process (the ``cli`` fixture), and
through the installed entry point against a real Prefect API for the next scheduled run."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from paramtrack.reporting.digest import digest_name, render_digest
from paramtrack.warehouse import runs_store
from paramtrack.warehouse.status_store import run_report


@pytest.fixture()
def status(cli):
    """``status(db, "--json", api_url=...)``: `paramtrack --db DB status` in the warehouse's
    folder, with ``PREFECT_API_URL`` set to ``api_url`` (unset without it)."""

    def run(db: Path, *args: str, api_url: str | None = None):
        env = {"PREFECT_API_URL": api_url, "PREFECT_HOME": str(db.parent / "prefect-client")}
        return cli("--db", db, "status", *args, env=env, cwd=db.parent)

    return run


@pytest.fixture()
def ran(warehouse, tmp_path, seed_demo_queue):
    """A warehouse after one discover run that staged five papers, and that run's digest file."""
    with warehouse.write() as con:
        run_id = runs_store.start_run(con, "discover", {"since": "2026-11-23", "until": "2026-11-30"})
    seed_demo_queue(warehouse)
    with warehouse.write() as con:
        # seed_demo_queue inserts rows directly; the intake's upsert would stamp this.
        con.execute("UPDATE papers SET notable_since = now() WHERE status = 'notable'")
        runs_store.finish_run(
            con, run_id, status="completed", counts={"newly_notable": 5, "staged": 5, "extraction_errors": 0}
        )
    with warehouse.read() as con:
        report = run_report(con, run_id)
    digests = tmp_path / "digests"
    digests.mkdir()
    older = digests / "2026-11-23-discover-0000aaaa.md"
    older.write_text("# an older digest\n")
    os.utime(older, (1, 1))
    newest = digests / digest_name(report)
    newest.write_text(render_digest(report))
    return warehouse.path, run_id, newest


def test_status_prints_runs_queue_newest_digest_and_health(status, ran, repo_root):
    db, run_id, newest = ran
    result = status(db)

    assert result.exit_code == 0, result.stderr
    out = result.stdout
    row = next(line for line in out.splitlines() if " discover " in line)
    assert row.split()[3] == "completed"
    assert row.split()[-3:] == ["5", "5", "0"]  # notable, staged, errors
    assert "Review queue: 5 papers wait for a decision" in out
    assert f"Newest digest: {newest}" in out
    assert "Next scheduled run: nothing is scheduled (PREFECT_API_URL is not set)" in out
    assert "paramtrack serve" in out
    newest_migration = sorted(p.stem for p in (repo_root / "warehouse" / "schema").glob("*.sql"))[-1]
    assert f"schema {newest_migration}" in out
    assert out.rstrip().endswith("Health: ok")
    assert result.stderr == ""


def test_status_json_parses_for_scripts(status, ran):
    db, run_id, newest = ran
    result = status(db, "--json")

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["run_id"] for r in data["runs"]] == [run_id]
    assert data["runs"][0]["status"] == "completed" and data["runs"][0]["newly_notable"] == 5
    assert data["queue_size"] == 5
    assert data["newest_digest"] == str(newest)
    assert data["schedule"]["state"] == "unset" and data["schedule"]["next_run"] is None
    health = data["health"]
    assert health["ok"] is True and health["problems"] == []
    assert health["migrations"]["pending"] == []
    assert health["tables"]["runs"] == 1 and health["tables"]["review_items"] == 5
    assert health["size_bytes"] == db.stat().st_size
    assert 0 <= health["last_discover_age_days"] < 1


def test_an_unreachable_prefect_api_is_one_line_not_a_traceback(status, free_port, ran):
    db, _, _ = ran
    url = f"http://127.0.0.1:{free_port()}/api"
    result = status(db, api_url=url)

    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if "Prefect" in line]
    assert lines == [
        f"Next scheduled run: cannot reach the Prefect API at {url} (ConnectError: [Errno 111] Connection refused)"
    ]
    assert "Traceback" not in result.stdout + result.stderr
    data = json.loads(status(db, "--json", api_url=url).stdout)
    assert data["schedule"]["state"] == "unreachable"


def test_health_problems_are_listed_and_set_the_exit_code(status, ran):
    db, run_id, _ = ran
    long_ago = datetime.now(UTC) - timedelta(days=10)
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE runs SET started_at = ?, finished_at = ? WHERE run_id = ?",
        [long_ago - timedelta(minutes=5), long_ago, run_id],
    )
    con.execute(
        "INSERT INTO runs (run_id, flow, status, started_at) VALUES ('deadbeef-dead', 'discover', 'running', ?)",
        [long_ago + timedelta(days=1)],
    )
    con.execute("DELETE FROM _migrations WHERE name = '0007_extraction_keys'")
    con.close()

    result = status(db)

    assert result.exit_code == 1, result.stdout + result.stderr
    problems = result.stdout.split("Health: 3 problem(s)\n")[1].splitlines()
    assert problems[0].startswith("  - 1 migration(s) pending: 0007_extraction_keys")
    assert problems[1].startswith("  - run deadbeef (discover) still 'running' since")
    assert problems[2] == (
        "  - last completed discover run is 10 days old (more than 8): is the weekly schedule running?"
    )
    data = json.loads(status(db, "--json").stdout)
    assert data["health"]["ok"] is False and len(data["health"]["problems"]) == 3
    # status reports a pending migration; it does not apply it behind the user's back.
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM _migrations WHERE name = '0007_extraction_keys'").fetchone()[0] == 0
    con.close()


def test_a_missing_database_is_a_one_line_error(status, tmp_path):
    result = status(tmp_path / "nope.duckdb")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"Error: no database at {tmp_path / 'nope.duckdb'} (create one with 'paramtrack demo', "
        "'paramtrack ingest' or 'paramtrack import-epoch FILE', or pass the right one: paramtrack --db PATH COMMAND)"
    ]
    assert not (tmp_path / "nope.duckdb").exists()


@pytest.mark.prefect
@pytest.mark.slow
def test_status_shows_the_next_scheduled_weekly_run(prefect_harness, run_paramtrack, ran):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL
    from prefect.states import Scheduled

    from paramtrack.flows.schedule import weekly_deployment

    db, _, _ = ran
    api_url = PREFECT_API_URL.value()
    assert api_url

    def status(*args: str):  # a process of its own: it reads the API's address from its environment
        env = {"PREFECT_API_URL": api_url, "PREFECT_HOME": str(db.parent / "prefect-client")}
        return run_paramtrack("--db", db, "status", *args, env=env, cwd=db.parent)

    before = status()
    assert "Next scheduled run: the Prefect server has no deployment 'weekly-discover/weekly-ingest'" in before.stdout

    # A cron that fires on 1 January only, so the run created below is the next one.
    deployment_id = weekly_deployment(
        db_path=str(db),
        cron="0 6 1 1 *",
        window_days=7,
        arxiv_api_url="http://127.0.0.1:9/api/query",
        s2_api_url="http://127.0.0.1:9",
        pdf_cache_dir=None,
    ).apply()
    when = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    with get_client(sync_client=True) as client:
        client.create_flow_run_from_deployment(deployment_id, state=Scheduled(scheduled_time=when))

    result = status()
    assert result.exit_code == 0, result.stderr
    assert f"Next scheduled run: {when:%Y-%m-%d %H:%M} UTC (weekly-discover/weekly-ingest)" in result.stdout
    data = json.loads(status("--json").stdout)
    assert data["schedule"]["state"] == "scheduled"
    assert datetime.fromisoformat(data["schedule"]["next_run"]) == when
