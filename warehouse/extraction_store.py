"""Write extraction results and read them back.

A row is keyed by (PDF hash, extractor version): a re-run with the same pair replaces its own rows
only, and a newer extractor adds rows beside the old ones, so what changed can be compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import duckdb

from extractors.types import Candidate, ExtractionResult


@dataclass(frozen=True)
class StoredCandidate:
    candidate_id: int
    arxiv_id: str
    quantity: str
    rank: int
    value: float
    kind: str | None
    model: str | None
    evidence: str | None
    page: int | None
    score: float | None
    extractor_version: str


def has_extraction(con: duckdb.DuckDBPyConnection, pdf_sha256: str, extractor_version: str) -> bool:
    row = con.execute(
        "SELECT 1 FROM extractions WHERE pdf_sha256 = ? AND extractor_version = ?",
        [pdf_sha256, extractor_version],
    ).fetchone()
    return row is not None


def store_extraction(
    con: duckdb.DuckDBPyConnection,
    *,
    arxiv_id: str,
    pdf_sha256: str,
    extractor_version: str,
    result: ExtractionResult,
    seconds: float | None = None,
) -> int:
    """Replace this (PDF, version)'s extraction and candidates; returns the candidate count."""
    con.execute(
        "DELETE FROM candidates WHERE pdf_sha256 = ? AND extractor_version = ?",
        [pdf_sha256, extractor_version],
    )
    con.execute(
        "DELETE FROM extractions WHERE pdf_sha256 = ? AND extractor_version = ?",
        [pdf_sha256, extractor_version],
    )
    con.execute(
        "INSERT INTO extractions (arxiv_id, pdf_sha256, extractor_version, extracted_at, pages,"
        " domain, domain_confidence, stated_date, seconds, error) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            arxiv_id,
            pdf_sha256,
            extractor_version,
            datetime.now(timezone.utc),
            result.pages,
            result.domain,
            result.domain_confidence,
            result.date,
            seconds,
            result.error,
        ],
    )
    rows: list[list[Any]] = []
    groups: dict[str, list[Candidate]] = {}
    for cand in [*result.candidates, *getattr(result, "other_candidates", [])]:
        groups.setdefault(cand.quantity, []).append(cand)
    for quantity, cands in groups.items():
        for rank, cand in enumerate(cands, start=1):
            rows.append(
                [arxiv_id, pdf_sha256, extractor_version, quantity, rank, float(cand.value),
                 cand.kind, cand.model, cand.evidence, cand.page, float(cand.score)]
            )
    if rows:
        con.executemany(
            "INSERT INTO candidates (arxiv_id, pdf_sha256, extractor_version, quantity, rank,"
            " value, kind, model, evidence, page, score) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    return len(rows)


def latest_candidates(
    con: duckdb.DuckDBPyConnection, arxiv_id: str, quantity: str | None = "parameters"
) -> list[StoredCandidate]:
    """The newest extraction's candidates for a paper, best first."""
    sql = (
        "SELECT candidate_id, arxiv_id, quantity, rank, value, kind, model, evidence, page, score,"
        " extractor_version FROM ranked_candidates WHERE arxiv_id = ?"
    )
    params: list[Any] = [arxiv_id]
    if quantity:
        sql += " AND quantity = ?"
        params.append(quantity)
    sql += " ORDER BY quantity, rank"
    return [StoredCandidate(*row) for row in con.execute(sql, params).fetchall()]


def extracted_papers(con: duckdb.DuckDBPyConnection) -> Iterable[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT arxiv_id FROM extractions").fetchall()]


@dataclass(frozen=True)
class TopCandidate:
    arxiv_id: str
    title: str
    value: float | None
    kind: str | None
    page: int | None
    score: float | None
    error: str | None


def top_candidates(con: duckdb.DuckDBPyConnection) -> list[TopCandidate]:
    """Each extracted paper's best parameter candidate (or its extraction error), by id."""
    rows = con.execute(
        "SELECT e.arxiv_id, p.title, c.value, c.kind, c.page, c.score, e.error"
        " FROM latest_extractions e JOIN papers p USING (arxiv_id)"
        " LEFT JOIN candidates c ON c.pdf_sha256 = e.pdf_sha256"
        "  AND c.extractor_version = e.extractor_version AND c.quantity = 'parameters' AND c.rank = 1"
        " ORDER BY e.arxiv_id"
    ).fetchall()
    return [TopCandidate(*r) for r in rows]
