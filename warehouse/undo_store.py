"""Undo of a reviewer's own last decision on a paper, as a decision of its own.

A reviewer who clicked Approve on the wrong candidate should not need an administrator: the
undo restores the paper exactly as it was before (its review status, flag and fingerprint from
``decisions.item_before``, and the ``models`` rows the decision wrote or removed, from its
``old_value``) and is appended to the audit log as action ``undo`` with ``undoes`` naming the
decision. The undone decision stays in the log; it no longer counts (the ranker's labels skip
it). Only the paper's last status-changing decision can be undone, and only by the reviewer who
made it: anything later (another decision, a re-extraction flagging a second look) would be
silently thrown away otherwise. An undo can be followed by another undo of the decision before
it, but an undo itself is not undone (decide again instead).
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from paramtrack.warehouse import review_store as store
from paramtrack.warehouse.curated import mark_dataset_changed

#: Actions whose effect an undo reverses (a note changes nothing).
UNDOABLE = ("approve", "correct", "reject", "second_look")

#: The ``models`` columns a review row is written back with.
_RESTORED = (
    "system",
    "parameters",
    "parameters_kind",
    "publication_date",
    "domain",
    "evidence",
    "evidence_page",
    "evidence_source",
    "evidence_candidate_id",
    "decision_id",
    "reviewer",
    "reviewed_columns",
)


class UndoRefused(Exception):
    """The decision cannot be undone (someone else's, not the last, an undo, too old)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _check(target: dict[str, Any] | None, state: dict[str, Any], arxiv_id: str, reviewer: str, did: int) -> None:
    """Refuse, with the reason a reviewer can act on, anything but one's own last decision."""
    if target is None or target["arxiv_id"] != arxiv_id:
        raise UndoRefused(f"decision #{did} is not a decision on {arxiv_id}")
    if target["action"] == "undo":
        raise UndoRefused(f"decision #{did} is an undo; an undo is not undone: decide again instead")
    if target["action"] not in UNDOABLE:
        raise UndoRefused(f"decision #{did} is a {target['action']}, which changes nothing to undo")
    if target["reviewer"] != reviewer:
        raise UndoRefused(f"decision #{did} was made by {target['reviewer']}: only they can undo it")
    if state["last_decision_id"] != did:
        raise UndoRefused(
            f"decision #{did} is no longer the last decision on {arxiv_id}"
            f" (#{state['last_decision_id']} came after it): decide again instead"
        )
    if target["item_before"] is None:
        raise UndoRefused(f"decision #{did} was made before undo existed: decide again instead")


def _restorable(row: dict[str, Any], did: int) -> dict[str, Any]:
    if "decision_id" not in row:
        raise UndoRefused(f"decision #{did} was made before undo existed: decide again instead")
    return row


def _write_back(con: duckdb.DuckDBPyConnection, arxiv_id: str, row: dict[str, Any], *, insert: bool) -> None:
    values = [row.get(c) for c in _RESTORED]
    if insert:
        con.execute(
            f"INSERT INTO models (model_id, arxiv_id, source, updated_at, {', '.join(_RESTORED)})"
            f" VALUES (?, ?, 'review', now(), {', '.join('?' for _ in _RESTORED)})",
            [row["model_id"], arxiv_id, *values],
        )
    else:
        con.execute(
            f"UPDATE models SET {', '.join(f'{c} = ?' for c in _RESTORED)}, updated_at = now() WHERE model_id = ?",
            [*values, row["model_id"]],
        )


def _reverse_models(con: duckdb.DuckDBPyConnection, target: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """Put ``models`` back as it was before ``target``; returns (rows removed, rows restored)."""
    did, arxiv_id, action = target["decision_id"], target["arxiv_id"], target["action"]
    old = _json(target["old_value"])
    if action in ("approve", "correct"):
        written = [m for m in store.review_models(con, arxiv_id) if m["decision_id"] == did]
        if not written:
            raise UndoRefused(f"the row decision #{did} wrote has changed since: decide again instead")
        row = written[0]
        if isinstance(old, dict) and "model_id" in old:  # it overwrote a system: write that back
            previous = _restorable(old, did)
            _write_back(con, arxiv_id, {**previous, "model_id": row["model_id"]}, insert=False)
            return [store.model_snapshot(row)], [previous]
        con.execute("DELETE FROM models WHERE model_id = ?", [row["model_id"]])  # it added a system
        return [store.model_snapshot(row)], []
    if action == "reject" and isinstance(old, dict) and "systems" in old:
        rows = [_restorable(m, did) for m in old["systems"]]
        for m in rows:
            _write_back(con, arxiv_id, m, insert=True)
        return [], rows
    return [], []


def undo_decision(
    con: duckdb.DuckDBPyConnection,
    *,
    arxiv_id: str,
    reviewer: str,
    decision_id: int,
    request_id: str | None = None,
    expected_version: int | None = None,
    note: str | None = None,
) -> store.Outcome:
    """Undo ``decision_id`` (the reviewer's own last decision on ``arxiv_id``) inside the
    caller's transaction, and log the undo. Raises :class:`UndoRefused`,
    :class:`~warehouse.review_store.DecisionConflict` (stale ``expected_version``) or
    :class:`~warehouse.review_store.NotStaged`."""
    if request_id:
        done = store.decision_by_request(con, request_id)
        if done is not None and done["arxiv_id"] == arxiv_id:
            return store.Outcome(done, duplicate=True)
    state = store.item_state(con, arxiv_id)
    if state is None:
        raise store.NotStaged(arxiv_id)
    store.check_version(con, state, expected_version)
    target = store.get_decision(con, decision_id)
    _check(target, state, arxiv_id, reviewer, decision_id)
    assert target is not None
    before = _json(target["item_before"])
    removed, restored = _reverse_models(con, target)
    now = store.utc_now()
    undo_id = store.insert_decision(
        con,
        arxiv_id=arxiv_id,
        reviewer=reviewer,
        action="undo",
        candidate_id=target["candidate_id"],
        old_value={"decision": decision_id, "action": target["action"], "removed": removed},
        new_value={"status": before["status"], "restored": restored},
        reason=None,
        note=note or f"undoes #{decision_id} ({target['action']})",
        request_id=request_id,
        at=now,
        item_before=store.item_before(state),
        undoes=decision_id,
    )
    con.execute(
        "UPDATE review_items SET status = ?, flag_reason = ?, last_decision_id = ?, reviewed_candidates = ?,"
        " version = version + 1, updated_at = ? WHERE arxiv_id = ?",
        [
            before["status"],
            before["flag_reason"],
            before["last_decision_id"],
            before["reviewed_candidates"],
            now,
            arxiv_id,
        ],
    )
    if removed or restored:
        mark_dataset_changed(con, "review", f"undo {arxiv_id} decision {decision_id} (undo {undo_id})")
    decision = store.get_decision(con, undo_id)
    assert decision is not None
    return store.Outcome(decision, duplicate=False)


def undoable(con: duckdb.DuckDBPyConnection, arxiv_id: str, reviewer: str | None) -> dict[str, Any] | None:
    """The decision ``reviewer`` may undo on this paper now (their own last one), else None:
    what the review page offers an Undo button for."""
    if not reviewer:
        return None
    state = store.item_state(con, arxiv_id)
    if state is None or state["last_decision_id"] is None:
        return None
    target = store.get_decision(con, state["last_decision_id"])
    try:
        _check(target, state, arxiv_id, reviewer, int(state["last_decision_id"]))
    except UndoRefused:
        return None
    return target
