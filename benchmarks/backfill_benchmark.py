"""Backfill throughput against the replay server, pacing off: a lone ExtractionWorker, then the
backfill on 1 Dask worker and on 2, side by side in one run.

    python benchmarks/backfill_benchmark.py [--from 2017-01] [--to 2025-12] [--page-size 200] [--check]

Each Dask configuration runs the whole backfill flow into a fresh warehouse (so nothing is
skipped as already done) on a fresh local Dask cluster. The baseline is one warm
``ExtractionWorker`` in this process extracting exactly the PDFs the backfill extracted, timed
before *and* after the Dask runs (the mean of the two), so a neighbour's load that comes and goes
during the run weighs on both sides. Printed side by side:

* metadata: OAI-PMH records harvested per second (pages of ``--page-size`` records, each page
  also asking Semantic Scholar for citations, judging and committing with its checkpoint);
* extraction: PDFs and PDF pages per second, from the first submission to Dask to the last
  result stored and staged by the flow process (Prefect's task runs, pickling, the single
  DuckDB writer included); per worker: that divided by the workers.

Targets (``--check`` exits 1 when missed): per-worker throughput on 1 Dask worker >= 70 % of the
lone ExtractionWorker's, and 2 workers >= 1.6x one. The machine's load average is printed with
the figures: other processes on the cores slow the parallel run most, so measure when it is
quiet and read the figures with it.

Pacing is off (``arxiv_delay_s=0``): these figures are what the machine can do, not what
arXiv allows (one request per 3 s; see the README's extrapolation).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

TARGET_PER_WORKER = 0.70
TARGET_SPEEDUP = 1.6


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def lone_worker(pdfs: list[tuple[str, str, str, dict | None]]) -> tuple[int, int, float]:
    """(PDFs, pages, seconds) for one warm ExtractionWorker over ``pdfs``, in this process."""
    from paramtrack.extractors import ExtractionWorker

    with ExtractionWorker(timeout_s=60) as worker:
        worker.extract(Path(pdfs[0][2]))  # warm-up, not timed: the Dask workers' children are warm too
        pages = 0
        t0 = time.monotonic()
        for _, _, path, meta in pdfs:
            meta = meta or {}
            result = worker.extract(
                Path(path),
                published=meta.get("published"),
                title=meta.get("title"),
                abstract=meta.get("abstract"),
            )
            pages += result.pages or 0
        return len(pdfs), pages, time.monotonic() - t0


def lone_workers_in_parallel(
    pdfs: list[tuple[str, str, str, dict | None]],
    n: int,
) -> tuple[int, int, float]:
    """(PDFs, pages, seconds) for ``n`` warm ExtractionWorkers side by side (threads waiting on
    their own child processes), the PDFs dealt out biggest first: what the machine itself gives
    ``n`` extraction processes, without Dask or Prefect, for reading the Dask speed-up."""
    import threading

    from paramtrack.extractors import ExtractionWorker

    ordered = sorted(pdfs, key=lambda p: Path(p[2]).stat().st_size, reverse=True)
    shares = [ordered[i::n] for i in range(n)]
    workers = [ExtractionWorker(timeout_s=60).start() for _ in range(n)]
    pages = [0] * n
    try:
        for w in workers:
            w.extract(Path(pdfs[0][2]))  # warm-up, not timed

        def run(i: int) -> None:
            for _, _, path, meta in shares[i]:
                meta = meta or {}
                pages[i] += (
                    workers[i]
                    .extract(
                        Path(path),
                        published=meta.get("published"),
                        title=meta.get("title"),
                        abstract=meta.get("abstract"),
                    )
                    .pages
                    or 0
                )

        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return len(pdfs), sum(pages), time.monotonic() - t0
    finally:
        for w in workers:
            w.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="from_month", default="2017-01")
    ap.add_argument("--to", dest="to_month", default="2025-12")
    ap.add_argument("--page-size", type=int, default=200)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="paramtrack-backfill-bench-"))
    from paramtrack.core.settings import DEFAULT_CATEGORIES, configure_prefect

    configure_prefect(tmp)
    os.environ["PREFECT_LOCAL_STORAGE_PATH"] = str(tmp / "results")

    from paramtrack.commands.backfill import month_window
    from paramtrack.core.progress import show_progress
    from paramtrack.replay.server import ReplayServer

    window_from, window_to = month_window(args.from_month, args.to_month)
    show_progress(False)
    from paramtrack.flows.backfill import run_backfill
    from paramtrack.flows.options import RunOptions, SourceSettings
    from paramtrack.warehouse import Warehouse, papers_store

    rows = []
    load_before = _load()
    with ReplayServer(log_level="critical") as server:
        server.state.oai.page_size = args.page_size
        print(f"load average before: {load_before}")
        print(
            f"replay server {server.base_url}; window {window_from} .. {window_to}; "
            f"OAI page size {args.page_size}; cores {os.cpu_count()}"
        )
        for n in args.workers:
            run_dir = tmp / f"workers-{n}"
            t0 = time.monotonic()
            s = run_backfill(
                workers=n,
                db_path=str(run_dir / "paramtrack.duckdb"),
                window_from=window_from,
                window_to=window_to,
                categories=list(DEFAULT_CATEGORIES),
                options=RunOptions(
                    sources=SourceSettings(
                        oai_url=f"{server.base_url}/oai2",
                        arxiv_url=server.arxiv_api_url,
                        s2_url=server.s2_api_url,
                        pdf_url_format=f"{server.base_url}/pdf/{{id}}",
                        arxiv_delay_s=0.0,
                        s2_min_interval=0.0,
                        pdf_delay_s=0.0,
                    ),
                    pdf_cache_dir=str(run_dir / "pdfs"),
                    as_of=server.as_of,
                ),
            )
            wall = time.monotonic() - t0
            rows.append((n, s, wall))
            print(f"  {n} Dask worker(s): done in {wall:.1f} s (load average {_load()})")
        with Warehouse(tmp / f"workers-{args.workers[0]}" / "paramtrack.duckdb").read() as con:
            pdfs = [
                (a, sha, path, papers_store.paper_metadata(con, a)) for a, sha, path in papers_store.cached_pdfs(con)
            ]

    # The baseline: the same PDFs through one warm ExtractionWorker, before and after (above,
    # the Dask runs came first; a second lone pass after them brackets the drift).
    lone_a = lone_worker(pdfs)
    lone_b = lone_worker(pdfs)
    lone_pages = (lone_a[1] + lone_b[1]) / 2
    lone_seconds = (lone_a[2] + lone_b[2]) / 2
    lone_rate = lone_pages / lone_seconds
    most = max(args.workers)
    side_by_side = lone_workers_in_parallel(pdfs, most) if most > 1 else None
    load_after = _load()

    print("")
    head = f"{'':<34}{'lone worker':>14}" + "".join(
        f"{f'{n} Dask worker' + ('s' if n > 1 else ''):>16}" for n, _, _ in rows
    )
    print(head)

    def line(label: str, lone: str, values: list[str]) -> None:
        print(f"{label:<34}{lone:>14}" + "".join(f"{v:>16}" for v in values))

    line("OAI records harvested", "-", [f"{s.harvested:,}" for _, s, _ in rows])
    line("  in the window (kept)", "-", [f"{s.kept:,}" for _, s, _ in rows])
    line("  harvest seconds", "-", [f"{s.harvest_seconds:.1f}" for _, s, _ in rows])
    line("  metadata: papers/s", "-", [f"{s.harvested / s.harvest_seconds:.0f}" for _, s, _ in rows])
    line("PDFs extracted", f"{len(pdfs)}", [f"{s.extracted}" for _, s, _ in rows])
    line("  PDF pages", f"{lone_pages:.0f}", [f"{s.pdf_pages}" for _, s, _ in rows])
    line("  extraction seconds", f"{lone_seconds:.1f}", [f"{s.extract_seconds:.1f}" for _, s, _ in rows])
    line(
        "  extraction: PDFs/s",
        f"{len(pdfs) / lone_seconds:.2f}",
        [f"{s.extracted / s.extract_seconds:.2f}" for _, s, _ in rows],
    )
    line("  extraction: pages/s", f"{lone_rate:.1f}", [f"{s.pdf_pages / s.extract_seconds:.1f}" for _, s, _ in rows])
    line("  pages/s per worker", f"{lone_rate:.1f}", [f"{s.pdf_pages / s.extract_seconds / n:.1f}" for n, s, _ in rows])
    line(
        "  per worker vs lone worker",
        "100 %",
        [f"{100 * s.pdf_pages / s.extract_seconds / n / lone_rate:.0f} %" for n, s, _ in rows],
    )
    line("whole run, wall seconds", "-", [f"{w:.1f}" for _, _, w in rows])
    print(f"lone worker passes: {lone_a[1] / lone_a[2]:.1f} and {lone_b[1] / lone_b[2]:.1f} pages/s")
    if side_by_side is not None:
        rate = side_by_side[1] / side_by_side[2]
        print(
            f"{most} lone workers side by side, no Dask: {rate:.1f} pages/s = "
            f"{rate / lone_rate:.2f}x one (what these cores give {most} extraction processes)"
        )
    print(f"load average: before {load_before}; after {load_after} (1, 5, 15 min) on {os.cpu_count()} cores")

    ok = True
    one = next(((n, s) for n, s, _ in rows if n == 1), None)
    if one is not None and one[1].extract_seconds:
        share = one[1].pdf_pages / one[1].extract_seconds / lone_rate
        met = share >= TARGET_PER_WORKER
        ok &= met
        print(
            f"\nper-worker throughput on Dask (1 worker) vs a lone ExtractionWorker: {100 * share:.0f} %"
            f"  target >= {100 * TARGET_PER_WORKER:.0f} %{'' if met else '  MISSED'}"
        )
    if len(rows) >= 2 and rows[0][1].extract_seconds:
        (n0, first, _), (n1, last, _) = rows[0], rows[-1]
        speedup = (last.pdf_pages / last.extract_seconds) / (first.pdf_pages / first.extract_seconds)
        met = speedup >= TARGET_SPEEDUP
        ok &= met
        print(
            f"extraction speed-up {n0} -> {n1} workers: {speedup:.2f}x  target >= "
            f"{TARGET_SPEEDUP:.1f}x{'' if met else '  MISSED'}"
        )
    print(f"result: {'within targets' if ok else 'targets missed'}")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
