"""Hostile PDFs through the discover flow: each fails the same way twice, is then staged once as
a lasting error for a reviewer, and is not retried by the next run; a valid dense page extracts.

Every file is built here: a FlateDecode bomb (1 GB of spaces in ~1 MB), a PDF that takes minutes
(300 pages of 10^5 text objects each, far past the run's extraction timeout) and one valid page
of 10^6 text objects, which needs ~750 MB resident and was killed by the old 1 GiB address-space
limit. The runs use the flow's real worker, limits and bookkeeping.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from pathlib import Path

import pytest

from paramtrack.extractors import ExtractionWorker
from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.extraction_store import has_extraction, store_extraction

TIMEOUT_S = 15.0
BOMB, SLOW, DENSE = "2401.90001", "2401.90002", "2401.90003"


def build_pdf(content: bytes, *, pages: int = 1, flate: bool = True) -> bytes:
    """A minimal valid PDF whose ``pages`` pages all draw one content stream (Helvetica), with
    correct xref offsets."""
    data = zlib.compress(content) if flate else content
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        4: b"<< /Length %d%s >>\nstream\n" % (len(data), b" /Filter /FlateDecode" if flate else b"")
        + data
        + b"\nendstream",
    }
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    page_ids = list(range(5, 5 + pages))
    objs |= dict.fromkeys(page_ids, page)
    objs[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % p for p in page_ids), pages)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for oid in sorted(objs):
        offsets[oid] = len(out)
        out += b"%d 0 obj\n" % oid + objs[oid] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (max(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % offsets[oid] for oid in range(1, max(objs) + 1))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (max(objs) + 1, xref)
    return bytes(out)


def bomb_pdf(inflated_mb: int) -> bytes:
    """A page whose FlateDecode content stream inflates to ``inflated_mb`` MB of spaces."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(comp.compress(chunk) for _ in range(inflated_mb)) + comp.flush()
    pdf = build_pdf(b"BT ET", flate=False)
    # swap the page's content for the bomb (object 4); the offsets after it move, and pdfium
    # rebuilds a broken xref table by scanning, as it does for real-world files
    head, _, rest = pdf.partition(b"4 0 obj\n")
    _, _, tail = rest.partition(b"\nendobj\n")
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return head + b"4 0 obj\n" + stream + b"\nendobj\n" + tail


def _text_objects(n: int) -> bytes:
    return b"BT /F1 1 Tf\n" + b"1 0 Td (a) Tj\n" * n + b"ET"


def dense_page_pdf() -> bytes:
    """One valid page with 10^6 text objects (~14 MB of content, 28 KB compressed)."""
    return build_pdf(_text_objects(1_000_000))


def slow_pdf() -> bytes:
    """300 pages sharing one 10^5-object stream: ~0.2 s a page, about a minute in all."""
    return build_pdf(_text_objects(100_000), pages=300)


def _seed(db: Path, folder: Path, add_paper) -> dict[str, str]:
    folder.mkdir()
    shas: dict[str, str] = {}
    wh = Warehouse(db)
    with wh.write() as con:
        for arxiv_id, make in ((BOMB, lambda: bomb_pdf(1024)), (SLOW, slow_pdf), (DENSE, dense_page_pdf)):
            data = make()
            path = folder / f"{arxiv_id}.pdf"
            path.write_bytes(data)
            shas[arxiv_id] = hashlib.sha256(data).hexdigest()
            add_paper(con, arxiv_id, f"Hostile {arxiv_id}")
            con.execute(
                "INSERT INTO pdfs (arxiv_id, sha256, path, bytes, attempts) VALUES (?, ?, ?, ?, 1)",
                [arxiv_id, shas[arxiv_id], str(path), len(data)],
            )
    return shas


@pytest.fixture()
def run(discover):
    """``add`` of the three papers, as a maintainer would, with the run's extraction timeout."""
    return discover.bind(
        arxiv_ids=[BOMB, SLOW, DENSE],
        extraction_timeout_s=TIMEOUT_S,
        sources=dict(backoff_base_s=0.05, pdf_delay_s=1.0),
    )


def _state(db: Path):
    with Warehouse(db).read() as con:
        errors = {
            r[0]: (r[1], r[2])
            for r in con.execute(
                "SELECT arxiv_id, error, error_transient FROM extractions WHERE error IS NOT NULL"
            ).fetchall()
        }
        staged = dict(con.execute("SELECT arxiv_id, staged_at FROM review_items").fetchall())
        failures = dict(con.execute("SELECT pdf_sha256, failures FROM extraction_failures").fetchall())
        dense = con.execute("SELECT pages, error FROM latest_extractions WHERE arxiv_id = ?", [DENSE]).fetchone()
    return errors, staged, failures, dense


@pytest.mark.prefect
@pytest.mark.slow
def test_hostile_pdfs_are_staged_once_as_errors_and_not_retried(run, replay_server, tmp_path, monkeypatch, add_paper):
    # Prefect keeps lasting extraction results across runs by (paper, PDF hash, extractor
    # version): a version no other test used makes these runs really extract.
    monkeypatch.setattr("paramtrack.extractors.EXTRACTOR_VERSION", f"test-{uuid.uuid4().hex[:8]}")
    monkeypatch.delenv("PARAMTRACK_FAILURE_LIMIT", raising=False)
    db = tmp_path / "w.duckdb"
    shas = _seed(db, tmp_path / "built", add_paper)

    first = run(db, replay_server)
    assert first.extracted == 3 and first.extraction_errors == 2
    errors, staged, failures, dense = _state(db)
    assert dense == (1, None)  # the valid dense page extracts under the default memory limit
    assert set(staged) == {DENSE}  # one failure may be a busy machine: retried next run
    assert "memory limit exceeded" in errors[BOMB][0] and errors[BOMB][1]
    assert f"timed out after {TIMEOUT_S:g} s" in errors[SLOW][0] and errors[SLOW][1]
    assert failures == {shas[BOMB]: 1, shas[SLOW]: 1}

    second = run(db, replay_server)
    assert second.extracted == 2 and second.extraction_errors == 2 and second.staged == 2
    errors, staged, failures, _ = _state(db)
    assert set(staged) == {BOMB, SLOW, DENSE}  # a reviewer sees both errors in the queue
    for arxiv_id in (BOMB, SLOW):
        error, transient = errors[arxiv_id]
        assert not transient and "the same failure 2 times" in error and "not retried" in error
    assert failures == {shas[BOMB]: 2, shas[SLOW]: 2}

    third = run(db, replay_server)
    assert third.extracted == 0 and third.extraction_errors == 0  # nothing retried
    assert _state(db)[1] == staged  # staged once: not re-staged either
    with Warehouse(db).read() as con:
        queue = {r[0] for r in con.execute("SELECT arxiv_id FROM review_queue").fetchall()}
    assert {BOMB, SLOW, DENSE} <= queue


def test_the_limit_is_configurable_and_another_failure_starts_the_count_again(
    warehouse, monkeypatch, add_paper, extraction_result
):
    def timeout(signature: str = "timeout after 60 s"):
        return extraction_result(error="timed out", error_transient=True, failure=signature)

    monkeypatch.setenv("PARAMTRACK_FAILURE_LIMIT", "3")
    with warehouse.write() as con:
        add_paper(con, "2401.00001", "Slow")

        def store(result):
            return store_extraction(con, arxiv_id="2401.00001", pdf_sha256="sha", extractor_version="v1", result=result)

        assert [store(timeout()).lasting for _ in range(2)] == [False, False]
        assert store(timeout("memory over 1536 MB")).failures == 1  # not the same failure
        assert store(timeout()).failures == 1  # nor is this one, after the memory failure
        assert not has_extraction(con, "2401.00001", "sha", "v1")
        assert store(extraction_result()).lasting  # a success clears the count ...
        assert store(timeout()).failures == 1
        assert [store(timeout()).lasting for _ in range(2)] == [False, True]  # ... the 3rd is it
        assert has_extraction(con, "2401.00001", "sha", "v1")
        assert (
            store_extraction(
                con, arxiv_id="2401.00001", pdf_sha256="sha", extractor_version="v2", result=timeout()
            ).failures
            == 1
        )  # a new extractor tries afresh


def test_worker_failures_carry_a_signature_but_start_up_problems_do_not(tmp_path):
    """Only what the PDF may have caused counts towards its lasting error."""
    with ExtractionWorker(timeout_s=0.05, startup_timeout_s=120) as worker:
        timed_out = worker.extract(dense_page_pdf())
    assert timed_out.error_transient and timed_out.failure == "timeout after 0.05 s"
    with ExtractionWorker(timeout_s=60, startup_timeout_s=0.01) as worker:
        not_started = worker.extract(dense_page_pdf())
    assert not_started.error_transient and not_started.failure is None
