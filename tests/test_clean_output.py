"""Clean what leaves (issue 28, item 3).

* Every CSV the product writes neutralises cells a spreadsheet would run as a formula (``=``,
  ``+``, ``-``, ``@``, tab, CR get a leading ``'``), with one function
  (:func:`paramtrack.core.text.neutralise_cell`); paramtrack reads its own export back unchanged.
* Text a reviewer types (name, note, system, evidence; web form and CSV) is stored without
  control and bidi characters, and the raw text is kept beside the decision for audit.
* Untrusted text reaches a terminal through one escaping function
  (:func:`paramtrack.core.text.for_terminal`): no escape sequence from a title, a name or an
  evidence sentence reaches the reviewer's terminal.
"""

from __future__ import annotations

import csv
import io
import subprocess

import pytest
from test_review_support import EXE, Cand, Server, csrf_client, form_fields, scalar, seed_paper

from paramtrack.core.text import for_terminal, neutralise_cell, restore_cell
from paramtrack.review_queue.csv_io import import_csv
from paramtrack.review_queue.service import Correction, ReviewService
from paramtrack.warehouse.export_store import export_dataset

PAPER = "2301.00001"


def raw_input(con, decision_id: int) -> dict[str, str]:
    """What ``decision_raw_input`` keeps for a decision, by field."""
    rows = con.execute("SELECT field, raw FROM decision_raw_input WHERE decision_id = ?", [decision_id]).fetchall()
    return dict(rows)


EVIL_NAME = '=HYPERLINK("http://evil.example","GPT")'
CANDS = [Cand(7e9, model="Seven", evidence="Seven has 7 billion parameters.", page=2, score=0.9)]


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_a_formula_leading_cell_is_marked_as_text_and_restored_when_read_back(lead):
    cell = f"{lead}1+2"
    assert neutralise_cell(cell) == "'" + cell and restore_cell(neutralise_cell(cell)) == cell
    assert neutralise_cell("GPT-3") == "GPT-3" and neutralise_cell(7e9) == 7e9 and neutralise_cell(None) is None


def test_the_dataset_export_neutralises_every_text_cell_and_reads_back_as_written(warehouse, tmp_path):
    from paramtrack.trends.epoch_csv import parse_epoch_csv

    seed_paper(warehouse, PAPER, "A paper", CANDS)
    ReviewService(warehouse).decide(
        PAPER,
        reviewer="-alice",
        action="correct",
        correction=Correction(
            parameters=8e9, model=EVIL_NAME, evidence="@SUM(A1) it has 8B parameters", evidence_page=3
        ),
        expected_version=0,
    )
    with warehouse.read() as con:
        export_dataset(con, tmp_path)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "models.csv").read_text())))
    (row,) = [r for r in rows if r["Source"] == "review"]
    assert row["System"] == "'" + EVIL_NAME
    assert row["Reviewer"] == "'-alice" and row["Evidence"].startswith("'@SUM(A1)")
    assert row["Parameters"] == "8000000000.0"  # numbers are not text: written as DuckDB writes them
    for cells in csv.reader(io.StringIO((tmp_path / "models.csv").read_text())):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells), cells
    # paramtrack's own reader takes the mark off again: the re-imported system is the decided one
    (parsed,) = [r for r in parse_epoch_csv(tmp_path / "models.csv").rows if r["arxiv_id"] == PAPER]
    assert parsed["system"] == EVIL_NAME


def test_the_trend_exports_go_through_the_same_function(warehouse, tmp_path):
    from paramtrack.warehouse.trends_store import export_results

    with warehouse.write() as con:
        con.execute(
            "INSERT INTO trends (run_id, metric, domain, era, era_label, era_start, n, slope)"
            " VALUES ('r', 'parameters', 'all', 'e1', '=1+1 era', DATE '2020-01-02', 3, -0.25)"
        )
        export_results(con, tmp_path)
    header, row = list(csv.reader(io.StringIO((tmp_path / "trends.csv").read_text())))
    cells = dict(zip(header, row))
    assert cells["era_label"] == "'=1+1 era"
    assert cells["slope"] == "-0.25" and cells["era_start"] == "2020-01-02"  # numbers and dates as they were


HOSTILE_REVIEWER = "<b>rev</b>\u202egnp.exe"
HOSTILE_NOTE = "see \x1b[2Jtable\u200b 2"
HOSTILE_MODEL = "Sev\u202een\x07"
HOSTILE_EVIDENCE = "It has \u2066eight\u2069 billion\x00 parameters."


def test_reviewer_text_from_the_web_form_is_stored_clean_and_kept_raw_for_audit(warehouse):
    seed_paper(warehouse, PAPER, "A paper", CANDS)
    with Server(warehouse.path) as srv:
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


def test_reviewer_text_from_a_csv_is_stored_clean_and_kept_raw_for_audit(warehouse, tmp_path):
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
    assert scalar(warehouse, "SELECT count(*) FROM decision_raw_input") == 2


def test_clean_reviewer_text_keeps_nothing_raw(warehouse):
    seed_paper(warehouse, PAPER, "A paper", CANDS)
    ReviewService(warehouse).decide(PAPER, reviewer="  alice ", action="note", note="two  spaces\tand a tab")
    assert scalar(warehouse, "SELECT count(*) FROM decision_raw_input") == 0
    assert scalar(warehouse, "SELECT note FROM decisions") == "two spaces and a tab"


def test_for_terminal_shows_escape_codes_instead_of_obeying_them():
    assert for_terminal("GPT-3 175B") == "GPT-3 175B"
    assert for_terminal("\x1b]0;pwned\x07\x1b[2J") == "\\x1b]0;pwned\\x07\\x1b[2J"
    assert for_terminal("a\u202eb\u200bc\nd") == "a\\u202eb\\u200bc\\x0ad"
    assert for_terminal("naïve — 東京 café") == "naïve — 東京 café"


TITLE = "Clear \x1b[2J\x1b]0;pwned\x07 Screen"
EVIDENCE = "It has \x1b[31m7 billion\u202e parameters."
EPOCH_NAME = "Sev\x1b[8men"


def test_the_terminal_review_prints_no_escape_code_from_a_paper(warehouse, paramtrack_exe):
    seed_paper(
        warehouse,
        PAPER,
        TITLE,
        [Cand(7e9, model="Seven\x1b[5m", evidence=EVIDENCE, page=2, score=0.9)],
        abstract="An \x1b[?1049h abstract.",
    )
    keys = "1\n\ny\nq\n"  # approve candidate 1 under its own (escaped-looking) name, confirm, quit
    proc = subprocess.run(
        [paramtrack_exe, "--db", str(warehouse.path), "review", "--reviewer", "erin"],
        input=keys,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout and "\u202e" not in proc.stdout
    assert "Clear \\x1b[2J\\x1b]0;pwned\\x07 Screen" in proc.stdout
    assert "\\u202e" in proc.stdout and "system [Seven\\x1b[5m]" in proc.stdout
    # what was shown escaped is saved as it was (and cleaned by the service), not as its escape
    assert scalar(warehouse, "SELECT system FROM models WHERE source = 'review'") == "Seven[5m"


def test_cli_listings_escape_what_sources_sent(warehouse, paramtrack_exe):
    with warehouse.write() as con:
        from paramtrack.warehouse import papers_store

        con.execute(
            "INSERT INTO papers (arxiv_id, version, title, found_by, first_seen, last_seen, status, pdf_url)"
            " VALUES (?, 1, ?, 'manual', now(), now(), 'notable', 'http://x/pdf')",
            [PAPER, TITLE],
        )
        papers_store.record_pdf(con, PAPER, url="http://x/pdf", version=1, error="NotAPdfError: starts with \x1b[2J")
    proc = subprocess.run([EXE, "--db", str(warehouse.path), "pdfs"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "starts with \\x1b[2J" in proc.stdout
