"""What a reviewer types (name, note, system, evidence; web form, CSV and terminal) is stored
without control and bidi characters, the raw text kept beside the decision for audit; and no
escape sequence from a paper reaches the reviewer's terminal."""

from __future__ import annotations

import csv
import io

import pytest

from paramtrack.review_queue.csv_io import import_csv
from paramtrack.review_queue.service import ReviewService

PAPER = "2301.00001"
CANDS = [{"value": 7e9, "model": "Seven", "evidence": "Seven has 7 billion parameters.", "page": 2, "score": 0.9}]

HOSTILE_REVIEWER = "<b>rev</b>\u202egnp.exe"
HOSTILE_NOTE = "see \x1b[2Jtable\u200b 2"
HOSTILE_MODEL = "Sev\u202een\x07"
HOSTILE_EVIDENCE = "It has \u2066eight\u2069 billion\x00 parameters."


def raw_input(con, decision_id: int) -> dict[str, str]:
    """What ``decision_raw_input`` keeps for a decision, by field."""
    rows = con.execute("SELECT field, raw FROM decision_raw_input WHERE decision_id = ?", [decision_id]).fetchall()
    return dict(rows)


@pytest.mark.slow
def test_reviewer_text_from_the_web_form_is_stored_clean_and_kept_raw_for_audit(
    warehouse, seed_paper, review_server, csrf_client, form_fields
):
    seed_paper(warehouse, PAPER, "A paper", CANDS)
    with review_server() as srv:
        client, _ = csrf_client(srv.url)
        form = form_fields(client.get(f"/papers/{PAPER}").text, "correct")
        form.update(
            reviewer=HOSTILE_REVIEWER,
            note=HOSTILE_NOTE,
            model=HOSTILE_MODEL,
            parameters="8B",
            evidence=HOSTILE_EVIDENCE,
            evidence_page="3",
        )
        form.pop("supersedes", None)
        response = client.post(f"/papers/{PAPER}/decide", data=form)
        assert response.status_code == 303, response.text
    with warehouse.read() as con:
        reviewer, note, decision_id = con.execute("SELECT reviewer, note, decision_id FROM decisions").fetchone()
        system, evidence, by = con.execute(
            "SELECT system, evidence, reviewer FROM models WHERE source = 'review'"
        ).fetchone()
        raw = raw_input(con, decision_id)
    assert reviewer == by == "<b>rev</b>gnp.exe" and note == "see [2Jtable 2"
    assert system == "Seven" and evidence == "It has eight billion parameters."
    assert raw == {
        "reviewer": HOSTILE_REVIEWER,
        "note": HOSTILE_NOTE,
        "model": HOSTILE_MODEL,
        "evidence": HOSTILE_EVIDENCE,
    }


def test_reviewer_text_from_a_csv_is_stored_clean_and_kept_raw_for_audit(warehouse, seed_paper, scalar, tmp_path):
    seed_paper(warehouse, PAPER, "A paper", CANDS)
    path = tmp_path / "d.csv"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["arxiv_id", "review_version", "action", "reason", "note", "reviewer"])
    writer.writerow([PAPER, "0", "reject", "not_ml", HOSTILE_NOTE, HOSTILE_REVIEWER])
    path.write_text(out.getvalue())
    (decision,) = import_csv(ReviewService(warehouse), path, reviewer=None)
    assert decision["reviewer"] == "<b>rev</b>gnp.exe" and decision["note"] == "see [2Jtable 2"
    with warehouse.read() as con:
        assert raw_input(con, decision["decision_id"]) == {"note": HOSTILE_NOTE, "reviewer": HOSTILE_REVIEWER}
    assert scalar("SELECT count(*) FROM decision_raw_input") == 2


def test_clean_reviewer_text_keeps_nothing_raw(warehouse, seed_paper, scalar):
    seed_paper(warehouse, PAPER, "A paper", CANDS)
    ReviewService(warehouse).decide(PAPER, reviewer="  alice ", action="note", note="two  spaces\tand a tab")
    assert scalar("SELECT count(*) FROM decision_raw_input") == 0
    assert scalar("SELECT note FROM decisions") == "two spaces and a tab"


TITLE = "Clear \x1b[2J\x1b]0;pwned\x07 Screen"
EVIDENCE = "It has \x1b[31m7 billion\u202e parameters."


def test_the_terminal_review_prints_no_escape_code_from_a_paper(warehouse, seed_paper, scalar, cli):
    seed_paper(
        warehouse,
        PAPER,
        TITLE,
        [{"value": 7e9, "model": "Seven\x1b[5m", "evidence": EVIDENCE, "page": 2, "score": 0.9}],
        abstract="An \x1b[?1049h abstract.",
    )
    keys = "1\n\ny\nq\n"  # approve candidate 1 under its own (escaped-looking) name, confirm, quit
    result = cli("--db", str(warehouse.path), "review", "--reviewer", "erin", input=keys)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "Clear \\x1b[2J\\x1b]0;pwned\\x07 Screen" in out
    assert "\\u202e" in out and "system [Seven\\x1b[5m]" in out
    # what was shown escaped is saved as it was (and cleaned by the service), not as its escape
    assert scalar("SELECT system FROM models WHERE source = 'review'") == "Seven[5m"
