"""Extraction rows belong to a paper, transient failures are retried, reads stay read-only.

Migration 0007 keys ``extractions`` by (paper, PDF hash, extractor version), marks errors that
come from the extraction process rather than the PDF, and adds ``candidate_changes``. A read of
an up-to-date file never asks for the write lock, so the pipeline reads beside an analyst.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from paramtrack.core.errors import ParamtrackError
from paramtrack.extractors import ExtractionWorker
from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.extraction_store import has_extraction, store_extraction
from paramtrack.warehouse.migrations import _steps, migrate, pending_migrations

SHARED_PDF = "sha-of-one-pdf"


def _store(con, arxiv_id: str, result, *, sha: str = SHARED_PDF, version: str = "v1") -> None:
    store_extraction(con, arxiv_id=arxiv_id, pdf_sha256=sha, extractor_version=version, result=result)


def test_two_papers_sharing_one_pdf_keep_their_own_candidates(warehouse, candidate, extraction_result, add_paper):
    with warehouse.write() as con:
        add_paper(con, "2101.00001", "Original")
        add_paper(con, "2101.00002", "Mirror")
        _store(con, "2101.00001", extraction_result(candidates=[candidate(7e9, model="A-7B")]))
        _store(con, "2101.00002", extraction_result(candidates=[candidate(13e9, model="B-13B")]))
    with warehouse.read() as con:
        rows = con.execute(
            "SELECT arxiv_id, value, model FROM ranked_candidates WHERE quantity = 'parameters' ORDER BY arxiv_id"
        ).fetchall()
    assert rows == [("2101.00001", 7e9, "A-7B"), ("2101.00002", 13e9, "B-13B")]


def test_a_worker_timeout_is_transient_and_does_not_count_as_extracted(
    warehouse, corpus_dir, extraction_result, add_paper
):
    pdf = corpus_dir / "pdfs" / "1810.04805v2.pdf"
    with ExtractionWorker(timeout_s=0.05, startup_timeout_s=60) as worker:
        timed_out = worker.extract(pdf)
    assert timed_out.error and "timed out" in timed_out.error
    assert timed_out.error_transient

    with warehouse.write() as con:
        add_paper(con, "1810.04805", "BERT")
        _store(con, "1810.04805", timed_out)
        assert not has_extraction(con, "1810.04805", SHARED_PDF, "v1")
        assert con.execute("SELECT error_transient FROM extraction_errors").fetchall() == [(True,)]

        # A verdict on the PDF itself (unreadable) is kept: no point retrying every week.
        _store(con, "1810.04805", extraction_result(error="not a PDF"))
        assert has_extraction(con, "1810.04805", SHARED_PDF, "v1")
        assert not has_extraction(con, "1810.04805", "another-pdf", "v1")


def test_a_broken_pdf_is_a_lasting_error(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\nthis is not a pdf at all")
    with ExtractionWorker(timeout_s=60) as worker:
        result = worker.extract(bad)
    assert result.error and not result.error_transient


def test_candidate_changes_shows_what_a_new_extractor_changed(warehouse, candidate, extraction_result, add_paper):
    with warehouse.write() as con:
        add_paper(con, "2101.00001", "Switch")
        _store(
            con,
            "2101.00001",
            extraction_result(candidates=[candidate(1.6e12, kind="dense_total", model="Switch-C")]),
            version="1.0.0",
        )
        _store(
            con,
            "2101.00001",
            extraction_result(candidates=[candidate(1.6e12, kind="moe_total", model="Switch-C")]),
            version="1.1.0",
        )
        add_paper(con, "2101.00002", "Unchanged")
        for version in ("1.0.0", "1.1.0"):
            _store(
                con,
                "2101.00002",
                extraction_result(candidates=[candidate(3e8, model="M")]),
                sha="other",
                version=version,
            )
    with warehouse.read() as con:
        rows = con.execute(
            "SELECT arxiv_id, previous_version, extractor_version, new_pdf, previous_kind, kind FROM candidate_changes"
        ).fetchall()
    assert rows == [("2101.00001", "1.0.0", "1.1.0", False, "dense_total", "moe_total")]


def test_migration_0007_keeps_rows_extracted_under_the_old_key(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ)")
    for name, sql in _steps():
        if name >= "0007":
            break
        con.execute(sql)
        con.execute("INSERT INTO _migrations VALUES (?, now())", [name])
    con.execute(
        "INSERT INTO extractions (arxiv_id, pdf_sha256, extractor_version, extracted_at,"
        " pages, error) VALUES ('2101.00001', 'abc', '1.0.0', now(), 12, NULL)"
    )
    later = [name for name, _ in _steps() if name >= "0007"]
    assert pending_migrations(con) == later and later[0] == "0007_extraction_keys"
    assert migrate(con) == later
    assert con.execute("SELECT arxiv_id, pages, error_transient FROM latest_extractions").fetchall() == [
        ("2101.00001", 12, False)
    ]
    con.close()


def test_reading_a_missing_file_fails_without_creating_it(tmp_path):
    missing = tmp_path / "typo.duckdb"
    with pytest.raises(ParamtrackError, match="no database at"):
        with Warehouse(missing).read():
            pass
    assert not missing.exists()


def test_reads_coexist_with_an_analysts_read_only_connection(warehouse):
    """Another process holds the file read-only: the pipeline's reads still work."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(warehouse.path)!r}, read_only=True)\n"
            "print('open', flush=True)\ntime.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        fresh = Warehouse(warehouse.path, lock_timeout_s=1)  # a new process's first read
        with fresh.read() as con:
            assert con.execute("SELECT count(*) FROM papers").fetchone() == (0,)
    finally:
        holder.kill()
        holder.wait()


def test_a_malformed_lock_timeout_is_a_one_line_error(warehouse, cli):
    proc = cli("--db", warehouse.path, "db", "info", env={"PARAMTRACK_LOCK_TIMEOUT": "abc"})
    assert proc.exit_code != 0
    assert "PARAMTRACK_LOCK_TIMEOUT must be a number of seconds" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_db_info_lists_tables_and_views(warehouse, cli):
    proc = cli("--db", warehouse.path, "db", "info")
    assert proc.exit_code == 0, proc.stderr
    assert "extractions" in proc.stdout and "candidate_changes" in proc.stdout
    assert f"(schema: {_steps()[-1][0]})" in proc.stdout  # the newest migration
    assert Path(warehouse.path).exists()


def test_a_timeout_after_review_leaves_the_decision_and_the_candidates_alone(warehouse, candidate, seed_paper):
    """Re-extraction with a new extractor times out on an approved paper: nothing changes for
    the reviewer (no second look, same top candidate); the error is visible and retried later."""
    from paramtrack.extractors.types import ExtractionResult
    from paramtrack.flows.discover import stage_extraction
    from paramtrack.review_queue.service import ReviewService

    seed_paper(warehouse, "2205.01068", "OPT", [candidate(175e9, model="OPT-175B")])
    ReviewService(warehouse).decide("2205.01068", reviewer="alice", action="approve", expected_version=0)
    timeout = ExtractionResult(error="timed out after 60 s", error_transient=True, extractor_version="9.9.9")
    assert stage_extraction.fn(str(warehouse.path), "2205.01068", "sha-2205.01068", timeout, 60.0) is False
    with warehouse.read() as con:
        assert con.execute("SELECT status, top_value FROM review_overview").fetchall() == [("approved", 175e9)]
        assert con.execute("SELECT error_transient FROM extraction_errors").fetchall() == [(True,)]
        assert con.execute("SELECT extractor_version FROM latest_extractions").fetchall() == [("test-1",)]
