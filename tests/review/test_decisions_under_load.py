"""No decision lost while another process writes the same DuckDB file continuously.

80 approvals are POSTed over HTTP (4 client threads) to a review-server subprocess while a second
process loops ``with Warehouse(path).write(): upsert papers/citation_snapshots`` like the
scheduled ingest. Every decision must be in ``decisions`` exactly once.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from paramtrack.warehouse.review_store import stage_paper

N = 80

INGEST = textwrap.dedent("""
    import sys, time
    from datetime import date, datetime, timezone
    from pathlib import Path
    from paramtrack.warehouse import Warehouse
    db, stop = sys.argv[1], Path(sys.argv[2])
    wh = Warehouse(db, lock_timeout_s=120)
    n = 0
    while not stop.exists():
        now = datetime.now(timezone.utc)
        with wh.write() as con:
            aid = f"9000.{n % 50:05d}"
            con.execute(
                "INSERT OR REPLACE INTO papers (arxiv_id, title, status, found_by, first_seen,"
                " last_seen, citation_count) VALUES (?, ?, 'watch', 'arxiv_window', ?, ?, ?)",
                [aid, f"ingested {n}", now, now, n])
            con.execute("INSERT OR REPLACE INTO citation_snapshots VALUES (?, ?, ?, 0)",
                        [aid, date(2026, 1, 1 + n % 28), n])
        n += 1
        time.sleep(0.002)
    print(n)
""")


@pytest.mark.slow
def test_no_decision_is_lost_while_ingest_writes(
    warehouse, tmp_path, add_paper, add_extraction, review_server, csrf_client
):
    ids = [f"2402.{i:05d}" for i in range(N)]
    with warehouse.write() as con:
        for i, aid in enumerate(ids):
            add_paper(con, aid, f"Paper {i}", citations=i)
            add_extraction(con, aid, [{"value": 1e9 + i, "model": f"M{i}", "evidence": f"M{i} has {i} params"}])
            stage_paper(con, aid)

    stop = tmp_path / "stop"
    ingest = subprocess.Popen(
        [sys.executable, "-c", INGEST, str(warehouse.path), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stats = {"retries": 0, "statuses": {}}
    try:
        with review_server("--reviewer", "loadtest") as srv:
            time.sleep(0.5)  # ingest is writing by now
            assert ingest.poll() is None

            client, csrf = csrf_client(srv.url)  # one session (httpx.Client is thread-safe)

            def decide(aid: str) -> int:
                data = {"csrf_token": csrf, "request_id": uuid.uuid4().hex, "version": "0", "action": "approve"}
                for _attempt in range(5):
                    try:
                        r = client.post(f"/papers/{aid}/decide", data=data)
                    except httpx.HTTPError:
                        stats["retries"] += 1  # resubmit: same request_id, applied once
                        continue
                    stats["statuses"][r.status_code] = stats["statuses"].get(r.status_code, 0) + 1
                    if r.status_code == 503:
                        stats["retries"] += 1
                        continue
                    return r.status_code
                return -1

            started = time.monotonic()
            with ThreadPoolExecutor(4) as pool:
                codes = list(pool.map(decide, ids))
            elapsed = time.monotonic() - started
            assert codes == [303] * N, stats
    finally:
        stop.touch()
        out, err = ingest.communicate(timeout=120)
    assert ingest.returncode == 0, err
    ingest_writes = int(out.strip())
    print(f"{N} decisions in {elapsed:.1f}s while ingest wrote {ingest_writes} times; {stats}")
    assert ingest_writes > 20  # the other process really was writing meanwhile
    with warehouse.read() as con:
        assert con.execute("SELECT count(*), count(DISTINCT arxiv_id) FROM decisions").fetchone() == (N, N)
        assert con.execute("SELECT count(*) FROM models WHERE source = 'review'").fetchone()[0] == N
        assert con.execute("SELECT count(*) FROM review_items WHERE status = 'approved'").fetchone()[0] == N
        assert con.execute("SELECT count(*) FROM dataset_events").fetchone()[0] == N
        assert con.execute("SELECT count(*) FROM citation_snapshots").fetchone()[0] > 0
