"""Sources release their connections, and concurrent downloads of one PDF cannot corrupt the cache.

Everything runs against real loopback servers (the replay server, or a small streaming
``http.server`` when the test needs a download that is deterministically slow). Open client
connections are counted from ``/proc/net/tcp``: a socket the client still holds is ESTABLISHED
(or CLOSE_WAIT once the server hung up); a closed one is neither.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from paramtrack.sources.arxiv_source import ArxivSource
from paramtrack.sources.pdf_cache import PdfCache
from paramtrack.sources.semantic_scholar import SemanticScholarSource

ID = "1502.03167"  # smallest PDF in the corpus (165 KB)


_OPEN_STATES = {"01", "08"}  # ESTABLISHED, CLOSE_WAIT


def open_client_connections(port: int) -> int:
    """Client-side TCP sockets on this machine still open to 127.0.0.1:``port``."""
    table = Path("/proc/net/tcp")
    if not table.exists():
        pytest.skip("needs Linux /proc/net/tcp")
    count = 0
    for line in table.read_text().splitlines()[1:]:
        fields = line.split()
        remote, state = fields[2], fields[3]
        if int(remote.split(":")[1], 16) == port and state in _OPEN_STATES:
            count += 1
    return count


def leftovers(root: Path) -> list[str]:
    """Anything but finished PDFs and the index: partials, locks, temp files."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.suffix != ".pdf" and p.name != "index.json"
    )


# -- closing -----------------------------------------------------------------------------------


def test_arxiv_source_closes_its_session(replay) -> None:
    with ArxivSource(replay.arxiv_api_url, delay_seconds=0, timeout=5) as src:
        assert [p.arxiv_id for p in src.fetch_ids(["2204.02311"])] == ["2204.02311"]
        assert open_client_connections(replay.port) >= 1  # keep-alive connection held
    assert open_client_connections(replay.port) == 0
    src.close()  # idempotent


def test_pdf_cache_and_s2_close_their_clients(replay, tmp_path) -> None:
    with (
        PdfCache(tmp_path / "pdfs") as cache,
        SemanticScholarSource(replay.s2_api_url, min_interval=0, api_key=None) as s2,
    ):
        cache.fetch(replay.pdf_url(ID), arxiv_id=ID)
        s2.batch_by_arxiv(["2204.02311"])
        assert open_client_connections(replay.port) >= 2
    assert open_client_connections(replay.port) == 0


def test_flow_tasks_leave_no_connection_open(replay, tmp_path, warehouse) -> None:
    """The discover tasks that build sources close them (run as plain functions, no Prefect)."""
    from paramtrack.flows import discover
    from paramtrack.flows.options import SourceSettings
    from paramtrack.warehouse import papers_store

    sources = SourceSettings(
        arxiv_url=replay.arxiv_api_url, s2_url=replay.s2_api_url, arxiv_delay_s=0, s2_min_interval=0, pdf_delay_s=0
    )
    page = discover.poll_arxiv_page.fn(sources, ["cs.CL"], date(2022, 4, 1), date(2022, 4, 30), 0)
    assert page.papers
    assert discover.fetch_arxiv_ids.fn(sources, ["2204.02311"])
    discover.find_missed.fn(sources, query="language model", min_citations=1000, date_range="2019:", known=[])
    row = papers_store.PaperRow(
        arxiv_id=ID,
        version=3,
        title="Batch Normalization",
        abstract=None,
        authors=["S. Ioffe"],
        categories=["cs.LG"],
        primary_category="cs.LG",
        published=date(2015, 2, 11),
        updated=None,
        doi=None,
        journal_ref=None,
        pdf_url=replay.pdf_url(ID),
        s2_paper_id=None,
        citation_count=1,
        influential_citation_count=None,
        status="notable",
        found_by="arxiv_window",
    )
    with warehouse.write() as con:
        papers_store.upsert_papers(con, [row])
    got = discover.download_pdfs.fn(str(warehouse.path), sources, str(tmp_path / "pdfs"), 50)
    assert (got.downloaded, got.failed) == (1, 0)
    assert open_client_connections(replay.port) == 0


# -- concurrent downloads of the same PDF ------------------------------------------------------


def _expected_sha(corpus_dir: Path) -> str:
    return hashlib.sha256((corpus_dir / "pdfs" / f"{ID}v3.pdf").read_bytes()).hexdigest()


def test_two_threads_same_pdf_from_replay(replay, tmp_path, corpus_dir) -> None:
    """Two caches (two ingests) on one folder, both requests held by the server at once."""
    replay.add_fault("/pdf/", "slow", times=2, delay=0.3)
    root = tmp_path / "pdfs"
    barrier = threading.Barrier(2)
    results: list = []
    errors: list[BaseException] = []

    def fetch() -> None:
        with PdfCache(root) as cache:
            barrier.wait()
            try:
                results.append(cache.fetch(replay.pdf_url(ID), arxiv_id=ID))
            except BaseException as exc:  # reported below
                errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    sha = _expected_sha(corpus_dir)
    assert [r.sha256 for r in results] == [sha, sha]
    assert hashlib.sha256(results[0].path.read_bytes()).hexdigest() == sha
    assert leftovers(root) == []


_CHILD = """
import sys
from paramtrack.sources.pdf_cache import PdfCache
with PdfCache(sys.argv[1]) as cache:
    print(cache.fetch(sys.argv[2], arxiv_id=sys.argv[3]).sha256)
"""


def test_two_processes_same_pdf_from_replay(replay, tmp_path, corpus_dir, repo_root) -> None:
    replay.add_fault("/pdf/", "slow", times=2, delay=0.5)
    root = tmp_path / "pdfs"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(root), replay.pdf_url(ID), ID],
            cwd=repo_root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    sha = _expected_sha(corpus_dir)
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert out.strip() == sha
    assert hashlib.sha256(PdfCache(root).path_for(sha).read_bytes()).hexdigest() == sha
    assert leftovers(root) == []


class _SlowPdf(BaseHTTPRequestHandler):
    """Streams ``body`` in small slow chunks and honours ``Range`` (206), like arxiv.org."""

    body = b""
    ranges: list = []

    def do_GET(self):  # noqa: N802 - http.server API
        rng = self.headers.get("Range")
        type(self).ranges.append(rng)
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        data = self.body[start:]
        self.send_response(206 if rng else 200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(data)))
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(self.body) - 1}/{len(self.body)}")
        self.end_headers()
        for i in range(0, len(data), 16 * 1024):
            self.wfile.write(data[i : i + 16 * 1024])
            self.wfile.flush()
            time.sleep(0.03)

    def log_message(self, *args):
        pass


@pytest.fixture()
def slow_pdf_server(corpus_dir):
    _SlowPdf.body = (corpus_dir / "pdfs" / f"{ID}v3.pdf").read_bytes()
    _SlowPdf.ranges = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _SlowPdf)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/pdf/{ID}v3"
    srv.shutdown()
    srv.server_close()


def test_second_download_waits_instead_of_appending_to_the_first(slow_pdf_server, tmp_path) -> None:
    """The second fetch starts while the first is half-written: it must not resume from (and append
    to) the other's partial file; it waits, then finds the finished PDF and downloads nothing."""
    root = tmp_path / "pdfs"
    part = PdfCache(root).partial_path(slow_pdf_server, ID)
    first: list = []
    t = threading.Thread(target=lambda: first.append(PdfCache(root).fetch(slow_pdf_server, arxiv_id=ID)))
    t.start()
    deadline = time.monotonic() + 10
    while not (part.exists() and part.stat().st_size > 0):
        assert time.monotonic() < deadline and t.is_alive(), "first download never started writing"
        time.sleep(0.005)
    with PdfCache(root) as cache:
        second = cache.fetch(slow_pdf_server, arxiv_id=ID)
    t.join(30)
    sha = hashlib.sha256(_SlowPdf.body).hexdigest()
    assert first and first[0].sha256 == sha and second.sha256 == sha
    assert second.path.read_bytes() == _SlowPdf.body
    assert _SlowPdf.ranges == [None]  # one download, no resume of a file still being written
    assert leftovers(root) == []


# -- replay server CLI loop --------------------------------------------------------------------


def test_serve_forever_serves_the_started_server_until_ctrl_c(corpus_dir) -> None:
    """The CLI starts the server (to report bind errors and print the port), then blocks in
    ``serve_forever``: that must keep serving the same socket, and Ctrl-C must stop it cleanly."""
    import _thread

    import httpx

    from paramtrack.replay.server import ReplayServer

    srv = ReplayServer(corpus_dir, log_level="critical").start()
    port = srv.port
    seen: list[int] = []

    def press_ctrl_c() -> None:
        time.sleep(0.3)  # the main thread is inside serve_forever by now
        try:
            seen.append(httpx.get(f"http://127.0.0.1:{port}/_replay/status", timeout=5).status_code)
        finally:
            _thread.interrupt_main()  # what Ctrl-C does: KeyboardInterrupt in the main thread

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    try:
        srv.serve_forever()  # returns (does not raise) on Ctrl-C
    finally:
        srv.stop()
    assert seen == [200] and srv.port == port
    # uvicorn really finished before its socket was closed (a join() interrupted by Ctrl-C would
    # have left it running: python/cpython#90882)
    assert f"replay-server-{port}" not in [t.name for t in threading.enumerate()]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/_replay/status", timeout=2)
