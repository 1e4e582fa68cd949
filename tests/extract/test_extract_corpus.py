"""The extractor on the shared arXiv corpus: how evaluation is done, JSON shape, date and stamp.

Accuracy is a measurement (``make eval``, ``benchmarks/extraction_eval.py``), not a test: these
tests check that the evaluation is cross-validated by paper and that results have their shape.
"""

from __future__ import annotations

import collections
import json
from datetime import date
from pathlib import Path

import pytest

from paramtrack.extractors import EXTRACTOR_VERSION, extract_pdf
from paramtrack.extractors.evaluation import evaluate


@pytest.fixture(scope="module")
def report(corpus: Path):
    return evaluate(corpus, folds=3, limit=15)


@pytest.mark.slow
def test_every_paper_is_ranked_cross_validated_and_in_sample(report) -> None:  # type: ignore[no-untyped-def]
    """The quoted figures come from models that never saw the paper; the in-sample ones sit beside them."""
    assert [o.arxiv_id for o in report.cv] == [o.arxiv_id for o in report.in_sample]
    assert len(report.cv) == 15 and report.folds == 3
    text = report.render()
    assert "cross-validated" in text and "in-sample" in text and "top-1" in text and "negatives clean" in text
    for metric in ("top1", "top3", "among", "confident_precision", "negatives_clean", "off_by_1000", "domain"):
        assert metric in report.totals and metric in report.in_sample_totals


@pytest.mark.slow
def test_a_paper_is_scored_by_the_model_of_the_other_folds(corpus: Path) -> None:
    """Folds are dealt by paper with a fixed seed: the same seed gives the same folds and figures,
    and a paper's cross-validated model differs from the in-sample (packaged) one."""
    from paramtrack.extractors.evaluation import examples_from, extract_ground_truth, load_ground_truth
    from paramtrack.extractors.training import cross_validated_models, fold_of

    papers = load_ground_truth(corpus)[:12]
    keys = [p.arxiv_id for p in papers]
    assert fold_of(keys, 3, 0) == fold_of(keys, 3, 0) and fold_of(keys, 3, 0) != fold_of(keys, 3, 1)
    assert sorted(collections.Counter(fold_of(keys, 3, 0).values()).values()) == [4, 4, 4]
    examples = examples_from(extract_ground_truth(corpus, papers))
    models = cross_validated_models(examples, k=3, seed=0)
    folds = fold_of(keys, 3, 0)
    for a in keys:
        for b in keys:
            assert (models[a] is models[b]) == (folds[a] == folds[b])


def test_json_has_the_cli_shape(corpus: Path) -> None:
    r = extract_pdf(corpus / "pdfs" / "2401.04088v1.pdf")
    d = json.loads(r.to_json(limit=10))
    assert {"candidates", "domain", "date", "pages", "error"} <= set(d)
    c = d["candidates"][0]
    assert {"parameters", "kind", "model", "evidence", "page", "score"} <= set(c)
    assert c["parameters"] == 47_000_000_000 and c["kind"] == "moe_total" and c["page"] == 1
    assert d["extractor_version"] == EXTRACTOR_VERSION and d["error"] is None and d["pages"] == 13


def test_date_comes_from_metadata_first_then_a_v1_stamp(corpus: Path) -> None:
    pdf = corpus / "pdfs" / "2204.02311v1.pdf"
    r = extract_pdf(pdf)
    assert r.date == date(2022, 4, 5) and r.date_source == "pdf-stamp-v1" and r.stamp_version == 1
    r = extract_pdf(pdf, published=date(2022, 4, 4))
    assert r.date == date(2022, 4, 4) and r.date_source == "arxiv-metadata" and r.domain == "language"


def test_a_later_version_stamp_is_not_passed_off_as_the_first_version(corpus: Path) -> None:
    r = extract_pdf(corpus / "pdfs" / "1810.04805v2.pdf")
    assert r.stamp_version == 2 and "not first version" in (r.date_source or "")
