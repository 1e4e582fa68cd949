"""PdfCache against the replay server (and a Range-ignoring loopback server)."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from paramtrack.core.errors import SourceUnavailableError
from paramtrack.sources.pdf_cache import NotAPdfError, PdfCache, PdfNotFoundError, PdfTooLargeError

ID = "1502.03167"  # smallest PDF in the corpus (165 KB)


def cache(tmp_path, **kw) -> PdfCache:
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("max_backoff", 0.05)
    return PdfCache(tmp_path / "pdfs", **kw)


def test_fetch_content_addressed_and_indexed(replay, tmp_path, corpus_dir) -> None:
    expected = (corpus_dir / "pdfs" / f"{ID}v3.pdf").read_bytes()
    with cache(tmp_path) as c:
        got = c.fetch(replay.pdf_url(ID), arxiv_id=ID)
    sha = hashlib.sha256(expected).hexdigest()
    assert got.sha256 == sha and got.bytes == len(expected)
    assert got.path == tmp_path / "pdfs" / sha[:2] / f"{sha}.pdf"
    assert got.path.read_bytes() == expected
    index = json.loads((tmp_path / "pdfs" / "index.json").read_text())
    assert index["by_arxiv_id"][ID] == sha and index["by_url"][replay.pdf_url(ID)] == sha
    assert not list((tmp_path / "pdfs" / "partial").iterdir())


def test_refetch_is_idempotent(replay, tmp_path) -> None:
    with cache(tmp_path) as c:
        a = c.fetch(replay.pdf_url(ID), arxiv_id=ID)
        b = c.fetch(replay.pdf_url(ID), arxiv_id=ID)
    assert a == b
    assert len(replay.request_log) == 1
    assert c.lookup(arxiv_id=ID) == a


def test_resume_after_truncation_uses_range(replay, tmp_path, corpus_dir) -> None:
    replay.add_fault("/pdf/", "truncate", times=1, fraction=0.4)
    with cache(tmp_path) as c:
        got = c.fetch(replay.pdf_url(ID), arxiv_id=ID)
    assert got.path.read_bytes() == (corpus_dir / "pdfs" / f"{ID}v3.pdf").read_bytes()
    log = replay.request_log
    assert [e["fault"] for e in log] == ["truncate", None]
    assert log[0]["range"] is None
    assert log[1]["range"] and log[1]["range"].startswith("bytes=") and log[1]["range"] != "bytes=0-"
    assert log[1]["status"] == 206


def test_retries_5xx_and_429(replay, tmp_path) -> None:
    replay.add_fault("/pdf/", "503", times=1)
    replay.add_fault("/pdf/", "429", times=1, retry_after=0)
    with cache(tmp_path) as c:
        c.fetch(replay.pdf_url(ID), arxiv_id=ID)
    assert [e["status"] for e in replay.request_log] == [503, 429, 200]


def test_size_limit(replay, tmp_path) -> None:
    with cache(tmp_path, max_bytes=100_000) as c, pytest.raises(PdfTooLargeError, match="100,000-byte limit"):
        c.fetch(replay.pdf_url(ID), arxiv_id=ID)
    assert not list((tmp_path / "pdfs" / "partial").iterdir())


def test_missing_pdf_is_404_error(replay, tmp_path) -> None:
    with cache(tmp_path) as c, pytest.raises(PdfNotFoundError, match="HTTP 404"):
        c.fetch(f"{replay.base_url}/pdf/2001.08361v1", arxiv_id="2001.08361")


def test_exhausted_retries(replay, tmp_path) -> None:
    replay.add_fault("/pdf/", "500", times=0)
    with cache(tmp_path, max_retries=2) as c, pytest.raises(SourceUnavailableError, match="3 attempts"):
        c.fetch(replay.pdf_url(ID), arxiv_id=ID)


def test_a_refused_connection_fails_at_once_as_an_outage_of_the_server(tmp_path, free_port) -> None:
    """Refused means nobody listens: no retries, and the error is one the run's circuit breaker
    counts (a server failure), not one that says the file is missing."""
    from paramtrack.sources.pdf_cache import PdfServerFailingError

    waits: list[float] = []
    url = f"http://127.0.0.1:{free_port()}/pdf/{ID}v3"
    with cache(tmp_path, sleep=waits.append) as c, pytest.raises(PdfServerFailingError, match="refused") as caught:
        c.fetch(url, arxiv_id=ID)
    assert waits == [] and caught.value.url == url


class _Handler(BaseHTTPRequestHandler):
    body = b""
    seen: list = []

    def do_GET(self):  # noqa: N802 - http.server API
        type(self).seen.append(self.headers.get("Range"))
        self.send_response(200)  # ignores Range on purpose
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def plain_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_server_ignoring_range_restarts(plain_server, tmp_path) -> None:
    _Handler.body = b"%PDF-1.4\n" + b"x" * 5000 + b"\n%%EOF\n"  # a PDF ends with its trailer marker
    _Handler.seen = []
    url = f"http://127.0.0.1:{plain_server.server_address[1]}/x.pdf"
    c = cache(tmp_path)
    part = c.partial_path(url, "9999.99999")
    part.parent.mkdir(parents=True)
    stale = b"%PDF-1.4\nxxGARBAGE"
    part.write_bytes(stale)  # a stale partial download
    got = c.fetch(url, arxiv_id="9999.99999")
    assert got.path.read_bytes() == _Handler.body
    assert _Handler.seen == [f"bytes={len(stale)}-"]


def test_non_pdf_rejected(plain_server, tmp_path) -> None:
    _Handler.body = b"<html>captcha</html>"
    url = f"http://127.0.0.1:{plain_server.server_address[1]}/x.pdf"
    with pytest.raises(NotAPdfError, match="did not return a PDF"):
        cache(tmp_path).fetch(url, arxiv_id="2204.02311")
    assert not list((tmp_path / "pdfs" / "partial").iterdir())


def test_a_new_version_never_resumes_from_the_old_versions_partial(plain_server, tmp_path) -> None:
    """v1's download broke off; v2 (another URL, other bytes) starts from zero, not at v1's size."""
    _Handler.body = b"%PDF-1.4\n" + b"v2" * 2500 + b"\n%%EOF\n"
    _Handler.seen = []
    base = f"http://127.0.0.1:{plain_server.server_address[1]}"
    c = cache(tmp_path)
    v1_part = c.partial_path(f"{base}/2204.02311v1", "2204.02311")
    v1_part.parent.mkdir(parents=True)
    v1_part.write_bytes(b"%PDF-1.4\nv1v1v1")
    got = c.fetch(f"{base}/2204.02311v2", arxiv_id="2204.02311")
    assert got.path.read_bytes() == _Handler.body
    assert _Handler.seen == [None]  # no Range header: nothing of v1 was reused
    assert not list(v1_part.parent.iterdir())  # v1's partial will never be resumed: cleaned up
