"""Recorded answers served as they were: the contract tests read the real APIs' recorded
responses and the replay server's answers through the same client code over real HTTP.

The module-scoped replay server (``replay``) and its per-module settings are in the root
``conftest.py``; the sources' own tests use it as it is.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Canned:
    """A loopback server answering queued (status, content-type, body) tuples in order."""

    def __init__(self) -> None:
        self.queue: list[tuple[int, str, bytes]] = []
        self.paths: list[str] = []
        canned = self

        class H(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                canned.paths.append(self.path)
                status, ctype, body = canned.queue.pop(0) if len(canned.queue) > 1 else canned.queue[0]
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def canned() -> Iterator[Canned]:
    """A loopback server answering what the test queues (``canned.queue.append((200,
    "application/atom+xml", body))``), byte for byte; ``canned.paths`` lists what was asked."""
    c = Canned()
    yield c
    c.close()
