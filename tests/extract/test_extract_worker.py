"""ExtractionWorker: one isolated child reused across PDFs, replaced after a timeout, crash or bomb.

Slow-ish by nature (a real child process and real PDFs), so each test keeps its PDFs few and small.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_builders import PAPER_LINES, bomb_pdf, build_pdf, text_pdf, text_stream

from paramtrack.extractors import ExtractionResult, ExtractionWorker, extract_pdf

SMALL_PAPERS = ("1512.03385v1.pdf", "2205.01068v1.pdf", "2108.12409v2.pdf")


@pytest.fixture(scope="module")
def worker():  # type: ignore[no-untyped-def]
    """One worker for the whole module: child start-ups (~2 s each) are the cost of these tests."""
    with ExtractionWorker(timeout_s=60, max_memory_mb=512) as w:
        yield w
    assert not w.alive()


@pytest.fixture(autouse=True)
def _reset(worker: ExtractionWorker):  # type: ignore[no-untyped-def]
    worker.timeout_s, worker.max_pdfs_per_child = 60, 500
    yield


@pytest.mark.slow
def test_one_child_serves_several_real_pdfs_with_in_process_results(worker: ExtractionWorker, corpus: Path) -> None:
    paths = [corpus / "pdfs" / name for name in SMALL_PAPERS if (corpus / "pdfs" / name).is_file()]
    assert paths, "expected corpus PDFs"
    first_pid, restarts = worker.pid, worker.restarts
    assert first_pid is not None
    for path in paths:
        r = worker.extract(path)
        assert isinstance(r, ExtractionResult) and r.error is None, r.error
        assert worker.pid == first_pid
        expected = extract_pdf(path)
        assert [c.to_dict() for c in r.candidates[:3]] == [c.to_dict() for c in expected.candidates[:3]]
    r = worker.extract(text_pdf(), title="Tiny: A Test Paper About Model Sizes")
    assert r.top is not None and r.top.value == 2_700_000_000
    assert worker.pid == first_pid and worker.restarts == restarts


def test_a_with_block_leaves_no_child_behind() -> None:
    w = ExtractionWorker(timeout_s=60)
    with w:
        assert w.alive()
    assert not w.alive() and w.pid is None


@pytest.mark.slow
def test_a_bomb_kills_the_child_and_a_fresh_one_takes_the_next_pdf(worker: ExtractionWorker) -> None:
    # inflates to more than the whole 512 MB limit, so it fails however little the child uses
    assert worker.extract(text_pdf()).error is None
    pid, restarts = worker.pid, worker.restarts
    r = worker.extract(bomb_pdf(640))
    assert r.error is not None
    assert "memory" in r.error or "died" in r.error or "crashed" in r.error, r.error
    good = worker.extract(text_pdf())
    assert good.error is None and good.top is not None and good.top.value == 2_700_000_000
    assert worker.pid != pid and worker.restarts == restarts + 1


def test_a_timeout_kills_the_child_and_the_next_pdf_still_succeeds(worker: ExtractionWorker) -> None:
    hanging = build_pdf([text_stream(PAPER_LINES)], shared_content_pages=2000)  # 300 pages read: >> 1 ms
    assert worker.extract(text_pdf()).error is None
    pid = worker.pid
    worker.timeout_s = 0.001
    r = worker.extract(hanging)
    assert r.error is not None and "timed out" in r.error
    worker.timeout_s = 60
    good = worker.extract(text_pdf())
    assert good.error is None and good.top is not None and good.top.value == 2_700_000_000
    assert worker.pid != pid


def test_errors_are_values_and_do_not_cost_the_child(worker: ExtractionWorker, tmp_path: Path) -> None:
    assert worker.extract(text_pdf()).error is None
    pid, restarts = worker.pid, worker.restarts
    assert "not found" in (worker.extract(tmp_path / "missing.pdf").error or "")
    assert "not a PDF" in (worker.extract(b"hello " * 100).error or "")
    assert worker.extract(text_pdf()).error is None
    assert worker.pid == pid and worker.restarts == restarts


def test_a_child_killed_while_idle_is_replaced_transparently(worker: ExtractionWorker) -> None:
    import os
    import signal

    assert worker.extract(text_pdf()).error is None
    pid = worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    worker._proc.join(5)
    r = worker.extract(text_pdf())
    assert r.error is None and worker.pid != pid


@pytest.mark.slow
def test_the_child_is_recycled_after_max_pdfs_per_child(worker: ExtractionWorker) -> None:
    worker.max_pdfs_per_child = 2
    pids = []
    for _ in range(4):
        assert worker.extract(text_pdf()).error is None
        pids.append(worker.pid)
    assert len(set(pids)) >= 2 and all(pids.count(p) <= 2 for p in pids)
