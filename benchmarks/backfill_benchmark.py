"""Backfill throughput against the replay server, pacing off: 1 Dask worker, then 2.

    python benchmarks/backfill_benchmark.py [--from 2012-01] [--to 2025-12] [--page-size 200]

Each configuration runs the whole backfill flow into a fresh warehouse (so nothing is skipped as
already done) on a fresh local Dask cluster, with Prefect's task cache refreshed (so extraction
results cached by the first run are recomputed by the second). Printed side by side:

* metadata: OAI-PMH records harvested per second (pages of ``--page-size`` records, each page
  also asking Semantic Scholar for citations, judging and committing with its checkpoint);
* extraction: PDFs and PDF pages per second, from the first submission to Dask to the last
  staged result (includes each worker starting its extraction child).

Pacing is off (``arxiv_delay_seconds=0``): these figures are what the machine can do, not what
arXiv allows (one request per 3 s; see the README's extrapolation).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="from_month", default="2017-01")
    ap.add_argument("--to", dest="to_month", default="2025-12")
    ap.add_argument("--page-size", type=int, default=200)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="paramtrack-backfill-bench-"))
    from paramtrack.settings import DEFAULT_CATEGORIES, configure_prefect

    configure_prefect(tmp)
    # Recompute extractions a previous configuration cached (same PDF, same extractor version).
    os.environ["PREFECT_TASKS_REFRESH_CACHE"] = "true"
    os.environ["PREFECT_LOCAL_STORAGE_PATH"] = str(tmp / "results")

    from paramtrack.commands.backfill import month_window
    from paramtrack.progress import show_progress
    from replay.server import ReplayServer

    window_from, window_to = month_window(args.from_month, args.to_month)
    show_progress(False)
    from flows.backfill import run_backfill

    rows = []
    with ReplayServer(log_level="critical") as server:
        server.state.oai.page_size = args.page_size
        print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"replay server {server.base_url}; window {window_from} .. {window_to}; "
              f"OAI page size {args.page_size}; cores {os.cpu_count()}")
        for n in args.workers:
            run_dir = tmp / f"workers-{n}"
            t0 = time.monotonic()
            s = run_backfill(
                workers=n, db_path=str(run_dir / "paramtrack.duckdb"), window_from=window_from,
                window_to=window_to, categories=list(DEFAULT_CATEGORIES),
                oai_url=f"{server.base_url}/oai2", arxiv_api_url=server.arxiv_api_url,
                s2_api_url=server.s2_api_url, pdf_url_format=f"{server.base_url}/pdf/{{id}}",
                pdf_cache_dir=str(run_dir / "pdfs"), arxiv_delay_seconds=0.0,
                s2_min_interval=0.0, pdf_delay_seconds=0.0, as_of=server.as_of,
            )
            wall = time.monotonic() - t0
            rows.append((n, s, wall))
            print(f"  {n} worker(s): done in {wall:.1f} s")

    print("")
    head = f"{'':<34}" + "".join(f"{f'{n} worker' + ('s' if n > 1 else ''):>14}" for n, _, _ in rows)
    print(head)

    def line(label: str, values: list[str]) -> None:
        print(f"{label:<34}" + "".join(f"{v:>14}" for v in values))

    line("OAI records harvested", [f"{s.harvested:,}" for _, s, _ in rows])
    line("  in the window (kept)", [f"{s.kept:,}" for _, s, _ in rows])
    line("  harvest seconds", [f"{s.harvest_seconds:.1f}" for _, s, _ in rows])
    line("  metadata: papers/s", [f"{s.harvested / s.harvest_seconds:.0f}" for _, s, _ in rows])
    line("PDFs extracted", [f"{s.extracted}" for _, s, _ in rows])
    line("  PDF pages", [f"{s.pdf_pages}" for _, s, _ in rows])
    line("  extraction seconds", [f"{s.extract_seconds:.1f}" for _, s, _ in rows])
    line("  extraction: PDFs/s", [f"{s.extracted / s.extract_seconds:.2f}" for _, s, _ in rows])
    line("  extraction: pages/s", [f"{s.pdf_pages / s.extract_seconds:.1f}" for _, s, _ in rows])
    line("whole run, wall seconds", [f"{w:.1f}" for _, _, w in rows])
    print(f"load average after the runs: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores (other work on the machine slows the parallel run most)")
    if len(rows) >= 2 and rows[0][1].extract_seconds:
        first, last = rows[0][1], rows[-1][1]
        speedup = (last.pdf_pages / last.extract_seconds) / (first.pdf_pages / first.extract_seconds)
        print(f"\nextraction speed-up {rows[0][0]} -> {rows[-1][0]} workers: {speedup:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
