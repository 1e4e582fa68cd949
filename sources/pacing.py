"""Pacing and circuit breaking shared by every request a run makes to one source.

arXiv asks for one request every 3 seconds *per client*, not per connection: a run whose tasks
each build their own ``ArxivSource`` (the window poll, the id fetch of the bulk-search hits, a
backfill's OAI-PMH harvest) must still space all of them 3 s apart. So limiters live in a
process-wide registry keyed by source name, and every client asks :func:`shared_limiter` for
its source's limiter instead of keeping its own clock.

A :class:`CircuitBreaker` counts a source's consecutive failures (each already retried with
backoff by the client). When a source stays down, the breaker opens and the run ends cleanly
with a report (``runs.status = 'source_down'``) instead of spending an hour on retries that
cannot succeed; the next run resumes where this one stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from paramtrack.core.errors import SourceUnavailableError

__all__ = [
    "RateLimiter",
    "shared_limiter",
    "CircuitBreaker",
    "SourceDownError",
    "SourceProblems",
    "ARXIV",
    "S2",
    "ARXIV_PDF",
]

#: Registry names of the sources a run paces.
ARXIV = "arxiv"  # export.arxiv.org API and OAI-PMH: 1 request / 3 s
S2 = "semantic_scholar"  # 1 request/s with a key, slower without
ARXIV_PDF = "arxiv_pdf"  # arxiv.org/pdf downloads


class RateLimiter:
    """At most one request per ``interval`` seconds, across every thread of this process.

    Requests are spaced from the *start* of the previous one: a slow answer does not earn the
    next request an earlier slot than arXiv's rule allows, and no burst follows a pause.
    """

    def __init__(
        self,
        name: str,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if interval < 0:
            raise ValueError(f"{name}: a pacing interval cannot be negative ({interval})")
        self.name = name
        self.interval = float(interval)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self.waited = 0.0  # total seconds spent waiting (reported in run summaries)
        self.requests = 0

    def wait(self) -> float:
        """Block until this caller may send its request; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            delay = max(0.0, self._next_slot - now)
            self._next_slot = max(now, self._next_slot) + self.interval
            self.requests += 1
            self.waited += delay
        if delay > 0:
            self._sleep(delay)
        return delay


_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(name: str, interval: float) -> RateLimiter:
    """The process-wide limiter for source ``name``, paced at ``interval`` seconds.

    The interval is the run's setting: a later call with another interval re-paces the shared
    limiter (the CLI's ``--arxiv-delay 0`` for the replay server, 3 s for the live API) without
    forgetting when the last request went out.
    """
    with _registry_lock:
        limiter = _registry.get(name)
        if limiter is None:
            limiter = _registry[name] = RateLimiter(name, interval)
        elif limiter.interval != interval:
            if interval < 0:
                raise ValueError(f"{name}: a pacing interval cannot be negative ({interval})")
            limiter.interval = float(interval)
        return limiter


class SourceDownError(SourceUnavailableError):
    """A source failed ``threshold`` times in a row, each after its own retries: stop asking."""

    def __init__(self, source: str, failures: list[str]) -> None:
        self.source = source
        self.failures = list(failures)
        last = failures[-1] if failures else "no detail"
        super().__init__(
            f"{source} is down: {len(failures)} consecutive failed requests, each after retries (last: {last})",
            hint="the run stopped cleanly; what it finished is kept and the next run resumes",
        )


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures of one source; a success closes it."""

    def __init__(self, source: str, threshold: int = 5) -> None:
        if threshold < 1:
            raise ValueError("a circuit breaker threshold must be at least 1")
        self.source = source
        self.threshold = threshold
        self._lock = threading.Lock()
        self._failures: list[str] = []
        self.total_failures = 0

    @property
    def open(self) -> bool:
        with self._lock:
            return len(self._failures) >= self.threshold

    def check(self) -> None:
        """Raise :class:`SourceDownError` if the source is down; call before each request."""
        with self._lock:
            if len(self._failures) >= self.threshold:
                raise SourceDownError(self.source, self._failures)

    def success(self) -> None:
        with self._lock:
            self._failures.clear()

    def failure(self, problem: str) -> None:
        """Count one failed request; raises :class:`SourceDownError` when this one opens it."""
        with self._lock:
            self._failures.append(problem)
            self.total_failures += 1
            if len(self._failures) >= self.threshold:
                raise SourceDownError(self.source, self._failures)


class SourceProblems:
    """What went wrong with the sources during one run, counted by kind for the run's report.

    Clients call :meth:`record` for every failed attempt they retry (``"HTTP 429"``,
    ``"timeout"``, ``"truncated feed"``...) and the flow stores :meth:`as_list` in
    ``runs.counts["source_problems"]``, so a weekly digest can say "Semantic Scholar answered 429
    37 times" even when every request eventually succeeded.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}

    def record(self, source: str, problem: str) -> None:
        with self._lock:
            key = (source, problem)
            self._counts[key] = self._counts.get(key, 0) + 1

    def as_list(self) -> list[dict[str, object]]:
        """``[{"source", "problem", "count"}]``, most frequent first."""
        with self._lock:
            items = sorted(self._counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [{"source": s, "problem": p, "count": n} for (s, p), n in items]

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._counts)
