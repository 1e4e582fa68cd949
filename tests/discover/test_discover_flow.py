"""The discover flow through Prefect, against the replay server over loopback HTTP, with faults.

These tests run the real clients (arxiv package, httpx), the real server, the real extractor and
a real DuckDB file; only the internet is replaced, by the recorded corpus.
"""

from __future__ import annotations

from datetime import date

import pytest

from paramtrack.discovery.notability import NotabilityRule
from paramtrack.flows.options import RunOptions, SourceSettings
from paramtrack.warehouse import Warehouse

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

# A window with seven ground-truth PDFs (Switch, Megatron-LM, ALiBi, Primer, RETRO, PaLM, OPT)
# and the Epoch papers submitted in the same months.
SINCE, UNTIL = date(2021, 1, 1), date(2022, 6, 30)
AS_OF = date(2026, 11, 23)
RULE = "3:10,12:50,36:150"


@pytest.fixture()
def run(discover):
    """The discover flow on this module's window, as of a fixed day, under the documented rule."""
    return discover.bind(since=SINCE, until=UNTIL, rule=RULE, as_of=AS_OF)


def _expected(server):
    """What the corpus says should happen in the window, judged by the same documented rule."""
    rule = NotabilityRule.parse(RULE)
    in_window = [p for p in server.corpus.papers.values() if SINCE <= p.published.date() <= UNTIL]
    notable = {
        p.arxiv_id
        for p in in_window
        if p.citation_count(AS_OF) is not None
        and p.citation_count(AS_OF) >= rule.threshold((AS_OF - p.published.date()).days / 30.4375)
    }
    with_pdf = {p.arxiv_id for p in server.corpus.with_pdfs} & notable
    return {p.arxiv_id for p in in_window}, notable, with_pdf


def test_flow_survives_429_and_5xx_and_ends_with_the_right_papers(run, replay_server, tmp_path):
    server = replay_server
    server.add_fault("/graph/v1/paper/batch", "429", times=1, retry_after="1")
    server.add_fault("/graph/v1/paper/batch", "503", times=1)
    server.add_fault("/api/query", "500", times=1)
    server.add_fault("/pdf/", "429", times=1)  # no Retry-After: the client backs off by itself
    db = tmp_path / "w.duckdb"

    summary = run(db, server, bulk_search=False)

    in_window, notable, with_pdf = _expected(server)
    faults = [e for e in server.request_log if e["fault"]]
    assert {(e["path"].split("/")[1], e["status"]) for e in faults} >= {
        ("graph", 429),
        ("graph", 503),
        ("api", 500),
        ("pdf", 429),
    }
    with Warehouse(db).read() as con:
        stored = {r[0] for r in con.execute("SELECT arxiv_id FROM papers").fetchall()}
        got_notable = {r[0] for r in con.execute("SELECT arxiv_id FROM notable_papers").fetchall()}
        extracted = {
            r[0]
            for r in con.execute("SELECT arxiv_id FROM extractions WHERE pdf_sha256 NOT LIKE 'abstract:%'").fetchall()
        }
        from_abstract = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT arxiv_id FROM ranked_candidates WHERE source = 'abstract' AND page = 0"
            ).fetchall()
        }
        queued = {r[0] for r in con.execute("SELECT arxiv_id FROM review_items").fetchall()}
        run = con.execute("SELECT status, counts->>'polled' FROM runs").fetchall()
    assert notable, "the window should hold notable papers"
    assert got_notable == notable
    assert stored <= in_window and notable <= stored
    assert len(with_pdf) >= 5 and extracted == with_pdf
    # the PDFs' papers, and the notable ones without a PDF whose arXiv abstract states a size
    assert queued == with_pdf | from_abstract and not (from_abstract & with_pdf)
    assert summary.staged == len(with_pdf) and summary.abstracts_staged == len(from_abstract)
    assert run == [("completed", str(summary.polled))]


def test_bulk_search_adds_notable_older_papers_the_window_missed(run, replay_server, tmp_path):
    db = tmp_path / "w.duckdb"
    summary = run(db, replay_server, bulk_search=True, extract=False)
    rule = NotabilityRule.parse(RULE)
    with Warehouse(db).read() as con:
        bulk = con.execute(
            "SELECT arxiv_id, published, citation_count, status FROM papers WHERE found_by = 's2_bulk'"
        ).fetchall()
    # Papers found this way that are too old and too little cited age out and are not kept.
    assert 0 < len(bulk) <= summary.found_by_bulk
    for arxiv_id, published, citations, status in bulk:
        assert published < SINCE, arxiv_id  # older than the window: the window could not see it
        age = (AS_OF - published).days / 30.4375
        assert status == ("notable" if citations >= rule.threshold(age) else "watch"), arxiv_id


def test_running_the_same_window_twice_changes_nothing(run, replay_server, tmp_path):
    db = tmp_path / "w.duckdb"
    tables = [
        "papers",
        "citation_snapshots",
        "pdfs",
        "extractions",
        "candidates",
        "review_items",
        "decisions",
        "models",
    ]

    def counts():
        with Warehouse(db).read() as con:
            return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}

    run(db, replay_server, extract=True)
    first = counts()
    second_summary = run(db, replay_server, extract=True)
    assert counts() == first
    assert second_summary.inserted == 0 and second_summary.newly_notable == []
    assert second_summary.extracted == 0  # cached by PDF hash + extractor version


def test_an_unreachable_api_ends_the_run_cleanly_as_source_down_with_the_url(prefect_harness, tmp_path):
    from paramtrack.flows.discover import run_discover

    db = tmp_path / "w.duckdb"
    nobody = SourceSettings(arxiv_url="http://127.0.0.1:9/api/query", s2_url="http://127.0.0.1:9", arxiv_delay_s=0.0)
    summary = run_discover(db_path=str(db), since=SINCE, until=UNTIL, options=RunOptions(sources=nobody))
    assert summary.status == "source_down" and "127.0.0.1:9" in summary.error
    with Warehouse(db).read() as con:
        status, error = con.execute("SELECT status, error FROM runs").fetchone()
    assert status == "source_down" and "127.0.0.1:9" in error


def test_a_timed_out_extraction_is_retried_by_the_next_run_not_cached(run, replay_server, tmp_path, monkeypatch):
    """A worker timeout says nothing about the PDF: Prefect must not cache it and the warehouse
    must not count the paper as extracted, so the next run (with time to spare) extracts it."""
    import uuid

    # Prefect keeps extraction results across runs (keyed by paper, PDF hash and extractor
    # version): a version no earlier run used makes the first run really extract.
    monkeypatch.setattr("paramtrack.extractors.EXTRACTOR_VERSION", f"test-{uuid.uuid4().hex[:8]}")
    db = tmp_path / "w.duckdb"
    first = run(db, replay_server, bulk_search=False, extraction_timeout_s=0.001)
    _, _, with_pdf = _expected(replay_server)
    assert first.extracted == len(with_pdf) and first.extraction_errors == len(with_pdf)
    assert first.staged == 0  # nothing to review yet: a timeout is not an answer
    with Warehouse(db).read() as con:
        errors = con.execute("SELECT arxiv_id, error_transient, error FROM extraction_errors").fetchall()
        assert (
            con.execute(
                "SELECT count(*) FROM review_items WHERE list_contains(?, arxiv_id)", [sorted(with_pdf)]
            ).fetchone()[0]
            == 0
        )
    assert {e[0] for e in errors} == with_pdf
    assert all(transient and "timed out" in error for _, transient, error in errors)

    second = run(db, replay_server, bulk_search=False)
    assert second.extracted == len(with_pdf) and second.extraction_errors == 0
    with Warehouse(db).read() as con:
        assert con.execute("SELECT count(*) FROM extraction_errors").fetchone()[0] == 0
        top = dict(con.execute("SELECT arxiv_id, top_value FROM review_queue").fetchall())
    assert top["2204.02311"] == 540e9  # PaLM, now with its real candidates in the queue
