"""Bad input ends as ``ExtractionResult(error=...)`` with a clear reason; the caller survives.

Every PDF here is built in the test (see pdf_builders.py), so each says exactly what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_builders import (
    PAPER_LINES,
    bomb_pdf,
    build_pdf,
    encrypted_pdf,
    image_only_pdf,
    text_pdf,
    text_stream,
    zero_page_pdf,
)

from paramtrack.extractors import ExtractionResult, extract_pdf, extract_pdf_safely
from paramtrack.extractors.pdf_text import MAX_PAGES


def test_a_small_valid_pdf_gives_its_own_model_first() -> None:
    r = extract_pdf(text_pdf())
    assert r.error is None and r.pages == 1
    assert r.top is not None and r.top.value == 2_700_000_000 and r.top.page == 1


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: b"this is not a pdf at all " * 50, "not a PDF"),
        (lambda: text_pdf()[:300], "truncated"),
        (lambda: text_pdf()[:100] + b"\x00garbage" * 50, "PDF"),
        (encrypted_pdf, "encrypted"),
        (zero_page_pdf, "zero pages"),
        (image_only_pdf, "no text layer (scanned?)"),
    ],
    ids=["non-pdf", "truncated", "corrupt", "encrypted", "zero-page", "image-only"],
)
def test_unreadable_pdfs_are_errors_not_exceptions(make, reason: str) -> None:  # type: ignore[no-untyped-def]
    r = extract_pdf(make())
    assert isinstance(r, ExtractionResult)
    assert r.error is not None and reason in r.error
    assert r.candidates == []
    assert '"error": ' in r.to_json()


def test_a_2000_page_pdf_is_read_up_to_the_page_cap_and_says_so() -> None:
    r = extract_pdf(build_pdf([text_stream(PAPER_LINES)], shared_content_pages=2000))
    assert r.error is None
    assert r.pages == 2000 and r.pages_read == MAX_PAGES and r.truncated


def test_a_missing_file_is_an_error_value(tmp_path: Path) -> None:
    assert "not found" in (extract_pdf_safely(tmp_path / "nope.pdf").error or "")


@pytest.mark.slow
def test_a_decompression_bomb_is_stopped_by_the_memory_limit_and_the_caller_survives() -> None:
    r = extract_pdf_safely(bomb_pdf(1024), timeout_s=60, max_memory_mb=512)
    assert r.error is not None
    assert "memory" in r.error or "died" in r.error or "timed out" in r.error


@pytest.mark.slow
def test_safe_extraction_returns_the_same_result_as_in_process() -> None:
    r = extract_pdf_safely(text_pdf(), timeout_s=60)
    assert r.error is None and r.top is not None and r.top.value == 2_700_000_000


def test_a_timeout_is_an_error_value() -> None:
    r = extract_pdf_safely(text_pdf(), timeout_s=0.01)
    assert r.error is not None and "timed out" in r.error
