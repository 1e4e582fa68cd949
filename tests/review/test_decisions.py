"""Staging and deciding through the review service: what each action writes, conflicts,
idempotency, re-extraction after a decision, and input that never reaches the dataset."""

from __future__ import annotations

import json

import pytest

from paramtrack.review_queue.service import (
    Correction,
    DecisionConflict,
    InvalidDecision,
    ReviewService,
    parse_parameters,
)
from paramtrack.warehouse.review_store import CHANGED_REASON, stage_paper

ORIGINAL = [
    {"value": 1e9, "model": "M", "evidence": "M has 1B parameters.", "score": 0.9},
    {"value": 3e8, "model": "M-small", "evidence": "a 300M variant", "page": 2, "score": 0.5},
]
REEXTRACTED = [{"value": 1.2e9, "model": "M", "evidence": "M has 1.2B parameters.", "score": 0.9}]


def test_staging_and_queue_view(warehouse, demo_queue):
    assert demo_queue[0] == "2204.02311"  # most cited first
    with warehouse.read() as con:
        rows = con.execute(
            "SELECT arxiv_id, status, top_value, top_kind, top_page, top_score, citations, week,"
            " candidate_count FROM review_queue ORDER BY citations DESC"
        ).fetchall()
    assert len(rows) == 5
    assert rows[0][:7] == ("2204.02311", "pending", 540e9, "dense_total", 1, 0.95, 5000)
    assert rows[0][8] == 2
    assert rows[0][7] is not None


def test_approve_writes_models_and_marks_recompute(warehouse, demo_queue):
    svc = ReviewService(warehouse)
    out = svc.decide("2204.02311", reviewer="alice", action="approve", expected_version=0)
    assert not out.duplicate
    with warehouse.read() as con:
        model = con.execute(
            "SELECT system, arxiv_id, parameters, parameters_kind, publication_date, domain, source,"
            " decision_id, reviewer, evidence, evidence_page FROM models"
        ).fetchall()
        events = con.execute("SELECT source FROM dataset_events").fetchall()
        status = con.execute("SELECT status, version FROM review_items WHERE arxiv_id='2204.02311'").fetchone()
        queued = con.execute("SELECT count(*) FROM review_queue").fetchone()[0]
    assert len(model) == 1
    system, aid, params, kind, pub, domain, source, did, reviewer, evidence, page = model[0]
    assert (system, aid, params, kind, str(pub), domain, source, reviewer, page) == (
        "PaLM",
        "2204.02311",
        540e9,
        "dense_total",
        "2024-03-01",
        "language",
        "review",
        "alice",
        1,
    )
    assert did == out.decision["decision_id"] and "540-billion" in evidence
    assert events == [("review",)]
    assert status == ("approved", 1)
    assert queued == 4


def test_later_decision_replaces_models_row_and_appends(warehouse, demo_queue, scalar):
    svc = ReviewService(warehouse)
    svc.decide("2204.02311", reviewer="alice", action="approve", expected_version=0)
    palm = scalar("SELECT model_id FROM models WHERE system = 'PaLM'")
    small = svc.paper_view("2204.02311")["candidates"][1]
    # a correction that renames the system it replaces, with the sentence that states 62B
    svc.decide(
        "2204.02311",
        reviewer="bob",
        action="correct",
        expected_version=1,
        correction=Correction(
            parameters=parse_parameters("62B"),
            model="PaLM-62B",
            kind="dense_total",
            domain="language",
            replaces=palm,
            evidence_candidate_id=small["candidate_id"],
        ),
    )
    with warehouse.read() as con:
        rows = con.execute("SELECT system, parameters, reviewer FROM models WHERE arxiv_id='2204.02311'").fetchall()
        assert con.execute("SELECT evidence, evidence_source FROM models").fetchall() == [(small["evidence"], "picked")]
        log = con.execute(
            "SELECT action, reviewer, old_value, new_value FROM decisions ORDER BY decision_id"
        ).fetchall()
    assert rows == [("PaLM-62B", 62e9, "bob")]
    assert [r[:2] for r in log] == [("approve", "alice"), ("correct", "bob")]
    assert json.loads(log[1][2])["parameters"] == 540e9  # old value = the row it replaced
    assert json.loads(log[1][3])["parameters"] == 62e9
    # reject removes the paper from the dataset, still logged
    svc.decide("2204.02311", reviewer="carol", action="reject", reason="not ML", expected_version=2)
    assert scalar("SELECT count(*) FROM models") == 0
    assert scalar("SELECT count(*) FROM decisions") == 3
    assert scalar("SELECT count(*) FROM dataset_events") == 3


def test_conflict_and_idempotency(warehouse, demo_queue, scalar):
    svc = ReviewService(warehouse)
    first = svc.decide("2005.14165", reviewer="alice", action="approve", expected_version=0, request_id="req-1")
    again = svc.decide("2005.14165", reviewer="alice", action="approve", expected_version=0, request_id="req-1")
    assert again.duplicate and again.decision["decision_id"] == first.decision["decision_id"]
    with pytest.raises(DecisionConflict) as exc:
        svc.decide(
            "2005.14165", reviewer="bob", action="reject", reason="duplicate", expected_version=0, request_id="req-2"
        )
    assert "already decided by alice" in exc.value.message
    assert scalar("SELECT count(*) FROM decisions") == 1
    assert scalar("SELECT count(*) FROM models") == 1
    # notes never conflict and do not change the decision
    svc.decide("2005.14165", reviewer="bob", action="note", note="checked", expected_version=0)
    assert scalar("SELECT version FROM review_items WHERE arxiv_id='2005.14165'") == 1


def test_reextraction_flags_second_look_without_touching_decision(warehouse, seed_paper, add_extraction):
    seed_paper(warehouse, "2301.00001", "A model", [{"value": 1e9, "model": "M", "evidence": "M has 1B parameters."}])
    svc = ReviewService(warehouse)
    svc.decide("2301.00001", reviewer="alice", action="approve", expected_version=0)
    with warehouse.write() as con:  # same candidates from a new extractor: nothing to look at
        add_extraction(
            con, "2301.00001", [{"value": 1e9, "model": "M", "evidence": "M has 1B parameters."}], version="test-2"
        )
        assert stage_paper(con, "2301.00001") == "approved"
    with warehouse.write() as con:  # different candidates: second look, decision kept
        add_extraction(
            con, "2301.00001", [{"value": 2e9, "model": "M", "evidence": "M has 2B parameters."}], version="test-3"
        )
        assert stage_paper(con, "2301.00001") == "second_look"
    with warehouse.read() as con:
        assert con.execute("SELECT parameters, reviewer FROM models").fetchall() == [(1e9, "alice")]
        assert con.execute("SELECT status, flag_reason FROM review_queue").fetchall() == [
            ("second_look", CHANGED_REASON)
        ]
        assert con.execute("SELECT action, reason FROM decisions ORDER BY decision_id DESC LIMIT 1").fetchone() == (
            "second_look",
            CHANGED_REASON,
        )
    with warehouse.write() as con:  # staging again is a no-op
        assert stage_paper(con, "2301.00001") == "second_look"


def test_staging_bumps_the_version_of_an_open_paper_only_when_its_candidates_change(
    warehouse, seed_paper, add_extraction, scalar
):
    seed_paper(warehouse, "2301.00001", "A model", ORIGINAL)
    version = "SELECT version FROM review_items WHERE arxiv_id = '2301.00001'"

    def reextract(cands, extractor_version):
        with warehouse.write() as con:
            add_extraction(con, "2301.00001", cands, version=extractor_version)
            return stage_paper(con, "2301.00001")

    assert scalar(version) == 0
    assert reextract(ORIGINAL, "test-1b") == "pending"  # same values
    assert scalar(version) == 0
    assert reextract(REEXTRACTED, "test-2") == "pending"
    assert scalar(version) == 1
    assert reextract(REEXTRACTED, "test-2") == "pending"  # staging again: nothing new
    assert scalar(version) == 1


@pytest.mark.parametrize(
    "bad",
    [
        dict(action="reject"),  # no reason
        dict(action="reject", reason="boring"),
        dict(action="approve", reviewer=""),
        dict(action="correct", correction=Correction(parameters=1e9, kind="huge")),
        dict(action="explode"),
    ],
)
def test_invalid_decisions_write_nothing(warehouse, demo_queue, scalar, bad):
    kwargs = {"reviewer": "alice", **bad}
    with pytest.raises(InvalidDecision):
        ReviewService(warehouse).decide("2204.02311", **kwargs)
    assert scalar("SELECT count(*) FROM decisions") == 0
    assert scalar("SELECT count(*) FROM models") == 0


@pytest.mark.parametrize(
    "text,value",
    [("175B", 175e9), ("1.3 billion", 1.3e9), ("175,000,000,000", 175e9), ("1.75e11", 1.75e11), ("350M", 350e6)],
)
def test_parse_parameters(text, value):
    assert parse_parameters(text) == pytest.approx(value)


def test_parse_parameters_rejects_text():
    with pytest.raises(InvalidDecision, match="parameters 'abc' is not a number"):
        parse_parameters("abc")
