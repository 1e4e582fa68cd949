"""The intake steps of the discover flow, as plain functions the flow orchestrates.

poll arXiv for a submission window → add the watchlist → ask Semantic Scholar for citation
counts → look for notable papers the windows missed (bulk search) → judge each paper by the
notability rule → rows for the warehouse. Nothing here touches the database or Prefect: the
flow passes in what was read and writes what comes out, so each step is testable alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from paramtrack.discovery.notability import NotabilityRule, Verdict
from paramtrack.sources.arxiv_source import ArxivPaper
from paramtrack.warehouse.papers_store import PaperRow

#: Words a bulk search uses to keep to ML papers (Semantic Scholar's bulk query syntax: | = OR).
DEFAULT_BULK_QUERY = (
    "neural network | deep learning | language model | transformer | reinforcement learning"
    " | machine learning | diffusion model"
)


class CitationInfo(Protocol):
    """What a citation lookup provides (``sources.semantic_scholar.S2Paper`` has this shape)."""

    paper_id: str | None
    arxiv_id: str | None
    citation_count: int | None
    influential_citation_count: int | None


def watched_paper(row: Mapping[str, Any]) -> ArxivPaper:
    """A warehouse watchlist row as an arXiv record, so it is re-judged like a fresh one."""
    return ArxivPaper(
        arxiv_id=row["arxiv_id"],
        version=row.get("version"),
        title=row["title"],
        abstract=row.get("abstract") or "",
        authors=tuple(row.get("authors") or ()),
        categories=tuple(row.get("categories") or ()),
        primary_category=row.get("primary_category") or "",
        # watchlist() selects both columns and every paper row is written from an ArxivPaper
        published=row["published"],
        updated=row["updated"],
        doi=row.get("doi"),
        journal_ref=row.get("journal_ref"),
        pdf_url=row.get("pdf_url"),
    )


def merge_papers(*groups: Iterable[tuple[ArxivPaper, str]]) -> dict[str, tuple[ArxivPaper, str]]:
    """Union of (paper, found_by) groups by arXiv id; the first group to name a paper wins."""
    merged: dict[str, tuple[ArxivPaper, str]] = {}
    for group in groups:
        for paper, found_by in group:
            merged.setdefault(paper.arxiv_id, (paper, found_by))
    return merged


def bulk_date_range(since: date, until: date, lookback_years: int) -> str:
    """``publicationDateOrYear`` for the missed-paper search: from ``lookback_years`` before."""
    start = date(max(since.year - lookback_years, 1900), since.month, 1)
    return f"{start.isoformat()}:{until.isoformat()}"


def judge(
    papers: Mapping[str, tuple[ArxivPaper, str]],
    citations: Mapping[str, CitationInfo | None],
    *,
    rule: NotabilityRule,
    as_of: date,
    history: Mapping[str, Sequence[tuple[date, int]]] = {},
) -> list[PaperRow]:
    """One warehouse row per paper, with the rule's verdict as its status."""
    rows: list[PaperRow] = []
    for arxiv_id, (paper, found_by) in sorted(papers.items()):
        info = citations.get(arxiv_id)
        count = info.citation_count if info else None
        past = list(history.get(arxiv_id, ()))
        if count is not None:
            past = [*past, (as_of, count)]
        if found_by == "manual":
            # A maintainer who adds a paper by id has already judged it notable.
            verdict = Verdict.NOTABLE
        else:
            verdict = rule.judge(published=paper.published, citations=count, as_of=as_of, history=past)
        rows.append(
            PaperRow(
                arxiv_id=arxiv_id,
                version=paper.version,
                title=" ".join(paper.title.split()),
                abstract=paper.abstract,
                authors=list(paper.authors),
                categories=list(paper.categories),
                primary_category=paper.primary_category,
                published=paper.published,
                updated=paper.updated,
                doi=paper.doi,
                journal_ref=paper.journal_ref,
                pdf_url=paper.pdf_url,
                s2_paper_id=info.paper_id if info else None,
                citation_count=count,
                influential_citation_count=info.influential_citation_count if info else None,
                status=verdict.value,
                found_by=found_by,
            )
        )
    return rows


def summarise(rows: Sequence[PaperRow]) -> dict[str, int]:
    out = {v.value: 0 for v in Verdict}
    for row in rows:
        out[row.status] = out.get(row.status, 0) + 1
    return out


def batches(items: Sequence[Any], size: int) -> Iterable[list[Any]]:
    """``items`` in consecutive lists of at most ``size`` (the unit a run commits at once)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
