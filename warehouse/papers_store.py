"""Papers, citation snapshots and PDF downloads: the intake side of the warehouse.

Upserts are keyed by the arXiv id without version, so the same paper found twice (two windows,
or arXiv and Semantic Scholar) is one row; a re-run of the same window on the same day rewrites
identical values and adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
    return datetime.now(UTC)


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
        existing = con.execute("SELECT status FROM papers WHERE arxiv_id = ?", [row.arxiv_id]).fetchone()
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
                [
                    row.arxiv_id,
                    row.version,
                    row.title,
                    row.abstract,
                    list(row.authors),
                    list(row.categories),
                    row.primary_category,
                    row.published,
                    row.updated,
                    row.doi,
                    row.journal_ref,
                    row.pdf_url,
                    row.s2_paper_id,
                    row.citation_count,
                    row.influential_citation_count,
                    seen_at if row.citation_count is not None else None,
                    status,
                    seen_at if became_notable else None,
                    row.found_by,
                    seen_at,
                    seen_at,
                ],
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
                [
                    row.version,
                    row.title,
                    row.abstract,
                    list(row.authors),
                    list(row.categories),
                    row.primary_category,
                    row.published,
                    row.updated,
                    row.doi,
                    row.journal_ref,
                    row.pdf_url,
                    row.s2_paper_id,
                    row.citation_count,
                    row.influential_citation_count,
                    row.citation_count,
                    seen_at,
                    status,
                    became_notable,
                    seen_at,
                    seen_at,
                    row.arxiv_id,
                ],
            )
            updated += 1
        if became_notable:
            newly_notable.append(row.arxiv_id)
        if row.citation_count is not None:
            con.execute(
                "INSERT OR REPLACE INTO citation_snapshots VALUES (?, ?, ?, ?)",
                [row.arxiv_id, seen_at.date(), row.citation_count, row.influential_citation_count],
            )
    return UpsertCounts(inserted=inserted, updated=updated, newly_notable=newly_notable)


def all_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT arxiv_id FROM papers").fetchall()}


def watchlist(con: duckdb.DuckDBPyConnection, *, not_seen_since: datetime | None = None) -> list[dict[str, Any]]:
    """Papers still waiting to become notable, with what a re-check needs.

    ``not_seen_since`` leaves out papers already judged since then (by this run's window, or by
    the interrupted run it resumes), so a resumed run re-checks exactly what a clean one would.
    """
    cols = [
        "arxiv_id",
        "version",
        "title",
        "abstract",
        "authors",
        "categories",
        "primary_category",
        "published",
        "updated",
        "doi",
        "journal_ref",
        "pdf_url",
    ]
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
            "UPDATE papers SET status = 'aged_out' WHERE status = 'watch' AND list_contains(?, arxiv_id)",
            [list(arxiv_ids)],
        )


# -- PDFs ------------------------------------------------------------------------------------
#
# One row per (paper, arXiv version): when arXiv announces v9 of a paper whose v1 is cached, v9
# is missing and gets fetched, and v1's row stays. A failed download is not retried by every
# run: each failed run pushes ``next_try_at`` further out (1, 2, 4, ... days), so a PDF that
# answers 404 costs one request a fortnight, not one per run.

#: Days a PDF waits after its first failed run; each further failed run in a row doubles it.
PDF_RETRY_BASE_DAYS = 1.0
#: ... up to this many days (a withdrawn PDF is still tried about once a month).
PDF_RETRY_MAX_DAYS = 32.0

#: The version an arXiv PDF URL names: ``.../pdf/2205.01068v3`` (or ``...v3.pdf``).
_URL_VERSION_SQL = "TRY_CAST(regexp_extract({url}, 'v([0-9]+)(\\.pdf)?$', 1) AS INTEGER)"
#: The version of a paper's current PDF: its URL's, else the paper's, else 0 (none named).
_PAPER_PDF_VERSION = f"coalesce({_URL_VERSION_SQL.format(url='p.pdf_url')}, p.version, 0)"


def pdf_retry_delay(
    failures: int, *, base_days: float = PDF_RETRY_BASE_DAYS, max_days: float = PDF_RETRY_MAX_DAYS
) -> timedelta:
    """How long after its ``failures``-th failed run in a row a PDF is tried again."""
    if failures <= 0 or base_days <= 0:
        return timedelta(0)
    return timedelta(days=min(max_days, base_days * 2 ** (failures - 1)))


def papers_needing_pdf(
    con: duckdb.DuckDBPyConnection,
    *,
    only: Sequence[str] | None = None,
    now: datetime | None = None,
    ignore_backoff: bool = False,
    seen_before: datetime | None = None,
) -> list[tuple[str, str, int]]:
    """Notable papers whose current version's PDF is not cached and is due for a try:
    ``(arxiv_id, pdf_url, version)``.

    ``only`` limits it to those papers (``paramtrack add`` names its papers); ``ignore_backoff``
    tries them even while they wait (a maintainer asking for a paper by name); ``seen_before``
    keeps only papers whose record was last read from the source before then (by an earlier
    run, whose addresses a run re-reads rather than trusts).
    """
    sql = (
        f"SELECT p.arxiv_id, p.pdf_url, {_PAPER_PDF_VERSION} AS v FROM papers p"
        f" LEFT JOIN pdfs d ON d.arxiv_id = p.arxiv_id AND d.version = {_PAPER_PDF_VERSION}"
        " WHERE p.status = 'notable' AND p.pdf_url IS NOT NULL AND d.sha256 IS NULL"
    )
    params: list[Any] = []
    if not ignore_backoff:
        sql += " AND (d.next_try_at IS NULL OR d.next_try_at <= ?)"
        params.append(now or _now())
    if only is not None:
        sql += " AND list_contains(?, p.arxiv_id)"
        params.append(list(only))
    if seen_before is not None:
        sql += " AND p.last_seen < ?"
        params.append(seen_before)
    return [(r[0], r[1], int(r[2])) for r in con.execute(sql + " ORDER BY p.arxiv_id", params).fetchall()]


def set_pdf_addresses(con: duckdb.DuckDBPyConnection, addresses: Iterable[tuple[str, int | None, str]]) -> int:
    """Store where each paper's current PDF is now, as its source just said: ``(arxiv_id,
    version, pdf_url)``. Only the address moves (and the version it names); the rest of the
    record, and when it was last seen, stay as the run that read them wrote them. Returns how
    many papers changed."""
    changed = 0
    for arxiv_id, version, url in addresses:
        rows = con.execute(
            "UPDATE papers SET version = coalesce(?, version), pdf_url = ? WHERE arxiv_id = ?"
            " AND (pdf_url IS DISTINCT FROM ? OR version IS DISTINCT FROM coalesce(?, version)) RETURNING arxiv_id",
            [version, url, arxiv_id, url, version],
        ).fetchall()
        changed += len(rows)
    return changed


def record_pdf(
    con: duckdb.DuckDBPyConnection,
    arxiv_id: str,
    *,
    url: str,
    version: int = 0,
    sha256: str | None = None,
    size: int | None = None,
    path: str | None = None,
    error: str | None = None,
    retry_base_days: float = PDF_RETRY_BASE_DAYS,
    now: datetime | None = None,
) -> datetime | None:
    """Record one run's attempt at a PDF version; returns when it may be tried again (None
    once it is downloaded). A failure counts one more failed run in a row and waits
    :func:`pdf_retry_delay` for it; a success clears the error and the wait."""
    now = now or _now()
    row = con.execute("SELECT failures FROM pdfs WHERE arxiv_id = ? AND version = ?", [arxiv_id, version]).fetchone()
    failures = 0 if error is None else (row[0] if row else 0) + 1
    delay = pdf_retry_delay(failures, base_days=retry_base_days)
    next_try = now + delay if error is not None and delay else None
    con.execute(
        "INSERT INTO pdfs (arxiv_id, version, sha256, bytes, path, url, fetched_at, error,"
        " attempts, failures, next_try_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"
        " ON CONFLICT (arxiv_id, version) DO UPDATE SET"
        " sha256 = coalesce(excluded.sha256, pdfs.sha256),"
        " bytes = coalesce(excluded.bytes, pdfs.bytes), path = coalesce(excluded.path, pdfs.path),"
        " url = excluded.url, fetched_at = excluded.fetched_at, error = excluded.error,"
        " attempts = pdfs.attempts + 1, failures = excluded.failures,"
        " next_try_at = excluded.next_try_at",
        [arxiv_id, version, sha256, size, path, url, now, error, failures, next_try],
    )
    return next_try


def clear_pdf_waits(con: duckdb.DuckDBPyConnection, keys: Sequence[tuple[str, int]] | None = None) -> int:
    """Let the next run try these (paper, version) PDFs (all failed ones when ``keys`` is
    None) instead of waiting: after an outage that was the server's fault, or by hand
    (``paramtrack pdfs --retry``). Returns how many rows changed."""
    sql = "UPDATE pdfs SET next_try_at = NULL WHERE sha256 IS NULL AND next_try_at IS NOT NULL"
    params: list[Any] = []
    if keys is not None:
        if not keys:
            return 0
        sql += " AND list_contains(?, arxiv_id || ' v' || version)"
        params.append([f"{a} v{v}" for a, v in keys])
    rows = con.execute(sql + " RETURNING arxiv_id", params).fetchall()
    return len(rows)


@dataclass(frozen=True)
class PdfState:
    """One row of ``pdfs``, with the paper's title and whether it is the paper's current version."""

    arxiv_id: str
    version: int
    title: str | None
    sha256: str | None
    url: str | None
    error: str | None
    attempts: int
    failures: int
    fetched_at: datetime | None
    next_try_at: datetime | None
    current: bool


def pdf_states(
    con: duckdb.DuckDBPyConnection, *, failed_only: bool = True, arxiv_ids: Sequence[str] | None = None
) -> list[PdfState]:
    """What ``paramtrack pdfs`` shows: PDF rows (only the ones not downloaded by default), the
    soonest next try first."""
    sql = (
        f"SELECT d.arxiv_id, d.version, p.title, d.sha256, d.url, d.error, d.attempts,"
        f" d.failures, d.fetched_at, d.next_try_at, d.version = {_PAPER_PDF_VERSION}"
        " FROM pdfs d LEFT JOIN papers p USING (arxiv_id) WHERE true"
    )
    params: list[Any] = []
    if failed_only:
        sql += " AND d.sha256 IS NULL"
    if arxiv_ids is not None:
        sql += " AND list_contains(?, d.arxiv_id)"
        params.append(list(arxiv_ids))
    sql += " ORDER BY d.next_try_at NULLS FIRST, d.arxiv_id, d.version"
    return [
        PdfState(r[0], int(r[1]), r[2], r[3], r[4], r[5], int(r[6]), int(r[7]), r[8], r[9], bool(r[10]))
        for r in con.execute(sql, params).fetchall()
    ]


def cached_pdfs(con: duckdb.DuckDBPyConnection, arxiv_ids: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
    """(arxiv_id, sha256, path) of each notable paper's newest downloaded PDF version (an older
    version's file stays on record, but only the newest is extracted)."""
    sql = (
        "SELECT arxiv_id, sha256, path FROM ("
        "  SELECT d.arxiv_id, d.sha256, d.path, row_number() OVER ("
        "    PARTITION BY d.arxiv_id ORDER BY d.version DESC) AS newest"
        "  FROM pdfs d JOIN papers p USING (arxiv_id)"
        "  WHERE d.sha256 IS NOT NULL AND p.status = 'notable'"
    )
    params: list[Any] = []
    if arxiv_ids is not None:
        sql += " AND list_contains(?, d.arxiv_id)"
        params.append(list(arxiv_ids))
    sql += ") WHERE newest = 1"
    return [(r[0], r[1], r[2]) for r in con.execute(sql + " ORDER BY arxiv_id", params).fetchall()]


#: The ``pdf_sha256`` of an extraction made from arXiv's title and abstract alone (no PDF).
ABSTRACT_KEY_PREFIX = "abstract:"


def abstract_key(title: str | None, abstract: str | None) -> str:
    """Stands for the PDF hash of an abstract-only extraction: changes when the metadata does."""
    import hashlib

    text = f"{title or ''}\n{abstract or ''}".encode("utf-8", "surrogatepass")
    return ABSTRACT_KEY_PREFIX + hashlib.sha256(text).hexdigest()


def papers_without_pdf(con: duckdb.DuckDBPyConnection, arxiv_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Notable papers with an abstract and no downloaded PDF of any version (metadata rows).

    Their title and abstract are all the evidence there is until a PDF arrives, so they are
    extracted from those (``extractors.extract_abstract``) and staged when that finds a size.
    """
    cols = ["arxiv_id", "title", "abstract", "categories", "published", "status"]
    sql = (
        f"SELECT {', '.join('p.' + c for c in cols)} FROM papers p WHERE p.status = 'notable'"
        " AND coalesce(trim(p.abstract), '') <> ''"
        " AND NOT EXISTS (SELECT 1 FROM pdfs d WHERE d.arxiv_id = p.arxiv_id AND d.sha256 IS NOT NULL)"
    )
    params: list[Any] = []
    if arxiv_ids is not None:
        sql += " AND list_contains(?, p.arxiv_id)"
        params.append(list(arxiv_ids))
    return [dict(zip(cols, r)) for r in con.execute(sql + " ORDER BY p.arxiv_id", params).fetchall()]


def paper_metadata(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> dict[str, Any] | None:
    cols = ["arxiv_id", "title", "abstract", "categories", "published", "status"]
    row = con.execute(f"SELECT {', '.join(cols)} FROM papers WHERE arxiv_id = ?", [arxiv_id]).fetchone()
    return dict(zip(cols, row)) if row else None
