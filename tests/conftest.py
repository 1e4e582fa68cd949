"""Shared fixtures: the offline corpus, a fresh warehouse, an isolated Prefect home.

Per-area fixtures live beside their tests; only what several areas share is here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# Prefect reads its settings at import time: point it at a throwaway home before any test
# imports it, with analytics off (this machine has no internet).
os.environ.setdefault("PREFECT_HOME", str(REPO_ROOT / "data" / "prefect-tests"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared offline data folder (../shared/data); tests that need it skip without it."""
    from paramtrack.core.errors import CorpusNotFoundError
    from paramtrack.core.settings import find_corpus

    try:
        return find_corpus()
    except CorpusNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture()
def warehouse(tmp_path: Path):
    """A migrated, empty warehouse in a temporary folder."""
    from paramtrack.warehouse import Warehouse

    wh = Warehouse(tmp_path / "paramtrack.duckdb")
    wh.migrate()
    return wh


@pytest.fixture(scope="session")
def paramtrack_exe() -> str:
    """The installed console script, so CLI tests run exactly what a user runs."""
    exe = shutil.which("paramtrack") or str(Path(os.sys.executable).parent / "paramtrack")
    if not Path(exe).exists():
        pytest.fail("the 'paramtrack' console script is not installed (pip install -e .)")
    return exe


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for every flow test in the session (~20 s to start, once)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture()
def replay_server(corpus_dir):
    """The replay server on a free loopback port, with an empty fault plan."""
    from paramtrack.replay.server import ReplayServer

    with ReplayServer(corpus_dir) as server:
        yield server


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, corpus_dir, paramtrack_exe) -> Path:
    """A warehouse filled by one real `paramtrack demo` run (the README's main job).

    Session-scoped because the run takes about a minute; tests copy the file before changing it.
    """
    import subprocess

    work = tmp_path_factory.mktemp("demo")
    db = work / "data" / "paramtrack.duckdb"
    result = subprocess.run(
        [paramtrack_exe, "--db", str(db), "demo", "--corpus", str(corpus_dir)],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (work / "demo-output.txt").write_text(result.stdout + result.stderr)
    return db
