"""No decision is lost while a real ingest flow writes the same DuckDB file.

The review server (one process) takes 100 approvals over HTTP while `paramtrack ingest` (another
process: Prefect, the replay server over loopback, PDF downloads, extraction, staging) writes to
the same file. DuckDB lets one process at a time hold the file, so both sides open, write and
close in short transactions and retry on the lock; every decision must land exactly once and the
ingest must complete.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import duckdb
import httpx
import pytest

from paramtrack.warehouse.review_store import stage_paper

pytestmark = [pytest.mark.slow, pytest.mark.prefect]

N = 100


def _ingest_has_started(db) -> bool:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.IOException:
        return True  # someone holds the file: the ingest is writing
    try:
        return con.execute("SELECT count(*) FROM runs WHERE flow = 'discover'").fetchone()[0] > 0
    finally:
        con.close()


@pytest.fixture()
def replay_process(paramtrack_exe, corpus_dir, tmp_path, free_port):
    """The replay server in its own process, so this test's 4 busy client threads cannot starve it."""
    port = free_port()
    log = open(tmp_path / "replay.log", "wb")
    proc = subprocess.Popen(
        [paramtrack_exe, "replay-server", "--port", str(port), "--corpus", str(corpus_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/_replay/status", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "replay.log").read_text()
        time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(10)
    log.close()


def test_no_decision_is_lost_while_a_real_ingest_flow_writes(
    warehouse,
    replay_process,
    tmp_path,
    paramtrack_exe,
    add_paper,
    add_extraction,
    candidate,
    review_server_process,
    csrf_client,
):
    ids = [f"2402.{i:05d}" for i in range(N)]  # not in the corpus: the ingest never touches them
    with warehouse.write() as con:
        for i, aid in enumerate(ids):
            add_paper(con, aid, f"Paper {i}", citations=i)
            add_extraction(con, aid, [candidate(1e9 + i, model=f"M{i}", evidence=f"M{i} has {i}B parameters")])
            stage_paper(con, aid)
        # The ingest downloads every notable paper's PDF it lacks: point these at the replay
        # server (which answers 404 for them, a permanent miss), never at the live arxiv.org.
        con.execute(
            "UPDATE papers SET pdf_url = ? || '/pdf/' || arxiv_id || 'v1' WHERE arxiv_id LIKE '2402.00%'",
            [replay_process],
        )

    log = open(tmp_path / "ingest.log", "wb")
    ingest = subprocess.Popen(
        [
            paramtrack_exe,
            "--db",
            str(warehouse.path),
            "ingest",
            "--since",
            "2012-01-01",
            "--until",
            "2025-12-31",
            "--arxiv-url",
            f"{replay_process}/api/query",
            "--s2-url",
            replay_process,
            "--arxiv-delay",
            "0",
            "--s2-interval",
            "0",
            "--pdf-delay",
            "0",
            "--quiet",
        ],
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PARAMTRACK_LOCK_TIMEOUT": "120"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    statuses: dict[int, int] = {}
    try:
        deadline = time.monotonic() + 180
        while not _ingest_has_started(warehouse.path):
            assert ingest.poll() is None, (tmp_path / "ingest.log").read_text()
            assert time.monotonic() < deadline, "the ingest never started writing"
            time.sleep(0.5)

        with review_server_process(
            warehouse.path, "--reviewer", "loadtest", env={"PARAMTRACK_LOCK_TIMEOUT": "120"}
        ) as srv:
            client, csrf = csrf_client(srv.url)

            def decide(aid: str) -> int:
                data = {"csrf_token": csrf, "request_id": uuid.uuid4().hex, "version": "0", "action": "approve"}
                for _ in range(5):  # a 503 or a dropped connection: resubmit the same request_id
                    try:
                        r = client.post(f"/papers/{aid}/decide", data=data)
                    except httpx.HTTPError:
                        continue
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                    if r.status_code != 503:
                        return r.status_code
                return -1

            with ThreadPoolExecutor(4) as pool:
                codes = list(pool.map(decide, ids))
        assert codes == [303] * N, statuses
        ingest.wait(timeout=600)
    finally:
        if ingest.poll() is None:  # never leave an orphaned ingest behind a failed assertion
            ingest.kill()
            ingest.wait(10)
        log.close()
    assert ingest.returncode == 0, (tmp_path / "ingest.log").read_text()[-3000:]

    with warehouse.read() as con:
        assert con.execute(
            "SELECT count(*), count(DISTINCT arxiv_id) FROM decisions WHERE reviewer = 'loadtest'"
        ).fetchone() == (N, N)
        assert con.execute("SELECT count(*) FROM models WHERE source = 'review'").fetchone()[0] == N
        run = con.execute("SELECT status, started_at, finished_at FROM runs WHERE flow = 'discover'").fetchall()
        first_decision, last_decision = con.execute(
            "SELECT min(decided_at), max(decided_at) FROM decisions WHERE reviewer = 'loadtest'"
        ).fetchone()
        staged_by_ingest = con.execute(
            "SELECT count(*) FROM review_items WHERE arxiv_id NOT LIKE '2402.00%'"
        ).fetchone()[0]
    assert [r[0] for r in run] == ["completed"]
    # The two really overlapped: decisions were made while the ingest run was open.
    assert first_decision < run[0][2] and last_decision > run[0][1]
    assert staged_by_ingest > 0
