"""The replay server: arXiv, Semantic Scholar and PDF endpoints in their real formats, on loopback.

:class:`ReplayServer` runs the app (:func:`replay.app.create_app`, which lists the endpoints)
with uvicorn in a background thread, bound to 127.0.0.1 only.
``ReplayServer(..., hostile=True)`` also serves the hostile records of :mod:`replay.hostile`.
"""

from __future__ import annotations

import logging
import socket
import threading
import time as _time
from datetime import date
from pathlib import Path
from typing import Any

from paramtrack.replay.app import create_app
from paramtrack.replay.corpus import Corpus, load_corpus
from paramtrack.replay.fault_layer import LOOPBACK_HOSTS, Dropped
from paramtrack.replay.faults import FaultPlan, FaultRule
from paramtrack.replay.state import DEFAULT_BULK_PAGE, ReplayState
from paramtrack.sources.arxiv_ids import parse_arxiv_id

__all__ = ["ReplayServer", "create_app", "LOOPBACK_HOSTS"]


class _DropFilter:
    """Keep uvicorn's log quiet about connections we drop on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:  # logging.Filter protocol
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, Dropped)


class ReplayServer:
    """Run the replay app with uvicorn on 127.0.0.1 in a background thread.

    >>> with ReplayServer() as srv:          # doctest: +SKIP
    ...     client.query_url_format = srv.arxiv_api_url + "?{}"
    """

    def __init__(
        self,
        corpus: Corpus | Path | str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        as_of: date | None = None,
        faults: FaultPlan | None = None,
        bulk_page_size: int = DEFAULT_BULK_PAGE,
        log_level: str = "warning",
        hostile: bool | date = False,
    ) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError(f"the replay server binds 127.0.0.1 only, not {host!r}")
        self.corpus = corpus if isinstance(corpus, Corpus) else load_corpus(corpus)
        self.as_of = as_of or date.today()
        self.faults = faults or FaultPlan()
        self.hostile: list = []  # replay.hostile.HostileRecord, served when hostile is set
        if hostile:
            from paramtrack.replay.hostile import HOSTILE_DATE, hostile_records, with_hostile

            pdfs = [p.pdf_path for p in self.corpus.with_pdfs if p.pdf_path is not None]  # all of them
            smallest = min(pdfs, key=lambda path: path.stat().st_size)
            self.hostile = hostile_records(hostile if isinstance(hostile, date) else HOSTILE_DATE, pdf=smallest)
            self.corpus = with_hostile(self.corpus, self.hostile)
        self.state = ReplayState(self.corpus, self.as_of, self.faults, bulk_page_size)
        self.app = create_app(self.state, hostile=self.hostile)
        self._requested_port = port
        self._log_level = log_level
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.port: int | None = None

    # -- lifecycle
    def start(self) -> ReplayServer:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._requested_port))
        sock.listen(128)
        self._sock = sock
        self.port = sock.getsockname()[1]
        logging.getLogger("uvicorn.error").addFilter(_DropFilter())
        config = uvicorn.Config(
            self.app,
            log_level=self._log_level,
            access_log=False,
            http="h11",
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"replay-server-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = _time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or _time.monotonic() > deadline:
                raise RuntimeError("replay server did not start")
            _time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.state.stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def serve_forever(self) -> None:
        """Block until Ctrl-C or until the server stops, then stop it (used by the CLI).

        Starts the server unless ``start()`` already ran: the CLI starts it first so it can turn
        a busy port into a one-line error and print the URLs before blocking here.
        """
        if self._thread is None:
            self.start()
        thread = self._thread  # stop() from another thread sets the attribute to None
        try:
            while thread is not None and thread.is_alive():
                # Sleep, not join(): on Python < 3.12 a Ctrl-C landing inside join() marks the
                # still-running thread as finished (python/cpython#90882), so stop() would not
                # wait for uvicorn and would close the socket under it.
                _time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses
    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("replay server not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def arxiv_api_url(self) -> str:
        return f"{self.base_url}/api/query"

    @property
    def s2_api_url(self) -> str:
        return self.base_url

    def pdf_url(self, arxiv_id: str) -> str:
        aid = parse_arxiv_id(arxiv_id)
        if aid.version is None:
            p = self.corpus.papers.get(aid.id)
            return f"{self.base_url}/pdf/{aid.id}v{p.version}" if p else f"{self.base_url}/pdf/{aid.id}"
        return f"{self.base_url}/pdf/{aid.versioned}"

    # -- test helpers
    @property
    def request_log(self) -> list[dict[str, Any]]:
        with self.state.log_lock:
            return list(self.state.log)

    def clear_log(self) -> None:
        with self.state.log_lock:
            self.state.log.clear()

    def add_fault(self, path: str, kind: str, **kwargs: Any) -> FaultRule:
        return self.faults.add(path, kind, **kwargs)
