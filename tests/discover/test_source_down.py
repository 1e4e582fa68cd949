"""A source that stays down ends the run cleanly, keeps what was done, and the next run resumes."""

from __future__ import annotations

from datetime import date

import pytest

from paramtrack.warehouse import Warehouse

pytestmark = pytest.mark.prefect

SINCE, UNTIL, AS_OF = date(2019, 1, 1), date(2020, 12, 31), date(2025, 6, 1)


@pytest.fixture()
def run(discover):
    """The run's summary, also when an outage stopped it; quick retries and timeouts."""
    return discover.bind(
        since=SINCE, until=UNTIL, as_of=AS_OF, sources=dict(backoff_base_s=0.01, http_timeout_s=5)
    ).summary


def test_a_pdf_server_down_for_five_papers_in_a_row_stops_the_downloads(run, replay_server, tmp_path):
    replay_server.add_fault("/pdf/", "503", times=None)
    summary = run(tmp_path / "w.duckdb", replay_server, bulk_search=False)
    assert summary.status == "source_down" and "arxiv_pdf is down: 5 consecutive" in summary.error
    assert summary.pdfs_failed == 5  # the rest were not tried: they wait for the next run
    problems = {(p["source"], p["problem"]): p["count"] for p in summary.source_problems}
    assert problems[("arxiv_pdf", "HTTP 503")] == 5 * 5  # 5 papers x 5 attempts
    with Warehouse(tmp_path / "w.duckdb").read() as con:
        status, error, counts = con.execute("SELECT status, error, counts FROM runs").fetchone()
        waiting = con.execute(
            "SELECT count(*) FROM papers WHERE status = 'notable' AND arxiv_id NOT IN (SELECT arxiv_id FROM pdfs)"
        ).fetchone()[0]
    assert status == "source_down" and "arxiv_pdf is down" in error and "source_problems" in counts
    assert waiting > 0

    replay_server.faults.clear()
    again = run(tmp_path / "w.duckdb", replay_server, bulk_search=False)
    assert again.status == "completed" and again.pdfs_downloaded > 0 and again.staged > 0


def test_semantic_scholar_down_mid_window_keeps_the_committed_batches_and_resumes(run, replay_server, tmp_path):
    db = tmp_path / "w.duckdb"
    # The first batch gets its citations; every later batch call fails through all retries.
    replay_server.add_fault("/graph/v1/paper/batch", "500", times=None, after=1)
    first = run(db, replay_server, batch_size=40, extract=False, bulk_search=False)
    assert first.status == "source_down" and "Semantic Scholar" in first.error
    with Warehouse(db).read() as con:
        position = con.execute("SELECT position FROM run_checkpoints").fetchone()[0]
    assert position == 40  # one batch committed, with its checkpoint

    replay_server.faults.clear()
    second = run(db, replay_server, batch_size=40, extract=False, bulk_search=False)
    assert second.status == "completed" and second.resumed_from == first.run_id
    assert second.polled == clean_window_size(replay_server) - 40  # it did not re-read the start
    with Warehouse(db).read() as con:
        assert con.execute("SELECT count(*) FROM run_checkpoints").fetchone()[0] == 0
        total = con.execute("SELECT count(*) FROM papers").fetchone()[0]
    clean = run(tmp_path / "clean.duckdb", replay_server, batch_size=40, extract=False, bulk_search=False)
    assert total == clean.inserted


def clean_window_size(server) -> int:
    from paramtrack.core.settings import DEFAULT_CATEGORIES
    from paramtrack.sources.arxiv_source import ArxivSource

    with ArxivSource(server.arxiv_api_url, delay_seconds=0) as src:
        return src.window_page(DEFAULT_CATEGORIES, SINCE, UNTIL).total


def test_the_weekly_run_first_finishes_a_window_an_earlier_run_left_unfinished(
    prefect_harness, replay_server, tmp_path
):
    from paramtrack.flows.schedule import weekly_discover_flow
    from paramtrack.warehouse import runs_store

    db = tmp_path / "w.duckdb"
    wh = Warehouse(db)
    params = {
        "since": date(2022, 4, 1),
        "until": date(2022, 4, 30),
        "categories": ["cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.NE", "stat.ML"],
    }
    with wh.write() as con:
        key = runs_store.job_key("discover", params)
        run_id = runs_store.start_run(con, "discover", params, key=key)
        runs_store.finish_run(con, run_id, status="interrupted", error="killed")
    weekly_discover_flow(
        db_path=str(db),
        arxiv_api_url=replay_server.arxiv_api_url,
        s2_api_url=replay_server.s2_api_url,
        pdf_cache_dir=str(tmp_path / "pdfs"),
        arxiv_delay_seconds=0.0,
        s2_min_interval=0.0,
        pdf_delay_seconds=0.0,
    )
    with wh.read() as con:
        april = con.execute(
            "SELECT count(*) FROM papers WHERE published BETWEEN DATE '2022-04-01' AND DATE '2022-04-30'"
        ).fetchone()[0]
        statuses = con.execute("SELECT status FROM runs WHERE job_key = ? ORDER BY started_at", [key]).fetchall()
        assert runs_store.unfinished_windows(con, "discover", newer_than_days=31) == []
    assert april > 0 and [s for (s,) in statuses] == ["interrupted", "completed"]
