"""The extractor on the shared arXiv corpus: evaluation targets, JSON shape, date and domain."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest_extract import corpus  # noqa: E402,F401

from extractors import CONFIDENT_SCORE, EXTRACTOR_VERSION, extract_pdf  # noqa: E402
from extractors.evaluation import TARGETS, evaluate  # noqa: E402


@pytest.fixture(scope="module")
def report(corpus: Path):  # noqa: F811
    return evaluate(corpus)


def test_evaluation_meets_the_targets_on_the_shared_set(report) -> None:  # type: ignore[no-untyped-def]
    t = report.totals
    assert t["top1"] >= TARGETS["top1"], report.render()
    assert t["top3"] >= TARGETS["top3"], report.render()
    assert t["off_by_1000"] == 0, report.render()
    assert t["no_count_precision"] == 1.0, report.render()


def test_papers_that_state_no_count_get_no_confident_candidate(report) -> None:  # type: ignore[no-untyped-def]
    for o in report.negatives:
        assert all(c.score < CONFIDENT_SCORE for c in o.result.candidates), o.arxiv_id


def test_domain_agrees_with_ground_truth(report) -> None:  # type: ignore[no-untyped-def]
    assert report.totals["domain_agreement"] >= 0.9


def test_json_has_the_cli_shape(corpus: Path) -> None:  # noqa: F811
    r = extract_pdf(corpus / "pdfs" / "2401.04088v1.pdf")
    d = json.loads(r.to_json(limit=10))
    assert {"candidates", "domain", "date", "pages", "error"} <= set(d)
    c = d["candidates"][0]
    assert {"parameters", "kind", "model", "evidence", "page", "score"} <= set(c)
    assert c["parameters"] == 47_000_000_000 and c["kind"] == "moe_total" and c["page"] == 1
    assert d["extractor_version"] == EXTRACTOR_VERSION and d["error"] is None and d["pages"] == 13


def test_date_comes_from_metadata_first_then_a_v1_stamp(corpus: Path) -> None:  # noqa: F811
    pdf = corpus / "pdfs" / "2204.02311v1.pdf"
    r = extract_pdf(pdf)
    assert r.date == date(2022, 4, 5) and r.date_source == "pdf-stamp-v1" and r.stamp_version == 1
    r = extract_pdf(pdf, published=date(2022, 4, 4), categories=["cs.CL"])
    assert r.date == date(2022, 4, 4) and r.date_source == "arxiv-metadata" and r.domain == "language"


def test_a_later_version_stamp_is_not_passed_off_as_the_first_version(corpus: Path) -> None:  # noqa: F811
    r = extract_pdf(corpus / "pdfs" / "1810.04805v2.pdf")
    assert r.stamp_version == 2 and "not first version" in (r.date_source or "")
