"""Clean what leaves.

* Every CSV the product writes neutralises cells a spreadsheet would run as a formula (``=``,
  ``+``, ``-``, ``@``, tab, CR get a leading ``'``), with one function
  (:func:`paramtrack.core.text.neutralise_cell`); paramtrack reads its own export back unchanged.
* Untrusted text reaches a terminal through one escaping function
  (:func:`paramtrack.core.text.for_terminal`): no escape sequence from a title or an error
  message reaches the terminal.

What a reviewer types is cleaned on the way in: ``tests/review/test_reviewer_text.py``.
"""

from __future__ import annotations

import csv
import io
import subprocess

import pytest

from paramtrack.core.text import for_terminal, neutralise_cell, restore_cell
from paramtrack.review_queue.service import Correction, ReviewService
from paramtrack.warehouse.export_store import export_dataset

PAPER = "2301.00001"


EVIL_NAME = '=HYPERLINK("http://evil.example","GPT")'


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_a_formula_leading_cell_is_marked_as_text_and_restored_when_read_back(lead):
    cell = f"{lead}1+2"
    assert neutralise_cell(cell) == "'" + cell and restore_cell(neutralise_cell(cell)) == cell
    assert neutralise_cell("GPT-3") == "GPT-3" and neutralise_cell(7e9) == 7e9 and neutralise_cell(None) is None


def test_the_dataset_export_neutralises_every_text_cell_and_reads_back_as_written(
    warehouse, tmp_path, seed_paper, candidate
):
    from paramtrack.trends.epoch_csv import parse_epoch_csv

    seven = candidate(7e9, model="Seven", evidence="Seven has 7 billion parameters.", page=2, score=0.9)
    seed_paper(warehouse, PAPER, "A paper", [seven])
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


def test_for_terminal_shows_escape_codes_instead_of_obeying_them():
    assert for_terminal("GPT-3 175B") == "GPT-3 175B"
    assert for_terminal("\x1b]0;pwned\x07\x1b[2J") == "\\x1b]0;pwned\\x07\\x1b[2J"
    assert for_terminal("a\u202eb\u200bc\nd") == "a\\u202eb\\u200bc\\x0ad"
    assert for_terminal("naïve — 東京 café") == "naïve — 東京 café"


TITLE = "Clear \x1b[2J\x1b]0;pwned\x07 Screen"


def test_cli_listings_escape_what_sources_sent(warehouse, paramtrack_exe):
    with warehouse.write() as con:
        from paramtrack.warehouse import papers_store

        con.execute(
            "INSERT INTO papers (arxiv_id, version, title, found_by, first_seen, last_seen, status, pdf_url)"
            " VALUES (?, 1, ?, 'manual', now(), now(), 'notable', 'http://x/pdf')",
            [PAPER, TITLE],
        )
        papers_store.record_pdf(con, PAPER, url="http://x/pdf", version=1, error="NotAPdfError: starts with \x1b[2J")
    proc = subprocess.run(
        [paramtrack_exe, "--db", str(warehouse.path), "pdfs"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "starts with \\x1b[2J" in proc.stdout
