"""Running paramtrack as an operator does: a real `prefect server` on loopback, deployments
triggered and read back through its REST API, ingests as processes that are killed and run
again, a webhook that receives failure notices, and the processes each of them leaves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest


def _wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
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


@pytest.fixture(scope="session")
def wait_for() -> Callable[[Callable[[], Any], float, str], Any]:
    """``wait_for(predicate, timeout, "what")``: poll until ``predicate`` returns something
    truthy and return it; fail the test naming ``what`` after ``timeout`` seconds (an HTTP or OS
    error while polling counts as not yet)."""
    return _wait_for


#: The states a flow run ends in.
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class PrefectApi:
    """A Prefect server's REST API at ``url``, driven as `prefect deployment run` and the UI do."""

    def __init__(self, url: str) -> None:
        self.url = url

    def deployment_id(self, name: str, timeout: float = 90) -> str:
        """The id of the deployment called ``name`` once it is registered."""

        def found() -> list[str]:
            r = httpx.post(f"{self.url}/deployments/filter", json={}, timeout=5)
            r.raise_for_status()
            return [d["id"] for d in r.json() if d["name"] == name]

        return _wait_for(found, timeout, f"the {name} deployment")[0]

    def trigger(self, deployment: str, parameters: dict | None = None) -> str:
        """Create a flow run of ``deployment`` now (as `prefect deployment run` does); its id.

        A 503 is retried: the server's SQLite database answers "database is locked" while the
        scheduler or a flow run writes to it (Prefect's own client retries it the same way)."""
        for attempt in range(10):
            r = httpx.post(
                f"{self.url}/deployments/{deployment}/create_flow_run",
                json={"parameters": parameters or {}},
                timeout=10,
            )
            if r.status_code != 503:
                break
            time.sleep(1 + attempt)
        r.raise_for_status()
        return r.json()["id"]

    def run_deployment(self, name: str, parameters: dict | None = None, timeout: float = 300) -> dict:
        """Trigger the deployment called ``name`` and wait for its flow run to end; the run."""
        return self.wait_final(self.trigger(self.deployment_id(name), parameters), timeout)

    def flow_run(self, flow_run_id: str) -> dict:
        r = httpx.get(f"{self.url}/flow_runs/{flow_run_id}", timeout=10)
        r.raise_for_status()
        return r.json()

    def wait_final(self, flow_run_id: str, timeout: float = 240) -> dict:
        """Poll the flow run until it reaches a final state; returns the flow run."""

        def final() -> dict | None:
            run = self.flow_run(flow_run_id)
            return run if run["state_type"] in FINAL_STATES else None

        return _wait_for(final, timeout, f"flow run {flow_run_id} to finish")

    def subflow_runs(self, flow_run_id: str) -> list[str]:
        """Ids of the flow run and of its subflow runs, all levels down."""
        ids, todo = [flow_run_id], [flow_run_id]
        while todo:
            r = httpx.post(
                f"{self.url}/flow_runs/filter",
                timeout=10,
                json={"flow_runs": {"parent_flow_run_id": {"any_": todo}}},
            )
            r.raise_for_status()
            todo = [run["id"] for run in r.json() if run["id"] not in ids]
            ids.extend(todo)
        return ids

    def flow_run_logs(self, flow_run_id: str) -> list[dict]:
        """Every log line Prefect stored for the flow run, its tasks and its subflows."""
        out: list[dict] = []
        runs = self.subflow_runs(flow_run_id)
        while True:
            r = httpx.post(
                f"{self.url}/logs/filter",
                timeout=10,
                json={
                    "logs": {"flow_run_id": {"any_": runs}},
                    "sort": "TIMESTAMP_ASC",
                    "offset": len(out),
                    "limit": 200,
                },
            )
            r.raise_for_status()
            page = r.json()
            out.extend(page)
            if len(page) < 200:
                return out

    def own_logs(self, flow_run_id: str) -> list[dict]:
        """The log lines of this flow run itself (not its subflows'), oldest first."""
        r = httpx.post(
            f"{self.url}/logs/filter",
            timeout=10,
            json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "sort": "TIMESTAMP_ASC", "limit": 200},
        )
        r.raise_for_status()
        return r.json()


@pytest.fixture(scope="session")
def start_prefect_server(free_port) -> Callable[[Path], AbstractContextManager[PrefectApi]]:
    """``with start_prefect_server(home) as api:`` runs `prefect server start` on a free loopback
    port with ``home`` as its PREFECT_HOME, and stops it afterwards.

    Started the way the README says: ``PREFECT_API_URL`` exported *before* the server starts,
    so the UI it serves talks to this port (Prefect's UI otherwise assumes port 4200)."""

    @contextmanager
    def running(home: Path) -> Iterator[PrefectApi]:
        port = free_port()
        api = f"http://127.0.0.1:{port}/api"
        env = {
            **os.environ,
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_API_URL": api,
        }
        prefect = str(Path(sys.executable).parent / "prefect")
        proc = subprocess.Popen(
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(
                lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200,
                120,
                "the Prefect server to become healthy",
            )
            yield PrefectApi(api)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()

    return running


@pytest.fixture(scope="module")
def prefect_api(start_prefect_server, tmp_path_factory) -> Iterator[PrefectApi]:
    """One real Prefect server for the module's tests (it takes 10-40 s to start)."""
    with start_prefect_server(tmp_path_factory.mktemp("prefect-home")) as api:
        yield api


def _child_pids(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="session")
def child_pids() -> Callable[[int], list[int]]:
    """``child_pids(pid)``: the live direct children of ``pid`` (from /proc)."""
    return _child_pids


@pytest.fixture(scope="session")
def alive() -> Callable[[int], bool]:
    """``alive(pid)``: whether ``pid`` exists and is not a zombie."""
    return _alive


class WebhookReceiver:
    """A loopback HTTP server that records the JSON bodies POSTed to it (a stand-in for a
    Slack incoming webhook); ``url`` to post to, ``received`` what came."""

    def __init__(self) -> None:
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

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/paramtrack"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def webhook_receiver() -> type[WebhookReceiver]:
    """``with webhook_receiver() as hooks:`` posts to ``hooks.url`` land in ``hooks.received``."""
    return WebhookReceiver


# -- an ingest as a process, killed and run again ----------------------------------------------------

#: A two-year window of the corpus: ~160 papers (two arXiv pages of 100), four PDFs. (No bulk
#: search: it would add older notable papers and their PDFs, time without another kill point.)
INGEST_WINDOW = ["--since", "2019-01-01", "--until", "2020-12-31"]


class Ingest:
    """`paramtrack ingest` of :data:`INGEST_WINDOW` into ``folder/w.duckdb`` against a replay
    server, as a process with a real Prefect server: run to its end, or killed at a point."""

    def __init__(self, exe: str, replay: Any, folder: Path, api: PrefectApi) -> None:
        self.command = [
            exe,
            "--db",
            str(folder / "w.duckdb"),
            "ingest",
            *INGEST_WINDOW,
            "--arxiv-url",
            replay.arxiv_api_url,
            "--s2-url",
            replay.s2_api_url,
            "--arxiv-delay",
            "0",
            "--s2-interval",
            "0",
            "--pdf-delay",
            "0",
            "--batch-size",
            "40",
            "--no-bulk",
            "--as-of",
            "2025-06-01",
        ]
        self.env = {
            **os.environ,
            "PREFECT_API_URL": api.url,
            "PREFECT_HOME": str(folder / "prefect"),
            "PYTHONUNBUFFERED": "1",
        }

    def run_to_end(self) -> str:
        """Run it to completion (asserting exit code 0); what it printed."""
        result = subprocess.run(self.command, env=self.env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        return result.stdout + result.stderr

    def kill_when(self, marker: str) -> list[str]:
        """Start it and SIGKILL its whole process group (as a reboot or the OOM killer would)
        once it prints ``marker``; the lines it printed."""
        import signal

        proc = subprocess.Popen(
            self.command,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        seen: list[str] = []
        try:
            for line in proc.stderr:  # type: ignore[union-attr]
                seen.append(line)
                if marker in line:
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
        finally:
            if proc.poll() is None and not any(marker in s for s in seen):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(60)
        assert any(marker in s for s in seen), f"never reached {marker!r}:\n{''.join(seen)[-3000:]}"
        assert proc.returncode == -signal.SIGKILL
        return seen


@pytest.fixture(scope="module")
def ingest(paramtrack_exe, prefect_api) -> Callable[[Any, Path], Ingest]:
    """``ingest(replay, folder)``: the ingest of one window as a process (see :class:`Ingest`)."""
    return lambda replay, folder: Ingest(paramtrack_exe, replay, folder, prefect_api)
