"""The in-process extraction path: PDF -> pages -> mentions -> ranked candidates + date + domain.

Use :func:`extractors.safety.extract_pdf_safely` for untrusted PDFs (child process, time and memory
limits); this function trusts its input only as far as pypdfium2 does, and returns every failure
as ``ExtractionResult(error=...)``.

arXiv's title and abstract are evidence too: they are read as **page 0**. A value the abstract
states is marked as stated there on the PDF's own mentions (the feature ``in_abstract``), and a
value only the abstract states becomes a candidate of its own. A paper whose PDF is unavailable
still gets candidates from page 0 alone (:func:`extract_abstract`, candidate source
``abstract``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from paramtrack.extractors import patterns as P
from paramtrack.extractors.candidates import (
    Document,
    Mention,
    apply_paper_kind,
    build_document,
    find_mentions,
)
from paramtrack.extractors.columns import may_hold_a_parameter_table, read_layout_tables
from paramtrack.extractors.domain import classify_domain
from paramtrack.extractors.features import PaperContext
from paramtrack.extractors.layout import PageLayout
from paramtrack.extractors.metadata import find_stamp, first_version_date
from paramtrack.extractors.names import system_names
from paramtrack.extractors.pdf_text import MAX_PAGES, PdfTextError, normalise_text, read_pdf_text
from paramtrack.extractors.quantities import find_other_quantities
from paramtrack.extractors.ranker import RankerModel
from paramtrack.extractors.ranking import _same_model, group_mentions, score_candidates
from paramtrack.extractors.rule_families import enabled
from paramtrack.extractors.types import Candidate, ExtractionResult
from paramtrack.extractors.version import RULES_VERSION, extractor_version


def extract_pdf(
    source: Path | str | bytes,
    *,
    published: date | None = None,
    title: str | None = None,
    abstract: str | None = None,
    max_pages: int = MAX_PAGES,
    model: RankerModel | None = None,
    score: bool = True,
) -> ExtractionResult:
    """Extract ranked parameter-count candidates, compute/dataset proposals, date and domain.

    ``published``/``title``/``abstract`` are arXiv metadata when the caller has it: ``published``
    is the first-version date, the title's system name ("PaLM: ...") marks sentences about the
    paper's own model (without it, the title is read off page 1), and title + abstract are page 0.
    The domain is read from the title and the abstract (arXiv's, else the one page 1 prints).
    ``model`` scores the candidates (default: the active ranker model); ``score=False`` leaves them
    unscored and unordered, for training and cross-validation, which score them with models of
    their own.
    """
    # unscored results are training material: they name the rules only, whatever model is installed
    result = ExtractionResult(extractor_version=extractor_version() if score else RULES_VERSION)
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
    title = title or text.title  # a PDF without arXiv's metadata names its system in its title too

    doc, result.candidates, result.other_candidates = rank_pages(
        text.pages, title=title, abstract=abstract, model=model, score=score, layouts=text.layouts
    )
    result.domain, result.domain_confidence = classify_domain(f"{title or ''}. {abstract or front_matter(doc)}")
    return result


def extract_abstract(
    *,
    title: str | None,
    abstract: str | None,
    published: date | None = None,
    model: RankerModel | None = None,
    score: bool = True,
) -> ExtractionResult:
    """Candidates from arXiv's title and abstract alone: for a notable paper whose PDF is unavailable.

    Every candidate's page is 0 and its source ``abstract``; ``pages`` is 0 (no PDF was read).
    """
    # unscored results are training material: they name the rules only, whatever model is installed
    result = ExtractionResult(extractor_version=extractor_version() if score else RULES_VERSION)
    result.date, result.date_source = first_version_date(published, None)
    front = page_zero(title, abstract)
    if not front.strip():
        return result
    doc = build_document([front], first_page=0)
    terms = system_names(title, doc.text)
    mentions = find_mentions(doc, title_terms=terms)
    moe = enabled("moe_papers") and P.is_moe_paper(title, front)
    apply_paper_kind(mentions, moe)
    cands = group_mentions(mentions, PaperContext(moe=moe))
    result.candidates = score_candidates(cands, model) if score else cands
    result.other_candidates = find_other_quantities(doc)
    result.domain, result.domain_confidence = classify_domain(front)
    return result


#: Characters of page 1 that stand in for an abstract the text does not head as one.
FRONT_CHARS = 3000


def front_matter(doc: Document) -> str:
    """The abstract page 1 prints (from its heading to the first section), else page 1's start."""
    if doc.abstract_span:
        return doc.text[doc.abstract_span[0] : doc.abstract_span[1]]
    end = doc.page_starts[1] if len(doc.page_starts) > 1 else len(doc.text)
    return doc.text[: min(end, FRONT_CHARS)]


def page_zero(title: str | None, abstract: str | None) -> str:
    """Title and abstract as one normalised page (arXiv abstracts hard-wrap at ~80 columns)."""
    parts = [" ".join(normalise_text(t).split()) for t in (title, abstract) if t and t.strip()]
    if len(parts) == 2 and not parts[0].endswith((".", "?", "!")):
        parts[0] += "."  # the title is a sentence of its own, not the start of the abstract's first
    return "\n\n".join(parts)


def _merge_page_zero(front: str, terms: set[str], mentions: list[Mention]) -> list[Mention]:
    """Mark PDF mentions of values the abstract states; return the abstract's other mentions.

    The abstract on arXiv and the one printed on page 1 are usually the same text: counting it
    twice would make every abstract value look repeated. So a value the PDF also states only gains
    the ``abstract`` mark; a value only arXiv's abstract states is kept as a page-0 mention.
    """
    doc0 = build_document([front], first_page=0)
    extra: list[Mention] = []
    for m0 in find_mentions(doc0, title_terms=terms):
        same = [m for m in mentions if _same_model(m.value, m0.value)]
        if same:
            for m in same:
                m.features["abstract"] = True
        else:
            m0.features["offset_frac"] = 0.0
            extra.append(m0)
    return extra


def rank_pages(
    pages: list[str],
    *,
    title: str | None = None,
    abstract: str | None = None,
    model: RankerModel | None = None,
    score: bool = True,
    layouts: dict[int, PageLayout] | None = None,
):
    """Candidates from already-extracted page texts (``pages[0]`` is page 1).

    Separate from the PDF reading so rules can be tested on plain sentences. Tables are read only
    from ``layouts`` (word positions of the pages that may hold a parameter table), by column
    position: reading them from the text stream as well paid nothing on the blind set
    (docs/extraction.md, the ablation).
    """
    doc: Document = build_document(pages)
    terms = system_names(title, doc.text[: doc.refs_span[0]] if doc.refs_span else doc.text)
    mentions = find_mentions(doc, title_terms=terms)
    layouts = (layouts or {}) if enabled("layout_tables") else {}
    mentions += read_layout_tables(layouts, doc, terms)
    if abstract:
        mentions += _merge_page_zero(page_zero(title, abstract), terms, mentions)
    moe = enabled("moe_papers") and P.is_moe_paper(title, pages[0] if pages else "")
    apply_paper_kind(mentions, moe)
    cands: list[Candidate] = group_mentions(mentions, PaperContext(moe=moe))
    if score:
        cands = score_candidates(cands, model)
    return doc, cands, find_other_quantities(doc)
