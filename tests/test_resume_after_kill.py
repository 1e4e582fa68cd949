"""`kill -9` at any point of an ingest, then the same command again: the warehouse ends exactly
as a clean run leaves it (no duplicates, no gaps), compared table by table.

Each ingest is a real `paramtrack ingest` process against the replay server, with a real Prefect
server on loopback. The process group is killed (SIGKILL, as a reboot or the OOM killer would)
when the ingest prints the progress line of the point under test.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from support_processes import prefect_server as running_prefect_server

from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.snapshot import content_snapshot, diff_snapshots

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

#: A two-year window of the corpus: ~160 papers (two arXiv pages of 100), four PDFs. (No bulk
#: search: it would add older notable papers and their PDFs, time without another kill point.)
WINDOW = ["--since", "2019-01-01", "--until", "2020-12-31"]


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory):
    with running_prefect_server(tmp_path_factory.mktemp("prefect-home")) as api:
        yield api


@pytest.fixture(scope="module")
def replay(corpus_dir):
    from paramtrack.replay.server import ReplayServer

    with ReplayServer(corpus_dir) as server:
        yield server


def _command(exe: str, replay, folder: Path) -> list[str]:
    return [
        exe,
        "--db",
        str(folder / "w.duckdb"),
        "ingest",
        *WINDOW,
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


def _env(prefect_api: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "PREFECT_HOME": str(folder / "prefect"),
        "PYTHONUNBUFFERED": "1",
    }


def _run_to_end(cmd: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def _kill_when(cmd: list[str], env: dict[str, str], marker: str) -> list[str]:
    """Start the ingest and SIGKILL its whole process group once it prints ``marker``."""
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
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


def _content(db: Path) -> dict:
    """Every table but the run ledger (a killed run legitimately leaves one more ``runs`` row)."""
    with Warehouse(db).read() as con:
        return content_snapshot(con)


def _runs(db: Path) -> list[tuple]:
    with Warehouse(db).read() as con:
        return con.execute(
            "SELECT status, resumed_from IS NOT NULL, counts->>'polled' FROM runs ORDER BY started_at"
        ).fetchall()


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, paramtrack_exe, replay, prefect_api) -> tuple[dict, int]:
    """The warehouse a run that nobody kills leaves, and how many records the window holds."""
    folder = tmp_path_factory.mktemp("clean")
    output = _run_to_end(_command(paramtrack_exe, replay, folder), _env(prefect_api, folder))
    assert "staged for review: 0" not in output  # the window does reach extraction
    content = _content(folder / "w.duckdb")
    assert len(content["papers"]) > 50 and len(content["extractions"]) >= 2
    ((_, _, polled),) = _runs(folder / "w.duckdb")
    assert int(polled) > 100  # more than one arXiv page: a kill can land between pages
    return content, int(polled)


@pytest.mark.parametrize(
    "marker",
    [
        "Stored 80/",  # mid-window: two batches committed, the rest of the listing not read
        "Warehouse:",  # window and watchlist stored; no PDF downloaded yet
        "Extracted 2/",  # PDFs cached, extraction half done
    ],
)
def test_kill_9_then_rerun_equals_a_clean_run(marker, clean_run, tmp_path, paramtrack_exe, replay, prefect_api):
    cmd, env = _command(paramtrack_exe, replay, tmp_path), _env(prefect_api, tmp_path)
    _kill_when(cmd, env, marker)
    output = _run_to_end(cmd, env)

    clean, window_size = clean_run
    diff = diff_snapshots(clean, _content(tmp_path / "w.duckdb"))
    assert diff == [], "\n".join(diff[:40])
    runs = _runs(tmp_path / "w.duckdb")
    assert [status for status, *_ in runs] == ["interrupted", "completed"]
    if marker == "Stored 80/":
        # The second run took over the first one's checkpoint instead of re-reading the window.
        assert runs[1][1] is True and "resumed run" in output
        assert int(runs[1][2]) == window_size - 80
