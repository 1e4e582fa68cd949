"""What one review app is made of: its configuration, and the parts its guard and routes share.

:func:`review_queue.app.create_app` builds one :class:`ReviewContext` per app and keeps it on
``app.state``; the guard reads it from there and routes receive it as a FastAPI dependency
(:data:`review_queue.routes.deps.Ctx`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paramtrack.review_queue.csrf import CsrfTokens
from paramtrack.review_queue.limits import MAX_BODY_BYTES, Throttles
from paramtrack.review_queue.pages import Pages
from paramtrack.review_queue.service import ReviewService
from paramtrack.review_queue.sessions import SESSION_TTL_S, Sessions
from paramtrack.review_queue.tokens import same_token
from paramtrack.warehouse import Warehouse


@dataclass
class AppConfig:
    """How the review server was started (``paramtrack review-server``'s options)."""

    db_path: Path
    reviewer: str | None = None  # fixed identity (--reviewer / PARAMTRACK_REVIEWER)
    token: str | None = None  # required on every request when set
    charts_dir: Path | None = None
    digest_dir: Path | None = None  # None: <db folder>/digests
    pdf_dir: Path | None = None  # where relative cached-PDF paths are resolved
    lock_timeout_s: float | None = None  # None: PARAMTRACK_LOCK_TIMEOUT or the warehouse default
    session_ttl_s: float = SESSION_TTL_S
    #: Host names (without port) a request may address; None: any. The CLI sets the loopback
    #: names for a loopback bind, so a DNS-rebound name cannot reach the app as same-origin.
    allowed_hosts: tuple[str, ...] | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def digests(self) -> Path:
        """Where the run digests are read from."""
        return self.digest_dir or self.db_path.parent / "digests"

    @property
    def pdfs(self) -> Path:
        """The PDF cache that relative cached-PDF paths are resolved in."""
        return self.pdf_dir or self.db_path.parent / "pdfs"


@dataclass
class ReviewContext:
    """The parts of one running app: each request is one short transaction through ``service``."""

    config: AppConfig
    wh: Warehouse
    service: ReviewService
    pages: Pages
    sessions: Sessions
    csrf_tokens: CsrfTokens
    throttle: Throttles

    def accept_token(self, client: str, given: str) -> bool:
        """Whether ``given`` is the access token; a wrong one counts towards ``client``'s lockout
        (the caller checks :meth:`Throttles.retry_after` first), a right one clears it."""
        assert self.config.token, "only asked in token mode"
        if same_token(given, self.config.token):
            self.throttle.succeeded(client)
            return True
        self.throttle.failed(client)
        return False
