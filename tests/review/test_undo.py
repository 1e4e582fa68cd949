"""Undo of one's own last decision, audited as a decision of its own (warehouse/undo_store.py)."""

from __future__ import annotations

import json

import pytest

from paramtrack.review_queue.service import Correction, ReviewService
from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.review_store import DecisionConflict
from paramtrack.warehouse.training_store import decision_count
from paramtrack.warehouse.undo_store import UndoRefused


def _state(wh: Warehouse, arxiv_id: str) -> tuple:
    with wh.read() as con:
        item = con.execute(
            "SELECT status, flag_reason, last_decision_id, reviewed_candidates FROM review_items WHERE arxiv_id = ?",
            [arxiv_id],
        ).fetchone()
        models = con.execute(
            "SELECT model_id, system, parameters, decision_id, reviewer, evidence FROM models"
            " WHERE source = 'review' AND arxiv_id = ? ORDER BY model_id",
            [arxiv_id],
        ).fetchall()
    return item, models


def _version(service: ReviewService, arxiv_id: str) -> int:
    view = service.paper_view(arxiv_id)
    assert view is not None
    return view["paper"]["version"]


@pytest.fixture()
def service(warehouse, demo_queue) -> ReviewService:
    return ReviewService(warehouse)


def test_undo_of_an_approval_restores_the_paper_and_is_audited(service, warehouse):
    before = _state(warehouse, "2204.02311")
    approved = service.decide("2204.02311", reviewer="hana", action="approve", expected_version=0).decision
    assert _state(warehouse, "2204.02311") != before

    undo = service.undo("2204.02311", reviewer="hana", decision_id=approved["decision_id"], expected_version=1).decision
    assert _state(warehouse, "2204.02311") == before  # pending, no model row, as before
    assert undo["action"] == "undo" and undo["undoes"] == approved["decision_id"] and undo["reviewer"] == "hana"
    assert json.loads(undo["old_value"])["removed"][0]["system"] == "PaLM"
    with warehouse.read() as con:
        log = con.execute("SELECT action FROM decisions ORDER BY decision_id").fetchall()
        due = con.execute("SELECT count(*) FROM dataset_events WHERE detail LIKE 'undo %'").fetchone()[0]
    assert log == [("approve",), ("undo",)]  # the undone decision stays in the log
    assert due == 1  # the dataset changed back: a recompute is due


def test_undo_of_a_correction_writes_the_overwritten_system_back(service, warehouse):
    first = service.decide("2005.14165", reviewer="hana", action="approve", expected_version=0).decision
    after_first = _state(warehouse, "2005.14165")
    corrected = service.decide(
        "2005.14165",
        reviewer="hana",
        action="correct",
        correction=Correction(parameters=174.6e9, evidence="It has 174.6B parameters.", evidence_page=8),
        expected_version=1,
    ).decision
    assert _state(warehouse, "2005.14165")[1][0][2] == 174.6e9
    service.undo("2005.14165", reviewer="hana", decision_id=corrected["decision_id"], expected_version=2)
    assert _state(warehouse, "2005.14165") == after_first  # GPT-3 175B, its decision and evidence back
    # and the approval before it can be undone in turn: back to the staged paper
    service.undo("2005.14165", reviewer="hana", decision_id=first["decision_id"], expected_version=3)
    item, models = _state(warehouse, "2005.14165")
    assert item[0] == "pending" and models == []


def test_undo_of_a_reject_brings_the_systems_back(service, warehouse):
    service.decide("2204.02311", reviewer="hana", action="approve", expected_version=0)
    kept = _state(warehouse, "2204.02311")
    rejected = service.decide(
        "2204.02311", reviewer="hana", action="reject", reason="not_ml", expected_version=1
    ).decision
    assert _state(warehouse, "2204.02311")[1] == []
    service.undo("2204.02311", reviewer="hana", decision_id=rejected["decision_id"], expected_version=2)
    assert _state(warehouse, "2204.02311") == kept


def test_only_ones_own_last_decision_can_be_undone(service, warehouse):
    approved = service.decide("2204.02311", reviewer="hana", action="approve", expected_version=0).decision
    with pytest.raises(UndoRefused, match="made by hana: only they can undo it"):
        service.undo("2204.02311", reviewer="ivan", decision_id=approved["decision_id"], expected_version=1)
    flagged = service.decide("2204.02311", reviewer="ivan", action="second_look", note="odd", expected_version=1)
    with pytest.raises(UndoRefused, match="no longer the last decision"):
        service.undo("2204.02311", reviewer="hana", decision_id=approved["decision_id"], expected_version=2)
    undo = service.undo("2204.02311", reviewer="ivan", decision_id=flagged.decision["decision_id"], expected_version=2)
    with pytest.raises(UndoRefused, match="an undo is not undone"):
        service.undo("2204.02311", reviewer="ivan", decision_id=undo.decision["decision_id"], expected_version=3)
    with pytest.raises(DecisionConflict):  # a page from before the undo
        service.undo("2204.02311", reviewer="hana", decision_id=approved["decision_id"], expected_version=1)
    assert _state(warehouse, "2204.02311")[0][0] == "approved"


def test_an_undone_decision_no_longer_teaches_the_ranker(service, warehouse):
    approved = service.decide("2204.02311", reviewer="hana", action="approve", expected_version=0).decision
    with warehouse.read() as con:
        assert decision_count(con) == 1
    service.undo("2204.02311", reviewer="hana", decision_id=approved["decision_id"], expected_version=1)
    with warehouse.read() as con:
        assert decision_count(con) == 0


def test_a_repeated_undo_request_is_applied_once(warehouse, seed_paper):
    seed_paper(warehouse, "2401.00077", "Twice", [{"value": 7e9, "model": "Twice-7B", "evidence": "A 7B model."}])
    service = ReviewService(warehouse)
    approved = service.decide("2401.00077", reviewer="hana", action="approve", expected_version=0).decision
    first = service.undo(
        "2401.00077", reviewer="hana", decision_id=approved["decision_id"], expected_version=1, request_id="r1"
    )
    again = service.undo(
        "2401.00077", reviewer="hana", decision_id=approved["decision_id"], expected_version=1, request_id="r1"
    )
    assert again.duplicate and again.decision["decision_id"] == first.decision["decision_id"]
    assert _version(service, "2401.00077") == 2
