"""`paramtrack serve` registers the weekly ingest with a real Prefect server on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


@contextmanager
def _serving(paramtrack_exe: str, api_url: str, tmp_path: Path, *args: str):
    """`paramtrack serve ARGS` against the test's Prefect server, stopped with SIGTERM after."""
    env = {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_HOME": str(tmp_path / "client-home")}
    serve = subprocess.Popen(
        [paramtrack_exe, "--db", str(tmp_path / "w.duckdb"), "serve", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield serve
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(20)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()


def test_serve_creates_the_weekly_deployment_with_its_cron_schedule(prefect_api, tmp_path, paramtrack_exe, wait_for):
    with _serving(paramtrack_exe, prefect_api.url, tmp_path):

        def deployment():
            r = httpx.post(f"{prefect_api.url}/deployments/filter", json={}, timeout=5)
            r.raise_for_status()
            return [d for d in r.json() if d["name"] == "weekly-ingest"]

        found = wait_for(deployment, 90, "the weekly-ingest deployment")
        schedules = found[0]["schedules"]
        assert [s["schedule"]["cron"] for s in schedules] == ["0 6 * * 1"]
        assert schedules[0]["schedule"]["timezone"] == "UTC"
        assert schedules[0]["active"] is True
        assert found[0]["parameters"]["window_days"] == 7
        recompute = wait_for(
            lambda: [
                d
                for d in httpx.post(f"{prefect_api.url}/deployments/filter", json={}, timeout=5).json()
                if d["name"] == "recompute-if-due"
            ],
            30,
            "the recompute-if-due deployment",
        )
        assert recompute[0]["parameters"]["if_due"] is True
        assert [s["schedule"]["cron"] for s in recompute[0]["schedules"]] == ["0 * * * *"]


def test_serve_passes_its_options_into_the_deployment_parameters(prefect_api, tmp_path, paramtrack_exe, wait_for):
    with _serving(
        paramtrack_exe,
        prefect_api.url,
        tmp_path,
        "--cron",
        "30 5 * * 2",
        "--window-days",
        "14",
        "--category",
        "cs.CL",
        "-c",
        "cs.LG",
        "--rule",
        "6:20,24:100",
    ):

        def deployment():
            r = httpx.post(f"{prefect_api.url}/deployments/filter", json={}, timeout=5)
            r.raise_for_status()
            return [d for d in r.json() if d["name"] == "weekly-ingest" and d["parameters"].get("window_days") == 14]

        found = wait_for(deployment, 90, "the weekly-ingest deployment with the new options")
        params = found[0]["parameters"]
        assert params["categories"] == ["cs.CL", "cs.LG"]
        assert params["rule"] == "6:20,24:100"
        assert [s["schedule"]["cron"] for s in found[0]["schedules"]] == ["30 5 * * 2"]
