"""Pacing shared by every client of a run, and the circuit breaker that ends a run cleanly."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from paramtrack.sources.pacing import (
    ARXIV,
    CircuitBreaker,
    RateLimiter,
    SourceDownError,
    SourceProblems,
    shared_limiter,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_requests_are_spaced_from_the_start_of_the_previous_one() -> None:
    clock = FakeClock()
    limiter = RateLimiter("arxiv", 3.0, clock=clock, sleep=clock.sleep)
    limiter.wait()  # first request: no wait
    clock.now += 1.0  # it took a second
    limiter.wait()  # waits the remaining 2 s
    clock.now += 10.0  # a long pause earns no burst
    limiter.wait()
    limiter.wait()
    assert clock.slept == [2.0, 3.0]
    assert limiter.requests == 4 and limiter.waited == 5.0


def test_threads_share_one_budget() -> None:
    clock_lock = threading.Lock()
    clock = FakeClock()

    def sleep(seconds: float) -> None:
        with clock_lock:
            clock.slept.append(seconds)

    limiter = RateLimiter("s2", 1.0, clock=clock, sleep=sleep)
    threads = [threading.Thread(target=limiter.wait) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(clock.slept) == [1.0, 2.0, 3.0, 4.0]  # the clock stood still: slots 0..4


def test_shared_limiter_is_one_per_source_and_takes_the_runs_interval() -> None:
    first = shared_limiter("test-source", 3.0)
    again = shared_limiter("test-source", 0.5)
    assert first is again and again.interval == 0.5
    with pytest.raises(ValueError, match="negative"):
        shared_limiter("test-source", -1)


def test_two_arxiv_clients_of_one_run_share_arxivs_three_second_rule(replay) -> None:
    """Two ArxivSource objects (the window poll and the bulk-search id fetch build their own)
    still space their requests: measured at the replay server."""
    from paramtrack.sources.arxiv_source import ArxivSource

    interval = 0.4
    shared_limiter(ARXIV, interval).wait()  # start from a known slot
    a = ArxivSource(replay.arxiv_api_url, delay_seconds=interval, timeout=5)
    b = ArxivSource(replay.arxiv_api_url, delay_seconds=interval, timeout=5)
    with a, b:
        a.window_page(["cs.CL"], date(2022, 4, 1), date(2022, 4, 30))
        b.fetch_ids(["2204.02311"])
        a.fetch_ids(["2205.01068"])
    times = [e["time"] for e in replay.request_log if e["path"] == "/api/query"]
    assert len(times) == 3
    gaps = [t1 - t0 for t0, t1 in zip(times, times[1:])]
    assert min(gaps) >= interval * 0.9, gaps


def test_semantic_scholar_goes_slower_without_a_key() -> None:
    from paramtrack.sources.semantic_scholar import SemanticScholarSource

    with SemanticScholarSource("http://127.0.0.1:9", api_key=None) as anonymous:
        assert anonymous.min_interval == 3.0
    with SemanticScholarSource("http://127.0.0.1:9", api_key="k") as keyed:
        assert keyed.min_interval == 1.0


def test_breaker_opens_after_consecutive_failures_and_a_success_closes_it() -> None:
    breaker = CircuitBreaker("arxiv_pdf", threshold=3)
    breaker.failure("HTTP 503")
    breaker.failure("HTTP 503")
    breaker.success()
    breaker.failure("timeout")
    breaker.failure("timeout")
    with pytest.raises(SourceDownError, match="arxiv_pdf is down: 3 consecutive") as err:
        breaker.failure("timeout")
    assert err.value.failures == ["timeout"] * 3
    with pytest.raises(SourceDownError):
        breaker.check()


def test_problems_are_counted_by_kind() -> None:
    problems = SourceProblems()
    for kind in ("HTTP 429", "HTTP 429", "timeout"):
        problems.record("semantic_scholar", kind)
    assert problems.as_list() == [
        {"source": "semantic_scholar", "problem": "HTTP 429", "count": 2},
        {"source": "semantic_scholar", "problem": "timeout", "count": 1},
    ]
