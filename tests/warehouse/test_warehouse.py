"""The warehouse file: migrations, locks held by other processes, corrupt files, analyst reads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime

import duckdb
import pytest

from paramtrack.core.errors import CorruptDatabaseError, DatabaseLockedError
from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.papers_store import PaperRow, upsert_papers


def _paper(arxiv_id: str, citations: int | None = 5, status: str = "watch") -> PaperRow:
    return PaperRow(
        arxiv_id=arxiv_id,
        version=1,
        title=f"Paper {arxiv_id}",
        abstract=None,
        authors=["A"],
        categories=["cs.LG"],
        primary_category="cs.LG",
        published=date(2026, 1, 1),
        updated=None,
        doi=None,
        journal_ref=None,
        pdf_url=None,
        s2_paper_id=None,
        citation_count=citations,
        influential_citation_count=None,
        status=status,
        found_by="arxiv_window",
    )


def test_migrations_run_once_and_are_recorded(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    first = wh.migrate()
    assert first[0] == "0001_discovery"
    assert Warehouse(wh.path).migrate() == []
    with wh.read() as con:
        names = [r[0] for r in con.execute("SELECT name FROM _migrations ORDER BY name").fetchall()]
    assert names == first


def test_an_analyst_reads_views_with_plain_duckdb_read_only(warehouse):
    with warehouse.write() as con:
        upsert_papers(con, [_paper("2401.00001", 50, "notable"), _paper("2401.00002", 1)])
    con = duckdb.connect(str(warehouse.path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM notable_papers").fetchone()[0] == 1
        assert con.execute("SELECT arxiv_id FROM watchlist").fetchall() == [("2401.00002",)]
    finally:
        con.close()


def test_upserting_the_same_papers_twice_adds_nothing(warehouse):
    rows = [_paper("2401.00001", 50, "notable"), _paper("2401.00002", 1)]
    seen = datetime(2026, 11, 23, 6, tzinfo=UTC)
    with warehouse.write() as con:
        first = upsert_papers(con, rows, seen_at=seen)
    with warehouse.write() as con:
        second = upsert_papers(con, rows, seen_at=seen)
    assert (first.inserted, second.inserted, second.updated) == (2, 0, 2)
    assert first.newly_notable == ["2401.00001"] and second.newly_notable == []
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM papers").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM citation_snapshots").fetchone()[0] == 2


def test_notability_is_sticky_when_citations_dip(warehouse):
    with warehouse.write() as con:
        upsert_papers(con, [_paper("2401.00001", 50, "notable")])
    with warehouse.write() as con:
        upsert_papers(con, [_paper("2401.00001", 3, "watch")])
    with warehouse.read() as con:
        assert con.execute("SELECT status FROM papers").fetchone()[0] == "notable"


def test_a_write_waits_for_a_short_lock_held_by_another_process(warehouse, hold_write_lock):
    holder = hold_write_lock(warehouse.path, 1.0)
    started = time.monotonic()
    with warehouse.write() as con:
        upsert_papers(con, [_paper("2401.00009")])
    assert time.monotonic() - started >= 0.5
    holder.wait(10)
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM papers").fetchone()[0] == 1


def test_a_lock_that_is_never_released_names_the_pid_holding_it(tmp_path, hold_write_lock):
    wh = Warehouse(tmp_path / "w.duckdb", lock_timeout_s=0.5)
    wh.migrate()
    holder = hold_write_lock(wh.path, 5.0)
    try:
        with pytest.raises(DatabaseLockedError, match=rf"PID {holder.pid}\b"):
            with wh.write():
                pass
    finally:
        holder.kill()
        holder.wait()


def test_a_corrupt_file_is_reported_not_overwritten(tmp_path):
    path = tmp_path / "broken.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CorruptDatabaseError, match="not a valid DuckDB database"):
        Warehouse(path).migrate()
    assert path.read_bytes().startswith(b"this is not a database")


@pytest.mark.slow
def test_two_processes_interleaving_short_writes_keep_every_row(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).migrate()
    code = textwrap.dedent(f"""
        import sys
        from datetime import date
        from paramtrack.warehouse import Warehouse
        from paramtrack.warehouse.papers_store import PaperRow, upsert_papers
        wh = Warehouse({str(path)!r})
        prefix = sys.argv[1]
        for i in range(60):
            with wh.write() as con:
                upsert_papers(con, [PaperRow(f"{{prefix}}.{{i:05d}}", 1, "t", None, [], [], None,
                    date(2026, 1, 1), None, None, None, None, None, 1, None, "watch", "arxiv_window")])
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, p]) for p in ("2601", "2602")]
    assert [p.wait(120) for p in procs] == [0, 0]
    with Warehouse(path).read() as con:
        assert con.execute("SELECT count(*) FROM papers").fetchone()[0] == 120
