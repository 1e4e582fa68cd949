"""Hostile records from outside (replay/hostile.py) through the real discover flow and the review
app in headless Chromium: the run completes, each record is stored (as is, or cleaned) or listed
in ``rejected_records`` with its reason, nothing else is lost, and the page shows markup as text.
"""

from __future__ import annotations

from datetime import date

import pytest

from paramtrack.discovery.screening import clean_text
from paramtrack.replay.hostile import SQL_TITLE, XSS_TITLE
from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.snapshot import content_snapshot, diff_snapshots

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

SINCE, UNTIL = date(2013, 12, 1), date(2014, 6, 30)
HOSTILE_ON = date(2014, 3, 14)
AS_OF = date(2026, 11, 23)
RULE = "3:10,12:50,36:150"

REJECTION_REASONS = {
    "published_1899": "published 1899-01-01, before arXiv existed (1991-08)",
    "published_2999": "published 2999-12-31, after this run's date 2026-11-23 + 1 day",
    "updated_before_published": "updated 2001-01-01, before it was published (2014-03-14)",
    "huge_abstract": "abstract is 4,999,999 characters, over the 20,000 limit",  # trailing space collapsed,
    "many_authors": "50,000 authors, over the 20,000 limit",
    "huge_title": "title is 99,999 characters, over the 2,000 limit",
}


@pytest.fixture(scope="module")
def run(discover):
    """A run of the window with quick backoffs; PDFs paced as on the live site."""
    return discover.bind(
        since=SINCE,
        until=UNTIL,
        rule=RULE,
        as_of=AS_OF,
        bulk_search=False,
        sources=dict(http_timeout_s=30.0, backoff_base_s=0.05, pdf_delay_s=1.0),
    )


@pytest.fixture(scope="module")
def ingested(run, corpus_dir, tmp_path_factory):
    """One ingest with the hostile records, one without; both warehouses and the records."""
    from paramtrack.replay.server import ReplayServer

    work = tmp_path_factory.mktemp("hostile")
    with ReplayServer(corpus_dir, log_level="critical", hostile=HOSTILE_ON) as srv:
        summary = run(work / "hostile.duckdb", srv)
        records = srv.hostile
        bad_bytes_seen = [e for e in srv.request_log if e["path"] in ("/api/query", "/graph/v1/paper/batch")]
        port = srv.port
    # Same port: URLs (papers.pdf_url, the errors naming them) compare equal.
    with ReplayServer(corpus_dir, log_level="critical", port=port) as clean_srv:
        run(work / "clean.duckdb", clean_srv)
    return work / "hostile.duckdb", work / "clean.duckdb", records, summary, bad_bytes_seen


def test_every_hostile_record_is_stored_safely_or_rejected_with_its_reason(ingested, corpus_dir, ids_with_pdfs):
    from paramtrack.replay.corpus import load_corpus

    db, _, records, summary, requests = ingested
    assert {e["status"] for e in requests} == {200}  # one answer each: no page was lost to a retry
    by_key = {r.key: r.paper.arxiv_id for r in records}
    with Warehouse(db).read() as con:
        assert con.execute("SELECT status, error FROM runs").fetchall() == [("completed", None)]
        stored = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT arxiv_id, title, abstract, authors, citation_count, status FROM papers"
            ).fetchall()
        }
        rejected = {
            r[0]: r[1:]
            for r in con.execute("SELECT record_id, source, reason, excerpt FROM rejected_records").fetchall()
        }
        queued = {r[0] for r in con.execute("SELECT arxiv_id FROM review_items").fetchall()}

    # rejected: not stored, listed with the reason and a short, clean excerpt
    for key, reason in REJECTION_REASONS.items():
        aid = by_key[key]
        assert aid not in stored, key
        source, got_reason, excerpt = rejected[aid]
        assert (source, got_reason) == ("arxiv_window", reason), key
        assert len(excerpt) <= 200
    assert set(rejected) == {by_key[k] for k in REJECTION_REASONS}

    # kept as is: markup and SQL are text, stored byte for byte through bound parameters
    assert stored[by_key["xss_title"]][0] == XSS_TITLE
    assert stored[by_key["xss_title"]][2] == ['<b onmouseover="window.__xss=3">Mallory</b>']
    assert stored[by_key["sql_title"]][0] == SQL_TITLE
    assert stored[by_key["sql_title"]][1] == "x'); DELETE FROM review_items; SELECT ('1"
    # cleaned: invisible and control characters gone (XML-illegal ones arrive as U+FFFD)
    title, abstract = stored[by_key["control_characters"]][:2]
    assert title == (
        "Zerowidth joins gnirts desrever and isolates with NUL\ufffd BEL\ufffd ESC\ufffd[31m NEL and BOM inside"
    )
    assert abstract == "Bell\ufffd and bidi text\ufffd."
    assert clean_text(title) == title
    # undecodable bytes (in the Atom feed and in Semantic Scholar's JSON) became U+FFFD, and the
    # paper still got its citation count from that JSON answer
    title, abstract, _, citations, status = stored[by_key["bad_utf8"]]
    assert title == "Invalid UTF-8 \ufffd\ufffd(\ufffd in a title" and "\ufffd" in abstract
    assert (citations, status) == (5000, "notable")
    assert summary.verdicts["notable"] == 10 + 4
    # the kept records with a PDF went all the way to the review queue; the SQL did nothing
    assert {by_key["xss_title"], by_key["sql_title"], by_key["control_characters"]} <= queued
    hostile_with_pdf = {by_key[k] for k in ("xss_title", "sql_title", "control_characters")}
    with_pdf = ids_with_pdfs(load_corpus(corpus_dir), SINCE, UNTIL) | hostile_with_pdf
    assert queued >= with_pdf
    with Warehouse(db).read() as con:  # the others: no PDF, but their arXiv abstract states a size
        from_abstract = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT arxiv_id FROM ranked_candidates WHERE source = 'abstract' AND page = 0"
            ).fetchall()
        }
    assert queued - with_pdf <= from_abstract


def test_nothing_else_is_lost(ingested):
    """Without the hostile records' rows, the warehouse equals one filled by a clean ingest."""
    db, clean_db, records, _, _ = ingested
    hostile_ids = {r.paper.arxiv_id for r in records}
    with Warehouse(db).read() as con:
        got = content_snapshot(con)
    with Warehouse(clean_db).read() as con:
        expected = content_snapshot(con)
    for table in ("papers", "citation_snapshots", "pdfs", "extractions", "candidates", "review_items"):
        if table != "candidates":  # (the PDF they share states no parameter count)
            assert any(r[0] in hostile_ids for r in got[table]), table  # they were there to remove
        got[table] = [r for r in got[table] if r[0] not in hostile_ids]
    got.pop("rejected_records"), expected.pop("rejected_records")
    diff = diff_snapshots(expected, got)
    assert diff == [], "\n".join(diff)


@pytest.mark.browser
def test_the_review_app_shows_hostile_titles_as_text(ingested, browser, review_server_process):
    db, _, records, _, _ = ingested
    by_key = {r.key: r.paper.arxiv_id for r in records}
    with Warehouse(db).read() as con:
        stored_control_title = con.execute(
            "SELECT title FROM papers WHERE arxiv_id = ?", [by_key["control_characters"]]
        ).fetchone()[0]
    assert "\u202e" not in stored_control_title
    with review_server_process(db) as srv:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))
        page.goto(srv.url + "/")
        queue_text = page.inner_text("body")
        assert XSS_TITLE in queue_text and SQL_TITLE in queue_text
        assert "\u202e" not in queue_text and "\u200b" not in queue_text
        page.goto(srv.url + f"/papers/{by_key['xss_title']}")
        assert page.inner_text("h1") == XSS_TITLE
        assert page.locator("h1 img, h1 script, b[onmouseover]").count() == 0
        assert "Mallory" in page.inner_text("body")
        page.goto(srv.url + f"/papers/{by_key['control_characters']}")
        assert page.inner_text("h1") == stored_control_title
        assert page.evaluate("window.__xss") is None and errors == []
        page.close()
