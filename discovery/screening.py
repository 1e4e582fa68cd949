"""Screening: what the ingest does with records from outside before they reach the warehouse.

Each incoming :class:`~sources.arxiv_source.ArxivPaper` is

* **kept** as is — markup, quotes and SQL-looking text are just text: the warehouse binds every
  value as a parameter and the review app escapes it, so neither needs changing;
* **kept cleaned** ("stored safely") — characters that only hide or reorder what a reader sees
  are removed: control characters (C0/C1; tab, CR and LF become spaces), bidi overrides and
  isolates, zero-width characters and the BOM. Text that is not valid Unicode (lone surrogates
  from a JSON ``\\ud800`` escape, non-characters) becomes U+FFFD, as bytes that were not UTF-8
  already did in the source clients;
* **rejected** with a reason — a date arXiv cannot have given (before arXiv opened in August
  1991, after the run's ``as_of`` + 1 day, a version updated before it was published) or a
  field over :data:`LIMITS`. A rejected record is not stored; the flow records the reason in
  ``rejected_records`` so an analyst can see what was dropped and why.

Pure functions, no I/O: the flow passes the merged papers in and stores what comes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from paramtrack.extractors.cleaning import clean_text
from paramtrack.sources.arxiv_source import ArxivPaper

__all__ = ["ARXIV_FIRST_DAY", "LIMITS", "Rejection", "Screened", "clean_text", "screen_paper", "screen_papers"]

#: arXiv opened in August 1991 (hep-th/9108001); no real first version is older.
ARXIV_FIRST_DAY = date(1991, 8, 1)

#: Size limits, in characters (authors: a count). Each has a wide margin over real arXiv maxima,
#: so only broken or hostile records hit them:
#: * abstract: arXiv's submission form caps abstracts at 1,920 characters -> 10x margin;
#: * title: arXiv sets no hard cap, real titles stay under ~300 characters -> ~7x margin;
#: * authors: the longest real author lists (ATLAS+CMS, arXiv:1503.07589) have ~5,150 names
#:   -> ~4x margin; one author's name: collaboration names with notes stay under ~200;
#: * journal_ref / doi / comment-like fields: a few hundred characters at most.
LIMITS: dict[str, int] = {
    "title": 2_000,
    "abstract": 20_000,
    "authors": 20_000,
    "author_name": 1_000,
    "journal_ref": 2_000,
    "doi": 500,
}

#: How much of a rejected record's title is kept as its excerpt.
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Rejection:
    """A record that was not stored, and why."""

    record_id: str
    source: str  # how it was found: arxiv_window | watchlist | s2_bulk | manual
    reason: str
    excerpt: str


@dataclass
class Screened:
    """The outcome for a batch: papers to judge and store, which were cleaned, which rejected."""

    kept: dict[str, tuple[ArxivPaper, str]] = field(default_factory=dict)
    cleaned: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def _excerpt(text: str) -> str:
    one_line = " ".join(clean_text(text[: EXCERPT_CHARS * 4]).split())
    return one_line if len(one_line) <= EXCERPT_CHARS else one_line[: EXCERPT_CHARS - 1] + "…"


def _rejection_reason(paper: ArxivPaper, as_of: date) -> str | None:
    for name in ("title", "abstract", "journal_ref", "doi"):
        value = getattr(paper, name) or ""
        if len(value) > LIMITS[name]:
            return f"{name} is {len(value):,} characters, over the {LIMITS[name]:,} limit"
    if len(paper.authors) > LIMITS["authors"]:
        return f"{len(paper.authors):,} authors, over the {LIMITS['authors']:,} limit"
    longest = max((len(a) for a in paper.authors), default=0)
    if longest > LIMITS["author_name"]:
        return f"an author name is {longest:,} characters, over the {LIMITS['author_name']:,} limit"
    latest = as_of + timedelta(days=1)
    published = paper.published
    if published is not None:
        if published < ARXIV_FIRST_DAY:
            return f"published {published.isoformat()}, before arXiv existed (1991-08)"
        if published > latest:
            return f"published {published.isoformat()}, after this run's date {as_of.isoformat()} + 1 day"
    updated = paper.updated.date() if paper.updated is not None else None
    if updated is not None:
        if updated > latest:
            return f"updated {updated.isoformat()}, after this run's date {as_of.isoformat()} + 1 day"
        if published is not None and updated < published:
            return f"updated {updated.isoformat()}, before it was published ({published.isoformat()})"
    return None


def screen_paper(paper: ArxivPaper, *, as_of: date) -> tuple[ArxivPaper | None, str | None]:
    """``(paper to store, None)`` — possibly cleaned — or ``(None, reason)`` when rejected."""
    reason = _rejection_reason(paper, as_of)
    if reason:
        return None, reason
    title = " ".join(clean_text(paper.title).split())
    abstract = " ".join(clean_text(paper.abstract or "").split())
    authors = tuple(" ".join(clean_text(a).split()) for a in paper.authors)
    journal_ref = clean_text(paper.journal_ref) if paper.journal_ref else paper.journal_ref
    doi = clean_text(paper.doi) if paper.doi else paper.doi
    cleaned = replace(paper, title=title, abstract=abstract, authors=authors, journal_ref=journal_ref, doi=doi)
    return cleaned, None


def screen_papers(papers: Mapping[str, tuple[ArxivPaper, str]], *, as_of: date) -> Screened:
    """Screen merged ``{arxiv_id: (paper, found_by)}``; order and found_by are kept."""
    out = Screened()
    for arxiv_id, (paper, found_by) in papers.items():
        kept, reason = screen_paper(paper, as_of=as_of)
        if kept is None:
            out.rejected.append(Rejection(arxiv_id, found_by, reason or "rejected", _excerpt(paper.title)))
            continue
        if _meaningful_change(paper, kept) or _has_replacement(kept):
            out.cleaned.append(arxiv_id)
        out.kept[arxiv_id] = (kept, found_by)
    return out


def _meaningful_change(before: ArxivPaper, after: ArxivPaper) -> bool:
    """Whether cleaning removed or replaced characters (not only collapsed spaces)."""

    def squash(p: ArxivPaper) -> tuple:
        return (
            " ".join(p.title.split()),
            " ".join((p.abstract or "").split()),
            tuple(" ".join(a.split()) for a in p.authors),
            p.journal_ref,
            p.doi,
        )

    return squash(before) != squash(after)


def _has_replacement(p: ArxivPaper) -> bool:
    """Whether a source client already replaced undecodable bytes (U+FFFD) in the record."""
    return any("\ufffd" in (t or "") for t in (p.title, p.abstract, p.journal_ref, p.doi, *p.authors))
