"""Write extraction results and read them back.

A row is keyed by (paper, PDF hash, extractor version): a re-run with the same key replaces its
own rows only, and a newer extractor (or a new arXiv version's PDF) adds rows beside the old ones,
so the ``candidate_changes`` view can show what changed.

A transient failure (timeout, memory limit) is retried by the next run, unless it is the same
failure again: ``extraction_failures`` counts each signature per PDF bytes and extractor
version, and at ``PARAMTRACK_FAILURE_LIMIT`` identical failures in a row (default 2) the error
is stored as lasting, so the paper is staged with it and no later run retries it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import duckdb

from paramtrack.core.settings import read_settings
from paramtrack.extractors.types import Candidate, ExtractionResult


@dataclass(frozen=True)
class StoredExtraction:
    """What :func:`store_extraction` recorded."""

    candidates: int
    #: False for a transient error: not staged, retried by the next run.
    lasting: bool
    #: Identical transient failures so far (0 when the result was not one).
    failures: int = 0


def has_extraction(con: duckdb.DuckDBPyConnection, arxiv_id: str, pdf_sha256: str, extractor_version: str) -> bool:
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
    failure_limit: int | None = None,
) -> StoredExtraction:
    """Replace this (paper, PDF, version)'s extraction and candidates.

    A transient error with a ``failure`` signature is counted; the ``failure_limit``-th identical
    one (default ``PARAMTRACK_FAILURE_LIMIT`` or 2) is stored as a lasting error instead.
    """
    failures = 0
    if result.error and result.error_transient and getattr(result, "failure", None):
        limit = failure_limit if failure_limit is not None else read_settings().failure_limit
        failures = _count_failure(con, pdf_sha256, extractor_version, result)
        if failures >= limit:
            result = replace(
                result,
                error_transient=False,
                error=(
                    f"{result.error}; the same failure {failures} times for this PDF and extractor "
                    "version, so it is recorded as the result and not retried"
                ),
            )
    elif not (result.error and result.error_transient):
        con.execute(
            "DELETE FROM extraction_failures WHERE pdf_sha256 = ? AND extractor_version = ?",
            [pdf_sha256, extractor_version],
        )
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
            datetime.now(UTC),
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
                [
                    arxiv_id,
                    pdf_sha256,
                    extractor_version,
                    quantity,
                    rank,
                    float(cand.value),
                    cand.kind,
                    cand.model,
                    cand.evidence,
                    cand.page,
                    float(cand.score),
                    cand.source,
                    json.dumps(cand.features, sort_keys=True) if cand.features else None,
                    cand.evidence_raw,
                ]
            )
    if rows:
        con.executemany(
            "INSERT INTO candidates (arxiv_id, pdf_sha256, extractor_version, quantity, rank,"
            " value, kind, model, evidence, page, score, source, features, evidence_raw)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    return StoredExtraction(
        candidates=len(rows), lasting=not (result.error and result.error_transient), failures=failures
    )


def _count_failure(
    con: duckdb.DuckDBPyConnection, pdf_sha256: str, extractor_version: str, result: ExtractionResult
) -> int:
    """Record one transient failure; returns how many times in a row this signature came back."""
    now = datetime.now(UTC)
    row = con.execute(
        "SELECT failure, failures FROM extraction_failures WHERE pdf_sha256 = ? AND extractor_version = ?",
        [pdf_sha256, extractor_version],
    ).fetchone()
    if row is not None and row[0] == result.failure:
        count = int(row[1]) + 1
        con.execute(
            "UPDATE extraction_failures SET failures = ?, last_failed_at = ?, last_error = ?"
            " WHERE pdf_sha256 = ? AND extractor_version = ?",
            [count, now, result.error, pdf_sha256, extractor_version],
        )
        return count
    con.execute(
        "INSERT OR REPLACE INTO extraction_failures (pdf_sha256, extractor_version, failure, failures,"
        " first_failed_at, last_failed_at, last_error) VALUES (?, ?, ?, 1, ?, ?, ?)",
        [pdf_sha256, extractor_version, result.failure, now, now, result.error],
    )
    return 1


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
