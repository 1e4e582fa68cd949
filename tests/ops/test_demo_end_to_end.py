"""The README's main job, end to end: `paramtrack demo`, then a maintainer triages in a browser.

The demo runs once per session (fixture ``demo_db`` in conftest.py): replay server over
loopback → discover flow through Prefect's local API → real PDFs → extractor → DuckDB.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from paramtrack.extractors.pipeline import page_zero

pytestmark = [pytest.mark.slow, pytest.mark.prefect]

TABLES = ["papers", "citation_snapshots", "pdfs", "extractions", "candidates", "review_items", "decisions", "models"]


def _counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def test_demo_stages_candidates_for_every_notable_paper_with_a_pdf(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        missing = con.execute(
            "SELECT p.arxiv_id FROM notable_papers p JOIN pdfs d USING (arxiv_id)"
            " WHERE d.sha256 IS NOT NULL AND p.arxiv_id NOT IN (SELECT arxiv_id FROM review_queue)"
            " AND p.arxiv_id NOT IN (SELECT arxiv_id FROM review_items)"
        ).fetchall()
        staged = con.execute("SELECT count(*) FROM review_items").fetchone()[0]
        top = dict(
            con.execute(
                "SELECT arxiv_id, value FROM ranked_candidates WHERE quantity = 'parameters' AND rank = 1"
            ).fetchall()
        )
    finally:
        con.close()
    assert missing == [] and staged >= 15
    assert top["2205.01068"] == 175e9 and top["2204.02311"] == pytest.approx(540e9, rel=0.05)


def test_demo_twice_in_a_row_leaves_the_same_row_counts(demo_db, run_paramtrack, corpus_dir):
    before = _counts(demo_db)
    result = run_paramtrack(
        "--db", demo_db, "demo", "--corpus", corpus_dir, "--quiet", cwd=demo_db.parent.parent, timeout=900
    )
    assert result.exit_code == 0, result.stderr[-3000:]
    assert "0 new" in result.stdout
    assert _counts(demo_db) == before


@pytest.mark.browser
def test_a_maintainer_triages_the_demo_queue_in_chromium(demo_db, tmp_path, browser, review_server_process, artifacts):
    db = tmp_path / "paramtrack.duckdb"
    shutil.copy(demo_db, db)

    with review_server_process(db, "--reviewer", "maintainer") as server:
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        page.goto(server.url + "/")
        assert "0 of" in page.inner_text(".progress-text")
        page.screenshot(path=str(artifacts / "demo-queue.png"), full_page=True)

        # OPT: the top candidate is right; one key approves it.
        page.goto(server.url + "/papers/2205.01068")
        assert "175" in page.inner_text("td.evidence mark")
        page.keyboard.press("a")
        page.wait_for_url("**done=*")

        # Switch Transformers: correct to the precise sparse total from Table 9.
        page.goto(server.url + "/papers/2101.03961")
        page.keyboard.press("e")
        page.keyboard.type("1571B")
        page.select_option("[data-correct] select[name=kind]", "moe_total")
        page.fill("[data-correct] input[name=model]", "Switch-C")
        # the evidence of the corrected count: the Table 9 row, typed with its page
        page.fill("[data-correct] textarea[name=evidence]", "Table 9: Switch-C, 1571B parameters")
        page.fill("[data-correct] input[name=evidence_page]", "23")
        page.wait_for_selector(
            "[data-correct] [data-match-ids]:not([value='unknown'])", state="attached"
        )  # the Epoch match for the name is shown
        page.screenshot(path=str(artifacts / "demo-correct.png"), full_page=True)
        page.click("[data-correct] button")
        page.wait_for_url("**done=*")

        # DQN states no parameter count: reject with that reason.
        page.goto(server.url + "/papers/1312.5602")
        page.keyboard.press("r")
        page.check("input[name=reason][value=no_count_stated]")
        page.click("[data-reject] button")
        page.wait_for_url("**done=*")

        page.goto(server.url + "/")
        assert "3 of" in page.inner_text(".progress-text")
        page.screenshot(path=str(artifacts / "demo-queue-after.png"), full_page=True)
        page.close()

    con = duckdb.connect(str(db), read_only=True)
    try:
        models = con.execute(
            "SELECT arxiv_id, system, parameters, parameters_kind, reviewer, source FROM models"
            " WHERE source = 'review' ORDER BY arxiv_id"
        ).fetchall()
        decisions = con.execute(
            "SELECT arxiv_id, action, reviewer, reason FROM decisions WHERE reviewer = 'maintainer'"
            " ORDER BY decision_id"
        ).fetchall()
    finally:
        con.close()
    assert [(m[0], m[2], m[4], m[5]) for m in models] == [
        ("2101.03961", 1571e9, "maintainer", "review"),
        ("2205.01068", 175e9, "maintainer", "review"),
    ]
    assert models[0][1] == "Switch-C" and models[0][3] == "moe_total"
    assert decisions == [
        ("2205.01068", "approve", "maintainer", None),
        ("2101.03961", "correct", "maintainer", None),
        ("1312.5602", "reject", "maintainer", "no_count_stated"),
    ]


@pytest.mark.browser
def test_notable_papers_without_a_pdf_are_staged_from_their_abstract_and_shown_so(
    demo_db, tmp_path, request, review_server_process, artifacts
):
    """The demo's notable papers whose PDF the replay server does not have (it answers 404, as
    arXiv does for a withdrawn file) get candidates from their arXiv abstract when it states a
    size; the review page shows where they come from."""
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        rows = con.execute(
            "SELECT c.arxiv_id, c.value, c.evidence, c.score FROM ranked_candidates c"
            " JOIN review_queue q USING (arxiv_id)"
            " WHERE c.quantity = 'parameters' AND c.rank = 1 AND c.source = 'abstract' AND c.page = 0"
            " AND c.arxiv_id NOT IN (SELECT arxiv_id FROM pdfs WHERE sha256 IS NOT NULL)"
            " ORDER BY c.score DESC"
        ).fetchall()
        # page 0 as the extractor reads it: the title as a sentence of its own, then the abstract
        fronts = {
            a: " ".join(page_zero(t, ab).split())
            for a, t, ab in con.execute("SELECT arxiv_id, title, abstract FROM papers").fetchall()
        }
    finally:
        con.close()
    assert len(rows) >= 10  # hundreds of the demo's notable papers have no PDF; many abstracts state a size
    for arxiv_id, _value, evidence, _score in rows:  # the evidence is a sentence of the title or abstract
        assert " ".join(evidence.split())[:40].rstrip(".") in fronts[arxiv_id], arxiv_id

    browser = request.getfixturevalue("browser")  # (the checks above run without one too)
    db = tmp_path / "paramtrack.duckdb"
    shutil.copy(demo_db, db)
    arxiv_id = rows[0][0]
    with review_server_process(db, "--reviewer", "maintainer") as server:
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        page.goto(f"{server.url}/papers/{arxiv_id}")
        assert "arXiv abstract" in page.inner_text("table")
        page.screenshot(path=str(artifacts / "demo-abstract-candidate.png"), full_page=True)
        page.close()
