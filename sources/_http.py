"""Retry helpers shared by the httpx-based sources (Semantic Scholar, PDF downloads)."""

from __future__ import annotations

import random
import time
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    v = value.strip()
    if not v:
        return None
    try:
        return max(0.0, float(v))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: uniform(0.5, 1.0) * min(cap, base * 2**attempt)."""
    r = (rng or random).uniform(0.5, 1.0)
    return r * min(cap, base * (2**attempt))


def is_connection_refused(exc: BaseException) -> bool:
    """True when nobody listens at the address (fail fast instead of retrying for minutes)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ConnectionRefusedError):
            return True
        text = str(e).lower()
        if "connection refused" in text or "errno 111" in text:
            return True
        e = e.__cause__ or e.__context__
    return False


def describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class OwnsHttpClient:
    """``close()`` and ``with`` for a source holding an ``httpx.Client``: closes the client only
    when the source created it (one passed in belongs to the caller, who may share it).

    Subclasses set ``self._client`` and ``self._own_client`` in ``__init__``.
    """

    _client: httpx.Client
    _own_client: bool

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def __enter__(self):  # -> the subclass: every source returns itself
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
