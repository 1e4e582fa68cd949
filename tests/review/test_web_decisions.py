"""Deciding in the review app over real loopback HTTP: a repeated submit is applied once, the
second reviewer gets 409, a name is needed, and a page from before a re-extraction decides
nothing."""

from __future__ import annotations

import pytest

from paramtrack.warehouse.review_store import stage_paper

ORIGINAL = [
    {"value": 1e9, "model": "M", "evidence": "M has 1B parameters.", "score": 0.9},
    {"value": 3e8, "model": "M-small", "evidence": "a 300M variant", "page": 2, "score": 0.5},
]
REEXTRACTED = [{"value": 1.2e9, "model": "M", "evidence": "M has 1.2B parameters.", "score": 0.9}]


@pytest.mark.slow
def test_double_submit_applied_once_and_second_reviewer_gets_409(alice_server, warehouse, csrf_client, form_fields):
    alice, _ = csrf_client(alice_server.url)
    bob, _ = csrf_client(alice_server.url)
    page_a = alice.get("/papers/2005.14165").text
    page_b = bob.get("/papers/2005.14165").text
    approve = form_fields(page_a, "approve")
    first = alice.post("/papers/2005.14165/decide", data=approve)
    assert first.status_code == 303
    again = alice.post("/papers/2005.14165/decide", data=approve)  # double click
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    reject = {**form_fields(page_b, "reject"), "reason": "not_notable"}
    conflict = bob.post("/papers/2005.14165/decide", data=reject)
    assert conflict.status_code == 409
    assert "already decided by alice" in conflict.text and "not</strong> applied" in conflict.text
    alice_server.stop()
    with warehouse.read() as con:
        assert con.execute("SELECT action, reviewer FROM decisions").fetchall() == [("approve", "alice")]
        assert con.execute("SELECT system, parameters FROM models").fetchall() == [("GPT-3", 175e9)]


@pytest.mark.slow
def test_reviewer_required_without_fixed_identity(warehouse, demo_queue, review_server, csrf_client, form_fields):
    with review_server() as srv:
        client, _ = csrf_client(srv.url)
        fields = form_fields(client.get("/papers/2204.02311").text, "approve")
        assert client.post("/papers/2204.02311/decide", data=fields).status_code == 400
        ok = client.post("/papers/2204.02311/decide", data={**fields, "reviewer": "dora"})
        assert ok.status_code == 303 and client.cookies.get("pt_reviewer") == "dora"
    with warehouse.read() as con:
        assert con.execute("SELECT reviewer FROM decisions").fetchall() == [("dora",)]


def _reextract(warehouse, add_extraction) -> str:
    with warehouse.write() as con:
        add_extraction(con, "2301.00001", REEXTRACTED, version="test-2")
        return stage_paper(con, "2301.00001")


@pytest.mark.slow
def test_page_opened_before_reextraction_gets_409_and_approves_nothing(
    warehouse, seed_paper, add_extraction, review_server, csrf_client, form_fields
):
    seed_paper(warehouse, "2301.00001", "A model", ORIGINAL)
    with review_server("--reviewer", "alice") as srv:
        client, _ = csrf_client(srv.url)
        page = client.get("/papers/2301.00001").text
        approve = form_fields(page, "approve")  # top candidate of the first extraction
        assert _reextract(warehouse, add_extraction) == "pending"
        stale = client.post("/papers/2301.00001/decide", data=approve)
        assert stale.status_code == 409
        assert "2301.00001 changed (its candidates were re-extracted)" in stale.text
        assert "Changed since you loaded it" in stale.text
        # a fresh page shows (and approves) the new candidate
        fresh = form_fields(client.get("/papers/2301.00001").text, "approve")
        assert fresh["version"] == "1" and fresh["candidate_id"] != approve["candidate_id"]
        assert client.post("/papers/2301.00001/decide", data=fresh).status_code == 303
    with warehouse.read() as con:
        assert con.execute("SELECT parameters FROM models").fetchall() == [(1.2e9,)]
        assert con.execute("SELECT count(*) FROM decisions").fetchone()[0] == 1


@pytest.mark.slow
def test_superseded_or_non_parameter_candidate_cannot_be_approved(
    warehouse, seed_paper, add_extraction, review_server, csrf_client, form_fields, scalar
):
    flop = {"value": 3.1e23, "kind": None, "evidence": "3.1e23 FLOP", "quantity": "training_compute"}
    seed_paper(warehouse, "2301.00001", "A model", [*ORIGINAL, flop])
    with warehouse.read() as con:
        ids = dict(con.execute("SELECT quantity || rank, candidate_id FROM candidates").fetchall())
    _reextract(warehouse, add_extraction)
    with review_server("--reviewer", "alice") as srv:
        client, _ = csrf_client(srv.url)
        current = form_fields(client.get("/papers/2301.00001").text, "approve")
        for forged in (ids["parameters1"], ids["training_compute1"]):  # current version, bad id
            r = client.post("/papers/2301.00001/decide", data={**current, "candidate_id": str(forged)})
            assert r.status_code == 400, forged
            assert "is not a current parameter candidate of 2301.00001" in r.text
    assert scalar("SELECT count(*) FROM decisions") == 0
    assert scalar("SELECT count(*) FROM models") == 0
