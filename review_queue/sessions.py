"""Login sessions of the review app in token mode: signed cookies that never hold the token.

A session cookie is ``<nonce>.<issue time>.<signature>``, an itsdangerous ``TimestampSigner``
signature (HMAC-SHA256) under a random per-process key: a restart signs everyone out, a cookie
older than ``ttl_s`` (or issued in the future, beyond a minute of clock skew) is refused, and
logout revokes the cookie it was sent with (remembered until it would expire anyway).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

from itsdangerous import BadSignature, TimestampSigner

SESSION_TTL_S = 12 * 3600
#: No cookie this app issues is longer; a longer one is refused before any signature work.
MAX_COOKIE = 200


class Sessions:
    """Issues, checks and revokes login cookies; safe to share between request threads."""

    def __init__(self, ttl_s: float = SESSION_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._signer = TimestampSigner(secrets.token_bytes(32), salt="pt-session", digest_method=hashlib.sha256)
        self._revoked: dict[str, float] = {}  # signature -> expiry
        self._lock = threading.Lock()

    def issue(self) -> str:
        """A new session cookie, stamped with the time it is issued."""
        return self._signer.sign(secrets.token_urlsafe(12)).decode()

    def _parse(self, cookie: str | None) -> tuple[float, str] | None:
        """(expiry, signature) of a well-signed, unexpired cookie, else None."""
        if not cookie or len(cookie) > MAX_COOKIE:
            return None
        try:
            _, issued = self._signer.unsign(cookie, return_timestamp=True)
        except BadSignature:
            return None
        issued_at = issued.timestamp()
        expiry = issued_at + self.ttl_s
        if not issued_at - 60 <= time.time() < expiry:
            return None
        return expiry, cookie.rsplit(".", 1)[1]

    def valid(self, cookie: str | None) -> bool:
        """Whether the cookie is a live session: ours, unexpired, not logged out."""
        parsed = self._parse(cookie)
        if parsed is None:
            return False
        with self._lock:
            return parsed[1] not in self._revoked

    def binding(self, cookie: str | None) -> str:
        """What CSRF tokens are bound to: the valid session's signature, else nothing."""
        return cookie.rsplit(".", 1)[1] if cookie and self.valid(cookie) else ""

    def revoke(self, cookie: str | None) -> None:
        """Log the cookie out (and forget revocations that have expired anyway)."""
        parsed = self._parse(cookie)
        now = time.time()
        with self._lock:
            self._revoked = {s: e for s, e in self._revoked.items() if e > now}
            if parsed is not None:
                self._revoked[parsed[1]] = parsed[0]
