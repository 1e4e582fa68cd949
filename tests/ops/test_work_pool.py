"""`prefect.yaml` deployments on a process work pool: `prefect deploy` + `prefect worker start`.

The schedule `paramtrack serve` keeps lives only as long as that foreground process; these
deployments live on the Prefect server and a worker runs them. Tested as the README documents it:
the project's own `prefect.yaml` deployed with Prefect's CLI to a real server on loopback, a
process worker started with `PARAMTRACK_DB` in its environment, and each deployment triggered
through the API and run by the worker to Completed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from paramtrack.warehouse import Warehouse

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

PREFECT = str(Path(sys.executable).parent / "prefect")
FAST = {"arxiv_delay_seconds": 0.0, "s2_min_interval": 0.0, "pdf_delay_seconds": 0.0}


def _prefect(env: dict, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([PREFECT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def pool(tmp_path_factory, corpus_dir, cli, start_prefect_server, repo_root):
    """`prefect deploy --all` of the repo's prefect.yaml onto a process work pool of a real
    Prefect server, and a worker of that pool whose PARAMTRACK_DB names an Epoch-filled warehouse."""
    work = tmp_path_factory.mktemp("pool")
    db = work / "data" / "w.duckdb"
    imported = cli("--db", db, "import-epoch", corpus_dir / "epoch" / "pcd_notable_ml_systems_2022-09.csv")
    assert imported.exit_code == 0, imported.stderr
    with start_prefect_server(work / "server-home") as api:
        env = {**os.environ, "PREFECT_API_URL": api.url, "PREFECT_HOME": str(work / "client-home")}
        _prefect(env, repo_root, "work-pool", "create", "paramtrack", "--type", "process")
        _prefect(env, repo_root, "--no-prompt", "deploy", "--all")
        log = work / "worker.log"
        with open(log, "wb") as out:
            worker = subprocess.Popen(
                [PREFECT, "worker", "start", "--pool", "paramtrack"],
                cwd=work,
                env={**env, "PARAMTRACK_DB": str(db), "PREFECT_WORKER_QUERY_SECONDS": "2"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            yield api, db, log
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def test_prefect_deploy_registers_both_deployments_on_the_process_pool(pool, repo_root):
    api, _, _ = pool
    found = {d["name"]: d for d in httpx.post(f"{api.url}/deployments/filter", json={}, timeout=10).json()}
    assert set(found) >= {"weekly-ingest", "recompute-if-due"}
    for name, cron in (("weekly-ingest", "0 6 * * 1"), ("recompute-if-due", "0 * * * *")):
        assert found[name]["work_pool_name"] == "paramtrack"
        assert [s["schedule"]["cron"] for s in found[name]["schedules"]] == [cron]
        assert found[name]["schedules"][0]["schedule"]["timezone"] == "UTC"
    pull = found["weekly-ingest"]["pull_steps"]
    assert pull == [{"prefect.deployments.steps.set_working_directory": {"directory": str(repo_root)}}]


def test_the_worker_runs_both_deployments_to_completed(pool, replay_server):
    api, db, log = pool
    recompute = api.run_deployment("recompute-if-due", timeout=300)
    assert recompute["state_type"] == "COMPLETED", str(recompute["state"]) + log.read_text()[-3000:]
    assert (db.parent / "charts" / "trends.png").is_file()  # relative charts/: beside the warehouse

    weekly = api.run_deployment(
        "weekly-ingest",
        {**FAST, "arxiv_api_url": replay_server.arxiv_api_url, "s2_api_url": replay_server.s2_api_url},
        timeout=300,
    )
    assert weekly["state_type"] == "COMPLETED", str(weekly["state"]) + log.read_text()[-3000:]
    with Warehouse(db).read() as con:  # the worker's PARAMTRACK_DB is the warehouse written
        assert con.execute("SELECT flow, status FROM runs ORDER BY started_at").fetchall() == [
            ("recompute", "completed"),
            ("discover", "completed"),
        ]


def test_the_readme_server_commands_give_the_ui_its_api_on_any_port(pool):
    # `start_prefect_server` starts the server as the README says (PREFECT_API_URL exported
    # first), on a free port that is not 4200: the UI's settings point at that port.
    api, _, _ = pool
    root = api.url.removesuffix("/api")
    assert not root.endswith(":4200")
    ui = httpx.get(f"{root}/ui-settings", timeout=10)
    ui.raise_for_status()
    assert ui.json()["api_url"] == api.url


def test_without_the_export_the_ui_would_look_for_port_4200(tmp_path):
    # Why the README exports first: the API URL Prefect's UI is given when nothing is set.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_UI")}
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_HOME"] = str(tmp_path)
    shown = subprocess.run(
        [PREFECT, "config", "view", "--show-defaults"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "PREFECT_SERVER_UI_API_URL='http://127.0.0.1:4200/api'" in shown.stdout, shown.stdout[-2000:]
