"""Content-addressed PDF cache with resumable downloads.

Layout under ``root``::

    root/ab/<sha256>.pdf      finished files, named by their SHA-256 (ab = first two hex digits)
    root/partial/<id>-<h>.part  an interrupted download of one URL (h: its hash), resumed with
                                ``Range: bytes=<size>-``
    root/partial/<id>-<h>.lock  held (``flock``) by whoever is downloading it; removed afterwards
    root/index.json           {"by_url": {url: sha256}, "by_arxiv_id": {id: sha256}}

A download is verified (``%PDF-`` magic, an ``%%EOF`` trailer or a file pdfium can open, the
``max_bytes`` limit) before it is moved into place with
an atomic rename, so a file under ``root/ab/`` is always complete. A server that ignores ``Range``
(answers 200 instead of 206) restarts the download from zero.

Several processes (two ingests) may share one cache. Each download holds an exclusive ``flock`` on
``<id>-<h>.lock`` while it writes ``<id>-<h>.part``, so nobody appends to a partial file someone else is
still writing; the waiter then finds the finished PDF in the index and downloads nothing. A lock
(rather than a unique temp file per process) keeps interrupted downloads resumable by the next
run, and the kernel drops it when its holder dies, so a crash never leaves a lock that blocks.
Index updates take ``index.lock`` the same way, so concurrent writers do not lose entries.

Requests are spaced ``min_interval`` seconds apart by the process-wide
:func:`sources.pacing.shared_limiter` (``ARXIV_PDF``), and every retried attempt is counted in the
run's :class:`~sources.pacing.SourceProblems` when one is given.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from paramtrack.core.errors import ParamtrackError, SourceUnavailableError
from paramtrack.sources._http import (
    RETRY_STATUSES,
    OwnsHttpClient,
    describe,
    is_connection_refused,
    parse_retry_after,
)
from paramtrack.sources.pacing import ARXIV_PDF, SourceProblems, shared_limiter
from paramtrack.sources.retrying import Backoff, Retry, kind
from paramtrack.sources.user_agent import user_agent as make_user_agent

__all__ = [
    "CachedPdf",
    "PdfCache",
    "PdfTooLargeError",
    "NotAPdfError",
    "PdfNotFoundError",
    "PdfServerFailingError",
    "PdfServerUnreachableError",
]

log = logging.getLogger(__name__)

MiB = 1024 * 1024


class PdfTooLargeError(ParamtrackError):
    """The PDF is bigger than the cache's ``max_bytes``."""


class NotAPdfError(ParamtrackError):
    """The server answered something that does not start with ``%PDF-``."""


class PdfNotFoundError(ParamtrackError):
    """The server has no PDF at this URL (HTTP 404/410)."""


class PdfServerFailingError(SourceUnavailableError):
    """Every attempt failed in a way that says the server (not the file) is the problem: 5xx,
    429, timeouts, cut connections, a name that does not resolve, a TLS handshake that fails.
    Consecutive ones are what a run's circuit breaker counts."""


class PdfServerUnreachableError(PdfServerFailingError):
    """Nobody listens at the PDF server's address (connection refused): failed at once, without
    retries, and counted by the circuit breaker like any other outage of the server. A refused
    connection says nothing about the file, so it must not put the paper off for a day."""


@dataclass(frozen=True)
class CachedPdf:
    sha256: str
    path: Path
    bytes: int


class PdfCache(OwnsHttpClient):
    def __init__(
        self,
        root: Path | str,
        *,
        max_bytes: int = 50 * MiB,
        client: httpx.Client | None = None,
        max_retries: int = 4,
        backoff_base: float = 1.0,
        max_backoff: float = 30.0,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        min_interval: float = 0.0,
        problems: SourceProblems | None = None,
        user_agent: str | None = None,
    ) -> None:
        self.root = Path(root)
        self._limiter = shared_limiter(ARXIV_PDF, min_interval)
        self.problems = problems
        self.max_bytes = max_bytes
        self._own_client = client is None
        self._client = client or httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": user_agent or make_user_agent()},  # PARAMTRACK_CONTACT
        )
        self._backoff = Backoff(max_retries, backoff_base, max_backoff, sleep, random.Random())
        self._lock = threading.Lock()
        self.partial_dir = self.root / "partial"
        self.index_path = self.root / "index.json"

    # -- index
    def _load_index(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.index_path.read_text())
            return {"by_url": dict(data.get("by_url", {})), "by_arxiv_id": dict(data.get("by_arxiv_id", {}))}
        except (FileNotFoundError, json.JSONDecodeError, AttributeError):
            return {"by_url": {}, "by_arxiv_id": {}}

    def _save_index(self, index: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.index_path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(index, indent=1, sort_keys=True))
        os.replace(tmp, self.index_path)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.pdf"

    def lookup(self, *, url: str | None = None, arxiv_id: str | None = None) -> CachedPdf | None:
        """The cached file for this URL (or arXiv id), if present and intact on disk."""
        index = self._load_index()
        sha = (index["by_url"].get(url) if url else None) or (index["by_arxiv_id"].get(arxiv_id) if arxiv_id else None)
        if not sha:
            return None
        path = self.path_for(sha)
        if not path.is_file():
            return None
        return CachedPdf(sha, path, path.stat().st_size)

    # -- download
    def fetch(self, url: str, *, arxiv_id: str) -> CachedPdf:
        """Download ``url`` into the cache (or return the cached copy) and return where it is."""
        cached = self.lookup(url=url)
        if cached:
            return cached
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        part = self.partial_path(url, arxiv_id)
        with _exclusive(part.with_suffix(".lock"), waiting=f"another download of {url}"):
            cached = self.lookup(url=url)  # whoever held the lock may just have finished it
            if cached:
                return cached
            return self._fetch_locked(url, arxiv_id, part)

    def partial_path(self, url: str, arxiv_id: str) -> Path:
        """Where an interrupted download of ``url`` waits to be resumed.

        Named by the paper *and* the URL: a new arXiv version (``v2``) of a paper has another URL
        and other bytes, so it must never resume from the ``v1`` partial.
        """
        return self.partial_dir / f"{_stem(arxiv_id)}-{hashlib.sha256(url.encode()).hexdigest()[:12]}.part"

    def _drop_stale_partials(self, arxiv_id: str) -> None:
        """Once a paper's PDF is cached, its other partial files (an older version's URL, or the
        ``<id>.part`` name of earlier releases) will never be resumed: remove them, except one
        another process is downloading right now (its lock is held)."""
        stem = _stem(arxiv_id)
        for part in [*self.partial_dir.glob(f"{stem}.part"), *self.partial_dir.glob(f"{stem}-*.part")]:
            with _exclusive(part.with_suffix(".lock"), wait=False) as held:
                if held:
                    part.unlink(missing_ok=True)

    def _fetch_locked(self, url: str, arxiv_id: str, part: Path) -> CachedPdf:
        """The retry loop; the caller holds this download's lock."""

        def attempt() -> CachedPdf:
            self._limiter.wait()
            try:
                if self._download(url, part):
                    return self._finish(url, arxiv_id, part)  # verifies the bytes: may be _CorruptDownload
            except httpx.TransportError as exc:
                if is_connection_refused(exc):
                    raise PdfServerUnreachableError(f"PDF server at {url} refused the connection", url=url) from exc
                raise Retry(describe(exc)) from exc  # DNS and TLS failures too: retried, then counted
            except _RetryableStatus as exc:
                raise Retry(f"HTTP {exc.status}", retry_after=exc.retry_after) from exc
            except _CorruptDownload as exc:
                raise Retry(f"corrupt PDF ({exc})") from exc  # garbled in transit: a fresh download may be fine
            raise Retry("connection closed before the whole file arrived")

        def gave_up(last: str) -> SourceUnavailableError:
            # A file that arrives corrupt every time is that file's problem, not the server's:
            # it does not count towards the run's circuit breaker.
            error = SourceUnavailableError if last.startswith("corrupt PDF") else PdfServerFailingError
            return error(
                f"PDF download kept failing after {self._backoff.tries} attempts: {url} (last: {last})"
                + (f"; partial data kept in {part}" if part.exists() else ""),  # a corrupt file is not kept
                url=url,
            )

        return self._backoff.run(attempt, what=f"PDF download {url}", on_problem=self._problem, gave_up=gave_up)

    def _problem(self, problem: str) -> None:
        if self.problems is not None:
            self.problems.record(ARXIV_PDF, kind(problem))

    def _download(self, url: str, part: Path) -> bool:
        """One attempt: append to ``part``; True when the response completed normally."""
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with self._client.stream("GET", url, headers=headers) as resp:
            if resp.status_code in (404, 410):
                part.unlink(missing_ok=True)
                raise PdfNotFoundError(f"no PDF at {url} (HTTP {resp.status_code})")
            if resp.status_code == 416 and have:
                # We already hold everything (or the partial is bogus): verify what we have.
                total = _total_from_content_range(resp.headers.get("content-range"))
                if total is not None and total == have:
                    return True
                part.unlink(missing_ok=True)
                raise _RetryableStatus(416, None)
            if resp.status_code in RETRY_STATUSES:
                raise _RetryableStatus(resp.status_code, parse_retry_after(resp.headers.get("retry-after")))
            if resp.status_code not in (200, 206):
                raise SourceUnavailableError(f"PDF download {url} answered HTTP {resp.status_code}")
            if resp.status_code == 200 or not have:
                mode, have = "wb", 0  # server ignored Range (or fresh start): start over
            else:
                start = _start_from_content_range(resp.headers.get("content-range"))
                if start != have:
                    mode, have = "wb", 0
                    part.unlink(missing_ok=True)
                    raise _RetryableStatus(206, None)
                mode = "ab"
            expected = _expected_total(resp, have)
            if expected is not None and expected > self.max_bytes:
                part.unlink(missing_ok=True)
                raise PdfTooLargeError(f"PDF at {url} is {expected:,} bytes, over the {self.max_bytes:,}-byte limit")
            written = have
            checked_magic = have >= 5
            with part.open(mode) as fh:
                for chunk in resp.iter_bytes(64 * 1024):
                    if not checked_magic:
                        head = (part.read_bytes() if have else b"") + chunk
                        if len(head) >= 5:
                            if not head.startswith(b"%PDF-"):
                                fh.close()
                                part.unlink(missing_ok=True)
                                raise NotAPdfError(
                                    f"{url} did not return a PDF (starts with {head[:16]!r}, "
                                    f"content-type {resp.headers.get('content-type')!r})"
                                )
                            checked_magic = True
                    written += len(chunk)
                    if written > self.max_bytes:
                        fh.close()
                        part.unlink(missing_ok=True)
                        raise PdfTooLargeError(
                            f"PDF at {url} exceeds the {self.max_bytes:,}-byte limit; download aborted"
                        )
                    fh.write(chunk)
            if expected is not None and written < expected:
                return False
            return True

    def _finish(self, url: str, arxiv_id: str, part: Path) -> CachedPdf:
        with part.open("rb") as fh:
            data_head = fh.read(5)
        if data_head != b"%PDF-":
            part.unlink(missing_ok=True)
            raise NotAPdfError(f"{url} did not return a PDF (starts with {data_head!r})")
        problem = _broken_pdf(part)
        if problem:
            # Never cache it: the index would serve these bytes to every later run.
            part.unlink(missing_ok=True)
            raise _CorruptDownload(problem)
        h = hashlib.sha256()
        size = 0
        with part.open("rb") as fh:
            for block in iter(lambda: fh.read(1024 * 1024), b""):
                h.update(block)
                size += len(block)
        if size > self.max_bytes:
            part.unlink(missing_ok=True)
            raise PdfTooLargeError(f"PDF at {url} is {size:,} bytes, over the {self.max_bytes:,}-byte limit")
        sha = h.hexdigest()
        dest = self.path_for(sha)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, dest)  # atomic on the same file system
        with self._lock, _exclusive(self.root / "index.lock"):
            index = self._load_index()
            index["by_url"][url] = sha
            index["by_arxiv_id"][arxiv_id] = sha
            self._save_index(index)
        self._drop_stale_partials(arxiv_id)
        return CachedPdf(sha, dest, size)


@contextlib.contextmanager
def _exclusive(path: Path, *, waiting: str | None = None, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing), across threads and processes.

    Yields True once held. With ``wait=False`` a lock someone else holds is not waited for: the
    block runs with False and nothing is locked or removed.

    The file is removed on release so the cache keeps no lock files. Because of that, a waiter
    may end up locking a file that was just unlinked; it checks that the locked file is still the
    one at ``path`` and otherwise starts over. The kernel releases the lock if the holder dies.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    os.close(fd)
                    fd = -1
                    break
                if waiting:
                    log.info("waiting for %s", waiting)
                fcntl.flock(fd, fcntl.LOCK_EX)
            held, current = os.fstat(fd), _stat_or_none(path)
            if current is not None and (current.st_dev, current.st_ino) == (held.st_dev, held.st_ino):
                break
        except BaseException:
            if fd >= 0:
                os.close(fd)
            raise
        os.close(fd)  # lost the race to an unlink: lock the new file instead
    if fd < 0:
        yield False
        return
    try:
        yield True
    finally:
        path.unlink(missing_ok=True)  # still locked: nobody can hold this file's lock meanwhile
        os.close(fd)


def _stem(arxiv_id: str) -> str:
    """A file-name-safe form of an arXiv id (old-style ids hold a slash)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", arxiv_id)


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


class _CorruptDownload(Exception):
    """The whole file arrived with a PDF header but is not a readable PDF."""


def _broken_pdf(path: Path) -> str | None:
    """Why a downloaded file that starts with ``%PDF-`` is still not a PDF, or ``None``.

    Every PDF ends with an ``%%EOF`` marker (the corpus's 28 arXiv PDFs within their last
    2 KB); bytes garbled in transit lose it, and a file without it is only accepted if
    pdfium can open it (some writers append junk after the marker).
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - 2048))
        if b"%%EOF" in fh.read():
            return None
    try:
        import pypdfium2

        pypdfium2.PdfDocument(str(path)).close()
    except Exception as exc:  # pdfium raises its own PdfiumError for any unreadable file
        return f"no %%EOF trailer and unreadable: {type(exc).__name__}: {exc}"
    return None


class _RetryableStatus(Exception):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def _start_from_content_range(value: str | None) -> int | None:
    m = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)", value or "")
    return int(m.group(1)) if m else None


def _total_from_content_range(value: str | None) -> int | None:
    m = re.search(r"/(\d+)$", value or "")
    return int(m.group(1)) if m else None


def _expected_total(resp: httpx.Response, have: int) -> int | None:
    if resp.status_code == 206:
        total = _total_from_content_range(resp.headers.get("content-range"))
        if total is not None:
            return total
    length = resp.headers.get("content-length")
    if length and length.isdigit():
        return have + int(length) if resp.status_code == 206 else int(length)
    return None
