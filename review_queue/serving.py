"""Serving the review app: bounded time for slow clients, quiet when a client goes away.

uvicorn waits as long as a client likes for a request's head and body: a connection that sends a
byte every few seconds stays open for good, so a few hundred of them hold the server's sockets
(measured: a trickling connection kept for 90 s and more). And a client that drops in the middle
of a body makes the app's form parser raise ``ClientDisconnect``, which uvicorn logs as a
72-line traceback; 300 dropped clients wrote 1.5 MB of log. So:

* **head**: a request's line and headers must arrive within ``header_timeout_s`` of the
  connection opening (or of the previous response on a kept-alive connection); otherwise the
  connection is closed (:class:`_HeadTimeoutProtocol`, uvicorn's own h11 protocol with a timer);
* **body**: the whole body within ``body_timeout_s`` of the head; otherwise the client gets
  ``408 Request Timeout`` and the connection is closed (:class:`SlowAndGoneClients`);
* a client that disconnects is one line at debug level, never a traceback.

The review forms are a few kilobytes (bodies over 64 KB are refused anyway,
:mod:`review_queue.limits`), so the defaults are generous for a person on a slow link and short
for a connection that holds a socket on purpose.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from paramtrack.core.settings import BODY_TIMEOUT_S, HEADER_TIMEOUT_S, env_name

__all__ = [
    "HEADER_TIMEOUT_S",
    "BODY_TIMEOUT_S",
    "HEADER_TIMEOUT_ENV",
    "BODY_TIMEOUT_ENV",
    "SlowAndGoneClients",
    "make_server",
    "serve",
]

log = logging.getLogger("paramtrack.review")


class _HeadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head does not arrive in time."""

    header_timeout_s: float = HEADER_TIMEOUT_S
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head is in: the body has its own limit
            self._disarm_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_head_timer()  # a kept-alive connection's next head gets the same time

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout_s, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.debug("closing a connection whose request head took over %s s", self.header_timeout_s)
            self.transport.close()


def _client_gone(exc: BaseException) -> bool:
    """Whether ``exc`` is, or wraps, the app noticing its client disconnected."""
    if isinstance(exc, ClientDisconnect):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return any(_client_gone(e) for e in exc.exceptions)
    return exc.__cause__ is not None and _client_gone(exc.__cause__)


class SlowAndGoneClients:
    """Pure ASGI wrapper: 408 for a body slower than ``body_timeout_s``; silence for a client
    that left (the app's ``ClientDisconnect`` ends the request without a traceback)."""

    def __init__(self, app: ASGIApp, body_timeout_s: float = BODY_TIMEOUT_S) -> None:
        self.app = app
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout_s
        body_done = timed_out = started = False

        async def timed_receive() -> Message:
            nonlocal body_done, timed_out
            if timed_out:
                return {"type": "http.disconnect"}
            if body_done:
                return await receive()  # after the body: waiting for a disconnect is the app's call
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                timed_out = True
                if not started:
                    await _answer_408(send, self.body_timeout_s)
                return {"type": "http.disconnect"}  # the app stops reading; its answer is dropped
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if timed_out:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, watched_send)
        except Exception as exc:
            if not (timed_out or _client_gone(exc)):
                raise
            log.debug("%s %s: the client went away or was too slow", scope.get("method"), scope.get("path"))


async def _answer_408(send: Send, seconds: float) -> None:
    body = f"request body not received within {seconds:g} s".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 408,
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


def make_server(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    header_timeout_s: float = HEADER_TIMEOUT_S,
    body_timeout_s: float = BODY_TIMEOUT_S,
    **options: Any,
) -> uvicorn.Server:
    """A uvicorn server for ``app`` with the limits above; ``options`` are ``uvicorn.Config``'s
    (log level, TLS files...)."""
    protocol = type("HeadTimeoutProtocol", (_HeadTimeoutProtocol,), {"header_timeout_s": header_timeout_s})
    config = uvicorn.Config(SlowAndGoneClients(app, body_timeout_s), host=host, port=port, http=protocol, **options)
    return uvicorn.Server(config)


#: Environment variables that set the limits (seconds), for a proxy or link slower than usual;
#: declared and checked in ``core.settings``, read by the command that starts the server.
HEADER_TIMEOUT_ENV = env_name("review_header_timeout_s")
BODY_TIMEOUT_ENV = env_name("review_body_timeout_s")


def serve(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    header_timeout_s: float = HEADER_TIMEOUT_S,
    body_timeout_s: float = BODY_TIMEOUT_S,
    **options: Any,
) -> None:
    """Run ``app`` until stopped (Ctrl-C, SIGTERM), as ``uvicorn.run`` would, with the limits
    (the command passes :data:`HEADER_TIMEOUT_ENV` and :data:`BODY_TIMEOUT_ENV`'s values)."""
    make_server(
        app, host=host, port=port, header_timeout_s=header_timeout_s, body_timeout_s=body_timeout_s, **options
    ).run()
