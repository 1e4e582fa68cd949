"""The review queue's SQL: staging papers, reading the queue, appending decisions.

What a decision means (which row it writes, what the log keeps, the status it leaves) is decided
in :mod:`review_queue.decisions`; this module reads and writes the rows. Every function takes a
connection from ``Warehouse.write()`` / ``Warehouse.read()`` and runs inside the caller's
transaction; nothing here opens, commits or holds a connection. The rules that make the queue
safe for several writers (review app, terminal review, CSV import, scheduled ingest):

* ``decisions`` is append-only; ``review_items`` holds each paper's current state and a
  ``version`` that every decision bumps. A decision states the version it was made against
  (``expected_version``); if another decision landed first, :class:`DecisionConflict` is raised
  and nothing is written. A decision that states no version counts as made against an open
  item, so it cannot overturn a decided one unseen. The check and the write happen in one transaction, and DuckDB lets one
  writer at a time into the file, so two reviewers can never both win.
* ``request_id`` is UNIQUE: a request applied once is answered from the log when it comes again
  (double-click, retried POST, re-run import), never applied twice.
* :func:`stage_paper` (called by ingest after each extraction) never touches a decision: if the
  candidates changed after a paper was decided, the paper is flagged ``second_look`` and its
  ``models`` row is left as the reviewer wrote it. If they changed while the paper is still open,
  its ``version`` is bumped, so a page or CSV row made from the old candidates is a conflict.
* Only parameter candidates of a paper's latest extraction (``ranked_candidates``) can be
  chosen: :func:`candidate` returns nothing for superseded or other-quantity candidates.
* The queue rows come from the ``review_overview`` view (schema/0006), their one definition.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from paramtrack.core.vocabulary import DecisionValue

DECIDED_STATUSES = ("approved", "corrected", "rejected")
OPEN_STATUSES = ("pending", "second_look")
CHANGED_REASON = "candidates changed after review"
SYSTEM_REVIEWER = "paramtrack"


class DecisionConflict(Exception):
    """The paper was decided by someone else after the form/row was produced."""

    def __init__(self, arxiv_id: str, state: dict[str, Any], last: dict[str, Any] | None) -> None:
        self.arxiv_id = arxiv_id
        self.state = state
        self.last = last
        if last:
            when = last["decided_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            msg = f"{arxiv_id} was already decided by {last['reviewer']} at {when} ({last['action']})"
        else:
            msg = f"{arxiv_id} changed (its candidates were re-extracted)"
        super().__init__(msg)
        self.message = msg


class NotStaged(LookupError):
    """The paper is not in the review queue."""


@dataclass(frozen=True)
class Outcome:
    decision: dict[str, Any]
    duplicate: bool  # True when the request_id had already been applied


def utc_now() -> datetime:
    """The time a decision or staging is stamped with (UTC, timezone-aware)."""
    return datetime.now(UTC)


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def _row(cur: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    rows = _rows(cur)
    return rows[0] if rows else None


# -- staging ----------------------------------------------------------------------------------


def candidate_fingerprint(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> str:
    """A hash of what the reviewer is shown: the latest parameter candidates, in rank order.

    Candidate ids change on every re-extraction, so the fingerprint uses the values instead.
    """
    rows = con.execute(
        "SELECT rank, value, kind, model, page, evidence FROM ranked_candidates"
        " WHERE arxiv_id = ? AND quantity = 'parameters' ORDER BY rank",
        [arxiv_id],
    ).fetchall()
    payload = json.dumps([list(r) for r in rows], default=str, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def stage_paper(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> str:
    """Put a paper in the review queue after its extraction was stored; returns its status.

    New papers enter as ``pending``. An open paper (pending / second_look) whose latest candidates
    changed since it was staged gets its ``version`` bumped, so a page or CSV row produced before
    the re-extraction is refused as a conflict instead of approving superseded candidates. A paper
    already decided whose latest candidates differ from the ones the reviewer saw is flagged
    ``second_look`` (and that is logged in ``decisions``); its decision and ``models`` row are
    never overwritten.
    """
    now = utc_now()
    state = item_state(con, arxiv_id)
    fingerprint = candidate_fingerprint(con, arxiv_id)
    if state is None:
        con.execute(
            "INSERT INTO review_items (arxiv_id, status, staged_at, updated_at, version,"
            " staged_candidates) VALUES (?, 'pending', ?, ?, 0, ?)",
            [arxiv_id, now, now, fingerprint],
        )
        return "pending"
    if state["status"] in DECIDED_STATUSES:
        if state["reviewed_candidates"] and fingerprint != state["reviewed_candidates"]:
            did = insert_decision(
                con,
                arxiv_id=arxiv_id,
                reviewer=SYSTEM_REVIEWER,
                action="second_look",
                candidate_id=None,
                old_value=None,
                new_value=None,
                reason=CHANGED_REASON,
                note=f"was {state['status']}",
                request_id=None,
                at=now,
                item_before=item_before(state),
            )
            con.execute(
                "UPDATE review_items SET status = 'second_look', flag_reason = ?, staged_at = ?,"
                " updated_at = ?, version = version + 1, last_decision_id = ?,"
                " staged_candidates = ? WHERE arxiv_id = ?",
                [CHANGED_REASON, now, now, did, fingerprint, arxiv_id],
            )
            return "second_look"
        if fingerprint != state["staged_candidates"]:
            con.execute(
                "UPDATE review_items SET staged_candidates = ? WHERE arxiv_id = ?",
                [fingerprint, arxiv_id],
            )
    elif fingerprint != state["staged_candidates"]:
        # Open paper, new candidates: any page/CSV row made from the old ones is now stale.
        # (A row staged before migration 0006 has no fingerprint yet: bumping it once is safe.)
        con.execute(
            "UPDATE review_items SET staged_candidates = ?, updated_at = ?, version = version + 1 WHERE arxiv_id = ?",
            [fingerprint, now, arxiv_id],
        )
    return state["status"]


def check_version(con: duckdb.DuckDBPyConnection, state: dict[str, Any], expected_version: int | None) -> None:
    """Raise :class:`DecisionConflict` unless the decision was made against the item as it is.

    A decision names the ``version`` it was made against. One that names none (a form or CSV
    without the field, a script calling the service) is taken as made against an *open* item:
    on a decided one it is a conflict, never a silent overwrite of another reviewer's decision.
    """
    if expected_version is None:
        if state["status"] not in DECIDED_STATUSES:
            return
    elif state["version"] == expected_version:
        return
    last = get_decision(con, state["last_decision_id"]) if state["last_decision_id"] else None
    if last is not None and state["updated_at"] > last["decided_at"]:
        last = None  # the change since then was a re-extraction, not a decision
    raise DecisionConflict(state["arxiv_id"], state, last)


# -- reading ----------------------------------------------------------------------------------


def item_state(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> dict[str, Any] | None:
    return _row(con.execute("SELECT * FROM review_items WHERE arxiv_id = ?", [arxiv_id]))


def get_decision(con: duckdb.DuckDBPyConnection, decision_id: int) -> dict[str, Any] | None:
    return _row(con.execute("SELECT * FROM decisions WHERE decision_id = ?", [decision_id]))


def decision_by_request(con: duckdb.DuckDBPyConnection, request_id: str) -> dict[str, Any] | None:
    return _row(con.execute("SELECT * FROM decisions WHERE request_id = ?", [request_id]))


def paper_decisions(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> list[dict[str, Any]]:
    return _rows(con.execute("SELECT * FROM decisions WHERE arxiv_id = ? ORDER BY decision_id DESC", [arxiv_id]))


def paper(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> dict[str, Any] | None:
    """Paper metadata, latest extraction's domain/date and the queue state, or None."""
    return _row(
        con.execute(
            "SELECT p.arxiv_id, p.title, p.abstract, p.authors, p.published, p.updated,"
            " p.citation_count, p.pdf_url, p.primary_category, e.domain, e.domain_confidence,"
            " e.stated_date, e.pages, e.error AS extraction_error, e.extractor_version,"
            " r.status, r.version, r.staged_at, r.flag_reason, r.last_decision_id"
            " FROM papers p"
            " LEFT JOIN latest_extractions e USING (arxiv_id)"
            " LEFT JOIN review_items r USING (arxiv_id)"
            " WHERE p.arxiv_id = ?",
            [arxiv_id],
        )
    )


def candidates(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> list[dict[str, Any]]:
    """The latest extraction's parameter candidates, best first."""
    return _rows(
        con.execute(
            "SELECT candidate_id, rank, value, kind, model, evidence, page, score, source"
            " FROM ranked_candidates WHERE arxiv_id = ? AND quantity = 'parameters'"
            " ORDER BY rank",
            [arxiv_id],
        )
    )


def candidate(con: duckdb.DuckDBPyConnection, candidate_id: int) -> dict[str, Any] | None:
    """A parameter candidate of its paper's LATEST extraction, or None.

    Candidates of superseded extractions and of other quantities (training compute, dataset
    size) are not decidable and are not returned.
    """
    return _row(
        con.execute(
            "SELECT candidate_id, arxiv_id, quantity, rank, value, kind, model, evidence, page,"
            " score FROM ranked_candidates WHERE candidate_id = ? AND quantity = 'parameters'",
            [candidate_id],
        )
    )


_MODEL_COLUMNS = (
    "model_id, system, arxiv_id, parameters, parameters_kind, publication_date, domain,"
    " decision_id, reviewer, evidence, evidence_page, evidence_source, evidence_candidate_id,"
    " reviewed_columns, updated_at"
)


def review_models(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> list[dict[str, Any]]:
    """The paper's curated rows written by review: one per system, oldest first."""
    return _rows(
        con.execute(
            f"SELECT {_MODEL_COLUMNS} FROM models WHERE source = 'review' AND arxiv_id = ? ORDER BY model_id",
            [arxiv_id],
        )
    )


def review_model_for(
    con: duckdb.DuckDBPyConnection, arxiv_id: str, system: str, replaces: int | None = None
) -> dict[str, Any] | None:
    """The review row a value for ``system`` overwrites: ``replaces`` (a row of this paper
    the reviewer chose, e.g. to rename it), else the paper's row of the same system
    (``system_key``), else None (the value adds a system)."""
    if replaces is not None:
        return _row(
            con.execute(
                f"SELECT {_MODEL_COLUMNS} FROM models WHERE source = 'review' AND arxiv_id = ? AND model_id = ?",
                [arxiv_id, replaces],
            )
        )
    return _row(
        con.execute(
            f"SELECT {_MODEL_COLUMNS} FROM models WHERE source = 'review' AND arxiv_id = ?"
            " AND system_key(system) = system_key(?) ORDER BY model_id LIMIT 1",
            [arxiv_id, system],
        )
    )


def cached_pdf_path(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> str | None:
    """The newest cached version's file (``pdfs`` keeps a row per arXiv version)."""
    row = con.execute(
        "SELECT path FROM pdfs WHERE arxiv_id = ? AND path IS NOT NULL ORDER BY version DESC LIMIT 1", [arxiv_id]
    ).fetchone()
    return row[0] if row else None


STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "open": OPEN_STATUSES,
    "pending": ("pending",),
    "second_look": ("second_look",),
    "decided": DECIDED_STATUSES,
    "approved": ("approved",),
    "corrected": ("corrected",),
    "rejected": ("rejected",),
    "all": (*OPEN_STATUSES, *DECIDED_STATUSES),
}


#: A queue row: ``review_overview`` plus, for a decided paper, who made its last decision and
#: when, and the values the dataset holds for it now (``dataset``: system and parameters of each
#: of its reviewed systems, as ``curated_models`` shows them), not only the extracted candidate.
_QUEUE_ROWS = (
    "SELECT o.*, d.reviewer AS decided_by, d.decided_at, d.action AS decided_action, d.reason AS decided_reason,"
    " s.dataset FROM review_overview o"
    " LEFT JOIN review_items i USING (arxiv_id)"
    " LEFT JOIN decisions d ON d.decision_id = i.last_decision_id"
    " LEFT JOIN (SELECT m.arxiv_id, list(struct_pack(system := c.system, parameters := c.parameters)"
    "   ORDER BY m.model_id) AS dataset FROM models m JOIN curated_models c USING (model_id)"
    "   WHERE m.source = 'review' GROUP BY m.arxiv_id) s USING (arxiv_id)"
)


def queue(
    con: duckdb.DuckDBPyConnection,
    *,
    week: date | None = None,
    domain: str | None = None,
    status: str = "open",
    min_score: float | None = None,
    sort: str = "citations",
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Staged papers with their top candidate; ``status`` is a key of :data:`STATUS_FILTERS`.

    Reads the ``review_overview`` view (schema/0006), the one definition of a queue row.
    """
    statuses = STATUS_FILTERS.get(status)
    if statuses is None:
        raise ValueError(f"unknown status filter {status!r}")
    where = [f"status IN ({', '.join('?' for _ in statuses)})"]
    params: list[Any] = list(statuses)
    if week is not None:
        where.append("week = ?")
        params.append(week)
    if domain:
        where.append("domain = ?")
        params.append(domain)
    if min_score is not None:
        where.append("top_score >= ?")
        params.append(min_score)
    order = (
        "top_score DESC NULLS LAST, citations DESC NULLS LAST"
        if sort == "score"
        else "citations DESC NULLS LAST, top_score DESC NULLS LAST"
    )
    sql = f"SELECT * FROM ({_QUEUE_ROWS}) WHERE {' AND '.join(where)} ORDER BY {order}, arxiv_id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return _rows(con.execute(sql, params))


def queue_weeks(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Weeks that have staged papers, newest first."""
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT CAST(date_trunc('week', staged_at) AS DATE) AS w FROM review_items ORDER BY w DESC"
        ).fetchall()
    ]


def queue_domains(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT e.domain FROM review_items r JOIN latest_extractions e USING (arxiv_id)"
            " WHERE e.domain IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]


def week_progress(con: duckdb.DuckDBPyConnection, week: date | None) -> tuple[int, int]:
    """(decided, total) of the papers staged in ``week`` (all weeks when None)."""
    sql = "SELECT count(*) FILTER (WHERE status IN ('approved', 'corrected', 'rejected')), count(*) FROM review_items"
    params: list[Any] = []
    if week is not None:
        sql += " WHERE CAST(date_trunc('week', staged_at) AS DATE) = ?"
        params.append(week)
    row = con.execute(sql, params).fetchone()
    assert row is not None, "an aggregate without GROUP BY always returns one row"
    decided, total = row
    return int(decided or 0), int(total or 0)


# -- writing decisions --------------------------------------------------------------------------


def insert_decision(
    con: duckdb.DuckDBPyConnection,
    *,
    arxiv_id: str,
    reviewer: str,
    action: str,
    candidate_id: int | None,
    old_value: Mapping[str, Any] | None,
    new_value: Mapping[str, Any] | None,
    reason: str | None,
    note: str | None,
    request_id: str | None,
    at: datetime,
    item_before: dict[str, Any] | None = None,
    undoes: int | None = None,
) -> int:
    """Append one decision to the log (append-only: nothing ever updates a logged decision)."""
    row = con.execute(
        "INSERT INTO decisions (arxiv_id, reviewer, decided_at, action, candidate_id, old_value,"
        " new_value, reason, note, request_id, item_before, undoes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
        " RETURNING decision_id",
        [
            arxiv_id,
            reviewer,
            at,
            action,
            candidate_id,
            None if old_value is None else json.dumps(old_value, default=str),
            None if new_value is None else json.dumps(new_value, default=str),
            reason,
            note,
            request_id,
            None if item_before is None else json.dumps(item_before, default=str),
            undoes,
        ],
    ).fetchone()
    assert row is not None, "INSERT ... RETURNING of one row returns that row"
    return int(row[0])


def model_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """A review row as the audit log keeps it: everything an undo needs to write it back."""
    return {
        "model_id": row["model_id"],
        "system": row["system"],
        "parameters": row["parameters"],
        "parameters_kind": row["parameters_kind"],
        "publication_date": row["publication_date"],
        "domain": row["domain"],
        "evidence": row["evidence"],
        "evidence_page": row["evidence_page"],
        "evidence_source": row["evidence_source"],
        "evidence_candidate_id": row["evidence_candidate_id"],
        "decision_id": row["decision_id"],
        "reviewer": row["reviewer"],
        "reviewed_columns": row["reviewed_columns"],
    }


def item_before(state: dict[str, Any]) -> dict[str, Any]:
    """The part of a paper's review state a decision changes, kept with the decision so that
    an undo can put it back exactly."""
    return {
        "status": state["status"],
        "flag_reason": state["flag_reason"],
        "last_decision_id": state["last_decision_id"],
        "reviewed_candidates": state["reviewed_candidates"],
    }


def write_review_model(
    con: duckdb.DuckDBPyConnection,
    arxiv_id: str,
    value: DecisionValue,
    *,
    decision_id: int,
    reviewer: str,
    at: datetime,
    model_id: int | None,
) -> None:
    """Write a decided value as the paper's review row ``model_id``, or as a new review row."""
    values = [
        value["system"],
        value["parameters"],
        value["parameters_kind"],
        value["publication_date"],
        value["domain"],
        decision_id,
        reviewer,
        value["evidence"],
        value["evidence_page"],
        value["evidence_source"],
        value["evidence_candidate_id"],
        value["reviewed_columns"],
        at,
    ]
    if model_id is not None:
        con.execute(
            "UPDATE models SET system = ?, parameters = ?, parameters_kind = ?,"
            " publication_date = ?, domain = ?, decision_id = ?, reviewer = ?, evidence = ?,"
            " evidence_page = ?, evidence_source = ?, evidence_candidate_id = ?,"
            " reviewed_columns = ?, updated_at = ? WHERE model_id = ?",
            [*values, model_id],
        )
    else:
        con.execute(
            "INSERT INTO models (system, parameters, parameters_kind, publication_date,"
            " domain, decision_id, reviewer, evidence, evidence_page, evidence_source,"
            " evidence_candidate_id, reviewed_columns, updated_at, arxiv_id, source)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?, 'review')",
            [*values, arxiv_id],
        )


def delete_review_models(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> None:
    """Remove every review row of the paper (the audit log keeps them)."""
    con.execute("DELETE FROM models WHERE source = 'review' AND arxiv_id = ?", [arxiv_id])


def set_item_state(
    con: duckdb.DuckDBPyConnection,
    arxiv_id: str,
    *,
    status: str,
    decision_id: int,
    at: datetime,
    reviewed_candidates: str | None,
    flag_reason: str | None,
) -> None:
    """Record the paper's review state after decision ``decision_id``, bumping its ``version``."""
    con.execute(
        "UPDATE review_items SET status = ?, version = version + 1, last_decision_id = ?,"
        " updated_at = ?, reviewed_candidates = ?, flag_reason = ? WHERE arxiv_id = ?",
        [status, decision_id, at, reviewed_candidates, flag_reason, arxiv_id],
    )


def record_raw_input(con: duckdb.DuckDBPyConnection, decision_id: int, raw: dict[str, str]) -> None:
    """Keep what the reviewer sent for the fields cleaning changed (``{"note": "...\u202e..."}``)
    beside decision ``decision_id``, in the caller's transaction: the audit log's raw text."""
    for field_name, text in sorted(raw.items()):
        con.execute(
            "INSERT OR REPLACE INTO decision_raw_input (decision_id, field, raw) VALUES (?, ?, ?)",
            [decision_id, field_name, text],
        )


# -- CSV export ---------------------------------------------------------------------------------


def export_rows(con: duckdb.DuckDBPyConnection, status: str = "pending") -> list[dict[str, Any]]:
    """One row per staged paper (top candidate), for ``paramtrack queue export``."""
    return queue(con, status=status, sort="citations")
