"""The replay server's outer ASGI layer: loopback hosts only, the request log, and faults.

Every request but ``/_replay/*`` is logged and checked against the server's
:class:`~replay.faults.FaultPlan`; a rule that fires replaces or changes the answer as its
kind says (see :mod:`replay.faults` for the kinds). Faults sit outside the hostile-bytes layer,
so a garbled or cut body is what a client would really have received.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from paramtrack.replay.faults import FaultRule, garble
from paramtrack.replay.semantic_scholar import S2_429_BODY
from paramtrack.replay.state import ReplayState

__all__ = ["FaultLayer", "Dropped", "LOOPBACK_HOSTS", "canned_answer"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
Receive = Callable[[], Awaitable[Message]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

#: Fault kinds answered with a canned error instead of the real answer.
CANNED = ("429", "500", "503", "404")


class Dropped(Exception):
    """Raised to make uvicorn close the connection without completing the response."""


def canned_answer(kind: str, s2: bool, retry_after: str | None) -> tuple[int, bytes, str, dict[str, str]]:
    """(status, body, content type, extra headers) of a canned fault, as the real service
    words it: Semantic Scholar answers JSON (without ``Retry-After`` on 5xx), arXiv plain text."""
    wait = {"Retry-After": retry_after} if retry_after is not None else {}
    if kind == "429":
        return 429, S2_429_BODY.encode(), "application/json", wait
    if kind == "404":
        if s2:
            return 404, b'{"error": "Paper not found"}', "application/json", {}
        return 404, b"PDF not available\n", "text/plain", {}
    status = int(kind)
    if s2:
        msg = "Internal Server Error" if status == 500 else "Service Unavailable"
        return status, json.dumps({"message": msg}).encode(), "application/json", {}
    return status, f"HTTP {status}\n".encode(), "text/plain", wait


async def _send_simple(send: Send, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
    for k, v in (extra or {}).items():
        headers.append((k.lower().encode(), str(v).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _capture(app: ASGIApp, scope: MutableMapping[str, Any], receive: Receive) -> tuple[int, list[Any], bytes]:
    """Run ``app`` to the end and keep its answer instead of sending it."""
    status = 500
    headers: list[Any] = []
    chunks: list[bytes] = []

    async def capture_send(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture_send)
    return status, headers, b"".join(chunks)


@dataclass
class _Exchange:
    """One request on its way through the layer, with its log entry."""

    scope: MutableMapping[str, Any]
    receive: Receive
    send: Send
    entry: dict[str, Any]

    async def send_logged(self, message: Message) -> None:
        """``send``, noting the status in the log entry."""
        if message["type"] == "http.response.start":
            self.entry["status"] = message["status"]
        await self.send(message)


class FaultLayer:
    """ASGI wrapper: refuses non-loopback Host headers, logs requests and applies the FaultPlan."""

    def __init__(self, app: ASGIApp, state: ReplayState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").rsplit(":", 1)[0].strip("[]")
        if host and host not in LOOPBACK_HOSTS:
            await _send_simple(send, 421, b"replay server answers loopback hosts only\n", "text/plain")
            return
        if path.startswith("/_replay/"):
            await self.app(scope, receive, send)
            return
        rule = self.state.faults.match(scope["method"], path)
        exchange = _Exchange(scope, receive, send, self._log(scope, headers, rule))
        if rule is None:
            await self.app(scope, receive, exchange.send_logged)
        else:
            await self._fault(rule, exchange)

    def _log(self, scope: MutableMapping[str, Any], headers: dict[str, str], rule: FaultRule | None) -> dict[str, Any]:
        """Append the request to the log; its ``status`` is filled in when the answer starts."""
        entry = {
            "time": time.time(),
            "method": scope["method"],
            "path": scope.get("path", ""),
            "query": scope.get("query_string", b"").decode("latin-1"),
            "range": headers.get("range"),
            "user_agent": headers.get("user-agent"),
            "api_key": "x-api-key" in headers,
            "fault": rule.kind if rule else None,
            "status": None,
        }
        with self.state.log_lock:
            self.state.log.append(entry)
        return entry

    async def _fault(self, rule: FaultRule, x: _Exchange) -> None:
        if rule.kind in CANNED:
            s2 = x.scope.get("path", "").startswith("/graph/")
            await _send_simple(x.send_logged, *canned_answer(rule.kind, s2, rule.retry_after))
        elif rule.kind == "slow":
            await self._sleep(rule.delay if rule.delay is not None else 1.0)
            await self.app(x.scope, x.receive, x.send_logged)
        elif rule.kind == "timeout":
            await self._sleep(rule.delay if rule.delay is not None else 30.0)
            x.entry["status"] = "dropped"
            raise Dropped()
        else:
            await self._broken_answer(rule, x)

    async def _broken_answer(self, rule: FaultRule, x: _Exchange) -> None:
        """``corrupt``, ``empty_page`` and ``truncate``: the real answer, damaged."""
        status, headers, body = await _capture(self.app, x.scope, x.receive)
        x.entry["status"] = status
        if rule.kind == "corrupt":
            body = garble(body, dict(headers).get(b"content-type", b"").decode("latin-1"))
        elif rule.kind == "empty_page":
            body = re.sub(rb"\s*<entry>.*?</entry>", b"", body, flags=re.S)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
        else:  # truncate: announce the full length, send part of it, then drop the connection
            cut = max(1, int(len(body) * rule.fraction)) if body else 0
            await x.send({"type": "http.response.start", "status": status, "headers": headers})
            await x.send({"type": "http.response.body", "body": body[:cut], "more_body": True})
            raise Dropped()
        await x.send({"type": "http.response.start", "status": status, "headers": headers})
        await x.send({"type": "http.response.body", "body": body})

    async def _sleep(self, seconds: float) -> None:
        """Wait, but give up as soon as the server is stopping."""
        deadline = time.monotonic() + seconds
        while not self.state.stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(0.05, left))
