"""Extraction accuracy, measured honestly: ``python benchmarks/extraction_eval.py [--cv 5] [--check]``.

Prints, in this order:

1. the shared papers (``../shared/data/pdfs``, 70 hand-checked PDFs) read from the PDF alone and
   ranked **cross-validated** by paper, per paper and in total, beside the in-sample figures;
2. the **blind set** (``../shared/data/blind``, 55 papers nobody here has read) through
   ``../shared/tools/blind_eval.py``, which prints aggregates only;
3. both side by side with the blind targets and the gap between shared and blind top-1 (a gap
   wider than ten points says the shared papers are being fitted);
4. the abstract-only measurement on Epoch's CSVs and the domain model's cross-validated accuracy.

The blind figures are the ones to quote. Run this once a change is finished, not inside a loop of
trials: the blind set is only a measurement while nobody tunes to it. ``--check`` exits 1 when a
blind target (or the shared negatives target) is missed; ``--no-blind`` skips the blind set.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from paramtrack.core.settings import find_corpus
from paramtrack.extractors.abstract_eval import abstract_examples, evaluate_abstracts, render
from paramtrack.extractors.domain import load_domain_model
from paramtrack.extractors.evaluation import evaluate, missed_blind_targets, side_by_side

#: The blind tool runs this command on each PDF: the installed entry point, as a user runs it.
EXTRACT_CMD = f"{Path(sys.executable).parent / 'paramtrack'} extract"


def run_blind(corpus: Path) -> dict[str, Any] | None:
    """``blind_eval.py --json`` over the blind set, or None when the tool or the set is missing."""
    tool = corpus.parent / "tools" / "blind_eval.py"
    if not tool.is_file() or not (corpus / "blind" / "labels.json").is_file():
        return None
    out = subprocess.run(
        [sys.executable, str(tool), "--json", "--cmd", EXTRACT_CMD, "--data", str(corpus / "blind")],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=None, help="shared data folder (default: ../shared/data)")
    ap.add_argument("--cv", type=int, default=5, help="cross-validation folds (by paper)")
    ap.add_argument("--seed", type=int, default=0, help="seed that deals papers into folds")
    ap.add_argument("--check", "--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--no-blind", action="store_true", help="skip the blind set")
    ap.add_argument("--no-abstracts", action="store_true", help="skip the Epoch abstract measurement")
    args = ap.parse_args(argv)
    corpus = find_corpus(args.corpus)

    t0 = time.perf_counter()
    report = evaluate(corpus, folds=args.cv, seed=args.seed, abstracts=abstract_examples(corpus / "epoch"))
    print(report.render())
    print(f"({time.perf_counter() - t0:.1f} s)\n")

    blind = None
    if not args.no_blind:
        t0 = time.perf_counter()
        blind = run_blind(corpus)
        print(
            f"Blind set: {'not found' if blind is None else str(blind['papers']) + ' papers'}"
            f" ({time.perf_counter() - t0:.1f} s)"
        )
    print("\nShared (cross-validated, papers we have read) and blind (papers nobody here has read):")
    print(side_by_side(report.totals, blind))

    if not args.no_abstracts:
        t0 = time.perf_counter()
        print(
            "\nAbstract only (arXiv title + abstract as page 0, no PDF), on Epoch's CSVs, ranked by the packaged"
            " ranker, which trained on these abstracts (in-sample; the cross-validated figure is above):"
        )
        print(render(evaluate_abstracts(corpus / "epoch")))
        print(f"({time.perf_counter() - t0:.1f} s)")
    cv = load_domain_model().meta.get("cv") or {}
    if cv:
        print(
            f"\nDomain model, cross-validated on {cv['papers']} Epoch papers ({cv['folds']} folds by paper):"
            f" {cv['accuracy']:.1%} (in-sample {cv['in_sample']:.1%}); per domain {cv['per_label']}"
        )

    missed = report.missed_targets() + (missed_blind_targets(report.totals, blind) if blind else [])
    print("\nresult: " + ("every target met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
