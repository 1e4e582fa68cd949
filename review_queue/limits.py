"""Limits on what one client can make the review server do: body size and credential guessing.

:class:`BodySizeLimit` refuses an oversized request body while it streams in: a declared
``Content-Length`` over the limit is answered 413 before a byte of the body is read, and a
chunked body is counted as the app consumes it, so nothing ever buffers more than the limit.
Every form the app serves is a few kilobytes.

:class:`FailureThrottle` slows down token guessing: a client may get the token wrong a few times
(typos), then each further failure locks it out for twice as long as the one before (429 with
``Retry-After``). While locked out even the right token is refused, otherwise the lockout would
not limit the guesses.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The largest request body the review app reads (its forms are a few KB; notes are capped at
#: 2,000 characters).
MAX_BODY_BYTES = 64 * 1024


def _too_large_detail(limit: int) -> str:
    return f"request body too large (the limit is {limit // 1024} KB)"


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes the limit; turned into a 413."""


def _is_too_large(exc: BaseException) -> bool:
    """Whether ``exc`` is, or wraps, :class:`BodyTooLarge` (task groups wrap it in a group)."""
    if isinstance(exc, BodyTooLarge):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return any(_is_too_large(e) for e in exc.exceptions)
    return exc.__cause__ is not None and _is_too_large(exc.__cause__)


class BodySizeLimit:
    """Pure ASGI middleware: 413 for a body over ``max_bytes``, decided while it streams."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                declared = value
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size < 0 or size > self.max_bytes:
                await _plain(
                    send,
                    413 if size > 0 else 400,
                    _too_large_detail(self.max_bytes) if size > 0 else "bad Content-Length",
                )
                return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception as exc:
            if not _is_too_large(exc) or started:
                raise
            await _plain(send, 413, _too_large_detail(self.max_bytes))


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"x-content-type-options", b"nosniff"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class FailureThrottle:
    """Per-client count of wrong tokens with an exponentially growing lockout.

    After ``free_failures`` failures, failure n locks the client out for
    ``base_lock_s * 2 ** (n - free_failures - 1)`` seconds, capped at ``max_lock_s``: with the
    defaults 5 typos are free, then 30 s, 1 min, 2 min, ... up to an hour, about 30 guesses a
    day. A success forgets the client; so does a day without failures. At most ``max_clients``
    are remembered (the oldest go first), so a flood of addresses cannot exhaust memory.
    """

    def __init__(
        self,
        *,
        free_failures: int = 5,
        base_lock_s: float = 30.0,
        max_lock_s: float = 3600.0,
        forget_after_s: float = 86400.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        self.base_lock_s = base_lock_s
        self.max_lock_s = max_lock_s
        self.forget_after_s = forget_after_s
        self.max_clients = max_clients
        self._clock = clock
        self._clients: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Whole seconds the client must wait before its next try (0: it may try now)."""
        now = self._clock()
        with self._lock:
            record = self._clients.get(client)
            if record is None:
                return 0
            if now - record.last > self.forget_after_s:
                del self._clients[client]
                return 0
            return max(0, math.ceil(record.locked_until - now))

    def failed(self, client: str) -> int:
        """Count a wrong token; returns the lockout it earned in seconds (0: none yet)."""
        now = self._clock()
        with self._lock:
            record = self._clients.pop(client, None)
            if record is None or now - record.last > self.forget_after_s:
                record = _Record()
            record.failures += 1
            record.last = now
            over = record.failures - self.free_failures
            lock = min(self.max_lock_s, self.base_lock_s * 2 ** (over - 1)) if over > 0 else 0.0
            record.locked_until = now + lock
            self._clients[client] = record
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
            return math.ceil(lock)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)


class Throttles:
    """Per-client lockouts, plus one for all clients together.

    The per-client one slows a single guesser without locking anyone else out; the overall one
    (more free failures) caps guessing by a client that changes its apparent address (a local
    process can send ``X-Forwarded-For``, which uvicorn trusts from 127.0.0.1). Under such an
    attack logins wait too; signed-in sessions are never throttled.
    """

    def __init__(self) -> None:
        self.client = FailureThrottle()
        self.overall = FailureThrottle(free_failures=20)

    def retry_after(self, client: str) -> int:
        """Whole seconds ``client`` must wait before its next token (0: it may try now)."""
        return max(self.client.retry_after(client), self.overall.retry_after("*"))

    def failed(self, client: str) -> None:
        """Count a wrong token against ``client`` and against everyone."""
        self.client.failed(client)
        self.overall.failed("*")

    def succeeded(self, client: str) -> None:
        """The right token: ``client`` starts afresh (the overall count stays)."""
        self.client.succeeded(client)
