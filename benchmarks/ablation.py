"""Does each rule family earn its place? ``python benchmarks/ablation.py [--families a b] [--no-blind]``.

For the full extractor and then for each family of ``extractors.rule_families`` switched off in
turn: extract the shared papers and Epoch's abstracts with the family off, retrain the ranker on
them (so the other rules and the weights can make up for it, as they would if it were removed),
measure the shared papers cross-validated, and run the blind set with the family off and that
ranker. Prints one row per family: shared CV top-1, blind top-1 / top-3 / among / confident
precision, and the difference to the full extractor.

A family that does not pay on the blind set is a candidate for removal (docs/extraction.md says
which were removed and why). It takes about five minutes a family; run it once per finished
change to the rules, never in a loop of trials.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from paramtrack.core.settings import find_corpus
from paramtrack.extractors.rule_families import FAMILIES, RULES_OFF_ENV

HERE = Path(__file__).resolve().parent
#: Seconds per PDF: a row must not lose papers to a busy machine (the CLI's default is 60 s).
EXTRACT_TIMEOUT_S = 240


def measure(corpus: Path, off: str, workdir: Path, *, blind: bool) -> dict[str, Any]:
    """Shared CV and blind figures with ``off`` (a family name, or "" for none) switched off."""
    env = {**os.environ, RULES_OFF_ENV: off}
    model_path = workdir / f"ranker-{off or 'all'}.json"
    shared = subprocess.run(
        [sys.executable, str(HERE / "ablation.py"), "--train-one", str(model_path), "--corpus", str(corpus)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    row: dict[str, Any] = {"off": off or "(none: the full extractor)", **json.loads(shared.stdout.splitlines()[-1])}
    if blind:
        tool = corpus.parent / "tools" / "blind_eval.py"
        cmd = (
            f"env {RULES_OFF_ENV}={off} PARAMTRACK_RANKER_MODEL={model_path}"
            f" {Path(sys.executable).parent / 'paramtrack'} extract --timeout {EXTRACT_TIMEOUT_S}"
        )
        out = subprocess.run(
            [sys.executable, str(tool), "--json", "--cmd", cmd, "--data", str(corpus / "blind")],
            capture_output=True,
            text=True,
            check=True,
        )
        row["blind"] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def train_one(corpus: Path, model_path: Path) -> None:
    """In a child with the family switched off: extract, train, cross-validate; print JSON figures."""
    from paramtrack.extractors.abstract_eval import abstract_examples
    from paramtrack.extractors.evaluation import examples_from, extract_ground_truth, load_ground_truth
    from paramtrack.extractors.training import train

    corpus_examples = examples_from(extract_ground_truth(corpus, load_ground_truth(corpus)))
    outcome = train(corpus_examples, abstracts=abstract_examples(corpus / "epoch"))
    outcome.model.save(model_path)
    f, a = outcome.after["corpus"], outcome.after["abstract"]
    print(json.dumps({"shared_top1": f["top1"], "shared_top3": f["top3"], "abstract_top1": a["top1"]}))


def _cell(row: dict[str, Any], key: str) -> str:
    b = row.get("blind")
    if not b:
        return "-"
    if key == "confident":
        return f"{b['confident_right']}/{b['confident']}"
    return f"{b[key]}/{b['papers']}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=None, help="shared data folder (default: ../shared/data)")
    ap.add_argument("--families", nargs="*", default=list(FAMILIES), help="families to switch off, one at a time")
    ap.add_argument("--no-blind", action="store_true", help="shared and abstract figures only")
    ap.add_argument("--json", dest="json_out", default=None, help="also write the rows to this file")
    ap.add_argument("--train-one", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    corpus = find_corpus(args.corpus)
    if args.train_one:
        train_one(corpus, Path(args.train_one))
        return 0
    rows = []
    print(
        f"{'switched off':<28} {'shared CV top-1':>15} {'abstracts top-1':>15} {'blind top-1':>11} {'top-3':>6} {'among':>6} {'confident':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for off in ["", *args.families]:
            t0 = time.perf_counter()
            row = measure(corpus, off, Path(tmp), blind=not args.no_blind)
            rows.append(row)
            print(
                f"{row['off'][:28]:<28} {row['shared_top1']:>15.1%} {row['abstract_top1']:>15.1%} {_cell(row, 'top1'):>11}"
                f" {_cell(row, 'top3'):>6} {_cell(row, 'any_candidate'):>6} {_cell(row, 'confident'):>9}"
                f"  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
