"""Reviewer decisions read back as training examples for the ranker.

Each decision already says which candidate was right: an approved value is right; a corrected
value is right and every other candidate wrong (the replaced top candidate included); a reject
because the paper states no count of its own makes every candidate wrong. Other rejects (not
notable, not ML, a duplicate) say nothing about the numbers and are skipped.

The candidates are the ones the reviewer saw: those of the extraction the decided candidate came
from, else the paper's newest lasting extraction made before the decision. Their features were
stored with them (``candidates.features``); candidates from before features were stored are
skipped, so old warehouses simply contribute nothing. An undone decision (``decisions.undoes``)
labels nothing.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from paramtrack.extractors.training import Example, label_candidates
from paramtrack.extractors.types import Candidate

#: The reject reason that labels every candidate of a paper wrong.
NO_COUNT_REASON = "no_count_stated"


def _extraction_for(con: duckdb.DuckDBPyConnection, decision: dict[str, Any]) -> tuple[str, str] | None:
    if decision["candidate_id"] is not None:
        row = con.execute(
            "SELECT pdf_sha256, extractor_version FROM candidates WHERE candidate_id = ?", [decision["candidate_id"]]
        ).fetchone()
        if row:
            return row[0], row[1]
    row = con.execute(
        "SELECT pdf_sha256, extractor_version FROM extractions WHERE arxiv_id = ? AND NOT error_transient"
        " AND extracted_at <= ? ORDER BY extracted_at DESC LIMIT 1",
        [decision["arxiv_id"], decision["decided_at"]],
    ).fetchone()
    return (row[0], row[1]) if row else None


def _candidates(con: duckdb.DuckDBPyConnection, arxiv_id: str, key: tuple[str, str]) -> list[Candidate]:
    rows = con.execute(
        "SELECT value, kind, model, evidence, page, score, source, features FROM candidates"
        " WHERE arxiv_id = ? AND pdf_sha256 = ? AND extractor_version = ? AND quantity = 'parameters'"
        " AND features IS NOT NULL ORDER BY rank",
        [arxiv_id, *key],
    ).fetchall()
    return [
        Candidate(
            "parameters",
            int(v),
            kind or "unknown",
            model,
            ev or "",
            page or 0,
            score or 0.0,
            source=source or "sentence",
            features=json.loads(feats),
        )
        for v, kind, model, ev, page, score, source, feats in rows
    ]


def _value(new_value: Any) -> float | None:
    data = json.loads(new_value) if isinstance(new_value, str) else new_value
    if isinstance(data, dict) and data.get("parameters") is not None:
        return float(data["parameters"])
    return None


def decision_examples(con: duckdb.DuckDBPyConnection) -> list[Example]:
    """One example per paper whose decisions label its candidates, in paper order."""
    decisions = con.execute(
        "SELECT decision_id, arxiv_id, decided_at, action, candidate_id, new_value, reason FROM decisions"
        " WHERE action IN ('approve', 'correct', 'reject') AND decision_id NOT IN (SELECT undoes FROM decisions"
        " WHERE undoes IS NOT NULL) ORDER BY arxiv_id, decided_at, decision_id"
    ).fetchall()
    by_paper: dict[str, list[dict[str, Any]]] = {}
    for d in decisions:
        row = dict(zip(("decision_id", "arxiv_id", "decided_at", "action", "candidate_id", "new_value", "reason"), d))
        by_paper.setdefault(row["arxiv_id"], []).append(row)
    examples: list[Example] = []
    for arxiv_id, rows in by_paper.items():
        right: list[float] = []
        labelled = False
        key = None
        for decision in rows:
            if decision["action"] == "reject":
                if decision["reason"] != NO_COUNT_REASON:
                    continue
                right, labelled = [], True
            else:
                value = _value(decision["new_value"])
                if value is None:
                    continue
                right.append(value)
                labelled = True
            key = _extraction_for(con, decision) or key
        if not labelled or key is None:
            continue
        cands = _candidates(con, arxiv_id, key)
        if not cands:
            continue
        expected = [int(v) for v in right]
        pdf = any(c.source != "abstract" for c in cands)
        examples.append(Example(arxiv_id, cands, label_candidates(cands, expected), "decision", expected, pdf=pdf))
    return examples


def decision_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many decisions could label candidates (for ``paramtrack status``)."""
    row = con.execute(
        "SELECT count(*) FROM decisions WHERE (action IN ('approve', 'correct') OR (action = 'reject' AND reason = ?))"
        " AND decision_id NOT IN (SELECT undoes FROM decisions WHERE undoes IS NOT NULL)",
        [NO_COUNT_REASON],
    ).fetchone()
    return int(row[0]) if row else 0
