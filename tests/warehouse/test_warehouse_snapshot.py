"""warehouse.snapshot: equal content compares equal whatever the timestamps; real changes show."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from paramtrack.warehouse import Warehouse, papers_store, runs_store
from paramtrack.warehouse.snapshot import content_snapshot, diff_snapshots


def _row(arxiv_id: str, title: str, citations: int) -> papers_store.PaperRow:
    return papers_store.PaperRow(
        arxiv_id=arxiv_id,
        version=1,
        title=title,
        abstract="a",
        authors=["A"],
        categories=["cs.LG"],
        primary_category="cs.LG",
        published=date(2021, 1, 5),
        updated=datetime(2021, 1, 6, tzinfo=UTC),
        doi=None,
        journal_ref=None,
        pdf_url=f"http://127.0.0.1:1/pdf/{arxiv_id}v1",
        s2_paper_id=None,
        citation_count=citations,
        influential_citation_count=None,
        status="notable",
        found_by="arxiv_window",
    )


def _fill(wh: Warehouse, *, seen_at: datetime, rows, pdf_path: str, attempts: int = 1) -> None:
    with wh.write() as con:
        run = runs_store.start_run(con, "discover", {})
        papers_store.upsert_papers(con, rows, seen_at=seen_at)
        for _ in range(attempts - 1):
            papers_store.record_pdf(con, "2101.00001", url="u", error="HTTP 404")
        papers_store.record_pdf(con, "2101.00001", url="u", sha256="ab", size=3, path=pdf_path)
        runs_store.finish_run(con, run, status="completed", counts={})


def test_same_content_at_other_times_and_paths_is_equal(tmp_path):
    a, b = Warehouse(tmp_path / "a.duckdb"), Warehouse(tmp_path / "b.duckdb")
    a.migrate(), b.migrate()
    t = datetime(2026, 11, 23, 10, tzinfo=UTC)
    rows = [_row("2101.00001", "One", 10), _row("2101.00002", "Two", 20)]
    _fill(a, seen_at=t, rows=rows, pdf_path="/tmp/a/pdfs/ab.pdf")
    # other run ids, times (same day), file paths, two tries for the PDF, rows in another order
    _fill(b, seen_at=t + timedelta(hours=3), rows=rows[::-1], pdf_path="/tmp/b/pdfs/ab.pdf", attempts=2)
    with a.read() as ca, b.read() as cb:
        sa, sb = content_snapshot(ca), content_snapshot(cb)
    assert diff_snapshots(sa, sb) == []
    assert len(sa["papers"]) == 2 and "runs" not in sa and "title" in sa.columns["papers"]
    assert "path" not in sa.columns["pdfs"] and "first_seen" not in sa.columns["papers"]


def test_a_changed_value_a_missing_row_and_an_extra_table_are_reported(tmp_path):
    a, b = Warehouse(tmp_path / "a.duckdb"), Warehouse(tmp_path / "b.duckdb")
    a.migrate(), b.migrate()
    t = datetime(2026, 11, 23, 10, tzinfo=UTC)
    _fill(a, seen_at=t, rows=[_row("2101.00001", "One", 10), _row("2101.00002", "Two", 20)], pdf_path="p")
    _fill(b, seen_at=t, rows=[_row("2101.00001", "One", 11)], pdf_path="p")
    with b.write() as con:
        con.execute("CREATE TABLE scratch (x INTEGER)")
    with a.read() as ca, b.read() as cb:
        diff = diff_snapshots(content_snapshot(ca), content_snapshot(cb))
    text = "\n".join(diff)
    assert "papers: 2 rows vs 1; 2 only in the first, 1 only in the second" in text
    assert "+ arxiv_id='2101.00001'" in text and "citation_count=11" in text
    assert "- arxiv_id='2101.00002'" in text
    assert "scratch: table only in the second warehouse" in text
    assert "citation_snapshots:" in text  # the count's daily snapshot changed too


def test_ignore_leaves_out_extra_columns(tmp_path):
    a, b = Warehouse(tmp_path / "a.duckdb"), Warehouse(tmp_path / "b.duckdb")
    a.migrate(), b.migrate()
    t = datetime(2026, 11, 23, 10, tzinfo=UTC)
    _fill(a, seen_at=t, rows=[_row("2101.00001", "One", 10)], pdf_path="p")
    _fill(b, seen_at=t, rows=[_row("2101.00001", "One changed", 10)], pdf_path="p")
    with a.read() as ca, b.read() as cb:
        assert diff_snapshots(content_snapshot(ca), content_snapshot(cb))
        assert (
            diff_snapshots(content_snapshot(ca, {"papers": ["title"]}), content_snapshot(cb, {"papers": ["title"]}))
            == []
        )
