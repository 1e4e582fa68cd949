"""Evaluate parameter-count extraction on the shared corpus: ``python benchmarks/extraction_eval.py [--corpus DIR] [--strict]``.

The logic lives in ``extractors.evaluation`` (shared with ``paramtrack eval``); this script only
parses arguments, prints the per-paper table and totals, and with ``--strict`` exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractors.evaluation import evaluate  # noqa: E402
from paramtrack.settings import find_corpus  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", default=None, help="shared data folder (default: ../shared/data)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    report = evaluate(find_corpus(args.corpus))
    print(report.render())
    return 1 if args.strict and report.missed_targets() else 0


if __name__ == "__main__":
    raise SystemExit(main())
