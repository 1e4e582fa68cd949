"""The in-process extraction path: PDF -> pages -> mentions -> ranked candidates + date + domain.

Use :func:`extractors.safety.extract_pdf_safely` for untrusted PDFs (child process, time and memory
limits); this function trusts its input only as far as pypdfium2 does, and returns every failure
as ``ExtractionResult(error=...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from extractors import patterns as P
from extractors.candidates import apply_paper_kind, build_document, find_mentions
from extractors.columns import may_hold_a_parameter_table, read_layout_tables
from extractors.layout import PageLayout
from extractors.names import system_names
from extractors.metadata import classify_domain, find_stamp, first_version_date
from extractors.pdf_text import MAX_PAGES, PdfTextError, read_pdf_text
from extractors.quantities import find_other_quantities
from extractors.features import PaperContext
from extractors.ranker import RankerModel
from extractors.ranking import group_mentions, score_candidates
from extractors.tables import find_table_mentions, plumber_table_mentions
from extractors.types import ExtractionResult
from extractors.version import EXTRACTOR_VERSION


def extract_pdf(
    source: Path | str | bytes,
    *,
    categories: Sequence[str] | None = None,
    published: date | None = None,
    title: str | None = None,
    abstract: str | None = None,
    max_pages: int = MAX_PAGES,
    model: RankerModel | None = None,
    score: bool = True,
) -> ExtractionResult:
    """Extract ranked parameter-count candidates, compute/dataset proposals, date and domain.

    ``categories``/``published``/``title``/``abstract`` are arXiv metadata when the caller has it:
    categories drive the domain, ``published`` is the first-version date, and the title's system
    name ("PaLM: ...") marks sentences about the paper's own model. ``model`` scores the
    candidates (default: the active ranker model); ``score=False`` leaves them unscored and
    unordered, for training and cross-validation, which score them with models of their own.
    """
    result = ExtractionResult(extractor_version=EXTRACTOR_VERSION)
    if isinstance(source, str):
        source = Path(source)
    try:
        text = read_pdf_text(source, max_pages=max_pages, layout_if=may_hold_a_parameter_table)
    except PdfTextError as exc:
        result.error = str(exc)
        if published is not None:
            result.date, result.date_source = first_version_date(published, None)
        return result
    except Exception as exc:  # pdfium can fail in ways it does not document; still a value
        result.error = f"unreadable PDF ({type(exc).__name__}: {exc})"
        return result

    result.pages = text.page_count
    result.pages_read = len(text.pages)
    result.truncated = text.truncated
    stamp = find_stamp(text.pages)
    if stamp:
        result.stamp, result.stamp_version = stamp.text, stamp.version
    result.date, result.date_source = first_version_date(published, stamp)

    doc, result.candidates, result.other_candidates = rank_pages(
        text.pages, title=title, source=source, model=model, score=score, layouts=text.layouts)
    body = (abstract or "") + "\n" + doc.text
    result.domain, result.domain_confidence = classify_domain(body, categories, stamp)
    return result


def rank_pages(  # type: ignore[no-untyped-def]
    pages: list[str], *, title: str | None = None, source: Path | bytes | None = None,
    model: RankerModel | None = None, score: bool = True, layouts: dict[int, PageLayout] | None = None,
):
    """Candidates from already-extracted page texts (``pages[0]`` is page 1).

    Separate from the PDF reading so rules can be tested on plain sentences; ``source`` enables
    pdfplumber's column finder for tables whose columns the text alone cannot resolve.
    ``layouts`` (word positions of pages that may hold a parameter table) replace the text-based
    table reading on those pages: columns are read by position there.
    """
    doc = build_document(pages)
    terms = system_names(title, doc.text[: doc.refs_span[0]] if doc.refs_span else doc.text)
    mentions = find_mentions(doc, title_terms=terms)
    layouts = layouts or {}
    table_mentions, plumber_pages = find_table_mentions(pages, doc, terms)
    mentions += [m for m in table_mentions if m.page not in layouts]
    mentions += read_layout_tables(layouts, doc, terms)
    plumber_pages = [p for p in plumber_pages if p not in layouts]
    if plumber_pages and source is not None:
        try:
            mentions += plumber_table_mentions(source, plumber_pages, doc, terms)
        except Exception:  # a table finder failure must not lose the text candidates
            pass
    moe = P.is_moe_paper(title, pages[0] if pages else "")
    apply_paper_kind(mentions, moe)
    cands = group_mentions(mentions, PaperContext(moe=moe))
    if score:
        cands = score_candidates(cands, model)
    return doc, cands, find_other_quantities(doc)
