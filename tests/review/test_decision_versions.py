"""Every decision names what it decides on.

A decision carries the review ``version`` of the paper it was made against; one that carries
none (a hand-made POST, a CSV without ``review_version``, a script) is taken as made against an
*open* paper. On a paper someone already decided it is a conflict (409 on the web, a refused
line in a CSV), never a silent overwrite of that decision and its curated row.
"""

from __future__ import annotations

import csv
import io
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from paramtrack.review_queue.csv_io import ImportFailed, import_csv
from paramtrack.review_queue.service import ReviewService
from paramtrack.warehouse.review_store import DecisionConflict

PAPER = "2301.00001"
CANDS = [{"value": 7e9, "model": "Seven", "evidence": "Seven has 7 billion parameters.", "page": 2, "score": 0.9}]


@pytest.mark.slow
def test_200_concurrent_versionless_approvals_store_exactly_one(
    warehouse, seed_paper, review_server, csrf_client, scalar
):
    seed_paper(warehouse, PAPER, "A paper", CANDS)
    with review_server("--reviewer", "alice") as srv:
        client, csrf = csrf_client(srv.url)

        def approve(_: int) -> int:
            form = {"csrf_token": csrf, "action": "approve", "request_id": uuid.uuid4().hex}  # no version
            return client.post(f"/papers/{PAPER}/decide", data=form).status_code

        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(approve, range(200)))
    assert sorted(set(codes)) == [303, 409] and codes.count(303) == 1, codes
    assert scalar("SELECT count(*) FROM decisions") == 1
    assert scalar("SELECT count(*) FROM models WHERE source = 'review'") == 1


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_a_versionless_csv_reject_of_a_decided_paper_is_refused_and_changes_nothing(
    warehouse, tmp_path, seed_paper, scalar
):
    seed_paper(warehouse, PAPER, "A paper", CANDS)
    service = ReviewService(warehouse)
    service.decide(PAPER, reviewer="alice", action="approve", expected_version=0)
    path = tmp_path / "decisions.csv"
    path.write_text(_csv([{"arxiv_id": PAPER, "action": "reject", "reason": "not_ml", "reviewer": "mallory"}]))

    with pytest.raises(ImportFailed) as failed:
        import_csv(service, path, reviewer=None)
    (line,) = failed.value.errors
    assert line.startswith(f"line 2: {PAPER} was already decided by alice at ")
    assert "without review_version decides only an open paper" in line
    assert scalar("SELECT count(*) FROM decisions") == 1
    assert scalar("SELECT system FROM models WHERE source = 'review'") == "Seven"
    assert scalar(f"SELECT status FROM review_items WHERE arxiv_id = '{PAPER}'") == "approved"


def test_a_versionless_decision_still_decides_an_open_paper_and_notes_never_conflict(warehouse, seed_paper, scalar):
    seed_paper(warehouse, PAPER, "A paper", CANDS)
    service = ReviewService(warehouse)
    service.decide(PAPER, reviewer="alice", action="approve")  # open: no version needed
    for action, extra in (("reject", {"reason": "not_ml"}), ("second_look", {}), ("correct", {})):
        with pytest.raises(DecisionConflict, match="already decided by alice"):
            service.decide(PAPER, reviewer="bob", action=action, **extra)
    service.decide(PAPER, reviewer="bob", action="note", note="looks right")
    assert scalar("SELECT list(action ORDER BY decision_id) FROM decisions") == ["approve", "note"]
