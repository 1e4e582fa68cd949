"""Write extraction results and read them back.

A row is keyed by (paper, PDF hash, extractor version): a re-run with the same key replaces its
own rows only, and a newer extractor (or a new arXiv version's PDF) adds rows beside the old ones,
so the ``candidate_changes`` view can show what changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import duckdb

from extractors.types import Candidate, ExtractionResult


def has_extraction(
    con: duckdb.DuckDBPyConnection, arxiv_id: str, pdf_sha256: str, extractor_version: str
) -> bool:
    """Whether this paper's PDF has a lasting result from this extractor.

    A transient error (the worker timed out or was killed) is not a result: the next run retries.
    """
    row = con.execute(
        "SELECT 1 FROM extractions WHERE arxiv_id = ? AND pdf_sha256 = ? AND extractor_version = ?"
        " AND NOT error_transient",
        [arxiv_id, pdf_sha256, extractor_version],
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
    """Replace this (paper, PDF, version)'s extraction and candidates; returns the candidate count."""
    key = [arxiv_id, pdf_sha256, extractor_version]
    where = "WHERE arxiv_id = ? AND pdf_sha256 = ? AND extractor_version = ?"
    con.execute(f"DELETE FROM candidates {where}", key)
    con.execute(f"DELETE FROM extractions {where}", key)
    con.execute(
        "INSERT INTO extractions (arxiv_id, pdf_sha256, extractor_version, extracted_at, pages,"
        " domain, domain_confidence, stated_date, seconds, error, error_transient)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
            bool(result.error and result.error_transient),
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
                 cand.kind, cand.model, cand.evidence, cand.page, float(cand.score), cand.source,
                 json.dumps(cand.features, sort_keys=True) if cand.features else None, cand.evidence_raw]
            )
    if rows:
        con.executemany(
            "INSERT INTO candidates (arxiv_id, pdf_sha256, extractor_version, quantity, rank,"
            " value, kind, model, evidence, page, score, source, features, evidence_raw)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    return len(rows)


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
        " LEFT JOIN candidates c ON c.arxiv_id = e.arxiv_id AND c.pdf_sha256 = e.pdf_sha256"
        "  AND c.extractor_version = e.extractor_version AND c.quantity = 'parameters' AND c.rank = 1"
        " ORDER BY e.arxiv_id"
    ).fetchall()
    return [TopCandidate(*r) for r in rows]
