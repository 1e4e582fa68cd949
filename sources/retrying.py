"""The one retry loop every source uses: tries, backoff with jitter, ``Retry-After``, give up.

Each source differs only in what one attempt is (an Atom page, an OAI-PMH page, a Graph API
batch, a PDF byte range) and in how it words failure; the loop around the attempt (how many tries,
how long to wait, the server's ``Retry-After`` winning over our guess, the problem report) is
the same everywhere and lives here, so a fix to it is made once.

An attempt returns its value, raises :class:`Retry` for a failure worth another try, or raises
anything else to stop at once (a 4xx that will not change, a refused connection).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from paramtrack.core.errors import SourceUnavailableError
from paramtrack.sources._http import backoff_delay

T = TypeVar("T")
log = logging.getLogger(__name__)


class Retry(Exception):
    """One attempt failed in a way another attempt may not: ``problem`` says how, briefly."""

    def __init__(self, problem: str, *, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


@dataclass
class Backoff:
    """How a source retries: ``max_retries`` after the first try, exponential waits from
    ``base`` seconds up to ``cap``. ``waits`` keeps every wait taken (logs, tests, reports)."""

    max_retries: int
    base: float
    cap: float
    sleep: Callable[[float], None]
    rng: random.Random

    def __post_init__(self) -> None:
        self.waits: list[float] = []

    @property
    def tries(self) -> int:
        return self.max_retries + 1

    def run(
        self,
        attempt: Callable[[], T],
        *,
        what: str,
        on_problem: Callable[[str], None] | None = None,
        gave_up: Callable[[str], Exception] | None = None,
    ) -> T:
        """Call ``attempt`` until it returns, raises something other than :class:`Retry`, or the
        tries run out; then raise ``gave_up(last_problem)`` (a :class:`SourceUnavailableError`
        naming ``what`` unless the caller words it)."""
        last = "no attempt made"
        for n in range(self.tries):
            try:
                return attempt()
            except Retry as failure:
                last = failure.problem
                retry_after = failure.retry_after
            if on_problem is not None:
                on_problem(last)
            if n + 1 >= self.tries:
                break
            wait = backoff_delay(n, self.base, self.cap, self.rng)
            if retry_after is not None:
                wait = max(wait, retry_after)  # the server says when to come back: that is the rule
            self.waits.append(wait)
            log.info("%s failed (%s); retrying in %.2f s", what, last, wait)
            self.sleep(wait)
        if gave_up is not None:
            raise gave_up(last)
        raise SourceUnavailableError(f"{what} kept failing after {self.tries} attempts (last: {last})", url=None)


def refused(service: str, url: str) -> SourceUnavailableError:
    """Nobody listens at ``url``: fail at once (retrying for minutes helps nobody)."""
    return SourceUnavailableError(f"{service} at {url} refused the connection", url=url)


def kind(problem: str) -> str:
    """``"malformed JSON (Expecting value, 12 bytes)"`` -> ``"malformed JSON"``: problem reports
    count kinds, not every distinct message."""
    return problem.split(" (", 1)[0]


def is_loopback(url: str | None) -> bool:
    """True for a URL on this machine (the replay server's home)."""
    if not url:
        return False
    host = (urlsplit(url).hostname or "").lower()
    return host in {"localhost", "::1"} or host.startswith("127.")
