"""Papers, citation snapshots and PDF downloads: the intake side of the warehouse.

Upserts are keyed by the arXiv id without version, so the same paper found twice (two windows,
or arXiv and Semantic Scholar) is one row; a re-run of the same window on the same day rewrites
identical values and adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import duckdb


@dataclass(frozen=True)
class PaperRow:
    """Everything the intake knows about one paper at one moment."""

    arxiv_id: str
    version: int | None
    title: str
    abstract: str | None
    authors: Sequence[str]
    categories: Sequence[str]
    primary_category: str | None
    published: date | None
    updated: datetime | None
    doi: str | None
    journal_ref: str | None
    pdf_url: str | None
    s2_paper_id: str | None
    citation_count: int | None
    influential_citation_count: int | None
    status: str  # watch | notable | aged_out
    found_by: str  # arxiv_window | s2_bulk | watchlist


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    newly_notable: list[str]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def upsert_papers(
    con: duckdb.DuckDBPyConnection, rows: Iterable[PaperRow], *, seen_at: datetime | None = None
) -> UpsertCounts:
    """Insert new papers, refresh known ones, snapshot citations once per day.

    A paper never goes back from ``notable`` to ``watch``: notability is sticky, so a citation
    count that dips (Semantic Scholar merges and splits records) does not pull a paper out of
    the review queue.
    """
    seen_at = seen_at or _now()
    inserted = updated = 0
    newly_notable: list[str] = []
    for row in rows:
        existing = con.execute(
            "SELECT status FROM papers WHERE arxiv_id = ?", [row.arxiv_id]
        ).fetchone()
        status = row.status
        if existing and existing[0] == "notable":
            status = "notable"
        became_notable = status == "notable" and (existing is None or existing[0] != "notable")
        if existing is None:
            con.execute(
                "INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,"
                " primary_category, published, updated, doi, journal_ref, pdf_url, s2_paper_id,"
                " citation_count, influential_citation_count, citations_checked_at, status,"
                " notable_since, found_by, first_seen, last_seen)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [row.arxiv_id, row.version, row.title, row.abstract, list(row.authors),
                 list(row.categories), row.primary_category, row.published, row.updated,
                 row.doi, row.journal_ref, row.pdf_url, row.s2_paper_id, row.citation_count,
                 row.influential_citation_count,
                 seen_at if row.citation_count is not None else None, status,
                 seen_at if became_notable else None, row.found_by, seen_at, seen_at],
            )
            inserted += 1
        else:
            con.execute(
                "UPDATE papers SET version = coalesce(?, version), title = ?,"
                " abstract = coalesce(?, abstract), authors = ?, categories = ?,"
                " primary_category = coalesce(?, primary_category),"
                " published = coalesce(published, ?), updated = coalesce(?, updated),"
                " doi = coalesce(?, doi), journal_ref = coalesce(?, journal_ref),"
                " pdf_url = coalesce(?, pdf_url), s2_paper_id = coalesce(?, s2_paper_id),"
                " citation_count = coalesce(?, citation_count),"
                " influential_citation_count = coalesce(?, influential_citation_count),"
                " citations_checked_at = CASE WHEN ? IS NULL THEN citations_checked_at ELSE ? END,"
                " status = ?, notable_since = CASE WHEN ? THEN ? ELSE notable_since END,"
                " last_seen = ? WHERE arxiv_id = ?",
                [row.version, row.title, row.abstract, list(row.authors), list(row.categories),
                 row.primary_category, row.published, row.updated, row.doi, row.journal_ref,
                 row.pdf_url, row.s2_paper_id, row.citation_count,
                 row.influential_citation_count, row.citation_count, seen_at, status,
                 became_notable, seen_at, seen_at, row.arxiv_id],
            )
            updated += 1
        if became_notable:
            newly_notable.append(row.arxiv_id)
        if row.citation_count is not None:
            con.execute(
                "INSERT OR REPLACE INTO citation_snapshots VALUES (?, ?, ?, ?)",
                [row.arxiv_id, seen_at.date(), row.citation_count,
                 row.influential_citation_count],
            )
    return UpsertCounts(inserted=inserted, updated=updated, newly_notable=newly_notable)


def all_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT arxiv_id FROM papers").fetchall()}


def watchlist(con: duckdb.DuckDBPyConnection, *, not_seen_since: datetime | None = None) -> list[dict[str, Any]]:
    """Papers still waiting to become notable, with what a re-check needs.

    ``not_seen_since`` leaves out papers already judged since then (by this run's window, or by
    the interrupted run it resumes), so a resumed run re-checks exactly what a clean one would.
    """
    cols = ["arxiv_id", "version", "title", "abstract", "authors", "categories",
            "primary_category", "published", "updated", "doi", "journal_ref", "pdf_url"]
    sql = f"SELECT {', '.join(cols)} FROM papers WHERE status = 'watch'"
    params: list[Any] = []
    if not_seen_since is not None:
        sql += " AND last_seen < ?"
        params.append(not_seen_since)
    rows = con.execute(sql + " ORDER BY arxiv_id", params).fetchall()
    return [dict(zip(cols, r)) for r in rows]


def citation_history(con: duckdb.DuckDBPyConnection, arxiv_ids: Sequence[str]) -> dict[str, list[tuple[date, int]]]:
    if not arxiv_ids:
        return {}
    rows = con.execute(
        "SELECT arxiv_id, snapshot_date, citation_count FROM citation_snapshots"
        " WHERE list_contains(?, arxiv_id) AND citation_count IS NOT NULL"
        " ORDER BY arxiv_id, snapshot_date",
        [list(arxiv_ids)],
    ).fetchall()
    out: dict[str, list[tuple[date, int]]] = {}
    for arxiv_id, day, count in rows:
        out.setdefault(arxiv_id, []).append((day, count))
    return out


def mark_aged_out(con: duckdb.DuckDBPyConnection, arxiv_ids: Sequence[str]) -> None:
    if arxiv_ids:
        con.execute(
            "UPDATE papers SET status = 'aged_out' WHERE status = 'watch'"
            " AND list_contains(?, arxiv_id)",
            [list(arxiv_ids)],
        )


# -- PDFs ------------------------------------------------------------------------------------

def papers_needing_pdf(con: duckdb.DuckDBPyConnection, *, max_attempts: int = 5) -> list[tuple[str, str]]:
    """Notable papers with no cached PDF yet (and not given up on): (arxiv_id, pdf_url)."""
    return [
        (r[0], r[1])
        for r in con.execute(
            "SELECT p.arxiv_id, p.pdf_url FROM papers p LEFT JOIN pdfs d USING (arxiv_id)"
            " WHERE p.status = 'notable' AND p.pdf_url IS NOT NULL"
            " AND (d.arxiv_id IS NULL OR (d.sha256 IS NULL AND d.attempts < ?))"
            " ORDER BY p.arxiv_id",
            [max_attempts],
        ).fetchall()
    ]


def record_pdf(
    con: duckdb.DuckDBPyConnection,
    arxiv_id: str,
    *,
    url: str,
    sha256: str | None = None,
    size: int | None = None,
    path: str | None = None,
    error: str | None = None,
) -> None:
    con.execute(
        "INSERT INTO pdfs (arxiv_id, sha256, bytes, path, url, fetched_at, error, attempts)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 1)"
        " ON CONFLICT (arxiv_id) DO UPDATE SET sha256 = coalesce(excluded.sha256, pdfs.sha256),"
        " bytes = coalesce(excluded.bytes, pdfs.bytes), path = coalesce(excluded.path, pdfs.path),"
        " url = excluded.url, fetched_at = excluded.fetched_at, error = excluded.error,"
        " attempts = pdfs.attempts + 1",
        [arxiv_id, sha256, size, path, url, _now(), error],
    )


def cached_pdfs(con: duckdb.DuckDBPyConnection, arxiv_ids: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
    """(arxiv_id, sha256, path) of downloaded PDFs of notable papers."""
    sql = ("SELECT d.arxiv_id, d.sha256, d.path FROM pdfs d JOIN papers p USING (arxiv_id)"
           " WHERE d.sha256 IS NOT NULL AND p.status = 'notable'")
    params: list[Any] = []
    if arxiv_ids is not None:
        sql += " AND list_contains(?, d.arxiv_id)"
        params.append(list(arxiv_ids))
    return [(r[0], r[1], r[2]) for r in con.execute(sql + " ORDER BY d.arxiv_id", params).fetchall()]


def paper_metadata(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> dict[str, Any] | None:
    cols = ["arxiv_id", "title", "abstract", "categories", "published", "status"]
    row = con.execute(f"SELECT {', '.join(cols)} FROM papers WHERE arxiv_id = ?", [arxiv_id]).fetchone()
    return dict(zip(cols, row)) if row else None
