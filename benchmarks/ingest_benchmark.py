"""A full weekly ingest at real volume against the replay server, pacing off, and Prefect's share.

    python benchmarks/ingest_benchmark.py [--records 5000] [--pdfs 100] [--check]

The week is synthetic load built from the recorded corpus (``replay.load.weekly_load``: 5,000
copies of recorded papers under new ids, 100 of them backed by the 28 real PDFs and cited enough
to be notable). The run is the real ``discover_flow`` through Prefect's local ephemeral API:
window listing (50 pages), Semantic Scholar batches, bulk search, 100 PDF downloads, 100
extractions, staging. Pacing is off (the replay server is local), so the figure is our own cost.

Prefect's overhead is measured in the same run, against a baseline of plain function calls:
the time one no-op task call adds inside a flow, and one empty flow run, multiplied by the
number of task and flow runs the ingest made (read back from Prefect's API), as a share of the
ingest's wall time. ``--check`` exits 1 when the ingest takes over 5 minutes or Prefect's share
exceeds 10 %.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from paramtrack.core.settings import configure_prefect, find_corpus  # noqa: E402

WEEK = date(2026, 11, 16)


def _prefect_overhead(calls: int) -> tuple[float, float]:
    """Seconds one no-op task call and one empty flow run add over a plain function call."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    def noop(i: int) -> int:
        return i

    noop_task = task(noop, name="noop", cache_policy=NO_CACHE)

    @flow(name="bench-empty")
    def empty() -> None:
        return None

    @flow(name="bench-tasks")
    def many(n: int) -> None:
        for i in range(n):
            noop_task(i)

    empty()  # warm: the first flow run pays for client setup
    t0 = time.perf_counter()
    for i in range(calls):
        noop(i)
    plain = (time.perf_counter() - t0) / calls
    t0 = time.perf_counter()
    for _ in range(5):
        empty()
    per_flow = (time.perf_counter() - t0) / 5
    t0 = time.perf_counter()
    many(calls)
    per_task = (time.perf_counter() - t0 - per_flow) / calls - plain
    return per_task, per_flow


def _count_runs() -> tuple[int, int]:
    """Task runs and flow runs Prefect's API knows of (its ``/count`` endpoints)."""
    from prefect.client.orchestration import get_client

    async def count() -> tuple[int, int]:
        async with get_client() as client:
            tasks = (await client._client.post("/task_runs/count", json={})).json()
            flows = (await client._client.post("/flow_runs/count", json={})).json()
        return int(tasks), int(flows)

    return asyncio.run(count())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=5000)
    ap.add_argument("--pdfs", type=int, default=100)
    ap.add_argument("--target-minutes", type=float, default=5.0)
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="paramtrack-ingest-bench-"))
    os.environ["PREFECT_HOME"] = str(work / "prefect")
    configure_prefect(work)
    from paramtrack.flows.discover import discover_flow
    from paramtrack.flows.options import RunOptions, SourceSettings
    from paramtrack.replay.corpus import load_corpus
    from paramtrack.replay.load import weekly_load
    from paramtrack.replay.server import ReplayServer
    from paramtrack.warehouse import Warehouse

    corpus = weekly_load(load_corpus(find_corpus()), since=WEEK, records=args.records, pdfs=args.pdfs)
    until = WEEK + timedelta(days=6)
    print(
        f"load: {len(corpus.papers):,} arXiv records submitted {WEEK} .. {until}, "
        f"{len(corpus.with_pdfs)} with PDFs (synthetic copies of recorded papers)"
    )
    print("starting Prefect's ephemeral API and measuring its per-call overhead ...")
    per_task, per_flow = _prefect_overhead(200)
    tasks_before, flows_before = _count_runs()

    with ReplayServer(corpus, as_of=until + timedelta(days=1)) as server:
        t0 = time.perf_counter()
        summary = discover_flow(
            db_path=str(work / "w.duckdb"),
            since=WEEK,
            until=until,
            options=RunOptions(
                sources=SourceSettings(
                    arxiv_url=server.arxiv_api_url,
                    s2_url=server.s2_api_url,
                    arxiv_delay_s=0.0,
                    s2_min_interval=0.0,
                    pdf_delay_s=0.0,
                ),
                pdf_cache_dir=str(work / "pdfs"),
                as_of=until + timedelta(days=1),
                bulk_search=True,
            ),
        )
        wall = time.perf_counter() - t0
    tasks_after, flows_after = _count_runs()
    n_tasks, n_flows = tasks_after - tasks_before, flows_after - flows_before
    with Warehouse(work / "w.duckdb").read() as con:
        papers = con.execute("SELECT count(*) FROM papers").fetchone()[0]
        queue = con.execute("SELECT count(*) FROM review_queue").fetchone()[0]
    overhead = n_tasks * per_task + n_flows * per_flow

    print(f"\n{'ingest (pacing off)':<44} {'value':>12}")
    print(f"{'arXiv records read':<44} {summary.polled:>12,}")
    print(f"{'papers stored':<44} {papers:>12,}")
    print(
        f"{'PDFs downloaded / extracted / staged':<44} "
        f"{f'{summary.pdfs_downloaded} / {summary.extracted} / {summary.staged}':>12}"
    )
    print(f"{'review queue rows':<44} {queue:>12,}")
    print(f"{'wall time (s)':<44} {wall:>12.1f}   target < {args.target_minutes * 60:.0f}")
    print(f"\n{'Prefect overhead (baseline: plain calls)':<44} {'value':>12}")
    print(f"{'per task call (ms)':<44} {per_task * 1000:>12.1f}")
    print(f"{'per flow run (ms)':<44} {per_flow * 1000:>12.1f}")
    print(f"{'task runs / flow runs in the ingest':<44} {f'{n_tasks} / {n_flows}':>12}")
    print(
        f"{'overhead (s) and share of the run':<44} {overhead:>12.1f}   {100 * overhead / wall:.1f} % (target < 10 %)"
    )
    ok = wall <= args.target_minutes * 60 and overhead / wall < 0.10 and summary.status == "completed"
    print("\nresult:", "within targets" if ok else "TARGET MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
