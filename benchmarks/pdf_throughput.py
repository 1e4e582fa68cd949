"""PDF throughput and memory: ``python benchmarks/pdf_throughput.py [--n 1000] [--check]``.

Prints pages/s on one core for (1) raw pypdfium2 text, (2) pdfplumber ``extract_text`` alone and
(3) the product path (``extractors.extract_pdf``, spaCy warm), the ratio of (3) to (1), and the
process RSS before/after ``--n`` extractions cycling through the shared PDFs.

The comparison of (1) and (3) is made fair and stable: both read exactly the same pages (the
product's page cap applies to the raw path too), they run interleaved (raw, product, raw, product,
... so that a noisy neighbour slows both alike), and each figure is the median CPU time of
``--repeats`` (>= 3) passes over the corpus; the ratio is the ratio of the medians.

Targets (``--check`` exits 1 when missed): product >= 100 pages/s/core, product within 3x of raw
pypdfium2, RSS < 500 MB after the loop and growth over the second half of the loop < 50 MB (flat).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

from paramtrack.core.settings import find_corpus  # noqa: E402

TARGET_PAGES_PER_S = 100.0
TARGET_RATIO = 3.0
TARGET_RSS_MB = 500.0
TARGET_GROWTH_MB = 50.0


def rss_mb() -> float:
    """Resident set size from /proc (no psutil dependency)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def raw_pdfium(paths: list[Path]) -> tuple[int, float]:
    import pypdfium2 as pdfium

    from paramtrack.extractors.pdf_text import MAX_PAGES

    n, t0 = 0, time.process_time()
    for p in paths:
        doc = pdfium.PdfDocument(str(p))
        for i in range(min(len(doc), MAX_PAGES)):
            page = doc[i]
            tp = page.get_textpage()
            tp.get_text_range()
            tp.close()
            page.close()
            n += 1
        doc.close()
    return n, time.process_time() - t0


def plumber_only(paths: list[Path], max_pages: int) -> tuple[int, float]:
    import pdfplumber

    n, t0 = 0, time.process_time()
    for p in paths:
        with pdfplumber.open(str(p)) as pdf:
            for page in pdf.pages[: max(1, max_pages // len(paths))]:
                page.extract_text()
                page.close()
                n += 1
    return n, time.process_time() - t0


def product(paths: list[Path]) -> tuple[int, float]:
    from paramtrack.extractors import extract_pdf

    n, t0 = 0, time.process_time()
    for p in paths:
        r = extract_pdf(p)
        n += r.pages_read
    return n, time.process_time() - t0


def memory_loop(paths: list[Path], n: int) -> tuple[float, float, float]:
    from paramtrack.extractors import extract_pdf

    gc.collect()
    before = rss_mb()
    mid = before
    for i in range(n):
        extract_pdf(paths[i % len(paths)])
        if i == n // 2:
            gc.collect()
            mid = rss_mb()
    gc.collect()
    return before, mid, rss_mb()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", default=None)
    ap.add_argument("--n", type=int, default=1000, help="extractions in the memory loop (default 1000)")
    ap.add_argument(
        "--plumber-pages", type=int, default=60, help="pages for the pdfplumber-only figure (it is ~50x slower)"
    )
    ap.add_argument(
        "--repeats", type=int, default=5, help="interleaved raw/product passes; the median is reported (min 3)"
    )
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    paths = sorted((find_corpus(args.corpus) / "pdfs").glob("*.pdf"))
    if not paths:
        print("no PDFs in corpus", file=sys.stderr)
        return 2

    from paramtrack.extractors import extract_pdf

    extract_pdf(paths[0])  # warm the spaCy pipeline once per process, as the product does
    raw_pdfium(paths[:1])
    repeats = max(3, args.repeats)
    raw_times: list[float] = []
    prod_times: list[float] = []
    n_raw = n_pr = 0
    for _ in range(repeats):  # interleaved, so drift and neighbours hit both paths alike
        n_raw, t = raw_pdfium(paths)
        raw_times.append(t)
        n_pr, t = product(paths)
        prod_times.append(t)
    if n_raw != n_pr:
        print(f"warning: raw read {n_raw} pages, product {n_pr}", file=sys.stderr)
    t_raw, t_pr = statistics.median(raw_times), statistics.median(prod_times)
    ratios = sorted(p / r for p, r in zip(prod_times, raw_times))
    rows = [("raw pypdfium2 get_text_range", n_raw, t_raw)]
    n_pl, t_pl = plumber_only(paths, args.plumber_pages)
    rows.append(("pdfplumber extract_text only", n_pl, t_pl))
    rows.append(("product path (extract_pdf)", n_pr, t_pr))
    print(
        f"{'path':<32} {'pages':>6} {'cpu s':>7} {'pages/s/core':>13}   (cpu s: median of {repeats} interleaved repeats; pdfplumber: 1 run)"
    )
    rates = {}
    for name, n, t in rows:
        rates[name] = n / t if t else float("inf")
        print(f"{name:<32} {n:>6} {t:>7.2f} {rates[name]:>13.1f}")
    print("raw cpu s per repeat:     " + " ".join(f"{t:.2f}" for t in raw_times))
    print("product cpu s per repeat: " + " ".join(f"{t:.2f}" for t in prod_times))
    print("per-repeat ratios (sorted): " + " ".join(f"{r:.2f}" for r in ratios))
    raw_rate, prod_rate = rates[rows[0][0]], rates[rows[2][0]]
    ratio = t_pr / t_raw if n_raw == n_pr else raw_rate / prod_rate
    print(
        f"product is {ratio:.2f}x slower than raw pypdfium2 (target <= {TARGET_RATIO}x); "
        f"{prod_rate:.0f} pages/s/core (target >= {TARGET_PAGES_PER_S:.0f})"
    )

    before, mid, after = memory_loop(paths, args.n)
    growth = after - mid
    print(
        f"RSS over {args.n} extractions: before {before:.0f} MB, halfway {mid:.0f} MB, after {after:.0f} MB "
        f"(second-half growth {growth:+.1f} MB; targets < {TARGET_RSS_MB:.0f} MB and < {TARGET_GROWTH_MB:.0f} MB growth)"
    )

    missed = []
    if prod_rate < TARGET_PAGES_PER_S:
        missed.append("pages/s")
    if ratio > TARGET_RATIO:
        missed.append("ratio to raw pypdfium2")
    if after >= TARGET_RSS_MB:
        missed.append("RSS")
    if growth >= TARGET_GROWTH_MB:
        missed.append("RSS growth")
    print("targets: " + ("all met" if not missed else "MISSED: " + ", ".join(missed)))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
