"""The ranker learns from reviewer decisions: decisions made through the review service on a real
warehouse, then ``paramtrack ranker train --with-decisions`` through the installed entry point.

Decisions are measured like for like (cross-validated with and without them) and a model is
adopted only when neither the hand-checked ground truth nor all papers get worse; reviewers who
contradict the ground truth make a worse model, which is not adopted; an adopted model, written
beside the warehouse, is what that warehouse's commands use.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

from paramtrack.extractors import extract_abstract, extract_pdf, extractor_version
from paramtrack.extractors.abstract_eval import _STATES_A_SIZE, papers_of
from paramtrack.extractors.evaluation import GroundTruthPaper, load_ground_truth
from paramtrack.extractors.numbers import within
from paramtrack.extractors.ranker import load_model
from paramtrack.review_queue.service import Correction, ReviewService
from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.extraction_store import store_extraction
from paramtrack.warehouse.review_store import candidates as queued_candidates
from paramtrack.warehouse.review_store import stage_paper
from paramtrack.warehouse.training_store import decision_examples

pytestmark = [pytest.mark.slow]

#: Notable papers of one Epoch file whose arXiv abstract states a size, staged from the abstract
#: alone (as for a paper whose PDF is unavailable) and decided by "reviewers" who write down
#: Epoch's count: the label of the measurement, never an input of extraction.
EPOCH_FILE = "notable_ai_models_2025-05.csv"
ABSTRACT_PAPERS = 40
NO_COUNT = "2106.09685"  # a method paper of the shared corpus: every count it states is a base model's


def _env() -> dict[str, str]:
    """The test's environment without a ranker choice or a Prefect server of its own."""
    return {k: v for k, v in os.environ.items() if k not in ("PARAMTRACK_RANKER_MODEL", "PREFECT_API_URL")}


def _train(exe: str, db: Path, corpus: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [exe, "--db", str(db), "ranker", "train", "--with-decisions", *(["--corpus", str(corpus)] if corpus else [])],
        capture_output=True,
        text=True,
        timeout=900,
        env=_env(),
    )


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory, corpus_dir, add_paper):
    """A warehouse of abstract-only papers plus one corpus PDF, every one decided by a reviewer."""
    wh = Warehouse(tmp_path_factory.mktemp("decisions") / "data" / "paramtrack.duckdb")
    wh.migrate()
    papers = [p for p in papers_of(corpus_dir / "epoch" / EPOCH_FILE) if _STATES_A_SIZE.search(p.abstract)]
    chosen = []
    with wh.write() as con:
        for i, p in enumerate(papers[:ABSTRACT_PAPERS]):
            aid = f"2599.{i:05d}"
            add_paper(con, aid, p.title, abstract=p.abstract)
            result = extract_abstract(title=p.title, abstract=p.abstract)
            if not result.candidates:
                continue
            sha = "abstract:" + hashlib.sha256((p.title + p.abstract).encode()).hexdigest()
            store_extraction(con, arxiv_id=aid, pdf_sha256=sha, extractor_version=extractor_version(), result=result)
            stage_paper(con, aid)
            chosen.append((aid, p, result))
        negative = next(g for g in load_ground_truth(corpus_dir) if g.arxiv_id == NO_COUNT)
        add_paper(con, NO_COUNT, negative.title)
        result = extract_pdf(corpus_dir / "pdfs" / negative.file, title=negative.title)
        store_extraction(
            con, arxiv_id=NO_COUNT, pdf_sha256="sha-lora", extractor_version=extractor_version(), result=result
        )
        stage_paper(con, NO_COUNT)
    svc = ReviewService(wh)
    approved, corrected = [], []
    for aid, p, result in chosen:
        right = max(p.counts)
        if within(result.candidates[0].value, right):
            svc.decide(aid, reviewer="alice", action="approve", system=p.systems[0])
            approved.append(aid)
            continue
        with wh.read() as con:
            match = next((c for c in queued_candidates(con, aid) if within(c["value"], right)), None)
        evidence = (
            {"evidence_candidate_id": match["candidate_id"]}
            if match
            else {"evidence": "The count as the paper's model card states it.", "evidence_page": 0}
        )
        svc.decide(
            aid,
            reviewer="bob",
            action="correct",
            correction=Correction(parameters=right, model=p.systems[0], **evidence),
        )
        corrected.append(aid)
    svc.decide(NO_COUNT, reviewer="carol", action="reject", reason="no count stated")
    svc.decide(NO_COUNT, reviewer="carol", action="note", note="a note labels nothing")
    return wh, {"approved": approved, "corrected": corrected, "chosen": chosen}


def test_decisions_are_read_back_as_labelled_candidates(reviewed) -> None:
    wh, data = reviewed
    with wh.read() as con:
        examples = {e.key: e for e in decision_examples(con)}
    assert data["approved"] and data["corrected"]
    assert set(examples) == {*data["approved"], *data["corrected"], NO_COUNT}
    for aid in data["approved"]:  # the approved top candidate is right
        assert examples[aid].labels[0]
    results = {aid: result for aid, _, result in data["chosen"]}
    for aid in data["corrected"]:  # the corrected value is right, the replaced top candidate wrong
        ex = examples[aid]
        assert not ex.labels[[c.value for c in ex.candidates].index(results[aid].candidates[0].value)]
    assert not any(examples[NO_COUNT].labels)  # "no count stated": every candidate wrong
    assert all(c.features for ex in examples.values() for c in ex.candidates)  # the stored features


def _small_ground_truth(corpus_dir: Path, dest: Path, papers: int) -> tuple[Path, list[GroundTruthPaper]]:
    """A hand-checked set of the first ``papers`` rows of the shared one, PDFs linked, not copied."""
    (dest / "pdfs").mkdir(parents=True)
    with (corpus_dir / "pdfs" / "ground_truth.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames or [], list(reader)[:papers]
    with (dest / "pdfs" / "ground_truth.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fields)
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        (dest / "pdfs" / row["file"]).symlink_to(corpus_dir / "pdfs" / row["file"])
    return dest, load_ground_truth(dest)


def test_decisions_are_measured_like_for_like_and_the_verdict_follows(
    reviewed, corpus_dir, tmp_path, paramtrack_exe
) -> None:
    """An installation whose reviewers have decided twice as many papers as its hand-checked set
    holds (20 papers): the ground truth and the decided papers are cross-validated with and without
    the decisions, over the same held-out papers, and the model beside the warehouse is written
    exactly when the verdict says "Adopted". (With extractor 3.0.0 these decisions raise the
    confident precision on the decided papers but not their top-1, so they are not adopted: see
    docs/extraction.md, "Learning from reviewers".)"""
    wh, data = reviewed
    decided = len(data["approved"]) + len(data["corrected"]) + 1
    small, kept = _small_ground_truth(corpus_dir, tmp_path / "corpus", 20)
    (wh.path.parent / "ranker" / "model.json").unlink(missing_ok=True)  # the module's other test writes one
    res = _train(paramtrack_exe, wh.path, small)
    assert res.returncode == 0, res.stdout + res.stderr
    with_count = sum(1 for p in kept if p.expected)
    assert f"({with_count} with a count, {len(kept) - with_count} without)" in res.stdout
    assert f"Reviewer decisions that label candidates: {decided} papers" in res.stdout
    for part in ("ground truth (PDFs)", "decision papers"):
        for way in ("without", "with"):
            assert re.search(rf"{re.escape(part)}, trained {way} decisions\s+top-1 [\d.]+%", res.stdout), (part, way)
    written = (wh.path.parent / "ranker" / "model.json").exists()
    assert ("Adopted model r" in res.stdout) == written, res.stdout
    assert ("Not adopted: cross-validation got worse" in res.stdout) == (not written), res.stdout


def test_a_model_beside_the_warehouse_is_the_one_its_commands_use(
    reviewed, corpus_dir, tmp_path, paramtrack_exe
) -> None:
    """A model written beside a warehouse (where an adopted one goes) is what every command of that
    warehouse ranks with: `ranker show` and `status` name it, not the packaged one."""
    wh, _data = reviewed
    small, _kept = _small_ground_truth(corpus_dir, tmp_path / "corpus", 20)
    path = wh.path.parent / "ranker" / "model.json"
    res = subprocess.run(
        [paramtrack_exe, "ranker", "train", "--corpus", str(small), "--output", str(path)],
        capture_output=True,
        text=True,
        timeout=900,
        env=_env(),
    )
    assert res.returncode == 0, res.stdout + res.stderr
    local = load_model(path)
    assert local.tag != load_model().tag
    show = subprocess.run(
        [paramtrack_exe, "--db", str(wh.path), "ranker", "show"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert show.returncode == 0 and f"r{local.tag}" in show.stdout and str(path) in show.stdout
    status = subprocess.run(
        [paramtrack_exe, "--db", str(wh.path), "status"], capture_output=True, text=True, timeout=120, env=_env()
    )
    assert f"Ranker: r{local.tag}" in status.stdout, status.stdout


def test_decisions_that_contradict_the_ground_truth_are_not_adopted(
    tmp_path, corpus_dir, paramtrack_exe, add_paper
) -> None:
    """Every paper "corrected" to the smallest number it states: cross-validation on the
    hand-checked papers gets worse, so the model in use stays."""
    wh = Warehouse(tmp_path / "data" / "paramtrack.duckdb")
    wh.migrate()
    small, kept = _small_ground_truth(corpus_dir, tmp_path / "corpus", 30)
    ground_truth = [p for p in kept if p.expected]
    smallest = {}
    with wh.write() as con:
        for p in ground_truth:
            add_paper(con, p.arxiv_id, p.title)
            result = extract_pdf(corpus_dir / "pdfs" / p.file, title=p.title)
            store_extraction(
                con,
                arxiv_id=p.arxiv_id,
                pdf_sha256=f"sha-{p.arxiv_id}",
                extractor_version=extractor_version(),
                result=result,
            )
            stage_paper(con, p.arxiv_id)
            if result.candidates:
                smallest[p.arxiv_id] = float(min(c.value for c in result.candidates))
    svc = ReviewService(wh)
    for aid, value in smallest.items():
        svc.decide(
            aid,
            reviewer="mallory",
            action="correct",
            correction=Correction(
                parameters=value, model=f"System of {aid}", evidence="The smallest number it prints.", evidence_page=1
            ),
        )
    res = _train(paramtrack_exe, wh.path, small)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Not adopted: cross-validation got worse" in res.stdout
    assert not (wh.path.parent / "ranker" / "model.json").exists()
