"""Helpers for tests that run real processes: free ports, polling, a Prefect server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except (httpx.HTTPError, OSError) as exc:
            last = exc
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what} ({last})")


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """`prefect server start` on a free loopback port; yields its API URL.

    Started the way the README says: ``PREFECT_API_URL`` exported *before* the server starts,
    so the UI it serves talks to this port (Prefect's UI otherwise assumes port 4200)."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_API_URL": api}
    prefect = str(Path(sys.executable).parent / "prefect")
    proc = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200,
            120,
            "the Prefect server to become healthy",
        )
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- driving a real Prefect server through its REST API ----------------------------------------

FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def deployment_id(api: str, name: str, timeout: float = 90) -> str:
    """The id of the deployment called ``name`` once it is registered."""

    def found():
        r = httpx.post(f"{api}/deployments/filter", json={}, timeout=5)
        r.raise_for_status()
        return [d["id"] for d in r.json() if d["name"] == name]

    return wait_for(found, timeout, f"the {name} deployment")[0]


def trigger(api: str, deployment: str, parameters: dict | None = None) -> str:
    """Create a flow run of ``deployment`` now (as ``prefect deployment run`` does); its id.

    A 503 is retried: the server's SQLite database answers "database is locked" while the
    scheduler or a flow run writes to it (Prefect's own client retries it the same way)."""
    for attempt in range(10):
        r = httpx.post(
            f"{api}/deployments/{deployment}/create_flow_run", json={"parameters": parameters or {}}, timeout=10
        )
        if r.status_code != 503:
            break
        time.sleep(1 + attempt)
    r.raise_for_status()
    return r.json()["id"]


def wait_final(api: str, flow_run_id: str, timeout: float = 240) -> dict:
    """Poll the flow run until it reaches a final state; returns the flow run."""

    def final():
        r = httpx.get(f"{api}/flow_runs/{flow_run_id}", timeout=5)
        r.raise_for_status()
        run = r.json()
        return run if run["state_type"] in FINAL_STATES else None

    return wait_for(final, timeout, f"flow run {flow_run_id} to finish")


def subflow_runs(api: str, flow_run_id: str) -> list[str]:
    """Ids of the flow run and of its subflow runs, all levels down."""
    ids, todo = [flow_run_id], [flow_run_id]
    while todo:
        r = httpx.post(
            f"{api}/flow_runs/filter", timeout=10, json={"flow_runs": {"parent_flow_run_id": {"any_": todo}}}
        )
        r.raise_for_status()
        todo = [run["id"] for run in r.json() if run["id"] not in ids]
        ids.extend(todo)
    return ids


def flow_run_logs(api: str, flow_run_id: str) -> list[dict]:
    """Every log line Prefect stored for the flow run, its tasks and its subflows."""
    out: list[dict] = []
    runs = subflow_runs(api, flow_run_id)
    while True:
        r = httpx.post(
            f"{api}/logs/filter",
            timeout=10,
            json={"logs": {"flow_run_id": {"any_": runs}}, "sort": "TIMESTAMP_ASC", "offset": len(out), "limit": 200},
        )
        r.raise_for_status()
        page = r.json()
        out.extend(page)
        if len(page) < 200:
            return out


def own_logs(api: str, flow_run_id: str) -> list[dict]:
    """The log lines of this flow run itself (not its subflows'), oldest first."""
    r = httpx.post(
        f"{api}/logs/filter",
        timeout=10,
        json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "sort": "TIMESTAMP_ASC", "limit": 200},
    )
    r.raise_for_status()
    return r.json()


def flow_run(api: str, flow_run_id: str) -> dict:
    r = httpx.get(f"{api}/flow_runs/{flow_run_id}", timeout=10)
    r.raise_for_status()
    return r.json()


def child_pids(pid: int) -> list[int]:
    """Pids of the live direct children of ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class WebhookReceiver:
    """A loopback HTTP server that records the JSON bodies POSTed to it (a stand-in for a
    Slack incoming webhook); ``url`` to post to, ``received`` what came."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                received.append(
                    {
                        "path": self.path,
                        "json": json.loads(body or b"null"),
                        "user_agent": self.headers.get("user-agent"),
                    }
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/paramtrack"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
